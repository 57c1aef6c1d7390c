"""Transposes cancelled and moved while the ONNX graph is imported.

The spatial handlers wrap each channels-last IR op in Transpose(NCHW->NHWC) ... Transpose
back (layout.py). Left as they are, a CNN imports with two transposes per op for the
layout pass to sink and cancel afterwards, which is most of its conversion time. Here
``Context.emit`` asks, for each node it is about to add:

- ``collapse``: a Transpose of a Transpose's output reads the first one's input instead
  (the pair cancels when the perms are inverse);
- ``sink``: an op that the layout pass would move a transpose through using only its
  attributes and input ranks (elementwise, channel-last, Concat, Softmax, reductions:
  ``passes.layout_perm.rank_only_plan``) and whose layout inputs all arrive through
  Transpose(p) of one p is emitted on the untransposed inputs instead, followed by the
  transpose of its output;
- ``move_reshape``: a channel shuffle (Reshape [N,C,H,W] -> [N,g,C/g,H,W], Transpose, Reshape
  back to [N,C,H,W]) of an NHWC op's output is emitted on the NHWC data, as the layout pass
  would leave it (Reshape -> Transpose of the two channel factors -> Reshape) with the NCHW
  transpose after it, for the next spatial op to cancel: ShuffleNet's shuffles no longer
  go through the layout pass's search.

So Conv -> Relu -> Conv imports as Conv -> Relu -> Conv with NHWC values between, and the
NCHW transposes that nobody reads are dropped by dead-code elimination. Moving a
transpose below such an op never adds one (every other layout input is a transpose
of the same perm or a constant) and never moves it onto a bigger tensor; the layout
pass still runs over the result for everything this leaves (Reshape, Pad, Resize...).
"""
from __future__ import annotations

import functools
from typing import Optional

import numpy as np

from pocketml import ir, ops
from pocketml.passes.layout_perm import (RANK_ONLY_OPS, compose, inverse, is_identity, perm_of, rank_only_plan,
                                        reshape_groups, reshape_moved)

MOVABLE_OPS = RANK_ONLY_OPS  # the ops sink() may move a transpose through


def collapse(transpose_of, name: str, perm) -> tuple:
    """(source, perm) reading the same data as Transpose(perm)(name) with one transpose fewer
    when ``name`` is itself a transpose's output (``transpose_of(name)`` gives that Transpose
    node or None), else (name, perm)."""
    first = transpose_of(name)
    if first is None:
        return name, tuple(perm)
    return first.inputs[0], compose(perm_of(first), tuple(perm))


def sink(graph: ir.Graph, transpose_of, node: ir.Node, add_const) -> Optional[tuple]:
    """(inputs, attribute updates, output perms) for emitting ``node`` on untransposed inputs,
    or None when its layout inputs do not all arrive through one transpose.

    ``add_const(array)`` adds a constant (a broadcast operand permuted to the new layout)."""
    first = next((t for t in map(transpose_of, node.inputs) if t is not None), None)
    if first is None:
        return None
    p = perm_of(first)
    plan = rank_only_plan(node, p, lambda name: _rank(graph, name))
    if plan is None or len(plan.out_perms) != len(node.outputs):
        return None
    inputs, q = list(node.inputs), inverse(p)
    for i in plan.inputs:
        name = inputs[i]
        if not name:
            continue
        t = transpose_of(name)
        if t is not None and perm_of(t) == p:
            inputs[i] = t.inputs[0]
            continue
        value = graph.values[name]
        if not value.is_const or value.const.ndim > len(p):
            return None  # an activation in the other layout: the layout pass weighs that case
        c = value.const
        if c.size != 1:  # size-1 operands broadcast the same in any layout
            inputs[i] = add_const(np.transpose(c.reshape((1,) * (len(p) - c.ndim) + c.shape), q))
    if any(perm is not None and not is_identity(perm) for perm in plan.out_perms) or inputs != node.inputs:
        return inputs, plan.attrs, plan.out_perms
    return None


NCHW_FROM_NHWC = (0, 3, 1, 2)


@functools.lru_cache(maxsize=1024)
def move_reshape(p: tuple, in_shape: tuple, out_shape: tuple) -> Optional[tuple]:
    """(perm to apply first or None, Reshape shape attribute, output perm) that give Reshape(in_shape ->
    out_shape) of Transpose(p)(x) from x, for the two reshapes of a channel shuffle of NHWC data (None
    otherwise): the split [N,C,H,W] -> [N,g,C/g,H,W] of NHWC->NCHW data moves below as it is; the merge
    back to [N,C,H,W] of the shuffled 5-D data first transposes x so that the merged channel factors
    are next to each other, and moves below when what is left is NHWC->NCHW again. Cached (tuples
    in and out): a ShuffleNet repeats a few shuffles of the same shapes."""
    if len(p) == 4 and p == NCHW_FROM_NHWC and len(out_shape) == 5:
        moved = reshape_moved(in_shape, out_shape, p)
        return None if moved is None else (None, tuple(moved[0]), moved[1])
    if len(p) != 5 or len(out_shape) != 4:
        return None
    groups = reshape_groups(in_shape, out_shape)
    if groups is None or any(not gi for gi, _ in groups):
        return None
    sources = sorted(([p[k] for k in gi] for gi, _ in groups), key=min)
    first = tuple(a for src in sources for a in src)  # each group's axes together, in the order p reads them
    if is_identity(first):
        return None
    rest = tuple(inverse(first)[a] for a in p)  # Transpose(p) = Transpose(first) then Transpose(rest)
    moved = reshape_moved(in_shape, out_shape, rest)
    return None if moved is None or moved[1] != NCHW_FROM_NHWC else (first, tuple(moved[0]), moved[1])


@functools.lru_cache(maxsize=None)
def _transpose_dtypes() -> frozenset:
    """The dtypes the Transpose op takes (the registry's, looked up once rather than per transpose)."""
    return frozenset(ops.get("Transpose").types["T"])


def transposed_shape(x: Optional[ir.Value], perm) -> Optional[tuple]:
    """The shape of a Transpose of run-time value ``x`` by a valid ``perm``: what the op's inference
    gives (a transpose keeps the dtype and element count, so no check can refuse it), without the
    generic path the importer would take for each of a CNN's hundreds of layout transposes; None
    for anything else (constants fold, a bad perm or dtype gets inference's error)."""
    if x is None or x.const is not None or x.shape is None or x.dtype not in _transpose_dtypes():
        return None
    if len(perm) != len(x.shape) or sorted(perm) != list(range(len(perm))):
        return None
    return tuple(x.shape[k] for k in perm)


def _rank(graph: ir.Graph, name: str) -> Optional[int]:
    value = graph.values.get(name) if name else None
    return None if value is None or value.shape is None else len(value.shape)
