"""Arenas are not zeroed (session_memory.c), so no op may read arena bytes it did not write.
With PML_POISON_ARENA=1 every new arena (and plan-time block) starts as 0xFF bytes, NaN as
float32: a sample of models (light_* CNNs, LSTM/GRU/RNN, an exported attention encoder, Pad and
padded convolutions, If/Loop control flow) still matches onnxruntime at several shapes, each new
shape planning into fresh or reused poisoned memory."""
from __future__ import annotations

import ctypes
import os

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import pocketml
from pocketml.native import lib
from tests.models.control_flow_builders import if_with_branch_shaped_output, loop_rnn, loop_until_converged
from tests.runtime.memory_models import recurrent, small_cnn

RNG = np.random.default_rng(17)
LIGHT = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")
FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")


@pytest.fixture(autouse=True)
def poison(monkeypatch):
    monkeypatch.setenv("PML_POISON_ARENA", "1")  # read by pml_session_create


def _f32(*shape, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def _check(model, feeds_list, rtol=1e-4, atol=1e-5):
    oracle = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    session = pocketml.Session(pocketml.convert(model))
    names = [o.name for o in oracle.get_outputs()]
    for feeds in feeds_list:
        got = session.run(feeds)
        for name, want in zip(names, oracle.run(None, feeds)):
            assert np.isfinite(got[name]).all() or not np.isfinite(want).all(), name
            np.testing.assert_allclose(got[name], want, rtol=rtol, atol=atol, err_msg=f"{name} at "
                                       f"{[v.shape for v in feeds.values()]}")


def test_the_switch_poisons_new_arenas():
    """An input's arena slot, read before anything writes it, holds the pattern."""
    session = pocketml.Session(pocketml.convert(recurrent("RNN", hidden=8)))
    handle = session._handle
    dims = (ctypes.c_int64 * 3)(2, 5, 1)
    assert lib().pml_session_set_input_shape(handle, 0, 3, dims) == 0
    data, nbytes = ctypes.c_void_p(), ctypes.c_size_t()
    assert lib().pml_session_input_buffer(handle, 0, ctypes.byref(data), ctypes.byref(nbytes)) == 0
    assert nbytes.value == 40 and ctypes.string_at(data, 40) == b"\xff" * 40


@pytest.mark.parametrize("name", ["squeezenet", "shufflenet"])
def test_light_models(name):
    model = onnx.load(os.path.join(LIGHT, f"light_{name}.onnx"))
    inits = {t.name for t in model.graph.initializer}
    (x,) = [i for i in model.graph.input if i.name not in inits]
    shape = [d.dim_value for d in x.type.tensor_type.shape.dim]
    _check(model, [{x.name: RNG.random(shape, dtype=np.float32)}], rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("op", ["LSTM", "GRU", "RNN"])
def test_recurrent(op):
    _check(recurrent(op, hidden=24, features=5, seq=6), [{"X": _f32(6, b, 5)} for b in (3, 1, 7)])


def test_attention_encoder():
    model = onnx.load(os.path.join(FIXTURES, "encoder_dynamo.onnx"))
    feeds = []
    for b, s in ((2, 7), (1, 16), (3, 5)):
        mask = np.ones((b, s), np.int64)
        mask[0, s // 2:] = 0
        feeds.append({"input_ids": RNG.integers(0, 100, (b, s)).astype(np.int64), "attention_mask": mask})
    _check(model, feeds, rtol=1e-3, atol=1e-4)


def test_pad_and_padded_convolutions():
    _check(small_cnn(), [{"x": _f32(2, 3, 9, 11)}, {"x": _f32(1, 3, 16, 16)}, {"x": _f32(3, 3, 5, 6)}])


def test_control_flow():
    _check(if_with_branch_shaped_output(), [{"x": _f32(3, 6) + 1}, {"x": _f32(2, 5) - 1}, {"x": _f32(4, 6) + 1}])
    _check(loop_rnn(), [{"x": _f32(t, b, 4), "h0": _f32(b, 8)} for t, b in ((3, 2), (1, 1), (5, 3))])
    _check(loop_until_converged(), [{"x": _f32(b, 5, scale=k)} for b, k in ((2, 1.0), (1, 10.0), (3, 0.001))])
