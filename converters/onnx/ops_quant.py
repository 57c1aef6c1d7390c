"""ONNX quantization ops -> IR quant ops, one to one: DequantizeLinear (opsets 10, 13 axis,
19 float16 scales, 21 block_size and 16-bit data, 23+ output_dtype), QuantizeLinear (the
same opsets; saturate only concerns float8 outputs, which the IR does not have; precision
23+: the division is float32, so float32 or absent) and DynamicQuantizeLinear (11).

ONNX dtype numbers in output_dtype become pocketml dtype codes; a dtype outside pocketml's
(int4, float8...) is refused with the op and what it supports. Scales and zero points stay
inputs: the runtime reads them at every run, and constant ones fold with the rest.
"""
from __future__ import annotations

import onnx

from pocketml import dtypes
from pocketml.ops import quant

from .attr_domains import BOOL, NONNEG, domain
from .context import ONNX_TO_DTYPE, Context, OnnxNode, handler, onnx_dtype_name


def _dtype_code(ctx: Context, node: OnnxNode, attr: str, allowed) -> int:
    """An ONNX dtype attribute (absent or 0: unset) as a pocketml dtype code."""
    onnx_type = int(node.attrs.get(attr, 0))
    if onnx_type == 0:
        return 0
    name = ONNX_TO_DTYPE.get(onnx_type)
    if name not in allowed:
        raise ctx.unsupported(f"{attr} {onnx_dtype_name(onnx_type)} is not supported; supported: "
                              f"{', '.join(allowed)}")
    return dtypes.BY_NAME[name].code


def _axis_attrs(node: OnnxNode) -> dict:
    return {"axis": int(node.attrs.get("axis", 1)), "block_size": int(node.attrs.get("block_size", 0))}


@handler("DequantizeLinear")
@domain(block_size=NONNEG)
def dequantize_linear(ctx: Context, node: OnnxNode) -> None:
    attrs = {**_axis_attrs(node), "output_dtype": _dtype_code(ctx, node, "output_dtype", quant.SCALES)}
    ctx.emit1("DequantizeLinear", [node.input(i) for i in range(min(len(node.inputs), 3))], node.output(0), attrs)


@handler("QuantizeLinear")
@domain(block_size=NONNEG, saturate=BOOL)
def quantize_linear(ctx: Context, node: OnnxNode) -> None:
    # precision (23+) names the dtype of x / scale: the runtime divides in float32
    precision = int(node.attrs.get("precision", 0))
    if precision not in (0, onnx.TensorProto.FLOAT):
        raise ctx.unsupported(f"precision {onnx_dtype_name(precision)} is not supported; supported: FLOAT "
                              f"(the division is float32)")
    attrs = {**_axis_attrs(node), "output_dtype": _dtype_code(ctx, node, "output_dtype", quant.Q_OUT)}
    ctx.emit1("QuantizeLinear", [node.input(i) for i in range(min(len(node.inputs), 3))], node.output(0), attrs)


@handler("DynamicQuantizeLinear")
def dynamic_quantize_linear(ctx: Context, node: OnnxNode) -> None:
    outs = [o if o else ctx.new_name(f"{node.name}/unused") for o in (list(node.outputs) + ["", ""])[:3]]
    ctx.emit("DynamicQuantizeLinear", [node.input(0)], outs)
