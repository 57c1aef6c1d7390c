"""The quantized C kernels (native/src/kernels/quant) against the numpy oracles of
quant_oracles.py, through native/tests/tools/quant_probe.c built here from the kernel
sources: TFLite's fixed-point kernels bit for bit, the float-computed ones (ONNX semantics,
TFLite's float tables) bit for bit except where the oracle marks a value as lying within
1e-4 of a rounding tie, and there within one step."""
from __future__ import annotations

import numpy as np
import pytest

from . import quant_oracles as qo
from .quant_probe import LUT_FNS, bits, build

F32 = np.float32
RNG = np.random.default_rng(2026)


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    return build(tmp_path_factory.mktemp("quant_probe"))


def check(got, oracle, what):
    want, ambiguous = oracle
    want = np.asarray(want, np.int64).reshape(-1)
    ambiguous = np.asarray(ambiguous, bool).reshape(-1)
    assert got.shape == want.shape, what
    diff = np.abs(got - want)
    bad = (diff > 1) | ((diff == 1) & ~ambiguous)
    assert not bad.any(), f"{what}: at {np.flatnonzero(bad)[:8]} got {got[bad][:8]} want {want[bad][:8]}"


def rand_scale(lo, hi):
    return float(F32(2.0 ** RNG.uniform(lo, hi)))


