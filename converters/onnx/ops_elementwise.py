"""ONNX elementwise ops -> IR elementwise ops (layout-agnostic: they run on
the NCHW tensors as they are).

n-ary Sum/Max/Min become chains of binary ops; Dropout (inference) and
Identity become Identity; Clip's limits are attributes before opset 11 and
constant inputs from 11; CastLike becomes a Cast to the like-input's dtype.
Where onnxruntime accepts a dtype the IR op does not compute in, the input
is widened exactly and the result narrowed back: float16 through float32
(comparisons, IsNaN/IsInf, Mod and the rounding/trigonometric/erf ops; the
float32 result rounds to the nearest half as a float16 kernel would) and
int8/uint8 through int32 (Mod: the remainder always fits the narrow type).
"""
from __future__ import annotations

import numpy as np

from pocketml import ir
from pocketml.ops.elementwise import BINARY, COMPARE, LOGICAL

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


def _cast_to(ctx: Context, node: OnnxNode, dtype: str) -> None:
    if node.input(0) in ctx.shape_values:
        if dtype not in ("int32", "int64"):
            raise ctx.error(f"cast of a shape with symbolic dims {ctx.shape_values[node.input(0)][0]} to "
                            f"{dtype}; fix the dims with input_shapes")
        ctx.set_shape_value(node.output(0), *ctx.shape_values[node.input(0)])
        return
    ctx.emit1("Cast", [node.input(0)], node.output(0), {"to": ir.dtype_code(dtype)})


@handler("Cast", shape_aware=True)
def cast(ctx: Context, node: OnnxNode) -> None:
    # saturate (opset 19+) only concerns float8 targets, which the IR does not have
    to = int(node.attrs["to"])
    if to not in ONNX_TO_DTYPE:
        raise ctx.unsupported(f"cast to {onnx_dtype_name(to)} is not supported; supported: "
                              f"{', '.join(ONNX_TO_DTYPE.values())}")
    _cast_to(ctx, node, ONNX_TO_DTYPE[to])


@handler("CastLike", shape_aware=True)
def cast_like(ctx: Context, node: OnnxNode) -> None:
    _cast_to(ctx, node, ctx.dtype(node.input(1)))


# ---- comparisons, logic, Mod, Where, predicates and math added for transformer graphs -------------
def _widen(ctx: Context, names: list, widen: dict) -> tuple:
    """Cast inputs whose dtype is a key of ``widen`` to its value (exactly
    representable there); returns (new names, original dtype or None)."""
    dtype = ctx.dtype(names[0])
    if dtype not in widen:
        return names, None
    return [ctx.emit1("Cast", [n], attrs={"to": ir.dtype_code(widen[dtype])}, hint=f"{widen[dtype]}_in{i}")
            for i, n in enumerate(names)], dtype


def _emit_widened(ctx: Context, node: OnnxNode, op: str, names: list, widen: dict, attrs=None,
                  narrow_back: bool = True) -> None:
    names, orig = _widen(ctx, names, widen)
    if orig is None or not narrow_back:
        ctx.emit1(op, names, node.output(0), attrs)
        return
    wide = ctx.emit1(op, names, None, attrs, hint=f"{op.lower()}_{widen[orig]}")
    ctx.emit1("Cast", [wide], node.output(0), {"to": ir.dtype_code(orig)}, hint=orig)


_F16 = {"float16": "float32"}


@handler(*COMPARE)
def compare(ctx: Context, node: OnnxNode) -> None:
    _emit_widened(ctx, node, node.op_type, [node.input(0), node.input(1)], _F16, narrow_back=False)


@handler(*LOGICAL, "Not", "Where")
def logic(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1(node.op_type, [i for i in node.inputs], node.output(0))


@handler("IsNaN", "IsInf")
def predicate(ctx: Context, node: OnnxNode) -> None:
    attrs = {k: int(node.attrs.get(k, 1)) for k in ("detect_positive", "detect_negative")} \
        if node.op_type == "IsInf" else None
    _emit_widened(ctx, node, node.op_type, [node.input(0)], _F16, attrs, narrow_back=False)


@handler("Mod")
def mod(ctx: Context, node: OnnxNode) -> None:
    widen = {"float16": "float32", "int8": "int32", "uint8": "int32"}
    _emit_widened(ctx, node, "Mod", [node.input(0), node.input(1)], widen, {"fmod": int(node.attrs.get("fmod", 0))})


@handler("Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Erf")
def math_unary(ctx: Context, node: OnnxNode) -> None:
    _emit_widened(ctx, node, node.op_type, [node.input(0)], _F16)


@handler("Gelu")
def gelu(ctx: Context, node: OnnxNode) -> None:
    approximate = node.attrs.get("approximate", "none")
    if approximate not in ("none", "tanh"):
        raise ctx.unsupported(f"approximate={approximate!r} is not supported (supported: none, tanh)")
    _emit_widened(ctx, node, "Gelu", [node.input(0)], _F16, {"approximate": approximate})
