"""ONNX QOperator ops -> their QDQ form: DequantizeLinear on each quantized input, the float op,
QuantizeLinear on the output.

That is what onnxruntime computes when the QDQ form of the same graph runs unfused, and it is the
canonical pattern the QDQ folding pass turns into the int8 IR ops (requant 1): a DequantizeLinear
with the op's own scale and zero point per input (weights: the constant int8/uint8 initializer,
per-channel on the output-channel axis), an int32 bias behind a DequantizeLinear of scale
x_scale * w_scale (zero point 0), one QuantizeLinear on the output. The steps are imported as the
ONNX nodes they are (dispatch.convert_node), so layout, attribute checks and folding are the
ones every Conv, Gemm or AveragePool gets.

Covered: QLinearConv and QLinearMatMul (ai.onnx), and the com.microsoft ops onnxruntime's
quantizer writes: QGemm, QLinearAdd, QLinearMul, QLinearAveragePool, QLinearGlobalAveragePool,
QLinearConcat, QLinearSigmoid, QLinearLeakyRelu, QLinearSoftmax, and com.microsoft's
QuantizeLinear / DequantizeLinear (the ai.onnx ops with its extra types, which the IR refuses
by dtype where it has no such type). Where onnxruntime's kernel is not literally DQ -> op -> Q:
- QLinearSoftmax carries the opset whose Softmax it means (attribute ``opset``: before 13 the
  input is flattened to 2-D at ``axis``, default 1; from 13 one axis, default -1).
- QGemm's int32 bias C has scale alpha * a_scale * b_scale (onnxruntime adds it to the
  accumulator before scaling by alpha); without y_scale the output is float.
- The pools' ``channels_last`` 1 means an NHWC input: transposed to NCHW around the pool.
- A zero point left out is 0 of the quantized input's type (uint8 for QuantizeLinear's default).
"""
from __future__ import annotations

from typing import Optional

import numpy as np
from onnx import helper

from pocketml import dtypes

from .attr_domains import AUTO_PAD, GROUP, PADS, SPATIAL_POSITIVE, domain
from .context import Context, OnnxNode, handler
from .dispatch import convert_node

MS = "com.microsoft"


def _run(ctx: Context, op: str, inputs: list, out: Optional[str] = None, opset: Optional[int] = None,
         **attrs) -> str:
    """Import one default-domain ONNX node made from the QOperator node (named after it); returns
    its output's name (a fresh one unless ``out`` is given)."""
    node = ctx.node
    out = out or ctx.new_name(f"{node.name}/{op}")
    proto = helper.make_node(op, inputs, [out], name=ctx.new_name(f"{node.name}/{op}"),
                             **{k: v for k, v in attrs.items() if v is not None})
    convert_node(ctx, OnnxNode.from_proto(proto, 0, opset or node.opset))
    return out


def _scale(ctx: Context, name: str, what: str) -> str:
    """A scale input: a one-element constant becomes a scalar (per tensor whatever the axis)."""
    if not name:
        raise ctx.error(f"{what} is required but missing")
    c = ctx.const(name)
    if c is not None and c.size == 1 and c.ndim > 0:
        return ctx.add_const(c.reshape(()), what)
    return name


def _zero_point(ctx: Context, name: str, like: str, what: str) -> str:
    """A zero point input; absent: 0 of ``like``'s integer type (the QOperator ops' default)."""
    if not name:
        return ctx.add_const(np.zeros((), dtypes.BY_NAME[ctx.dtype(like)].np), what)
    c = ctx.const(name)
    if c is not None and c.size == 1 and c.ndim > 0:
        return ctx.add_const(c.reshape(()), what)
    return name


def _check_quantized(ctx: Context, name: str, what: str) -> None:
    dt = ctx.dtype(name)
    if dt not in ("int8", "uint8"):
        raise ctx.unsupported(f"{what} has dtype {dt}; supported: int8, uint8")


def _dequantize(ctx: Context, x: str, scale: str, zp: str, what: str, axis: Optional[int] = None) -> str:
    """DequantizeLinear(x, scale, zp); axis for a per-channel (1-D, more than one element) scale."""
    _check_quantized(ctx, x, what)
    scale = _scale(ctx, scale, f"{what}_scale")
    zp = _zero_point(ctx, zp, x, f"{what}_zero_point")
    per_channel = len(ctx.shape(scale)) > 0
    if per_channel and axis is None:
        raise ctx.unsupported(f"{what}: a per-channel scale {list(ctx.shape(scale))} is not supported here; "
                              f"supported: a per-tensor (one element) scale")
    return _run(ctx, "DequantizeLinear", [x, scale, zp], axis=axis if per_channel else None)


