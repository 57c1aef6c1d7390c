"""ONNX DFT (opsets 17 and 20), STFT, Hann/Hamming/Blackman windows and MelWeightMatrix,
converted and run by the C runtime against onnxruntime (onnx's reference evaluator where
onnxruntime has no kernel): awkward lengths 1, 2, 3, 5, 7, 8, 16, 31, 100, 512 (and Bluestein
lengths), real and complex input, every axis, inverse, onesided, dft_length padding and
truncation, parameters as constants (folded or attributes) and as graph inputs read while
planning, float16, every window/mel output dtype, and the errors a bad node gets."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import pocketml
from pocketml.converters.onnx import import_onnx
from pocketml.errors import PocketMLError

from .helpers import ops_of
from .runtime_check import T as ONNX_TYPE

RNG = np.random.default_rng(17)
LENGTHS = (1, 2, 3, 5, 7, 8, 16, 31, 100, 512)


def _model(op, inputs, attrs=None, opset=17, out_type=TensorProto.FLOAT):
    """inputs: [(name, array, const)]; name "" = an absent optional input; const -> an initializer."""
    node = helper.make_node(op, [n for n, _, _ in inputs], ["y"], name=f"my_{op.lower()}", **(attrs or {}))
    feeds = [helper.make_tensor_value_info(n, ONNX_TYPE[a.dtype], a.shape) for n, a, c in inputs if n and not c]
    inits = [numpy_helper.from_array(a, n) for n, a, c in inputs if n and c]
    graph = helper.make_graph([node], "t", feeds, [helper.make_tensor_value_info("y", out_type, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=9)


def _run(model, inputs, rtol=1e-3, atol_scale=1e-3, oracle="ort"):
    """pocketml (1 and 2 threads) against onnxruntime, or onnx's reference evaluator where onnxruntime
    fails or oracle="onnx"; atol scales with the output's magnitude (onnxruntime's O(n^2) float32 DFT
    drifts by ~1e-4)."""
    feeds = {n: a for n, a, c in inputs if n and not c}
    try:
        if oracle != "ort":
            raise NotImplementedError
        want = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    except Exception:  # noqa: BLE001 -- no onnxruntime kernel for this form
        want = ReferenceEvaluator(model).run(None, feeds)[0]
    converted = pocketml.convert(model)
    for threads in (1, 2):
        got = pocketml.Session(converted, threads=threads).run(feeds)["y"]
        assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, got.shape, want.dtype, want.shape)
        if want.dtype.kind == "f":
            finite = np.abs(want.astype(np.float64)[np.isfinite(want)])
            scale = max(1.0, float(finite.max()) if finite.size else 1.0)
            np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=rtol,
                                       atol=atol_scale * scale)
        else:
            np.testing.assert_array_equal(got, want)
    return converted


def _signal(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


# ---- DFT ------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", LENGTHS + (127, 1009))
@pytest.mark.parametrize("c, inverse, onesided", [(1, 0, 0), (1, 0, 1), (2, 0, 0), (2, 1, 0), (1, 1, 0)])
def test_dft_lengths_opset17(n, c, inverse, onesided):
    x = _signal(2, n, c)
    _run(_model("DFT", [("x", x, False)], {"axis": 1, "inverse": inverse, "onesided": onesided}), [("x", x, False)])


@pytest.mark.parametrize("axis", [0, 1, 2, -2, -3, -4])
@pytest.mark.parametrize("c", [1, 2])
def test_dft_axis_input_opset20(axis, c):
    x = _signal(3, 5, 8, c)
    for const in (True, False):
        ins = [("x", x, False), ("", None, False), ("axis", np.array(axis, np.int64), const)]
        _run(_model("DFT", ins, opset=20), ins)


def test_dft_default_axis_opset20_is_minus_two():
    x = _signal(2, 3, 12, 1)
    ins = [("x", x, False)]
    _run(_model("DFT", ins, {"onesided": 1}, opset=20), ins)


@pytest.mark.parametrize("n, length", [(8, 5), (8, 13), (7, 16), (16, 100), (31, 1), (5, 5)])
@pytest.mark.parametrize("const", [True, False])
def test_dft_length_pads_and_truncates(n, length, const):
    x = _signal(2, n, 2)
    ins = [("x", x, False), ("len", np.array(length, np.int64), const)]
    _run(_model("DFT", ins, {"axis": 1}), ins)
    ins = [("x", x[..., :1].copy(), False), ("len", np.array(length, np.int32), const)]
    _run(_model("DFT", ins, {"axis": 1, "onesided": 1}), ins)


@pytest.mark.parametrize("n, length", [(6, None), (5, None), (4, 7), (9, 8), (3, 16), (2, 1), (1, 1)])
def test_dft_inverse_onesided_is_irfft(n, length):
    """numpy's irfft, as ONNX's reference and node cases define it. onnxruntime 1.32 agrees when the
    input has exactly L/2+1 bins; with more (dropped) or fewer (zero) bins it differs from the spec,
    so those cases take onnx's reference evaluator."""
    x = _signal(2, n, 3, 2)
    ins = [("x", x, False)] + ([("len", np.array(length, np.int64), True)] if length else [])
    full = length is None or n == length // 2 + 1
    _run(_model("DFT", ins, {"axis": 1, "inverse": 1, "onesided": 1}), ins, oracle="ort" if full else "onnx")


