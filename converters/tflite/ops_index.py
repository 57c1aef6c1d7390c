"""TFLite indexing ops -> IR index ops: GATHER (axis; with batch_dims a
GatherND with batch_dims, transposed around it when the axis is not the first
after the batch dims), GATHER_ND, EMBEDDING_LOOKUP (Gather on axis 0 of the
table; an int8/uint8 table read into float32 is dequantized by its scale per
row, as LiteRT's hybrid kernel), SCATTER_ND (ScatterND with reduction add into
zeros of the given shape: TFLite sums duplicate indices), ONE_HOT
(Where-guarded negative indices, values [off, on]), RANGE (constant bounds
folded as LiteRT computes them), CUMSUM, SEGMENT_SUM and UNSORTED_SEGMENT_SUM/PROD/MAX/MIN (ScatterND with
reduction add/mul/max/min of the data rows into a fill of max(segment_ids) + 1,
or num_segments, rows; LiteRT takes sorted ids starting at 0 and stepping by 0
or 1, checked when they are constant, and the sum is the same for any ids in
range when they are not; with ids or num_segments computed at run time the row
count is computed too, feeding Expand's shape: the session plans for each value). A parameter that is computed at
run time (the depth, the shape of SCATTER_ND, the CUMSUM axis, RANGE's
bounds) is passed as the IR op's input; a constant one becomes an attribute.
"""
from __future__ import annotations

import numpy as np
import tflite

from pocketml.dtypes import dtype_code

from .context import Context, handler
from .ops_shape import expand_to


@handler("GATHER")
def gather(ctx: Context, op) -> None:
    o = ctx.options(tflite.GatherOptions, required=False)
    axis = int(o.Axis()) if o is not None else 0
    bd = int(o.BatchDims()) if o is not None else 0
    params, idx = ctx.input(0), ctx.input(1)
    if not bd:
        ctx.emit("Gather", [params, idx], ctx.out(0), {"axis": axis})
        return
    _gather_batched(ctx, params, idx, axis, bd)


def _gather_batched(ctx: Context, params: str, idx: str, axis: int, bd: int) -> None:
    """GATHER with batch_dims: GatherND of the indices as one-coordinate tuples, batch_dims kept.
    GatherND gathers on the axis right after the batch dims, so a later axis is first moved
    there and the gathered dims moved back behind the dims it passed."""
    ps, rank_i = ctx.shape(params), len(ctx.shape(idx))
    bd = bd + rank_i if bd < 0 else bd
    axis = axis + len(ps) if axis < 0 else axis
    if not 0 < bd <= rank_i or not bd <= axis < len(ps) or ctx.shape(idx)[:bd] != ps[:bd]:
        raise ctx.error(f"batch_dims {bd} / axis {axis} do not fit params {list(ps)} and indices "
                        f"{list(ctx.shape(idx))} (batch dims must lead both and come before the axis)")
    moved = axis - bd  # params dims between the batch dims and the axis
    if moved:
        params = ctx.transpose(params, list(range(bd)) + [axis] + list(range(bd, axis)) +
                               list(range(axis + 1, len(ps))), hint="axis_first")
    if not all(isinstance(d, int) for d in ctx.shape(idx)):
        raise ctx.unsupported(f"GATHER with batch_dims of indices with a symbolic shape {list(ctx.shape(idx))}")
    coords = ctx.reshape(idx, list(ctx.shape(idx)) + [1], hint="coords")
    y = ctx.emit("GatherND", [params, coords], None if moved else ctx.out(0), {"batch_dims": bd}, hint="gather")
    if moved:  # y: batch, gathered (rank_i - bd), passed (moved), rest -> batch, passed, gathered, rest
        g = rank_i - bd
        ctx.transpose(y, list(range(bd)) + list(range(bd + g, bd + g + moved)) + list(range(bd, bd + g)) +
                      list(range(bd + g + moved, len(ctx.shape(y)))), out=ctx.out(0))


@handler("GATHER_ND")
def gather_nd(ctx: Context, op) -> None:
    ctx.emit("GatherND", [ctx.input(0), ctx.input(1)], ctx.out(0), {"batch_dims": 0})


