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

import dataclasses
from typing import Optional

import numpy as np

from .. import ir, ops
from ._util import (
    attr,
    bypass,
    const,
    is_one,
    new_value,
    node_index,
    remove_nodes,
    reshape_spec,
    restore,
    shape,
    snapshot,
    sole_consumer,
)
from .identity import noop_source

Perm = tuple
MAX_LOOKAHEAD = 48  # consumer levels the cost estimate explores


# ---- permutation algebra ----------------------------------------------------------------
def perm_of(node: ir.Node) -> Perm:
    return tuple(int(i) for i in attr(node, "perm"))


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
    kept = [p[i] for i, d in enumerate(out_shape) if not is_one(d)]
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
    r, pads = len(p), list(attr(node, "pads"))
    if len(pads) != 2 * r:
        return None
    new = [0] * (2 * r)
    for k in range(r):
        new[p[k]], new[r + p[k]] = pads[k], pads[r + k]
    return Plan([0], {"pads": new}, [p])


def _resize(s, node, p):
    updates = {}
    for key in ("scales", "sizes"):
        values = list(node.attrs.get(key, []))
        if values and len(values) != len(p):
            return None
        if values:
            updates[key] = [values[i] for i in inverse(p)]  # new[p[k]] = old[k]
    return Plan([0], updates, [p])


def _reduce(s, node, p):
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


def reshape_groups(in_shape, out_shape) -> Optional[list]:
    """Split a reshape into groups (in_axes, out_axes) of consecutive dims with equal
    element counts (a merge, a split, or 1s added/removed). Symbolic dims must map to
    themselves alone. None if the shapes do not line up this way."""
    if in_shape is None or out_shape is None:
        return None
    groups, i, j = [], 0, 0
    while i < len(in_shape) or j < len(out_shape):
        if i < len(in_shape) and j < len(out_shape) and (isinstance(in_shape[i], str) or isinstance(out_shape[j], str)):
            if in_shape[i] != out_shape[j]:
                return None
            groups.append(([i], [j]))
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
        groups.append((gi, go))
    return groups


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
    v_shape, out_shape = shape(s.graph, node.inputs[0]), shape(s.graph, node.outputs[0])
    groups = reshape_groups(v_shape, out_shape)
    if groups is None or any(not _consecutive([p[k] for k in gi]) for gi, _ in groups):
        return None
    ordered = _group_order(groups, lambda g: p[g[0][0]] if g[0] else None)
    order = [j for _, go in ordered for j in go]
    spec = reshape_spec(permuted(v_shape, inverse(p)), [out_shape[j] for j in order])
    return None if spec is None else Plan([0], {"shape": spec}, [inverse(tuple(order))])


HANDLERS: dict = {
    # the op lists come from the registry's traits
    **{op: _unary for op in ops.with_trait("layout_agnostic") if ops.get(op).max_inputs == 1},
    **{op: _broadcast for op in ops.with_trait("layout_agnostic") if ops.get(op).max_inputs == 2},
    **{op: _channel_last for op in ops.with_trait("channel_last")},
    "Concat": _concat, "Softmax": _softmax, "LogSoftmax": _softmax, "Split": _split, "Slice": _slice,
    "Pad": _pad, "Resize": _resize, "ReduceMean": _reduce, "ReduceSum": _reduce, "ReduceMax": _reduce,
    "Gather": _gather, "Reshape": _reshape,
}


