"""Per-op rules of the QDQ folding pass (passes/fold_qdq.py): can this float node, read through
DequantizeLinear and written through QuantizeLinear, run as the int8 IR op with ONNX semantics
(requant=1), and with which inputs?

A rule takes (graph, node, y_params, y_dtype) and returns a Plan (the op, its inputs: operands
from qdq_patterns.quantized_operand or plain value names, attribute updates) or the reason the
node stays float. Only ops whose int8 kernel implements onnxruntime's arithmetic get a rule:
Conv (incl. depthwise and grouped), Gemm, MatMul, Add, Sub, Mul, AveragePool, GlobalAveragePool
(as ReduceMean over H and W), Softmax (last axis), the table activations (Sigmoid, Tanh,
LeakyRelu, HardSwish; built from the float function and rounded half to even), and Relu/Clip
with equal input and output parameters (a clamp). Relu and Clip after a Conv/Gemm/MatMul/Add/Mul
become that node's fused clamp (fold_qdq). Concat, pools taking the max, Pad and the other data
movement never reach here: fold_qdq moves the DequantizeLinear below them.
"""
from __future__ import annotations

import dataclasses
from typing import Union

import numpy as np

from .. import dequantized_consts, ir
from ..ops.registry import QUANT_CHECKS
from ..quant_params import QuantParams
from ._util import attr
from .qdq_patterns import INT8S, quantized_operand

INT32 = np.iinfo(np.int32)


@dataclasses.dataclass
class Plan:
    op: str
    inputs: list  # operand tuples (quantized_operand) or value names used as they are
    attrs: dict


def _activation(graph, name, y_dtype, what="input"):
    """An activation operand: per tensor, of the output's dtype."""
    got = quantized_operand(graph, name)
    if isinstance(got, str):
        return got
    dt = graph.values[got[0]].dtype if got[0] else str(got[2].dtype)
    if dt != y_dtype:
        return f"{what} {name!r} is {dt} but the output is {y_dtype}"
    return got


def _weights(graph, name, channel_axis: int, rank: int):
    got = quantized_operand(graph, name, per_tensor=False)
    if isinstance(got, str):
        return got
    _, q, ints = got
    if ints is None and graph.values[got[0]].const is None:
        return f"weights {name!r} are not constant"
    data = ints if ints is not None else graph.values[got[0]].const
    if data.dtype.name not in INT8S or data.ndim != rank:
        return f"weights {name!r} are {data.dtype.name} of rank {data.ndim}"
    if not q.per_tensor and q.axis != channel_axis:
        return f"weights {name!r} are quantized per channel on axis {q.axis}, not the output channels' axis"
    return got


def _bias(graph, name, x_q: QuantParams, w_q: QuantParams, n: int):
    """An int32 bias of scale x_scale * w_scale[c]: the recorded integers when their scale is that
    product, else the real bias rounded (half to even) onto it."""
    v = graph.values[name]
    if v.const is None or v.const.dtype != np.float32 or v.const.shape != (n,):
        return f"bias {name!r} is not a float32 constant of shape [{n}]"
    target = (np.float32(x_q.scale[0]) * np.broadcast_to(w_q.scale, (n,))).astype(np.float32)
    found = dequantized_consts.lookup(graph, name)
    if found is not None and found[0].dtype == np.int32 and np.array_equal(
            np.broadcast_to(found[1].scale, (n,)), target) and not found[1].zero_point.any():
        ints = found[0]
    else:
        real = v.const.astype(np.float64)
        ints = np.rint(real / target.astype(np.float64))
        if np.abs(ints).max(initial=0) > INT32.max:
            return f"bias {name!r} does not fit int32 at scale x_scale * w_scale"
        ints = ints.astype(np.int32)
    q = QuantParams(target, np.zeros(n, np.int64), 0) if w_q.count > 1 else QuantParams(target[:1])
    return "", q, ints


def _linear(graph, node, ydt, op: str, w_axis: int, w_rank: int) -> Union[Plan, str]:
    """The plan of a Conv, Gemm or MatMul: an int8 activation, constant weights quantized along
    output axis ``w_axis`` of their ``w_rank`` dims, and an optional bias of that axis's size."""
    x = _activation(graph, node.inputs[0], ydt)
    if isinstance(x, str):
        return x
    w = _weights(graph, node.inputs[1], w_axis, w_rank)
    if isinstance(w, str):
        return w
    inputs = [x, w]
    if len(node.inputs) > 2 and node.inputs[2]:
        n = graph.values[node.inputs[1]].shape[w_axis]
        b = _bias(graph, node.inputs[2], x[1], w[1], n)
        if isinstance(b, str):
            return b
        inputs.append(b)
    return Plan(op, inputs, {"requant": 1})


