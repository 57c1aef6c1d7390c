"""The quantized C kernels against the runtimes they mirror, through the probe program
(quant_probe.py): single-op int8 models run by LiteRT's builtin kernels (the resolver
without default delegates, i.e. the kernels of tensorflow/lite/kernels, not XNNPACK) must
match bit for bit; com.microsoft QLinear* ops run by onnxruntime must match within one
quantization step (the ONNX semantics promise), and in the great majority of elements
exactly."""
from __future__ import annotations

import numpy as np
import pytest

from .quant_probe import LUT_FNS, bits, build

F32 = np.float32
RNG = np.random.default_rng(7)


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    return build(tmp_path_factory.mktemp("quant_probe_rt"))


def scale(lo, hi):
    return float(F32(2.0 ** RNG.uniform(lo, hi)))


# ---- LiteRT ----------------------------------------------------------------------------------

def litert_run(op, inputs, consts, out, options=None):
    """inputs/consts: {name: (array, scale, zp)} (consts may have scale None: unquantized);
    out: (dtype, shape, scale, zp). Runs the builtin kernels without XNNPACK."""
    litert = pytest.importorskip("ai_edge_litert.interpreter")
    from ..converters.tflite.tflite_builder import build_model

    tensors = {}
    for name, (a, s, z) in {**inputs, **consts}.items():
        q = {"scale": [s], "zero_point": [z]} if s is not None else None
        tensors[name] = (a.dtype.name, a.shape, a if name in consts else None, None, q)
    dt, shape, s, z = out
    tensors["y"] = (dt, shape, None, None, {"scale": [s], "zero_point": [z]})
    data = build_model([(op, list(inputs) + list(consts), ["y"], options)], tensors, list(inputs), ["y"])
    it = litert.Interpreter(model_content=data,
                            experimental_op_resolver_type=litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    it.allocate_tensors()
    for d, (a, _, _) in zip(it.get_input_details(), inputs.values()):
        it.set_tensor(d["index"], a)
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"]).astype(np.int64).reshape(-1)


def i8(*shape):
    return RNG.integers(-128, 128, shape).astype(np.int8)


@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL"])
def test_litert_binary(probe, op):
    cases, want = [], []
    for _ in range(12):
        sa, sb = scale(-8, -2), scale(-8, -2)
        # Mul's multiplier below 0.45 keeps |result| < 2^15 - 128: LiteRT's vectorized Mul adds
        # the output zero point in int16 without saturation, so beyond that it wraps (qelementwise.h)
        sy = float(F32(sa) * F32(sb) / F32(2.0 ** RNG.uniform(-12, -1.2))) if op == "MUL" else scale(-8, -2)
        za, zb, zy = (int(v) for v in RNG.integers(-128, 128, 3))
        a, b = i8(1, 256), i8(1, 256)
        want.append(litert_run(op, {"a": (a, sa, za), "b": (b, sb, zb)}, {}, ("int8", (1, 256), sy, zy)))
        code = {"ADD": 0, "SUB": 1, "MUL": 2}[op]
        cases.append(["binary", 0, code, bits(sa), za, bits(sb), zb, bits(sy), zy, -128, 127, 256,
                      *a.reshape(-1), *b.reshape(-1)])
    for got, w in zip(probe(cases), want):
        np.testing.assert_array_equal(got, w)


@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL"])
def test_litert_binary_int16(probe, op):
    """TFLite int16x8: zero points 0, Add/Sub with a left shift of 15."""
    cases, want = [], []
    for _ in range(8):
        sa, sb = scale(-14, -8), scale(-14, -8)
        sy = float(F32(sa) * F32(sb) / F32(2.0 ** RNG.uniform(-20, -14))) if op == "MUL" else scale(-14, -8)
        a = RNG.integers(-32768, 32768, (1, 512)).astype(np.int16)
        b = RNG.integers(-32768, 32768, (1, 512)).astype(np.int16)
        want.append(litert_run(op, {"a": (a, sa, 0), "b": (b, sb, 0)}, {}, ("int16", (1, 512), sy, 0)))
        code = {"ADD": 0, "SUB": 1, "MUL": 2}[op]
        cases.append(["binary16", 0, code, bits(sa), bits(sb), bits(sy), 512, *a.reshape(-1), *b.reshape(-1)])
    for got, w in zip(probe(cases), want):
        np.testing.assert_array_equal(got, w)


def flip(v):
    """uint8 stored values as the int8 the kernels see (x ^ 0x80)."""
    return (np.asarray(v, np.int64) ^ 0x80) - 256 * ((np.asarray(v, np.int64) ^ 0x80) > 127)


@pytest.mark.parametrize("op", ["ADD", "MUL", "LEAKY_RELU"])
def test_litert_uint8_through_int8(probe, op):
    """uint8 models through the int8 kernels: values with the sign bit flipped, zero points
    and clamps minus 128, results flipped back, bit for bit with LiteRT's uint8 kernels."""
    cases, want = [], []
    for _ in range(8):
        sa, sb = scale(-8, -2), scale(-8, -2)
        sy = float(F32(sa) * F32(sb) / F32(2.0 ** RNG.uniform(-12, -1.2))) if op == "MUL" else scale(-8, -2)
        za, zb, zy = (int(v) for v in RNG.integers(0, 256, 3))
        a = RNG.integers(0, 256, (1, 256)).astype(np.uint8)
        b = RNG.integers(0, 256, (1, 256)).astype(np.uint8)
        if op == "LEAKY_RELU":
            alpha = float(F32(RNG.uniform(-0.9, 0.9)))
            want.append(litert_run(op, {"a": (a, sa, za)}, {}, ("uint8", (1, 256), sy, zy), {"alpha": alpha}))
            # the probe answers for every int8 input, -128 first: look the flipped inputs up
            cases.append((["leaky", bits(alpha), bits(sa), za - 128, bits(sy), zy - 128], flip(a.reshape(-1))))
        else:
            want.append(litert_run(op, {"a": (a, sa, za), "b": (b, sb, zb)}, {}, ("uint8", (1, 256), sy, zy)))
            cases.append(["binary", 0, 0 if op == "ADD" else 2, bits(sa), za - 128, bits(sb), zb - 128, bits(sy),
                          zy - 128, -128, 127, 256, *flip(a.reshape(-1)), *flip(b.reshape(-1))])
    if op == "LEAKY_RELU":
        outs = probe([c for c, _ in cases])
        for (_, xs), got, w in zip(cases, outs, want):
            np.testing.assert_array_equal((got[xs + 128] & 0xFF) ^ 0x80, w)
        return
    for got, w in zip(probe(cases), want):
        np.testing.assert_array_equal((got & 0xFF) ^ 0x80, w)


def test_litert_concatenation_uint8_scales(probe):
    """uint8 CONCATENATION of inputs with other scales: ConcatenationWithScaling's float rescale."""
    cases, want = [], []
    for _ in range(6):
        s1, s2, so = scale(-7, -2), scale(-7, -2), scale(-7, -2)
        z1, z2, zo = (int(v) for v in RNG.integers(0, 256, 3))
        x1, x2 = RNG.integers(0, 256, 200).astype(np.uint8), RNG.integers(0, 256, 57).astype(np.uint8)
        want.append(litert_run("CONCATENATION", {"a": (x1, s1, z1), "b": (x2, s2, z2)}, {},
                               ("uint8", (257,), so, zo), {"axis": 0}))
        cases.append(["requant_u8", 1, 1, bits(s1), z1, bits(so), zo, 200, *x1])
        cases.append(["requant_u8", 1, 1, bits(s2), z2, bits(so), zo, 57, *x2])
    outs = probe(cases)
    for i, w in enumerate(want):
        np.testing.assert_array_equal(np.concatenate([outs[2 * i], outs[2 * i + 1]]), w)


def test_litert_quantize_requantize(probe):
    cases, want = [], []
    for n in (3, 8, 13, 256, 259):
        s, z = scale(-8, -1), int(RNG.integers(-128, 128))
        x = (RNG.uniform(-1.2, 1.2, n) * 128 * s).astype(F32)
        x[:3] = np.array([0.5, -0.5, 2.5], F32) * F32(s)  # ties in the first block
        x[-3:] = np.array([1.5, -1.5, np.nan], F32) * F32(s)  # and in the tail
        want.append(litert_run("QUANTIZE", {"x": (x, None, 0)}, {}, ("int8", (n,), s, z)))
        cases.append(["quantize", bits(s), z, n, *[bits(v) for v in x]])
        sx, sy = scale(-8, -1), scale(-8, -1)
        zx, zy = (int(v) for v in RNG.integers(-128, 128, 2))
        q = i8(256)
        want.append(litert_run("QUANTIZE", {"x": (q, sx, zx)}, {}, ("int8", (256,), sy, zy)))
        cases.append(["requant", 0, 0, bits(sx), zx, bits(sy), zy, 256, *q])
    for got, w in zip(probe(cases), want):
        np.testing.assert_array_equal(got, w)


@pytest.mark.parametrize("n", [5, 256, 259])
def test_litert_dequantize(probe, n):
    """DEQUANTIZE: whole blocks of 8 in two float roundings (x * scale + (-zp * scale)), the
    tail in one, as LiteRT's x86 build runs optimized_ops::Dequantize."""
    litert = pytest.importorskip("ai_edge_litert.interpreter")
    from ..converters.tflite.tflite_builder import build_model

    cases, want = [], []
    for _ in range(6):
        s, z = scale(-12, 4), int(RNG.integers(-128, 128))
        x = i8(n)
        tensors = {"x": ("int8", (n,), None, None, {"scale": [s], "zero_point": [z]}), "y": ("float32", (n,), None)}
        it = litert.Interpreter(model_content=build_model([("DEQUANTIZE", ["x"], ["y"], None)], tensors, ["x"], ["y"]),
                                experimental_op_resolver_type=litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        it.allocate_tensors()
        it.set_tensor(it.get_input_details()[0]["index"], x)
        it.invoke()
        want.append(it.get_tensor(it.get_output_details()[0]["index"]).view(np.int32).astype(np.int64))
        cases.append(["dequantize", bits(s), z, n, *x])
    for got, w in zip(probe(cases), want):
        np.testing.assert_array_equal(got.astype(np.int32), w.astype(np.int32))


def test_litert_activations(probe):
    x = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
    cases, want = [], []
    for _ in range(4):
        si, zi = scale(-6, -2), int(RNG.integers(-128, 128))
        want.append(litert_run("LOGISTIC", {"x": (x, si, zi)}, {}, ("int8", (1, 256), 1 / 256, -128)))
        cases.append(["lut", 0, 1, LUT_FNS.index("logistic"), bits(0.0), bits(si), zi, bits(1 / 256), -128])
        want.append(litert_run("TANH", {"x": (x, si, zi)}, {}, ("int8", (1, 256), 1 / 128, 0)))
        cases.append(["lut", 0, 1, LUT_FNS.index("tanh"), bits(0.0), bits(si), zi, bits(1 / 128), 0])
        so, zo = scale(-6, -2), int(RNG.integers(-128, 128))
        want.append(litert_run("ELU", {"x": (x, si, zi)}, {}, ("int8", (1, 256), so, zo)))
        cases.append(["lut", 0, 1, LUT_FNS.index("elu"), bits(1.0), bits(si), zi, bits(so), zo])
        for approximate in (False, True):
            want.append(litert_run("GELU", {"x": (x, si, zi)}, {}, ("int8", (1, 256), so, zo),
                                   {"approximate": approximate}))
            fn = LUT_FNS.index("gelu_tanh" if approximate else "gelu")
            cases.append(["lut", 0, 1, fn, bits(0.0), bits(si), zi, bits(so), zo])
        if float(F32(1 / 128) * F32(si) / F32(so)) < 1:
            want.append(litert_run("HARD_SWISH", {"x": (x, si, zi)}, {}, ("int8", (1, 256), so, zo)))
            cases.append(["hardswish", 1, bits(si), zi, bits(so), zo])
        alpha = float(F32(RNG.uniform(-0.9, 0.9)))
        want.append(litert_run("LEAKY_RELU", {"x": (x, si, zi)}, {}, ("int8", (1, 256), so, zo), {"alpha": alpha}))
        cases.append(["leaky", bits(alpha), bits(si), zi, bits(so), zo])
        sa, za = scale(-9, -6), int(RNG.integers(-128, 128))
        alpha_q = i8(256)
        want.append(litert_run("PRELU", {"x": (x, si, zi)}, {"alpha": (alpha_q, sa, za)}, ("int8", (1, 256), so, zo)))
        cases.append(["prelu", bits(si), zi, bits(sa), za, bits(so), zo, 256, *x.reshape(-1), *alpha_q])
    for i, (got, w) in enumerate(zip(probe(cases), want)):
        np.testing.assert_array_equal(got, w, err_msg=f"case {i}: {cases[i][:4]}")


def test_litert_gelu_int16(probe):
    """int16 GELU: LUTPopulate<int16_t>'s 513-entry table and the interpolating LUTLookup."""
    x = np.concatenate([np.array([-32768, -1, 0, 1, 127, 128, 32767]), RNG.integers(-32768, 32768, 1000)])
    x = x.astype(np.int16).reshape(1, -1)
    cases, want = [], []
    for approximate in (False, True):
        for _ in range(3):
            si, so = scale(-14, -9), scale(-14, -9)
            want.append(litert_run("GELU", {"x": (x, si, 0)}, {}, ("int16", x.shape, so, 0), {"approximate": approximate}))
            fn = LUT_FNS.index("gelu_tanh" if approximate else "gelu")
            cases.append(["lut16", fn, bits(0.0), bits(si), 0, bits(so), 0, x.size, *x.reshape(-1)])
    for got, w in zip(probe(cases), want):
        np.testing.assert_array_equal(got, w)


@pytest.mark.parametrize("n", [1, 9, 127])
def test_litert_softmax(probe, n):
    cases, want = [], []
    for _ in range(6):
        si, beta = scale(-6, -1), float(F32(RNG.uniform(0.5, 2)))
        x = i8(1, n)
        want.append(litert_run("SOFTMAX", {"x": (x, si, 0)}, {}, ("int8", (1, n), 1 / 256, -128), {"beta": beta}))
        cases.append(["softmax", 0, 1, 0, bits(si), bits(beta), bits(1 / 256), -128, n, *x.reshape(-1)])
        want.append(litert_run("SOFTMAX", {"x": (x, si, 0)}, {}, ("int16", (1, n), 1 / 32768, 0), {"beta": beta}))
        cases.append(["softmax", 0, 1, 2, bits(si), bits(beta), bits(1 / 32768), 0, n, *x.reshape(-1)])
        xu = RNG.integers(0, 256, (1, n)).astype(np.uint8)
        want.append(litert_run("SOFTMAX", {"x": (xu, si, 128)}, {}, ("uint8", (1, n), 1 / 256, 0), {"beta": beta}))
        cases.append(["softmax", 0, 0, 1, bits(si), bits(beta), bits(1 / 256), 0, n, *xu.reshape(-1)])
    for got, w in zip(probe(cases), want):
        np.testing.assert_array_equal(got, w)


def test_litert_pool_mean_resize(probe):
    cases, want = [], []
    for padding, k, stride in [("VALID", 2, 2), ("VALID", 3, 1), ("SAME", 3, 1), ("SAME", 5, 1)]:
        for unsigned in (0, 1):
            h, w, c = 7, 6, 3
            x = (RNG.integers(0, 256, (1, h, w, c)).astype(np.uint8) if unsigned else i8(1, h, w, c))
            s, z = scale(-6, -2), int(RNG.integers(0, 256) if unsigned else RNG.integers(-128, 128))
            pad = (k - 1) // 2 if padding == "SAME" else 0
            oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
            opts = {"padding": padding, "stride_h": stride, "stride_w": stride, "filter_height": k, "filter_width": k}
            want.append(litert_run("AVERAGE_POOL_2D", {"x": (x, s, z)}, {},
                                   ("uint8" if unsigned else "int8", (1, oh, ow, c), s, z), opts))
            cases.append(["avgpool", 0, unsigned, h, w, c, k, stride, pad, 0, bits(s), z, bits(s), z, *x.reshape(-1)])
    for _ in range(3):
        si, so = scale(-6, -2), scale(-6, -2)
        zi, zo = (int(v) for v in RNG.integers(-128, 128, 2))
        for c in (6, 37):  # 37: two vectorized blocks of 16 channels and a scalar tail
            x = i8(1, 5, 7, c)
            axes = np.array([1, 2], np.int32)
            want.append(litert_run("MEAN", {"x": (x, si, zi)}, {"axes": (axes, None, 0)},
                                   ("int8", (1, 1, 1, c), so, zo), {"keep_dims": True}))
            cases.append(["mean", 0, 35, bits(si), zi, bits(so), zo, c, *x.reshape(-1)])
        xu = RNG.integers(0, 256, (1, 4, 6, 37)).astype(np.uint8)  # uint8: raw sums, its own kernel
        zui, zuo = (int(v) for v in RNG.integers(0, 256, 2))
        want.append(litert_run("MEAN", {"x": (xu, si, zui)}, {"axes": (np.array([1, 2], np.int32), None, 0)},
                               ("uint8", (1, 1, 1, 37), so, zuo), {"keep_dims": True}))
        cases.append(["mean_u8", 0, 24, bits(si), zui, bits(so), zuo, 37, *xu.reshape(-1)])
        x3 = i8(1, 13, 4)
        want.append(litert_run("MEAN", {"x": (x3, si, zi)}, {"axes": (np.array([1], np.int32), None, 0)},
                               ("int8", (1, 4), so, zo), {"keep_dims": False}))
        cases.append(["mean", 1, 13, bits(si), zi, bits(so), zo, 4, *x3.reshape(-1)])
    for align, half in [(0, 0), (1, 0), (0, 1)]:
        for (h, w, oh, ow) in [(3, 4, 7, 9), (6, 5, 3, 2)]:
            x = i8(1, h, w, 2)
            size = np.array([oh, ow], np.int32)
            want.append(litert_run("RESIZE_BILINEAR", {"x": (x, 0.1, 3)}, {"size": (size, None, 0)},
                                   ("int8", (1, oh, ow, 2), 0.1, 3),
                                   {"align_corners": bool(align), "half_pixel_centers": bool(half)}))
            cases.append(["resize", h, w, 2, oh, ow, align, half, *x.reshape(-1)])
    for i, (got, w) in enumerate(zip(probe(cases), want)):
        np.testing.assert_array_equal(got, w, err_msg=f"case {i}: {cases[i][:10]}")


# ---- onnxruntime -----------------------------------------------------------------------------

def ort_run(op_type, inputs, params, out_dtype, attrs=None):
    """One com.microsoft op; inputs: arrays fed at run time, params: (name, value) initializers
    placed in the op's input list after/around them as `order` says."""
    ort = pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper, numpy_helper

    feeds, names, inits = {}, [], []
    for kind, name, value in params:
        names.append(name)
        if kind == "in":
            feeds[name] = value
        else:
            inits.append(numpy_helper.from_array(np.asarray(value), name))
    elem = {np.int8: TensorProto.INT8, np.uint8: TensorProto.UINT8}
    graph_inputs = [helper.make_tensor_value_info(n, elem[v.dtype.type], v.shape) for n, v in feeds.items()]
    node = helper.make_node(op_type, names, ["y"], domain="com.microsoft", **(attrs or {}))
    graph = helper.make_graph([node], "q", graph_inputs, [helper.make_tensor_value_info("y", elem[out_dtype], None)],
                              initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)])
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)[0].astype(np.int64).reshape(-1)