# ---- the sinking engine ----------------------------------------------------------------------
class _Sinker:
    """Cost estimates and rewrites for pushing transposes down; caches producer/consumer maps."""

    def __init__(self, graph: ir.Graph):
        self.graph = graph
        self.refresh()

    def refresh(self) -> None:
        self.producers = self.graph.producers()
        self.uses = self.graph.consumers()
        self.outputs = set(self.graph.outputs)
        self.alive = {id(n) for n in self.graph.nodes}

    def rank(self, name: str) -> Optional[int]:
        return None if not name else (len(shape(self.graph, name)) if shape(self.graph, name) is not None else None)

    def consumers(self, name: str) -> list:
        seen, out = set(), []
        for n in self.uses.get(name, []):
            if id(n) not in seen:
                seen.add(id(n))
                out.append(n)
        return out

    def transpose_producer(self, name: str) -> Optional[ir.Node]:
        n = self.producers.get(name)
        return n if n is not None and n.op == "Transpose" else None

    def only_read_by(self, name: str, node: ir.Node) -> bool:
        return name not in self.outputs and all(n is node for n in self.uses.get(name, []))

    # -- how one input of a node gets Transpose(q) applied ------------------------------
    def input_change(self, node: ir.Node, name: str, q: Perm) -> Optional[tuple]:
        """(cost, kind) of giving input ``name`` of ``node`` Transpose(q) after lifting it
        to rank len(q) with leading 1s; None if that would need a lift we cannot do."""
        r, rank = len(q), self.rank(name)
        if const(self.graph, name) is not None and const(self.graph, name).ndim <= r:
            return 0, "const"
        if rank is None or rank > r:
            return None
        lifted = (1,) * (r - rank) + tuple(shape(self.graph, name))
        producer = self.transpose_producer(name)
        if producer is not None and rank == r:
            dies = self.only_read_by(name, node)
            if is_identity(compose(perm_of(producer), q)):
                return (-1 if dies else 0), "compose"
            return (0 if dies else 1), "compose"
        if all(is_one(d) for d in lifted):
            return 0, "keep"
        if unit_only(permuted(lifted, q), q) and reshape_spec(lifted[r - rank:], permuted(lifted, q)) is not None:
            return 0, "reshape"
        if rank != r:
            return None
        if self.existing_transpose(name, q) is not None:
            return 0, "reuse"
        # a Transpose(q^-1) sinking down to this value will cancel the one inserted here
        return (0 if self.arrives(name, inverse(q), node, 0) else 1), "transpose"

    def existing_transpose(self, name: str, q: Perm) -> Optional[ir.Node]:
        for n in self.uses.get(name, []):
            if n.op == "Transpose" and perm_of(n) == q:
                return n
        return None

    def arrives(self, name: str, p: Perm, reader: ir.Node, depth: int) -> bool:
        """Will a Transpose(p) upstream sink down to ``name`` (read only by ``reader``)?
        True if ``name`` comes from such a transpose through ops that pass p unchanged,
        with every other layout input free to transpose."""
        producer = self.producers.get(name)
        if producer is None or not self.only_read_by(name, reader) or depth >= MAX_LOOKAHEAD:
            return False
        if producer.op == "Transpose":
            return perm_of(producer) == p
        plan = self.handler_plan(producer, p)
        if plan is None or len(producer.outputs) != 1 or plan.out_perms != [p]:
            return False
        found = False
        for i in plan.inputs:
            w = producer.inputs[i]
            if self.arrives(w, p, producer, depth + 1):
                found = True
                continue
            change = self.input_change_static(w, inverse(p))
            if change is None or change > 0:
                return False
        return found

    def input_change_static(self, name: str, q: Perm) -> Optional[int]:
        """Cost of transposing ``name`` by q when that needs no look-around (constants, size-1 moves)."""
        r, rank = len(q), self.rank(name)
        if const(self.graph, name) is not None and const(self.graph, name).ndim <= r:
            return 0
        if rank is None or rank > r:
            return None
        lifted = (1,) * (r - rank) + tuple(shape(self.graph, name))
        return 0 if all(is_one(d) for d in lifted) or unit_only(permuted(lifted, q), q) else None

    def handler_plan(self, node: ir.Node, p: Perm) -> Optional[Plan]:
        """The op handler's plan, if the node's layout input has the perm's rank (the
        broadcasting handlers check their inputs' ranks themselves)."""
        handler = HANDLERS.get(node.op)
        if handler is None or (handler not in (_broadcast, _concat) and self.rank(node.inputs[0]) != len(p)):
            return None
        return handler(self, node, p)

    def plan(self, node: ir.Node, t: str, p: Perm) -> Optional[Plan]:
        """How ``node`` would be rewritten if its input value ``t`` came from Transpose(p)."""
        if self.rank(t) not in (None, len(p)):
            return None
        plan = self.handler_plan(node, p)
        if plan is None or any(x == t and i not in plan.inputs for i, x in enumerate(node.inputs)):
            return None
        q, upstream = inverse(p), 0
        for i in plan.inputs:
            if node.inputs[i] == t:
                continue
            change = self.input_change(node, node.inputs[i], q)
            if change is None:
                return None
            plan.cost += change[0]
            if node.inputs[i] not in self.graph.inputs:
                upstream += change[0]
        # Never add transposes inside the graph upstream of the node (keeps sinking monotone:
        # no transpose can come back down to undo it); a graph input is a boundary nothing
        # sinks into, so a transpose there is simply counted.
        return plan if upstream <= 0 else None

    # -- the estimate ---------------------------------------------------------------------
    def stay_cost(self, name: str, p: Perm) -> int:
        return 0 if unit_only(shape(self.graph, name), p) else 1

    def consumer_cost(self, node, t, p, depth, memo) -> Optional[int]:
        if node.op == "Transpose":
            return -1 if is_identity(compose(p, perm_of(node))) else 0
        plan = self.plan(node, t, p)
        if plan is None:
            return None
        cost = plan.cost
        for out, q in zip(node.outputs, plan.out_perms):
            if out and q is not None and not is_identity(q):
                cost += self.value_cost(out, q, depth + 1, memo)
        return cost

    def split(self, t: str, p: Perm, depth: int, memo: dict) -> tuple:
        """(best estimated cost, consumers to sink into) for Transpose(p) producing ``t``."""
        stay = self.stay_cost(t, p)
        blocked, costs = t in self.outputs, []
        for node in self.consumers(t):
            c = self.consumer_cost(node, t, p, depth, memo) if depth < MAX_LOOKAHEAD else None
            if c is None:
                blocked = True
            else:
                costs.append((node, c))
        best = (stay, [])
        gains = [(n, c) for n, c in costs if c < 0]
        if gains and stay + sum(c for _, c in gains) < best[0]:
            best = (stay + sum(c for _, c in gains), [n for n, _ in gains])
        if costs and not blocked and sum(c for _, c in costs) < best[0]:
            best = (sum(c for _, c in costs), [n for n, _ in costs])
        return best

    def value_cost(self, name: str, p: Perm, depth: int, memo: dict) -> int:
        key = (name, p)
        if key not in memo:
            memo[key] = self.stay_cost(name, p)  # guards re-entry
            memo[key] = self.split(name, p, depth, memo)[0]
        return memo[key]

    # -- rewriting ----------------------------------------------------------------------------
    def try_sink(self, transpose: ir.Node) -> bool:
        t, p = transpose.outputs[0], perm_of(transpose)
        if self.stay_cost(t, p) == 0:
            return False  # only moves size-1 dims: it becomes a free Reshape
        _, targets = self.split(t, p, 0, {})
        if not targets:
            targets = self.tie_break(t, p)
        if not targets:
            return False
        for node in targets:
            if id(node) in self.alive:
                self.sink_into(node, transpose)
                self.refresh()
        if not self.uses.get(t) and t not in self.outputs and id(transpose) in self.alive:
            remove_nodes(self.graph, [transpose])
            self.refresh()
        return True

    def tie_break(self, t: str, p: Perm) -> list:
        """On an exact tie, still move below a lone consumer whose outputs are no larger
        than t: the transpose gets nearer to where it may cancel, the consumer (often an
        activation) ends up next to its producer where it can fuse, and values it shared
        may be left with a single reader (which lets Transpose/Reshape pairs compose).
        Sinking only moves forward and never adds transposes, so ties cannot cycle."""
        readers = self.consumers(t)
        if len(readers) != 1 or t in self.outputs or readers[0].op == "Transpose":
            return []
        reader = readers[0]
        cost = self.consumer_cost(reader, t, p, 0, {})
        if cost is None or cost > self.stay_cost(t, p) or not self.no_larger(reader.outputs, t):
            return []
        return readers

    def no_larger(self, outs: list, t: str) -> bool:
        sizes = [shape(self.graph, o) for o in outs if o] + [shape(self.graph, t)]
        if any(s is None or not all(isinstance(d, (int, np.integer)) for d in s) for s in sizes):
            return all(s is not None and tuple(s) == tuple(sizes[-1]) for s in sizes)
        return sum(int(np.prod(s)) for s in sizes[:-1]) <= int(np.prod(sizes[-1]))

    def sink_into(self, node: ir.Node, transpose: ir.Node) -> None:
        g, t, p = self.graph, transpose.outputs[0], perm_of(transpose)
        if node.op == "Transpose":
            node.inputs[0] = transpose.inputs[0]
            node.attrs["perm"] = list(compose(p, perm_of(node)))
            if is_identity(perm_of(node)) and not bypass(g, node, node.inputs[0]):
                node.op, node.attrs = "Identity", {}
            return
        plan = self.plan(node, t, p)
        if plan is None:  # an earlier rewrite in this step changed the picture: leave the node
            return
        q = inverse(p)
        for i in plan.inputs:
            node.inputs[i] = self.transposed_input(node, node.inputs[i], q)
            self.refresh()
        node.attrs.update(plan.attrs)
        at = node_index(g, node) + 1
        for j, (out, r) in enumerate(zip(node.outputs, plan.out_perms)):
            if not out or r is None or is_identity(r):
                continue
            out_shape = shape(g, out)
            inner_shape = None if out_shape is None else permuted(out_shape, inverse(r))
            inner = new_value(g, f"{out}_nhwc", out, inner_shape)
            node.outputs[j] = inner
            g.add_node("Transpose", [inner], [out], {"perm": list(r)}, index=at)
            at += 1

    def transposed_input(self, node: ir.Node, name: str, q: Perm) -> str:
        """A value equal to Transpose(q)(name lifted to rank len(q)), inserting nodes before ``node``."""
        g, r = self.graph, len(q)
        change = self.input_change(node, name, q)
        if change is None:
            raise RuntimeError(f"layout: input {name!r} of node {node.name!r} cannot be transposed (plan was accepted)")
        kind = change[1]
        if kind == "const":
            c = const(g, name)
            return g.add_const(np.transpose(c.reshape((1,) * (r - c.ndim) + c.shape), q), f"{name}_t")
        if kind == "keep":
            return name
        if kind == "reuse":
            existing = self.existing_transpose(name, q)
            if node_index(g, existing) > node_index(g, node):  # its input precedes node: move it up
                remove_nodes(g, [existing])
                g.nodes.insert(node_index(g, node), existing)
            return existing.outputs[0]
        lifted = (1,) * (r - self.rank(name)) + tuple(shape(g, name))
        if kind == "compose":
            producer = self.transpose_producer(name)
            perm = compose(perm_of(producer), q)
            if is_identity(perm):
                return producer.inputs[0]
            src, op, attrs = producer.inputs[0], "Transpose", {"perm": list(perm)}
        elif kind == "reshape":
            src, op, attrs = name, "Reshape", {"shape": reshape_spec(shape(g, name), permuted(lifted, q))}
        else:
            src, op, attrs = name, "Transpose", {"perm": list(q)}
        out = new_value(g, f"{name}_t", name, permuted(lifted, q))
        g.add_node(op, [src], [out], attrs, index=node_index(g, node))
        return out


