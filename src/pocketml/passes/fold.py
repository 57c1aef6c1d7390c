"""Constant folding: evaluate nodes whose inputs are all constants.

A node whose inputs are constants is run once with its op's numpy reference
(pocketml.reference.run_node) and its outputs become constants. ``Shape`` of a
value whose (sliced) shape is static folds too, so shape subgraphs
(Shape -> Gather -> Concat -> ...) collapse once input shapes are known.
Folding walks the nodes in topological order, inferring each node's output
shapes just before looking at it, so chains fold in one sweep even when the
graph as a whole cannot be inferred yet (ConstantOfShape needs its shape
input to be a constant before its output shape is known).

Graph outputs fold too (ops with runtime=False must never reach the runtime),
but the runtime requires every graph output to be computed by a node, so a
constant graph output -- folded here, or already by the importer -- is
materialised as Identity(constant), which is never folded again. Left alone:
runtime ops whose result would be much larger than their inputs (folding an
expanding op would bloat the file; judged from the inferred shapes before the
reference runs, so a huge result is never built), and nodes
whose reference fails (the error is left for the runtime / verifier to report,
with a warning here).
"""
from __future__ import annotations

import warnings
from typing import Optional

import numpy as np

from .. import ir, ops, quant_support, reference
from ..ops import limits
from ._util import attr, const

# A folded result may exceed its inputs by this many bytes before folding is refused.
GROWTH_ALLOWANCE = 1 << 20
FOLD_MAX_ITERATIONS = 1 << 12  # a constant Loop runs its body at most this often at conversion


def fold_constants(graph: ir.Graph) -> bool:
    """Fold, inferring every node just before looking at it (shapes need not be inferred yet)."""
    return fold_sweep(graph, infer_all=True)[0]


def fold_inferred(graph: ir.Graph) -> bool:
    """Fold a graph whose shapes are inferred (optimize keeps them so between passes): only the
    consumers of what folded, and downstream of a shape that changed, are re-inferred."""
    return fold_sweep(graph, infer_all=False)[0]


def fold_sweep(graph: ir.Graph, infer_all: bool) -> tuple:
    """One topological sweep; -> (changed, every node inferred without error and no node added)."""
    outputs = set(graph.outputs)
    keep, changed, clean, dirty = [], False, True, set()
    for node in graph.nodes:
        if infer_all or id(node) in dirty:
            ok, moved = _infer(graph, node)
            clean = clean and ok
            if moved:
                dirty.update(id(c) for o in node.outputs if o for c in graph.consumers_of(o))
        materialised = node.op == "Identity" and node.outputs[0] in outputs
        results = None if materialised else _evaluate(graph, node)
        if results is None:
            keep.append(node)
            continue
        for name, array in zip(node.outputs, results):
            if name:
                graph.add_value(name, const=array, quant=graph.values[name].quant if name in graph.values else None)
                dirty.update(id(c) for c in graph.consumers_of(name))
        changed = True
    graph.nodes = keep
    added = _materialise_constant_outputs(graph)
    return added or changed, clean and not added


def _materialise_constant_outputs(graph: ir.Graph) -> bool:
    """Give every constant graph output an Identity(constant) producer."""
    changed = False
    for name in dict.fromkeys(graph.outputs):
        value = graph.values[name]
        if value.const is None or name in graph.inputs:
            continue
        data = graph.add_const(value.const, f"{name}_value")
        value.const = None
        graph.add_node("Identity", [data], [name], name=graph.unique_name(f"{name}_materialise"))
        changed = True
    return changed


def _infer(graph: ir.Graph, node: ir.Node) -> tuple:
    """Refresh one node's output dtypes/shapes; a node that cannot be inferred yet keeps its old ones.
    -> (inferred without error, an output's dtype or shape changed)."""
    ins = [graph.values[i] if i else None for i in node.inputs]
    try:
        results = ops.get(node.op).infer(node, ins)
    except ValueError:
        return False, False  # reported by shape_inference.infer_shapes(graph) after folding, if it still fails then
    moved = False
    for name, (dtype, out_shape) in zip(node.outputs, results):
        if name:
            v = graph.values[name]
            out_shape = None if out_shape is None else tuple(out_shape)
            if v.dtype != dtype or v.shape != out_shape:
                v.dtype, v.shape, moved = dtype, out_shape, True
    return True, moved