def close(got, want, what, min_exact=0.97):
    diff = np.abs(got - want)
    assert diff.max() <= 1, f"{what}: differs by {diff.max()} at {np.flatnonzero(diff > 1)[:8]}"
    assert (diff == 0).mean() >= min_exact, f"{what}: only {(diff == 0).mean():.3f} exact"


def qparams(s, z):
    return np.array(s, np.float32), np.array(z, np.int8)


@pytest.mark.parametrize("op", ["QLinearAdd", "QLinearMul"])
def test_ort_binary(probe, op):
    cases, want = [], []
    for _ in range(10):
        sa, sb = scale(-8, -2), scale(-8, -2)
        sy = scale(-13, -6) if op == "QLinearMul" else scale(-8, -2)
        za, zb, zy = (int(v) for v in RNG.integers(-128, 128, 3))
        a, b = i8(300), i8(300)
        (fsa, fza), (fsb, fzb), (fsy, fzy) = qparams(sa, za), qparams(sb, zb), qparams(sy, zy)
        want.append(ort_run(op, {}, [("in", "a", a), ("c", "sa", fsa), ("c", "za", fza), ("in", "b", b),
                                     ("c", "sb", fsb), ("c", "zb", fzb), ("c", "sy", fsy), ("c", "zy", fzy)], np.int8))
        cases.append(["binary", 1, 0 if op == "QLinearAdd" else 2, bits(sa), za, bits(sb), zb, bits(sy), zy,
                      -128, 127, 300, *a, *b])
    for i, (got, w) in enumerate(zip(probe(cases), want)):
        close(got, w, f"{op} case {i}")