def conv(graph, node, yq, ydt):
    if len(node.inputs) > 3:
        return "Conv with a residual or slope input"
    return _linear(graph, node, ydt, "Conv", 0, 4)


def gemm(graph, node, yq, ydt):
    if attr(node, "transA") or attr(node, "alpha") != 1.0 or attr(node, "beta") != 1.0:
        return "Gemm with transA or alpha/beta other than 1"
    return _linear(graph, node, ydt, "Gemm", 0 if attr(node, "transB") else 1, 2)


def matmul(graph, node, yq, ydt):
    return _linear(graph, node, ydt, "MatMul", 1, 2)


def binary(graph, node, yq, ydt):
    a = _activation(graph, node.inputs[0], ydt, "input 'a'")
    if isinstance(a, str):
        return a
    b = _activation(graph, node.inputs[1], ydt, "input 'b'")
    return b if isinstance(b, str) else Plan(node.op, [a, b], {"requant": 1})


def unary(graph, node, yq, ydt):
    x = _activation(graph, node.inputs[0], ydt)
    return x if isinstance(x, str) else Plan(node.op, [x] + list(node.inputs[1:]), {"requant": 1})


def clamp(graph, node, yq, ydt):
    """Relu/Clip on their own: exact as a clamp only when the output keeps the input's grid."""
    x = _activation(graph, node.inputs[0], ydt)
    if isinstance(x, str):
        return x
    if x[1] != yq:
        return f"{node.op} whose output parameters differ from its input's (no ONNX-rounding kernel)"
    return Plan(node.op, [x], {"requant": 1})


def softmax(graph, node, yq, ydt):
    rank = len(graph.values[node.inputs[0]].shape or ())
    if int(attr(node, "axis")) not in (-1, rank - 1):
        return "Softmax over an axis other than the last"
    return unary(graph, node, yq, ydt)


def average_pool(graph, node, yq, ydt):
    return unary(graph, node, yq, ydt)


def global_average_pool(graph, node, yq, ydt):
    x = _activation(graph, node.inputs[0], ydt)
    if isinstance(x, str):
        return x
    return Plan("ReduceMean", [x], {"axes": [1, 2], "keepdims": 1, "requant": 1})


RULES = {
    "Conv": conv, "Gemm": gemm, "MatMul": matmul,
    "Add": binary, "Sub": binary, "Mul": binary,
    "Sigmoid": unary, "Tanh": unary, "LeakyRelu": unary, "HardSwish": unary,
    "Relu": clamp, "Clip": clamp,
    "Softmax": softmax, "AveragePool": average_pool, "GlobalAveragePool": global_average_pool,
}
# ops that take a following Relu/Clip as their output clamp (fused act kinds none/relu/clip)
CLAMPING = ("Conv", "Gemm", "MatMul", "Add", "Sub", "Mul")


def plan(graph: ir.Graph, node: ir.Node, yq: QuantParams, ydt: str, clamp=None) -> Union[Plan, str]:
    """The int8 form of ``node`` (with ``clamp``, (act, alpha, beta), as its fused activation), or why
    it stays float; the op's registry check (QUANT_CHECKS) must accept the planned tensors too."""
    rule = RULES.get(node.op)
    if rule is None:
        return f"no int8 kernel with ONNX rounding for {node.op}"
    p = rule(graph, node, yq, ydt)
    if isinstance(p, str):
        return p
    if clamp is not None:
        p.attrs.update(act=clamp[0], act_alpha=clamp[1], act_beta=clamp[2])
    check = QUANT_CHECKS.get(p.op)
    if check is not None:
        ports = [(graph.values[x].dtype if x else str(x_ints.dtype), q)
                 for x, q, x_ints in (i for i in p.inputs if isinstance(i, tuple))]
        probe = ir.Node(p.op, [], [], {**node.attrs, **p.attrs} if p.op == node.op else dict(p.attrs), node.name)
        why = check(probe, ports, [(ydt, yq)])
        if why:
            return why
    return p
