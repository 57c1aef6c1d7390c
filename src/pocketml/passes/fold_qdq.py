"""QDQ folding: DequantizeLinear -> op -> QuantizeLinear (onnxruntime's QDQ format) becomes the
int8 IR op on quantized tensors, with ONNX's arithmetic (attribute requant=1).

Three rewrites, each visiting only the QuantizeLinear/DequantizeLinear nodes and their neighbours:

1. A DequantizeLinear moves below the data movement reading it (Transpose, Reshape, Slice,
   MaxPool, Pad, Concat of equally quantized inputs, ...): moving integers and then
   dequantizing gives the same reals (a max commutes with the increasing dequantization; a
   constant Pad fills with the integer standing for its fill value, exactly, or stays float).
   The importer's NHWC transposes between a DequantizeLinear and its Conv go this way.
2. QuantizeLinear(DequantizeLinear(x)) with the same parameters is x (checked over every
   integer of the dtype, not assumed); with other per-tensor parameters it is one Requantize of
   the integers in ONNX's float arithmetic (requant=1), e.g. a Concat input of another scale.
3. An op whose data inputs come from DequantizeLinear (constant per-tensor parameters; weights
   and biases also as float constants the importer folded from DequantizeLinear, whose integers
   dequantized_consts recorded) and whose output is read only by QuantizeLinear nodes with one
   set of parameters runs on the integers: passes/qdq_rules.py says which ops and how. A Relu
   or Clip between a Conv/Gemm/MatMul/Add/Mul and the QuantizeLinear becomes its output clamp.

Anything else stays float, exactly as written (DequantizeLinear -> float op -> QuantizeLinear),
and ``graph.qdq_float`` (node name -> (op, why)) says why; convert.py puts it in the model's
conversion notes. Soundness: a DequantizeLinear read by other nodes too stays for them; an op
output also read by float nodes or returned by the graph stays float (its float value is
observable); a tensor gets parameters only if no node computes on its integers as plain numbers
(qdq_patterns.can_carry).

Place in the pipeline: first, after identity/fold/dce and before layout. The ONNX importer has
already put Conv in NHWC (its transposes sit between the DequantizeLinear and the Conv, which
rewrite 1 handles), and every later pass then sees int8 ops: layout moves transposes of
quantized tensors with their parameters, and fusion and BatchNorm folding skip them, whereas
after fuse_activation a Relu would already be a float fused activation.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from .. import dtypes, ir, ops, quant_support
from ..quant_params import QuantParams
from ._util import attr
from .fuse_activation import activation_of
from .qdq_patterns import INT8S, annotate, can_carry, materialize, qdq_params
from .qdq_rules import CLAMPING, Plan, plan

MOVES = ("Transpose", "Reshape", "Identity", "MaxPool", "Pad", "Slice", "Concat", "DepthToSpace", "SpaceToDepth",
         "Expand", "Tile", "Gather", "Split")


def fold_qdq(graph: ir.Graph) -> bool:
    report = _report(graph)
    changed = False
    work = [n for n in graph.nodes if n.op == "DequantizeLinear"]
    while work:  # rewrite 1: each move adds a DequantizeLinear below, which may move on
        dq = work.pop()
        if dq in graph:
            for reader in graph.consumers_of(dq.outputs[0]):
                moved = _move_below(graph, dq, reader, report)
                if moved:
                    work.extend(moved)
                    changed = True
    for q in [n for n in graph.nodes if n.op == "QuantizeLinear"]:
        if q in graph and (_drop_pair(graph, q) or _fold_into(graph, q, report) or _requantize_pair(graph, q)):
            changed = True
    _report_float_readers(graph, report)
    return changed


def _report_float_readers(graph: ir.Graph, report: dict) -> None:
    """Compute nodes reading a DequantizeLinear's output whose own output is not quantized: they
    compute in float (as the model says), which the report lists too."""
    for dq in [n for n in graph.nodes if n.op == "DequantizeLinear"]:
        for reader in graph.consumers_of(dq.outputs[0]):
            if reader.name not in report and reader.op not in MOVES and \
                    not ops.get(reader.op).traits & {"quant_explicit", "shape_only"}:
                report[reader.name] = (reader.op, "its output is not quantized (no QuantizeLinear reads it)")


def float_nodes(graph: ir.Graph) -> list:
    """[(node name, op, why)] of the nodes between DequantizeLinear and QuantizeLinear that still run
    in float after the pipeline (for the conversion report)."""
    table = getattr(graph, "qdq_float", None) or {}
    present = {(n.name, n.op) for n in graph.nodes} if table else set()
    return [(name, op, why) for name, (op, why) in table.items() if (name, op) in present]


def _report(graph: ir.Graph) -> dict:
    table = getattr(graph, "qdq_float", None)
    if table is None:
        table = graph.qdq_float = {}
    return table


# ---- rewrite 1: DequantizeLinear below data movement ---------------------------------------------
def _move_below(graph: ir.Graph, dq: ir.Node, node: ir.Node, report: dict) -> list:
    if node.op not in MOVES or node.op == "MaxPool" and len(node.outputs) > 1 and node.outputs[1]:
        return []
    opdef = ops.get(node.op)
    data_in, data_out = quant_support._data_ports(opdef)
    sources = []
    for k, name in enumerate(node.inputs):
        if name and data_in(k):
            src = graph.producer(name)
            q = qdq_params(graph, src, src.inputs[0]) if src is not None and src.op == "DequantizeLinear" else None
            if not isinstance(q, QuantParams):
                if node.op == "Concat":
                    report[node.name] = (node.op, f"input {name!r} is not dequantized from int8 with constant "
                                                  "parameters")
                return []
            sources.append((src.inputs[0], q))
        elif name and graph.producer(name) is not None and graph.producer(name).op == "DequantizeLinear":
            return []  # a dequantized index or shape: not moved
    xs = [graph.values[s].dtype for s, _ in sources]
    q = sources[0][1]
    if any(p != q for _, p in sources) or len(set(xs)) != 1 or xs[0] not in INT8S:
        report[node.name] = (node.op, "its inputs have different quantization parameters or dtypes "
                                      "(no ONNX-rounding requantize)")
        return []
    if not q.per_tensor and node.op not in quant_support.PER_CHANNEL_MOVES:
        return []
    if any(can_carry(graph, s, q) for s, _ in sources if graph.values[s].const is None):
        return []
    attrs = dict(node.attrs)
    if node.op == "Pad" and attr(node, "mode") == 0:
        fill = _pad_fill(graph, node, q, xs[0])
        if fill is None:
            report[node.name] = (node.op, "its fill value is not exactly an integer of the quantized grid")
            return []
        attrs.update(value=float(fill), value_int=[fill])
    for s, _ in sources:
        if graph.values[s].const is None:
            annotate(graph, s, q)
        else:
            graph.values[s].quant = q
    out_q = quant_support._expected_out(node, q)
    new_outputs, dqs = [], []
    for k, name in enumerate(node.outputs):
        if not name or not data_out(k):
            new_outputs.append(name)
            continue
        v = graph.values[name]
        ints = graph.add_value(graph.unique_name(f"{name}_q"), xs[0], v.shape, quant=out_q).name
        new_outputs.append(ints)
        dqs.append(graph.new_node("DequantizeLinear", [ints] + list(dq.inputs[1:]), [name],
                                  {**dq.attrs, "axis": out_q.axis if not out_q.per_tensor else dq.attrs.get("axis", 1)}))
    ints_in = iter(sources)
    inputs = [next(ints_in)[0] if name and data_in(k) else name for k, name in enumerate(node.inputs)]
    graph.remove_node(node)
    moved = graph.new_node(node.op, inputs, new_outputs, attrs, node.name)
    graph.place(dq, [moved] + dqs, after=True)
    report.pop(node.name, None)
    return dqs


def _pad_fill(graph: ir.Graph, node: ir.Node, q: QuantParams, dtype: str) -> Optional[int]:
    if len(node.inputs) > 2 and node.inputs[2]:
        return None  # a fill value input: left float
    value = np.float32(attr(node, "value"))
    fill = int(np.rint(value / q.scale[0])) + int(q.zero_point[0])
    info = np.iinfo(dtype)
    if not info.min <= fill <= info.max or np.float32(fill - int(q.zero_point[0])) * q.scale[0] != value:
        return None
    return fill


# ---- rewrite 2: QuantizeLinear(DequantizeLinear(x)) = x -----------------------------------------
def _round_trips(q: QuantParams, dtype: str) -> bool:
    """Does quantizing the dequantized value give back every integer of dtype (float32, half even)?"""
    info = np.iinfo(dtype)
    x = np.arange(info.min, info.max + 1, dtype=np.int64)
    real = q.dequantize(x)
    back = np.clip(np.rint(real / q.scale[0]) + q.zero_point[0], info.min, info.max)
    return bool(np.array_equal(back, x))


def _drop_pair(graph: ir.Graph, q: ir.Node) -> bool:
    dq = graph.producer(q.inputs[0])
    if dq is None or dq.op != "DequantizeLinear" or q.outputs[0] in graph.outputs:
        return False
    x = dq.inputs[0]
    qp, dp = qdq_params(graph, q, q.outputs[0]), qdq_params(graph, dq, x)
    if not isinstance(qp, QuantParams) or qp != dp or not qp.per_tensor:
        return False
    if graph.values[x].dtype != graph.values[q.outputs[0]].dtype or not _round_trips(qp, graph.values[x].dtype):
        return False
    graph.replace_uses(q.outputs[0], x)
    graph.remove_node(q)
    return True


def _requantize_pair(graph: ir.Graph, q: ir.Node) -> bool:
    """QuantizeLinear(DequantizeLinear(x)) between other per-tensor parameters (a Concat input of
    another scale, once rewrite 3 quantized the Concat's inputs): one Requantize of the integers
    with ONNX's arithmetic (requant=1: the same float32 DequantizeLinear then QuantizeLinear, per
    integer, without the float tensor between them). The DequantizeLinear stays for other readers."""
    dq = graph.producer(q.inputs[0])
    if dq is None or dq.op != "DequantizeLinear" or q.outputs[0] in graph.outputs:
        return False
    x, y = dq.inputs[0], q.outputs[0]
    qp, dp = qdq_params(graph, q, y), qdq_params(graph, dq, x)
    if not isinstance(qp, QuantParams) or not isinstance(dp, QuantParams) or not (qp.per_tensor and dp.per_tensor):
        return False
    xv, yv = graph.values[x], graph.values[y]
    if xv.const is not None or xv.dtype not in INT8S or yv.dtype not in INT8S or \
            can_carry(graph, x, dp) is not None or can_carry(graph, y, qp) is not None:
        return False
    annotate(graph, x, dp)
    annotate(graph, y, qp)
    node = graph.new_node("Requantize", [x], [y], {"to": dtypes.BY_NAME[yv.dtype].code, "requant": 1},
                          graph.unique_name(f"{q.name}_requantize"))
    graph.remove_node(q)
    graph.place(dq, [node], after=True)
    return True


# ---- rewrite 3: the op itself -------------------------------------------------------------------
def _fold_into(graph: ir.Graph, q: ir.Node, report: dict) -> bool:
    node = graph.producer(q.inputs[0])
    if node is None or node.op in ("DequantizeLinear", "QuantizeLinear") or node.op in MOVES and node.op != "Concat":
        return False
    y = q.inputs[0]
    readers = graph.consumers_of(y)
    yq = qdq_params(graph, q, q.outputs[0])
    why = _output_problem(graph, y, readers, yq)
    if node.op == "Concat":
        if why is None and _quantize_concat_inputs(graph, node, readers, yq):
            report.pop(node.name, None)
            return True
        return False
    clamp = None
    target = node
    if why is None and node.op in ("Relu", "Clip") and node.op not in CLAMPING:
        inner = graph.producer(node.inputs[0])
        if inner is not None and inner.op in CLAMPING and attr(inner, "act") == 0 and \
                graph.consumers_of(node.inputs[0]) == [node] and node.inputs[0] not in graph.outputs:
            target, clamp = inner, activation_of(node)
    if why is None:
        why = plan(graph, target, yq, graph.values[q.outputs[0]].dtype, clamp)
        if isinstance(why, Plan):
            _apply(graph, target, why, readers, yq)
            if target is not node:
                graph.remove_node(node)
            report.pop(target.name, None)
            report.pop(node.name, None)
            return True
    report[node.name] = (node.op, why)
    return False


def _quantize_concat_inputs(graph: ir.Graph, node: ir.Node, readers: list, yq: QuantParams) -> bool:
    """Q(Concat(x...)) = Concat(Q(x)...): each input is quantized to the output's parameters (a
    DequantizeLinear -> QuantizeLinear pair, exact ONNX arithmetic, or nothing when the parameters
    agree: rewrite 2), and the Concat moves integers."""
    q, out = readers[0], readers[0].outputs[0]
    inputs, added = [], []
    for name in node.inputs:
        v = graph.values[name]
        ints = graph.add_value(graph.unique_name(f"{name}_requantized"), graph.values[out].dtype, v.shape, quant=yq)
        added.append(graph.new_node("QuantizeLinear", [name] + list(q.inputs[1:]), [ints.name], dict(q.attrs)))
        inputs.append(ints.name)
    graph.remove_nodes(readers)
    for r in readers[1:]:
        graph.replace_uses(r.outputs[0], out)
    graph.values[out].quant = yq
    node.inputs = inputs
    node.outputs = [out]
    graph.place(node, added)
    return True


def _output_problem(graph: ir.Graph, y: str, readers: list, yq) -> Optional[str]:
    if isinstance(yq, str):
        return yq
    if not yq.per_tensor:
        return "its output is quantized per channel"
    if y in graph.outputs:
        return "its float output is a graph output"
    others = [r for r in readers if r.op != "QuantizeLinear"]
    if others:
        return f"its float output is also read by {others[0].op} {others[0].name!r}"
    outs = [r.outputs[0] for r in readers]
    if any(qdq_params(graph, r, o) != yq or graph.values[o].dtype != graph.values[outs[0]].dtype
           for r, o in zip(readers, outs)):
        return "its output is quantized with several sets of parameters"
    if any(o in graph.outputs for o in outs[1:]):
        return "several of its quantized outputs are graph outputs"
    if graph.values[outs[0]].dtype not in INT8S:
        return f"its output is quantized to {graph.values[outs[0]].dtype}"
    for o in outs:
        why = can_carry(graph, o, yq)
        if why:
            return why
    return None


def _apply(graph: ir.Graph, node: ir.Node, p: Plan, readers: list, yq: QuantParams) -> None:
    inputs = [materialize(graph, x, f"{node.name}_{k}") if isinstance(x, tuple) else x for k, x in enumerate(p.inputs)]
    attrs = {**node.attrs, **p.attrs}
    out = readers[0].outputs[0]
    graph.remove_nodes(readers)
    for r in readers[1:]:
        graph.replace_uses(r.outputs[0], out)
    annotate(graph, out, yq)
    if p.op == node.op:
        node.attrs = attrs
        node.inputs = inputs
        node.outputs = [out]
        return
    new = graph.new_node(p.op, inputs, [out], p.attrs, node.name)
    graph.remove_node(node)
    graph.place(node, [new])