def _evaluate(graph: ir.Graph, node: ir.Node) -> Optional[list]:
    """The node's outputs as arrays (in their inferred dtypes), or None when it should not fold."""
    if node.op == "Shape":
        dims = _shape_slice(graph, node)
        return None if dims is None else [np.array(dims, dtype=np.int64)]
    opdef = ops.get(node.op)
    present = [i for i in node.inputs if i]
    if opdef.reference is None or "stateful" in opdef.traits or not present or any(const(graph, i) is None for i in present):
        return None
    # numpy references compute on plain numbers: quantized tensors fold only through data movement
    # (or ops taking their parameters as inputs), which keeps their parameters as they are
    if quant_support.touches_quant(graph, node):
        quant_support.propagate(graph, node)
        if "quant_aware" in opdef.traits or quant_support.problem(graph, node) is not None:
            return None
    inputs = [const(graph, i) if i else None for i in node.inputs]
    if _too_big(graph, node, inputs) or ("control_flow" in opdef.traits and not _few_iterations(node, inputs)):
        return None
    try:
        results = reference.run_node(node, inputs)
    except Exception as exc:  # noqa: BLE001 - any reference failure means "do not fold"
        warnings.warn(f"constant folding skipped node {node.name!r} ({node.op}): {exc}", stacklevel=2)
        return None
    if sum(r.nbytes for r in results) > sum(x.nbytes for x in inputs if x is not None) \
            + GROWTH_ALLOWANCE:
        return None
    out = []
    for name, array in zip(node.outputs, results):
        dtype = graph.values[name].dtype if name in graph.values else None
        if dtype is None and array.dtype.name not in ir.DTYPES:
            return None
        out.append(np.ascontiguousarray(array if dtype is None else array.astype(ir.np_dtype(dtype), copy=False)))
    return out


def _few_iterations(node: ir.Node, inputs: list) -> bool:
    """Control flow folds only when its work is bounded and small: If, or a Loop with a constant trip
    count up to FOLD_MAX_ITERATIONS (a file's Loop of 10^12 steps, or one running until a condition
    turns false, would make conversion hang)."""
    if node.op == "If":
        return True
    if node.op != "Loop" or not inputs or inputs[0] is None:
        return False
    return int(np.asarray(inputs[0]).reshape(-1)[0]) <= FOLD_MAX_ITERATIONS


def _too_big(graph: ir.Graph, node: ir.Node, inputs: list) -> bool:
    """From the inferred output shapes, before running anything: would the fold grow the data
    past GROWTH_ALLOWANCE (or the folding limit)? Unknown sizes are judged after running."""
    inferred = [(graph.values[o].dtype, graph.values[o].shape) for o in node.outputs if o in graph.values]
    sizes = [limits.nbytes(dtype, shape) for dtype, shape in inferred]
    known = sum(s for s in sizes if s is not None)
    return known > sum(x.nbytes for x in inputs if x is not None) + GROWTH_ALLOWANCE or \
        limits.fold_verdict(inferred, inputs) is not None


def _shape_slice(graph: ir.Graph, node: ir.Node) -> Optional[list]:
    """Shape(x)[start:end] with ONNX clamping, when those dims are static."""
    shape = graph.values[node.inputs[0]].shape
    if shape is None:
        return None
    r = len(shape)
    start, end = (int(attr(node, k)) for k in ("start", "end"))
    start = min(max(start + r if start < 0 else start, 0), r)
    end = min(max(end + r if end < 0 else end, 0), r)
    dims = list(shape[start:end])
    if not all(isinstance(d, (int, np.integer)) for d in dims):
        return None
    return [int(d) for d in dims]
