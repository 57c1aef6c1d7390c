"""Which nodes may run on quantized tensors, and the parameters data movement carries along.

A quantized tensor holds integers that stand for reals ((x - zero_point) * scale). An op
that computes on the integers as if they were plain numbers gives a silent wrong answer,
so until an op honours its tensors' parameters (trait ``quant_aware``) a node touching a
quantized tensor is refused. Three kinds of op may run on them (registry traits):

* ``quant_aware``: reads the parameters itself (int8 kernels);
* ``quant_explicit``: takes its parameters as inputs (QuantizeLinear, MatMulInteger...);
* ``quant_transparent``: moves elements without reading them (Reshape, Transpose, Gather,
  Concat, MaxPool...): fine when every data input and data output (the ports sharing the
  output's type variable) has the same parameters, a per-channel axis moved by a
  Transpose; per-channel parameters pass only through Identity and Transpose (other moves
  may split or merge the channel axis). Pad's fill value is a stored integer like the
  elements it pads (an importer padding with the real 0 fills with the zero point).

Shape-only ops (Shape, Size) never read elements. ``propagate`` gives a transparent node's
unannotated outputs its inputs' parameters (importers' intermediate values), and
``problem`` says why a node cannot run; ``check_graph`` applies it to every node (the one
place conversion refuses quantized tensors, ConversionError naming node and op).
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from . import ir, ops
from .errors import UnsupportedOpError
from .ops.registry import QUANT_CHECKS
from .quant_params import QuantParams

UNSUPPORTED = "quantized {dtype} tensors are not supported by this op yet"


def unsupported(dtypes) -> str:
    """The refusal naming the activations' dtype among a node's quantized tensors' dtypes (int16x8
    models are refused as int16, not "int8"), not an int32 bias's."""
    dtypes = list(dtypes)
    return UNSUPPORTED.format(dtype=next((d for d in dtypes if d != "int32"), dtypes[0] if dtypes else "int8"))
PER_CHANNEL_MOVES = ("Identity", "Transpose")


def _data_ports(opdef) -> tuple:
    """(input indices' test, output indices' test): the ports bound to the first output's type variable
    (an op without outputs, such as VariableAssign: the first input's)."""
    if not opdef.outputs and not opdef.inputs:
        return (lambda k: False), (lambda k: False)
    tv = opdef.outputs[0].type if opdef.outputs else opdef.inputs[0].type

    def is_data(ports, k):
        port = opdef.port_at(ports, k)
        return port is not None and port.type == tv
    return (lambda k: is_data(opdef.inputs, k)), (lambda k: is_data(opdef.outputs, k))


def _quant(graph: ir.Graph, name: str) -> Optional[QuantParams]:
    v = graph.values.get(name) if name else None
    return v.quant if v is not None else None


def _expected_out(node: ir.Node, q: QuantParams) -> QuantParams:
    """What a transparent node's outputs carry for input parameters q."""
    if node.op == "Transpose" and not q.per_tensor:
        perm = node.attrs.get("perm")
        if perm is not None and sorted(perm) == list(range(len(perm))) and q.axis < len(perm):
            return q.permuted(perm)
    return q


def moved(q: Optional[QuantParams], perm, lift: int = 0) -> Optional[QuantParams]:
    """q of a tensor given ``lift`` leading 1-dims and then transposed by ``perm`` (layout pass)."""
    if q is None or q.per_tensor:
        return q
    return QuantParams(q.scale, q.zero_point, q.axis + lift).permuted(perm)


def has_quant(graph: ir.Graph) -> bool:
    return any(v.quant is not None for v in graph.values.values())


def touches_quant(graph: ir.Graph, node: ir.Node) -> bool:
    return any(_quant(graph, n) is not None for n in list(node.inputs) + list(node.outputs))


RUNS_ON_QUANT = frozenset(("quant_aware", "quant_explicit", "quant_transparent", "shape_only"))


def never_runs_on_quant(opdef) -> bool:
    """True for an op that no quantization parameters let run on quantized tensors (an importer can
    refuse it before anything else about the node, e.g. dtype constraints written for floats)."""
    return not opdef.traits & RUNS_ON_QUANT


