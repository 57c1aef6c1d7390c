"""The pocketml intermediate representation: a graph of nodes over named values.

A Graph holds Values (name, dtype, shape, optional constant data) and Nodes
(op name from the op registry, input/output value names, attributes). Shapes
are tuples of ints or strings (symbolic dims such as "batch"). Converters build
graphs, passes rewrite them in place, and the format writer serialises them.
Nodes are kept in topological order by ``Graph.toposort``.

The graph keeps two indexes live: value -> producing node and value -> consuming
nodes. Every change to a node's inputs/outputs or to the node list (through the
Graph methods, or directly on ``node.inputs``/``graph.nodes``, whose lists report
their changes) updates them in time proportional to the node touched, so passes
ask ``graph.producer(v)`` / ``graph.consumers_of(v)`` after each rewrite without
rescanning the graph. Shape inference lives in ``shape_inference`` (it needs the
op registry, which itself imports this module).
"""
from __future__ import annotations

import dataclasses
import heapq
import itertools
from collections.abc import Mapping
from typing import Any, Iterable, Optional, Union

import numpy as np

Dim = Union[int, str]
Shape = tuple

# Element types live in the leaf module pocketml.dtypes; re-exported here.
from .dtypes import DTYPE_BY_CODE, DTYPES, dtype_code, dtype_name, np_dtype  # noqa: E402,F401
from .graph_views import ConsumerView, ProducerView  # noqa: E402
from .quant_params import QuantParams  # noqa: E402


def is_static(shape: Optional[Shape]) -> bool:
    return shape is not None and all(isinstance(d, (int, np.integer)) and d >= 0 for d in shape)


@dataclasses.dataclass
class Value:
    name: str
    dtype: Optional[str] = None  # one of DTYPES, None = not inferred yet
    shape: Optional[Shape] = None  # None = unknown rank
    const: Optional[np.ndarray] = None  # constant data (weights, folded values)
    # quantization parameters (None: not quantized): the real value of a stored integer is
    # (x - zero_point) * scale; passes that move or merge values keep them (quant_params.py)
    quant: Optional[QuantParams] = None

    @property
    def is_const(self) -> bool:
        return self.const is not None


class _Wired(list):
    """A node's inputs or outputs: a list that unwires and rewires its node in the
    graph's indexes around every in-place change (so direct edits stay indexed).
    Made by _wired: list's own constructor, then the node (no Python-level __init__ and
    super().__init__ for the two lists of each of the thousands of nodes a conversion makes)."""
    __slots__ = ("_node",)

    def __reduce__(self):
        return (list, (list(self),))



def _wired_mutator(name: str):
    base = getattr(list, name)

    def method(self, *args):
        graph = self._node._graph
        if graph is None:
            return base(self, *args)
        graph._unwire(self._node)
        try:
            return base(self, *args)
        finally:
            graph._wire(self._node)
    method.__name__ = name
    return method


for _name in ("__setitem__", "__delitem__", "__iadd__", "append", "extend", "insert", "pop", "remove", "clear",
              "sort", "reverse"):
    setattr(_Wired, _name, _wired_mutator(_name))
del _name


def _wired(node: "Node", items) -> _Wired:
    wired = _Wired(items)
    wired._node = node
    return wired


