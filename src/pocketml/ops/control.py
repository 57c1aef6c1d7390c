"""Control-flow ops: nodes that run subgraphs (GRAPH attributes, each an ir.Graph with its own
values). Subgraphs see only what the node passes in: importers turn ONNX's captured outer names
into explicit inputs, as TFLite's IF/WHILE already have them.

If(cond, inputs...) -> outputs: runs then_branch or else_branch on ``inputs``; both branches take
  the node's inputs (after cond) and give its outputs. The runtime picks the branch while planning
  when cond is known then, else at run time with both branches planned.
Loop(max_trip_count?, cond?, values...) -> (carried..., scans...): ONNX Loop. The first
  ``n_carried`` values are loop-carried, the rest are passed unchanged to every iteration. body
  takes (iteration, cond, carried..., passed...) and gives (cond, carried..., scan values...);
  the node's outputs are the final carried values, then each scan value stacked over the
  iterations. A loop with neither a trip count nor a condition input runs until the body's cond
  is false, at most the runtime's iteration limit (an error beyond it, never a hang).
While(values...) -> values: TFLite WHILE: while cond(values) is true, values = body(values).

All three are ``control_flow``: never folded, and their output shapes may be known only once they
have run (a Loop's scan outputs grow with the iteration count).
"""
from __future__ import annotations

import numpy as np

from .registry import Attr, define, run_graph
from ._common import ANY, fail, is_sym

_BOOL, _I64 = ("bool",), ("int64",)


def _graph_io(g, names):
    return [(g.values[n].dtype, tuple(g.values[n].shape) if g.values[n].shape is not None else None) for n in names]


def _merge_shapes(node, a, b, what: str):
    """A shape both branches agree on: equal dims kept, differing ones symbolic."""
    if a is None or b is None:
        return a if b is None else b
    if len(a) != len(b):
        raise fail(node, f"{what} has rank {len(a)} in one branch and {len(b)} in the other; outputs of different "
                         "ranks are not supported")
    return tuple(x if x == y else f"{node.name}_{what}_d{k}".replace(" ", "_") for k, (x, y) in enumerate(zip(a, b)))


def _check_inputs(node, g, ins, what: str, first: int = 0):
    if len(g.inputs) != len(ins) - first:
        raise fail(node, f"{what} takes {len(g.inputs)} inputs but the node passes {len(ins) - first}")
    for k, (name, v) in enumerate(zip(g.inputs, ins[first:])):
        want = g.values[name].dtype
        if v is not None and v.dtype is not None and want != v.dtype:
            raise fail(node, f"{what} input {k} ({name!r}) is {want} but the node passes {v.dtype}")


def _if_infer(node, ins):
    then_g, else_g = node.attrs["then_branch"], node.attrs["else_branch"]
    for g, what in ((then_g, "then_branch"), (else_g, "else_branch")):
        _check_inputs(node, g, ins, what, first=1)
        if len(g.outputs) != len(node.outputs):
            raise fail(node, f"{what} gives {len(g.outputs)} outputs for the node's {len(node.outputs)}")
    outs = []
    for k, ((ta, sa), (tb, sb)) in enumerate(zip(_graph_io(then_g, then_g.outputs), _graph_io(else_g, else_g.outputs))):
        if ta != tb:
            raise fail(node, f"output {k} is {ta} in then_branch and {tb} in else_branch")
        outs.append((ta, _merge_shapes(node, sa, sb, f"output {k}")))
    return outs


def _loop_infer(node, ins):
    body, n_carried = node.attrs["body"], int(node.attrs.get("n_carried", 0))
    values = list(ins[2:])
    if not 0 <= n_carried <= len(values):
        raise fail(node, f"n_carried is {n_carried} with {len(values)} values")
    if len(body.inputs) != 2 + len(values):
        raise fail(node, f"body takes {len(body.inputs)} inputs; the node gives it 2 + {len(values)} (iteration, "
                         "cond, values)")
    n_scan = len(body.outputs) - 1 - n_carried
    if n_scan < 0 or len(node.outputs) > n_carried + n_scan:
        raise fail(node, f"body gives {len(body.outputs)} outputs: cond, {n_carried} carried and the scans; the node "
                         f"has {len(node.outputs)}")
    io = _graph_io(body, body.outputs)
    if io[0][0] != "bool":
        raise fail(node, f"body's first output (the condition) is {io[0][0]}, not bool")
    outs = []
    for k in range(n_carried):
        t, s = io[1 + k]
        v = values[k]
        if v is not None and v.dtype != t:
            raise fail(node, f"carried value {k} starts as {v.dtype} but the body gives {t}")
        start = tuple(v.shape) if v is not None and v.shape is not None else None
        outs.append((t, _merge_shapes(node, start, s, f"carried {k}")))
    for k in range(n_scan):
        t, s = io[1 + n_carried + k]
        outs.append((t, None if s is None else (f"{node.name}_iterations",) + tuple(s)))
    return outs[:len(node.outputs)]


