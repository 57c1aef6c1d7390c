"""ONNX unary ops -> IR unary ops (layout-agnostic).

Activations and math map one to one (LeakyRelu/HardSigmoid/Elu/Selu keep
their attributes with the ONNX defaults); Dropout (inference) and Identity
become Identity, and Identity passes a symbolic shape tensor through;
Clip's limits are attributes before opset 11 and constant inputs from 11;
Cast/CastLike become a Cast (CastLike to the like-input's dtype; a cast of a
symbolic shape tensor to an integer type stays symbolic). Every dtype maps as
is: the runtime's unary kernels take float16 and the integer types themselves.
An integer Clip's bounds travel as float attributes, so they must be exactly
representable in float32 (or be the dtype's minimum/maximum: no bound).
SwiGLU (opset 28) imports as its ONNX function body, Swish(A, alpha) * B: exact, and
both run on the existing kernels (float32 and float16); A and B must have one shape.
"""
from __future__ import annotations

import numpy as np

from pocketml import ir
from pocketml.ops import limits

from .attr_domains import BOOL, domain, enum
from .context import ONNX_TO_DTYPE, Context, OnnxNode, handler, onnx_dtype_name


# ONNX op -> (IR op, {IR attr: (ONNX attr, default)})
_UNARY = {
    "Relu": ("Relu", {}), "Sigmoid": ("Sigmoid", {}), "Tanh": ("Tanh", {}), "Softplus": ("Softplus", {}),
    "Sqrt": ("Sqrt", {}), "Exp": ("Exp", {}), "Log": ("Log", {}), "Abs": ("Abs", {}), "Neg": ("Neg", {}),
    "Reciprocal": ("Reciprocal", {}), "HardSwish": ("HardSwish", {}), "Identity": ("Identity", {}),
    "LeakyRelu": ("LeakyRelu", {"alpha": ("alpha", 0.01)}),
    "HardSigmoid": ("HardSigmoid", {"alpha": ("alpha", 0.2), "beta": ("beta", 0.5)}),
    "Elu": ("Elu", {"alpha": ("alpha", 1.0)}),
    "Selu": ("Selu", {"alpha": ("alpha", 1.67326319217681884765625), "gamma": ("gamma", 1.05070102214813232421875)}),
    "Celu": ("Celu", {"alpha": ("alpha", 1.0)}),
    "Mish": ("Mish", {}),
    "ThresholdedRelu": ("ThresholdedRelu", {"alpha": ("alpha", 1.0)}),
    "Softsign": ("Softsign", {}),
    "Shrink": ("Shrink", {"bias": ("bias", 0.0), "lambd": ("lambd", 0.5)}),
    "Swish": ("Swish", {"alpha": ("alpha", 1.0)}),  # opset 24
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


@handler("Clip")
def clip(ctx: Context, node: OnnxNode) -> None:
    if node.opset < 11:
        lo = float(node.attrs.get("min", float("-inf")))
        hi = float(node.attrs.get("max", float("inf")))
    else:
        bounds = [node.input(1), node.input(2)]
        consts = [ctx.const(b) if b else None for b in bounds]
        if any(b and (c is None or not _float_exact(c)) for b, c in zip(bounds, consts)):
            _clip_by_max_min(ctx, node, bounds)
            return
        lo = float("-inf") if consts[0] is None else _clip_bound(consts[0])
        hi = float("inf") if consts[1] is None else _clip_bound(consts[1])
    ctx.emit1("Clip", [node.input(0)], node.output(0), {"min": lo, "max": hi})


def _clip_by_max_min(ctx: Context, node: OnnxNode, bounds: list) -> None:
    """Clip with bounds computed at run time (or integers float32 cannot hold, which the IR
    Clip's float attributes would round) as Min(Max(x, min), max): exact in every dtype, NaN
    stays NaN, and min > max gives max, as ONNX specifies."""
    y = node.input(0)
    lo, hi = bounds
    if lo and hi:
        y = ctx.emit1("Max", [y, lo], hint="clip_min")
        ctx.emit1("Min", [y, hi], node.output(0))
    elif lo or hi:
        ctx.emit1("Max" if lo else "Min", [y, lo or hi], node.output(0))
    else:
        ctx.emit1("Identity", [y], node.output(0))


def _float_exact(t) -> bool:
    v = np.asarray(t).reshape(-1)[0]
    if v.dtype.kind not in "iu":
        return True
    info = np.iinfo(v.dtype)  # a bound at the dtype's end is no bound (int64 max is a common "no max")
    return int(v) in (info.min, info.max) or int(np.float32(v)) == int(v)


def _clip_bound(t) -> float:
    v = np.asarray(t).reshape(-1)[0]
    if v.dtype.kind not in "iu":
        return float(v)
    info = np.iinfo(v.dtype)
    if int(v) in (info.min, info.max):
        return float("-inf") if int(v) == info.min else float("inf")
    return float(v)


@handler("Dropout")
def dropout(ctx: Context, node: OnnxNode) -> None:
    if node.opset >= 12 and node.input(2):
        ratio = ctx.const(node.input(1)) if node.input(1) else np.array(0.5)
        training = ctx.const(node.input(2))
        # a zero ratio keeps every element in training mode too, whatever training_mode is at run time
        zero_ratio = ratio is not None and float(np.asarray(ratio).reshape(-1)[0]) == 0.0
        if not zero_ratio and (training is None or bool(np.asarray(training).reshape(-1)[0])):
            # training mode (or decided at run time): the IR's Dropout draws a mask on every run
            outs = [node.output(0)] + ([node.output(1)] if ctx.is_consumed(node.output(1)) else [])
            attrs = {"seed": int(node.attrs["seed"])} if "seed" in node.attrs else {}
            ctx.emit("Dropout", [node.input(0), node.input(1), node.input(2)], outs, attrs)
            return
    ctx.emit1("Identity", [node.input(0)], node.output(0))
    mask = node.output(1)
    if ctx.is_consumed(mask):
        # inference keeps every element. The spec leaves the mask's content open before opset 12;
        # onnxruntime (the oracle) returns zeros there and all-true from 12 on, so do we.
        shape = ctx.static_shape(node.input(0), "Dropout's mask output")
        dtype = np.bool_ if node.opset >= 10 else ir.np_dtype(ctx.dtype(node.input(0)))
        why = limits.fill_verdict(ir.dtype_name(np.dtype(dtype)), shape)
        if why:
            raise ctx.error(f"the constant mask output is too big to hold: {why}")
        fill = np.ones if node.opset >= 12 else np.zeros
        ctx.graph.add_value(mask, const=fill(shape, dtype=dtype))


def _cast_to(ctx: Context, node: OnnxNode, dtype: str) -> None:
    if node.input(0) in ctx.shape_values:
        if dtype not in ("int32", "int64"):
            raise ctx.error(f"cast of a shape with symbolic dims {ctx.shape_values[node.input(0)][0]} to "
                            f"{dtype}; fix the dims with input_shapes")
        ctx.set_shape_value(node.output(0), *ctx.shape_values[node.input(0)])
        return
    ctx.emit1("Cast", [node.input(0)], node.output(0), {"to": ir.dtype_code(dtype)})


@handler("Cast", shape_aware=True)
@domain(saturate=BOOL)
def cast(ctx: Context, node: OnnxNode) -> None:
    # saturate (opset 19+) only concerns float8 targets, which the IR does not have
    to = int(node.attrs["to"])
    if to not in ONNX_TO_DTYPE:
        raise ctx.unsupported(f"cast to {onnx_dtype_name(to)} is not supported; supported: "
                              f"{', '.join(ONNX_TO_DTYPE.values())}")
    _cast_to(ctx, node, ONNX_TO_DTYPE[to])


@handler("BitCast")
def bitcast(ctx: Context, node: OnnxNode) -> None:
    to = int(node.attrs["to"])
    if to not in ONNX_TO_DTYPE:
        raise ctx.unsupported(f"bit cast to {onnx_dtype_name(to)} is not supported; supported: "
                              f"{', '.join(ONNX_TO_DTYPE.values())}")
    ctx.emit1("BitCast", [node.input(0)], node.output(0), {"to": ir.dtype_code(ONNX_TO_DTYPE[to])})


@handler("CastLike", shape_aware=True)
@domain(saturate=BOOL)
def cast_like(ctx: Context, node: OnnxNode) -> None:
    _cast_to(ctx, node, ctx.dtype(node.input(1)))


@handler("IsNaN", "IsInf")
@domain(detect_positive=BOOL, detect_negative=BOOL)
def predicate(ctx: Context, node: OnnxNode) -> None:
    attrs = {k: int(node.attrs.get(k, 1)) for k in ("detect_positive", "detect_negative")} \
        if node.op_type == "IsInf" else None
    ctx.emit1(node.op_type, [node.input(0)], node.output(0), attrs)


@handler("Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Erf", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh",
         "Acosh", "Atanh")
def math_unary(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1(node.op_type, [node.input(0)], node.output(0))


@handler("Gelu")
@domain(approximate=enum("none", "tanh"))
def gelu(ctx: Context, node: OnnxNode) -> None:
    approximate = node.attrs.get("approximate", "none")
    if approximate not in ("none", "tanh"):
        raise ctx.unsupported(f"approximate={approximate!r} is not supported (supported: none, tanh)")
    ctx.emit1("Gelu", [node.input(0)], node.output(0), {"approximate": approximate})


@handler("SwiGLU")
def swiglu(ctx: Context, node: OnnxNode) -> None:
    a, b = node.input(0), node.input(1)
    if tuple(ctx.shape(a)) != tuple(ctx.shape(b)):
        raise ctx.error(f"A {list(ctx.shape(a))} and B {list(ctx.shape(b))} must have the same shape "
                        f"(SwiGLU does not broadcast)")
    gate = ctx.emit1("Swish", [a], attrs={"alpha": float(node.attrs.get("alpha", 1.0))}, hint="swish_gate")
    ctx.emit1("Mul", [gate, b], node.output(0))
