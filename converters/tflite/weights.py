"""TFLite ops that decode constant weights at conversion: DEQUANTIZE of
constant FP16/int8 weights (widened to float32) and DENSIFY of sparse
constant weights (decoded from the TFLite sparsity parameters into a dense
array). Both produce constants, not IR nodes, so they map to no op family;
DEQUANTIZE of a run-time quantized tensor (an activation) becomes the IR's
Dequantize, which reads the tensor's own parameters.
"""
from __future__ import annotations

import numpy as np
import tflite
from tflite.DimensionType import DimensionType
from tflite.SparseIndexVector import SparseIndexVector

from .context import Context, handler
from .quant import quant_arrays
from .reader import ACCESSOR_ERRORS


@handler("DEQUANTIZE")
def dequantize(ctx: Context, op) -> None:
    if not op.inputs:
        raise ctx.error("DEQUANTIZE needs an input")
    x = ctx.input(0)
    if not ctx.is_const_tensor(op.inputs[0]):
        if ctx.graph.values[x].quant is None:
            raise ctx.unsupported("DEQUANTIZE of a run-time tensor without quantization parameters (FP16 "
                                  "activations) is not supported; constant FP16 weights and quantized "
                                  "int8/uint8/int16 tensors are")
        ctx.emit("Dequantize", [x], ctx.out(0))
        return
    arr = ctx.graph.values[x].const
    if arr.dtype == np.float16:
        ctx.graph.add_value(ctx.out(0), const=arr.astype(np.float32))
        return
    qp = quant_arrays(ctx.model, ctx.tensor(op.inputs[0]), len(ctx.model.data) // 4)
    if arr.dtype not in (np.int8, np.uint8, np.int16) or qp is None:
        raise ctx.unsupported(f"DEQUANTIZE of {arr.dtype.name} without quantization parameters")
    scale, zp, axis = qp
    shape = [1] * arr.ndim
    if scale.size > 1:
        if not 0 <= axis < arr.ndim or arr.shape[axis] != scale.size:
            raise ctx.error(f"per-channel scales ({scale.size}) do not match axis {axis} of {list(arr.shape)}")
        shape[axis] = scale.size
    zp = zp if zp.size == scale.size else np.broadcast_to(zp[:1], scale.shape)
    out = (arr.astype(np.float32) - zp.reshape(shape).astype(np.float32)) * scale.reshape(shape)
    ctx.graph.add_value(ctx.out(0), const=out.astype(np.float32))


# ---- DENSIFY -------------------------------------------------------------------------------
def _index_vector(ctx: Context, kind: int, table, what: str) -> np.ndarray:
    cls = {SparseIndexVector.Int32Vector: tflite.Int32Vector, SparseIndexVector.Uint16Vector: tflite.Uint16Vector,
           SparseIndexVector.Uint8Vector: tflite.Uint8Vector}.get(kind)
    if cls is None or table is None:
        raise ctx.error(f"sparse dimension {what} has index vector type {kind} (supported: Int32, Uint16, Uint8)")
    v = cls()
    v.Init(table.Bytes, table.Pos)
    if v.ValuesIsNone():
        return np.zeros(0, np.int64)
    return np.asarray(v.ValuesAsNumpy(), np.int64).reshape(-1)


def densify_array(ctx: Context, index: int) -> np.ndarray:
    """Decode a sparse constant tensor (TFLite SparsityParameters) to a dense array."""
    t = ctx.tensor(index)
    sp = t.obj.Sparsity()
    values = ctx.raw(index)
    if sp is None or values is None:
        raise ctx.error(f"DENSIFY input tensor {index} ({t.name!r}) is not a constant sparse tensor")
    shape = [int(d) for d in t.shape]
    n = len(shape)
    if n == 0 or min(shape) < 1 or int(np.prod(shape, dtype=np.int64)) > (1 << 28):
        raise ctx.error(f"sparse tensor {t.name!r} has an invalid dense shape {shape}")
    order = [int(v) for v in sp.TraversalOrderAsNumpy()] if not sp.TraversalOrderIsNone() else list(range(n))
    block_map = [int(v) for v in sp.BlockMapAsNumpy()] if not sp.BlockMapIsNone() else []
    k = len(block_map)
    levels = n + k
    if sorted(order) != list(range(levels)) or sp.DimMetadataLength() != levels or \
            any(not 0 <= b < n for b in block_map) or len(set(block_map)) != k:
        raise ctx.error(f"sparse tensor {t.name!r}: inconsistent traversal_order {order}, block_map {block_map} "
                        f"and {sp.DimMetadataLength()} dim_metadata for rank {n}")
    metas = [sp.DimMetadata(i) for i in range(levels)]
    # sizes of the expanded dims: original dims (divided by their block size), then the block dims
    block_size = {}
    for j, b in enumerate(block_map):
        lvl = order.index(n + j)
        bsz = int(metas[lvl].DenseSize())
        if bsz < 1 or shape[b] % bsz:
            raise ctx.error(f"sparse tensor {t.name!r}: block size {bsz} does not divide dim {b} ({shape[b]})")
        block_size[b] = bsz
    expanded = [shape[i] // block_size.get(i, 1) for i in range(n)] + [block_size[b] for b in block_map]
    pos = np.zeros(1, np.int64)  # position in the current level's storage, per path
    coords = np.zeros((1, levels), np.int64)  # expanded coordinates per path
    for lvl, meta in enumerate(metas):
        d = order[lvl]
        if meta.Format() == DimensionType.DENSE:
            size = int(meta.DenseSize())
            if size != expanded[d]:
                raise ctx.error(f"sparse tensor {t.name!r}: dense level {lvl} has size {size}, expected {expanded[d]}")
            pos = (pos[:, None] * size + np.arange(size)).reshape(-1)
            coords = np.repeat(coords, size, axis=0)
            coords[:, d] = np.tile(np.arange(size), len(coords) // size)
        elif meta.Format() == DimensionType.SPARSE_CSR:
            seg = _index_vector(ctx, meta.ArraySegmentsType(), meta.ArraySegments(), f"{lvl} segments")
            idx = _index_vector(ctx, meta.ArrayIndicesType(), meta.ArrayIndices(), f"{lvl} indices")
            if pos.size and (pos.max() + 1 >= seg.size) or (seg.size and (seg.min() < 0 or seg.max() > idx.size
                                                                          or np.any(np.diff(seg) < 0))):
                raise ctx.error(f"sparse tensor {t.name!r}: array_segments of level {lvl} are inconsistent")
            if idx.size and (idx.min() < 0 or idx.max() >= expanded[d]):
                raise ctx.error(f"sparse tensor {t.name!r}: array_indices of level {lvl} out of range "
                                f"[0, {expanded[d]})")
            starts, ends = seg[pos], seg[pos + 1]
            counts = ends - starts
            total = int(counts.sum())
            # every path p expands to positions starts[p] .. ends[p]-1
            offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
            pos = np.arange(total, dtype=np.int64) + offsets
            coords = np.repeat(coords, counts, axis=0)
            coords[:, d] = idx[pos]
        else:
            raise ctx.error(f"sparse tensor {t.name!r}: unknown dimension format {meta.Format()}")
    needed = int(pos.max()) + 1 if pos.size else 0
    if values.size != needed:  # more is as wrong as fewer: the buffer is not what the sparsity describes
        raise ctx.error(f"sparse tensor {t.name!r}: {values.size} stored values, the sparsity describes {needed}")
    dense_idx = [coords[:, i] * block_size.get(i, 1) for i in range(n)]
    for j, b in enumerate(block_map):
        dense_idx[b] = dense_idx[b] + coords[:, n + j]
    out = np.zeros(shape, values.dtype.newbyteorder("="))
    out[tuple(dense_idx)] = values[pos]
    return out


@handler("DENSIFY")
def densify(ctx: Context, op) -> None:
    if not op.inputs or op.inputs[0] < 0:
        raise ctx.error("DENSIFY has no input")
    try:
        arr = densify_array(ctx, op.inputs[0])
    except ACCESSOR_ERRORS as e:
        raise ctx.error(f"corrupted sparsity parameters: {type(e).__name__}: {e}") from None
    ctx.graph.add_value(ctx.out(0), const=arr)


# ---- dynamic-range (hybrid) weights ---------------------------------------------------------
def float_weights(ctx: Context, x: str, w: str) -> str:
    """The weights a float op should read: ``w`` itself, or for a dynamic-range model (float
    activations, constant int8 weights with scales) the weights dequantized once here,
    (w - zero_point) * scale per channel, as DEQUANTIZE does. LiteRT's hybrid kernels instead
    quantize the activations to int8 at every run; computing in float32 on the exact weights is
    the faster path here (no int8 hybrid kernels) and differs from LiteRT by at most its own
    rounding of the activations (tests/converters/tflite/test_int8_conv.py bounds it)."""
    vx, vw = ctx.graph.values[x], ctx.graph.values[w]
    if vx.dtype != "float32" or vw.quant is None or vw.const is None or vw.dtype not in ("int8", "uint8"):
        return w
    q, arr = vw.quant, vw.const
    shape = [1] * arr.ndim
    if not q.per_tensor:
        shape[q.axis] = q.scale.size
    out = (arr.astype(np.float32) - q.zero_point.reshape(shape).astype(np.float32)) * q.scale.reshape(shape)
    return ctx.add_const(out.astype(np.float32), "dequantized")
