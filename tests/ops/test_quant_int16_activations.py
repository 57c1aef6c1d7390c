"""TFLite int16x8 LOGISTIC, TANH and SOFTMAX: the C reference kernels
(native/src/kernels/quant/qsigmoid16.h, qsoftmax16.h) against LiteRT's builtin kernels, bit
for bit, through the probe (quant_probe.py). LOGISTIC and TANH are swept over every int16
input at scales that take each of LiteRT's paths: the table one (general scales, powers of
two other than the fixed-point ones, large scales whose int32 rescale is near its limit) and
gemmlowp's 16-bit fixed point (input scale 2^-12; TANH also 2^-11)."""
from __future__ import annotations

import numpy as np
import pytest

from .quant_probe import bits, build
from .test_quant_runtimes import litert_run

RNG = np.random.default_rng(16)
EVERY_INT16 = np.arange(-32768, 32768, dtype=np.int16).reshape(1, -1)


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    return build(tmp_path_factory.mktemp("quant_probe_int16"))


def _random_scales(n):
    return [float(np.float32(2.0 ** RNG.uniform(-16, 0))) for _ in range(n)]


@pytest.mark.parametrize("op", ["LOGISTIC", "TANH"])
def test_sigmoid_tanh_int16_every_input(probe, op):
    pot = [2.0 ** -12, 2.0 ** -11, 2.0 ** -13, 2.0 ** -10, 2.0 ** -15, 2.0 ** -3]  # 2^-12 (and tanh's 2^-11): fixed point
    general = [1.8296258e-4, 9.0336776e-05, 1 / 3000, 0.9, 2.7] + _random_scales(4)
    scales = [float(np.float32(s)) for s in pot + general]
    cases, want = [], []
    for s in scales:
        want.append(litert_run(op, {"x": (EVERY_INT16, s, 0)}, {}, ("int16", EVERY_INT16.shape, 2.0 ** -15, 0)))
        cases.append(["sigmoid16", int(op == "TANH"), bits(s)])
    for s, got, w in zip(scales, probe(cases), want):
        np.testing.assert_array_equal(got, w, err_msg=f"{op} input scale {s!r}")


@pytest.mark.parametrize("n", [1, 2, 10, 333, 4096])
def test_softmax_int16_rows(probe, n):
    cases, want = [], []
    for s, beta in zip([2.0 ** -12, 1.2181765e-4, 1e-3, 0.05] + _random_scales(2), [1.0, 1.0, 0.7, 1.0, 1.9, 1.0]):
        s = float(np.float32(s))
        for x in (RNG.integers(-32768, 32768, (1, n)), RNG.integers(-300, 300, (1, n)),
                  np.full((1, n), 32767), np.full((1, n), -32768)):
            x = x.astype(np.int16)
            want.append(litert_run("SOFTMAX", {"x": (x, s, 0)}, {}, ("int16", (1, n), 2.0 ** -15, 0), {"beta": beta}))
            cases.append(["softmax16", bits(s), bits(beta), n, *x.reshape(-1)])
    for i, (got, w) in enumerate(zip(probe(cases), want)):
        np.testing.assert_array_equal(got, w, err_msg=f"case {i}: scale bits {cases[i][1]}")


def _int16_model(op, in_zp, out_scale, out_zp, tmp_path):
    from ..converters.tflite.tflite_builder import build_model

    q = lambda s, z: {"scale": [s], "zero_point": [z]}  # noqa: E731
    tensors = {"x": ("int16", (1, 8), None, None, q(1e-3, in_zp)), "y": ("int16", (1, 8), None, None, q(out_scale, out_zp))}
    path = tmp_path / f"{op.lower()}.tflite"
    path.write_bytes(build_model([(op, ["x"], ["y"], {"beta": 1.0} if op == "SOFTMAX" else None)], tensors, ["x"], ["y"]))
    return path


@pytest.mark.parametrize("op", ["LOGISTIC", "TANH", "SOFTMAX"])
@pytest.mark.parametrize("in_zp,out_scale,out_zp", [(0, 1 / 256, 0), (0, 2.0 ** -15, 3), (5, 2.0 ** -15, 0)])
def test_int16_parameters_outside_tflite_int16x8_are_refused(op, in_zp, out_scale, out_zp, tmp_path):
    """TFLite's Prepare refuses these too; pocketml names the node, the op and what it supports."""
    import pocketml

    name = {"LOGISTIC": "Sigmoid", "TANH": "Tanh", "SOFTMAX": "Softmax"}[op]
    with pytest.raises(Exception, match=rf"(?s){name}.*zero points 0 and an output scale of 2\^-15"):
        pocketml.Session(pocketml.convert(_int16_model(op, in_zp, out_scale, out_zp, tmp_path)))


@pytest.mark.parametrize("op", ["LOGISTIC", "TANH", "SOFTMAX"])
def test_int16_model_built_here_matches_litert(op, tmp_path):
    """The converter path end to end on a model of this test's own (not a committed fixture)."""
    import pocketml

    x = RNG.integers(-32768, 32768, (1, 8)).astype(np.int16)
    path = _int16_model(op, 0, 2.0 ** -15, 0, tmp_path)
    want = litert_run(op, {"x": (x, 1e-3, 0)}, {}, ("int16", (1, 8), 2.0 ** -15, 0),
                      {"beta": 1.0} if op == "SOFTMAX" else None)
    session = pocketml.Session(pocketml.convert(path))
    got = session.run({session.inputs[0].name: x})[session.outputs[0].name]
    np.testing.assert_array_equal(got.astype(np.int64).reshape(-1), want)


def test_int16_batch_matmul_with_zero_points_is_refused(tmp_path):
    """TFLite int16x8 BATCH_MATMUL requires zero points 0; a file with others gets a clear error."""
    import pocketml

    from ..converters.tflite.tflite_builder import build_model

    q = lambda z: {"scale": [1e-3], "zero_point": [z]}  # noqa: E731
    tensors = {"a": ("int16", (1, 2, 3), None, None, q(3)), "b": ("int16", (1, 3, 4), None, None, q(0)),
               "y": ("int16", (1, 2, 4), None, None, q(0))}
    path = tmp_path / "bmm.tflite"
    path.write_bytes(build_model([("BATCH_MATMUL", ["a", "b"], ["y"], None)], tensors, ["a", "b"], ["y"]))
    with pytest.raises(Exception, match=r"int16 MatMul of run-time operands needs zero points 0"):
        pocketml.Session(pocketml.convert(path))
