"""Registry references and shape inference of the issue-3 tensor/index and
reduce ops (Shape/Size/ConstantOfShape/Range/Expand/Tile, GatherElements,
GatherND, ScatterElements, ScatterND, OneHot, TopK, Trilu, CumSum, CumProd, ArgMax/Min,
ReduceMin/Prod/L1/L2/SumSquare/LogSumExp), BitCast and TensorScatter against onnx's reference evaluator,
and infer's fresh symbolic dims for sizes known only at run time."""
from __future__ import annotations

import numpy as np
import pytest

from pocketml import dtypes, ir, ops

from .test_registry_reference import close, nchw, nhwc, onnx_ref, ours, rand

I64 = np.int64


def test_size_and_shape():
    x = rand(2, 3, 5)
    close(ours("Size", [x])[0], onnx_ref("Size", [x])[0])
    close(ours("Shape", [x], {"start": 1, "end": -1})[0], onnx_ref("Shape", [x], {"start": 1, "end": -1})[0])


@pytest.mark.parametrize("start,limit,delta,dtype", [(0, 7, 1, I64), (10, 1, -3, np.int32), (0.5, 3.2, 0.7, np.float32),
                                                     (5, 5, 1, I64), (1, -4, 2, np.int32)])
def test_range(start, limit, delta, dtype):
    ins = [np.array(v, dtype) for v in (start, limit, delta)]
    close(ours("Range", ins)[0], onnx_ref("Range", ins)[0])


@pytest.mark.parametrize("xshape,shape", [((3, 1), [2, 1, 6]), ((1,), [4]), ((2, 3), [1, 1]), ((4, 1, 2), [3, 1])])
def test_expand(xshape, shape):
    x = rand(*xshape)
    close(ours("Expand", [x], {"shape": shape})[0], onnx_ref("Expand", [x, np.array(shape, I64)])[0])
    # the run-time form: shape as a (constant here) input
    close(ours("Expand", [x, np.array(shape, I64)])[0], onnx_ref("Expand", [x, np.array(shape, I64)])[0])


def test_tile():
    x = rand(2, 3, dtype=I64)
    close(ours("Tile", [x], {"repeats": [3, 2]})[0], onnx_ref("Tile", [x, np.array([3, 2], I64)])[0])
    close(ours("Tile", [x, np.array([1, 0], I64)])[0], onnx_ref("Tile", [x, np.array([1, 0], I64)])[0])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_gather_elements(axis):
    x = rand(3, 4)
    idx = RNG_IDX.integers(-3, 3, size=(2, 4)).astype(I64) if axis == 0 else \
        RNG_IDX.integers(-4, 4, size=(3, 5)).astype(I64)
    # onnx's evaluator mishandles a negative axis: onnxruntime is the oracle here
    close(ours("GatherElements", [x, idx], {"axis": axis})[0],
          onnx_ref("GatherElements", [x, idx], {"axis": axis}, engine="ort")[0])


RNG_IDX = np.random.default_rng(1)


@pytest.mark.parametrize("b", [0, 1])
def test_gather_nd(b):
    x = rand(2, 3, 4)
    idx = np.array([[[1, -1]], [[0, 2]]], I64) if b else np.array([[1, 2], [-1, 0]], I64)
    close(ours("GatherND", [x, idx], {"batch_dims": b})[0], onnx_ref("GatherND", [x, idx], {"batch_dims": b})[0])


@pytest.mark.parametrize("red", range(5))
def test_scatter_elements(red):
    x = rand(3, 4)
    idx = np.array([[0, 2, -1, 1], [2, 2, 0, 0]], I64)
    upd = rand(2, 4)
    name = ["none", "add", "mul", "max", "min"][red]
    attrs = {"axis": 0} if red == 0 else {"axis": 0, "reduction": name}
    if red == 0:
        idx = np.array([[0, 2, -1, 1], [1, 0, 0, 2]], I64)  # no duplicates: order is unspecified in ONNX
    close(ours("ScatterElements", [x, idx, upd], {"axis": 0, "reduction": red})[0],
          onnx_ref("ScatterElements", [x, idx, upd], attrs, opset=18)[0])


