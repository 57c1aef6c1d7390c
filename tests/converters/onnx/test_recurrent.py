"""ONNX LSTM, GRU, RNN through the importer and the C runtime, compared with
onnxruntime: every direction, both layouts, opsets 7/14/22, weights as
initializers (packed once at load) and as graph inputs (packed per run),
optional inputs and outputs left out, sequence_lens, activations with
alpha/beta, clip, linear_before_reset, input_forget; the registry reference
(run_graph) and both kernel paths (scalar reference, optimized at 1 and 2
threads) must all agree with onnxruntime. Scan (unrolled when short and of known length, else a
Loop, at several lengths): state and
scan inputs on any axis, both directions, stacked outputs on any axis, body
initializers and outer-scope reads, against onnxruntime.
"""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from pocketml.converters.onnx import import_onnx

from pocketml import Model, Session
from pocketml.errors import ConversionError, RuntimeFailure, UnsupportedOpError
from pocketml.passes import optimize
from pocketml.reference import run_graph

RNG = np.random.default_rng(11)
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def build(op, seq, batch, isz, hid, attrs=None, opset=14, layout=0, consts=True, lens=None, init=True, peep=True,
          outputs=(0, 1, 2), seq_dim=None):
    """A one-node model and its feeds. Weights are initializers when consts."""
    attrs = dict(attrs or {})
    nd = 2 if attrs.get("direction") == "bidirectional" else 1
    g = GATES[op]
    x_shape = (seq, batch, isz) if layout == 0 else (batch, seq, isz)
    st_shape = (nd, batch, hid) if layout == 0 else (batch, nd, hid)
    arrays = {"X": RNG.standard_normal(x_shape).astype(np.float32),
              "W": (RNG.standard_normal((nd, g * hid, isz)) * 0.5).astype(np.float32),
              "R": (RNG.standard_normal((nd, g * hid, hid)) * 0.5).astype(np.float32),
              "B": (RNG.standard_normal((nd, 2 * g * hid)) * 0.5).astype(np.float32)}
    names = ["X", "W", "R", "B"]
    if lens is not None:
        arrays["sequence_lens"] = np.asarray(lens, np.int32)
    names.append("sequence_lens" if lens is not None else "")
    if init:
        arrays["initial_h"] = RNG.standard_normal(st_shape).astype(np.float32)
    names.append("initial_h" if init else "")
    if op == "LSTM":
        if init:
            arrays["initial_c"] = RNG.standard_normal(st_shape).astype(np.float32)
        names.append("initial_c" if init else "")
        if peep:
            arrays["P"] = (RNG.standard_normal((nd, 3 * hid)) * 0.5).astype(np.float32)
        names.append("P" if peep else "")
    while names and not names[-1]:
        names.pop()
    if layout:
        attrs["layout"] = 1
    all_outs = ["Y", "Y_h", "Y_c"][:3 if op == "LSTM" else 2]
    outs = [o if i in outputs else "" for i, o in enumerate(all_outs)]
    while outs and not outs[-1]:
        outs.pop()
    node = helper.make_node(op, names, outs, name=f"my_{op.lower()}", hidden_size=hid, **attrs)
    const_names = {"W", "R", "B", "P"} if consts else set()
    feeds = {n: a for n, a in arrays.items() if n not in const_names}
    inits = [numpy_helper.from_array(a, n) for n, a in arrays.items() if n in const_names]

    def vi(n, a):
        shape = list(a.shape)
        if seq_dim is not None and n == "X":
            shape[0 if layout == 0 else 1] = seq_dim
        return helper.make_tensor_value_info(n, TensorProto.INT32 if a.dtype == np.int32 else TensorProto.FLOAT, shape)

    graph = helper.make_graph([node], "t", [vi(n, a) for n, a in feeds.items()],
                              [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outs if o], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)
    return model, feeds