def _scales(ctx: Context, index: int) -> np.ndarray:
    """The tensor's quantization scales; a non-zero zero point is refused (LiteRT refuses it too)."""
    q = ctx.tensor(index).obj.Quantization()
    if q is None:
        return np.zeros(0, np.float32)
    if any(q.ZeroPoint(k) for k in range(q.ZeroPointLength())):
        raise ctx.unsupported(f"tensor {index} ({ctx.tensor(index).name!r}) has a non-zero zero point")
    return np.array([q.Scale(k) for k in range(q.ScaleLength())], np.float32)


@handler("EMBEDDING_LOOKUP")
def embedding_lookup(ctx: Context, op) -> None:
    ids, table = ctx.input(0), ctx.input(1)
    if len(ctx.shape(ids)) != 1 or len(ctx.shape(table)) < 2:
        raise ctx.error(f"ids must be 1-D and the table at least 2-D, got {list(ctx.shape(ids))} and "
                        f"{list(ctx.shape(table))}")
    t_in, t_out = ctx.np_type(op.inputs[1]), ctx.np_type(op.outputs[0])
    if t_in == t_out:  # rows copied as they are (quantized ones keep their quantization)
        ctx.emit("Gather", [table, ids], ctx.out(0), {"axis": 0})
        return
    scales = _scales(ctx, op.inputs[1])
    rows = ctx.shape(table)[0]
    if t_in.name not in ("int8", "uint8") or t_out.name != "float32" or scales.size not in (1, rows):
        raise ctx.unsupported(f"EMBEDDING_LOOKUP of a {t_in.name} table ({scales.size} scales) into a {t_out.name} "
                              "output; supported: the table's dtype, or an int8/uint8 table with one scale or one "
                              "per row into float32")
    # LiteRT's hybrid lookup: the stored bytes read as int8 (uint8 too), times the row's scale; the
    # scaling is explicit here, so the rows are read as plain integers
    table = ctx.plain(table, "table_stored")
    if t_in.name == "uint8":
        if not ctx.is_const_tensor(op.inputs[1]):
            raise ctx.unsupported("hybrid EMBEDDING_LOOKUP of a uint8 table computed at run time")
        table = ctx.add_const(ctx.graph.values[table].const.view(np.int8), "table_int8")
    y = ctx.emit("Cast", [ctx.emit("Gather", [table, ids], attrs={"axis": 0}, hint="rows")], attrs={"to": 1},
                 hint="rows_f32")
    scale = ctx.add_const(scales.reshape(()) if scales.size == 1 else scales, "scale")
    if scales.size > 1:
        per_row = ctx.emit("Gather", [scale, ids], attrs={"axis": 0}, hint="row_scales")
        scale = ctx.reshape(per_row, [-1] + [1] * (len(ctx.shape(table)) - 1), hint="row_scales")
    ctx.emit("Mul", [y, scale], ctx.out(0))


def _scalar_or_input(ctx: Context, i: int, what: str):
    """A scalar parameter input as (int, None) when constant, else (None, IR value name)."""
    values, name = ctx.param_or_input(i, what)
    if values is not None and len(values) != 1:
        raise ctx.error(f"{what} {values} is not a scalar")
    return (values[0] if values is not None else None), name


@handler("SCATTER_ND")
def scatter_nd(ctx: Context, op) -> None:
    idx, upd = ctx.input(0), ctx.input(1)
    zero = ctx.add_const(np.zeros((), ctx.np_type(op.inputs[1])), "zero")
    data = expand_to(ctx, zero, ctx.input(2), hint="zeros")
    ctx.emit("ScatterND", [data, idx, upd], ctx.out(0), {"reduction": 1})


