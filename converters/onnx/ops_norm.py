"""ONNX normalisation and softmax -> IR norm ops.

BatchNormalization (inference) with constant statistics folds to ScaleShift
(scale' = scale/sqrt(var+eps), shift' = bias - mean*scale'); with run-time
statistics it stays a BatchNormalization. Both are channels-last, so rank > 2
inputs are wrapped NCHW->NHWC and back; LRN likewise. Softmax/LogSoftmax/Hardmax
before opset 13 flatten the input to 2-D at ``axis``: a Reshape pair around a
last-axis softmax, unless axis is already the last one. NegativeLogLikelihoodLoss
and SoftmaxCrossEntropyLoss import as their ONNX function bodies (LogSoftmax,
GatherElements, Where, ReduceSum...; see the losses section).
InstanceNormalization and GroupNormalization become the channels-last GroupNormalization
(num_groups = C for InstanceNormalization); opset 18-20 GroupNormalization's per-group
scale/bias are repeated to the per-channel vectors of opset 21. LpNormalization maps to
its IR op. MeanVarianceNormalization is imported as its ONNX function body (ReduceMean,
Mul, Sub, Sqrt, Add, Div: y = (x - E[x]) / (sqrt(E[x^2] - E[x]^2) + 1e-9) over axes), in
float32 (float16 is cast around it, so it rounds once): a rare op with arbitrary axes,
whose reductions and elementwise steps are kernels the engine already runs.
"""
from __future__ import annotations

import numpy as np

from pocketml import ir

from .attr_domains import AXES, AXIS, BOOL, POSITIVE, domain, enum
from .bn_into_conv import fold_into_conv
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
@domain(training_mode=BOOL, spatial=BOOL)
def batch_norm(ctx: Context, node: OnnxNode) -> None:
    if node.opset >= 14 and int(node.attrs.get("training_mode", 0)):
        _batch_norm_training(ctx, node)
        return
    if any(ctx.is_consumed(o) for o in node.outputs[1:]):
        raise ctx.unsupported("the saved statistics outputs of opsets before 14 are not supported; "
                              "export the model for inference or with opset >= 14")
    if node.opset < 9 and int(node.attrs.get("spatial", 1)) != 1:
        raise ctx.unsupported("spatial=0 (per-element statistics) is not supported")
    x, scale, bias, mean, var = (node.input(i) for i in range(5))
    eps = float(node.attrs.get("epsilon", 1e-5))
    stats = [ctx.const(n) for n in (scale, bias, mean, var)]
    if all(s is not None for s in stats):
        if len({a.shape for a in stats}) > 1:  # before combining them with numpy
            raise ctx.error(f"scale, bias, mean and var must have one shape [C]; got {[list(a.shape) for a in stats]}")
        # one [4, C] conversion (one shape, checked above; 0-d ones stay arrays)
        s, b, m, v = np.array(stats, np.float64) if stats[0].ndim else (np.asarray(a, np.float64) for a in stats)
        mul = s / np.sqrt(v + np.float64(np.float32(eps)))
        mul, shift = mul.astype(np.float32), (b - m * mul).astype(np.float32)
        if ctx.dtype(x) == "float32" and fold_into_conv(ctx, node, x, mul, shift):
            return  # into the Conv's weights, as the fold_bn pass would
        _channels_last(ctx, node, "ScaleShift", [x, ctx.add_const(mul, "bn_scale"), ctx.add_const(shift, "bn_shift")],
                       {})
    else:
        _channels_last(ctx, node, "BatchNormalization", [x, scale, bias, mean, var], {"epsilon": eps})