@pytest.mark.parametrize("n", [1, 7, 16, 100])
def test_dft_float16_computes_in_float32(n):
    x = _signal(2, n, 2, dtype=np.float16)
    ins = [("x", x, False)]
    model = _model("DFT", ins, {"axis": 1}, out_type=TensorProto.FLOAT16)
    got = pocketml.Session(pocketml.convert(model)).run({"x": x})["y"]
    c = x.astype(np.float64)[..., 0] + 1j * x.astype(np.float64)[..., 1]
    want = np.fft.fft(c, axis=1)
    want = np.stack([want.real, want.imag], -1).astype(np.float16)
    assert got.dtype == np.float16
    np.testing.assert_allclose(got.astype(np.float32), want.astype(np.float32), rtol=2e-3, atol=2e-3 * n)


def test_dft_symbolic_batch():
    x = _signal(3, 12, 1)
    model = _model("DFT", [("x", x, False)], {"axis": 1, "onesided": 1})
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    converted = pocketml.convert(model)
    sess = pocketml.Session(converted)
    for b in (1, 3):
        got = sess.run({"x": x[:b]})["y"]
        want = np.fft.rfft(x[:b, :, 0].astype(np.float64), axis=1)
        np.testing.assert_allclose(got, np.stack([want.real, want.imag], -1), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("attrs, x_shape, match", [
    ({"axis": 2}, (2, 8, 2), "axis 2 must be in"),
    ({"axis": -1}, (2, 8, 2), "axis -1 must be in"),
    ({"axis": 1}, (2, 8, 3), r"must be \[\.\.\., n, 1\] \(real\) or \[\.\.\., n, 2\]"),
    ({"axis": 1, "inverse": 1, "onesided": 1}, (2, 1, 2), "needs dft_length"),
    ({"axis": 1, "inverse": 3}, (2, 8, 2), "inverse=3 is outside its domain; allowed: 0 or 1"),
])
def test_dft_bad_nodes_are_rejected(attrs, x_shape, match):
    x = _signal(*x_shape)
    with pytest.raises(PocketMLError, match=match) as e:
        pocketml.convert(_model("DFT", [("x", x, False)], attrs))
    assert "my_dft" in str(e.value)


def test_dft_bad_runtime_axis_is_a_clear_error():
    x = _signal(2, 8, 2)
    ins = [("x", x, False), ("", None, False), ("axis", np.array(1, np.int64), False)]
    sess = pocketml.Session(pocketml.convert(_model("DFT", ins, opset=20)))
    with pytest.raises(PocketMLError, match=r"my_dft.*\(DFT\).*axis 2 must be in"):
        sess.run({"x": x, "axis": np.array(2, np.int64)})


# ---- STFT -----------------------------------------------------------------------------------
@pytest.mark.parametrize("frame_length", LENGTHS)
@pytest.mark.parametrize("onesided", [0, 1])
def test_stft_frame_lengths(frame_length, onesided):
    x = _signal(2, 600, 1)
    step = max(1, frame_length // 3)
    win = np.hanning(frame_length).astype(np.float32)
    ins = [("x", x, False), ("step", np.array(step, np.int64), True), ("w", win, False),
           ("fl", np.array(frame_length, np.int64), True)]
    _run(_model("STFT", ins, {"onesided": onesided}), ins)


@pytest.mark.parametrize("window, frame_length", [(False, True), (True, False), (False, False)])
@pytest.mark.parametrize("const", [True, False])
def test_stft_optional_inputs(window, frame_length, const):
    x = _signal(1, 128, 1)
    ins = [("x", x, False), ("step", np.array(8, np.int64), const),
           ("w", np.hamming(16).astype(np.float32), False) if window else ("", None, False),
           ("fl", np.array(16, np.int64), const) if frame_length else ("", None, False)]
    _run(_model("STFT", ins), ins)


def test_stft_complex_signal_two_sided():
    x = _signal(2, 64, 2)
    ins = [("x", x, False), ("step", np.array(5, np.int64), True), ("", None, False),
           ("fl", np.array(12, np.int64), True)]
    _run(_model("STFT", ins, {"onesided": 0}), ins)


def test_stft_float16():
    x = _signal(1, 64, 1, dtype=np.float16)
    ins = [("x", x, False), ("step", np.array(4, np.int64), True), ("w", np.hanning(16).astype(np.float16), True)]
    model = _model("STFT", ins, out_type=TensorProto.FLOAT16)
    got = pocketml.Session(pocketml.convert(model)).run({"x": x})["y"]
    want = ReferenceEvaluator(model).run(None, {"x": x})[0]
    assert got.dtype == np.float16 and got.shape == want.shape
    np.testing.assert_allclose(got.astype(np.float32), want.astype(np.float32), rtol=1e-2, atol=3e-2)


@pytest.mark.parametrize("step, fl, match", [(0, 8, "frame_step 0 must be >= 1"),
                                             (2, 65, "frame_length 65 is longer than the signal")])
def test_stft_bad_parameters(step, fl, match):
    x = _signal(1, 64, 1)
    ins = [("x", x, False), ("step", np.array(step, np.int64), True), ("", None, False),
           ("fl", np.array(fl, np.int64), True)]
    with pytest.raises(PocketMLError, match=match):
        pocketml.convert(_model("STFT", ins))


# ---- windows ------------------------------------------------------------------------------------
WINDOWS = ("HannWindow", "HammingWindow", "BlackmanWindow")


@pytest.mark.parametrize("op", WINDOWS)
@pytest.mark.parametrize("size", LENGTHS + (0,))
@pytest.mark.parametrize("periodic", [0, 1])
def test_window_sizes_run_time(op, size, periodic):
    ins = [("n", np.array(size, np.int64), False)]
    _run(_model(op, ins, {"periodic": periodic}, opset=17), ins, rtol=1e-5, atol_scale=1e-6)


@pytest.mark.parametrize("op", WINDOWS)
def test_window_constant_size_folds(op):
    ins = [("n", np.array(31, np.int32), True)]
    model = _model(op, ins, {"periodic": 0})
    graph = import_onnx(model)
    assert ops_of(graph) == []  # the window is a constant of the graph
    _run(model, ins, rtol=1e-5, atol_scale=1e-6)


@pytest.mark.parametrize("op", WINDOWS)
@pytest.mark.parametrize("dtype", [TensorProto.FLOAT16, TensorProto.INT8, TensorProto.UINT8, TensorProto.INT16,
                                   TensorProto.UINT16, TensorProto.INT32, TensorProto.UINT32, TensorProto.INT64,
                                   TensorProto.UINT64])
def test_window_output_datatypes(op, dtype):
    for n, periodic in ((3, 0), (10, 0), (16, 1)):  # odd symmetric sizes hit 1.0 at the centre
        ins = [("n", np.array(n, np.int64), False)]
        _run(_model(op, ins, {"output_datatype": dtype, "periodic": periodic}, out_type=dtype), ins, rtol=1e-3,
             atol_scale=1e-3)


def test_window_double_output_is_unsupported():
    ins = [("n", np.array(10, np.int64), False)]
    with pytest.raises(PocketMLError, match=r"my_hannwindow.*output_datatype DOUBLE is not supported"):
        pocketml.convert(_model("HannWindow", ins, {"output_datatype": TensorProto.DOUBLE},
                                out_type=TensorProto.DOUBLE))


def test_window_negative_size_is_rejected():
    ins = [("n", np.array(-3, np.int64), True)]
    with pytest.raises(PocketMLError, match="size -3 must be >= 0"):
        pocketml.convert(_model("HannWindow", ins))


# ---- MelWeightMatrix ----------------------------------------------------------------------------
def _mel_inputs(mels, length, rate, lo, hi, const, ftype=np.float32, itype=np.int64):
    return [("m", np.array(mels, itype), const), ("len", np.array(length, itype), const),
            ("rate", np.array(rate, itype), const), ("lo", np.array(lo, ftype), const),
            ("hi", np.array(hi, ftype), const)]


@pytest.mark.parametrize("mels, length, rate, lo, hi", [
    (8, 16, 8192, 0.0, 4096.0), (40, 512, 16000, 20.0, 8000.0), (13, 100, 22050, 0.0, 11025.0),
    (1, 31, 8000, 100.0, 3000.0), (5, 7, 16000, 300.0, 7000.0), (64, 1024, 44100, 0.0, 22050.0)])
def test_mel_weight_matrix(mels, length, rate, lo, hi):
    for const in (True, False):
        ins = _mel_inputs(mels, length, rate, lo, hi, const)
        _run(_model("MelWeightMatrix", ins), ins, rtol=1e-5, atol_scale=1e-6)


@pytest.mark.parametrize("dtype", [TensorProto.FLOAT16, TensorProto.INT32, TensorProto.UINT8, TensorProto.INT64])
def test_mel_output_datatypes_and_int32_float16_inputs(dtype):
    ins = _mel_inputs(8, 64, 8000, 0.0, 4000.0, False, ftype=np.float16, itype=np.int32)
    _run(_model("MelWeightMatrix", ins, {"output_datatype": dtype}, out_type=dtype), ins, rtol=1e-3,
         atol_scale=1e-3)


def test_mel_bad_sample_rate_is_a_runtime_error():
    ins = _mel_inputs(8, 64, 8000, 0.0, 4000.0, False)
    sess = pocketml.Session(pocketml.convert(_model("MelWeightMatrix", ins)))
    feeds = {n: a for n, a, _ in ins}
    feeds["rate"] = np.array(0, np.int64)
    with pytest.raises(PocketMLError, match=r"MelWeightMatrix.*sample_rate 0 must be > 0"):
        sess.run(feeds)


def _front_end_model(x_shape):
    nodes = [
        helper.make_node("HannWindow", ["fl"], ["win"]),
        helper.make_node("STFT", ["x", "step", "win"], ["spec"]),
        helper.make_node("ReduceSumSquare", ["spec", "last"], ["power"], keepdims=0),
        helper.make_node("MelWeightMatrix", ["mels", "dftlen", "rate", "lo", "hi"], ["mel"]),
        helper.make_node("MatMul", ["power", "mel"], ["melpow"]),
        helper.make_node("Add", ["melpow", "eps"], ["shifted"]),
        helper.make_node("Log", ["shifted"], ["y"]),
    ]
    inits = {"fl": np.array(400, np.int64), "step": np.array(160, np.int64), "last": np.array([-1], np.int64),
             "mels": np.array(40, np.int64), "dftlen": np.array(400, np.int64), "rate": np.array(16000, np.int64),
             "lo": np.array(20.0, np.float32), "hi": np.array(8000.0, np.float32), "eps": np.array(1e-6, np.float32)}
    graph = helper.make_graph(nodes, "frontend", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(v, k) for k, v in inits.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=9)


def test_spectrogram_front_end():
    """A log-mel front end as audio models compute it in the graph: STFT with a Hann window made
    in the graph, power, MelWeightMatrix, log."""
    x = _signal(1, 4000, 1)
    _run(_front_end_model(x.shape), [("x", x, False)], rtol=1e-3, atol_scale=1e-3)


def test_spectrogram_front_end_with_symbolic_length():
    """The same front end exported with the audio length symbolic (as streaming and variable-length
    audio models are): converted once, it matches onnxruntime at several lengths, a length first
    seen after others included, and a length seen before re-uses its plan."""
    model = _front_end_model([1, "samples", 1])
    session = pocketml.Session(pocketml.convert(model))
    assert isinstance(session.inputs[0].shape[1], str)
    oracle = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    lengths = [4000, 16000, 4000, 8000, 6401]
    for n in lengths:
        x = _signal(1, n, 1)
        got, want = session.run({"x": x})["y"], oracle.run(None, {"x": x})[0]
        assert got.shape == want.shape, (n, got.shape, want.shape)
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-3 * float(np.abs(want).max()))
    assert session.plan_count == len(set(lengths))


def test_window_size_from_a_symbolic_shape():
    """The window length computed in the graph from a symbolic dim (Shape -> Gather): a plan-time
    input of the window, so each input length gets its own plan."""
    nodes = [helper.make_node("Shape", ["x"], ["shape"]),
             helper.make_node("Gather", ["shape", "one"], ["n"], axis=0),
             helper.make_node("HannWindow", ["n"], ["w"], periodic=0),
             helper.make_node("Mul", ["x", "w"], ["y"])]
    graph = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, "len"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(np.array(1, np.int64), "one")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    sess = pocketml.Session(pocketml.convert(model))
    ref = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for n in (5, 64, 7):
        x = _signal(2, n)
        np.testing.assert_allclose(sess.run({"x": x})["y"], ref.run(None, {"x": x})[0], rtol=1e-5, atol=1e-6)
