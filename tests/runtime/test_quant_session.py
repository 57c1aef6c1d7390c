"""Quantized inputs and outputs through the C runtime: Session.inputs/outputs report the parameters the
loader decoded (pml_session_input_quant / output_quant), a full-integer caller can quantize its feed and
dequantize the result with them, data movement moves the stored integers exactly, and the loader's and
the guard's refusals reach Python with their messages."""
from __future__ import annotations

import numpy as np
import pytest

from pocketml import Model, Session
from pocketml.errors import ModelLoadError, PocketMLError
from pocketml.format import write_pml

from ..format import quant_fixtures as qf


def test_session_reports_parameters_per_input_and_output():
    s = Session(write_pml(qf.quant_graph()))
    by_name = {t.name: t.quant for t in s.inputs + s.outputs}
    assert by_name["x"] == qf.Q_X and by_name["y"] == qf.Q_X
    assert by_name["wt"] == qf.Q_W.permuted([1, 0]) and by_name["wt"].axis == 1
    assert by_name["b_out"] == qf.Q_B
    assert by_name["f"] is None and by_name["g"] is None
    name, dtype, shape = s.inputs[0]  # unpacking keeps its three fields
    assert (name, dtype, shape) == ("x", np.dtype("int8"), (1, 4))
    assert [t.quant for t in Model.load(write_pml(qf.quant_graph())).outputs][:3] == [by_name["y"], by_name["wt"],
                                                                                     by_name["b_out"]]


def test_full_integer_round_trip_through_the_runtime():
    s = Session(write_pml(qf.quant_graph()))
    real = np.float32([[0.5, -1.0, 0.0, 2.0]])
    x = s.inputs[0].quant.quantize(real, "int8")
    np.testing.assert_array_equal(x, [[5, -19, -3, 29]])  # round(real / 0.0625) - 3, by hand
    out = s.run({"x": x, "f": np.float32([1, -1])})
    y_info = next(t for t in s.outputs if t.name == "y")
    np.testing.assert_array_equal(y_info.quant.dequantize(out["y"]), real.reshape(2, 2))
    wt_info = next(t for t in s.outputs if t.name == "wt")
    np.testing.assert_array_equal(wt_info.quant.dequantize(out["wt"]), qf.Q_W.dequantize(qf.W).T)


@pytest.mark.parametrize("case", [c for c in qf.invalid_cases() if c[1] == "load"], ids=lambda c: c[0])
def test_loader_refusals_reach_python(case):
    name, _, _, message, data = case
    with pytest.raises(PocketMLError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
                       .replace("]", r"\]")):
        Session(data)


@pytest.mark.parametrize("case", [c for c in qf.invalid_cases() if c[1] == "session"], ids=lambda c: c[0])
def test_guard_refusals_reach_python(case):
    name, _, _, message, data = case
    with pytest.raises(PocketMLError) as err:
        Session(data)
    assert message in str(err.value)
    assert not isinstance(err.value, ModelLoadError) or "not supported by this op yet" in str(err.value)