def _batch_norm_training(ctx: Context, node: OnnxNode) -> None:
    """training_mode=1 (opsets 14/15): normalise with the batch's own statistics (mean and
    population variance over every axis but the channels) and give the running statistics
    mean * momentum + batch_mean * (1 - momentum), as ONNX's reference; IR reductions and
    arithmetic, in the input's dtype."""
    x, scale, bias, mean, var = (node.input(i) for i in range(5))
    rank, eps = ctx.rank(x), float(node.attrs.get("epsilon", 1e-5))
    momentum = float(node.attrs.get("momentum", 0.9))
    if rank < 2:
        raise ctx.error(f"input shape {list(ctx.shape(x))} has no channel axis")
    axes, dtype = [0] + list(range(2, rank)), ir.np_dtype(ctx.dtype(x))

    def const(value, hint):
        return ctx.add_const(np.asarray(value, dtype), hint)

    def per_channel(v, hint):  # [C] -> [C, 1, ..., 1] to broadcast over the spatial axes
        return ctx.reshape(v, [ctx.shape(v)[0]] + [1] * (rank - 2), hint=hint) if rank > 2 else v

    batch_mean = ctx.emit1("ReduceMean", [x], attrs={"axes": axes, "keepdims": 1}, hint="batch_mean")
    centred = ctx.emit1("Sub", [x, batch_mean], hint="centred")
    batch_var = ctx.emit1("ReduceMean", [ctx.emit1("Mul", [centred, centred], hint="sq")],
                          attrs={"axes": axes, "keepdims": 1}, hint="batch_var")
    inv_std = ctx.emit1("Reciprocal", [ctx.emit1("Sqrt", [ctx.emit1("Add", [batch_var, const(eps, "eps")])])])
    normed = ctx.emit1("Mul", [centred, inv_std], hint="normed")
    scaled = ctx.emit1("Mul", [normed, per_channel(scale, "scale")], hint="scaled")
    ctx.emit1("Add", [scaled, per_channel(bias, "bias")], node.output(0))
    for k, (running, batch) in enumerate(((mean, batch_mean), (var, batch_var)), start=1):
        if not ctx.is_consumed(node.output(k)):
            continue
        flat = ctx.emit1("ReduceMean", [batch], attrs={"axes": axes, "keepdims": 0}, hint="batch_stat")  # [C]
        kept = ctx.emit1("Mul", [running, const(momentum, "momentum")], hint="kept")
        ctx.emit1("Add", [kept, ctx.emit1("Mul", [flat, const(1.0 - momentum, "rest")])], node.output(k))


@handler("LRN")
@domain(size=POSITIVE)
def lrn(ctx: Context, node: OnnxNode) -> None:
    attrs = {"size": int(node.attrs["size"]), "alpha": float(node.attrs.get("alpha", 1e-4)),
             "beta": float(node.attrs.get("beta", 0.75)), "bias": float(node.attrs.get("bias", 1.0))}
    _channels_last(ctx, node, "LRN", [node.input(0)], attrs)


@handler("Softmax", "LogSoftmax", "Hardmax")
@domain(axis=AXIS)
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
@domain(axis=AXIS)
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
@domain(axis=AXIS)
def rms_norm(ctx: Context, node: OnnxNode) -> None:
    if int(node.attrs.get("stash_type", 1)) != 1:
        raise ctx.unsupported(f"stash_type {node.attrs['stash_type']} (statistics are computed in float32 only)")
    attrs = {"axis": int(node.attrs.get("axis", -1)), "epsilon": float(node.attrs.get("epsilon", 1e-5))}
    ctx.emit1("RMSNormalization", [node.input(0), node.input(1)], node.output(0), attrs)


# ---- losses -------------------------------------------------------------------
# NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (opsets 12, 13) are ONNX
# functions. They import as the function body's own decomposition into IR ops, which
# is exact, and each step is one pass over the targets (LogSoftmax over the input):
#   mask = t == ignore_index; t' = Where(mask, 0, t)  (ignored targets may be out of range)
#   g = GatherElements(log_prob, t'[:, None], axis=1)[:, 0]; w_t = Gather(weight, t') or 1
#   loss = -Where(mask, 0, g) * Where(mask, 0, w_t)
#   none: loss; sum: ReduceSum(loss); mean: ReduceSum(loss) / ReduceSum(w_t) (ReduceMean
#   with neither weight nor ignore_index), NaN when every target is ignored, as defined.
# float16 inputs are cast to float32 first and the outputs cast back once.
_REDUCTIONS = ("none", "sum", "mean")