class Node:
    """One op application. ``inputs``/``outputs`` are value names ("" = absent optional)."""
    __slots__ = ("op", "_inputs", "_outputs", "attrs", "name", "_graph")

    def __init__(self, op: str, inputs: Iterable[str], outputs: Iterable[str], attrs: Optional[dict] = None,
                 name: str = ""):
        self._graph: Optional[Graph] = None
        self.op = op
        self._inputs = _wired(self, inputs)
        self._outputs = _wired(self, outputs)
        self.attrs = {} if attrs is None else attrs
        self.name = name

    def _set(self, slot: str, names) -> None:
        graph = self._graph
        if graph is not None:
            graph._unwire(self)
        setattr(self, slot, _wired(self, names))
        if graph is not None:
            graph._wire(self)

    @property
    def inputs(self) -> list:
        return self._inputs

    @inputs.setter
    def inputs(self, names) -> None:
        self._set("_inputs", names)

    @property
    def outputs(self) -> list:
        return self._outputs

    @outputs.setter
    def outputs(self, names) -> None:
        self._set("_outputs", names)

    def __eq__(self, other) -> bool:
        if not isinstance(other, Node):
            return NotImplemented
        return (self.op, list(self.inputs), list(self.outputs), self.attrs, self.name) == \
            (other.op, list(other.inputs), list(other.outputs), other.attrs, other.name)

    __hash__ = None  # compared by value, like the dataclass it replaces; index by id()

    def __reduce__(self):
        return (Node, (self.op, list(self.inputs), list(self.outputs), self.attrs, self.name))

    def __repr__(self) -> str:
        return f"Node({self.op} {self.name!r} {list(self.inputs)} -> {list(self.outputs)} {self.attrs})"


class _NodeList(list):
    """Graph.nodes: insertions attach nodes to the graph's indexes, removals detach them."""
    __slots__ = ("_graph",)

    def __init__(self, graph: "Graph", items=()):
        super().__init__(items)
        self._graph = graph

    def __reduce__(self):
        return (list, (list(self),))

    def append(self, node):
        self._graph._attach(node)
        super().append(node)

    def extend(self, nodes):
        nodes = list(nodes)
        for n in nodes:
            self._graph._attach(n)
        super().extend(nodes)

    def __iadd__(self, nodes):
        self.extend(nodes)
        return self

    def insert(self, index, node):
        self._graph._attach(node)
        super().insert(index, node)

    def __setitem__(self, index, node):
        if isinstance(index, slice):
            old, new = list(self[index]), list(node)
        else:
            old, new = [self[index]], [node]
        for n in old:
            self._graph._detach(n)
        for n in new:
            self._graph._attach(n)
        super().__setitem__(index, node if isinstance(index, slice) else new[0])

    def __delitem__(self, index):
        for n in (self[index] if isinstance(index, slice) else [self[index]]):
            self._graph._detach(n)
        super().__delitem__(index)

    def pop(self, index=-1):
        node = super().pop(index)
        self._graph._detach(node)
        return node

    def remove(self, node):
        for i, n in enumerate(self):
            if n is node:
                del self[i]
                return
        raise ValueError("node not in graph")

    def clear(self):
        for n in self:
            self._graph._detach(n)
        super().clear()


