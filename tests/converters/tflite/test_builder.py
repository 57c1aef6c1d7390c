"""tests/converters/tflite/tflite_builder.py writes valid .tflite models.

Every built model is loaded and run by the LiteRT interpreter and its result
compared with a numpy computation of the op, so these tests prove the builder
(not pocketml). The last tests convert built models with pocketml's TFLite
importer and compare pocketml.Session with LiteRT; they skip while the
importer (pocketml.converters.tflite) does not exist. More per-op cases (and
the check that every promised op has one) are in test_ops.py.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from .tflite_builder import build_model, read_opcodes, single_op_model

litert = pytest.importorskip("ai_edge_litert.interpreter")

F32 = "float32"
RNG = np.random.default_rng(1234)


def rand(*shape, low=-1.0, high=1.0):
    return RNG.uniform(low, high, size=shape).astype(np.float32)


def run_litert(data: bytes, feeds: list, threads: int = 1) -> list:
    it = litert.Interpreter(model_content=data, num_threads=threads)
    it.allocate_tensors()
    for d, x in zip(it.get_input_details(), feeds):
        it.set_tensor(d["index"], x)
    it.invoke()
    return [it.get_tensor(d["index"]).copy() for d in it.get_output_details()]


# ---- numpy references (NHWC, TFLite semantics) ------------------------------------------
ACT = {
    None: lambda y: y, "NONE": lambda y: y,
    "RELU": lambda y: np.maximum(y, 0), "RELU6": lambda y: np.clip(y, 0, 6),
    "RELU_N1_TO_1": lambda y: np.clip(y, -1, 1), "TANH": np.tanh,
}


def _same_pads(size, k, s, d):
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return out, total // 2, total - total // 2


def _windows(x, kh, kw, sh, sw, dh, dw, padding, fill):
    """x (N,H,W,C) -> patches (N,OH,OW,KH,KW,C), padded with `fill`."""
    n, h, w, c = x.shape
    if padding == "SAME":
        oh, pt, pb = _same_pads(h, kh, sh, dh)
        ow, pl, pr = _same_pads(w, kw, sw, dw)
    else:
        oh, pt, pb = (h - (kh - 1) * dh - 1) // sh + 1, 0, 0
        ow, pl, pr = (w - (kw - 1) * dw - 1) // sw + 1, 0, 0
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=fill)
    out = np.empty((n, oh, ow, kh, kw, c), x.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, :, i, j, :] = xp[:, i * dh: i * dh + (oh - 1) * sh + 1: sh, j * dw: j * dw + (ow - 1) * sw + 1: sw, :]
    return out


def np_conv2d(x, w, b, stride=(1, 1), dilation=(1, 1), padding="VALID", act=None):
    p = _windows(x, w.shape[1], w.shape[2], *stride, *dilation, padding, 0.0)
    y = np.einsum("nhwijc,oijc->nhwo", p.astype(np.float64), w.astype(np.float64)) + b
    return ACT[act](y).astype(np.float32)


def np_depthwise(x, w, b, mult, stride=(1, 1), dilation=(1, 1), padding="VALID", act=None):
    p = _windows(x, w.shape[1], w.shape[2], *stride, *dilation, padding, 0.0).astype(np.float64)
    p = np.repeat(p, mult, axis=-1)  # output channel c*mult+m reads input channel c
    y = np.einsum("nhwijc,ijc->nhwc", p, w[0].astype(np.float64)) + b
    return ACT[act](y).astype(np.float32)


def np_pool(x, kind, k, s, padding, act=None):
    if kind == "MAX":
        y = _windows(x, *k, *s, 1, 1, padding, -np.inf).max(axis=(3, 4))
    else:  # TFLite averages over the in-bounds part of the window only
        total = _windows(x, *k, *s, 1, 1, padding, 0.0).sum(axis=(3, 4))
        count = _windows(np.ones_like(x[..., :1]), *k, *s, 1, 1, padding, 0.0).sum(axis=(3, 4))
        y = total / count
    return ACT[act](y).astype(np.float32)


def np_resize_bilinear(x, oh, ow, align_corners=False, half_pixel_centers=False):
    n, h, w, c = x.shape

    def coords(out, size):
        if align_corners and out > 1:
            scale = (size - 1) / (out - 1)
        else:
            scale = size / out
        v = np.arange(out, dtype=np.float64)
        v = (v + 0.5) * scale - 0.5 if half_pixel_centers else v * scale
        fl = np.floor(v)
        lo = np.maximum(fl, 0).astype(int)
        hi = np.minimum(np.ceil(v), size - 1).astype(int)
        return lo, hi, v - fl

    y0, y1, dy = coords(oh, h)
    x0, x1, dx = coords(ow, w)
    dy, dx = dy[None, :, None, None], dx[None, None, :, None]
    top = x[:, y0][:, :, x0] * (1 - dx) + x[:, y0][:, :, x1] * dx
    bot = x[:, y1][:, :, x0] * (1 - dx) + x[:, y1][:, :, x1] * dx
    return (top * (1 - dy) + bot * dy).astype(np.float32)


def np_softmax(x, beta=1.0):
    z = beta * x.astype(np.float64)
    e = np.exp(z - z.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)).astype(np.float32)


# ---- single-op cases: (id, model bytes, feeds, numpy expected) -------------------------
def _cases():
    cases = []

    def add(case_id, data, feeds, expected, tol=1e-5):
        cases.append(pytest.param(data, feeds, expected, tol, id=case_id))

    # CONV_2D: SAME/VALID, strides, dilation, fused activations
    for padding, stride, dil, act in [("SAME", (1, 1), (1, 1), None), ("SAME", (2, 2), (1, 1), "RELU6"),
                                      ("VALID", (2, 1), (1, 1), "RELU"), ("VALID", (1, 1), (2, 2), "RELU_N1_TO_1"),
                                      ("SAME", (1, 1), (2, 3), None)]:
        x, w, b = rand(1, 9, 10, 3), rand(5, 3, 3, 3), rand(5)
        y = np_conv2d(x, w, b, stride, dil, padding, act)
        data = single_op_model("CONV_2D", {"x": (F32, x.shape)}, {"y": (F32, y.shape)},
                               {"padding": padding, "stride_h": stride[0], "stride_w": stride[1],
                                "dilation_h_factor": dil[0], "dilation_w_factor": dil[1],
                                "fused_activation_function": act or "NONE"}, {"w": w, "b": b})
        add(f"conv2d-{padding}-s{stride[0]}{stride[1]}-d{dil[0]}{dil[1]}-{act}", data, [x], y, 1e-4)

    # DEPTHWISE_CONV_2D, multiplier 1 and 2
    for mult, padding, stride, act in [(1, "SAME", (1, 1), "RELU6"), (2, "VALID", (2, 2), None),
                                       (1, "SAME", (2, 2), "RELU")]:
        x = rand(1, 8, 7, 4)
        w, b = rand(1, 3, 3, 4 * mult), rand(4 * mult)
        y = np_depthwise(x, w, b, mult, stride, (1, 1), padding, act)
        data = single_op_model("DEPTHWISE_CONV_2D", {"x": (F32, x.shape)}, {"y": (F32, y.shape)},
                               {"padding": padding, "stride_h": stride[0], "stride_w": stride[1],
                                "depth_multiplier": mult, "fused_activation_function": act or "NONE"},
                               {"w": w, "b": b})
        add(f"depthwise-m{mult}-{padding}-s{stride[0]}-{act}", data, [x], y, 1e-4)

    # FULLY_CONNECTED (weights O x I), keep_num_dims, no bias (input -1)
    x, w, b = rand(2, 3, 16), rand(8, 16), rand(8)
    y = np.maximum(x.reshape(-1, 16) @ w.T + b, 0).astype(np.float32)
    data = build_model([("FULLY_CONNECTED", ["x", "w", "b"], ["y"], {"fused_activation_function": "RELU"})],
                       {"x": (F32, x.shape, None), "w": (F32, w.shape, w), "b": (F32, b.shape, b),
                        "y": (F32, y.shape, None)}, ["x"], ["y"])
    add("fully_connected-relu", data, [x], y, 1e-4)
    y = (x @ w.T).astype(np.float32)
    data = build_model([("FULLY_CONNECTED", ["x", "w", None], ["y"], {"keep_num_dims": True})],
                       {"x": (F32, x.shape, None), "w": (F32, w.shape, w), "y": (F32, y.shape, None)}, ["x"], ["y"])
    add("fully_connected-keepdims-nobias", data, [x], y, 1e-4)

    # ADD/SUB/MUL/DIV with broadcasting and fused activation; second operand constant or input
    fns = {"ADD": np.add, "SUB": np.subtract, "MUL": np.multiply, "DIV": np.divide}
    for op, fn in fns.items():
        for act in (None, "RELU", "RELU6"):
            a, c = rand(1, 4, 5, 3), rand(3, low=0.5, high=2.0)
            y = ACT[act](fn(a, c)).astype(np.float32)
            data = single_op_model(op, {"a": (F32, a.shape)}, {"y": (F32, y.shape)},
                                   {"fused_activation_function": act or "NONE"}, {"c": c})
            add(f"{op.lower()}-const-{act}", data, [a], y)
        a, c = rand(2, 1, 3), rand(1, 4, 1, low=0.5, high=2.0)
        y = fn(a, c).astype(np.float32)
        data = single_op_model(op, {"a": (F32, a.shape), "c": (F32, c.shape)}, {"y": (F32, y.shape)})
        add(f"{op.lower()}-two-inputs-broadcast", data, [a, c], y)

    # pools
    for kind, k, s, padding, act in [("MAX", (2, 2), (2, 2), "VALID", None), ("MAX", (3, 3), (2, 2), "SAME", "RELU"),
                                     ("AVERAGE", (3, 3), (1, 1), "SAME", None),
                                     ("AVERAGE", (2, 3), (2, 2), "VALID", "RELU6")]:
        x = rand(1, 9, 8, 3, low=-2, high=8)
        y = np_pool(x, kind, k, s, padding, act)
        data = single_op_model(f"{kind}_POOL_2D", {"x": (F32, x.shape)}, {"y": (F32, y.shape)},
                               {"padding": padding, "stride_h": s[0], "stride_w": s[1], "filter_height": k[0],
                                "filter_width": k[1], "fused_activation_function": act or "NONE"})
        add(f"{kind.lower()}_pool-k{k[0]}{k[1]}-{padding}-{act}", data, [x], y)

    # RESHAPE: new_shape option only, and a shape tensor
    x = rand(1, 2, 3, 4)
    data = single_op_model("RESHAPE", {"x": (F32, x.shape)}, {"y": (F32, (1, 6, 4))}, {"new_shape": [1, 6, 4]})
    add("reshape-option", data, [x], x.reshape(1, 6, 4))
    data = single_op_model("RESHAPE", {"x": (F32, x.shape)}, {"y": (F32, (2, 12))}, {"new_shape": [2, 12]},
                           {"shape": np.array([2, -1], np.int32)})
    add("reshape-shape-tensor", data, [x], x.reshape(2, 12))

    # CONCATENATION (negative axis, fused activation)
    a, c = rand(1, 3, 4, 2), rand(1, 3, 4, 5)
    data = single_op_model("CONCATENATION", {"a": (F32, a.shape), "c": (F32, c.shape)}, {"y": (F32, (1, 3, 4, 7))},
                           {"axis": -1})  # (LiteRT ignores a fused activation on CONCATENATION)
    add("concat-axis-1", data, [a, c], np.concatenate([a, c], -1))
    consts = rand(1, 3, 4, 2)
    data = build_model([("CONCATENATION", ["a", "k"], ["y"], {"axis": 1})],
                       {"a": (F32, a.shape, None), "k": (F32, consts.shape, consts), "y": (F32, (1, 6, 4, 2), None)},
                       ["a"], ["y"])
    add("concat-axis1-const", data, [a], np.concatenate([a, consts], 1))

    # SOFTMAX with beta
    for beta in (1.0, 0.5):
        x = rand(2, 10, low=-4, high=4)
        data = single_op_model("SOFTMAX", {"x": (F32, x.shape)}, {"y": (F32, x.shape)}, {"beta": beta})
        add(f"softmax-beta{beta}", data, [x], np_softmax(x, beta), 1e-5)

    # PAD
    x = rand(1, 3, 4, 2)
    pads = np.array([[0, 0], [1, 2], [2, 0], [0, 1]], np.int32)
    data = single_op_model("PAD", {"x": (F32, x.shape)}, {"y": (F32, (1, 6, 6, 3))}, None, {"p": pads})
    add("pad", data, [x], np.pad(x, pads))

    # MEAN over H,W (keep_dims both ways) and SUM
    x = rand(2, 5, 6, 3)
    for keep in (True, False):
        y = x.mean(axis=(1, 2), keepdims=keep)
        data = single_op_model("MEAN", {"x": (F32, x.shape)}, {"y": (F32, y.shape)}, {"keep_dims": keep},
                               {"axes": np.array([1, 2], np.int32)})
        add(f"mean-keep{keep}", data, [x], y)
    data = single_op_model("SUM", {"x": (F32, x.shape)}, {"y": (F32, (2, 5, 6))}, {"keep_dims": False},
                           {"axes": np.array([-1], np.int32)})
    add("sum-last", data, [x], x.sum(-1))

    # STRIDED_SLICE: strides, negative indices, begin/end masks, shrink axis
    x = rand(2, 6, 7, 4)
    ss = [({}, [0, 1, 0, 1], [2, 6, 7, 4], [1, 2, 3, 1], x[0:2, 1:6:2, 0:7:3, 1:4]),
          ({"begin_mask": 0b0001, "end_mask": 0b0001}, [1, 1, -5, 0], [0, -1, 6, 3], [1, 1, 1, 1],
           x[:, 1:-1, -5:6, 0:3]),
          ({"begin_mask": 0b0101, "end_mask": 0b0011}, [1, 1, -5, 0], [0, -1, 6, 3], [1, 1, 1, 1], x[:, 1:, :6, 0:3]),
          ({"shrink_axis_mask": 0b0001}, [1, 0, 0, 0], [2, 6, 7, 4], [1, 1, 1, 1], x[1]),
          ({}, [1, 5, 6, 3], [0, 0, 0, 0], [-1, -2, -3, -1], x[1:0:-1, 5:0:-2, 6:0:-3, 3:0:-1])]
    for i, (opts, begin, end, strides, y) in enumerate(ss):
        data = single_op_model("STRIDED_SLICE", {"x": (F32, x.shape)}, {"y": (F32, y.shape)}, opts,
                               {"begin": np.array(begin, np.int32), "end": np.array(end, np.int32),
                                "strides": np.array(strides, np.int32)})
        add(f"strided_slice-{i}", data, [x], y)

    # TRANSPOSE
    x = rand(2, 3, 4, 5)
    for perm in ([0, 3, 1, 2], [3, 2, 1, 0]):
        y = x.transpose(perm)
        data = single_op_model("TRANSPOSE", {"x": (F32, x.shape)}, {"y": (F32, y.shape)}, None,
                               {"perm": np.array(perm, np.int32)})
        add(f"transpose-{''.join(map(str, perm))}", data, [x], y)

    # more STRIDED_SLICE: shrink on two axes with end_mask, fewer spec dims than rank, offset
    x = rand(3, 5, 6)
    for i, (opts, begin, end, strides, y) in enumerate([
            ({"shrink_axis_mask": 0b101, "end_mask": 0b010}, [-1, 2, 4], [0, 0, 0], [1, 1, 1], x[-1, 2:, 4]),
            ({}, [1, -4], [3, 5], [1, 2], x[1:3, -4:5:2]),
            ({"begin_mask": 0b10, "end_mask": 0b100}, [0, 9, 1], [2, -9, 0], [2, -1, 1], x[0:2:2, ::-1, 1:])]):
        data = single_op_model("STRIDED_SLICE", {"x": (F32, x.shape)}, {"y": (F32, y.shape)}, opts,
                               {"begin": np.array(begin, np.int32), "end": np.array(end, np.int32),
                                "strides": np.array(strides, np.int32)})
        add(f"strided_slice-more-{i}", data, [x], y)

    # LOG_SOFTMAX, REDUCE_MAX / REDUCE_MIN
    x = rand(2, 4, 5, low=-3, high=3)
    z = x.astype(np.float64) - x.max(-1, keepdims=True)
    data = single_op_model("LOG_SOFTMAX", {"x": (F32, x.shape)}, {"y": (F32, x.shape)})
    add("log_softmax", data, [x], (z - np.log(np.exp(z).sum(-1, keepdims=True))).astype(np.float32))
    for op, fn in (("REDUCE_MAX", np.max), ("REDUCE_MIN", np.min)):
        for keep in (True, False):
            y = fn(x, axis=(0, 2), keepdims=keep)
            data = single_op_model(op, {"x": (F32, x.shape)}, {"y": (F32, y.shape)}, {"keep_dims": keep},
                                   {"axes": np.array([0, -1], np.int32)})
            add(f"{op.lower()}-keep{keep}", data, [x], y)

    # SQUEEZE, EXPAND_DIMS, TILE, MIRROR_PAD, GATHER
    x = rand(1, 3, 1, 4)
    data = single_op_model("SQUEEZE", {"x": (F32, x.shape)}, {"y": (F32, (3, 1, 4))}, {"squeeze_dims": [0]})
    add("squeeze-dim0", data, [x], x.reshape(3, 1, 4))
    data = single_op_model("SQUEEZE", {"x": (F32, x.shape)}, {"y": (F32, (3, 4))}, {})
    add("squeeze-all", data, [x], x.reshape(3, 4))
    data = single_op_model("EXPAND_DIMS", {"x": (F32, x.shape)}, {"y": (F32, (1, 3, 1, 4, 1))}, None,
                           {"axis": np.array([-1], np.int32)})
    add("expand_dims-last", data, [x], x[..., None])
    x = rand(2, 1, 3)
    data = single_op_model("TILE", {"x": (F32, x.shape)}, {"y": (F32, (4, 3, 3))}, None,
                           {"m": np.array([2, 3, 1], np.int32)})
    add("tile", data, [x], np.tile(x, (2, 3, 1)))
    x = rand(1, 4, 5, 2)
    pads = np.array([[0, 0], [1, 2], [2, 1], [0, 0]], np.int32)
    data = single_op_model("MIRROR_PAD", {"x": (F32, x.shape)}, {"y": (F32, (1, 7, 8, 2))}, {"mode": "REFLECT"},
                           {"p": pads})
    add("mirror_pad-reflect", data, [x], np.pad(x, pads, mode="reflect"))
    x = rand(5, 4, 3)
    idx = np.array([[3, 0], [2, 2]], np.int32)
    data = single_op_model("GATHER", {"x": (F32, x.shape)}, {"y": (F32, (5, 2, 2, 3))}, {"axis": 1}, {"i": idx})
    add("gather-axis1", data, [x], np.take(x, idx, axis=1))

    # SPLIT, SPLIT_V, PACK, UNPACK (multi-output ops: the first output is checked against numpy)
    x = rand(2, 6, 3)
    data = build_model([("SPLIT", ["a", "x"], ["y0", "y1", "y2"], {"num_splits": 3})],
                       {"a": ("int32", (), np.array(1, np.int32)), "x": (F32, x.shape, None),
                        **{f"y{i}": (F32, (2, 2, 3), None) for i in range(3)}}, ["x"], ["y0", "y1", "y2"])
    add("split-axis1", data, [x], x[:, 0:2])
    data = build_model([("SPLIT_V", ["x", "s", "a"], ["y0", "y1"], {"_options": "SplitVOptions", "num_splits": 2})],
                       {"x": (F32, x.shape, None), "s": ("int32", (2,), np.array([-1, 2], np.int32)),
                        "a": ("int32", (), np.array(-2, np.int32)), "y0": (F32, (2, 4, 3), None),
                        "y1": (F32, (2, 2, 3), None)}, ["x"], ["y0", "y1"])
    add("split_v", data, [x], x[:, :4])
    a, c = rand(2, 3), rand(2, 3)
    data = build_model([("PACK", ["a", "c"], ["y"], {"_options": "PackOptions", "values_count": 2, "axis": 1})],
                       {"a": (F32, a.shape, None), "c": (F32, c.shape, None), "y": (F32, (2, 2, 3), None)},
                       ["a", "c"], ["y"])
    add("pack-axis1", data, [a, c], np.stack([a, c], 1))
    data = build_model([("UNPACK", ["x"], ["y0", "y1"], {"_options": "UnpackOptions", "num": 2, "axis": 0})],
                       {"x": (F32, (2, 6, 3), None), "y0": (F32, (6, 3), None), "y1": (F32, (6, 3), None)},
                       ["x"], ["y0", "y1"])
    add("unpack-axis0", data, [x], x[0])

    # BATCH_MATMUL (adj_y, broadcast batch), SQUARED_DIFFERENCE, RSQRT, POW
    a, c = rand(2, 3, 4), rand(1, 5, 4)
    data = single_op_model("BATCH_MATMUL", {"a": (F32, a.shape), "c": (F32, c.shape)}, {"y": (F32, (2, 3, 5))},
                           {"adj_y": True})
    add("batch_matmul-adj_y", data, [a, c], (a @ c.transpose(0, 2, 1)).astype(np.float32), 1e-5)
    a, c = rand(2, 3, 4), rand(4)
    data = single_op_model("SQUARED_DIFFERENCE", {"a": (F32, a.shape)}, {"y": (F32, a.shape)}, None, {"c": c})
    add("squared_difference", data, [a], np.square(a - c))
    x = rand(3, 4, low=0.5, high=2)
    data = single_op_model("RSQRT", {"x": (F32, x.shape)}, {"y": (F32, x.shape)})
    add("rsqrt", data, [x], (1 / np.sqrt(x)).astype(np.float32), 1e-5)
    data = single_op_model("POW", {"x": (F32, x.shape)}, {"y": (F32, x.shape)}, None,
                           {"e": np.array([1.5, 2.0, -1.0, 0.5], np.float32)})
    add("pow", data, [x], np.power(x, np.array([1.5, 2.0, -1.0, 0.5], np.float32)), 1e-5)

    # RESIZE_BILINEAR: default, align_corners, half_pixel_centers; up and down
    x = rand(1, 4, 5, 3)
    for size, opts in [((8, 10), {}), ((7, 9), {"align_corners": True}), ((8, 10), {"half_pixel_centers": True}),
                       ((3, 3), {"half_pixel_centers": True}), ((2, 3), {})]:
        y = np_resize_bilinear(x, *size, **opts)
        data = single_op_model("RESIZE_BILINEAR", {"x": (F32, x.shape)}, {"y": (F32, y.shape)}, opts,
                               {"size": np.array(size, np.int32)})
        add(f"resize_bilinear-{size[0]}x{size[1]}-{'-'.join(opts) or 'default'}", data, [x], y, 1e-5)

    # option-less activations
    x = rand(1, 4, 4, 3, low=-4, high=4)
    for op, fn in [("LOGISTIC", lambda v: 1 / (1 + np.exp(-v))), ("RELU", ACT["RELU"]), ("RELU6", ACT["RELU6"]),
                   ("TANH", np.tanh), ("HARD_SWISH", lambda v: v * np.clip(v + 3, 0, 6) / 6)]:
        data = single_op_model(op, {"x": (F32, x.shape)}, {"y": (F32, x.shape)})
        add(op.lower(), data, [x], fn(x).astype(np.float32), 1e-5)
    return cases


@pytest.mark.parametrize("data,feeds,expected,tol", _cases())
def test_litert_matches_numpy(data, feeds, expected, tol):
    assert data[4:8] == b"TFL3"
    got = run_litert(data, feeds)[0]
    assert got.shape == expected.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


# ---- operator codes -----------------------------------------------------------------
def _gelu_model(style):
    return single_op_model("GELU", {"x": (F32, (2, 8))}, {"y": (F32, (2, 8))}, {"approximate": False},
                           opcode_style=style)


@pytest.mark.parametrize("style,codes", [("both", [(3, 3)]), ("deprecated", [(3, 0)]), ("extended", [(0, 3)])])
def test_opcode_styles_small_code(style, codes):
    x, w, b = rand(1, 5, 5, 2), rand(3, 1, 1, 2), rand(3)
    data = single_op_model("CONV_2D", {"x": (F32, x.shape)}, {"y": (F32, (1, 5, 5, 3))}, {"padding": "VALID"},
                           {"w": w, "b": b}, opcode_style=style)
    assert read_opcodes(data) == codes
    np.testing.assert_allclose(run_litert(data, [x])[0], np_conv2d(x, w, b), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("style", ["both", "extended"])
def test_opcode_extended_code_gelu(style):
    data = _gelu_model(style)
    assert read_opcodes(data) == [(127, 150)]  # PLACEHOLDER_FOR_GREATER_OP_CODES, GELU
    x = rand(2, 8, low=-3, high=3)
    erf = np.vectorize(math.erf)
    expected = (0.5 * x * (1 + erf(x / math.sqrt(2)))).astype(np.float32)
    np.testing.assert_allclose(run_litert(data, [x])[0], expected, rtol=1e-4, atol=1e-4)


def test_deprecated_style_rejects_large_codes():
    with pytest.raises(ValueError, match="8-bit"):
        _gelu_model("deprecated")


def test_dynamic_batch_shape_signature():
    x = rand(3, 6)
    data = single_op_model("SOFTMAX", {"x": (F32, (-1, 6))}, {"y": (F32, (-1, 6))}, {"beta": 1.0})
    it = litert.Interpreter(model_content=data)
    assert list(it.get_input_details()[0]["shape_signature"]) == [-1, 6]
    it.resize_tensor_input(it.get_input_details()[0]["index"], x.shape)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    np.testing.assert_allclose(it.get_tensor(it.get_output_details()[0]["index"]), np_softmax(x), rtol=1e-5)


# ---- a few-op model -------------------------------------------------------------------
def small_net():
    """conv(s2, relu6) -> depthwise(relu) -> add(residual) -> mean(H,W) -> reshape -> fc -> softmax."""
    w1, b1 = rand(8, 3, 3, 3), rand(8)
    w2, b2 = rand(1, 3, 3, 8), rand(8)
    w3, b3 = rand(5, 8), rand(5)
    tensors = {"image": (F32, (1, 16, 16, 3), None), "w1": (F32, w1.shape, w1), "b1": (F32, b1.shape, b1),
               "c1": (F32, (1, 8, 8, 8), None), "w2": (F32, w2.shape, w2), "b2": (F32, b2.shape, b2),
               "c2": (F32, (1, 8, 8, 8), None), "s": (F32, (1, 8, 8, 8), None),
               "axes": ("int32", (2,), np.array([1, 2], np.int32)), "m": (F32, (1, 1, 1, 8), None),
               "r": (F32, (1, 8), None), "w3": (F32, w3.shape, w3), "b3": (F32, b3.shape, b3),
               "logits": (F32, (1, 5), None), "probs": (F32, (1, 5), None)}
    ops = [("CONV_2D", ["image", "w1", "b1"], ["c1"], {"padding": "SAME", "stride_h": 2, "stride_w": 2,
                                                      "fused_activation_function": "RELU6"}),
           ("DEPTHWISE_CONV_2D", ["c1", "w2", "b2"], ["c2"], {"padding": "SAME", "depth_multiplier": 1,
                                                              "fused_activation_function": "RELU"}),
           ("ADD", ["c1", "c2"], ["s"], {}),
           ("MEAN", ["s", "axes"], ["m"], {"keep_dims": True}),
           ("RESHAPE", ["m"], ["r"], {"new_shape": [1, 8]}),
           ("FULLY_CONNECTED", ["r", "w3", "b3"], ["logits"], {}),
           ("SOFTMAX", ["logits"], ["probs"], {"beta": 1.0})]

    def reference(x):
        c1 = np_conv2d(x, w1, b1, (2, 2), (1, 1), "SAME", "RELU6")
        c2 = np_depthwise(c1, w2, b2, 1, (1, 1), (1, 1), "SAME", "RELU")
        r = (c1 + c2).mean(axis=(1, 2)).reshape(1, 8)
        return np_softmax(r @ w3.T + b3)

    return build_model(ops, tensors, ["image"], ["probs"]), reference


def test_small_net_matches_numpy():
    data, reference = small_net()
    x = rand(1, 16, 16, 3, low=0, high=1)
    np.testing.assert_allclose(run_litert(data, [x])[0], reference(x), rtol=1e-4, atol=1e-5)


# ---- pocketml's importer vs LiteRT (once pocketml.converters.tflite exists) ------------------
def _importer_missing() -> str:
    """Why the importer can't be tested yet ("" when it can)."""
    try:
        from pocketml.converters.tflite import import_tflite  # noqa: F401
    except Exception as e:  # absent, or half-written
        return f"the TFLite importer is not available yet (pocketml.converters.tflite.import_tflite: {e!r})"
    return ""