@pytest.mark.parametrize("op", ["QLinearAdd", "QLinearMul"])
def test_ort_binary_uint8_through_int8(probe, op):
    """uint8 through the int8 kernel: inputs with the sign bit flipped, every zero point and the
    clamp minus 128, the result flipped back, against onnxruntime's uint8 kernels."""
    cases, want = [], []
    for _ in range(8):
        sa, sb = scale(-8, -2), scale(-8, -2)
        sy = scale(-13, -6) if op == "QLinearMul" else scale(-8, -2)
        za, zb, zy = (int(v) for v in RNG.integers(0, 256, 3))
        a, b = RNG.integers(0, 256, 300).astype(np.uint8), RNG.integers(0, 256, 300).astype(np.uint8)
        u = [np.array(sa, np.float32), np.array(za, np.uint8), np.array(sb, np.float32), np.array(zb, np.uint8),
             np.array(sy, np.float32), np.array(zy, np.uint8)]
        want.append(ort_run(op, {}, [("in", "a", a), ("c", "sa", u[0]), ("c", "za", u[1]), ("in", "b", b),
                                     ("c", "sb", u[2]), ("c", "zb", u[3]), ("c", "sy", u[4]), ("c", "zy", u[5])],
                            np.uint8))
        flip = lambda v: (v.astype(np.int64) ^ 0x80) - 256 * ((v.astype(np.int64) ^ 0x80) > 127)
        cases.append(["binary", 1, 0 if op == "QLinearAdd" else 2, bits(sa), za - 128, bits(sb), zb - 128, bits(sy),
                      zy - 128, -128, 127, 300, *flip(a), *flip(b)])
    for i, (got, w) in enumerate(zip(probe(cases), want)):
        close((got & 0xFF) ^ 0x80, w, f"{op} uint8 case {i}")