def _quantize(ctx: Context, y: str, scale: str, zp: str, like: str, out: str) -> str:
    """QuantizeLinear(y, scale, zp) into ``out``, per tensor; zp absent: 0 of ``like``'s type."""
    scale = _scale(ctx, scale, "y_scale")
    if len(ctx.shape(scale)) > 0:
        raise ctx.unsupported(f"y_scale of shape {list(ctx.shape(scale))} is not supported; supported: "
                              f"one element (per tensor)")
    zp = _zero_point(ctx, zp, like, "y_zero_point")
    _check_quantized(ctx, zp, "y_zero_point")
    return _run(ctx, "QuantizeLinear", [y, scale, zp], out)


def _bias(ctx: Context, bias: str, x_scale: str, w_scale: str, alpha: float = 1.0) -> str:
    """The int32 bias dequantized with scale alpha * x_scale * w_scale (per channel with w_scale)."""
    if ctx.dtype(bias) != "int32":
        raise ctx.unsupported(f"bias has dtype {ctx.dtype(bias)}; supported: int32")
    scale = ctx.emit1("Mul", [_scale(ctx, x_scale, "x_scale"), _scale(ctx, w_scale, "w_scale")], hint="bias_scale")
    if alpha != 1.0:
        scale = ctx.emit1("Mul", [scale, ctx.add_const(np.array(alpha, np.float32), "alpha")], hint="bias_scale")
    per_channel = len(ctx.shape(scale)) > 0
    zp = ctx.add_const(np.zeros(ctx.shape(scale), np.int32), "bias_zero_point")
    return _run(ctx, "DequantizeLinear", [bias, scale, zp], axis=0 if per_channel else None)


def _attrs(node: OnnxNode, *names: str) -> dict:
    return {k: node.attrs[k] for k in names if k in node.attrs}


# ---- GEMM-like: weights per channel --------------------------------------------------------------
@handler("QLinearConv")
@domain(kernel_shape=SPATIAL_POSITIVE, strides=SPATIAL_POSITIVE, dilations=SPATIAL_POSITIVE, pads=PADS,
        auto_pad=AUTO_PAD, group=GROUP)
def qlinear_conv(ctx: Context, node: OnnxNode) -> None:
    """x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp[, B int32]: w per output channel (axis 0)."""
    x = _dequantize(ctx, node.input(0), node.input(1), node.input(2), "x")
    w = _dequantize(ctx, node.input(3), node.input(4), node.input(5), "w", axis=0)
    inputs = [x, w]
    if node.input(8):
        inputs.append(_bias(ctx, node.input(8), node.input(1), node.input(4)))
    y = _run(ctx, "Conv", inputs, **_attrs(node, "auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"))
    _quantize(ctx, y, node.input(6), node.input(7), node.input(0), node.output(0))


@handler("QLinearMatMul")
def qlinear_matmul(ctx: Context, node: OnnxNode) -> None:
    """a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp: b per column (its last axis)."""
    a = _dequantize(ctx, node.input(0), node.input(1), node.input(2), "a")
    b = _dequantize(ctx, node.input(3), node.input(4), node.input(5), "b", axis=ctx.rank(node.input(3)) - 1)
    y = _run(ctx, "MatMul", [a, b])
    _quantize(ctx, y, node.input(6), node.input(7), node.input(0), node.output(0))


@handler("QGemm", op_domain=MS)
def qgemm(ctx: Context, node: OnnxNode) -> None:
    """A, a_scale, a_zp, B, b_scale, b_zp[, C int32[, y_scale, y_zp]] with alpha, transA, transB:
    B per output column (axis 0 when transB); no y_scale: a float output."""
    alpha = float(node.attrs.get("alpha", 1.0))
    trans_b = int(node.attrs.get("transB", 0))
    a = _dequantize(ctx, node.input(0), node.input(1), node.input(2), "A")
    b = _dequantize(ctx, node.input(3), node.input(4), node.input(5), "B", axis=0 if trans_b else 1)
    inputs = [a, b]
    if node.input(6):
        inputs.append(_bias(ctx, node.input(6), node.input(1), node.input(4), alpha))
    gemm_attrs = dict(alpha=alpha, transA=int(node.attrs.get("transA", 0)), transB=trans_b)
    if not node.input(7):
        _run(ctx, "Gemm", inputs, node.output(0), **gemm_attrs)
        return
    y = _run(ctx, "Gemm", inputs, **gemm_attrs)
    _quantize(ctx, y, node.input(7), node.input(8), node.input(0), node.output(0))


