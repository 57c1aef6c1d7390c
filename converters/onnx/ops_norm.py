"""ONNX normalisation and softmax -> IR norm ops.

BatchNormalization (inference) with constant statistics folds to ScaleShift
(scale' = scale/sqrt(var+eps), shift' = bias - mean*scale'); with run-time
statistics it stays a BatchNormalization. Both are channels-last, so rank > 2
inputs are wrapped NCHW->NHWC and back; LRN likewise. Softmax/LogSoftmax/Hardmax
before opset 13 flatten the input to 2-D at ``axis``: a Reshape pair around a
last-axis softmax, unless axis is already the last one.
"""
from __future__ import annotations

import numpy as np

from .context import Context, OnnxNode, handler
from .layout import channels_first_perm, channels_last_perm


def _channels_last(ctx: Context, node: OnnxNode, op: str, inputs: list, attrs: dict) -> None:
    """Run channels-last ``op`` on an NC... input: transpose in and out for rank > 2."""
    x, rank = inputs[0], ctx.rank(inputs[0])
    if rank < 2:
        raise ctx.error(f"input shape {list(ctx.shape(x))} has no channel axis")
    if rank == 2:
        ctx.emit1(op, inputs, node.output(0), attrs)
        return
    xt = ctx.transpose(x, channels_last_perm(rank), hint="to_channels_last")
    y = ctx.emit1(op, [xt] + inputs[1:], attrs=attrs)
    ctx.transpose(y, channels_first_perm(rank), node.output(0), hint="to_channels_first")


@handler("BatchNormalization")
def batch_norm(ctx: Context, node: OnnxNode) -> None:
    if any(ctx.is_consumed(o) for o in node.outputs[1:]) or int(node.attrs.get("training_mode", 0)):
        raise ctx.unsupported("training mode (running mean/var or saved statistics outputs) is not supported; "
                              "export the model for inference")
    if node.opset < 9 and int(node.attrs.get("spatial", 1)) != 1:
        raise ctx.unsupported("spatial=0 (per-element statistics) is not supported")
    x, scale, bias, mean, var = (node.input(i) for i in range(5))
    eps = float(node.attrs.get("epsilon", 1e-5))
    stats = [ctx.const(n) for n in (scale, bias, mean, var)]
    if all(s is not None for s in stats):
        s, b, m, v = (np.asarray(a, np.float64) for a in stats)
        mul = s / np.sqrt(v + np.float64(np.float32(eps)))
        shift = b - m * mul
        inputs = [x, ctx.add_const(mul.astype(np.float32), "bn_scale"), ctx.add_const(shift.astype(np.float32),
                                                                                     "bn_shift")]
        _channels_last(ctx, node, "ScaleShift", inputs, {})
    else:
        _channels_last(ctx, node, "BatchNormalization", [x, scale, bias, mean, var], {"epsilon": eps})


@handler("LRN")
def lrn(ctx: Context, node: OnnxNode) -> None:
    attrs = {"size": int(node.attrs["size"]), "alpha": float(node.attrs.get("alpha", 1e-4)),
             "beta": float(node.attrs.get("beta", 0.75)), "bias": float(node.attrs.get("bias", 1.0))}
    _channels_last(ctx, node, "LRN", [node.input(0)], attrs)


@handler("Softmax", "LogSoftmax", "Hardmax")
def softmax(ctx: Context, node: OnnxNode) -> None:
    x = node.input(0)
    shape = ctx.shape(x)
    rank = len(shape)
    if node.opset >= 13:
        ctx.emit1(node.op_type, [x], node.output(0), {"axis": int(node.attrs.get("axis", -1))})
        return
    axis = int(node.attrs.get("axis", 1))
    axis = axis + rank if axis < 0 else axis
    if not 0 <= axis <= rank:
        raise ctx.error(f"axis {node.attrs.get('axis')} out of range for input shape {list(shape)}")
    if axis == rank - 1 or rank == 0:
        ctx.emit1(node.op_type, [x], node.output(0), {"axis": -1})
        return
    # opset < 13: softmax over the flattened trailing dims [axis:]
    y = ctx.emit1(node.op_type, [ctx.flatten_2d(x, axis)], attrs={"axis": -1})
    ctx.reshape(y, list(shape), node.output(0), hint="unflatten")


@handler("LayerNormalization")
def layer_norm(ctx: Context, node: OnnxNode) -> None:
    if int(node.attrs.get("stash_type", 1)) != 1:
        raise ctx.unsupported(f"stash_type {node.attrs['stash_type']} (statistics are computed in float32 only)")
    attrs = {"axis": int(node.attrs.get("axis", -1)), "epsilon": float(node.attrs.get("epsilon", 1e-5))}
    # unused Mean/InvStdDev outputs are dropped; a used later one needs its predecessors named
    outs = [o if ctx.is_consumed(o) else "" for o in node.outputs[:3]]
    outs[0] = node.output(0)
    while len(outs) > 1 and not outs[-1]:
        outs.pop()
    outs = [o or ctx.new_name(f"{node.name}/unused") for o in outs]
    ctx.emit("LayerNormalization", [node.input(0), node.input(1), node.input(2)], outs, attrs)


@handler("RMSNormalization")
def rms_norm(ctx: Context, node: OnnxNode) -> None:
    if int(node.attrs.get("stash_type", 1)) != 1:
        raise ctx.unsupported(f"stash_type {node.attrs['stash_type']} (statistics are computed in float32 only)")
    attrs = {"axis": int(node.attrs.get("axis", -1)), "epsilon": float(node.attrs.get("epsilon", 1e-5))}
    ctx.emit1("RMSNormalization", [node.input(0), node.input(1)], node.output(0), attrs)
