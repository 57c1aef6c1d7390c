"""Identity removal: drop nodes that compute nothing, rewiring their consumers.

A node is a no-op when its output is provably its input: Identity (the
importer's mapping of Dropout and friends), Cast to the input's own dtype,
Transpose with the identity permutation, Reshape to the input's own shape,
Clip without bounds, Pad with all-zero pads, and Concat / Split of a single piece. Removal goes
through ``_util.bypass``: a no-op whose output is a graph output keeps that name
(its producer is renamed), and stays when its input is a graph input or constant.
"""
from __future__ import annotations

import math
from typing import Optional

from .. import ir
from ._util import attr, bypass, same_shape


_CANDIDATES = frozenset(("Identity", "Cast", "Transpose", "Reshape", "Clip", "Pad", "Concat", "Split"))


def noop_source(graph: ir.Graph, node: ir.Node) -> Optional[str]:
    """The input value a node merely passes through, or None."""
    if node.op not in _CANDIDATES:  # most nodes: no value lookups
        return None
    if len(node.outputs) != 1 or not node.inputs or not node.inputs[0]:
        return None
    src = node.inputs[0]
    x, y = graph.values[src], graph.values[node.outputs[0]]
    if x.dtype is None or x.dtype != y.dtype or x.quant != y.quant:  # other parameters: another value
        return None
    op = node.op
    if op == "Identity":
        return src
    if op == "Cast":
        return src if ir.DTYPES[x.dtype][0] == attr(node, "to") else None
    if op == "Transpose":
        return src if list(attr(node, "perm")) == list(range(len(attr(node, "perm")))) else None
    if op == "Reshape":
        return src if same_shape(x.shape, y.shape) else None
    if op == "Clip":
        return src if attr(node, "min") == -math.inf and attr(node, "max") == math.inf else None
    if op == "Pad":  # (pads computed at run time come as input 1: not known to be zero)
        return src if len(node.inputs) == 1 and not any(attr(node, "pads")) else None
    if op in ("Concat", "Split"):
        return src if len([i for i in node.inputs if i]) == 1 and same_shape(x.shape, y.shape) else None
    return None


def remove_identities(graph: ir.Graph) -> bool:
    changed = False
    for node in list(graph.nodes):
        src = noop_source(graph, node)
        if src is not None and bypass(graph, node, src):
            changed = True
    return changed