def _while_infer(node, ins):
    cond, body = node.attrs["cond"], node.attrs["body"]
    _check_inputs(node, cond, ins, "cond")
    _check_inputs(node, body, ins, "body")
    if len(cond.outputs) != 1 or cond.values[cond.outputs[0]].dtype != "bool":
        raise fail(node, "cond must give one bool value")
    if len(body.outputs) != len(ins) or len(node.outputs) != len(ins):
        raise fail(node, f"body gives {len(body.outputs)} values and the node {len(node.outputs)} for its "
                         f"{len(ins)} loop values: all must match")
    outs = []
    for k, ((t, s), v) in enumerate(zip(_graph_io(body, body.outputs), ins)):
        if v.dtype != t:
            raise fail(node, f"value {k} starts as {v.dtype} but the body gives {t}")
        outs.append((t, _merge_shapes(node, tuple(v.shape) if v.shape is not None else None, s, f"value {k}")))
    return outs


# ---- numpy references: the subgraphs run by the registry's runner (a test oracle, never folded) ----
def _run(graph, values):
    out = run_graph(graph, dict(zip(graph.inputs, values)))
    return [np.asarray(out[o]) for o in graph.outputs]


def _if_reference(inputs, attrs):
    taken = bool(np.asarray(inputs[0]).reshape(-1)[0])
    return _run(attrs["then_branch" if taken else "else_branch"], inputs[1:])


def _loop_reference(inputs, attrs, limit: int = 1 << 24):
    body, n = attrs["body"], int(attrs["n_carried"])
    trip = None if inputs[0] is None else int(np.asarray(inputs[0]).reshape(-1)[0])
    go = True if len(inputs) < 2 or inputs[1] is None else bool(np.asarray(inputs[1]).reshape(-1)[0])
    values, passed = list(inputs[2:2 + n]), list(inputs[2 + n:])
    scans, i = None, 0
    while go and (trip is None or i < trip):
        if trip is None and i >= limit:
            raise ValueError(f"Loop ran {limit} iterations without its condition becoming false")
        out = _run(body, [np.array(i, np.int64), np.array(go)] + values + passed)
        go, values = bool(out[0].reshape(-1)[0]), out[1:1 + n]
        scans = [[s] for s in out[1 + n:]] if scans is None else [acc + [s] for acc, s in zip(scans, out[1 + n:])]
        i += 1
    stacked = [np.stack(s) for s in scans] if scans else \
        [np.zeros((0,) + tuple(0 if is_sym(d) else d for d in body.values[o].shape), body.values[o].dtype)
         for o in body.outputs[1 + n:]]
    return values + stacked


def _while_reference(inputs, attrs, limit: int = 1 << 24):
    values = list(inputs)
    for _ in range(limit):
        if not bool(_run(attrs["cond"], values)[0].reshape(-1)[0]):
            return values
        values = _run(attrs["body"], values)
    raise ValueError(f"While ran {limit} iterations without its condition becoming false")


_TYPES = {"B": _BOOL, "I": _I64, "V": ANY}
define("If", 470, "control", ("cond: B", "inputs*?: V"), ("outputs*: V",),
       {"then_branch": Attr("graph"), "else_branch": Attr("graph")}, types=_TYPES, independent=("V",),
       traits=("control_flow",), infer=_if_infer, reference=_if_reference)
define("Loop", 471, "control", ("max_trip_count?: I", "cond?: B", "values*?: V"), ("outputs*: V",),
       {"body": Attr("graph"), "n_carried": Attr("int", 0)}, types=_TYPES, independent=("V",),
       traits=("control_flow",), infer=_loop_infer, reference=_loop_reference)
define("While", 472, "control", ("values*: V",), ("outputs*: V",),
       {"cond": Attr("graph"), "body": Attr("graph")}, types=_TYPES, independent=("V",),
       traits=("control_flow",), infer=_while_infer, reference=_while_reference)

