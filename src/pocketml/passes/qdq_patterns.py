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

from .. import dequantized_consts, ir, ops, quant_support
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
    """Why integer tensor ``name`` cannot be given parameters ``q`` (None: it can, see component)."""
    found = component(graph, name, q)
    return found if isinstance(found, str) else None


def annotate(graph: ir.Graph, name: str, q: QuantParams) -> None:
    """Give ``name`` parameters ``q``, and the tensors data movement links it to theirs."""
    found = component(graph, name, q)
    if isinstance(found, str):
        raise ValueError(f"internal: {found}")
    for other, other_q in found.items():
        graph.values[other].quant = other_q


def component(graph: ir.Graph, name: str, q: QuantParams) -> Union[dict, Why]:
    """{tensor: parameters} that giving ``name`` parameters ``q`` implies, or why it cannot. A tensor
    may take parameters only if no node computes on its stored integers as plain numbers: its
    producer and readers take their parameters as inputs, or move elements (quant_transparent:
    MaxPool, Reshape... on a QOperator model's integers), whose other data tensors then carry the
    same parameters under the same condition (a per-channel axis moved by a transpose)."""
    work, found = [(name, q)], {}
    while work:
        name, q = work.pop()
        if name in found:
            if found[name] != q:
                return f"tensor {name!r} would need two sets of quantization parameters"
            continue
        v = graph.values[name]
        if v.quant is not None:
            if v.quant != q:
                return f"tensor {name!r} already has other quantization parameters"
            continue
        found[name] = q
        producer = graph.producer(name)
        if producer is not None and not ops.get(producer.op).traits & {"quant_explicit", "shape_only"}:
            source = _moved_input(graph, producer, name, q) if "quant_transparent" in ops.get(producer.op).traits \
                else None
            if source is None:
                return f"{producer.op} {producer.name!r} computes the integers of {name!r} as plain numbers"
            work.append(source)
        for reader in graph.consumers_of(name):
            traits = ops.get(reader.op).traits
            if traits & {"quant_explicit", "shape_only"}:
                continue
            moves = _moved_outputs(graph, reader, name, q) if "quant_transparent" in traits else None
            if moves is None:
                return f"{reader.op} {reader.name!r} computes on the integers of {name!r} as plain numbers"
            work.extend(moves)
    return found


def _moved_input(graph: ir.Graph, node: ir.Node, out: str, q: QuantParams) -> Optional[tuple]:
    """(data input, its parameters) of data-movement ``node`` with one data input and output ``out``
    of per-tensor parameters q (the input carries the same)."""
    data_in, _ = quant_support._data_ports(ops.get(node.op))
    data = [i for k, i in enumerate(node.inputs) if i and data_in(k)]
    if len(data) != 1 or not q.per_tensor or graph.values[data[0]].dtype != graph.values[out].dtype:
        return None
    return data[0], q


def _moved_outputs(graph: ir.Graph, node: ir.Node, name: str, q: QuantParams) -> Optional[list]:
    """[(output, its parameters)] when data-movement ``node`` reads ``name`` (parameters q) as its one
    data input, so its data outputs take q (a per-channel axis moved); None otherwise."""
    data_in, data_out = quant_support._data_ports(ops.get(node.op))
    data = [i for k, i in enumerate(node.inputs) if i and data_in(k)]
    if data != [name] or not q.per_tensor and node.op not in quant_support.PER_CHANNEL_MOVES:
        return None
    out_q = quant_support._expected_out(node, q)
    return [(o, out_q) for k, o in enumerate(node.outputs) if o and data_out(k)] if all(
        not o or data_out(k) or not graph.consumers_of(o) for k, o in enumerate(node.outputs)) else None


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
    elif graph.values[name].const is not None:
        graph.values[name].quant = q
    else:
        annotate(graph, name, q)
    return name