@pytest.mark.parametrize("red", range(5))
def test_scatter_nd(red):
    x = rand(4, 3)
    idx = np.array([[1], [3], [1]], I64) if red else np.array([[1], [3], [-4]], I64)
    upd = rand(3, 3)
    name = ["none", "add", "mul", "max", "min"][red]
    attrs = {} if red == 0 else {"reduction": name}
    expect = onnx_ref("ScatterND", [x, idx % 4, upd], attrs, opset=18)[0]
    close(ours("ScatterND", [x, idx, upd], {"reduction": red})[0], expect)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_onehot(axis):
    idx = np.array([[0, 3, -1], [2, 5, -5]], I64)  # 5 and -5 are out of range: all-off rows
    values = np.array([2, 7], np.float32)
    depth = np.array(4, I64)
    close(ours("OneHot", [idx, values], {"depth": 4, "axis": axis})[0],
          onnx_ref("OneHot", [idx, depth, values], {"axis": axis})[0])


@pytest.mark.parametrize("largest,axis", [(1, -1), (0, 0), (1, 1)])
def test_topk(largest, axis):
    x = np.array([[3, 1, 3, 2], [5, 5, 0, 5], [1, 2, 2, 1]], np.float32)
    got = ours("TopK", [x], {"k": 2, "axis": axis, "largest": largest}, n_out=2)
    want = onnx_ref("TopK", [x, np.array([2], I64)], {"axis": axis, "largest": largest}, n_out=2, engine="ort")
    close(got[0], want[0])
    close(got[1], want[1])


@pytest.mark.parametrize("upper,k", [(1, 0), (0, 0), (1, 2), (0, -1), (1, -5)])
def test_trilu(upper, k):
    x = rand(2, 3, 5)
    close(ours("Trilu", [x], {"upper": upper, "k": k})[0],
          onnx_ref("Trilu", [x, np.array(k, I64)], {"upper": upper})[0])


@pytest.mark.parametrize("axis,exclusive,reverse", [(0, 0, 0), (1, 1, 0), (-1, 0, 1), (0, 1, 1)])
def test_cumsum(axis, exclusive, reverse):
    x = rand(3, 4)
    close(ours("CumSum", [x], {"axis": axis, "exclusive": exclusive, "reverse": reverse})[0],
          onnx_ref("CumSum", [x, np.array(axis, I64)], {"exclusive": exclusive, "reverse": reverse})[0])