@handler("ONE_HOT")
def one_hot(ctx: Context, op) -> None:
    o = ctx.options(tflite.OneHotOptions, required=False)
    axis = int(o.Axis()) if o is not None else 0  # the schema's default, as LiteRT reads a missing table
    idx = ctx.input(0)
    depth, depth_in = _scalar_or_input(ctx, 1, "depth")
    on, off = ctx.input(2), ctx.input(3)
    t = ctx.np_type(op.inputs[0])
    if t.kind == "i" and not ctx.graph.values[idx].is_const:
        # TFLite: a negative index matches no position (an all-off row); the IR's OneHot wraps it
        # like ONNX, so it is moved past any depth first
        neg = ctx.emit("Less", [idx, ctx.add_const(np.zeros((), t), "zero")], hint="negative")
        idx = ctx.emit("Where", [neg, ctx.add_const(np.array(np.iinfo(t).max, t), "past_end"), idx], hint="indices")
    elif t.kind == "i":
        const = ctx.graph.values[idx].const
        idx = ctx.add_const(np.where(const < 0, np.iinfo(t).max, const).astype(t), "indices")
    values = ctx.emit("Concat", [ctx.reshape(off, [1], hint="off"), ctx.reshape(on, [1], hint="on")], None,
                      {"axis": 0}, hint="values")
    if depth is not None:
        ctx.emit("OneHot", [idx, values], ctx.out(0), {"depth": depth, "axis": axis})
    else:
        ctx.emit("OneHot", [idx, values, depth_in], ctx.out(0), {"axis": axis})


_MAX_FOLDED_RANGE = 1 << 26  # a hostile file's RANGE(0, 2**31, 1) must not allocate gigabytes