def _to_float32(ctx: Context, name: str) -> str:
    if ctx.dtype(name) == "float32":
        return name
    return ctx.emit1("Cast", [name], attrs={"to": ir.dtype_code("float32")}, hint="to_float32")


def _write(ctx: Context, op: str, inputs: list, out: str, dtype: str, attrs=None) -> None:
    """Emit the last op of a loss into ``out``, through a Cast when ``out`` is not float32."""
    if dtype == "float32":
        ctx.emit1(op, inputs, out, attrs)
    else:
        y = ctx.emit1(op, inputs, attrs=attrs)
        ctx.emit1("Cast", [y], out, {"to": ir.dtype_code(dtype)})


def _class_axis(ctx: Context, x: str, insert: bool) -> str:
    """N x d1..dk -> N x 1 x d1..dk (insert) or back. A Reshape names each moved symbolic dim
    by position, so with several symbolic d_i the 1 goes last (or comes from the end) and a
    Transpose moves it: every dim then keeps its index through the Reshape."""
    shape = ctx.shape(x)
    if sum(isinstance(d, str) for d in shape[1:]) < 2:
        return ctx.reshape(x, shape[:1] + (1,) + shape[1:] if insert else shape[:1] + shape[2:],
                           hint="class_axis")
    rank = len(shape) + 1 if insert else len(shape)
    to_class = [0, rank - 1] + list(range(1, rank - 1))  # N x d.. x 1 -> N x 1 x d..
    if insert:
        return ctx.transpose(ctx.reshape(x, shape + (1,), hint="class_axis"), to_class)
    back = ctx.transpose(x, np.argsort(to_class))
    return ctx.reshape(back, ctx.shape(back)[:-1], hint="class_axis")


def _check_loss_inputs(ctx: Context, node: OnnxNode) -> str:
    """Validate input/target/weight shapes, dtypes and the reduction; return the reduction."""
    x, t, w = node.input(0), node.input(1), node.input(2)
    xs, ts = ctx.shape(x), ctx.shape(t)
    if ctx.dtype(x) not in ("float32", "float16"):
        raise ctx.unsupported(f"input has dtype {ctx.dtype(x)}; supported: float32, float16")
    if ctx.dtype(t) not in ("int32", "int64"):
        raise ctx.unsupported(f"target has dtype {ctx.dtype(t)}; supported: int32, int64")
    reduction = node.attrs.get("reduction", "mean")
    if reduction not in _REDUCTIONS:
        raise ctx.error(f"reduction {reduction!r} is not one of {', '.join(_REDUCTIONS)}")

    def differ(a, b) -> bool:
        return not isinstance(a, str) and not isinstance(b, str) and a != b

    want = xs[:1] + xs[2:]
    if len(xs) < 2 or len(ts) != len(want) or any(differ(a, b) for a, b in zip(ts, want)):
        raise ctx.error(f"input shape {list(xs)} and target shape {list(ts)} do not match: expected input "
                        f"N x C x d1..dk (rank >= 2) and target N x d1..dk")
    if w:
        ws = ctx.shape(w)
        if ctx.dtype(w) != ctx.dtype(x) or len(ws) != 1 or differ(ws[0], xs[1]):
            raise ctx.error(f"weight has dtype {ctx.dtype(w)} and shape {list(ws)}; expected {ctx.dtype(x)} "
                            f"[C] with C = {xs[1]} (input shape {list(xs)})")
    return reduction