needs_importer = pytest.mark.skipif(bool(_importer_missing()), reason=_importer_missing() or "importer present")


def _pocketml_vs_litert_cases():
    cases = [pytest.param(data, feeds, id=f"single-{p.id}")
             for p in _cases() for data, feeds in [p.values[:2]]]
    cases.append(pytest.param(small_net()[0], None, id="small_net"))
    x, w, b = rand(1, 9, 10, 3), rand(5, 3, 3, 3), rand(5)
    for style in ("both", "deprecated", "extended"):
        data = single_op_model("CONV_2D", {"x": (F32, x.shape)}, {"y": (F32, (1, 5, 5, 5))},
                               {"padding": "SAME", "stride_h": 2, "stride_w": 2, "fused_activation_function": "RELU6"},
                               {"w": w, "b": b}, opcode_style=style)
        cases.append(pytest.param(data, None, id=f"conv2d-opcode-{style}"))
    x = rand(1, 4, 5, 3)
    for style in ("both", "deprecated", "extended"):
        data = single_op_model("RESIZE_BILINEAR", {"x": (F32, x.shape)}, {"y": (F32, (1, 8, 10, 3))},
                               {"half_pixel_centers": True}, {"size": np.array([8, 10], np.int32)},
                               opcode_style=style)
        cases.append(pytest.param(data, None, id=f"resize_bilinear-opcode-{style}"))
    data = build_model([("PAD", ["x", "p"], ["t"], None),
                        ("MAX_POOL_2D", ["t"], ["y"], {"padding": "VALID", "stride_h": 2, "stride_w": 2,
                                                       "filter_height": 2, "filter_width": 2})],
                       {"x": (F32, (1, 7, 7, 4), None), "p": ("int32", (4, 2), np.array([[0, 0], [0, 1], [0, 1], [0, 0]])),
                        "t": (F32, (1, 8, 8, 4), None), "y": (F32, (1, 4, 4, 4), None)}, ["x"], ["y"])
    cases.append(pytest.param(data, None, id="pad-maxpool"))
    return cases