def _sink_transposes(graph: ir.Graph) -> bool:
    changed = False
    for _ in range(4 * len(graph.nodes) + 8):  # a bound, never reached in practice
        sinker, progress = _Sinker(graph), False
        for node in list(graph.nodes):
            if node.op == "Transpose" and id(node) in sinker.alive and sinker.try_sink(node):
                progress = True
        if not progress:
            break
        changed = True
    return changed


# ---- clean-up rules -----------------------------------------------------------------------
def _compose_transposes(graph: ir.Graph) -> bool:
    producers, changed = graph.producers(), False
    for node in list(graph.nodes):
        first = producers.get(node.inputs[0]) if node.op == "Transpose" else None
        if first is None or first.op != "Transpose":
            continue
        node.attrs["perm"] = list(compose(perm_of(first), perm_of(node)))
        node.inputs[0] = first.inputs[0]
        changed = True
    return changed


def _fold_constant_transposes(graph: ir.Graph) -> bool:
    dead = []
    for node in graph.nodes:
        c = const(graph, node.inputs[0]) if node.op == "Transpose" else None
        if c is not None and node.outputs[0] not in graph.outputs:
            graph.add_value(node.outputs[0], const=np.ascontiguousarray(np.transpose(c, perm_of(node))))
            dead.append(node)
    remove_nodes(graph, dead)
    return bool(dead)