def test_binary(probe):
    cases, oracles = [], []
    for t in range(120):
        op, mode = t % 3, (t // 3) % 2
        sa, sb = rand_scale(-9, -2), rand_scale(-9, -2)
        sy = rand_scale(-14, -6) if op == 2 else rand_scale(-9, -2)
        za, zb, zy = (int(v) for v in RNG.integers(-128, 128, 3))
        qmin = zy if t % 7 == 0 else -128
        a, b = RNG.integers(-128, 128, 64), RNG.integers(-128, 128, 64)
        cases.append(["binary", mode, op, bits(sa), za, bits(sb), zb, bits(sy), zy, qmin, 127, 64, *a, *b])
        args = (a, b, sa, za, sb, zb, sy, zy, qmin, 127)
        if mode == 0:
            oracles.append(qo.tflite_mul(*args) if op == 2 else qo.tflite_add(*args, sub=op == 1))
        else:
            oracles.append([qo.onnx_add, qo.onnx_sub, qo.onnx_mul][op](*args))
    for i, (got, want) in enumerate(zip(probe(cases), oracles)):
        check(got, want, f"binary case {i}")


def test_requantize_and_quantize(probe):
    cases, oracles = [], []
    for t in range(60):
        mode = t % 2
        sx, sy = rand_scale(-10, 0), rand_scale(-10, 0)
        zx, zy = (int(v) for v in RNG.integers(-128, 128, 2))
        x = RNG.integers(-128, 128, 100)
        cases.append(["requant", mode, 0, bits(sx), zx, bits(sy), zy, 100, *x])
        oracles.append((qo.tflite_requantize if mode == 0 else qo.onnx_requantize)(x, sx, zx, sy, zy))
    for t in range(20):
        scale, zp = rand_scale(-8, 0), int(RNG.integers(-128, 128))
        x = (RNG.uniform(-1.5, 1.5, 100) * scale * 128).astype(F32)
        x[:8] = np.array([0.5, -0.5, 1.5, -2.5, np.nan, np.inf, -np.inf, 1e30], F32) * F32(scale)
        x[-3:] = np.array([0.5, -0.5, 2.5], F32) * F32(scale)  # the scalar tail (100 % 8 = 4)
        cases.append(["quantize", bits(scale), zp, 100, *[bits(v) for v in x]])
        oracles.append(qo.tflite_quantize(x, scale, zp))
    for i, (got, want) in enumerate(zip(probe(cases), oracles)):
        check(got, want, f"requantize/quantize case {i}")


def test_lut(probe):
    cases, oracles = [], []
    for fn_index, fn in enumerate(LUT_FNS):
        for mode in (0, 1):
            for is_signed in (0, 1):
                if mode == 1 and fn == "gelu_tanh":
                    continue  # onnxruntime has no quantized tanh-Gelu table
                alpha = 1.0 if (fn == "elu" and mode == 0) else float(F32(RNG.uniform(0.05, 0.5)))
                si, so = rand_scale(-6, -2), (1 / 256 if fn == "logistic" else rand_scale(-7, -3))
                zi = int(RNG.integers(-128, 128) if is_signed else RNG.integers(0, 256))
                zo = int(RNG.integers(-128, 128) if is_signed else RNG.integers(0, 256))
                cases.append(["lut", mode, is_signed, fn_index, bits(alpha), bits(si), zi, bits(so), zo])
                oracle = qo.tflite_lut if mode == 0 else qo.onnx_lut
                oracles.append(oracle(fn, alpha, si, zi, so, zo, is_signed))
    for i, (got, want) in enumerate(zip(probe(cases), oracles)):
        check(got, want, f"lut case {i}")


def test_fixed_point_activations(probe):
    cases, oracles = [], []
    for t in range(12):
        is_signed = t % 2
        si, so = rand_scale(-7, -2), rand_scale(-7, -2)
        zi = int(RNG.integers(-128, 128) if is_signed else RNG.integers(0, 256))
        zo = int(RNG.integers(-128, 128) if is_signed else RNG.integers(0, 256))
        if float(F32(1 / 128) * F32(si) / F32(so)) >= 1:  # TFLite refuses an output multiplier above 1
            continue
        cases.append(["hardswish", is_signed, bits(si), zi, bits(so), zo])
        oracles.append(qo.tflite_hardswish(si, zi, so, zo, is_signed))
    for t in range(12):
        alpha = float(F32(RNG.uniform(-1, 1)))
        si, so = rand_scale(-7, -2), rand_scale(-7, -2)
        zi, zo = (int(v) for v in RNG.integers(-128, 128, 2))
        cases.append(["leaky", bits(alpha), bits(si), zi, bits(so), zo])
        oracles.append(qo.tflite_leaky_relu(np.arange(-128, 128), alpha, si, zi, so, zo))
    for t in range(12):
        si, sa, so = rand_scale(-7, -2), rand_scale(-9, -5), rand_scale(-7, -2)
        zi, za, zo = (int(v) for v in RNG.integers(-128, 128, 3))
        x, a = RNG.integers(-128, 128, 200), RNG.integers(-128, 128, 200)
        cases.append(["prelu", bits(si), zi, bits(sa), za, bits(so), zo, 200, *x, *a])
        oracles.append(qo.tflite_prelu(x, a, si, zi, sa, za, so, zo))
    for i, (got, want) in enumerate(zip(probe(cases), oracles)):
        check(got, want, f"fixed-point activation case {i}")


@pytest.mark.parametrize("n", [1, 7, 8, 9, 127, 1000])
def test_softmax(probe, n):
    cases, oracles = [], []
    for t in range(8):
        mode, in_signed = t % 2, (t // 2) % 2
        si = rand_scale(-6, -1)
        x = RNG.integers(-128, 128, n) if in_signed else RNG.integers(0, 256, n)
        if mode == 0:
            out = t // 4 * 2 if in_signed else 1 + t // 4  # int8 / int16 from int8, uint8 / int16 from uint8
            so, zo, lo, hi = {0: (1 / 256, -128, -128, 127), 1: (1 / 256, 0, 0, 255), 2: (1 / 32768, 0, -32768, 32767)}[out]
            beta = float(F32(RNG.uniform(0.5, 2)))
            cases.append(["softmax", 0, in_signed, out, bits(si), bits(beta), bits(so), zo, n, *x])
            oracles.append(qo.tflite_softmax(x, si, beta, so, zo, lo, hi, out_uint8=out == 1))
        else:
            so, zo = 1 / 256, (-128 if in_signed else 0)
            cases.append(["softmax", 1, in_signed, 1 - in_signed, bits(si), bits(1.0), bits(so), zo, n, *x])
            oracles.append(qo.onnx_softmax(x, si, so, zo, in_signed))
    for i, (got, want) in enumerate(zip(probe(cases), oracles)):
        check(got, want, f"softmax n={n} case {i}")


def test_pool_mean_resize(probe):
    cases, oracles = [], []
    for t in range(16):
        mode, unsigned = t % 2, (t // 2) % 2
        h, w, c = (int(v) for v in RNG.integers(2, 7, 3))
        k, s = int(RNG.integers(1, min(h, w) + 1)), int(RNG.integers(1, 3))
        pad = int(RNG.integers(0, (k + 1) // 2)) if k > 1 else 0
        include = int(t // 4 % 2)
        x = RNG.integers(0, 256, (h, w, c)) if unsigned else RNG.integers(-128, 128, (h, w, c))
        xs, ys = rand_scale(-6, -2), rand_scale(-6, -2)
        xz = int(RNG.integers(0, 256) if unsigned else RNG.integers(-128, 128))
        yz = int(RNG.integers(0, 256) if unsigned else RNG.integers(-128, 128))
        lo, hi = (0, 255) if unsigned else (-128, 127)
        cases.append(["avgpool", mode, unsigned, h, w, c, k, s, pad, include, bits(xs), xz, bits(ys), yz,
                      *x.reshape(-1)])
        if mode == 0:
            oracles.append(qo.tflite_avgpool(x, k, s, pad, unsigned, lo, hi))
        else:
            oracles.append(qo.onnx_avgpool(x, k, s, pad, include, xs, xz, ys, yz, lo, hi))
    for t in range(18):
        variant = t % 3
        count, inner = int(RNG.integers(1, 80)), int(RNG.integers(1, 9))
        si, so = rand_scale(-7, -2), rand_scale(-7, -2)
        zi, zo = (int(v) for v in RNG.integers(-128, 128, 2))
        x = RNG.integers(-128, 128, (count, inner))
        cases.append(["mean", variant, count, bits(si), zi, bits(so), zo, inner, *x.reshape(-1)])
        oracles.append([qo.tflite_mean_hw, qo.tflite_mean, qo.onnx_global_avgpool][variant](x, si, zi, so, zo))
    for t in range(12):
        h, w, c = (int(v) for v in RNG.integers(1, 8, 3))
        oh, ow = (int(v) for v in RNG.integers(1, 12, 2))
        align = int(t % 3 == 1)
        half = int(t % 3 == 2)
        x = RNG.integers(-128, 128, (h, w, c))
        cases.append(["resize", h, w, c, oh, ow, align, half, *x.reshape(-1)])
        oracles.append(qo.tflite_resize_bilinear(x, oh, ow, align, half))
    for i, (got, want) in enumerate(zip(probe(cases), oracles)):
        check(got, want, f"pool/mean/resize case {i}")


def test_dequantize_and_int16_tables(probe):
    cases, oracles = [], []
    for n in (5, 64, 99):
        s, z = float(F32(2.0 ** RNG.uniform(-12, 3))), int(RNG.integers(-128, 128))
        x = RNG.integers(-128, 128, n)
        cases.append(["dequantize", bits(s), z, n, *x])
        oracles.append(qo.tflite_dequantize(x, s, z))
    outs = probe(cases)
    for got, want in zip(outs, oracles):
        np.testing.assert_array_equal(got.astype(np.int32).view(np.float32), want)
    x = np.arange(-32768, 32768)
    for fn in ("gelu", "gelu_tanh", "logistic", "tanh"):
        si, so = float(F32(2.0 ** RNG.uniform(-14, -9))), float(F32(2.0 ** RNG.uniform(-15, -10)))
        got = np.concatenate(probe([["lut16", LUT_FNS.index(fn), bits(0.0), bits(si), 0, bits(so), 0, len(c), *c]
                                    for c in np.array_split(x, 16)]))
        check(got, qo.tflite_lut16(fn, 0.0, si, 0, so, 0), f"int16 table {fn}")
