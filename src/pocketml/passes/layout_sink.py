"""Layout, part 2: the sinking engine -- pushes each Transpose below its consumers when
the look-ahead estimate says fewer data-moving transposes remain (see layout.py)."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .. import ir, quant_support
from ._util import bypass, const, is_one, new_value, node_index, remove_nodes, reshape_spec, shape
from .layout_perm import (HANDLERS, MAX_LOOKAHEAD, Perm, Plan, _broadcast, _concat, compose, inverse, is_identity,
                          permuted, perm_of, unit_only)


# ---- the sinking engine ----------------------------------------------------------------------
class _Sinker:
    """Cost estimates and rewrites for pushing transposes down; caches producer/consumer maps."""

    def __init__(self, graph: ir.Graph):
        self.graph = graph
        self.refresh()

    def refresh(self) -> None:
        # the graph's producer/consumer indexes are live: read them directly (no view objects)
        self.producer = self.graph.producer
        self.consumers = self.graph.consumers_of  # each reader once, in the order it started reading
        self.values = self.graph.values
        self.outputs = set(self.graph.outputs)

    def rank(self, name: str) -> Optional[int]:
        v = self.values.get(name) if name else None
        return None if v is None or v.shape is None else len(v.shape)

    def transpose_producer(self, name: str) -> Optional[ir.Node]:
        n = self.producer(name)
        return n if n is not None and n.op == "Transpose" else None

    def only_read_by(self, name: str, node: ir.Node) -> bool:
        return name not in self.outputs and all(n is node for n in self.consumers(name))

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
        for n in self.consumers(name):
            if n.op == "Transpose" and perm_of(n) == q:
                return n
        return None

    def arrives(self, name: str, p: Perm, reader: ir.Node, depth: int) -> bool:
        """Will a Transpose(p) upstream sink down to ``name`` (read only by ``reader``)?
        True if ``name`` comes from such a transpose through ops that pass p unchanged,
        with every other layout input free to transpose."""
        producer = self.producer(name)
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
            if node in self.graph:
                self.sink_into(node, transpose)
                self.refresh()
        if not self.consumers(t) and t not in self.outputs and transpose in self.graph:
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
            g.set_input(node, 0, transpose.inputs[0])
            node.attrs["perm"] = list(compose(p, perm_of(node)))
            if is_identity(perm_of(node)) and not bypass(g, node, node.inputs[0]):
                node.op, node.attrs = "Identity", {}
            return
        plan = self.plan(node, t, p)
        if plan is None:  # an earlier rewrite in this step changed the picture: leave the node
            return
        q = inverse(p)
        for i in plan.inputs:
            g.set_input(node, i, self.transposed_input(node, node.inputs[i], q))
            self.refresh()
        node.attrs.update(plan.attrs)
        placed = []  # right after node, in output order (Graph.place: no O(n) insert per node)
        for j, (out, r) in enumerate(zip(node.outputs, plan.out_perms)):
            if not out or r is None or is_identity(r):
                continue
            out_shape = shape(g, out)
            inner_shape = None if out_shape is None else permuted(out_shape, inverse(r))
            inner = new_value(g, f"{out}_nhwc", out, inner_shape)
            # a quantized output (an int8 ReduceMean) keeps its parameters, its axis moved back
            g.values[inner].quant = quant_support.moved(g.values[out].quant, inverse(r))
            g.set_output(node, j, inner)
            placed.append(g.new_node("Transpose", [inner], [out], {"perm": list(r)}))
        if placed:
            g.place(node, placed, after=True)

    def transposed_input(self, node: ir.Node, name: str, q: Perm) -> str:
        """A value equal to Transpose(q)(name lifted to rank len(q)), inserting nodes before ``node``."""
        g, r = self.graph, len(q)
        change = self.input_change(node, name, q)
        if change is None:
            raise RuntimeError(f"layout: input {name!r} of node {node.name!r} cannot be transposed (plan was accepted)")
        kind = change[1]
        if kind == "const":
            c = const(g, name)
            moved = g.add_const(np.transpose(c.reshape((1,) * (r - c.ndim) + c.shape), q), f"{name}_t")
            g.values[moved].quant = quant_support.moved(g.values[name].quant, q, r - c.ndim)
            return moved
        if kind == "keep":
            return name
        if kind == "reuse":
            existing = self.existing_transpose(name, q)
            if node_index(g, existing) > node_index(g, node):  # its input precedes node: move it up
                remove_nodes(g, [existing])
                g.insert_node(node_index(g, node), existing)
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
        g.place(node, [g.new_node(op, [src], [out], attrs)])
        return out


def _sink_transposes(graph: ir.Graph) -> bool:
    changed = False
    for _ in range(4 * len(graph.nodes) + 8):  # a bound, never reached in practice
        sinker, progress = _Sinker(graph), False
        for node in list(graph.nodes):
            if node.op == "Transpose" and node in graph and sinker.try_sink(node):
                progress = True
        if not progress:
            break
        changed = True
    return changed


# ---- clean-up rules -----------------------------------------------------------------------