def _dedupe(graph: ir.Graph) -> bool:
    """Merge Transpose/Reshape nodes doing the same thing to the same value."""
    first: dict = {}
    changed = False
    for node in list(graph.nodes):
        if node.op not in ("Transpose", "Reshape"):
            continue
        key = (node.op, tuple(node.inputs), repr(sorted(node.attrs.items())))
        if key not in first:
            first[key] = node
        elif node.outputs[0] not in graph.outputs:
            remove_nodes(graph, [node])
            graph.replace_uses(node.outputs[0], first[key].outputs[0])
            changed = True
    return changed


def _unit_transposes_to_reshapes(graph: ir.Graph) -> bool:
    changed = False
    for node in graph.nodes:
        if node.op != "Transpose" or not unit_only(shape(graph, node.outputs[0]), perm_of(node)):
            continue
        spec = reshape_spec(shape(graph, node.inputs[0]), shape(graph, node.outputs[0]))
        if spec is not None:
            node.op, node.attrs = "Reshape", {"shape": spec}
            changed = True
    return changed


def _merge_reshapes(graph: ir.Graph) -> bool:
    producers, changed = graph.producers(), False
    for node in graph.nodes:
        first = producers.get(node.inputs[0]) if node.op == "Reshape" and len(node.inputs) == 1 else None
        if first is None or first.op != "Reshape":
            continue
        spec = reshape_spec(shape(graph, first.inputs[0]), shape(graph, node.outputs[0]))
        if spec is not None:
            node.inputs[0], node.attrs = first.inputs[0], {"shape": spec}
            changed = True
    return changed