def ort_outputs(model, feeds):
    """onnxruntime's outputs. It rejects layout=1, so a batch-major node runs
    as the time-major one on transposed data (an oracle independent of our
    importer's transposes)."""
    node = model.graph.node[0]
    if not any(a.name == "layout" and a.i == 1 for a in node.attribute):
        sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        return sess.run(None, feeds)
    model = onnx.ModelProto.FromString(model.SerializeToString())
    node = model.graph.node[0]
    keep = [a for a in node.attribute if a.name != "layout"]
    node.ClearField("attribute")
    node.attribute.extend(keep)
    batch_major = {"X", "initial_h", "initial_c"}
    for vi in model.graph.input:
        if vi.name in batch_major:
            dims = vi.type.tensor_type.shape.dim
            d0, d1 = onnx.TensorShapeProto.Dimension(), onnx.TensorShapeProto.Dimension()
            d0.CopyFrom(dims[1]), d1.CopyFrom(dims[0])
            dims[0].CopyFrom(d0), dims[1].CopyFrom(d1)
    feeds = {k: np.ascontiguousarray(v.transpose(1, 0, 2)) if k in batch_major else v for k, v in feeds.items()}
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    outs = sess.run(None, feeds)
    return [o.transpose(2, 0, 1, 3) if o.ndim == 4 else o.transpose(1, 0, 2) for o in outs]


def check(model, feeds, rtol=1e-4, atol=1e-5):
    expect = ort_outputs(model, feeds)
    graph = import_onnx(model)
    ref = run_graph(graph, feeds)
    names = [o.name for o in model.graph.output]
    for n, e in zip(names, expect):
        np.testing.assert_allclose(ref[n], e, rtol=rtol, atol=atol, err_msg=f"reference {n}")
    pml = Model(optimize(graph))
    for threads, scalar in ((1, True), (1, False), (2, False)):
        with Session(pml, threads=threads, scalar_only=scalar) as sess:
            got = sess.run(feeds)
            for n, e in zip(names, expect):
                np.testing.assert_allclose(got[n], e, rtol=rtol, atol=atol,
                                           err_msg=f"{n}, threads {threads}, scalar_only {scalar}")
    return graph


CASES = [
    ("LSTM", {}, {}),
    ("LSTM", {"direction": "reverse"}, {"lens": [5, 2, 0]}),
    ("LSTM", {"direction": "bidirectional"}, {"lens": [3, 5, 1], "consts": False}),
    ("LSTM", {"direction": "bidirectional", "clip": 0.8}, {"layout": 1}),
    ("LSTM", {"input_forget": 1}, {"init": False, "peep": False, "opset": 7}),
    ("LSTM", {"activations": ["HardSigmoid", "Softsign", "ScaledTanh"], "activation_alpha": [0.3, 0.7],
              "activation_beta": [0.6, 1.2]}, {"outputs": (1, 2)}),
    ("GRU", {}, {"opset": 22}),
    ("GRU", {"linear_before_reset": 1}, {"lens": [4, 5, 2], "consts": False}),
    ("GRU", {"direction": "bidirectional", "linear_before_reset": 1}, {"layout": 1, "outputs": (1,)}),
    ("GRU", {"direction": "reverse", "clip": 0.5}, {"init": False, "opset": 7}),
    ("GRU", {"activations": ["HardSigmoid", "Elu"], "activation_alpha": [0.3, 0.5], "activation_beta": [0.4]}, {}),
    ("RNN", {}, {}),
    ("RNN", {"direction": "bidirectional", "activations": ["Relu", "Softplus"]}, {"lens": [1, 5, 3]}),
    ("RNN", {"activations": ["LeakyRelu"], "activation_alpha": [0.3]}, {"layout": 1, "consts": False}),
    ("RNN", {"activations": ["ThresholdedRelu"], "activation_alpha": [0.2]}, {"outputs": (0,)}),
]


