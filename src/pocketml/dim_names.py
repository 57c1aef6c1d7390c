"""Readable names for the symbolic dims of a converted graph's outputs.

Shape inference names a symbolic output dim by how it was computed: broadcasting ``batch``
with a dim a node produced gives ``max(batch,node_expand:d0)``, which is what the runtime
computes but not what a user wants to read in ``Session.outputs``. The names are only names
(the runtime computes every size from the input shapes), so after conversion each symbolic
output dim takes, in order of preference: the name the source model declares for it (an ONNX
graph output's dim_param), else the first graph-input dim name inside the expression (``batch``,
``seq``), else it stays as computed.
"""
from __future__ import annotations

import re
from typing import Optional

from . import ir

_ATOM = re.compile(r"[A-Za-z_][\w./]*(?::d\d+)?")
_FUNCTIONS = {"max", "min"}


def _simplified(dim: str, input_dims: set) -> str:
    for atom in _ATOM.findall(dim):
        if atom not in _FUNCTIONS and atom in input_dims:
            return atom
    return dim


def name_output_dims(graph: ir.Graph, declared: Optional[dict] = None) -> None:
    """Rename the symbolic dims of the graph's outputs in place. declared: output name -> the
    source's dim names (None where the source gives none)."""
    input_dims = {d for name in graph.inputs for d in (graph.values[name].shape or ()) if isinstance(d, str)}
    for name in graph.outputs:
        value = graph.values[name]
        if value.shape is None or name in graph.inputs:
            continue
        names = (declared or {}).get(name) or ()
        shape = []
        for k, d in enumerate(value.shape):
            if isinstance(d, str):
                given = names[k] if k < len(names) and len(names) == len(value.shape) else None
                d = given or _simplified(d, input_dims)
            shape.append(d)
        value.shape = tuple(shape)


__all__ = ["name_output_dims"]