def _remove_noops(graph: ir.Graph) -> bool:
    changed = False
    for node in list(graph.nodes):
        if node.op in ("Transpose", "Reshape"):
            src = noop_source(graph, node)
            if src is not None and bypass(graph, node, src):
                changed = True
    return changed


def _flatten_concats(graph: ir.Graph) -> bool:
    producers, uses, changed = graph.producers(), graph.consumers(), False
    for node in graph.nodes:
        if node.op != "Concat" or shape(graph, node.outputs[0]) is None:
            continue
        r = len(shape(graph, node.outputs[0]))
        axis, merged = _axis(attr(node, "axis"), r), []
        for name in node.inputs:
            inner = producers.get(name)
            if inner is not None and inner.op == "Concat" and _axis(attr(inner, "axis"), r) == axis \
                    and sole_consumer(graph, uses, name) is node and node.inputs.count(name) == 1:
                merged.extend(inner.inputs)
                changed = True
            else:
                merged.append(name)
        node.inputs = merged
    return changed


def _pull_transposes_above_reshapes(graph: ir.Graph) -> bool:
    """Transpose(Reshape(Transpose(x))) -> Reshape(Transpose(x)) when the outer
    transpose only reorders whole groups of the reshape: it moves above the reshape
    and composes with the inner one (a channel shuffle keeps one transpose).
    Everything in between must be read only along this chain."""
    producers, uses, changed = graph.producers(), graph.consumers(), False
    for node in list(graph.nodes):
        reshape = producers.get(node.inputs[0]) if node.op == "Transpose" else None
        if reshape is None or reshape.op != "Reshape" or len(reshape.inputs) > 1 or \
                sole_consumer(graph, uses, reshape.outputs[0]) is not node:
            continue
        inner = producers.get(reshape.inputs[0])
        z, v = reshape.inputs[0], reshape.outputs[0]
        groups = reshape_groups(shape(graph, z), shape(graph, v))
        # the inner transpose must die in the composition: then every pull-up removes one
        # transpose, and a tie-break sink can never push it back down (no cycle)
        if inner is None or inner.op != "Transpose" or groups is None or sole_consumer(graph, uses, z) is not reshape:
            continue
        q = inverse(perm_of(node))  # output position of each reshape-output axis
        if any(not _consecutive([q[k] for k in gv]) for _, gv in groups):
            continue
        ordered = _group_order(groups, lambda g, q=q: q[g[1][0]] if g[1] else None)
        z_perm = tuple(i for gz, _ in ordered for i in gz)
        spec = reshape_spec(permuted(shape(graph, z), z_perm), shape(graph, node.outputs[0]))
        if spec is None:
            continue
        moved = new_value(graph, f"{z}_t", z, permuted(shape(graph, z), z_perm))
        graph.add_node("Transpose", [z], [moved], {"perm": list(z_perm)}, index=node_index(graph, reshape))
        reshape.inputs[0], reshape.attrs["shape"] = moved, spec
        reshape.outputs[0] = node.outputs[0]
        remove_nodes(graph, [node])
        graph.values.pop(v, None)
        producers, uses, changed = graph.producers(), graph.consumers(), True
    return changed


