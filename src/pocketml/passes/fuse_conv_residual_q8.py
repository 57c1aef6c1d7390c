"""Residual Add fusion into a quantized Conv: Add(Conv(x), r) on int8/uint8 tensors becomes one Conv.

  t = Conv(x, w, b)              Conv(x, w, b, sum=r,
  y = Add(t, r)            ->         sum_scale=t.scale, sum_zero_point=t.zero_point,
                                      sum_requant=Add.requant, act=Add.act) -> y

The conv's own output ``t`` disappears: its quantization moves into the sum_* attributes, the
C conv still requantizes to it exactly (clamped to the dtype: the conv had no activation), and
the Add's arithmetic (TFLite fixed point or ONNX float, ``sum_requant``; the Add's fused
activation as the output clamp) runs on that value in the conv's GEMM epilogue
(native/src/ops/conv_q8.c), bit for bit what the two nodes computed, without ``t``'s pass
through memory. BlazeFace-like nets end each block with such an Add.

Conditions: the Add has two per-tensor quantized int8 or uint8 operands and output of one
dtype (no broadcasting: both operands have the output's shape) and an activation the
quantized Conv clamps (none, relu, clip); the Conv has the same dtypes, no activation, no
residual yet, and its output is read only by the Add and is not a graph output. When both
operands are such convs, the later one takes the other as its residual.
"""
from __future__ import annotations

from typing import Optional

from .. import ir, ops
from ._util import attr, sole_consumer, take_output

_DTYPES = ("int8", "uint8")
_ACTS = (ops.ACT_NONE, ops.ACT_RELU, ops.ACT_CLIP)


def _per_tensor(v: ir.Value, dtype: str, shape) -> bool:
    return v.dtype == dtype and v.quant is not None and v.quant.per_tensor and v.shape == shape


def _fusable_conv(graph: ir.Graph, producers: dict, uses: dict, value: str, add: ir.Node) -> Optional[ir.Node]:
    conv = producers.get(value)
    if conv is None or conv.op != "Conv" or attr(conv, "act") != ops.ACT_NONE:
        return None
    if any(conv.inputs[3:]) or sole_consumer(graph, uses, value) is not add:
        return None
    if graph.values[conv.inputs[0]].dtype != graph.values[value].dtype:
        return None
    return conv


def fuse_q8_add(graph: ir.Graph, node: ir.Node, producers: dict, uses: dict, order: dict) -> bool:
    """Fold the quantized Add ``node`` into the Conv producing one of its operands; False if none fits."""
    if len(node.inputs) != 2 or int(attr(node, "requant")) not in (0, 1) or attr(node, "act") not in _ACTS:
        return False
    y = graph.values[node.outputs[0]]
    if y.dtype not in _DTYPES or not _per_tensor(y, y.dtype, y.shape):
        return False
    if not all(_per_tensor(graph.values[i], y.dtype, y.shape) for i in node.inputs):
        return False
    candidates = []
    for i in (0, 1):
        value, other = node.inputs[i], node.inputs[1 - i]
        conv = _fusable_conv(graph, producers, uses, value, node)
        if conv is not None and value != other:
            candidates.append((conv, value, other))
    if not candidates:
        return False
    # both operands may be convs: fuse the later one, so the residual is already computed
    conv, t, other = max(candidates, key=lambda c: order[id(c[0])])
    q = graph.values[t].quant
    graph.set_input(conv, 3, other)
    conv.attrs.update(sum_scale=float(q.scale[0]), sum_zero_point=int(q.zero_point[0]),
              sum_requant=int(attr(node, "requant")), act=attr(node, "act"),
              act_alpha=attr(node, "act_alpha"), act_beta=attr(node, "act_beta"))
    take_output(graph, conv, node)
    return True