# An "extended" operator code (deprecated_builtin_code 0, builtin_code N < 127) is valid and LiteRT
# reads it as max(0, N) = N. The `tflite` package's OperatorCode.BuiltinCode() is patched to return
# DeprecatedBuiltinCode() whenever the stored code is < 127, so a reader computing
# max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode()) sees 0 (ADD) for these ops.
# tflite_builder.raw_builtin_code(oc) reads the stored field.
@needs_importer
@pytest.mark.parametrize("data,feeds", _pocketml_vs_litert_cases())
def test_pocketml_matches_litert(tmp_path, data, feeds):
    import pocketml

    path = tmp_path / "model.tflite"
    path.write_bytes(data)
    session = pocketml.Session(pocketml.convert(path))  # every op here is supported: no skips
    if feeds is None:
        feeds = [rand(*(int(d) for d in i.shape), low=0, high=1) for i in session.inputs]
    got = session.run({i.name: x for i, x in zip(session.inputs, feeds)})
    expected = run_litert(data, feeds)
    assert len(session.outputs) == len(expected)
    for out, e in zip(session.outputs, expected):
        assert got[out.name].shape == e.shape, out.name
        np.testing.assert_allclose(got[out.name], e, rtol=1e-4, atol=1e-4, err_msg=out.name)