# ---- elementwise ---------------------------------------------------------------------------------
@handler("QLinearAdd", "QLinearMul", op_domain=MS)
def qlinear_binary(ctx: Context, node: OnnxNode) -> None:
    """A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp (broadcasting like Add / Mul)."""
    a = _dequantize(ctx, node.input(0), node.input(1), node.input(2), "A")
    b = _dequantize(ctx, node.input(3), node.input(4), node.input(5), "B")
    y = _run(ctx, node.op_type[len("QLinear"):], [a, b])
    _quantize(ctx, y, node.input(6), node.input(7), node.input(0), node.output(0))


@handler("QLinearSigmoid", "QLinearLeakyRelu", op_domain=MS)
def qlinear_unary(ctx: Context, node: OnnxNode) -> None:
    """X, X_scale, X_zp, Y_scale, Y_zp (LeakyRelu: alpha, default 0.01)."""
    x = _dequantize(ctx, node.input(0), node.input(1), node.input(2), "X")
    op = node.op_type[len("QLinear"):]
    y = _run(ctx, op, [x], alpha=float(node.attrs.get("alpha", 0.01)) if op == "LeakyRelu" else None)
    _quantize(ctx, y, node.input(3), node.input(4), node.input(0), node.output(0))


@handler("QLinearSoftmax", op_domain=MS)
def qlinear_softmax(ctx: Context, node: OnnxNode) -> None:
    """X, X_scale, X_zp, Y_scale, Y_zp; the Softmax of opset ``opset`` (its axis semantics)."""
    if "opset" not in node.attrs:
        raise ctx.error("attribute 'opset' is required but missing")
    opset = int(node.attrs["opset"])
    if opset < 1:
        raise ctx.error(f"attribute opset={opset} is outside its domain; allowed: a Softmax opset >= 1")
    x = _dequantize(ctx, node.input(0), node.input(1), node.input(2), "X")
    y = _run(ctx, "Softmax", [x], opset=opset, **_attrs(node, "axis"))
    _quantize(ctx, y, node.input(3), node.input(4), node.input(0), node.output(0))


# ---- pools and concat ----------------------------------------------------------------------------
def _channels_first(ctx: Context, node: OnnxNode, x: str, back: bool) -> str:
    """channels_last 1: NHWC -> NCHW before the pool (back: NCHW -> NHWC after it)."""
    if not int(node.attrs.get("channels_last", 0)):
        return x
    rank = ctx.rank(x)
    perm = [0, *range(2, rank), 1] if back else [0, rank - 1, *range(1, rank - 1)]
    return _run(ctx, "Transpose", [x], perm=perm)


@handler("QLinearAveragePool", "QLinearGlobalAveragePool", op_domain=MS)
def qlinear_average_pool(ctx: Context, node: OnnxNode) -> None:
    """X, X_scale, X_zp, Y_scale, Y_zp with AveragePool's attributes (and channels_last)."""
    channels_last = int(node.attrs.get("channels_last", 0))
    if channels_last not in (0, 1):
        raise ctx.error(f"attribute channels_last={channels_last} is outside its domain; allowed: 0, 1")
    x = _channels_first(ctx, node, _dequantize(ctx, node.input(0), node.input(1), node.input(2), "X"), False)
    op = node.op_type[len("QLinear"):]
    y = _run(ctx, op, [x], **_attrs(node, "auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads",
                                      "strides") if op == "AveragePool" else {})
    _quantize(ctx, _channels_first(ctx, node, y, True), node.input(3), node.input(4), node.input(0),
              node.output(0))


@handler("QLinearConcat", op_domain=MS)
def qlinear_concat(ctx: Context, node: OnnxNode) -> None:
    """Y_scale, Y_zp, then (X, X_scale, X_zp) per input, concatenated on ``axis``."""
    triples = node.inputs[2:]
    if not triples or len(triples) % 3:
        raise ctx.error(f"{len(node.inputs)} inputs; QLinearConcat takes Y_scale, Y_zero_point and one "
                        f"(X, X_scale, X_zero_point) triple per input")
    if "axis" not in node.attrs:
        raise ctx.error("attribute 'axis' is required but missing")
    xs = [_dequantize(ctx, triples[i], triples[i + 1], triples[i + 2], f"X{i // 3}") for i in range(0, len(triples), 3)]
    y = _run(ctx, "Concat", xs, axis=int(node.attrs["axis"]))
    _quantize(ctx, y, node.input(0), node.input(1), triples[0], node.output(0))


# ---- com.microsoft's QuantizeLinear / DequantizeLinear -------------------------------------------
@handler("QuantizeLinear", "DequantizeLinear", op_domain=MS)
def ms_quantize_linear(ctx: Context, node: OnnxNode) -> None:
    """The ai.onnx op of the same name (x, scale, zero point, axis): the IR refuses the types it has not."""
    _run(ctx, node.op_type, [node.input(i) for i in range(min(len(node.inputs), 3))], node.output(0),
         opset=max(node.opset, 13), **_attrs(node, "axis"))
