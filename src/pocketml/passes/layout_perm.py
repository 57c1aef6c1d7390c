"""Layout, part 1: permutation algebra and the per-op handlers that say how a node is
rewritten when its layout inputs arrive transposed (see layout.py for the whole pass)."""
from __future__ import annotations

import dataclasses
import functools
from typing import Optional

from .. import ir, ops
from ._util import attr, is_one, reshape_spec, shape

Perm = tuple

# The op traits layout relies on, by hand (to be read from the op registry's traits):
# layout-agnostic unary ops (any permutation passes through), broadcasting binary ops,
# and ops that work on the channel (last) axis only.
MAX_LOOKAHEAD = 48  # consumer levels the cost estimate explores


# ---- permutation algebra ----------------------------------------------------------------
def perm_of(node: ir.Node) -> Perm:
    return tuple(map(int, attr(node, "perm")))


def inverse(p: Perm) -> Perm:
    inv = [0] * len(p)
    for i, j in enumerate(p):
        inv[j] = i
    return tuple(inv)


def compose(first: Perm, second: Perm) -> Perm:
    """The single perm equal to Transpose(first) followed by Transpose(second)."""
    return tuple(first[i] for i in second)


def permuted(seq, p: Perm) -> tuple:
    """Shape of transpose(x, p) given x's shape."""
    return tuple(seq[i] for i in p)


def is_identity(p: Perm) -> bool:
    return tuple(p) == tuple(range(len(p)))


def unit_only(out_shape, p: Perm) -> bool:
    """True if the transpose producing out_shape through p moves only size-1 dims
    (the other dims keep their order), i.e. it is a Reshape."""
    if out_shape is None:
        return False
    kept = [p[i] for i, d in enumerate(out_shape) if not (d == 1 if type(d) is int else is_one(d))]
    return kept == sorted(kept)


def _axis(value, r: int) -> Optional[int]:
    a = int(value)
    return a % r if -r <= a < r else None


# ---- op handlers: how a node is rewritten when its inputs are pre-transposed ----------------
@dataclasses.dataclass
class Plan:
    inputs: list            # indices of layout inputs: each receives Transpose(p^-1)
    attrs: dict             # attribute updates for the rewritten node
    out_perms: list         # per output: perm restoring it, None if none is needed
    cost: int = 0           # transposes added (+) / removed (-) on the other inputs


def _unary(s, node, p):
    return Plan([0], {}, [p])


def _channel_last(s, node, p):
    # ScaleShift / LRN / BatchNormalization work on the last axis: it must stay last.
    return Plan([0], {}, [p]) if p[-1] == len(p) - 1 else None


def _per_instance_channel_last(s, node, p):
    # GroupNormalization: statistics per instance (axis 0) over the channels-last groups;
    # the spatial axes between may come in any order, batch and channels must stay put.
    return Plan([0], {}, [p]) if p[0] == 0 and p[-1] == len(p) - 1 else None


def _broadcast(s, node, p):
    ranks = [s.rank(i) for i in node.inputs]
    if None in ranks or max(ranks) != len(p):
        return None
    return Plan(list(range(len(node.inputs))), {}, [p])


def _concat(s, node, p):
    r, axis = len(p), _axis(attr(node, "axis"), len(p))
    if axis is None or any(s.rank(i) != r for i in node.inputs):
        return None
    return Plan(list(range(len(node.inputs))), {"axis": p[axis]}, [p])


def _softmax(s, node, p):
    axis = _axis(attr(node, "axis"), len(p))
    return None if axis is None else Plan([0], {"axis": p[axis]}, [p])


def _quant(s, node, p):
    # Quantize/DequantizeLinear: per-tensor scales pass any permutation, a per-axis vector
    # follows its axis; blocked scales have x's layout and would need transposing too.
    if node.attrs.get("block_size", 0):
        return None
    scale_rank = s.rank(node.inputs[1])
    axis = _axis(attr(node, "axis"), len(p))
    if scale_rank == 0 or (scale_rank == 1 and axis is None):
        return Plan([0], {}, [p])  # one value (an out-of-range axis is never read)
    return None if scale_rank != 1 else Plan([0], {"axis": p[axis]}, [p])


def _dynamic_quant(s, node, p):
    return Plan([0], {}, [p, None, None])  # the scale and zero point are scalars


def _split(s, node, p):
    axis = _axis(attr(node, "axis"), len(p))
    return None if axis is None else Plan([0], {"axis": p[axis]}, [p] * len(node.outputs))