def test_ort_lookup_tables(probe):
    x = np.arange(-128, 128, dtype=np.int8)
    cases, want = [], []
    xu = np.arange(0, 256, dtype=np.uint8)
    for _ in range(3):
        si, so = scale(-6, -2), scale(-8, -3)
        zi, zo = (int(v) for v in RNG.integers(0, 256, 2))
        u = [("in", "x", xu), ("c", "si", np.array(si, np.float32)), ("c", "zi", np.array(zi, np.uint8)),
             ("c", "so", np.array(so, np.float32)), ("c", "zo", np.array(zo, np.uint8))]
        want.append(ort_run("QLinearSigmoid", {}, u, np.uint8))
        cases.append(["lut", 1, 0, LUT_FNS.index("logistic"), bits(0.0), bits(si), zi, bits(so), zo])
    for _ in range(4):
        si, so = scale(-6, -2), scale(-8, -3)
        zi, zo = (int(v) for v in RNG.integers(-128, 128, 2))
        (fsi, fzi), (fso, fzo) = qparams(si, zi), qparams(so, zo)
        io = [("in", "x", x), ("c", "si", fsi), ("c", "zi", fzi), ("c", "so", fso), ("c", "zo", fzo)]
        want.append(ort_run("QLinearSigmoid", {}, io, np.int8))
        cases.append(["lut", 1, 1, LUT_FNS.index("logistic"), bits(0.0), bits(si), zi, bits(so), zo])
        alpha = float(F32(RNG.uniform(0.01, 0.5)))
        want.append(ort_run("QLinearLeakyRelu", {}, io, np.int8, {"alpha": alpha}))
        cases.append(["lut", 1, 1, LUT_FNS.index("leakyrelu"), bits(alpha), bits(si), zi, bits(so), zo])
    for i, (got, w) in enumerate(zip(probe(cases), want)):
        close(got, w, f"table case {i}")