def _gemm_transposed_operands(graph: ir.Graph) -> bool:
    """Gemm(Transpose[1,0](a), ...) reads a directly with transA flipped (same for b)."""
    producers, changed = graph.producers(), False
    for node in graph.nodes:
        if node.op != "Gemm":
            continue
        for i, flag in ((0, "transA"), (1, "transB")):
            t = producers.get(node.inputs[i])
            if t is not None and t.op == "Transpose" and perm_of(t) == (1, 0):
                node.inputs[i] = t.inputs[0]
                node.attrs[flag] = 1 - int(attr(node, flag))
                changed = True
    return changed


def _absorb_flatten_transpose(graph: ir.Graph) -> bool:
    """Transpose(p, p[0]=0) -> flatten Reshape -> Gemm/MatMul with constant weights:
    permute the weight rows instead, so the flatten reads the untransposed data."""
    producers, uses, changed = graph.producers(), graph.consumers(), False
    for fc in graph.nodes:
        reshape = producers.get(fc.inputs[0]) if fc.op in ("Gemm", "MatMul") else None
        t = producers.get(reshape.inputs[0]) if reshape is not None and reshape.op == "Reshape" and \
            len(reshape.inputs) == 1 else None
        if t is None or t.op != "Transpose" or sole_consumer(graph, uses, reshape.outputs[0]) is not fc \
                or sole_consumer(graph, uses, t.outputs[0]) is not reshape:
            continue
        p, x_shape, flat = perm_of(t), shape(graph, t.inputs[0]), shape(graph, reshape.outputs[0])
        w = const(graph, fc.inputs[1])
        trans_b = fc.op == "Gemm" and int(attr(fc, "transB"))
        if p[0] != 0 or x_shape is None or flat is None or len(flat) != 2 or flat[0] != x_shape[0] or \
                w is None or w.ndim != 2 or (fc.op == "Gemm" and int(attr(fc, "transA"))) or \
                not all(isinstance(d, (int, np.integer)) for d in x_shape[1:]):
            continue
        k = int(np.prod(x_shape[1:]))
        rows = w.T if trans_b else w  # [K, N]
        spec = reshape_spec(x_shape, flat)
        if rows.shape[0] != k or flat[1] != k or spec is None:
            continue
        v_dims = permuted(x_shape, p)[1:]
        q = inverse(p)
        rows = rows.reshape(tuple(v_dims) + (rows.shape[1],))
        rows = rows.transpose([q[j] - 1 for j in range(1, len(p))] + [len(p) - 1]).reshape(k, -1)
        fc.inputs[1] = graph.add_const(np.ascontiguousarray(rows.T if trans_b else rows), f"{fc.name}_w")
        reshape.inputs[0], reshape.attrs = t.inputs[0], {"shape": spec}
        changed = True
    return changed


# ---- driver --------------------------------------------------------------------------------
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
    changed = False
    for _ in range(64):
        step = False
        for rule in rules:
            step |= rule(graph)
        if not step:
            break
        changed = True
    return changed


SINK_RULES: list = [_fold_constant_transposes, _compose_transposes, _remove_noops, _dedupe, _dead_transposes,
                    _sink_transposes, _pull_transposes_above_reshapes, _gemm_transposed_operands]
CLEANUP_RULES: list = [_unit_transposes_to_reshapes, _merge_reshapes, _remove_noops, _flatten_concats,
                       _absorb_flatten_transpose, _dedupe, _dead_transposes]


def optimize_layout(graph: ir.Graph) -> bool:
    before, snap = moving_transposes(graph), snapshot(graph)
    changed = _to_fixed_point(graph, SINK_RULES)
    changed |= _to_fixed_point(graph, CLEANUP_RULES)
    if moving_transposes(graph) > before:
        restore(graph, snap)
        return False
    return changed