def _slice(s, node, p):
    if len(node.inputs) > 1:  # bounds computed at run time: their axes cannot be remapped here
        return None
    axes = list(attr(node, "axes")) or list(range(len(attr(node, "starts"))))
    mapped = [_axis(a, len(p)) for a in axes]
    return None if None in mapped else Plan([0], {"axes": [p[a] for a in mapped]}, [p])


def _pad(s, node, p):
    if any(node.inputs[1:]) or node.attrs.get("axes"):
        return None  # pads/axes/value given at run time or per axis: left as they are
    r, pads = len(p), list(attr(node, "pads"))
    if len(pads) != 2 * r:
        return None
    new = [0] * (2 * r)
    for k in range(r):
        new[p[k]], new[r + p[k]] = pads[k], pads[r + k]
    return Plan([0], {"pads": new}, [p])


def _resize(s, node, p):
    r, updates = len(p), {}
    if any(node.inputs[1:]):  # scales/sizes/roi inputs follow the axes attribute: remap the axes
        axes = [_axis(a, r) for a in attr(node, "axes")] or list(range(r))
        if None in axes:
            return None
        updates["axes"] = [p[a] for a in axes]
    for key in ("scales", "sizes"):
        values = list(node.attrs.get(key, []))
        if values and len(values) != r:
            return None
        if values:
            updates[key] = [values[i] for i in inverse(p)]  # new[p[k]] = old[k]
    roi = list(node.attrs.get("roi", []))  # [starts..., ends...] over every axis
    if roi and len(roi) != 2 * r:
        return None
    if roi:
        updates["roi"] = [roi[i] for i in inverse(p)] + [roi[r + i] for i in inverse(p)]
    return Plan([0], updates, [p])


def _reduce(s, node, p):
    if len(node.inputs) > 1 and node.inputs[1]:
        return None  # axes computed at run time cannot be remapped here
    r = len(p)
    axes = [_axis(a, r) for a in attr(node, "axes")]
    if None in axes:
        return None
    if not axes:
        if attr(node, "noop_with_empty_axes"):
            return Plan([0], {}, [p])
        axes = list(range(r))
    new_axes = sorted(p[a] for a in axes)
    if attr(node, "keepdims"):
        return Plan([0], {"axes": new_axes}, [p])
    kept_new = [a for a in range(r) if a not in new_axes]           # output dims of the rewritten node
    kept_old = [p[k] for k in range(r) if k not in axes]            # the original output's dims, same labels
    return Plan([0], {"axes": new_axes}, [tuple(kept_new.index(a) for a in kept_old)])


def _gather(s, node, p):
    r, axis, m = len(p), _axis(attr(node, "axis"), len(p)), s.rank(node.inputs[1])
    if axis is None or m is None:
        return None
    idx = [("i", j) for j in range(m)]
    new_labels = [("a", j) for j in range(p[axis])] + idx + [("a", j) for j in range(p[axis] + 1, r)]
    old_labels = [("a", p[k]) for k in range(axis)] + idx + [("a", p[k]) for k in range(axis + 1, r)]
    return Plan([0], {"axis": p[axis]}, [tuple(new_labels.index(lbl) for lbl in old_labels)])


def reshape_groups(in_shape, out_shape) -> Optional[tuple]:
    """Split a reshape into groups (in_axes, out_axes) of consecutive dims with equal
    element counts (a merge, a split, or 1s added/removed). Symbolic dims must map to
    themselves alone. None if the shapes do not line up this way."""
    if in_shape is None or out_shape is None:
        return None
    return _reshape_groups(tuple(in_shape), tuple(out_shape))


@functools.lru_cache(maxsize=4096)
def _reshape_groups(in_shape: tuple, out_shape: tuple) -> Optional[tuple]:
    # cached: the sinking look-ahead asks about the same few reshapes hundreds of times (a
    # ShuffleNet's channel shuffles); the groups are tuples, so no caller can change a shared answer
    groups, i, j = [], 0, 0
    while i < len(in_shape) or j < len(out_shape):
        if i < len(in_shape) and j < len(out_shape) and (isinstance(in_shape[i], str) or isinstance(out_shape[j], str)):
            if in_shape[i] != out_shape[j]:
                return None
            groups.append(((i,), (j,)))
            i, j = i + 1, j + 1
            continue
        gi, go, pi, po = [], [], 1, 1
        if i < len(in_shape):
            gi, pi, i = [i], int(in_shape[i]), i + 1
        if j < len(out_shape):
            go, po, j = [j], int(out_shape[j]), j + 1
        while pi != po:
            if pi < po and i < len(in_shape) and not isinstance(in_shape[i], str):
                gi, pi, i = gi + [i], pi * int(in_shape[i]), i + 1
            elif po < pi and j < len(out_shape) and not isinstance(out_shape[j], str):
                go, po, j = go + [j], po * int(out_shape[j]), j + 1
            else:
                return None
        groups.append((tuple(gi), tuple(go)))
    return tuple(groups)


