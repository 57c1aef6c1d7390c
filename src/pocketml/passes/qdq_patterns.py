"""Reading ONNX QDQ patterns: the constant parameters of a QuantizeLinear / DequantizeLinear node,
and the integer form of an operand of a node being folded (passes/fold_qdq.py).

An operand is usable as a quantized tensor when it is either the output of a DequantizeLinear
with constant per-tensor (activations) or per-axis (weights) parameters, or a float constant
that an importer folded from such a DequantizeLinear (dequantized_consts: the integers are
recorded and checked bit for bit). Each helper returns the reason it cannot instead of raising:
the pass reports why a node stays float.
"""
from __future__ import annotations

from typing import Optional, Union

import numpy as np

from .. import dequantized_consts, ir, ops
from ..dtypes import BY_NAME
from ..quant_params import QuantParams
from ._util import attr

Why = str
INT8S = ("int8", "uint8")


def qdq_params(graph: ir.Graph, node: ir.Node, tensor: str) -> Union[QuantParams, Why]:
    """The parameters of a QuantizeLinear/DequantizeLinear ``node`` for its integer ``tensor``."""
    if attr(node, "block_size"):
        return f"{node.op} {node.name!r} is blocked (block_size {attr(node, 'block_size')})"
    out_dtype = attr(node, "output_dtype")
    if node.op == "DequantizeLinear" and out_dtype not in (0, BY_NAME["float32"].code):
        return f"{node.op} {node.name!r} outputs a dtype other than float32"
    scale = graph.values[node.inputs[1]].const if len(node.inputs) > 1 and node.inputs[1] else None
    zp_name = node.inputs[2] if len(node.inputs) > 2 else ""
    zp = graph.values[zp_name].const if zp_name else np.zeros(1, np.int64)
    if scale is None or zp is None:
        return f"{node.op} {node.name!r} has a scale or zero point computed at run time"
    value = graph.values[tensor]
    if value.shape is None or scale.dtype != np.float32:
        return f"{node.op} {node.name!r}: unknown rank or non-float32 scale"
    scale = np.asarray(scale, np.float32).reshape(-1)
    axis = -1 if scale.size == 1 else int(attr(node, "axis")) % max(len(value.shape), 1)
    try:
        q = QuantParams(scale, np.asarray(zp).astype(np.int64).reshape(-1), axis)
    except ValueError as e:
        return f"{node.op} {node.name!r}: {e}"
    why = q.check(value.dtype, value.shape)
    return f"{node.op} {node.name!r}: {why}" if why else q


def dq_source(graph: ir.Graph, name: str) -> Union[tuple, Why]:
    """(integer tensor, its QuantParams, the DequantizeLinear node) when ``name`` is a
    DequantizeLinear's output."""
    dq = graph.producer(name)
    if dq is None or dq.op != "DequantizeLinear":
        what = "a graph input" if dq is None else f"{dq.op} {dq.name!r}"
        return f"input {name!r} comes from {what}, not from a DequantizeLinear"
    q = qdq_params(graph, dq, dq.inputs[0])
    if isinstance(q, str):
        return q
    return dq.inputs[0], q, dq


def can_carry(graph: ir.Graph, name: str, q: QuantParams) -> Optional[Why]:
    """Why integer tensor ``name`` cannot be given parameters ``q`` (None: it can). A tensor that
    already has them is fine; one without may take them only if no node computes on its stored
    integers as plain numbers (its producer and readers take their parameters as inputs or honour
    the tensor's)."""
    v = graph.values[name]
    if v.quant is not None:
        return None if v.quant == q else f"tensor {name!r} already has other quantization parameters"
    producer = graph.producer(name)
    plain = [n for n in ([producer] if producer is not None else []) + graph.consumers_of(name)
             if not ops.get(n.op).traits & {"quant_explicit", "shape_only"}]
    if plain:
        return f"{plain[0].op} {plain[0].name!r} computes on the integers of {name!r} as plain numbers"
    return None


def quantized_operand(graph: ir.Graph, name: str, per_tensor: bool = True) -> Union[tuple, Why]:
    """(integer tensor name or "", QuantParams, constant integers or None) for an input of a node
    being folded: a DequantizeLinear output (its integer input), or a float constant with a
    recorded integer form (name "": ``materialize`` adds it once the node is known to fold)."""
    v = graph.values[name]
    if v.const is not None:
        found = dequantized_consts.lookup(graph, name)
        if found is None:
            return f"constant {name!r} is not a dequantized integer tensor"
        ints, q = found
        if per_tensor and not q.per_tensor:
            return f"constant {name!r} is quantized per channel"
        return "", q, ints
    src = dq_source(graph, name)
    if isinstance(src, str):
        return src
    x, q, _ = src
    if graph.values[x].dtype not in INT8S:
        return f"tensor {x!r} is {graph.values[x].dtype}, not int8/uint8"
    if per_tensor and not q.per_tensor:
        return f"tensor {x!r} is quantized per channel on axis {q.axis}"
    if graph.values[x].const is not None:
        return x, q, None  # a DequantizeLinear of a constant left unfolded (size limit)
    why = can_carry(graph, x, q)
    return why if why else (x, q, None)


def materialize(graph: ir.Graph, operand: tuple, hint: str) -> str:
    """The integer tensor of an operand from quantized_operand, annotated with its parameters."""
    name, q, ints = operand
    if not name:
        name = graph.add_const(ints, f"{hint}_q")
    graph.values[name].quant = q
    return name