class Graph:
    def __init__(self, name: str = "main"):
        self.name = name
        self._producer: dict = {}  # value -> node
        self._uses: dict = {}  # value -> {id(node): [node, count]} (insertion ordered)
        self._nodes = _NodeList(self)
        self._stale = False  # _nodes still holds removed nodes or misses placed ones (fixed on the next read)
        self._before: dict = {}  # id(anchor) -> nodes placed right before it, spliced in on the next read
        self._after: dict = {}  # id(anchor) -> nodes placed right after it
        self._touched: Optional[dict] = None  # id -> node (re)wired since track_changes()
        self.values: dict[str, Value] = {}
        self.inputs: list[str] = []
        self.outputs: list[str] = []
        self._counter = itertools.count()

    # ---- index maintenance (O(inputs + outputs) of the node touched) ----------------
    def _wire(self, node: Node) -> None:
        key = id(node)
        if self._touched is not None:
            self._touched[key] = node
        for o in node._outputs:
            if o:
                self._producer[o] = node
        uses = self._uses
        for i in node._inputs:  # (get, not setdefault: no dict or list built for an existing entry)
            if i:
                readers = uses.get(i)
                if readers is None:
                    uses[i] = {key: [node, 1]}
                    continue
                entry = readers.get(key)
                if entry is None:
                    readers[key] = [node, 1]
                else:
                    entry[1] += 1

    def _unwire(self, node: Node) -> None:
        producer, key = self._producer, id(node)
        for o in node._outputs:
            if o and producer.get(o) is node:
                del producer[o]
        for i in node._inputs:
            if i:
                uses = self._uses.get(i)
                entry = uses.get(key) if uses else None
                if entry is not None:
                    entry[1] -= 1
                    if entry[1] <= 0:
                        del uses[key]
                        if not uses:
                            del self._uses[i]

    def _attach(self, node: Node) -> None:
        if node._graph is self:
            raise ValueError(f"node {node.name!r} is already in graph {self.name!r}")
        if node._graph is not None:
            node._graph._nodes.remove(node)
        node._graph = self
        self._wire(node)

    def _detach(self, node: Node) -> None:
        if node._graph is self:
            self._unwire(node)
            node._graph = None

    def _compact(self) -> None:
        if self._stale:
            if self._before or self._after:
                kept = self._spliced()
            else:
                kept = [n for n in self._nodes if n._graph is self]
            list.clear(self._nodes)
            list.extend(self._nodes, kept)
            self._stale = False

    def _spliced(self) -> list:
        """The order with the placed nodes around their anchors (an anchor removed since still
        places them), removed nodes dropped: one O(n) pass however many were placed."""
        before, after, out, seen = self._before, self._after, [], set()

        def emit(n) -> None:
            for b in before.pop(id(n), ()):
                emit(b)
            if n._graph is self and id(n) not in seen:
                seen.add(id(n))
                out.append(n)
            for a in after.pop(id(n), ()):
                emit(a)
        for n in list(self._nodes):
            emit(n)
        self._before, self._after = {}, {}
        return out

    @property
    def nodes(self) -> list:
        """Nodes in order (a list whose insertions/removals keep the indexes live)."""
        self._compact()
        return self._nodes

    def __contains__(self, node: Node) -> bool:
        return isinstance(node, Node) and node._graph is self

    @nodes.setter
    def nodes(self, nodes) -> None:
        nodes = list(nodes)
        self._compact()
        keep = {id(n) for n in nodes}
        for n in self._nodes:
            if id(n) not in keep:
                self._detach(n)
        fresh = _NodeList(self)
        for n in nodes:
            if n._graph is not self:
                self._attach(n)
            list.append(fresh, n)
        self._nodes = fresh

    # ---- construction -------------------------------------------------------
    def value(self, name: str) -> Value:
        return self.values[name]

    def add_value(self, name: str, dtype: Optional[str] = None, shape: Optional[Shape] = None,
                  const: Optional[np.ndarray] = None, quant: Optional[QuantParams] = None) -> Value:
        if const is not None:
            const = np.asarray(const)  # views (transposed, broadcast) stay views: the writer copies them once
            dtype = dtype_name(const.dtype)
            shape = const.shape  # a tuple of Python ints already
        v = Value(name, dtype, None if shape is None else tuple(shape), const, quant)
        self.values[name] = v
        return v

    def add_const(self, array: np.ndarray, prefix: str = "const") -> str:
        name = self.unique_name(prefix)
        self.add_value(name, const=np.asarray(array))
        return name

    def unique_name(self, prefix: str, avoid=()) -> str:
        """``prefix__<n>`` with the next n that names no value and nothing in ``avoid`` (an
        importer's reserved source names)."""
        values, counter = self.values, self._counter
        while True:
            name = f"{prefix}__{next(counter)}"
            if name not in values and name not in avoid:
                return name

    def add_node(self, op: str, inputs: Iterable[str], outputs: Iterable[str], attrs: Optional[dict] = None,
                 name: str = "", index: Optional[int] = None) -> Node:
        """Create a node (outputs get Values if new). ``index`` inserts at a position (O(n));
        appending and calling ``toposort`` once after a batch of rewrites is cheaper."""
        node = Node(op, list(inputs), list(outputs), dict(attrs or {}), name or self.unique_name(op))
        for out in node.outputs:
            if out and out not in self.values:
                self.add_value(out)
        if index is None:
            self._nodes.append(node)
        else:
            self._nodes.insert(index, node)
        return node

    def new_node(self, op: str, inputs: Iterable[str], outputs: Iterable[str], attrs: Optional[dict] = None,
                 name: str = "") -> Node:
        """A node not yet in the graph (its new outputs get Values): place it with ``place``."""
        node = Node(op, list(inputs), list(outputs), dict(attrs or {}), name or self.unique_name(op))
        for out in node.outputs:
            if out and out not in self.values:
                self.add_value(out)
        return node

    def place(self, anchor: Node, nodes: list, after: bool = False) -> None:
        """Add ``nodes`` (in this order) right before ``anchor``, or right after it, in O(len(nodes)):
        the order is spliced once, on the next read of ``nodes``, instead of an O(n) insert each.
        Same order as inserting at ``index_of(anchor)`` (before: later calls land between earlier
        ones and the anchor) or at ``index_of(anchor) + 1`` (after: later calls land first)."""
        nodes = list(nodes)
        for n in nodes:
            self._attach(n)
        if after:
            self._after[id(anchor)] = nodes + self._after.get(id(anchor), [])
        else:
            self._before.setdefault(id(anchor), []).extend(nodes)
        self._stale = True

    def append_node(self, node: Node) -> Node:
        """Add an existing (detached) Node at the end; toposort places it later if needed."""
        self._nodes.append(node)
        return node

    def insert_node(self, index: int, node: Node) -> Node:
        self.nodes.insert(index, node)
        return node

    def replace_node(self, old: Node, new: Node) -> None:
        """Put ``new`` where ``old`` stands in the order (old leaves the graph). O(n):
        use ``replace_nodes`` for a batch."""
        self.replace_nodes([(old, new)])

    def replace_nodes(self, pairs: Iterable[tuple]) -> None:
        """Put each new node where its old node stands, in one O(n) pass over the order."""
        by_old = {id(old): (old, new) for old, new in pairs}
        if not by_old:
            return
        nodes, found = self.nodes, 0
        for k, n in enumerate(nodes):
            if id(n) in by_old:
                nodes[k] = by_old[id(n)][1]
                found += 1
        if found != len(by_old):
            raise ValueError(f"replace_nodes: {len(by_old) - found} node(s) are not in graph {self.name!r}")

    def index_of(self, node: Node) -> int:
        """Position of ``node`` in the order. O(n): passes call it only when they insert."""
        for k, n in enumerate(self.nodes):
            if n is node:
                return k
        raise ValueError(f"node {node.name!r} is not in graph {self.name!r}")

    def remove_nodes(self, dead: Iterable[Node]) -> None:
        """Drop nodes: O(1) each; the node list is compacted once, when next read."""
        for n in dead:
            if n._graph is self:
                self._detach(n)
                self._stale = True

    def remove_node(self, node: Node) -> None:
        self.remove_nodes([node])

    def set_input(self, node: Node, index: int, name: str) -> None:
        """Rewire one input (the index grows with "" when ``index`` is past the end)."""
        if index >= len(node.inputs):
            node.inputs = list(node.inputs) + [""] * (index + 1 - len(node.inputs))
        node.inputs[index] = name

    def set_inputs(self, node: Node, names: Iterable[str]) -> None:
        node.inputs = list(names)

    def set_output(self, node: Node, index: int, name: str) -> None:
        node.outputs[index] = name

    def set_outputs(self, node: Node, names: Iterable[str]) -> None:
        node.outputs = list(names)

    def track_changes(self) -> None:
        """Start recording the nodes added or rewired (inputs/outputs changed) from now on."""
        self._touched = {}

    def take_changes(self) -> list:
        """Nodes added or rewired since the last call (still in the graph), and reset the record."""
        touched, self._touched = self._touched or {}, {}
        return [n for n in touched.values() if n._graph is self]

    # ---- queries ----------------------------------------------------------------
    def producers(self) -> Mapping:
        """value name -> node producing it (a live read-only view)."""
        return ProducerView(self)

    def consumers(self) -> Mapping:
        """value name -> list of nodes consuming it, one entry per use (live read-only view;
        graph outputs not included)."""
        return ConsumerView(self)

    def producer(self, name: str) -> Optional[Node]:
        return self._producer.get(name) if name else None

    def consumers_of(self, name: str) -> list:
        """Nodes reading ``name`` (each once), in the order they started reading it."""
        uses = self._uses.get(name)
        return [n for n, _ in uses.values()] if uses else []

    def num_uses(self, name: str) -> int:
        uses = self._uses.get(name)
        return sum(c for _, c in uses.values()) if uses else 0

    def is_const(self, name: str) -> bool:
        return bool(name) and self.values[name].const is not None

    # ---- rewriting ----------------------------------------------------------------
    def replace_uses(self, old: str, new: str) -> None:
        """Point every consumer (and graph output) of ``old`` at ``new``."""
        for n in self.consumers_of(old):
            n.inputs = [new if i == old else i for i in n.inputs]
        if old in self.outputs:
            self.outputs = [new if o == old else o for o in self.outputs]

    def remove_unused_values(self) -> None:
        used = set(self.inputs) | set(self.outputs) | set(self._producer) | {k for k, v in self._uses.items() if v}
        self.values = {k: v for k, v in self.values.items() if k in used}

    def toposort(self) -> None:
        """Order nodes so every input is produced before use: Kahn's algorithm, O(n log n),
        taking the earliest node in the current order first (stable for sorted graphs)."""
        self._compact()
        if self._is_sorted():
            return  # Kahn's order of a sorted graph is the graph's order: skip the heap
        available = set(self.inputs)
        order = list(self._nodes)
        position = {id(n): k for k, n in enumerate(order)}
        waiting = [0] * len(order)
        missing = set()
        for k, n in enumerate(order):
            for i in n.inputs:
                if not i or i in available:
                    continue
                p = self._producer.get(i)
                if p is not None and id(p) in position:
                    waiting[k] += 1
                elif i not in self.values or self.values[i].const is None:
                    missing.add(i)
        if missing:
            raise ValueError(f"graph has a cycle or undefined values: {sorted(missing)[:10]}")
        ready = [k for k, w in enumerate(waiting) if w == 0]
        heapq.heapify(ready)
        ordered = []
        while ready:
            k = heapq.heappop(ready)
            n = order[k]
            ordered.append(n)
            for o in n.outputs:
                if not o or o in available:
                    continue
                for c, count in (self._uses.get(o) or {}).values():
                    j = position[id(c)]
                    waiting[j] -= count
                    if waiting[j] == 0:
                        heapq.heappush(ready, j)
        if len(ordered) != len(order):
            stuck = sorted({i for k, n in enumerate(order) if waiting[k] > 0 for i in n.inputs if i})
            raise ValueError(f"graph has a cycle or undefined values: {stuck[:10]}")
        list.clear(self._nodes)
        list.extend(self._nodes, ordered)

    def _is_sorted(self) -> bool:
        """Every input is a graph input, a constant or produced by an earlier node (one pass,
        no heap). False also when something is undefined: toposort then reports it."""
        available, producer, values, done = set(self.inputs), self._producer, self.values, set()
        for n in self._nodes:
            for i in n.inputs:
                if not i or i in available:
                    continue
                p = producer.get(i)
                if p is not None:
                    if id(p) not in done:
                        return False
                elif i not in values or values[i].const is None:
                    return False
            done.add(id(n))
        return True

    def copy(self) -> "Graph":
        import copy

        g = Graph(self.name)
        g.values = copy.deepcopy(self.values)
        g.inputs, g.outputs = list(self.inputs), list(self.outputs)
        g._counter = copy.deepcopy(self._counter)
        for n in self.nodes:
            g._nodes.append(Node(n.op, list(n.inputs), list(n.outputs), copy.deepcopy(n.attrs), n.name))
        for k, v in self.__dict__.items():  # importer extras (source_metadata...)
            if k not in g.__dict__:
                setattr(g, k, copy.deepcopy(v))
        return g

    def __repr__(self) -> str:
        lines = [f"Graph {self.name}: inputs={self.inputs} outputs={self.outputs}"]
        lines += [f"  {n!r}" for n in self.nodes]
        return "\n".join(lines)
