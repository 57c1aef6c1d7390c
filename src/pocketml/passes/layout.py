"""Layout: eliminate the transposes the ONNX importer wraps around NHWC ops.

The importer runs every NHWC op (Conv, pools, LRN, BatchNormalization...) as
Transpose(NCHW->NHWC) -> op -> Transpose(NHWC->NCHW), so a plain CNN is full
of inverse pairs separated by layout-agnostic ops (Relu, Add, Concat...).
This pass removes them globally, in the spirit of onnxruntime's transpose
optimizer, while the graph's inputs and outputs keep their names and layout.

Sinking (the core). A Transpose(p) producing value t is pushed below its
consumers: a consumer C (with a handler for its op) is rewritten to work on
the untransposed data -- every "layout input" of C gets Transpose(p^-1)
(which cancels against t's own transpose, folds into a constant, composes
with another transpose, or becomes a free Reshape for a broadcast operand of
lower rank), axis-like attributes are remapped through p, and each output
gets a Transpose that restores it. Those new transposes are sunk in turn until
they meet their inverses. Whether to sink is decided by an estimate: the
number of data-moving transposes left if the transpose is pushed as far as
profitable (a recursive look-ahead over consumers, memoised, depth-bounded),
against 1 for leaving it. An operand that a matching transpose will reach from
upstream counts as free. A consumer that would need a brand-new transpose on
another operand inside the graph refuses, as onnxruntime does, which keeps the
process monotone (no ping-pong between two inputs); on a graph input, which
nothing upstream can reach, the new transpose is allowed and counted. A
transpose with several consumers is sunk into all of them, or only into those
where it cancels (and kept for the rest), whichever leaves fewer.

Clean-ups: Transpose->Transpose compose (identity pairs vanish), transposes
of constants fold, duplicate Transpose/Reshape of one value merge, a
transpose that only moves size-1 dims becomes a Reshape, Reshape->Reshape
merge, no-op Reshape/Transpose go, Concat(Concat) on one axis flattens, a
[1,0] transpose feeding Gemm flips transA/transB, and NHWC->NCHW transpose
+ flatten feeding a fully-connected layer is absorbed by permuting the
weight rows. If the result has more data-moving transposes than the input
(an estimate gone wrong), the pass restores the graph.
"""
from __future__ import annotations

from .. import ir
from ._util import remove_nodes, restore, shape, snapshot
from .layout_cleanup import (_absorb_flatten_transpose, _compose_transposes, _dedupe,
                             _flatten_concats, _fold_constant_transposes, _gemm_transposed_operands, _merge_reshapes,
                             _pull_transposes_above_reshapes, _remove_noops, _unit_transposes_to_reshapes)
from .layout_perm import HANDLERS, perm_of, reshape_groups, unit_only  # noqa: F401 (re-exported)
from .layout_sink import _sink_transposes


def moving_transposes(graph: ir.Graph) -> int:
    """Transposes that move data (not the size-1-only kind a Reshape can replace)."""
    return sum(1 for n in graph.nodes if n.op == "Transpose" and not unit_only(shape(graph, n.outputs[0]), perm_of(n)))


def _dead_transposes(graph: ir.Graph) -> bool:
    uses, outputs = graph.consumers(), set(graph.outputs)
    dead = [n for n in graph.nodes if n.op in ("Transpose", "Reshape") and not uses.get(n.outputs[0])
            and n.outputs[0] not in outputs]
    remove_nodes(graph, dead)
    return bool(dead)


def _to_fixed_point(graph: ir.Graph, rules: list) -> bool:
    """Apply the rules in turn, round after round (at most 64), until every rule in a row has changed
    nothing: the calls of a last, idle round that would follow such a row are the same calls on the
    same graph, so they are skipped (each rule scans the whole graph)."""
    changed, idle = False, 0
    for k in range(64 * len(rules)):
        if rules[k % len(rules)](graph):
            changed, idle = True, 0
        else:
            idle += 1
            if idle == len(rules):
                break
    return changed


SINK_RULES: list = [_fold_constant_transposes, _compose_transposes, _remove_noops, _dedupe, _dead_transposes,
                    _sink_transposes, _pull_transposes_above_reshapes, _gemm_transposed_operands]
CLEANUP_RULES: list = [_unit_transposes_to_reshapes, _merge_reshapes, _remove_noops, _flatten_concats,
                       _absorb_flatten_transpose, _dedupe, _dead_transposes]


def optimize_layout(graph: ir.Graph) -> bool:
    before, snap = moving_transposes(graph), snapshot(graph)
    changed = _to_fixed_point(graph, SINK_RULES)
    changed |= _to_fixed_point(graph, CLEANUP_RULES)
    if changed and moving_transposes(graph) > before:  # (unchanged: as many as before)
        restore(graph, snap)
        return False
    return changed
