"""TFLite importer, op by op: pocketml against the LiteRT interpreter.

Each case is a tiny model written by tflite_builder (no TensorFlow) with random
inputs. The output shapes written into a model are the ones LiteRT infers (the
model is built once, LiteRT prepares it, and it is built again with those
shapes). Where a case also carries a numpy expectation, LiteRT itself is first
checked against it, so the oracle's semantics are the ones we assume.

``OP_LIST`` is the importer's promised op list (with those of
test_ops_logic.py, test_ops_index.py, test_ops_space.py, test_ops_select.py and
test_ops_recurrent.py, which reuse
case_adders and litert_tests): a test asserts every op in them is supported
and exercised by at least one pocketml-vs-LiteRT case (in those modules or
test_builder.py), so neither can silently rot.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import tflite

from .tflite_builder import build_model, csr_sparsity, read_opcodes, single_op_model

litert = pytest.importorskip("ai_edge_litert.interpreter")
from .test_builder import _pocketml_vs_litert_cases, run_litert  # noqa: E402

F32 = "float32"
RNG = np.random.default_rng(4321)

OP_LIST = """CONV_2D DEPTHWISE_CONV_2D TRANSPOSE_CONV FULLY_CONNECTED BATCH_MATMUL ADD SUB MUL DIV
SQUARED_DIFFERENCE MAXIMUM MINIMUM RELU RELU6 RELU_N1_TO_1 LEAKY_RELU PRELU LOGISTIC TANH HARD_SWISH GELU
EXP LOG SQRT RSQRT ABS NEG POW AVERAGE_POOL_2D MAX_POOL_2D L2_POOL_2D MEAN SUM REDUCE_MAX REDUCE_MIN SOFTMAX
LOG_SOFTMAX L2_NORMALIZATION LOCAL_RESPONSE_NORMALIZATION RESHAPE SQUEEZE EXPAND_DIMS CONCATENATION PACK
UNPACK SPLIT SPLIT_V SLICE STRIDED_SLICE GATHER GATHER_ND TRANSPOSE PAD PADV2 MIRROR_PAD TILE BROADCAST_TO
RESIZE_BILINEAR RESIZE_NEAREST_NEIGHBOR DEPTH_TO_SPACE SPACE_TO_DEPTH CAST ARG_MAX ARG_MIN DEQUANTIZE
DENSIFY BITWISE_XOR RIGHT_SHIFT""".split()


def rand(*shape, low=-1.0, high=1.0):
    return RNG.uniform(low, high, size=shape).astype(np.float32)


def i32(*values):
    return np.array(values, np.int32)


def _output_shapes(data: bytes) -> list:
    it = litert.Interpreter(model_content=data)
    it.allocate_tensors()
    return [tuple(int(d) for d in o["shape"]) for o in it.get_output_details()]


def op_model(op: str, feeds: dict, consts: dict = None, options: dict = None, out: str = F32,
             n_out: int = 1, shape: tuple = None) -> bytes:
    """One op reading the graph inputs `feeds` then the constants `consts`. Outputs have `shape`, else
    the shapes LiteRT infers from a first build with placeholder shapes."""
    ins = {n: (a.dtype.name, a.shape) for n, a in feeds.items()}
    names = [f"y{i}" for i in range(n_out)] if n_out > 1 else ["y"]
    shapes = [shape or (1,)] * n_out
    for _ in range(1 if shape else 2):
        data = single_op_model(op, ins, {n: (out, s) for n, s in zip(names, shapes)}, options, consts)
        shapes = _output_shapes(data)
    return data


def case_adders(cases: list):
    """(add, add_op) appending pytest.param(data, feeds, expected_or_None, tol) cases to ``cases``:
    add takes a built model, add_op builds a one-op model with op_model."""
    def add(case_id, data, feeds, expected=None, tol=1e-5):
        cases.append(pytest.param(data, list(feeds), expected, tol, id=case_id))

    def add_op(case_id, op, feeds: dict, consts=None, options=None, expected=None, tol=1e-5, out=F32, n_out=1):
        shape = None if expected is None else expected.shape
        add(case_id, op_model(op, feeds, consts, options, out, n_out, shape), feeds.values(), expected, tol)
    return add, add_op


CASES = []  # pytest.param(data, feeds, expected_or_None, tol)
add, add_op = case_adders(CASES)


# ---- numpy references for the ops whose semantics we pin down ---------------------------
def np_l2_pool(x, k, s, padding):
    n, h, w, c = x.shape
    out = []
    for size, kk, ss in ((h, k[0], s[0]), (w, k[1], s[1])):
        if padding == "SAME":
            o = -(-size // ss)
            total = max((o - 1) * ss + kk - size, 0)
            out.append((o, total // 2))
        else:
            out.append(((size - kk) // ss + 1, 0))
    (oh, pt), (ow, pl) = out
    y = np.zeros((n, oh, ow, c), np.float64)
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * s[0] - pt, j * s[1] - pl
            win = x[:, max(h0, 0):h0 + k[0], max(w0, 0):w0 + k[1], :].astype(np.float64)
            y[:, i, j] = np.sqrt((win ** 2).mean(axis=(1, 2)))
    return y.astype(np.float32)


def np_lrn(x, radius, bias, alpha, beta):
    sq = x.astype(np.float64) ** 2
    c = x.shape[-1]
    acc = np.stack([sq[..., max(i - radius, 0):i + radius + 1].sum(-1) for i in range(c)], -1)
    return (x / (bias + alpha * acc) ** beta).astype(np.float32)


def np_l2_norm(x):
    norm = np.sqrt((x.astype(np.float64) ** 2).sum(-1, keepdims=True))
    return (x / np.maximum(norm, 1e-6)).astype(np.float32)


def np_gelu(x, approximate):
    x64 = x.astype(np.float64)
    if approximate:
        return (0.5 * x64 * (1 + np.tanh(math.sqrt(2 / math.pi) * (x64 + 0.044715 * x64 ** 3)))).astype(np.float32)
    return (0.5 * x64 * (1 + np.vectorize(math.erf)(x64 / math.sqrt(2)))).astype(np.float32)


# ---- elementwise -------------------------------------------------------------------------
x = rand(2, 3, 4, 5, low=-4, high=4)
for op, fn in [("RELU_N1_TO_1", lambda v: np.clip(v, -1, 1)), ("RELU_0_TO_1", lambda v: np.clip(v, 0, 1)),
               ("ABS", np.abs), ("NEG", np.negative), ("EXP", np.exp), ("RELU", lambda v: np.maximum(v, 0))]:
    add_op(op.lower(), op, {"x": x}, expected=fn(x).astype(np.float32))
xp = rand(3, 7, low=0.05, high=9)
add_op("log", "LOG", {"x": xp}, expected=np.log(xp))
add_op("sqrt", "SQRT", {"x": xp}, expected=np.sqrt(xp))
add_op("rsqrt-wide", "RSQRT", {"x": xp}, expected=(1 / np.sqrt(xp)).astype(np.float32))
add_op("pow-two-inputs", "POW", {"a": xp, "b": rand(1, 7, low=-2, high=2)})
for alpha in (0.2, -0.5, 1.5):
    add_op(f"leaky_relu-{alpha}", "LEAKY_RELU", {"x": x}, options={"alpha": alpha},
           expected=np.where(x >= 0, x, alpha * x).astype(np.float32))
for shape in ((5,), (1, 1, 5), (4, 1)):
    a = rand(*shape, low=-0.5, high=0.5)
    add_op(f"prelu-{'x'.join(map(str, shape))}", "PRELU", {"x": x}, {"alpha": a},
           expected=np.where(x >= 0, x, a * x).astype(np.float32))
for op, fn in (("MAXIMUM", np.maximum), ("MINIMUM", np.minimum)):
    c = rand(4, 1)
    add_op(f"{op.lower()}-const", op, {"x": x}, {"c": c}, expected=fn(x, c))
    a, b = rand(2, 1, 3), rand(4, 1)
    add_op(f"{op.lower()}-two-inputs", op, {"a": a, "b": b}, expected=fn(a, b))
for op, fn in (("ADD", np.add), ("SUB", np.subtract), ("MUL", np.multiply), ("DIV", np.divide)):
    # (a fused TANH is refused at import: LiteRT's float kernels ignore it; see test_fused_tanh_is_refused)
    for act, f in (("RELU_N1_TO_1", lambda v: np.clip(v, -1, 1)), ("RELU", lambda v: np.maximum(v, 0))):
        a, b = rand(2, 3, 4, low=-3, high=3), rand(3, 1, low=0.5, high=2)
        add_op(f"{op.lower()}-{act}", op, {"a": a, "b": b}, options={"fused_activation_function": act},
               expected=f(fn(a, b)).astype(np.float32))
a, b = rand(2, 3, 4), rand(3, 4)
add_op("squared_difference-two-inputs", "SQUARED_DIFFERENCE", {"a": a, "b": b}, expected=np.square(a - b))
for approximate in (False, True):
    g = rand(3, 17, low=-5, high=5)
    add_op(f"gelu-approximate{approximate}", "GELU", {"x": g}, options={"approximate": approximate},
           expected=np_gelu(g, approximate))

# CAST, ARG_MAX, ARG_MIN
f = rand(3, 8, low=-20, high=20)
add_op("cast-f32-i32", "CAST", {"x": f}, out="int32", expected=f.astype(np.int32))
add_op("cast-f32-i64", "CAST", {"x": f}, out="int64", expected=f.astype(np.int64))
n = RNG.integers(-50, 50, size=(4, 5)).astype(np.int32)
add_op("cast-i32-f32", "CAST", {"x": n}, out=F32, expected=n.astype(np.float32))
for op, fn in (("ARG_MAX", np.argmax), ("ARG_MIN", np.argmin)):
    v = rand(3, 4, 5)
    for axis, out in ((1, "int32"), (-1, "int64"), (0, "int64")):
        add_op(f"{op.lower()}-axis{axis}-{out}", op, {"x": v}, {"axis": i32(axis)}, {"output_type": out.upper()},
               out=out, expected=fn(v, axis=axis).astype(out))

# BITWISE_XOR, RIGHT_SHIFT on the integer types LiteRT has (shift amounts inside the width: outside it
# LiteRT's answer is undefined), broadcasting
for dt in ("int8", "uint8", "int16", "int32"):
    info = np.iinfo(dt)
    a = RNG.integers(info.min, info.max, size=(3, 1, 13), endpoint=True).astype(dt)
    b = RNG.integers(info.min, info.max, size=(4, 1), endpoint=True).astype(dt)
    add_op(f"bitwise_xor-{dt}", "BITWISE_XOR", {"a": a, "b": b}, out=dt, expected=np.bitwise_xor(a, b))
    s = RNG.integers(0, info.bits, size=(4, 13)).astype(dt)
    add_op(f"right_shift-{dt}", "RIGHT_SHIFT", {"a": a, "s": s}, out=dt, expected=np.right_shift(a, s))

# ---- conv / pool / normalisation --------------------------------------------------------
for padding, stride, bias, act in (("SAME", 2, True, "NONE"), ("VALID", 2, False, "NONE"), ("SAME", 1, True, "RELU"),
                                   ("VALID", 3, True, "RELU6")):
    xin, w, b = rand(1, 5, 6, 3), rand(4, 3, 3, 3), rand(4)
    h, wd = ((5 * stride, 6 * stride) if padding == "SAME" else ((5 - 1) * stride + 3, (6 - 1) * stride + 3))
    names = ["os", "w", "x"] + (["b"] if bias else [])
    tensors = {"os": ("int32", (4,), i32(1, h, wd, 4)), "w": (F32, w.shape, w), "x": (F32, xin.shape, None),
               "b": (F32, b.shape, b), "y": (F32, (1, h, wd, 4), None)}
    opts = {"padding": padding, "stride_h": stride, "stride_w": stride, "fused_activation_function": act}
    data = build_model([("TRANSPOSE_CONV", names, ["y"], opts)], tensors, ["x"], ["y"])
    add(f"transpose_conv-{padding}-s{stride}-bias{bias}-{act}", data, [xin], tol=2e-5)
xin = rand(1, 6, 5, 3)
for mult, padding, act in ((3, "SAME", "RELU6"), (2, "VALID", "RELU_N1_TO_1")):
    w, b = rand(1, 3, 2, 3 * mult), rand(3 * mult)
    add_op(f"depthwise-mult{mult}-{padding}", "DEPTHWISE_CONV_2D", {"x": xin}, {"w": w, "b": b},
           {"padding": padding, "depth_multiplier": mult, "fused_activation_function": act}, tol=2e-5)
for keep in (True, False):
    v, w = rand(2, 3, 6), rand(4, 6)
    add_op(f"fully_connected-keep{keep}", "FULLY_CONNECTED", {"x": v}, {"w": w, "b": rand(4)},
           {"keep_num_dims": keep, "fused_activation_function": "RELU6"}, tol=2e-5)
a, b = rand(2, 3, 4), rand(2, 4, 5)
add_op("batch_matmul", "BATCH_MATMUL", {"a": a, "b": b}, expected=(a @ b).astype(np.float32))
add_op("batch_matmul-adj_x", "BATCH_MATMUL", {"a": rand(2, 4, 3), "b": b}, options={"adj_x": True})

xin = rand(1, 7, 8, 3, low=-3, high=3)
for k, s, padding, act in (((2, 2), (2, 2), "VALID", "NONE"), ((3, 3), (1, 1), "SAME", "NONE"),
                           ((3, 2), (2, 3), "SAME", "RELU6"), ((2, 3), (1, 2), "VALID", "RELU_N1_TO_1")):
    y = np_l2_pool(xin, k, s, padding)
    y = {"NONE": y, "RELU6": np.clip(y, 0, 6), "RELU_N1_TO_1": np.clip(y, -1, 1)}[act]
    add_op(f"l2_pool-k{k[0]}{k[1]}-s{s[0]}{s[1]}-{padding}-{act}", "L2_POOL_2D", {"x": xin},
           options={"padding": padding, "stride_h": s[0], "stride_w": s[1], "filter_height": k[0],
                    "filter_width": k[1], "fused_activation_function": act}, expected=y)
for kind in ("AVERAGE", "MAX"):
    add_op(f"{kind.lower()}_pool-s2-SAME-RELU_N1_TO_1", f"{kind}_POOL_2D", {"x": xin},
           options={"padding": "SAME", "stride_h": 2, "stride_w": 2, "filter_height": 3, "filter_width": 3,
                    "fused_activation_function": "RELU_N1_TO_1"})

for shape in ((4, 9), (1, 3, 4, 6), (2, 5)):
    v = rand(*shape, low=-2, high=2)
    v[0] *= 1e-8  # a row whose norm is below LiteRT's epsilon
    add_op(f"l2_normalization-{'x'.join(map(str, shape))}", "L2_NORMALIZATION", {"x": v}, expected=np_l2_norm(v))
for radius, bias, alpha, beta in ((0, 1.0, 1.0, 0.5), (1, 2.0, 0.3, 0.75), (2, 0.5, 0.1, 1.0), (5, 1.0, 0.05, 0.6)):
    v = rand(2, 3, 4, 7, low=-2, high=2)
    add_op(f"lrn-r{radius}-b{bias}-a{alpha}-beta{beta}", "LOCAL_RESPONSE_NORMALIZATION", {"x": v},
           options={"radius": radius, "bias": bias, "alpha": alpha, "beta": beta},
           expected=np_lrn(v, radius, bias, alpha, beta))
v = rand(2, 4, 9, low=-3, high=3)
add_op("softmax-beta2.5-rank3", "SOFTMAX", {"x": v}, options={"beta": 2.5})
add_op("log_softmax-rank3", "LOG_SOFTMAX", {"x": v})
for op in ("MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN"):
    add_op(f"{op.lower()}-axis02", op, {"x": v}, {"axes": i32(0, -1)}, {"keep_dims": True})

# ---- data movement ---------------------------------------------------------------------
x3 = rand(3, 4, 5)
x4 = rand(2, 3, 4, 5)
for begin, size, dt in (((1, 0, 2), (2, -1, 3), np.int32), ((0, 3, 0), (-1, 1, -1), np.int64),
                        ((2, 1, 4), (1, 2, 1), np.int32)):
    y = x3[tuple(slice(b, x3.shape[i] if s == -1 else b + s) for i, (b, s) in enumerate(zip(begin, size)))]
    add_op(f"slice-{'_'.join(map(str, begin))}-{'_'.join(map(str, size))}-{np.dtype(dt).name}", "SLICE",
           {"x": x3}, {"b": np.array(begin, dt), "s": np.array(size, dt)}, expected=y)

# STRIDED_SLICE with ellipsis / new axes: (python index, begin, end, strides, masks)
E = Ellipsis
for i, (index, begin, end, strides, masks) in enumerate([
        ((E, slice(1, 3)), [0, 1], [0, 3], [1, 1], {"ellipsis_mask": 0b01}),
        ((slice(1, None), E), [1, 0], [0, 0], [1, 1], {"ellipsis_mask": 0b10, "end_mask": 0b01}),
        ((None, E, slice(None, None, -1)), [0, 0, 0], [0, 0, 0], [1, 1, -1],
         {"new_axis_mask": 0b001, "ellipsis_mask": 0b010, "begin_mask": 0b100, "end_mask": 0b100}),
        ((slice(None), None, 2, slice(None)), [0, 0, 2, 0], [0, 0, 3, 0], [1, 1, 1, 1],
         {"new_axis_mask": 0b0010, "shrink_axis_mask": 0b0100, "begin_mask": 0b1001, "end_mask": 0b1001}),
        ((E, None), [0, 0], [0, 0], [1, 1], {"ellipsis_mask": 0b01, "new_axis_mask": 0b10}),
        ((None, 1), [0, 1], [0, 2], [1, 1], {"new_axis_mask": 0b01, "shrink_axis_mask": 0b10}),
        ((1, E, None, slice(-1, None, -2)), [1, 0, 0, -1], [2, 0, 0, 0], [1, 1, 1, -2],
         {"shrink_axis_mask": 0b0001, "ellipsis_mask": 0b0010, "new_axis_mask": 0b0100, "end_mask": 0b1000}),
        ((slice(-1, 0, -1), E, slice(1, -1), None), [-1, 0, 1, 0], [0, 0, -1, 0], [-1, 1, 1, 1],
         {"ellipsis_mask": 0b0010, "new_axis_mask": 0b1000}),
        ((E, slice(0, 4, 3), slice(None)), [0, 0, 0], [0, 4, 0], [1, 3, 1],
         {"ellipsis_mask": 0b001, "begin_mask": 0b100, "end_mask": 0b100}),
        ((None, None, 0, E), [0, 0, 0, 0], [0, 0, 1, 0], [1, 1, 1, 1],
         {"new_axis_mask": 0b0011, "shrink_axis_mask": 0b0100, "ellipsis_mask": 0b1000})]):
    src = x4 if i in (6, 7, 9) else x3
    arrays = {"b": i32(*begin), "e": i32(*end), "s": i32(*strides)}
    add_op(f"strided_slice-ellipsis-newaxis-{i}", "STRIDED_SLICE", {"x": src}, arrays, masks, expected=src[index])
# new_axis and ellipsis on the same spec: the ellipsis wins (TFLite ignores the new axis there)
add_op("strided_slice-newaxis-on-ellipsis", "STRIDED_SLICE", {"x": x3}, {"b": i32(0, 1), "e": i32(0, 3),
                                                                        "s": i32(1, 1)},
       {"ellipsis_mask": 0b01, "new_axis_mask": 0b01}, expected=x3[..., 1:3])

for shape, pads in (((1, 4, 5, 2), [[0, 0], [1, 2], [2, 1], [0, 0]]), ((3, 4), [[3, 0], [4, 4]]),
                    ((2, 3, 4), [[1, 1], [0, 3], [2, 0]]), ((5,), [[0, 0]])):
    v = rand(*shape)
    p = np.array(pads, np.int32)
    add_op(f"mirror_pad-symmetric-{'x'.join(map(str, shape))}", "MIRROR_PAD", {"x": v}, {"p": p},
           {"mode": "SYMMETRIC"}, expected=np.pad(v, p, mode="symmetric"))
v = rand(3, 4)
p = np.array([[2, 1], [3, 3]], np.int32)
add_op("mirror_pad-reflect-max", "MIRROR_PAD", {"x": v}, {"p": p}, {"mode": "REFLECT"},
       expected=np.pad(v, p, mode="reflect"))
p = np.array([[1, 0], [0, 2], [2, 2]], np.int32)
add_op("padv2-value", "PADV2", {"x": x3}, {"p": p, "c": np.array([-2.5], np.float32)},
       expected=np.pad(x3, p, constant_values=-2.5))
add_op("pad-rank3", "PAD", {"x": x3}, {"p": p}, expected=np.pad(x3, p))

for shape, target in (((3, 1), (2, 3, 4)), ((4,), (2, 3, 4)), ((1, 1, 5), (3, 2, 5)), ((2, 1, 3, 1), (2, 4, 3, 2)),
                      ((2, 3), (2, 3))):
    v = rand(*shape)
    add_op(f"broadcast_to-{'x'.join(map(str, shape))}-{'x'.join(map(str, target))}", "BROADCAST_TO", {"x": v},
           {"shape": i32(*target)}, expected=np.broadcast_to(v, target).copy())

params = rand(4, 5, 3)
for idx in ([[1, 2], [3, 0]], [[[2]], [[0]]], [[3, 4, 2], [0, 0, 0], [1, 2, 1]]):
    idx = np.array(idx, np.int32)
    add_op(f"gather_nd-{'x'.join(map(str, idx.shape))}", "GATHER_ND", {"x": params}, {"i": idx},
           expected=params[tuple(np.moveaxis(idx, -1, 0))])
idx = np.array([[1, 4], [0, 0], [3, 2]], np.int32)
add_op("gather_nd-runtime-indices", "GATHER_ND", {"x": params, "i": idx}, expected=params[idx[:, 0], idx[:, 1]])
add_op("gather-axis-neg", "GATHER", {"x": params}, {"i": i32(2, 0, 2)}, {"axis": -1})
add_op("tile-rank2", "TILE", {"x": rand(2, 3)}, {"m": i32(3, 2)})
add_op("transpose-rank3", "TRANSPOSE", {"x": x3}, {"p": i32(2, 0, 1)}, expected=x3.transpose(2, 0, 1))
add_op("reshape-minus1", "RESHAPE", {"x": x3}, {"s": i32(-1, 10)}, expected=x3.reshape(-1, 10))
add_op("squeeze-neg", "SQUEEZE", {"x": rand(3, 1, 4, 1)}, options={"squeeze_dims": [-1]})
add_op("expand_dims-0", "EXPAND_DIMS", {"x": x3}, {"a": i32(0)}, expected=x3[None])
add_op("concatenation-3", "CONCATENATION", {"a": x3, "b": rand(3, 2, 5), "c": rand(3, 1, 5)},
       options={"axis": 1})
add_op("pack-axis-last", "PACK", {"a": x3, "b": rand(3, 4, 5)}, options={"values_count": 2, "axis": -1})
add_op("unpack-axis2", "UNPACK", {"x": rand(2, 3, 3)}, options={"num": 3, "axis": 2}, n_out=3)
add(
    "split-neg-axis",
    build_model([("SPLIT", ["a", "x"], ["y0", "y1"], {"num_splits": 2})],
                {"a": ("int32", (), np.array(-1, np.int32)), "x": (F32, (3, 4), None),
                 "y0": (F32, (3, 2), None), "y1": (F32, (3, 2), None)}, ["x"], ["y0", "y1"]),
    [rand(3, 4)])
add(
    "split_v-3",
    build_model([("SPLIT_V", ["x", "s", "a"], ["y0", "y1", "y2"], {"num_splits": 3})],
                {"x": (F32, (6, 2), None), "s": ("int32", (3,), i32(1, 3, 2)), "a": ("int32", (), np.array(0, np.int32)),
                 "y0": (F32, (1, 2), None), "y1": (F32, (3, 2), None), "y2": (F32, (2, 2), None)},
                ["x"], ["y0", "y1", "y2"]),
    [rand(6, 2)])

xin = rand(1, 4, 6, 3)
for size, opts in (((8, 12), {}), ((7, 9), {"align_corners": True}), ((8, 12), {"half_pixel_centers": True}),
                   ((3, 4), {"half_pixel_centers": True}), ((2, 5), {}), ((5, 5), {"align_corners": True})):
    tag = "-".join(opts) or "default"
    add_op(f"resize_nearest-{size[0]}x{size[1]}-{tag}", "RESIZE_NEAREST_NEIGHBOR", {"x": xin},
           {"size": i32(*size)}, opts)
add_op("resize_bilinear-align-down", "RESIZE_BILINEAR", {"x": xin}, {"size": i32(3, 4)}, {"align_corners": True})
for bs in (2, 3):
    v = rand(2, 2, 3, 4 * bs * bs // 2)
    add_op(f"depth_to_space-b{bs}", "DEPTH_TO_SPACE", {"x": v}, options={"block_size": bs})
    v = rand(2, 2 * bs, 3 * bs, 2)
    add_op(f"space_to_depth-b{bs}", "SPACE_TO_DEPTH", {"x": v}, options={"block_size": bs})

# DEQUANTIZE of FP16 weights, DENSIFY of CSR-sparse weights, each feeding an op
w16 = rand(3, 4).astype(np.float16)
data = build_model([("DEQUANTIZE", ["w16"], ["w"], None), ("ADD", ["x", "w"], ["y"], None)],
                   {"x": (F32, (2, 3, 4), None), "w16": ("float16", (3, 4), w16), "w": (F32, (3, 4), None),
                    "y": (F32, (2, 3, 4), None)}, ["x"], ["y"])
v = rand(2, 3, 4)
add("dequantize-fp16-add", data, [v], v + w16.astype(np.float32))
w16 = rand(5, 1, 1, 3).astype(np.float16)
data = build_model([("DEQUANTIZE", ["w16"], ["w"], None), ("CONV_2D", ["x", "w", "b"], ["y"], {"padding": "VALID"})],
                   {"x": (F32, (1, 4, 4, 3), None), "w16": ("float16", w16.shape, w16), "w": (F32, w16.shape, None),
                    "b": (F32, (5,), rand(5)), "y": (F32, (1, 4, 4, 5), None)}, ["x"], ["y"])
add("dequantize-fp16-conv", data, [rand(1, 4, 4, 3)])
dense = rand(4, 6) * (RNG.random((4, 6)) < 0.4)
dense[2] = 0  # an empty row
values, sparsity = csr_sparsity(dense)
data = build_model([("DENSIFY", ["ws"], ["w"], None), ("FULLY_CONNECTED", ["x", "w", None], ["y"], None)],
                   {"x": (F32, (3, 6), None), "ws": (F32, (4, 6), values, sparsity), "w": (F32, (4, 6), None),
                    "y": (F32, (3, 4), None)}, ["x"], ["y"])
v = rand(3, 6)
add("densify-csr-fully_connected", data, [v], (v @ dense.T).astype(np.float32))


# ---- tests ---------------------------------------------------------------------------------
def check_litert_matches_numpy(data, feeds, expected, tol):
    got = run_litert(data, feeds)[0]
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert_close(got, expected, tol)


def assert_close(got, want, tol, err_msg=""):
    """Floats within tol; integers and bools exactly."""
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=err_msg)
    else:
        np.testing.assert_array_equal(got, want, err_msg=err_msg)


def check_pocketml_matches_litert(tmp_path, data, feeds, tol):
    import pocketml

    path = tmp_path / "model.tflite"
    path.write_bytes(data)
    session = pocketml.Session(pocketml.convert(path))
    got = session.run({i.name: v for i, v in zip(session.inputs, feeds)})
    want = run_litert(data, feeds)
    assert len(session.outputs) == len(want)
    for out, w in zip(session.outputs, want):
        g = got[out.name]
        assert g.shape == w.shape and g.dtype == w.dtype, (out.name, g.shape, g.dtype, w.shape, w.dtype)
        assert_close(g, w, tol, out.name)


def litert_tests(cases: list) -> tuple:
    """The two tests of a case list, for a test module to bind as test_litert_matches_numpy and
    test_pocketml_matches_litert: LiteRT against the numpy expectation (where a case has one) and
    pocketml against LiteRT."""
    @pytest.mark.parametrize("data,feeds,expected,tol", [c for c in cases if c.values[2] is not None])
    def litert_matches_numpy(data, feeds, expected, tol):
        check_litert_matches_numpy(data, feeds, expected, tol)

    @pytest.mark.parametrize("data,feeds,expected,tol", cases)
    def pocketml_matches_litert(tmp_path, data, feeds, expected, tol):
        check_pocketml_matches_litert(tmp_path, data, feeds, tol)
    return litert_matches_numpy, pocketml_matches_litert


test_litert_matches_numpy, test_pocketml_matches_litert = litert_tests(CASES)


def _op_names(data: bytes) -> set:
    by_code = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
    return {by_code[max(codes)] for codes in read_opcodes(data)}


def test_op_list_supported_and_covered():
    from pocketml.converters.tflite.importer import supported_ops

    from . import test_ops_index, test_ops_logic, test_ops_recurrent, test_ops_select, test_ops_space

    modules = (test_ops_logic, test_ops_index, test_ops_space, test_ops_select, test_ops_recurrent)
    promised = set(OP_LIST).union(*(m.OP_LIST for m in modules))
    missing = sorted(promised - set(supported_ops()))
    assert not missing, f"ops the importer should support but does not: {missing}"
    covered = set()
    for case in CASES + [c for m in modules for c in m.CASES] + _pocketml_vs_litert_cases():
        covered |= _op_names(case.values[0])
    untested = sorted(promised - covered)
    assert not untested, f"ops without a pocketml-vs-LiteRT builder case: {untested}"


def test_l2_normalization_fused_activation(tmp_path):
    """LiteRT refuses a fused activation on L2_NORMALIZATION; pocketml applies it (checked with numpy)."""
    import pocketml

    v = rand(3, 8, low=-2, high=2)
    data = single_op_model("L2_NORMALIZATION", {"x": (F32, v.shape)}, {"y": (F32, v.shape)},
                           {"fused_activation_function": "RELU"})
    with pytest.raises(RuntimeError):
        run_litert(data, [v])
    path = tmp_path / "l2norm_relu.tflite"
    path.write_bytes(data)
    session = pocketml.Session(pocketml.convert(path))
    got = session.run({session.inputs[0].name: v})[session.outputs[0].name]
    np.testing.assert_allclose(got, np.maximum(np_l2_norm(v), 0), rtol=1e-5, atol=1e-6)


# ---- errors ----------------------------------------------------------------------------------
def test_unsupported_builtin_names_op_index_and_supported_list():
    from pocketml.converters.tflite import import_tflite
    from pocketml.errors import UnsupportedOpError

    data = build_model([("RELU", ["x"], ["t"], None), ("SVDF", ["t"], ["y"], None)],
                       {"x": (F32, (2, 3), None), "t": (F32, (2, 3), None), "y": (F32, (2, 3), None)}, ["x"], ["y"])
    with pytest.raises(UnsupportedOpError) as e:
        import_tflite(data)
    msg = str(e.value)
    assert "operator 1: builtin op SVDF (version 1) is not supported" in msg
    assert "supported builtin ops: " in msg and "STRIDED_SLICE" in msg and "L2_POOL_2D" in msg


@pytest.mark.parametrize("op,options,consts,what", [
    ("STRIDED_SLICE", {"shrink_axis_mask": 1}, {"b": i32(2), "e": i32(1), "s": i32(-1)}, "negative stride"),
    ("STRIDED_SLICE", {"ellipsis_mask": 0b11}, {"b": i32(0, 0), "e": i32(0, 0), "s": i32(1, 1)}, "more than one bit"),
    ("SLICE", None, {"b": i32(1, 2), "s": i32(1, 0)}, "empty result"),
    ("BROADCAST_TO", None, {"shape": i32(3, 2)}, "does not broadcast"),
    ("MIRROR_PAD", {"mode": "REFLECT"}, {"p": np.array([[0, 0], [4, 0]], np.int32)}, "exceed"),
])
def test_bad_parameters_are_named(op, options, consts, what):
    from pocketml.converters.tflite import import_tflite
    from pocketml.errors import ConversionError

    data = single_op_model(op, {"x": (F32, (3, 4))}, {"y": (F32, (3, 4))}, options, consts)
    with pytest.raises(ConversionError, match=rf"operator 0 \({op}, version \d+\).*{what}"):
        import_tflite(data)


@pytest.mark.parametrize("op", ["ADD", "CONV_2D", "MAX_POOL_2D"])
def test_fused_tanh_is_refused(op):
    """LiteRT's float kernels skip a fused TANH (their activation range knows only the ReLUs),
    so pocketml refuses the model rather than pick one reading."""
    from pocketml.converters.tflite import import_tflite
    from pocketml.errors import UnsupportedOpError

    if op == "ADD":
        data = single_op_model(op, {"x": (F32, (2, 3))}, {"y": (F32, (2, 3))},
                               {"fused_activation_function": "TANH"}, {"c": np.ones((2, 3), np.float32)})
    elif op == "CONV_2D":
        data = single_op_model(op, {"x": (F32, (1, 4, 4, 2))}, {"y": (F32, (1, 4, 4, 3))},
                               {"padding": "SAME", "fused_activation_function": "TANH"},
                               {"w": np.ones((3, 1, 1, 2), np.float32), "b": np.zeros(3, np.float32)})
    else:
        data = single_op_model(op, {"x": (F32, (1, 4, 4, 2))}, {"y": (F32, (1, 2, 2, 2))},
                               {"padding": "VALID", "filter_height": 2, "filter_width": 2, "stride_h": 2,
                                "stride_w": 2, "fused_activation_function": "TANH"}, {})
    with pytest.raises(UnsupportedOpError, match=rf"operator 0 \({op}.*fused activation TANH is not supported"):
        import_tflite(data)


def test_signature_and_metadata_survive_into_the_pml(tmp_path):
    """The SignatureDef (checked with LiteRT's own signature runner) and text metadata land in the
    .pml's metadata, and a signature's names lead to the right pocketml tensors."""
    import json

    import pocketml
    from ai_edge_litert.interpreter import Interpreter

    tensors = {"x": (F32, (2, 3), None), "y": (F32, (2, 3), None), "z": (F32, (2, 3), None)}
    data = build_model([("RELU", ["x"], ["y"], None), ("NEG", ["x"], ["z"], None)], tensors, ["x"], ["y", "z"],
                       signature=("serving_default", {"pixels": "x"}, {"rectified": "y", "negated": "z"}),
                       metadata={"min_runtime_version": b"2.3.0\0\0", "blob": bytes(range(40))},
                       description="two heads")
    src = tmp_path / "two_heads.tflite"
    src.write_bytes(data)
    v = rand(2, 3, low=-2, high=2)
    runner = Interpreter(model_path=str(src)).get_signature_runner("serving_default")
    expected = runner(pixels=v)

    model = pocketml.convert(str(src))
    model.save(str(tmp_path / "m.pml"))
    meta = pocketml.Model.load(str(tmp_path / "m.pml")).metadata
    assert meta["tflite.description"] == "two heads" and meta["tflite.version"] == "3"
    assert meta["tflite.metadata.min_runtime_version"] == "2.3.0"
    assert meta["tflite.metadata.blob"] == "<40 bytes>"
    sig = json.loads(meta["tflite.signature"])
    assert sig["key"] == "serving_default" and sig["inputs"] == {"pixels": "x"}
    session = pocketml.Session(str(tmp_path / "m.pml"))
    got = session.run({sig["inputs"]["pixels"]: v})
    for name, tensor in sig["outputs"].items():
        np.testing.assert_allclose(got[tensor], expected[name], rtol=0, atol=0)
