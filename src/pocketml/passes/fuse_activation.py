"""Activation fusion: fold a Relu/Clip/Sigmoid/Gelu/... into the node producing its input.

Conv, ConvTranspose, Gemm, MatMul, ScaleShift and the binary elementwise ops
carry act/act_alpha/act_beta (kinds in pocketml.ops). An activation whose input
comes from such a node with act == 0, read by nothing else and not a graph
output (the pre-activation value must stay observable), becomes that node's
act; the producer takes over the activation's output name. Only float32
values fuse (the C kernels apply fused activations in float), and float16 ones
of the producers that compute in float32 (_util.WIDENED_F16_OPS).

The ONNX importer fuses the common Relu after a Conv or residual Add itself, exactly as this pass
would (converters/onnx/relu_into_conv.py, same attributes and names): a change here changes it too.
"""
from __future__ import annotations

import math
from typing import Optional

from .. import ir, ops
from ._util import attr, epilogue_fuses, remove_nodes, sole_consumer, take_output

PRODUCERS = ops.with_trait("fusable_producer")  # ops carrying act/act_alpha/act_beta that fusion targets
ACTIVATIONS = ops.with_trait("activation")  # unary ops activation_of maps to a fused kind


def activation_of(node: ir.Node) -> Optional[tuple]:
    """(act, act_alpha, act_beta) equivalent to a unary activation node, or None."""
    op = node.op
    if op not in ACTIVATIONS:
        return None
    if op == "Relu":
        return ops.ACT_RELU, 0.0, 0.0
    if op == "Clip":
        lo, hi = float(attr(node, "min")), float(attr(node, "max"))
        if lo == 0.0 and hi == math.inf:
            return ops.ACT_RELU, 0.0, 0.0
        return ops.ACT_CLIP, lo, hi
    if op == "Sigmoid":
        return ops.ACT_SIGMOID, 0.0, 0.0
    if op == "HardSwish":
        return ops.ACT_HARDSWISH, 0.0, 0.0
    if op == "LeakyRelu":
        return ops.ACT_LEAKY_RELU, float(attr(node, "alpha")), 0.0
    if op == "Tanh":
        return ops.ACT_TANH, 0.0, 0.0
    if op == "HardSigmoid":
        return ops.ACT_HARDSIGMOID, float(attr(node, "alpha")), float(attr(node, "beta"))
    if op == "Gelu":  # transformer MLPs: MatMul/Gemm (+ bias Add) -> Gelu
        return (ops.ACT_GELU_TANH if attr(node, "approximate") == "tanh" else ops.ACT_GELU_ERF), 0.0, 0.0
    return None


def fuse_activations(graph: ir.Graph) -> bool:
    producers, uses = graph.producers(), graph.consumers()
    dead = []
    for node in graph.nodes:
        act = activation_of(node)
        if act is None:
            continue
        x = node.inputs[0]
        producer = producers.get(x)
        if producer is None or producer.op not in PRODUCERS or attr(producer, "act") != ops.ACT_NONE:
            continue
        if sole_consumer(graph, uses, x) is not node or not epilogue_fuses(graph, x, producer):
            continue
        producer.attrs.update(act=act[0], act_alpha=act[1], act_beta=act[2])
        take_output(graph, producer, node)
        dead.append(node)
    remove_nodes(graph, dead)
    return bool(dead)