def _nll(ctx: Context, node: OnnxNode, log_prob: str, reduction: str) -> None:
    """Negative log-likelihood of float32 ``log_prob`` (N x C x d..) into node.output(0)."""
    t, w, out = node.input(1), node.input(2), node.output(0)
    out_dtype, tdt = ctx.dtype(node.input(0)), ctx.dtype(node.input(1))
    ii = node.attrs.get("ignore_index")
    mask = None
    info = np.iinfo(ir.np_dtype(tdt))
    if ii is not None and info.min <= int(ii) <= info.max:  # else no target can equal it
        mask = ctx.emit1("Equal", [t, ctx.add_const(np.array(ii, info.dtype), "ignore_index")], hint="ignored")
        t = ctx.emit1("Where", [mask, ctx.add_const(np.zeros((), info.dtype), "zero_target"), t], hint="target")
    zero = ctx.add_const(np.float32(0), "zero")
    index = _class_axis(ctx, t, insert=True)
    picked = ctx.emit1("GatherElements", [log_prob, index], attrs={"axis": 1}, hint="gather")
    picked = _class_axis(ctx, picked, insert=False)
    if mask is not None:
        picked = ctx.emit1("Where", [mask, zero, picked], hint="mask")
    weight = None
    if w:
        weight = ctx.emit1("Gather", [_to_float32(ctx, w), t], attrs={"axis": 0}, hint="weight")
        if mask is not None:
            weight = ctx.emit1("Where", [mask, zero, weight], hint="weight_mask")
    elif mask is not None and reduction == "mean":
        weight = ctx.emit1("Where", [mask, zero, ctx.add_const(np.float32(1), "one")], hint="count")
    if reduction == "none" and not w:
        _write(ctx, "Neg", [picked], out, out_dtype)
        return
    loss = ctx.emit1("Neg", [picked], hint="neg")
    if w:
        if reduction == "none":
            _write(ctx, "Mul", [loss, weight], out, out_dtype)
            return
        loss = ctx.emit1("Mul", [loss, weight], hint="weighted")
    total = {"axes": [], "keepdims": 0}
    if reduction == "sum":
        _write(ctx, "ReduceSum", [loss], out, out_dtype, total)
    elif weight is None:
        _write(ctx, "ReduceMean", [loss], out, out_dtype, total)
    else:
        num = ctx.emit1("ReduceSum", [loss], attrs=total, hint="loss_sum")
        den = ctx.emit1("ReduceSum", [weight], attrs=total, hint="weight_sum")
        _write(ctx, "Div", [num, den], out, out_dtype)


@handler("NegativeLogLikelihoodLoss")
@domain(reduction=enum("none", "sum", "mean"))
def nll_loss(ctx: Context, node: OnnxNode) -> None:
    reduction = _check_loss_inputs(ctx, node)
    _nll(ctx, node, _to_float32(ctx, node.input(0)), reduction)


@handler("SoftmaxCrossEntropyLoss")
@domain(reduction=enum("none", "sum", "mean"))
def softmax_cross_entropy_loss(ctx: Context, node: OnnxNode) -> None:
    reduction = _check_loss_inputs(ctx, node)
    x, log_prob_out = node.input(0), node.output(1)
    attrs = {"axis": 1}
    if ctx.is_consumed(log_prob_out) and ctx.dtype(x) == "float32":
        log_prob = ctx.emit1("LogSoftmax", [x], log_prob_out, attrs)
    else:
        log_prob = ctx.emit1("LogSoftmax", [_to_float32(ctx, x)], attrs=attrs, hint="log_prob")
        if ctx.is_consumed(log_prob_out):
            ctx.emit1("Cast", [log_prob], log_prob_out, {"to": ir.dtype_code(ctx.dtype(x))})
    _nll(ctx, node, log_prob, reduction)
def _static_channels(ctx: Context, x: str, scale: str, scale_per_channel: bool) -> int:
    """C of an NC... input, from x's shape or else a per-channel scale's."""
    c = ctx.shape(x)[1] if ctx.rank(x) >= 2 else None
    if isinstance(c, int):
        return c
    if scale_per_channel and ctx.rank(scale) == 1 and isinstance(ctx.shape(scale)[0], int):
        return ctx.shape(scale)[0]
    raise ctx.error(f"needs a static channel dim (x {list(ctx.shape(x))}); fix it with input_shapes")


@handler("InstanceNormalization")
def instance_norm(ctx: Context, node: OnnxNode) -> None:
    x, scale, bias = node.input(0), node.input(1), node.input(2)
    c = _static_channels(ctx, x, scale, True)
    attrs = {"num_groups": max(c, 1), "epsilon": float(node.attrs.get("epsilon", 1e-5))}
    _channels_last(ctx, node, "GroupNormalization", [x, scale, bias], attrs)