@pytest.mark.parametrize("axis,exclusive,reverse", [(0, 0, 0), (1, 1, 0), (-1, 0, 1), (0, 1, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_cumprod(axis, exclusive, reverse, dtype):
    x = rand(3, 4, dtype=dtype, low=0.5, high=1.5)
    close(ours("CumProd", [x], {"axis": axis, "exclusive": exclusive, "reverse": reverse})[0],
          onnx_ref("CumProd", [x, np.array(axis, I64)], {"exclusive": exclusive, "reverse": reverse}, opset=26)[0])


@pytest.mark.parametrize("op", ["ArgMax", "ArgMin"])
@pytest.mark.parametrize("axis,keepdims,last", [(0, 1, 0), (1, 0, 1), (-1, 1, 1)])
def test_arg(op, axis, keepdims, last):
    x = np.array([[1, 3, 3], [3, 0, 0], [2, 3, 0]], np.float32)
    attrs = {"axis": axis, "keepdims": keepdims, "select_last_index": last}
    close(ours(op, [x], attrs)[0], onnx_ref(op, [x], attrs)[0])


@pytest.mark.parametrize("op", ["ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare",
                                "ReduceLogSumExp"])
@pytest.mark.parametrize("axes,keepdims", [([1], 1), ([0, 2], 0), ([], 1)])
def test_reduce_more(op, axes, keepdims):
    x = rand(2, 3, 4)
    expect = onnx_ref(op, [x] + ([np.array(axes, I64)] if axes else []), {"keepdims": keepdims}, opset=18)[0]
    close(ours(op, [x], {"axes": axes, "keepdims": keepdims})[0], expect, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op,identity", [("ReduceMin", np.inf), ("ReduceProd", 1.0), ("ReduceL2", 0.0),
                                         ("ReduceLogSumExp", -np.inf)])
def test_reduce_empty_gives_identity(op, identity):
    x = np.zeros((2, 0, 3), np.float32)
    y = ours(op, [x], {"axes": [1], "keepdims": 0})[0]
    assert y.shape == (2, 3) and np.all(y == identity)


def test_index_errors_name_the_bound():
    with pytest.raises(IndexError, match=r"GatherElements: index 3 is out of range \[-3, 3\)"):
        ours("GatherElements", [rand(3, 2), np.array([[3, 0]], I64)])
    with pytest.raises(IndexError, match="ScatterND"):
        ours("ScatterND", [rand(3), np.array([[4]], I64), rand(1)])


# ---- run-time values: fresh symbolic dims -----------------------------------------------------
def _infer(op, values, attrs=None, n_out=1):
    node = ir.Node(op, [v.name if v is not None else "" for v in values], [f"o{k}" for k in range(n_out)],
                   dict(attrs or {}), name="n")
    return ops.get(op).infer(node, values)


def test_infer_runtime_values_give_fresh_dims():
    x = ir.Value("x", "float32", ("B", 6))
    shape = ir.Value("s", "int64", (3,))  # computed at run time
    assert _infer("Reshape", [x, shape]) == [("float32", ("n:d0", "n:d1", "n:d2"))]
    assert _infer("Expand", [x, shape])[0][1] == ("n:d0", "n:d1", "n:d2")
    assert _infer("ConstantOfShape", [shape], {"dtype": 6})[0] == ("int64", ("n:d0", "n:d1", "n:d2"))
    scalar = ir.Value("k", "int64", ())
    assert _infer("Range", [scalar, scalar, scalar])[0] == ("int64", ("n:n0",))
    values, idx = _infer("TopK", [x, ir.Value("k", "int64", (1,))], {"axis": 1}, n_out=2)
    assert values == ("float32", ("B", "n:k0")) and idx == ("int64", ("B", "n:k0"))
    starts = ir.Value("st", "int64", (1,))
    ends = ir.Value("en", "int64", (1,), np.array([4], I64))
    axes = ir.Value("ax", "int64", (1,), np.array([1], I64))
    assert _infer("Slice", [x, starts, ends, axes]) == [("float32", ("B", "n:d1"))]
    split = ir.Value("sp", "int64", (2,))
    assert _infer("Split", [x, split], {"axis": 1}, n_out=2) == [("float32", ("B", "n:split0")),
                                                                   ("float32", ("B", "n:split1"))]


def test_reshape_without_shape_fails_clearly():
    with pytest.raises(ValueError, match="needs the target shape"):
        _infer("Reshape", [ir.Value("x", "float32", (2, 3))])


# ---- DepthToSpace / SpaceToDepth: NHWC inside, ONNX's NCHW in the oracle ------------------------
@pytest.mark.parametrize("mode", ["DCR", "CRD"])
@pytest.mark.parametrize("shape,bs", [((2, 12, 3, 5), 2), ((1, 9, 2, 1), 3), ((1, 5, 3, 4), 1), ((2, 4, 1, 1), 2)])
def test_depth_to_space(mode, shape, bs):
    x = rand(*shape)
    got = ours("DepthToSpace", [nhwc(x)], {"blocksize": bs, "mode": {"DCR": 0, "CRD": 1}[mode]})[0]
    close(nchw(got), onnx_ref("DepthToSpace", [x], {"blocksize": bs, "mode": mode}, opset=13)[0])


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
@pytest.mark.parametrize("shape,bs", [((2, 3, 4, 6), 2), ((1, 1, 9, 3), 3), ((1, 5, 3, 4), 1)])
def test_space_to_depth(mode, shape, bs):
    x = rand(*shape)
    got = ours("SpaceToDepth", [nhwc(x)], {"blocksize": bs, "mode": {"DCR": 0, "CRD": 1}[mode]})[0]
    close(nchw(got), onnx_ref("SpaceToDepth", [x], {"blocksize": bs, "mode": mode}, opset=28)[0])


def test_space_depth_infer_symbolic_and_errors():
    x = ir.Value("x", "float32", ("B", "H", 5, 12))
    assert _infer("DepthToSpace", [x], {"blocksize": 2}) == [("float32", ("B", "H*2", 10, 3))]
    assert _infer("SpaceToDepth", [ir.Value("x", "int8", ("B", 4, "W", 3))], {"blocksize": 2}) == \
        [("int8", ("B", 2, "n:d2", 12))]
    with pytest.raises(ValueError, match="not a multiple of blocksize"):
        _infer("SpaceToDepth", [x], {"blocksize": 2})
    with pytest.raises(ValueError, match=r"blocksize\^2 = 9"):
        _infer("DepthToSpace", [x], {"blocksize": 3})
    with pytest.raises(ValueError, match="mode 0 \\(DCR\\) or 1"):
        _infer("DepthToSpace", [x], {"blocksize": 2, "mode": 2})


@pytest.mark.parametrize("shape,k", [((3, 5), 0), ((5, 3), 2), ((4, 4), -3), ((2, 3), 7), ((1, 1), 0)])
def test_eye_like(shape, k):
    x = rand(*shape)
    got = ours("EyeLike", [x], {"k": k, "dtype": ir.dtype_code("int32")})[0]
    close(got, onnx_ref("EyeLike", [x], {"k": k, "dtype": 6}, opset=22)[0])
    with pytest.raises(ValueError, match="needs a 2-D x"):
        _infer("EyeLike", [ir.Value("x", "float32", (2, 3, 4))], {"dtype": 1})


@pytest.mark.parametrize("batch_axis,time_axis,lens", [(1, 0, [4, 3, 2, 1]), (0, 1, [1, 2, 3, 4]), (1, 0, [0, 4, 1, 2])])
def test_reverse_sequence(batch_axis, time_axis, lens):
    x = rand(4, 4, 3)
    seq = np.array(lens, I64)
    attrs = {"batch_axis": batch_axis, "time_axis": time_axis}
    close(ours("ReverseSequence", [x, seq], attrs)[0], onnx_ref("ReverseSequence", [x, seq], attrs, engine="ort")[0])
@pytest.mark.parametrize("src,dst", [(np.float32, np.int32), (np.int16, np.float16), (np.bool_, np.uint8),
                                     (np.int64, np.uint64)])
def test_bitcast(src, dst):
    x = np.random.default_rng(1).integers(0, 2 if src == np.bool_ else 200, (2, 3)).astype(src)
    d = dtypes.BY_NAME[np.dtype(dst).name]
    close(ours("BitCast", [x], {"to": d.code})[0], onnx_ref("BitCast", [x], {"to": d.onnx}, opset=26)[0])
    node = ir.Node("BitCast", ["x"], ["y"], {"to": 7}, name="bc")
    with pytest.raises(ValueError, match="element size"):
        ops.get("BitCast").infer(node, [ir.Value("x", "float32", ("n", 3))])


@pytest.mark.parametrize("shape,seq,axis,circular,wi", [((2, 1, 4, 5), 2, -2, 0, [0, 2]), ((2, 1, 4, 5), 3, -2, 1, [3, 9]),
                                                        ((3, 4, 5), 4, 1, 0, None), ((2, 3, 6), 4, 2, 1, [5, 1])])
def test_tensor_scatter(shape, seq, axis, circular, wi):
    ax = axis % len(shape)
    cache, update = rand(*shape), rand(*(shape[:ax] + (seq,) + shape[ax + 1:]))
    ins = [cache, update, None if wi is None else np.array(wi, I64)]
    want = onnx_ref("TensorScatter", ins, {"axis": axis, "mode": "circular" if circular else "linear"}, opset=24)[0]
    close(ours("TensorScatter", ins, {"axis": axis, "circular": circular})[0], want)
    node = ir.Node("TensorScatter", ["c", "u"], ["y"], {"axis": 0}, name="ts")
    with pytest.raises(ValueError, match="axis must not be 0"):
        ops.get("TensorScatter").infer(node, [ir.Value("c", "float32", shape), ir.Value("u", "float32", shape)])
