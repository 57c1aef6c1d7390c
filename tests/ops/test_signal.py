"""The signal family's registry entries: the numpy references of DFT, STFT, the windows and
MelWeightMatrix against onnx's reference evaluator (ONNX's own definition), infer agreeing with
the reference's shapes, symbolic dims for parameters known only at run time, and the errors
infer raises for bad nodes."""
from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

from pocketml import dtypes, ir, ops
from pocketml.reference import run_node

RNG = np.random.default_rng(3)


def onnx_ref(op_type, inputs, attrs=None, opset=20):
    names = [f"i{k}" if a is not None else "" for k, a in enumerate(inputs)]
    node = helper.make_node(op_type, names, ["o"], **(attrs or {}))
    graph = helper.make_graph([node], "t", [
        helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
        for n, a in zip(names, inputs) if n], [helper.make_empty_tensor_value_info("o")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=9)
    return ReferenceEvaluator(model).run(None, {n: a for n, a in zip(names, inputs) if n})[0]


def ours(op, inputs, attrs=None):
    """The registry reference, checking that infer (all inputs constant) agrees with its output."""
    names = [f"i{k}" if a is not None else "" for k, a in enumerate(inputs)]
    node = ir.Node(op, names, ["o"], dict(attrs or {}), name="test_node")
    values = [ir.Value(n, ir.dtype_name(a.dtype), a.shape, np.asarray(a)) if a is not None else None
              for n, a in zip(names, inputs)]
    (dtype, shape), = ops.get(op).infer(node, values)
    out, = run_node(node, inputs)
    assert (dtype, tuple(shape)) == (ir.dtype_name(out.dtype), out.shape)
    return out


def infer(op, specs, attrs=None):
    """infer on (dtype, shape, const or None) specs."""
    node = ir.Node(op, [f"i{k}" for k in range(len(specs))], ["o"], dict(attrs or {}), name="bad")
    values = [None if s is None else ir.Value(f"i{k}", s[0], s[1], s[2]) for k, s in enumerate(specs)]
    return ops.get(op).infer(node, values)[0]


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 31, 100])
@pytest.mark.parametrize("c, inverse, onesided", [(1, 0, 0), (1, 0, 1), (2, 0, 0), (2, 1, 0), (2, 1, 1)])
@pytest.mark.parametrize("length", [None, 6])
def test_dft_reference(n, c, inverse, onesided, length):
    x = RNG.standard_normal((2, n, 3, c)).astype(np.float32)
    if inverse and onesided and length is None and n == 1:
        length = 1  # 2*(n-1) = 0 bins
    ins = [x, None if length is None else np.array(length, np.int64), np.array(1, np.int64)]
    attrs = {"inverse": inverse, "onesided": onesided}
    np.testing.assert_allclose(ours("DFT", ins, attrs), onnx_ref("DFT", ins, attrs), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("frame_length, window, onesided", [(16, True, 1), (7, False, 0), (None, True, 0)])
def test_stft_reference(frame_length, window, onesided):
    x = RNG.standard_normal((2, 64, 1)).astype(np.float32)
    ins = [x, np.array(5, np.int64), np.hanning(16).astype(np.float32) if window else None,
           None if frame_length is None else np.array(frame_length, np.int64)]
    if window and frame_length not in (None, 16):
        ins[2] = np.hanning(frame_length).astype(np.float32)
    attrs = {"onesided": onesided}
    np.testing.assert_allclose(ours("STFT", ins, attrs), onnx_ref("STFT", ins, attrs, opset=17), rtol=1e-5,
                               atol=1e-5)


@pytest.mark.parametrize("op", ["HannWindow", "HammingWindow", "BlackmanWindow"])
@pytest.mark.parametrize("size", [0, 2, 3, 7, 16, 100])
@pytest.mark.parametrize("periodic", [0, 1])
@pytest.mark.parametrize("dtype", ["float32", "float16", "int32"])
def test_window_reference(op, size, periodic, dtype):
    got = ours(op, [np.array(size, np.int64)], {"periodic": periodic, "output_datatype": dtypes.BY_NAME[dtype].code})
    want = onnx_ref(op, [np.array(size, np.int64)], {"periodic": periodic,
                                                     "output_datatype": dtypes.BY_NAME[dtype].onnx}, opset=17)
    assert got.dtype == want.dtype
    # onnx's evaluator computes the phase in the output dtype (float16: ~1e-3 off); ours in float64
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=1e-3,
                               atol=5e-3 if dtype == "float16" else 1e-6)


