"""ONNX elementwise ops -> IR elementwise ops (layout-agnostic: they run on
the NCHW tensors as they are).

n-ary Sum/Max/Min become chains of binary ops; Dropout (inference) and
Identity become Identity; Clip's limits are attributes before opset 11 and
constant inputs from 11.
"""
from __future__ import annotations

import numpy as np

from pocketml import ir
from pocketml.ops.elementwise import BINARY

from .context import ONNX_TO_DTYPE, Context, OnnxNode, handler, onnx_dtype_name

_BINARY_OPS = [op for op in BINARY if op != "Pow"]  # ONNX and IR share these names


def _chain(ctx: Context, node: OnnxNode, op: str) -> None:
    """Variadic op -> left fold of binary ops; one input -> Identity."""
    ins = [i for i in node.inputs if i]
    if not ins:
        raise ctx.error("needs at least one input")
    if len(ins) == 1:
        ctx.emit1("Identity", ins, node.output(0))
        return
    acc = ins[0]
    for k, x in enumerate(ins[1:], start=2):
        acc = ctx.emit1(op, [acc, x], node.output(0) if k == len(ins) else None, hint=f"{op.lower()}{k - 1}")


@handler(*_BINARY_OPS)
def binary(ctx: Context, node: OnnxNode) -> None:
    if node.op_type in ("Max", "Min"):
        _chain(ctx, node, node.op_type)  # variadic in ONNX
    else:
        ctx.emit1(node.op_type, [node.input(0), node.input(1)], node.output(0))


@handler("Sum")
def sum_(ctx: Context, node: OnnxNode) -> None:
    _chain(ctx, node, "Add")


@handler("Pow")
def pow_(ctx: Context, node: OnnxNode) -> None:
    base, exponent = node.input(0), node.input(1)
    if ctx.dtype(exponent) != ctx.dtype(base):
        # opset 12+ allows e.g. a float base with an int exponent; the IR op wants one dtype
        exponent = ctx.emit1("Cast", [exponent], attrs={"to": ir.dtype_code(ctx.dtype(base))}, hint="exponent")
    ctx.emit1("Pow", [base, exponent], node.output(0))


# ONNX op -> (IR op, {IR attr: (ONNX attr, default)})
_UNARY = {
    "Relu": ("Relu", {}), "Sigmoid": ("Sigmoid", {}), "Tanh": ("Tanh", {}), "Softplus": ("Softplus", {}),
    "Sqrt": ("Sqrt", {}), "Exp": ("Exp", {}), "Log": ("Log", {}), "Abs": ("Abs", {}), "Neg": ("Neg", {}),
    "Reciprocal": ("Reciprocal", {}), "HardSwish": ("HardSwish", {}), "Identity": ("Identity", {}),
    "LeakyRelu": ("LeakyRelu", {"alpha": ("alpha", 0.01)}),
    "HardSigmoid": ("HardSigmoid", {"alpha": ("alpha", 0.2), "beta": ("beta", 0.5)}),
    "Elu": ("Elu", {"alpha": ("alpha", 1.0)}),
    "Selu": ("Selu", {"alpha": ("alpha", 1.67326319217681884765625), "gamma": ("gamma", 1.05070102214813232421875)}),
}


@handler(*_UNARY, shape_aware=True)
def unary(ctx: Context, node: OnnxNode) -> None:
    if node.input(0) in ctx.shape_values:
        if node.op_type != "Identity":
            raise ctx.error(f"{node.op_type} of a shape with symbolic dims {ctx.shape_values[node.input(0)][0]} "
                            f"is not supported; fix the dims with input_shapes")
        ctx.set_shape_value(node.output(0), *ctx.shape_values[node.input(0)])
        return
    op, amap = _UNARY[node.op_type]
    attrs = {k: float(node.attrs.get(src, default)) for k, (src, default) in amap.items()}
    ctx.emit1(op, [node.input(0)], node.output(0), attrs)


@handler("PRelu")
def prelu(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("PRelu", [node.input(0), node.input(1)], node.output(0))


@handler("Clip")
def clip(ctx: Context, node: OnnxNode) -> None:
    if node.opset < 11:
        lo = float(node.attrs.get("min", float("-inf")))
        hi = float(node.attrs.get("max", float("inf")))
    else:
        lo_t, hi_t = ctx.param(1, "min"), ctx.param(2, "max")
        lo = float("-inf") if lo_t is None else float(np.asarray(lo_t).reshape(-1)[0])
        hi = float("inf") if hi_t is None else float(np.asarray(hi_t).reshape(-1)[0])
    ctx.emit1("Clip", [node.input(0)], node.output(0), {"min": lo, "max": hi})


@handler("Dropout")
def dropout(ctx: Context, node: OnnxNode) -> None:
    if node.opset >= 12 and node.input(2):
        training = ctx.param(2, "training_mode")
        if bool(np.asarray(training).reshape(-1)[0]):
            raise ctx.unsupported("training_mode=true is not supported (inference only)")
    ctx.emit1("Identity", [node.input(0)], node.output(0))
    mask = node.output(1)
    if ctx.is_consumed(mask):
        # inference keeps every element. The spec leaves the mask's content open before opset 12;
        # onnxruntime (the oracle) returns zeros there and all-true from 12 on, so do we.
        shape = ctx.static_shape(node.input(0), "Dropout's mask output")
        dtype = np.bool_ if node.opset >= 10 else ir.np_dtype(ctx.dtype(node.input(0)))
        fill = np.ones if node.opset >= 12 else np.zeros
        ctx.graph.add_value(mask, const=fill(shape, dtype=dtype))


@handler("Cast", shape_aware=True)
def cast(ctx: Context, node: OnnxNode) -> None:
    to = int(node.attrs["to"])
    if to not in ONNX_TO_DTYPE:
        raise ctx.unsupported(f"cast to {onnx_dtype_name(to)} is not supported; supported: "
                              f"{', '.join(ONNX_TO_DTYPE.values())}")
    if node.input(0) in ctx.shape_values:
        if ONNX_TO_DTYPE[to] not in ("int32", "int64"):
            raise ctx.error(f"cast of a shape with symbolic dims {ctx.shape_values[node.input(0)][0]} to "
                            f"{ONNX_TO_DTYPE[to]}; fix the dims with input_shapes")
        ctx.set_shape_value(node.output(0), *ctx.shape_values[node.input(0)])
        return
    ctx.emit1("Cast", [node.input(0)], node.output(0), {"to": ir.dtype_code(ONNX_TO_DTYPE[to])})
