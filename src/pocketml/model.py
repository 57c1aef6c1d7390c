"""Model: an optimized IR graph plus metadata, as produced by a converter or
read from a .pml file. It serialises to .pml (``save``/``to_bytes``) and
summarises itself (ops by type, parameters, file size, arena size) for reports.
"""
from __future__ import annotations

import collections
import dataclasses
import os
from typing import Optional

import numpy as np

from . import ir
from ._nogc import paused_gc
from .tensor_info import TensorInfo


@dataclasses.dataclass
class Summary:
    """What ``Model.summary()`` reports; ``format()`` renders it as text."""
    ops: dict  # op name -> count, most frequent first
    nodes: int
    parameters: int  # elements in constant tensors
    weight_bytes: int
    file_size: int
    arena_size: Optional[int]  # bytes of the activation arena planned by the C runtime
    inputs: list  # of TensorInfo
    outputs: list
    symbolic_dims: list = dataclasses.field(default_factory=list)  # names of symbolic input dims
    notes: list = dataclasses.field(default_factory=list)  # conversion notes (e.g. QDQ nodes left in float)

    def format(self) -> str:
        """The report as indented text lines (what ``pocketml info`` prints)."""
        def fmt_bytes(n):
            if n is None:
                return "?"
            for unit in ("B", "KiB", "MiB", "GiB"):
                if n < 1024 or unit == "GiB":
                    return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
                n /= 1024

        lines = []
        for title, vals in (("inputs", self.inputs), ("outputs", self.outputs)):
            for name, dtype, shape in vals:
                lines.append(f"  {title[:-1]:<7} {name}: {dtype}{list(shape)}")
        lines.append(f"  nodes       {self.nodes}")
        lines.append(f"  parameters  {self.parameters:,} ({fmt_bytes(self.weight_bytes)})")
        lines.append(f"  file size   {fmt_bytes(self.file_size)}")
        if self.arena_size is None and self.symbolic_dims:
            lines.append(f"  arena size  planned per input shape (symbolic dims: {', '.join(self.symbolic_dims)})")
        else:
            lines.append(f"  arena size  {fmt_bytes(self.arena_size)}")
        width = max((len(k) for k in self.ops), default=4)
        lines.append("  ops by type:")
        for op, count in self.ops.items():
            lines.append(f"    {op:<{width}}  {count:>5}")
        if self.notes:
            lines.append("  notes:")
            lines.extend(f"    {note}" for note in self.notes)
        return "\n".join(lines)


class Model:
    """A converted model (an optimized graph plus metadata), as returned by
    :func:`pocketml.convert` or :func:`pocketml.load`.

    Run it with ``pocketml.Session(model)``; write it with ``model.save("model.pml")``.
    """

    def __init__(self, graph: ir.Graph, metadata: Optional[dict] = None):
        """``graph``: the IR graph (pocketml.ir.Graph); ``metadata``: str -> str, stored in the .pml file."""
        self.graph = graph
        self.metadata = dict(metadata or {})
        self.notes: list = []  # what conversion could not do as asked (not stored in the .pml file)
        self._bytes: Optional[bytes] = None

    # ---- inputs and outputs ---------------------------------------------------------------
    def _describe(self, names) -> "list[TensorInfo]":
        def dim(d):
            return int(d) if isinstance(d, (int, np.integer)) else d

        return [TensorInfo(n, ir.np_dtype(self.graph.values[n].dtype),
                           tuple(dim(d) for d in self.graph.values[n].shape or ()), self.graph.values[n].quant)
                for n in names]

    @property
    def inputs(self) -> "list[TensorInfo]":
        """The graph inputs, as :class:`pocketml.TensorInfo` (the type ``Session.inputs`` returns)."""
        return self._describe(self.graph.inputs)

    @property
    def outputs(self) -> "list[TensorInfo]":
        """The graph outputs, as :class:`pocketml.TensorInfo` (the type ``Session.outputs`` returns)."""
        return self._describe(self.graph.outputs)

    # ---- serialisation ------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The model as a .pml file image (cached; the graph must not change afterwards)."""
        if self._bytes is None:
            from .format import write_pml

            self._bytes = write_pml(self.graph, None, metadata=self.metadata)
        return self._bytes

    def save(self, path: "str | os.PathLike") -> int:
        """Write the .pml file; returns its size in bytes. The file is written under a temporary
        name and renamed over ``path``: a model loaded from ``path`` (whose constants are views
        of the mapped file) keeps reading the old file, never a half-written one."""
        from .format.writer import atomic_write, save_pml  # the writer renames a finished temporary file

        if self._bytes is None:  # stream the file: the weights are not copied into one image first
            with paused_gc():
                return save_pml(self.graph, path, metadata=self.metadata)
        data = self.to_bytes()
        atomic_write(path, lambda f: f.write(data))
        return len(data)

    @classmethod
    def load(cls, path: "str | os.PathLike | bytes") -> "Model":
        """Read a .pml file (path or bytes), verified, back into a Model. A path is memory-mapped:
        the constants are read-only views of the file's pages, not copies (copy one before
        changing it)."""
        from .format import read_pml

        graph, metadata = read_pml(path)
        return cls(graph, metadata)

    # ---- reports --------------------------------------------------------------------------
    def summary(self, with_arena: bool = True) -> Summary:
        """Ops by type, parameters, file size, inputs/outputs and (``with_arena``, static shapes only)
        the arena size the C runtime plans; ``.format()`` gives the text report."""
        ops = collections.Counter(n.op for n in self.graph.nodes)
        consts = [v.const for v in self.graph.values.values() if v.const is not None]
        arena = None
        symbolic = sorted({str(d) for _, _, shape in self.inputs for d in shape if not isinstance(d, (int, np.integer))})
        if with_arena and not symbolic:
            from .runtime import Session

            with Session(self) as s:
                arena = s.arena_size
        return Summary(
            ops=dict(ops.most_common()),
            nodes=len(self.graph.nodes),
            parameters=int(sum(np.asarray(c).size for c in consts)),
            weight_bytes=int(sum(np.asarray(c).nbytes for c in consts)),
            file_size=len(self.to_bytes()),
            arena_size=arena,
            symbolic_dims=symbolic,
            notes=list(self.notes),
            inputs=self.inputs,
            outputs=self.outputs,
        )

    def __repr__(self) -> str:
        return f"Model(inputs={self.inputs}, outputs={self.outputs}, nodes={len(self.graph.nodes)})"
