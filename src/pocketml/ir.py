"""The pocketml intermediate representation: a graph of nodes over named values.

A Graph holds Values (name, dtype, shape, optional constant data) and Nodes
(op name from the op registry, input/output value names, attributes). Shapes
are tuples of ints or strings (symbolic dims such as "batch"). Converters build
graphs, passes rewrite them in place, and the format writer serialises them.
Nodes are kept in topological order by ``Graph.toposort``.
"""
from __future__ import annotations

import dataclasses
import itertools
from typing import Any, Iterable, Optional, Union

import numpy as np

Dim = Union[int, str]
Shape = tuple

# Element types live in the leaf module pocketml.dtypes; re-exported here.
from .dtypes import DTYPE_BY_CODE, DTYPES, dtype_code, dtype_name, np_dtype  # noqa: E402,F401


def is_static(shape: Optional[Shape]) -> bool:
    return shape is not None and all(isinstance(d, (int, np.integer)) and d >= 0 for d in shape)


@dataclasses.dataclass
class Value:
    name: str
    dtype: Optional[str] = None  # one of DTYPES, None = not inferred yet
    shape: Optional[Shape] = None  # None = unknown rank
    const: Optional[np.ndarray] = None  # constant data (weights, folded values)

    @property
    def is_const(self) -> bool:
        return self.const is not None


@dataclasses.dataclass
class Node:
    op: str
    inputs: list  # value names; "" for an absent optional input
    outputs: list
    attrs: dict = dataclasses.field(default_factory=dict)
    name: str = ""

    def __repr__(self) -> str:
        return f"Node({self.op} {self.name!r} {self.inputs} -> {self.outputs} {self.attrs})"


class Graph:
    def __init__(self, name: str = "main"):
        self.name = name
        self.nodes: list[Node] = []
        self.values: dict[str, Value] = {}
        self.inputs: list[str] = []
        self.outputs: list[str] = []
        self._counter = itertools.count()

    # ---- construction -------------------------------------------------------
    def value(self, name: str) -> Value:
        return self.values[name]

    def add_value(self, name: str, dtype: Optional[str] = None, shape: Optional[Shape] = None,
                  const: Optional[np.ndarray] = None) -> Value:
        if const is not None:
            const = np.asarray(const, order="C")  # keeps 0-d scalars 0-d (ascontiguousarray would not)
            dtype = dtype_name(const.dtype)
            shape = tuple(int(d) for d in const.shape)
        v = Value(name, dtype, None if shape is None else tuple(shape), const)
        self.values[name] = v
        return v

    def add_const(self, array: np.ndarray, prefix: str = "const") -> str:
        name = self.unique_name(prefix)
        self.add_value(name, const=np.asarray(array))
        return name

    def unique_name(self, prefix: str) -> str:
        while True:
            name = f"{prefix}__{next(self._counter)}"
            if name not in self.values:
                return name

    def add_node(self, op: str, inputs: Iterable[str], outputs: Iterable[str], attrs: Optional[dict] = None,
                 name: str = "", index: Optional[int] = None) -> Node:
        node = Node(op, list(inputs), list(outputs), dict(attrs or {}), name or self.unique_name(op))
        for out in node.outputs:
            if out and out not in self.values:
                self.add_value(out)
        if index is None:
            self.nodes.append(node)
        else:
            self.nodes.insert(index, node)
        return node

    # ---- queries ----------------------------------------------------------------
    def producers(self) -> dict:
        """value name -> node producing it."""
        return {o: n for n in self.nodes for o in n.outputs if o}

    def consumers(self) -> dict:
        """value name -> list of nodes consuming it (graph outputs not included)."""
        uses: dict[str, list] = {}
        for n in self.nodes:
            for i in n.inputs:
                if i:
                    uses.setdefault(i, []).append(n)
        return uses

    def is_const(self, name: str) -> bool:
        return bool(name) and self.values[name].const is not None

    # ---- rewriting ----------------------------------------------------------------
    def replace_uses(self, old: str, new: str) -> None:
        """Point every consumer (and graph output) of ``old`` at ``new``."""
        for n in self.nodes:
            n.inputs = [new if i == old else i for i in n.inputs]
        self.outputs = [new if o == old else o for o in self.outputs]

    def remove_unused_values(self) -> None:
        used = set(self.inputs) | set(self.outputs)
        for n in self.nodes:
            used.update(i for i in n.inputs if i)
            used.update(o for o in n.outputs if o)
        self.values = {k: v for k, v in self.values.items() if k in used}

    def toposort(self) -> None:
        """Order nodes so every input is produced before use (stable for already-sorted graphs)."""
        available = set(self.inputs) | {k for k, v in self.values.items() if v.const is not None}
        pending = list(self.nodes)
        ordered = []
        while pending:
            progressed = False
            rest = []
            for n in pending:
                if all((not i) or i in available for i in n.inputs):
                    ordered.append(n)
                    available.update(o for o in n.outputs if o)
                    progressed = True
                else:
                    rest.append(n)
            if not progressed:
                missing = sorted({i for n in rest for i in n.inputs if i and i not in available})
                raise ValueError(f"graph has a cycle or undefined values: {missing[:10]}")
            pending = rest
        self.nodes = ordered

    def infer_shapes(self) -> None:
        """Run the registry's shape/dtype inference over every node in order."""
        from . import ops

        for n in self.nodes:
            opdef = ops.get(n.op)
            ins = [self.values[i] if i else None for i in n.inputs]
            results = opdef.infer(n, ins)
            for out, (dtype, shape) in zip(n.outputs, results):
                if out:
                    v = self.values[out]
                    v.dtype = dtype
                    v.shape = None if shape is None else tuple(shape)

    def copy(self) -> "Graph":
        import copy

        return copy.deepcopy(self)

    def __repr__(self) -> str:
        lines = [f"Graph {self.name}: inputs={self.inputs} outputs={self.outputs}"]
        lines += [f"  {n!r}" for n in self.nodes]
        return "\n".join(lines)
