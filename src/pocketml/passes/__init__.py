"""Graph passes: rewrites of an ir.Graph that keep its outputs (up to float rounding).

Each pass is ``pass(graph) -> bool`` (True if it changed the graph), lives in a
module of its own, and expects shapes inferred (``shape_inference.infer_shapes(graph)``).
``optimize`` runs the default pipeline in place until nothing changes,
re-sorting after every pass that changed something and re-inferring the nodes
it added or rewired (and downstream of them, where a shape changed):

  identity         Identity / no-op Cast, Reshape, Transpose... removed   (identity.py)
  fold             constant folding, Shape of static shapes               (fold.py)
  fold_qdq         DequantizeLinear -> op -> QuantizeLinear -> int8 op   (fold_qdq.py)
  fuse_integer_matmul MatMulInteger -> Cast -> Mul -> Add -> one op       (fuse_integer_matmul.py)
  layout           transposes around NHWC ops eliminated                  (layout.py)
  fuse_gelu        exported erf/tanh GELU subgraphs -> one Gelu node       (fuse_gelu.py)
  fold_bn          BatchNorm / channel Mul+Add -> ScaleShift -> weights   (fold_bn.py)
  fuse_attention   softmax(Q K^T * scale + mask) V -> Attention            (fuse_attention.py)
  fuse_conv_residual Conv -> Add (residual) / PRelu folded into the Conv  (fuse_conv_residual.py)
  fold_pad         zero spatial Pad -> Conv's own pads                    (fold_pad.py)
  fuse_activation  Relu/Clip/... fused into the producing node            (fuse_activation.py)
  dce              dead nodes and values dropped                          (dce.py)

Passes visit only the nodes of the ops they match (and, after a rewrite, the
neighbours it touched), asking the graph's live producer/consumer indexes;
none rescans the whole graph per rewrite.

The order matters once: layout first puts per-channel constants on the last
axis so fold_bn can see them, and fold_bn runs before fuse_activation because
a Conv that already carries an activation can no longer absorb a ScaleShift.
fuse_gelu runs before fold_bn (which would turn the GELU's scalar Mul/Add/Div
into ScaleShifts it cannot see through) and so before fuse_activation, which
then folds the new Gelu into the MatMul/Gemm/Add producing its input.
"""
from __future__ import annotations

from typing import Optional

from .. import ir, ops, quant_support
from ..shape_inference import infer_shapes
from .dce import eliminate_dead_code
from .fold import fold_constants, fold_inferred, fold_sweep
from .fold_bn import fold_scale_shift
from .fold_pad import fold_pad_into_conv
from .fold_qdq import fold_qdq, float_nodes
from .fuse_activation import fuse_activations
from .fuse_attention import fuse_attention
from .fuse_conv_residual import fuse_conv_residual
from .fuse_gelu import fuse_gelu
from .fuse_integer_matmul import fuse_integer_matmul
from .identity import remove_identities
from .layout import optimize_layout

PIPELINE: list = [
    ("identity", remove_identities),
    ("fold", fold_inferred),  # shapes are current between passes: only what folding touched re-infers
    ("dce", eliminate_dead_code),
    ("fold_qdq", fold_qdq),  # before layout and fusion: they then see the int8 ops (fold_qdq.py)
    ("fuse_integer_matmul", fuse_integer_matmul),  # before fold_bn turns its Mul and Add into ScaleShifts
    ("layout", optimize_layout),
    ("fuse_gelu", fuse_gelu),
    ("fold_bn", fold_scale_shift),
    ("fuse_attention", fuse_attention),
    ("fuse_conv_residual", fuse_conv_residual),
    ("fold_pad", fold_pad_into_conv),
    ("fuse_activation", fuse_activations),
    ("dce", eliminate_dead_code),
]
PASS_NAMES: list = list(dict.fromkeys(name for name, _ in PIPELINE))
MAX_ROUNDS = 16


def optimize(graph: ir.Graph, log: Optional[list] = None, *, shapes_current: bool = False) -> ir.Graph:
    """Run the default pipeline to a fixed point, in place; returns the graph.

    If ``log`` is a list, the name of every pass that changed something is
    appended to it in order (for conversion reports). ``shapes_current`` says every
    node's output dtypes and shapes are already inferred from its inputs as they are
    (the ONNX importer infers each node as it adds it): the first sweep then re-infers
    only what folding touches instead of every node.
    """
    graph.toposort()
    # infers as it goes: shape subgraphs must fold before the whole graph infers; a sweep in which
    # every node inferred already did what infer_shapes would (it runs to report the errors otherwise)
    if not fold_sweep(graph, infer_all=not shapes_current)[1]:
        infer_shapes(graph)
    graph.toposort()  # a constant graph output read by other nodes gets its producer appended last
    graph.track_changes()
    quantized = quant_support.has_quant(graph)
    dead_code_left = True  # False once dce ran and no pass changed the graph since
    for _ in range(MAX_ROUNDS):
        changed = False
        for name, run in PIPELINE:
            if run is eliminate_dead_code:
                # dce leaves no dead code behind, and a pass that says it changed nothing left the graph
                # as it was: another dce would find nothing (a CNN's second round has two such calls)
                if not dead_code_left:
                    continue
                dead_code_left = False
            if run(graph):
                changed = True
                if run is not eliminate_dead_code:  # (dce only drops nodes: a sorted graph stays sorted)
                    dead_code_left = True
                    graph.toposort()  # O(n log n); passes append new nodes and rely on the order
                quantized = quantized or name == "fold_qdq"  # (which may quantize a graph that had no parameters)
                if quantized:  # values a pass added behind data movement take their source's parameters
                    quant_support.propagate_graph(graph)
                # re-infer the nodes the pass added or rewired, and downstream only where a shape changed
                infer_shapes(graph, graph.take_changes())
                if log is not None:
                    log.append(name)
        if not changed:
            break
    with_subgraphs = _subgraph_ops()
    for node in graph.nodes:  # control flow's subgraphs (If branches, Loop bodies): each on its own
        if node.op in with_subgraphs:  # (only their attributes hold graphs: the writer refuses one elsewhere)
            for value in node.attrs.values():
                if isinstance(value, ir.Graph):
                    optimize(value, log)
    return graph


_SUBGRAPH_OPS: list = [0, frozenset()]  # (registry size when made, the ops with a GRAPH attribute)


def _subgraph_ops() -> frozenset:
    """The ops whose attributes may hold a subgraph, read off the registry once (again if it grew)."""
    if _SUBGRAPH_OPS[0] != len(ops.REGISTRY):
        _SUBGRAPH_OPS[:] = [len(ops.REGISTRY), frozenset(name for name, d in ops.REGISTRY.items()
                                                         if any(a.kind == "graph" for a in d.attrs.values()))]
    return _SUBGRAPH_OPS[1]


__all__ = ["optimize", "float_nodes", "PIPELINE", "PASS_NAMES", "eliminate_dead_code", "fold_constants", "fold_scale_shift",
           "fold_qdq", "fuse_activations", "fuse_attention", "fuse_conv_residual", "fold_pad_into_conv", "fuse_gelu", "fuse_integer_matmul", "remove_identities", "optimize_layout"]
