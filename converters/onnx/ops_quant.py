"""ONNX quantization ops -> IR quant ops, one to one: DequantizeLinear (opsets 10, 13 axis,
19 float16 scales, 21 block_size and 16-bit data, 23+ output_dtype), QuantizeLinear (the
same opsets; saturate only concerns float8 outputs, which the IR does not have; precision
23+: the division is float32, so float32 or absent) and DynamicQuantizeLinear (11).

ONNX dtype numbers in output_dtype become pocketml dtype codes; a dtype outside pocketml's
(int4, float8...) is refused with the op and what it supports. Scales and zero points stay
inputs: the runtime reads them at every run, and constant ones fold with the rest. After the
import, annotate_qdq copies constant parameters onto the integer tensors as Value.quant where
that changes no node's meaning (no QDQ folding yet).
"""
from __future__ import annotations

import numpy as np
import onnx

from pocketml import dtypes, ir, ops
from pocketml.ops import quant
from pocketml.quant_params import QuantParams

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


# ---- quantization parameters on the integer tensors of QDQ pairs ----------------------------------
def annotate_qdq(graph: ir.Graph) -> None:
    """Give QuantizeLinear outputs and DequantizeLinear inputs (constant, per-tensor or per-axis
    scale and zero point) their parameters as Value.quant, so a user feeding or reading such a
    tensor finds them. Only a value whose producer (if any) and every reader take their parameters
    as inputs (quant_explicit: QuantizeLinear, DequantizeLinear, MatMulInteger...) is annotated: ONNX
    ops compute on stored
    integers as plain numbers, and an annotation must never change what a node means. A value
    the pairs describe differently is left alone."""
    found: dict = {}
    for node in graph.nodes:
        if node.op == "QuantizeLinear" and node.outputs[0]:
            _describe(graph, node, node.outputs[0], found)
        elif node.op == "DequantizeLinear":
            _describe(graph, node, node.inputs[0], found)
    explicit = ops.with_trait("quant_explicit")
    for name, q in found.items():
        v = graph.values[name]
        producer = graph.producer(name)
        if q is None or v.quant is not None or (producer is not None and producer.op not in explicit) \
                or any(c.op not in explicit for c in graph.consumers_of(name)):
            continue
        if q.check(v.dtype, v.shape) is None:
            v.quant = q


def _describe(graph: ir.Graph, node: ir.Node, name: str, found: dict) -> None:
    """Record node's parameters for value ``name`` (None when they are not constant or disagree)."""
    at = ops.get(node.op).attrs_of(node)
    scale = graph.values[node.inputs[1]].const if len(node.inputs) > 1 and node.inputs[1] else None
    zp_name = node.inputs[2] if len(node.inputs) > 2 else ""
    zp = graph.values[zp_name].const if zp_name else np.zeros(1, np.int64)
    v = graph.values.get(name)
    q = None
    if scale is not None and zp is not None and at["block_size"] == 0 and v is not None and v.shape is not None:
        scale = np.asarray(scale, np.float32).reshape(-1)
        axis = -1 if scale.size == 1 else at["axis"] % max(len(v.shape), 1)
        try:
            q = QuantParams(scale, np.asarray(zp).astype(np.int64).reshape(-1), axis)
        except ValueError:
            q = None
    found[name] = q if found.get(name, q) == q else None