@pytest.mark.parametrize("n", [2, 9, 127])
def test_ort_softmax(probe, n):
    cases, want = [], []
    for _ in range(6):
        si = scale(-6, -1)
        x = i8(3, n)
        (fsi, fzi), (fso, fzo) = qparams(si, 0), qparams(1 / 256, -128)
        want.append(ort_run("QLinearSoftmax", {}, [("in", "x", x), ("c", "si", fsi), ("c", "zi", fzi),
                                                   ("c", "so", fso), ("c", "zo", fzo)], np.int8,
                            {"axis": -1, "opset": 13}))
        cases += [["softmax", 1, 1, 0, bits(si), bits(1.0), bits(1 / 256), -128, n, *row] for row in x]
    got = np.concatenate(probe(cases))
    # onnxruntime wraps an int8 result above 127 instead of saturating (qsoftmax.h): compare the rest
    w = np.concatenate(want)
    keep = got != 127
    close(got[keep], w[keep], f"QLinearSoftmax n={n}")


def test_ort_average_pools(probe):
    cases, want = [], []
    for k, stride, pad, include in [(2, 2, 0, 0), (3, 1, 1, 0), (3, 2, 1, 1), (3, 1, 1, 1)]:
        h, w, c = 7, 6, 3
        x = i8(1, h, w, c)
        xs, ys = scale(-6, -2), scale(-6, -2)
        xz, yz = (int(v) for v in RNG.integers(-128, 128, 2))
        (fxs, fxz), (fys, fyz) = qparams(xs, xz), qparams(ys, yz)
        y = ort_run("QLinearAveragePool", {}, [("in", "x", x), ("c", "xs", fxs), ("c", "xz", fxz), ("c", "ys", fys),
                                                ("c", "yz", fyz)], np.int8,
                    {"kernel_shape": [k, k], "strides": [stride, stride], "pads": [pad] * 4,
                     "count_include_pad": include, "channels_last": 1})
        want.append(y)
        cases.append(["avgpool", 1, 0, h, w, c, k, stride, pad, include, bits(xs), xz, bits(ys), yz, *x.reshape(-1)])
    for _ in range(4):
        x = i8(1, 5, 7, 6)
        xs, ys = scale(-6, -2), scale(-6, -2)
        xz, yz = (int(v) for v in RNG.integers(-128, 128, 2))
        (fxs, fxz), (fys, fyz) = qparams(xs, xz), qparams(ys, yz)
        want.append(ort_run("QLinearGlobalAveragePool", {}, [("in", "x", x), ("c", "xs", fxs), ("c", "xz", fxz),
                                                              ("c", "ys", fys), ("c", "yz", fyz)], np.int8,
                            {"channels_last": 1}))
        cases.append(["mean", 2, 35, bits(xs), xz, bits(ys), yz, 6, *x.reshape(-1)])
    for i, (got, w) in enumerate(zip(probe(cases), want)):
        close(got, w, f"pool case {i}", min_exact=0.9)