def _consecutive(axes: list) -> bool:
    return axes == list(range(axes[0], axes[0] + len(axes))) if axes else True


def _group_order(groups: list, position) -> list:
    """Groups sorted by ``position(group)`` (None for a group of only 1s, which is
    kept right after its predecessor)."""
    keyed, last = [], (-1, 0)
    for n, group in enumerate(groups):
        pos = position(group)
        last = (pos, 0) if pos is not None else (last[0], last[1] + 1)
        keyed.append((last, n))
    return [groups[n] for _, n in sorted(keyed)]


def _reshape(s, node, p):
    if len(node.inputs) > 1:  # target shape computed at run time
        return None
    # Sinkable when every merged/split group of dims is contiguous and in order in
    # the untransposed data; the new Reshape lays the groups out in that order.
    moved = reshape_moved(shape(s.graph, node.inputs[0]), shape(s.graph, node.outputs[0]), p)
    return None if moved is None else Plan([0], {"shape": moved[0]}, [moved[1]])


def reshape_moved(v_shape, out_shape, p: Perm) -> Optional[tuple]:
    """(Reshape shape attribute, output perm) such that Reshape(Transpose(p)(x)) to out_shape is
    Transpose(output perm)(Reshape(x)), v_shape being Transpose(p)(x)'s shape; None when a merged or
    split group of dims is not contiguous and in order in x."""
    groups = reshape_groups(v_shape, out_shape)
    if groups is None or any(not _consecutive([p[k] for k in gi]) for gi, _ in groups):
        return None
    ordered = _group_order(groups, lambda g: p[g[0][0]] if g[0] else None)
    order = [j for _, go in ordered for j in go]
    spec = reshape_spec(permuted(v_shape, inverse(p)), [out_shape[j] for j in order])
    return None if spec is None else (spec, inverse(tuple(order)))


HANDLERS: dict = {
    # the op lists come from the registry's traits
    **{op: _unary for op in ops.with_trait("layout_agnostic") if ops.get(op).max_inputs == 1},
    **{op: _broadcast for op in ops.with_trait("layout_agnostic") if ops.get(op).max_inputs == 2},
    **{op: _channel_last for op in ops.with_trait("channel_last")},
    "Concat": _concat, "Softmax": _softmax, "LogSoftmax": _softmax, "Hardmax": _softmax, "LpNormalization": _softmax,
    "Split": _split, "Slice": _slice,
    "Pad": _pad, "Resize": _resize, "ReduceMean": _reduce, "ReduceSum": _reduce, "ReduceMax": _reduce,
    "Gather": _gather, "Reshape": _reshape, "GroupNormalization": _per_instance_channel_last,
    "QuantizeLinear": _quant, "DequantizeLinear": _quant, "DynamicQuantizeLinear": _dynamic_quant,
}


# Handlers that read only the node's attributes and its inputs' ranks: they can plan a node
# before it is in a graph (the ONNX importer moves transposes through such nodes as it emits them).
RANK_ONLY = (_unary, _broadcast, _channel_last, _per_instance_channel_last, _concat, _softmax, _reduce, _quant,
             _dynamic_quant)


RANK_ONLY_OPS = frozenset(op for op, handler in HANDLERS.items() if handler in RANK_ONLY)


class _Ranks:
    def __init__(self, rank_of):
        self.rank = rank_of


def rank_only_plan(node: ir.Node, p: Perm, rank_of) -> Optional[Plan]:
    """The plan for ``node`` with its layout inputs arriving through Transpose(p), for the
    handlers in RANK_ONLY (None otherwise); ``rank_of(name)`` gives an input's rank."""
    handler = HANDLERS.get(node.op)
    if handler not in RANK_ONLY:
        return None
    if handler not in (_broadcast, _concat) and rank_of(node.inputs[0]) != len(p):
        return None
    return handler(_Ranks(rank_of), node, p)