@pytest.mark.parametrize("op,attrs,kw", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_matches_onnxruntime(op, attrs, kw):
    model, feeds = build(op, 5, 3, 4, 7, attrs, **kw)
    check(model, feeds)


@pytest.mark.parametrize("op", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("hid,batch,seq", [(1, 1, 1), (8, 3, 5), (9, 1, 5), (13, 3, 1), (64, 2, 6)])
def test_sizes(op, hid, batch, seq):
    model, feeds = build(op, seq, batch, 5, hid, {"direction": "bidirectional"})
    check(model, feeds)


def test_unused_outputs_are_not_graph_outputs():
    model, feeds = build("LSTM", 3, 2, 3, 4, outputs=(1,))
    graph = check(model, feeds)
    assert graph.outputs == ["Y_h"]


@pytest.mark.parametrize("op", ["LSTM", "GRU", "RNN"])
def test_symbolic_sequence_dim(op):
    """One conversion runs any sequence length (including one first seen
    after others): the C infer works from the input shapes alone."""
    model, feeds = build(op, 4, 2, 3, 5, {"direction": "bidirectional"}, seq_dim="seq", lens=[4, 2])
    graph = import_onnx(model)
    assert graph.values["Y"].shape == ("seq", 2, 2, 5)
    with Session(Model(optimize(graph)), threads=2) as sess:
        for seq in (4, 9, 1, 6):
            f = dict(feeds, X=RNG.standard_normal((seq, 2, 3)).astype(np.float32),
                     sequence_lens=np.array([seq, max(seq - 2, 0)], np.int32))
            got = sess.run(f)
            for o, e in zip(model.graph.output, ort_outputs(model, f)):
                np.testing.assert_allclose(got[o.name], e, rtol=1e-4, atol=1e-5, err_msg=f"{o.name} at seq {seq}")


def test_unknown_activation_is_a_clear_error():
    model, _ = build("RNN", 2, 1, 2, 3, {"activations": ["Gelu"]})
    with pytest.raises(UnsupportedOpError, match=r"my_rnn.*activation 'Gelu'.*Sigmoid"):
        import_onnx(model)


def test_bad_sequence_lens_is_a_clear_error():
    model, feeds = build("GRU", 3, 2, 3, 4, lens=[1, 2])
    feeds["sequence_lens"] = np.array([1, 7], np.int32)
    with Session(Model(optimize(import_onnx(model)))) as sess, \
            pytest.raises(RuntimeFailure, match=r"my_gru.*sequence_lens\[1\] = 7 is outside \[0, 3\]"):
        sess.run(feeds)


def test_wrong_weight_shape_is_a_clear_error():
    model, _ = build("LSTM", 2, 1, 2, 3)
    model.graph.node[0].attribute[0].i = 4  # hidden_size no longer matches W and R
    with pytest.raises(ConversionError, match="my_lstm.*W shape"):
        import_onnx(model)


# ---- Scan (opset 9+): unrolled at import when short and of known length, else a Loop ---------------------------------------------------------------
F32 = TensorProto.FLOAT


def _scan_model(in_axes, in_dirs, out_axes, out_dirs, opset=21):
    """state s [2, 3] and scan inputs x [.., L, ..] (scan axis in_axes[0]) and y [L, 3]: each step
    s' = s * w + x_t (w an outer-scope value), out0 = s' + y_t (Add of a body initializer too),
    out1 = x_t * 2; outputs: final s, the stacked out0 and out1."""
    body = helper.make_graph(
        [helper.make_node("Mul", ["s_in", "w"], ["sw"]), helper.make_node("Add", ["sw", "x_t"], ["s_out"]),
         helper.make_node("Add", ["s_out", "y_t"], ["o0a"]), helper.make_node("Add", ["o0a", "bias"], ["o0"]),
         helper.make_node("Mul", ["x_t", "two"], ["o1"])], "body",
        [helper.make_tensor_value_info("s_in", F32, [2, 3]), helper.make_tensor_value_info("x_t", F32, [2, 3]),
         helper.make_tensor_value_info("y_t", F32, [3])],
        [helper.make_tensor_value_info(n, F32, None) for n in ("s_out", "o0", "o1")],
        initializer=[numpy_helper.from_array(np.array([0.5, -1.0, 2.0], np.float32), "bias"),
                     numpy_helper.from_array(np.array(2.0, np.float32), "two")])
    node = helper.make_node("Scan", ["s", "x", "y"], ["s_final", "out0", "out1"], body=body, num_scan_inputs=2,
                            scan_input_axes=in_axes, scan_input_directions=in_dirs, scan_output_axes=out_axes,
                            scan_output_directions=out_dirs)
    x_shape = [2, 3]
    x_shape.insert(in_axes[0] % 3, 5)
    y_shape = [5, 3] if in_axes[1] % 2 == 0 else [3, 5]
    graph = helper.make_graph([node], "scan", [
        helper.make_tensor_value_info("s", F32, [2, 3]), helper.make_tensor_value_info("x", F32, x_shape),
        helper.make_tensor_value_info("y", F32, y_shape), helper.make_tensor_value_info("w", F32, [2, 3])],
        [helper.make_tensor_value_info(n, F32, None) for n in ("s_final", "out0", "out1")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)


@pytest.mark.parametrize("symbolic_length", [False, True], ids=["unrolled", "loop"])
@pytest.mark.parametrize("in_axes,in_dirs,out_axes,out_dirs", [
    ([0, 0], [0, 0], [0, 0], [0, 0]), ([1, 0], [1, 0], [1, 2], [0, 1]), ([2, 1], [0, 1], [-1, 0], [1, 1]),
    ([-1, -1], [1, 1], [0, 1], [0, 0])])
def test_scan_vs_onnxruntime(in_axes, in_dirs, out_axes, out_dirs, symbolic_length):
    """A known short length is unrolled; a symbolic one runs as a Loop (at several lengths)."""
    model = _scan_model(in_axes, in_dirs, out_axes, out_dirs)
    if symbolic_length:
        model.graph.input[1].type.tensor_type.shape.dim[in_axes[0] % 3].dim_param = "L"
        model.graph.input[2].type.tensor_type.shape.dim[in_axes[1] % 2].dim_param = "L"
    converted = Model(optimize(import_onnx(model)))
    assert ("Loop" in {n.op for n in converted.graph.nodes}) == symbolic_length
    session = Session(converted, threads=2)
    oracle = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for length in ((5, 7, 1, 5) if symbolic_length else (5,)):
        x_shape = [2, 3]
        x_shape.insert(in_axes[0] % 3, length)
        feeds = {"s": RNG.standard_normal((2, 3)).astype(np.float32),
                 "x": RNG.standard_normal(x_shape).astype(np.float32),
                 "y": RNG.standard_normal((length, 3) if in_axes[1] % 2 == 0 else (3, length)).astype(np.float32),
                 "w": RNG.standard_normal((2, 3)).astype(np.float32)}
        got = session.run(feeds)
        for name, w in zip(("s_final", "out0", "out1"), oracle.run(None, feeds)):
            assert got[name].shape == w.shape, (name, length)
            np.testing.assert_allclose(got[name], w, rtol=1e-5, atol=1e-6)


def test_scan_8_is_refused_naming_the_opset():
    model = _scan_model([0, 0], [0, 0], [0, 0], [0, 0], opset=8)
    with pytest.raises(UnsupportedOpError, match="Scan-8"):
        import_onnx(model)


def test_scan_body_reads_an_outer_initializer():
    """w read only inside the body: an initializer the outer graph's nodes never read."""
    model = _scan_model([0, 0], [0, 0], [0, 0], [0, 0])
    w = RNG.standard_normal((2, 3)).astype(np.float32)
    model.graph.initializer.append(numpy_helper.from_array(w, "w"))
    del model.graph.input[3]
    feeds = {"s": RNG.standard_normal((2, 3)).astype(np.float32), "x": RNG.standard_normal((5, 2, 3)).astype(np.float32),
             "y": RNG.standard_normal((5, 3)).astype(np.float32)}
    want = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)
    got = Session(Model(optimize(import_onnx(model)))).run(feeds)
    for name, w_ in zip(("s_final", "out0", "out1"), want):
        np.testing.assert_allclose(got[name], w_, rtol=1e-5, atol=1e-6)
