"""TFLite data-movement ops -> IR tensor ops.

PAD/PADV2 (paddings [rank,2] -> pads [begins..., ends...]), MIRROR_PAD
(REFLECT is Pad mode 1; SYMMETRIC, which the IR's Pad lacks, is per padded
axis a Concat of two reversed Slices around the input), RESHAPE (the output
tensor's stored shape, else new_shape), CONCATENATION (fused activation
applied after), TRANSPOSE, SLICE (begin/size, size -1 = to the end) and
STRIDED_SLICE (TFLite's ellipsis/new_axis expansion and start/stop logic
resolved at conversion into one Slice plus a Reshape that drops shrunk axes
and inserts new ones), SQUEEZE, EXPAND_DIMS, PACK (Reshape + Concat),
UNPACK/SPLIT/SPLIT_V (one Slice per output), TILE and BROADCAST_TO (Expand;
multiples / shape computed at run time become the IR op's input) and
REVERSE_V2 (one Slice with step -1 over the axes, which it takes as an
input when they are computed at run time).
"""
from __future__ import annotations

import numpy as np
import tflite

from pocketml import dtypes
from pocketml.ops.tensor import fill_attrs

from . import option_domains
from . import quant as tflite_quant
from .context import Context, handler
from .ops_unary import standalone_act


@handler("PAD", "PADV2")
def pad(ctx: Context, op) -> None:
    x = ctx.input(0)
    p = np.asarray(ctx.param(1, "paddings"), np.int64)
    r = len(ctx.shape(x))
    if p.shape != (r, 2) or p.min(initial=0) < 0:
        raise ctx.error(f"paddings must be a non-negative [{r},2] tensor, got {p.tolist()}")
    q = ctx.graph.values[x].quant
    value = 0.0 if q is None else int(q.zero_point[0])  # PAD fills with the real 0: a quantized tensor's zero point
    if op.name == "PADV2" and len(op.inputs) > 2 and op.inputs[2] >= 0:
        value = np.asarray(ctx.param(2, "constant_values")).reshape(-1)[0]  # stored as x is (its zero point too)
    ctx.emit("Pad", [x], ctx.out(0), {"pads": p[:, 0].tolist() + p[:, 1].tolist(), "mode": 0,
                                      **fill_attrs(value, ctx.np_type(op.inputs[0]))})