def problem(graph: ir.Graph, node: ir.Node) -> Optional[str]:
    """Why ``node`` cannot run on its quantized tensors (None: it can, or it has none)."""
    dtypes = [graph.values[n].dtype for n in list(node.inputs) + list(node.outputs) if _quant(graph, n) is not None]
    if not dtypes:
        return None
    refusal = unsupported(dtypes)
    opdef = ops.get(node.op)
    if "quant_aware" in opdef.traits and node.op in QUANT_CHECKS:
        def ports(names):
            return [(graph.values[n].dtype, graph.values[n].quant) if n else None for n in names]
        why = QUANT_CHECKS[node.op](node, ports(node.inputs), ports(node.outputs))
        return f"{refusal} ({why})" if why else None
    if opdef.traits & {"quant_aware", "quant_explicit", "shape_only"}:
        return None
    if "quant_transparent" not in opdef.traits:
        return refusal
    data_in, data_out = _data_ports(opdef)
    ins = [_quant(graph, n) for k, n in enumerate(node.inputs) if n and data_in(k)]
    outs = [_quant(graph, n) for k, n in enumerate(node.outputs) if n and data_out(k)]
    others = [n for k, n in enumerate(node.inputs) if n and not data_in(k) and _quant(graph, n) is not None]
    if others:
        return f"{refusal} (quantized parameter input {others[0]!r})"
    first = ins[0] if ins else None
    if first is None or any(q != first for q in ins):
        return f"{refusal} unless all its data inputs have the same quantization parameters"
    if not first.per_tensor and node.op not in PER_CHANNEL_MOVES:
        return f"{refusal} on per-channel quantized tensors (axis {first.axis})"
    want = _expected_out(node, first)
    if any(q != want for q in outs):
        return f"{refusal} when the output's quantization parameters differ from the input's"
    return None


def propagate(graph: ir.Graph, node: ir.Node) -> None:
    """Give a transparent node's unannotated data outputs its (uniform) data inputs' parameters."""
    opdef = ops.get(node.op)
    if "quant_transparent" not in opdef.traits:
        return
    data_in, data_out = _data_ports(opdef)
    ins = [_quant(graph, n) for k, n in enumerate(node.inputs) if n and data_in(k)]
    if not ins or ins[0] is None or any(q != ins[0] for q in ins):
        return
    if not ins[0].per_tensor and node.op not in PER_CHANNEL_MOVES:
        return
    want = _expected_out(node, ins[0])
    for k, n in enumerate(node.outputs):
        v = graph.values.get(n) if n else None
        if v is not None and data_out(k) and v.quant is None and v.dtype == graph.values[node.inputs[0]].dtype:
            v.quant = want


def _subgraphs(node: ir.Node):
    return [v for v in node.attrs.values() if isinstance(v, ir.Graph)]


def propagate_graph(graph: ir.Graph) -> None:
    """propagate over every node in order (subgraphs too), when the graph has quantized values."""
    if not has_quant(graph) and not any(_subgraphs(n) for n in graph.nodes):
        return
    for node in graph.nodes:
        propagate(graph, node)
        for sub in _subgraphs(node):
            propagate_graph(sub)


def check_graph(graph: ir.Graph, source: str = "") -> None:
    """Raise UnsupportedOpError naming the first node (subgraphs too) that cannot run on its quantized
    tensors."""
    quantized = has_quant(graph)
    for node in graph.nodes:
        why = problem(graph, node) if quantized else None
        if why:
            prefix = f"{source}: " if source else ""
            raise UnsupportedOpError(f"{prefix}node {node.name!r} ({node.op}): {why}")
        for sub in _subgraphs(node):
            check_graph(sub, source)


def annotate(value: ir.Value, q: Optional[QuantParams], what: str = "") -> None:
    """Set value.quant after checking q against the value's dtype and shape (ValueError if wrong)."""
    if q is not None:
        q.validate(value.dtype, value.shape, what or f"value {value.name!r}")
    value.quant = q


def from_arrays(scale, zero_point, axis: int) -> QuantParams:
    return QuantParams(np.asarray(scale, np.float32), np.asarray(zero_point, np.int64), axis)
