"""Where a float constant came from when it is a dequantized integer constant.

An importer folds DequantizeLinear of a constant int8/uint8/int32 tensor (a QDQ model's weights
and biases) into a float constant, and then folds the weight's layout moves (OIHW -> OHWI, a
reshape) into further constants. The QDQ folding pass (passes/fold_qdq.py) wants the integers
back: this records, per float constant value, the integer array and quantization parameters it
is the dequantization of, and follows the record through the folded data movement.

The record lives on the graph (``graph.dequantized``: value name -> (ints, QuantParams)); a pass
that rebuilds a constant simply loses it (the op then stays float). ``lookup`` hands a record out
only if dequantizing it gives the constant's current data bit for bit, so a stale record can
never change a number. A leaf over numpy, ir and quant_params.
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from . import ir
from .quant_params import QuantParams

MOVES_PER_CHANNEL = ("Identity", "Transpose")  # the moves that keep a channel axis whole


def _table(graph: ir.Graph) -> dict:
    table = getattr(graph, "dequantized", None)
    if table is None:
        table = {}
        graph.dequantized = table
    return table


def record(graph: ir.Graph, name: str, ints: np.ndarray, q: QuantParams) -> None:
    """``name`` (a float constant) is the dequantization of ``ints`` with parameters ``q``."""
    _table(graph)[name] = (np.asarray(ints), q)


def record_folded(graph: ir.Graph, node: ir.Node) -> None:
    """``node``, a DequantizeLinear whose inputs are all constants, was folded into its output:
    record the integers when the parameters describe them as a quantized tensor (constant,
    per tensor or per axis, not blocked, a float32 output)."""
    out = graph.values.get(node.outputs[0]) if node.outputs and node.outputs[0] else None
    x = graph.values.get(node.inputs[0])
    if out is None or out.const is None or out.dtype != "float32" or x is None or x.const is None \
            or x.dtype not in ("int8", "uint8", "int32") or int(node.attrs.get("block_size", 0)):
        return
    scale = graph.values[node.inputs[1]].const if len(node.inputs) > 1 and node.inputs[1] else None
    zp_name = node.inputs[2] if len(node.inputs) > 2 else ""
    zp = graph.values[zp_name].const if zp_name else np.zeros(1, np.int64)
    if scale is None or zp is None or scale.dtype != np.float32 or x.const.ndim == 0 and scale.size > 1:
        return
    scale = scale.reshape(-1)
    axis = -1 if scale.size == 1 else int(node.attrs.get("axis", 1)) % x.const.ndim
    try:
        q = QuantParams(scale, np.asarray(zp).astype(np.int64).reshape(-1), axis)
    except ValueError:
        return
    if q.check(x.dtype, x.const.shape) is None:
        record(graph, out.name, x.const, q)


def follow(graph: ir.Graph, src: str, dst: str, op: str, attrs: dict, move: Callable) -> None:
    """``dst`` was folded from ``src`` by data-movement op ``op``; ``move(array)`` repeats it on an
    array. Per-channel parameters follow only Identity and Transpose (axis permuted)."""
    found = _table(graph).get(src) if src else None
    if found is None or not dst:
        return
    ints, q = found
    if not q.per_tensor:
        if op not in MOVES_PER_CHANNEL:
            return
        if op == "Transpose":
            q = q.permuted(attrs["perm"])
    try:
        moved = np.asarray(move(ints))
    except (ValueError, IndexError):
        return
    record(graph, dst, moved, q)


def lookup(graph: ir.Graph, name: str) -> Optional[tuple]:
    """(ints, QuantParams) whose dequantization is constant ``name``'s data exactly, else None."""
    found = getattr(graph, "dequantized", {}).get(name) if name else None
    value = graph.values.get(name) if name else None
    if found is None or value is None or value.const is None:
        return None
    ints, q = found
    data = np.asarray(value.const)
    if ints.shape != data.shape or data.dtype != np.float32 or q.check(ir.dtype_name(ints.dtype), ints.shape):
        return None
    if not np.array_equal(q.dequantize(ints).view(np.int32), data.view(np.int32)):
        return None
    return ints, q
