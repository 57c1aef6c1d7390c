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