@handler("RESHAPE")
def reshape(ctx: Context, op) -> None:
    x = ctx.input(0)
    xs = ctx.shape(x)
    t = ctx.tensor(op.outputs[0]) if op.outputs and op.outputs[0] >= 0 else None
    dims = None
    if len(op.inputs) > 1 and op.inputs[1] >= 0 and not ctx.is_const_tensor(op.inputs[1]):
        # a shape computed at run time (Keras' Flatten: SHAPE -> STRIDED_SLICE -> PACK [batch, -1]): the
        # runtime reads it while planning. TFLite has no "0 copies": a 0 is a size
        ctx.emit("Reshape", [x, ctx.input(1)], ctx.out(0), {"shape": [], "allowzero": 1})
        return
    if len(op.inputs) > 1 and op.inputs[1] >= 0:
        dims = [int(d) for d in ctx.param(1, "shape").reshape(-1)]
    if dims is None:
        o = ctx.options(tflite.ReshapeOptions, required=False)
        if o is not None and not o.NewShapeIsNone():
            dims = [int(o.NewShape(i)) for i in range(min(o.NewShapeLength(), 16))]
    if dims is None and t is not None:  # (the signature's -1 marks a dim the converter left dynamic)
        sig = t.shape_signature if t.shape_signature is not None and len(t.shape_signature) == len(t.shape) else None
        dims = list(sig if sig is not None and any(isinstance(d, str) for d in xs) else t.shape)
    if dims is None:
        raise ctx.error("no target shape (neither a constant shape input, new_shape nor an output shape)")
    if any(isinstance(d, str) for d in xs):  # the runtime infers the one -1 for each concrete shape
        if dims.count(-1) > 1 or min(dims, default=0) < -1:
            raise ctx.error(f"cannot reshape {list(xs)} to {dims}: at most one -1 and no other negative size")
        ctx.emit("Reshape", [x], ctx.out(0), {"shape": [int(d) for d in dims], "allowzero": int(0 in dims)})
        return
    total = int(np.prod(xs, dtype=np.int64))
    if dims.count(-1) == 1:
        known = int(np.prod([d for d in dims if d != -1], dtype=np.int64))
        if known <= 0 or total % known:
            raise ctx.error(f"cannot reshape {list(xs)} to {dims}")
        dims = [total // known if d == -1 else d for d in dims]
    if min(dims, default=0) < 0 or int(np.prod(dims, dtype=np.int64)) != total:
        raise ctx.error(f"cannot reshape {list(xs)} to {dims}")
    ctx.emit("Reshape", [x], ctx.out(0), {"shape": dims, "allowzero": int(0 in dims)})


def _concat_rescaled(ctx: Context, x: str, out_q, out_type: str) -> str:
    """A uint8 CONCATENATION input whose parameters differ from the output's, requantized to them
    as TFLite's ConcatenationWithScaling does (float scale and bias, rounded half away from zero:
    Requantize requant=2). TFLite refuses int8/int16 inputs of other parameters; so does the
    quantization check here (Concat only moves data)."""
    v = ctx.graph.values[x]
    if out_q is None or v.quant is None or v.dtype != "uint8" or out_type != "uint8":
        return x
    if v.quant.per_tensor and out_q.per_tensor and np.float32(v.quant.scale[0]) == np.float32(out_q.scale[0]) \
            and int(v.quant.zero_point[0]) == int(out_q.zero_point[0]):
        return x
    return ctx.emit("Requantize", [x], None, {"to": dtypes.BY_NAME["uint8"].code, "requant": 2}, hint="rescale",
                    quant=out_q)


@handler("CONCATENATION")
def concatenation(ctx: Context, op) -> None:
    o = ctx.options(tflite.ConcatenationOptions)
    out_type = ctx.np_type(op.outputs[0]).name
    out_q = tflite_quant.quant_of(ctx.model, ctx.tensor(op.outputs[0]), out_type)
    ins = [_concat_rescaled(ctx, ctx.input(i), out_q, out_type) for i in range(len(op.inputs))]
    act = ctx.fused_act(o.FusedActivationFunction())
    y = ctx.emit("Concat", ins, None if act else ctx.out(0), {"axis": int(o.Axis())})
    if act:
        standalone_act(ctx, y, act, ctx.out(0))


# ---- shape ops ----------------------------------------------------------------------------------
def _ints(ctx: Context, i: int, what: str) -> list:
    return [int(v) for v in np.asarray(ctx.param(i, what)).reshape(-1)]


def _reshape_to(ctx: Context, x: str, dims, out=None, hint: str = "reshape") -> str:
    """Reshape to ``dims`` (ints and symbolic dims of x): one symbolic dim becomes -1; with
    more, the target shape is computed while planning from x's shape."""
    sym = [d for d in dims if isinstance(d, str)]
    if len(sym) > 1:
        xs = list(ctx.shape(x))
        moved = [d for i, d in enumerate(dims) if isinstance(d, str) and not (i < len(xs) and xs[i] == d)]
        if len(moved) <= 1 and 0 not in dims:  # 0 copies a dim at the same index, one -1 infers the other
            spec = [0 if isinstance(d, str) and d not in moved else -1 if isinstance(d, str) else int(d) for d in dims]
            return ctx.emit("Reshape", [x], out, {"shape": spec, "allowzero": 0}, hint=hint)
        return ctx.emit("Reshape", [x, _shape_of_dims(ctx, x, dims, hint)], out, {"shape": [], "allowzero": 1},
                        hint=hint)
    dims = [-1 if isinstance(d, str) else int(d) for d in dims]
    if sym:
        return ctx.emit("Reshape", [x], out, {"shape": dims, "allowzero": 0}, hint=hint)
    return ctx.reshape(x, dims, out=out, hint=hint)


def _shape_of_dims(ctx: Context, x: str, dims, hint: str) -> str:
    """An int64 tensor of ``dims``: static ones constant, symbolic ones read from x's shape."""
    xs = list(ctx.shape(x))
    parts = []
    for d in dims:
        if isinstance(d, str):
            if d not in xs:
                raise ctx.unsupported(f"reshape to {list(dims)}: dim {d!r} is not one of the input's {xs}")
            a = xs.index(d)
            parts.append(ctx.emit("Shape", [x], None, {"start": a, "end": a + 1}, hint=f"{hint}_dim"))
        else:
            parts.append(ctx.add_const(np.array([int(d)], np.int64), f"{hint}_dim"))
    return ctx.emit("Concat", parts, None, {"axis": 0}, hint=f"{hint}_shape")


def _static(ctx: Context, x: str) -> tuple:
    s = ctx.shape(x)
    if not all(isinstance(d, int) for d in s):
        raise ctx.unsupported(f"{ctx.op.name} needs a static input shape, got {list(s)}")
    return s


@handler("TRANSPOSE")
def transpose(ctx: Context, op) -> None:
    x = ctx.input(0)
    perm = _ints(ctx, 1, "perm")
    if sorted(perm) != list(range(len(ctx.shape(x)))):
        raise ctx.error(f"perm {perm} is not a permutation of the {len(ctx.shape(x))} input axes")
    ctx.emit("Transpose", [x], ctx.out(0), {"perm": perm})


def _strided_layout(ctx: Context, rank: int, n: int, elm: int, nam: int) -> list:
    """Dims of TFLite's effective input (the input plus new axes), as the kernel expands
    ellipsis_mask and new_axis_mask: ("new",) a new size-1 axis, ("whole", axis) an input axis kept
    whole (covered by the ellipsis or past the spec), ("spec", axis, j) input axis sliced by spec j.
    The ellipsis spans the input dims the other specs leave over (at least one dim; a new_axis bit
    on the ellipsis is ignored)."""
    if elm & (elm - 1):
        raise ctx.error(f"ellipsis_mask {elm:#b} has more than one bit set")
    if (elm | nam) >> n:
        raise ctx.error(f"ellipsis_mask {elm:#b} / new_axis_mask {nam:#b} name specs past the {n} given")
    n_new = sum(1 for j in range(n) if nam >> j & 1 and not elm >> j & 1)
    eff = rank + n_new
    e = elm.bit_length() - 1 if elm else eff  # spec index (= effective index) of the ellipsis
    span = max(1, min(1 + n_new + rank - n, eff - e)) if e < eff else 0
    dims, axis = [], 0
    for i in range(eff):
        j = i if i < e else i - (span - 1)  # the spec behind effective dim i
        if e <= i < e + span or j >= n:
            dims.append(("whole", axis))
        elif nam >> j & 1:
            dims.append(("new",))
            continue
        else:
            dims.append(("spec", axis, j))
        axis += 1
    if axis != rank:
        raise ctx.error(f"masks ellipsis {elm:#b} / new_axis {nam:#b} with {n} specs do not fit a rank-{rank} input")
    return dims


@handler("STRIDED_SLICE")
def strided_slice(ctx: Context, op) -> None:
    o = ctx.options(tflite.StridedSliceOptions, required=False)
    bm, em, elm, nam, sam = ((int(o.BeginMask()), int(o.EndMask()), int(o.EllipsisMask()), int(o.NewAxisMask()),
                              int(o.ShrinkAxisMask())) if o is not None else (0, 0, 0, 0, 0))
    offset = bool(o.Offset()) if o is not None else False
    x = ctx.input(0)
    xs = ctx.shape(x)
    rank = len(xs)
    begin, end, strides = _ints(ctx, 1, "begin"), _ints(ctx, 2, "end"), _ints(ctx, 3, "strides")
    n = len(begin)
    if len(end) != n or len(strides) != n:
        raise ctx.error(f"begin {begin}, end {end} and strides {strides} differ in length")
    if offset and (elm or nam):
        raise ctx.unsupported("STRIDED_SLICE with offset together with ellipsis_mask / new_axis_mask")
    if n - bin(nam & ~elm).count("1") > rank:  # (an ellipsis left no dims: TFLite would drop a spec)
        raise ctx.unsupported(f"{n} slice specs (new_axis_mask {nam:#b}, ellipsis_mask {elm:#b}) for a "
                              f"rank-{rank} input")
    if any(isinstance(d, str) for d in xs):
        _strided_slice_symbolic(ctx, x, (begin, end, strides), (bm, em, elm, nam, sam), offset)
        return
    starts, ends, axes, steps, out_shape = [], [], [], [], []
    for d in _strided_layout(ctx, rank, n, elm, nam):
        if d[0] == "new":
            out_shape.append(1)
            continue
        dim = xs[d[1]]
        if d[0] == "whole":
            out_shape.append(dim)
            continue
        i, j = d[1], d[2]
        stride = strides[j]
        if stride == 0:
            raise ctx.error(f"strides {strides} contain 0")
        # StridedSliceStartForAxis / EndForAxis (strided_slice_logic.h)
        start = begin[j]
        if bm >> j & 1:
            start = 0 if stride > 0 else dim - 1
        else:
            start = start + dim if start < 0 else start
            start = min(max(start, 0), dim) if stride > 0 else min(max(start, -1), dim - 1)
        if sam >> j & 1:
            stop = start + 1
            if stride < 0:
                raise ctx.unsupported("STRIDED_SLICE shrinking an axis with a negative stride")
        else:
            stop = end[j] + (begin[j] if offset else 0)
            if em >> j & 1 and not offset:
                stop = dim if stride > 0 else -1
            else:
                stop = stop + dim if stop < 0 else stop
                stop = min(max(stop, 0), dim) if stride > 0 else min(max(stop, -1), dim - 1)
        length = max(0, -(-(stop - start) // stride)) if stride > 0 else max(0, -(-(start - stop) // -stride))
        if length == 0 or not 0 <= start < dim:
            raise ctx.unsupported(f"STRIDED_SLICE with an empty result on axis {i}")
        if not (start == 0 and stride == 1 and stop == dim):
            starts.append(start)
            ends.append(stop if stop >= 0 else -(2 ** 31))
            axes.append(i)
            steps.append(stride)
        if not sam >> j & 1:
            out_shape.append(length)
    y = x
    if axes:
        y = ctx.emit("Slice", [x], None, {"starts": starts, "ends": ends, "axes": axes, "steps": steps}, hint="slice")
    if y == x or list(ctx.shape(y)) != out_shape:
        ctx.emit("Reshape", [y], ctx.out(0), {"shape": out_shape, "allowzero": int(0 in out_shape)})
    else:
        ctx.emit("Identity", [y], ctx.out(0))


_INT_MAX, _INT_MIN = 2 ** 31 - 1, -(2 ** 31)


def _strided_slice_symbolic(ctx: Context, x: str, specs: tuple, masks: tuple, offset: bool) -> None:
    """STRIDED_SLICE of an input with symbolic dims: each spec becomes IR Slice bounds, which the
    runtime clamps for the concrete size exactly as TFLite does (masks -> open ends; a shrunk axis
    is [begin, begin + 1), open when begin is -1); then shrunk axes go and new axes come by a
    reshape. An empty result cannot be ruled out here: the runtime gives it its shape."""
    (begin, end, strides), (bm, em, elm, nam, sam) = specs, masks
    xs = ctx.shape(x)
    layout = _strided_layout(ctx, len(xs), len(begin), elm, nam)
    starts, ends, axes, steps = [], [], [], []
    for d in layout:
        if d[0] != "spec":
            continue
        i, j = d[1], d[2]
        stride = strides[j]
        if stride == 0:
            raise ctx.error(f"strides {strides} contain 0")
        if sam >> j & 1:
            if stride < 0:
                raise ctx.unsupported("STRIDED_SLICE shrinking an axis with a negative stride")
            start = 0 if bm >> j & 1 else begin[j]
            stop = _INT_MAX if start == -1 else start + 1
        else:
            start = (0 if stride > 0 else _INT_MAX) if bm >> j & 1 else begin[j]
            if em >> j & 1 and not offset:
                stop = _INT_MAX if stride > 0 else _INT_MIN
            else:
                stop = end[j] + (begin[j] if offset else 0)
        if (start, stop, stride) in ((0, _INT_MAX, 1),):
            continue  # the whole axis
        starts.append(start)
        ends.append(stop)
        axes.append(i)
        steps.append(stride)
    y = ctx.emit("Slice", [x], None, {"starts": starts, "ends": ends, "axes": axes, "steps": steps},
                 hint="slice") if axes else x
    ys = list(ctx.shape(y))
    target = [1 if d[0] == "new" else ys[d[1]] for d in layout if d[0] != "spec" or not sam >> d[2] & 1]
    dropped = [ys[d[1]] for d in layout if d[0] == "spec" and sam >> d[2] & 1]
    if target == ys and y != x:
        ctx.emit("Identity", [y], ctx.out(0))
    elif any(isinstance(d, str) for d in dropped):  # a shrunk axis the converter cannot prove is 1: the runtime checks
        ctx.emit("Reshape", [y, _shape_of_dims(ctx, y, target, "shrink")], ctx.out(0), {"shape": [], "allowzero": 1})
    else:
        _reshape_to(ctx, y, target, out=ctx.out(0))


@handler("SLICE")
def slice_(ctx: Context, op) -> None:
    x = ctx.input(0)
    xs = _static(ctx, x)
    begin, size = _ints(ctx, 1, "begin"), _ints(ctx, 2, "size")
    if len(begin) != len(xs) or len(size) != len(xs):
        raise ctx.error(f"begin {begin} and size {size} need one value per axis of the rank-{len(xs)} input")
    starts, ends, axes = [], [], []
    for i, (b, n, dim) in enumerate(zip(begin, size, xs)):
        n = dim - b if n == -1 else n
        if b < 0 or n < 0 or b + n > dim:
            raise ctx.error(f"begin {begin} / size {size} out of range for input shape {list(xs)}")
        if n == 0:
            raise ctx.unsupported(f"SLICE with an empty result on axis {i}")
        if n != dim:
            starts.append(b)
            ends.append(b + n)
            axes.append(i)
    if not axes:
        ctx.emit("Identity", [x], ctx.out(0))
        return
    ctx.emit("Slice", [x], ctx.out(0), {"starts": starts, "ends": ends, "axes": axes, "steps": [1] * len(axes)})


@handler("SQUEEZE")
def squeeze(ctx: Context, op) -> None:
    o = ctx.options(tflite.SqueezeOptions, required=False)
    x = ctx.input(0)
    xs = ctx.shape(x)
    dims = [int(o.SqueezeDims(i)) for i in range(o.SqueezeDimsLength())] if o is not None else []
    if any(not -len(xs) <= d < len(xs) for d in dims):
        raise ctx.error(f"squeeze_dims {dims} out of range for rank {len(xs)}")
    dims = {d % len(xs) for d in dims} or {i for i, d in enumerate(xs) if d == 1}
    if any(xs[d] != 1 for d in dims):
        raise ctx.error(f"cannot squeeze dims {sorted(dims)} of shape {list(xs)}")
    _reshape_to(ctx, x, [d for i, d in enumerate(xs) if i not in dims], out=ctx.out(0))


@handler("EXPAND_DIMS")
def expand_dims(ctx: Context, op) -> None:
    x = ctx.input(0)
    xs = list(ctx.shape(x))
    axis = _ints(ctx, 1, "axis")
    if len(axis) != 1 or not -len(xs) - 1 <= axis[0] <= len(xs):
        raise ctx.error(f"axis {axis} out of range for rank {len(xs)}")
    a = axis[0] % (len(xs) + 1)
    _reshape_to(ctx, x, xs[:a] + [1] + xs[a:], out=ctx.out(0))


@handler("TILE")
def tile(ctx: Context, op) -> None:
    reps, reps_in = ctx.param_or_input(1, "multiples")
    if reps is None:  # computed at run time: the IR's Tile takes it as an input
        ctx.emit("Tile", [ctx.input(0), reps_in], ctx.out(0))
        return
    ctx.emit("Tile", [ctx.input(0)], ctx.out(0), {"repeats": reps})


@handler("BROADCAST_TO")
def broadcast_to(ctx: Context, op) -> None:
    x = ctx.input(0)
    shape, shape_in = ctx.param_or_input(1, "shape")
    if shape is None:
        # computed at run time: the IR's Expand broadcasts both ways, which gives `shape` exactly
        # wherever TFLite accepts it (x's dims are 1 or equal to shape's)
        ctx.emit("Expand", [x, shape_in], ctx.out(0))
        return
    xs = _static(ctx, x)
    # unlike the IR's (ONNX) Expand, the result is exactly `shape`: x must broadcast to it
    lead = len(shape) - len(xs)
    if lead < 0 or any(d not in (1, t) for d, t in zip(xs, shape[lead:])) or min(shape, default=1) < 1:
        raise ctx.error(f"input of shape {list(xs)} does not broadcast to {shape}")
    if list(xs) == shape:
        ctx.emit("Identity", [x], ctx.out(0))
        return
    ctx.emit("Expand", [x], ctx.out(0), {"shape": shape})


def _reversed_slice(ctx: Context, x: str, axis: int, first: int, count: int, hint: str) -> str:
    """x[first], x[first-1], ... (count elements) along axis."""
    stop = first - count
    return ctx.emit("Slice", [x], None, {"starts": [first], "ends": [stop if stop >= 0 else -(2 ** 31)],
                                         "axes": [axis], "steps": [-1]}, hint=hint)


@handler("MIRROR_PAD")
def mirror_pad(ctx: Context, op) -> None:
    o = ctx.options(tflite.MirrorPadOptions, required=False)
    mode = option_domains.one_of(ctx, "mode", int(o.Mode()) if o is not None else 0,
                                 {tflite.MirrorPadMode.REFLECT: "REFLECT", tflite.MirrorPadMode.SYMMETRIC: "SYMMETRIC"})
    symmetric = mode == tflite.MirrorPadMode.SYMMETRIC
    x = ctx.input(0)
    xs = _static(ctx, x)
    p = np.asarray(ctx.param(1, "paddings"), np.int64)
    r = len(xs)
    if p.shape != (r, 2) or p.min(initial=0) < 0:
        raise ctx.error(f"paddings must be a non-negative [{r},2] tensor, got {p.tolist()}")
    limit = [d if symmetric else d - 1 for d in xs]  # SYMMETRIC repeats the edge, REFLECT does not
    if any(p[i].max() > limit[i] for i in range(r)):
        raise ctx.error(f"paddings {p.tolist()} exceed {'' if symmetric else 'dim - 1 of '}the input dims {list(xs)}")
    if not symmetric:
        ctx.emit("Pad", [x], ctx.out(0), {"pads": p[:, 0].tolist() + p[:, 1].tolist(), "mode": 1})
        return
    padded = [i for i in range(r) if p[i].any()]
    y = x
    for k, i in enumerate(padded):
        dim = ctx.shape(y)[i]
        parts = ([_reversed_slice(ctx, y, i, int(p[i, 0]) - 1, int(p[i, 0]), f"before{i}")] if p[i, 0] else []) + [y]
        if p[i, 1]:
            parts.append(_reversed_slice(ctx, y, i, dim - 1, int(p[i, 1]), f"after{i}"))
        y = ctx.emit("Concat", parts, ctx.out(0) if k == len(padded) - 1 else None, {"axis": i}, hint=f"axis{i}")
    if not padded:
        ctx.emit("Identity", [x], ctx.out(0))


def _axis(ctx: Context, axis: int, rank: int) -> int:
    return option_domains.axis(ctx, axis, rank)


def _slices(ctx: Context, x: str, axis: int, sizes: list, squeeze: bool) -> None:
    xs = ctx.shape(x)
    if len(ctx.op.outputs) != len(sizes):
        raise ctx.error(f"{len(sizes)} pieces but {len(ctx.op.outputs)} outputs")
    pos = 0
    for i, size in enumerate(sizes):
        piece = ctx.emit("Slice", [x], None if squeeze else ctx.out(i),
                         {"starts": [pos], "ends": [pos + size], "axes": [axis], "steps": [1]}, hint=f"piece{i}")
        if squeeze:
            _reshape_to(ctx, piece, list(xs[:axis]) + list(xs[axis + 1:]), out=ctx.out(i))
        pos += size


@handler("SPLIT")
def split(ctx: Context, op) -> None:
    o = ctx.options(tflite.SplitOptions, required=False)
    if o is not None:
        option_domains.count(ctx, "num_splits", o.NumSplits(), len(op.outputs), "the operator's number of outputs")
    x = ctx.input(1)
    xs = ctx.shape(x)
    axis = _ints(ctx, 0, "axis")
    if len(axis) != 1:
        raise ctx.error(f"axis {axis} is not a scalar")
    axis = _axis(ctx, axis[0], len(xs))
    k = len(op.outputs)
    if not isinstance(xs[axis], int) or k < 1 or xs[axis] % k:
        raise ctx.error(f"dim {xs[axis]} of axis {axis} does not split into {k} equal pieces")
    _slices(ctx, x, axis, [xs[axis] // k] * k, False)


@handler("SPLIT_V")
def split_v(ctx: Context, op) -> None:
    o = ctx.options(tflite.SplitVOptions, required=False)
    if o is not None:
        option_domains.count(ctx, "num_splits", o.NumSplits(), len(op.outputs), "the operator's number of outputs")
    x = ctx.input(0)
    xs = ctx.shape(x)
    sizes = _ints(ctx, 1, "size_splits")
    axis = _ints(ctx, 2, "axis")
    if len(axis) != 1:
        raise ctx.error(f"axis {axis} is not a scalar")
    axis = _axis(ctx, axis[0], len(xs))
    dim = xs[axis]
    if not isinstance(dim, int):
        raise ctx.unsupported(f"SPLIT_V of a symbolic dim {dim!r}")
    if sizes.count(-1) == 1:
        sizes[sizes.index(-1)] = dim - sum(s for s in sizes if s != -1)
    if min(sizes, default=0) < 0 or sum(sizes) != dim:
        raise ctx.error(f"size_splits {sizes} do not add up to dim {dim}")
    _slices(ctx, x, axis, sizes, False)


@handler("UNPACK")
def unpack(ctx: Context, op) -> None:
    o = ctx.options(tflite.UnpackOptions, required=False)
    if o is not None:
        option_domains.count(ctx, "num", o.Num(), len(op.outputs), "the operator's number of outputs")
    x = ctx.input(0)
    xs = ctx.shape(x)
    axis = _axis(ctx, int(o.Axis()) if o is not None else 0, len(xs))
    if not isinstance(xs[axis], int):
        raise ctx.unsupported(f"UNPACK of a symbolic dim {xs[axis]!r}")
    _slices(ctx, x, axis, [1] * xs[axis], True)


@handler("PACK")
def pack(ctx: Context, op) -> None:
    o = ctx.options(tflite.PackOptions, required=False)
    if o is not None:
        option_domains.count(ctx, "values_count", o.ValuesCount(), len(op.inputs), "the operator's number of inputs")
    ins = [ctx.input(i) for i in range(len(op.inputs))]
    xs = list(ctx.shape(ins[0]))
    axis = option_domains.axis(ctx, int(o.Axis()) if o is not None else 0, len(xs), extra=1)
    parts = [_reshape_to(ctx, v, xs[:axis] + [1] + xs[axis:], hint=f"unsqueeze{i}") for i, v in enumerate(ins)]
    ctx.emit("Concat", parts, ctx.out(0), {"axis": axis})


@handler("REVERSE_V2")
def reverse_v2(ctx: Context, op) -> None:
    x = ctx.input(0)
    rank = len(ctx.shape(x))
    axes, axes_in = ctx.param_or_input(1, "axis")
    if axes is not None:
        axes = sorted({_axis(ctx, a, rank) for a in axes})
        if not axes:
            ctx.emit("Identity", [x], ctx.out(0))
            return
    n = len(axes) if axes is not None else ctx.shape(axes_in)[0] if len(ctx.shape(axes_in)) == 1 else None
    if not isinstance(n, int):
        raise ctx.error(f"axis must be a 1-D tensor of static length, got shape {list(ctx.shape(axes_in))}")
    # from the last element (-1) down past the first (the IR clamps the end to "before 0")
    bounds = {"starts": [-1] * n, "ends": [-(2 ** 31)] * n, "steps": [-1] * n}
    if axes is not None:
        ctx.emit("Slice", [x], ctx.out(0), {**bounds, "axes": axes})
    else:  # computed at run time: the IR's Slice takes the axes as an input
        ins = {k: ctx.add_const(np.array(v, np.int32), k) for k, v in bounds.items()}
        ctx.emit("Slice", [x, ins["starts"], ins["ends"], axes_in, ins["steps"]], ctx.out(0))