def _litert_range(start, limit, delta) -> np.ndarray:
    """RANGE as LiteRT computes it: the length in the inputs' own dtype (for float32,
    ceil(|(limit - start) / delta|) rounded in float32, which can be one shorter than the
    float64 length of the IR's Range) and the values accumulated (value += delta)."""
    if delta == 0 or (start < limit and delta < 0) or (start > limit and delta > 0):
        raise ValueError(f"delta {delta} cannot step from {start} to {limit}")
    if start.dtype.kind == "f":
        with np.errstate(all="ignore"):
            length = np.ceil(np.abs((limit - start) / delta))
        if not np.isfinite(length):
            raise ValueError(f"RANGE from {start} to {limit} by {delta} has no finite length")
        n = int(length)
    else:
        n = int((abs(int(limit) - int(start)) + abs(int(delta)) - 1) // abs(int(delta)))
    if n > _MAX_FOLDED_RANGE:
        raise ValueError(f"RANGE of {n} elements is too long to fold into a constant (at most {_MAX_FOLDED_RANGE})")
    steps = np.full(n, delta, start.dtype)
    steps[:1] = start
    return np.add.accumulate(steps, dtype=start.dtype)


@handler("RANGE")
def range_(ctx: Context, op) -> None:
    ins = [ctx.input(i) for i in range(3)]
    consts = [ctx.graph.values[n].const for n in ins]
    if any(c is None for c in consts):  # computed at run time: the IR's Range
        ctx.emit("Range", ins, ctx.out(0))
        return
    if len({c.dtype for c in consts}) != 1 or any(c.size != 1 for c in consts):
        raise ctx.error(f"start, limit and delta must be scalars of one dtype, got "
                        f"{[f'{c.dtype.name}{list(c.shape)}' for c in consts]}")
    try:
        values = _litert_range(*(c.reshape(()) for c in consts))
    except ValueError as e:
        raise ctx.error(str(e)) from None
    ctx.emit("Identity", [ctx.add_const(values, "range")], ctx.out(0))


@handler("CUMSUM")
def cumsum(ctx: Context, op) -> None:
    o = ctx.options(tflite.CumsumOptions, required=False)
    flags = {"exclusive": int(bool(o.Exclusive())) if o is not None else 0,
             "reverse": int(bool(o.Reverse())) if o is not None else 0}
    axis, axis_in = _scalar_or_input(ctx, 1, "axis")
    if axis is not None:
        ctx.emit("CumSum", [ctx.input(0)], ctx.out(0), {"axis": axis, **flags})
    else:
        ctx.emit("CumSum", [ctx.input(0), axis_in], ctx.out(0), flags)


# segment reductions: op -> (ScatterND reduction, fill of an empty segment as LiteRT leaves it)
_SEGMENT = {"SEGMENT_SUM": (1, "zero"), "UNSORTED_SEGMENT_SUM": (1, "zero"), "UNSORTED_SEGMENT_PROD": (2, "one"),
            "UNSORTED_SEGMENT_MAX": (3, "lowest"), "UNSORTED_SEGMENT_MIN": (4, "highest")}


def _fill_value(t: np.dtype, kind: str):
    info = np.finfo(t) if t.kind == "f" else np.iinfo(t)
    return {"zero": 0, "one": 1, "lowest": info.min, "highest": info.max}[kind]


@handler(*_SEGMENT)
def segment_reduce(ctx: Context, op) -> None:
    """Rows of the data reduced into max(ids) + 1 (SEGMENT_SUM) or num_segments rows by a ScatterND
    over a fill of the reduction's empty value; the unsorted ops drop negative ids (LiteRT skips
    them) by sending them to one extra row that is sliced off."""
    data, ids = ctx.input(0), ctx.input(1)
    ds, ts = ctx.shape(data), ctx.shape(ids)
    k = len(ts)
    if k < 1 or list(ds[:k]) != list(ts):
        raise ctx.error(f"segment_ids of shape {list(ts)} must be a non-empty prefix of the data shape {list(ds)}")
    sorted_ids = op.name == "SEGMENT_SUM"
    if sorted_ids and k != 1:
        raise ctx.error(f"segment_ids must be 1-D, got {list(ts)}")
    const_ids = ctx.graph.values[ids].const
    ids_t = ctx.np_type(op.inputs[1])
    if sorted_ids:
        if const_ids is not None:
            v = np.asarray(const_ids).reshape(-1)
            if v.size == 0 or v[0] != 0 or np.any((np.diff(v) != 0) & (np.diff(v) != 1)):
                raise ctx.error(f"segment_ids {v.tolist()} must start at 0 and step by 0 or 1 (as LiteRT checks)")
        top = ctx.emit("ReduceMax", [ids], attrs={"axes": [0], "keepdims": 1}, hint="max_id")
        rows = ctx.emit("Add", [ctx.emit("Cast", [top], attrs={"to": dtype_code("int64")}, hint="max_id64"),
                                ctx.add_const(np.array([1], np.int64), "one")], hint="rows")
    else:
        n, n_in = ctx.param_or_input(2, "num_segments")
        if n is not None:
            if len(n) != 1 or n[0] < 1:
                raise ctx.error(f"num_segments {n} must be one positive count")
            if const_ids is not None and np.asarray(const_ids).max() >= n[0]:
                raise ctx.error(f"segment_ids reach {int(np.asarray(const_ids).max())}, past num_segments {n[0]}")
            rows = ctx.add_const(np.array(n, np.int64), "num_segments")
        else:
            n64 = ctx.emit("Cast", [n_in], attrs={"to": dtype_code("int64")}, hint="num_segments64")
            rows = ctx.emit("Reshape", [n64], attrs={"shape": [1], "allowzero": 0}, hint="num_segments")
        dump = ctx.emit("Cast", [rows], attrs={"to": dtype_code(ids_t.name)}, hint="dump_row")
        negative = ctx.emit("Less", [ids, ctx.add_const(np.zeros((), ids_t), "zero_id")], hint="negative")
        ids = ctx.emit("Where", [negative, dump, ids], hint="ids")
    total = rows if sorted_ids else ctx.emit("Add", [rows, ctx.add_const(np.array([1], np.int64), "one")],
                                             hint="rows_and_dump")
    dims = ctx.emit("Concat", [total, ctx.emit("Shape", [data], attrs={"start": k}, hint="row_shape")],
                    attrs={"axis": 0}, hint="dims")
    t = ctx.np_type(op.inputs[0])
    reduction, fill = _SEGMENT[op.name]
    start = expand_to(ctx, ctx.add_const(np.array(_fill_value(t, fill), t), fill), dims, hint="fill")
    idx = ctx.emit("Reshape", [ids], attrs={"shape": [0] * k + [1], "allowzero": 0}, hint="indices")
    if sorted_ids:
        ctx.emit("ScatterND", [start, idx, data], ctx.out(0), {"reduction": reduction})
        return
    y = ctx.emit("ScatterND", [start, idx, data], attrs={"reduction": reduction}, hint="with_dump")
    ctx.emit("Slice", [y, ctx.add_const(np.array([0], np.int64), "start"), rows,
                       ctx.add_const(np.array([0], np.int64), "axis")], ctx.out(0), hint="drop_dump")