# stage one (statistics, normalisation) runs with double sums and float32 coefficients: as
# precise as float32 (stash_type 1) and, to float32 rounding, double (11)
_STASH_TYPES = (1, 11)


def _per_channel(ctx: Context, v: str, groups: int, c: int, role: str) -> str:
    """Opset 18's per-group vector [G] repeated to [C] (each group's value on its channels)."""
    const = ctx.const(v)
    if const is not None:
        if const.shape != (groups,):
            raise ctx.error(f"{role} has shape {list(const.shape)}; opset {ctx.node.opset} wants [num_groups] = "
                            f"[{groups}]")
        return ctx.add_const(np.repeat(const, c // groups), f"{role}_per_channel")
    col = ctx.reshape(v, [groups, 1], hint=f"{role}_col")
    wide = ctx.emit1("Expand", [col], attrs={"shape": [groups, c // groups]}, hint=f"{role}_groups")
    return ctx.reshape(wide, [c], hint=f"{role}_per_channel")


@handler("GroupNormalization")
@domain(num_groups=POSITIVE)
def group_norm(ctx: Context, node: OnnxNode) -> None:
    stash = int(node.attrs.get("stash_type", 1))
    if stash not in _STASH_TYPES:
        raise ctx.unsupported(f"stash_type {stash}; supported: 1 (float32) and 11 (double statistics)")
    if "num_groups" not in node.attrs:
        raise ctx.error("attribute 'num_groups' is required")
    x, scale, bias = node.input(0), node.input(1), node.input(2)
    groups = int(node.attrs["num_groups"])
    per_channel = node.opset >= 21
    c = _static_channels(ctx, x, scale, per_channel)
    if groups < 1 or c % groups:
        raise ctx.error(f"num_groups {groups} does not divide the {c} channels")
    if not per_channel:
        scale, bias = (_per_channel(ctx, v, groups, c, role) for v, role in ((scale, "scale"), (bias, "bias")))
    attrs = {"num_groups": groups, "epsilon": float(node.attrs.get("epsilon", 1e-5))}
    _channels_last(ctx, node, "GroupNormalization", [x, scale, bias], attrs)


@handler("LpNormalization")
@domain(axis=AXIS, p=enum(1, 2))
def lp_norm(ctx: Context, node: OnnxNode) -> None:
    p = int(node.attrs.get("p", 2))
    if p not in (1, 2):
        raise ctx.unsupported(f"p {p}; supported: 1, 2")
    ctx.emit1("LpNormalization", [node.input(0)], node.output(0), {"axis": int(node.attrs.get("axis", -1)), "p": p})


@handler("MeanVarianceNormalization")
@domain(axes=AXES)
def mean_variance_norm(ctx: Context, node: OnnxNode) -> None:
    x, out = node.input(0), node.output(0)
    axes = [int(a) for a in node.attrs.get("axes", [0, 2, 3])]
    half = ctx.dtype(x) == "float16"
    if half:
        x = ctx.emit1("Cast", [x], attrs={"to": ir.dtype_code("float32")}, hint="mvn_f32")
    reduce = {"axes": axes, "keepdims": 1}
    mean = ctx.emit1("ReduceMean", [x], attrs=reduce, hint="mvn_mean")
    mean_sq = ctx.emit1("ReduceMean", [ctx.emit1("Mul", [x, x], hint="mvn_x2")], attrs=reduce, hint="mvn_mean_x2")
    var = ctx.emit1("Sub", [mean_sq, ctx.emit1("Mul", [mean, mean], hint="mvn_mean2")], hint="mvn_var")
    eps = ctx.add_const(np.array(1e-9, np.float32), "mvn_eps")
    std = ctx.emit1("Add", [ctx.emit1("Sqrt", [var], hint="mvn_std"), eps], hint="mvn_std_eps")
    centred = ctx.emit1("Sub", [x, mean], hint="mvn_centred")
    y = ctx.emit1("Div", [centred, std], None if half else out, hint="mvn")
    if half:
        ctx.emit1("Cast", [y], out, {"to": ir.dtype_code("float16")})
