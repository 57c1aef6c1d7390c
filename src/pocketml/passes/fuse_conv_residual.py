"""Residual and PRelu fusion into Conv: Conv -> Add -> PRelu becomes one Conv.

(Quantized int8/uint8 Adds fold into their Conv by fuse_conv_residual_q8.py, called from here.)

  Add(Conv(x), r)         -> Conv(x, ..., sum=r), taking over the Add's activation
  PRelu(Conv(x), slope)   -> Conv(x, ..., act=prelu, slope=[Cout])

Mobile nets (BlazeFace, MediaPipe face mesh, ResNets) end every block with a
residual Add and an activation; as separate nodes they cost two extra passes
over the block's output. Fused, the C kernel adds ``r`` and applies the
activation to each block of y while it is still in cache (onnxruntime's
FusedConv Z input does the same for Add).

Conditions: the Conv (not ConvTranspose) has act none (and, for Add, no sum yet), its
output is read only by the Add/PRelu and is not a graph output; ``r`` has
exactly the output's shape (no broadcasting) and is float32 (or float16: such a Conv
computes in float32, _util.WIDENED_F16_OPS); the slope is a float32 constant that
varies at most along the channel (last) axis.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from .. import ir, ops
from ._util import attr, const, epilogue_fuses, remove_nodes, sole_consumer, take_output
from .fuse_conv_residual_q8 import fuse_q8_add


def _fusable_conv(graph: ir.Graph, producers: dict, uses: dict, value: str, reader: ir.Node,
                  has_sum_ok: bool) -> Optional[ir.Node]:
    conv = producers.get(value)
    if conv is None or conv.op != "Conv" or attr(conv, "act") != ops.ACT_NONE:
        return None
    if not has_sum_ok and len(conv.inputs) > 3 and conv.inputs[3]:
        return None
    if sole_consumer(graph, uses, value) is not reader or not epilogue_fuses(graph, value, conv):
        return None
    return conv


def _fuse_add(graph: ir.Graph, node: ir.Node, producers, uses, order: dict) -> bool:
    y = graph.values[node.outputs[0]].shape
    candidates = []
    for i in (0, 1):
        value, other = node.inputs[i], node.inputs[1 - i]
        conv = _fusable_conv(graph, producers, uses, value, node, has_sum_ok=False)
        if conv is not None and value != other and graph.values[other].shape == y \
                and graph.values[value].shape == y:
            candidates.append((conv, other))
    if not candidates:
        return False
    # both operands may be convs: fuse the later one, so the residual is already computed
    conv, other = max(candidates, key=lambda c: order[id(c[0])])
    graph.set_input(conv, 3, other)
    conv.attrs.update(act=attr(node, "act"), act_alpha=attr(node, "act_alpha"), act_beta=attr(node, "act_beta"))
    take_output(graph, conv, node)
    return True


def _channel_slope(graph: ir.Graph, slope_name: str, y_shape: tuple) -> Optional[np.ndarray]:
    slope = const(graph, slope_name)
    if slope is None or slope.dtype != np.float32 or slope.ndim > len(y_shape):
        return None
    cout = y_shape[-1]
    if any(d != 1 for d in slope.shape[:-1]) or (slope.ndim and slope.shape[-1] not in (1, cout)):
        return None
    return np.ascontiguousarray(np.broadcast_to(slope.reshape(-1), (cout,)), dtype=np.float32)


def _fuse_prelu(graph: ir.Graph, node: ir.Node, producers: dict, uses: dict) -> bool:
    conv = _fusable_conv(graph, producers, uses, node.inputs[0], node, has_sum_ok=True)
    if conv is None:
        return False
    slope = _channel_slope(graph, node.inputs[1], graph.values[node.outputs[0]].shape)
    if slope is None:
        return False
    graph.set_input(conv, 4, graph.add_const(slope, f"{conv.name}_prelu_slope"))
    conv.attrs.update(act=ops.ACT_PRELU, act_alpha=0.0, act_beta=0.0)
    take_output(graph, conv, node)
    return True


def fuse_conv_residual(graph: ir.Graph) -> bool:
    producers, uses = graph.producers(), graph.consumers()
    dead = []
    order = {id(n): k for k, n in enumerate(graph.nodes)}  # fusing moves no node
    for node in graph.nodes:
        if node.op == "Add" and (_fuse_add(graph, node, producers, uses, order)
                                 or fuse_q8_add(graph, node, producers, uses, order)):
            dead.append(node)
        elif node.op == "PRelu" and _fuse_prelu(graph, node, producers, uses):
            dead.append(node)
    remove_nodes(graph, dead)
    return bool(dead)