@pytest.mark.parametrize("mels, length, rate, lo, hi", [(8, 16, 8192, 0.0, 4096.0), (40, 512, 16000, 20.0, 8000.0),
                                                        (13, 101, 22050, 30.0, 11025.0)])
def test_mel_reference(mels, length, rate, lo, hi):
    ins = [np.array(mels, np.int64), np.array(length, np.int64), np.array(rate, np.int64),
           np.array(lo, np.float32), np.array(hi, np.float32)]
    np.testing.assert_allclose(ours("MelWeightMatrix", ins), onnx_ref("MelWeightMatrix", ins, opset=17), atol=1e-7)


def test_run_time_parameters_give_symbolic_dims():
    f = "float32"
    # DFT: a run-time axis leaves every dim but re/im unknown; a run-time length only the axis
    assert infer("DFT", [(f, (2, 8, 1), None), None, ("int64", (), None)]) == (f, ("bad:d0", "bad:d1", 2))
    assert infer("DFT", [(f, (2, 8, 1), None), ("int64", (), None)], {"axis": 1}) == (f, (2, "bad:n1", 2))
    assert infer("DFT", [(f, ("b", 8, 1), None)], {"axis": 1, "onesided": 1}) == (f, ("b", 5, 2))
    assert infer("DFT", [(f, (2, "n", 2), None)], {"axis": 1, "onesided": 1, "inverse": 1}) == (f, (2, "2*(n-1)", 1))
    assert infer("STFT", [(f, (1, 100, 1), None), ("int64", (), None)], {}) == (f, (1, "bad:frames1", 51, 2))
    assert infer("HannWindow", [("int64", (), None)]) == ("float32", ("bad:size0",))
    out = infer("MelWeightMatrix", [("int32", (), np.array(8, np.int32)), ("int32", (), None),
                                    ("int32", (), None), (f, (), None), (f, (), None)], {"output_datatype": 2})
    assert out == ("float16", ("bad:bins0", 8))


@pytest.mark.parametrize("op, specs, attrs, match", [
    ("DFT", [("float32", (2, 8, 2), None)], {"axis": 2}, r"node 'bad' \(DFT\): axis 2 must be in \[-3, -2\] or \[0, 1\]"),
    ("DFT", [("float32", (8,), None)], {}, r"must be \[\.\.\., n, 1\] \(real\) or \[\.\.\., n, 2\]"),
    ("DFT", [("float32", (2, 8, 1), None), ("int64", (), np.array(0, np.int64))], {}, "dft_length 0 must be >= 1"),
    ("DFT", [("float32", (2, 8, 1), None), ("int64", (2,), np.array([3, 4]))], {}, "'dft_length' must be a scalar"),
    ("DFT", [("int32", (2, 8, 1), None)], {}, "input 'x' has dtype int32; supported: float32, float16"),
    ("STFT", [("float32", (8, 1), None), ("int64", (), np.array(2))], {}, r"signal must be \[batch, length, 1 or 2\]"),
    ("STFT", [("float32", (1, 8, 1), None), ("int64", (), np.array(2)), ("float32", (4,), None),
              ("int64", (), np.array(5))], {}, "window has 4 values but frame_length is 5"),
    ("HannWindow", [("int64", (), np.array(-1))], {}, "size -1 must be >= 0"),
    ("HannWindow", [("int64", (), np.array(4))], {"output_datatype": 7}, "output_datatype 7 is not a supported"),
    ("MelWeightMatrix", [("int64", (), np.array(0))] + [("int64", (), np.array(8))] * 2 + [("float32", (), None)] * 2,
     {}, "num_mel_bins 0 must be >= 1"),
])
def test_bad_nodes(op, specs, attrs, match):
    with pytest.raises(ValueError, match=match):
        infer(op, specs, attrs)


def test_types_follow_onnx():
    assert ops.get("DFT").types["T"] == ("float32", "float16")
    assert set(ops.get("HannWindow").types["T"]) == set(dtypes.NUMERIC)
    assert TensorProto.FLOAT == dtypes.BY_NAME["float32"].onnx  # output_datatype's default maps to itself
