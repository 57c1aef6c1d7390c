"""The recurrent ops' registry definitions (LSTM, GRU, RNN): the numpy
references against onnxruntime (the independent oracle; onnx's reference
evaluator lacks sequence_lens and most activations) on random single-node
models, and shape inference: outputs, symbolic dims and the errors.
"""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from pocketml import ir, ops
from pocketml.ops.recurrent import CELLS, DIRECTIONS, RNN_ACTIVATIONS
from pocketml.reference import run_node

RNG = np.random.default_rng(3)


def rand(*shape, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def make_inputs(op, seq, batch, isz, hid, nd, lens=True, init=True, bias=True, peep=True):
    """ONNX-ordered input arrays (None = absent)."""
    g = CELLS[op][0]
    ins = [rand(seq, batch, isz), rand(nd, g * hid, isz, scale=0.5), rand(nd, g * hid, hid, scale=0.5),
           rand(nd, 2 * g * hid, scale=0.5) if bias else None,
           RNG.integers(0, seq + 1, batch).astype(np.int32) if lens else None,
           rand(nd, batch, hid) if init else None]
    if op == "LSTM":
        ins += [rand(nd, batch, hid) if init else None, rand(nd, 3 * hid, scale=0.5) if peep else None]
    return ins


def ort_run(op, ins, attrs, opset=14):
    names = [f"i{k}" if a is not None else "" for k, a in enumerate(ins)]
    outs = ["Y", "Y_h"] + (["Y_c"] if op == "LSTM" else [])
    node = helper.make_node(op, names, outs, **attrs)
    vi = [helper.make_tensor_value_info(n, TensorProto.INT32 if a.dtype == np.int32 else TensorProto.FLOAT, a.shape)
          for n, a in zip(names, ins) if n]
    graph = helper.make_graph([node], "t", vi, [helper.make_tensor_value_info(o, TensorProto.FLOAT, None)
                                                 for o in outs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {n: a for n, a in zip(names, ins) if n})


def ir_attrs(op, onnx_attrs, nd):
    """The IR attributes the importer would write for these ONNX attributes."""
    names = onnx_attrs.get("activations") or []
    alphas, betas = list(onnx_attrs.get("activation_alpha", [])), list(onnx_attrs.get("activation_beta", []))
    codes, a_out, b_out = [], [], []
    for n in names:
        code, ua, ub, a0, b0 = RNN_ACTIVATIONS[n.lower()]
        codes.append(code)
        a_out.append(alphas.pop(0) if ua and alphas else a0)
        b_out.append(betas.pop(0) if ub and betas else b0)
    attrs = {"direction": DIRECTIONS.index(onnx_attrs.get("direction", "forward")),
             "hidden_size": onnx_attrs["hidden_size"], "activations": codes, "activation_alpha": a_out,
             "activation_beta": b_out, "clip": float(onnx_attrs.get("clip", 0.0))}
    for k in ("input_forget", "linear_before_reset"):
        if k in onnx_attrs:
            attrs[k] = onnx_attrs[k]
    return attrs


def run_ref(op, ins, attrs):
    nd = 2 if attrs["direction"] == 2 else 1
    names = [f"i{k}" if a is not None else "" for k, a in enumerate(ins)]
    values = [ir.Value(n, ir.dtype_name(a.dtype), a.shape) if a is not None else None for n, a in zip(names, ins)]
    node = ir.Node(op, names, ["Y", "Y_h", "Y_c"][:len(ops.get(op).outputs)], attrs, "n")
    inferred = ops.get(op).infer(node, values)
    got = run_node(node, ins)
    for (dt, shape), arr in zip(inferred, got):  # infer predicts the reference's outputs
        assert (dt, tuple(shape)) == (ir.dtype_name(arr.dtype), arr.shape)
    assert got[0].shape[1] == nd
    return got


CONFIGS = [
    # op, seq, batch, input, hidden, onnx attributes, optional inputs
    ("LSTM", 5, 3, 4, 7, {}, {}),
    ("LSTM", 1, 1, 1, 1, {"direction": "reverse"}, {"peep": False}),
    ("LSTM", 4, 2, 3, 8, {"direction": "bidirectional", "clip": 0.6}, {}),
    ("LSTM", 4, 3, 5, 9, {"input_forget": 1}, {"lens": False, "init": False}),
    ("LSTM", 3, 2, 3, 5, {"activations": ["HardSigmoid", "Elu", "Softsign"], "activation_alpha": [0.3, 0.9],
                          "activation_beta": [0.4]}, {}),
    ("GRU", 5, 3, 4, 13, {}, {}),
    ("GRU", 5, 3, 4, 7, {"linear_before_reset": 1, "direction": "reverse"}, {}),
    ("GRU", 4, 2, 6, 8, {"direction": "bidirectional", "linear_before_reset": 1, "clip": 0.5}, {"bias": False}),
    ("GRU", 3, 2, 3, 4, {"activations": ["LeakyRelu", "ScaledTanh"], "activation_alpha": [0.2, 0.8],
                         "activation_beta": [1.3]}, {}),
    ("RNN", 5, 3, 4, 9, {}, {}),
    ("RNN", 2, 1, 2, 1, {"direction": "bidirectional", "activations": ["Relu", "Softplus"]}, {"init": False}),
    ("RNN", 4, 3, 2, 6, {"activations": ["ThresholdedRelu"], "activation_alpha": [0.1]}, {}),
    ("RNN", 4, 3, 2, 6, {"activations": ["Affine"], "activation_alpha": [0.5], "activation_beta": [0.2]}, {}),
]


@pytest.mark.parametrize("op,seq,batch,isz,hid,attrs,opt", CONFIGS, ids=[f"{c[0]}-{i}" for i, c in
                                                                          enumerate(CONFIGS)])
def test_reference_matches_onnxruntime(op, seq, batch, isz, hid, attrs, opt):
    onnx_attrs = {"hidden_size": hid, **attrs}
    nd = 2 if attrs.get("direction") == "bidirectional" else 1
    if "activations" in attrs and nd == 2 and len(attrs["activations"]) == CELLS[op][1]:
        onnx_attrs["activations"] = attrs["activations"] * 2
    ins = make_inputs(op, seq, batch, isz, hid, nd, **opt)
    expect = ort_run(op, ins, onnx_attrs)
    got = run_ref(op, ins, ir_attrs(op, onnx_attrs, nd))
    for g, e in zip(got, expect):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)


def test_infer_symbolic_and_errors():
    node = ir.Node("GRU", ["x", "w", "r"], ["y", "yh"], {"hidden_size": 4, "direction": 2}, "g")
    vals = [ir.Value("x", "float32", ("seq", "batch", 3)), ir.Value("w", "float32", (2, 12, 3)),
            ir.Value("r", "float32", (2, 12, 4))]
    assert ops.get("GRU").infer(node, vals) == [("float32", ("seq", 2, "batch", 4)), ("float32", (2, "batch", 4))]
    bad_r = vals[:2] + [ir.Value("r", "float32", (2, 12, 5))]
    with pytest.raises(ValueError, match=r"'g' \(GRU\): R shape"):
        ops.get("GRU").infer(node, bad_r)
    node.attrs["activations"] = [0]
    with pytest.raises(ValueError, match="activations has 1 entries, expected 4"):
        ops.get("GRU").infer(node, vals)
    lens = ir.Value("l", "int64", ("batch",))
    node2 = ir.Node("RNN", ["x", "w", "r", "", "l"], ["y", "yh"], {"hidden_size": 4, "direction": 2}, "r")
    with pytest.raises(ValueError, match="sequence_lens.*int32"):
        ops.get("RNN").infer(node2, [vals[0], ir.Value("w", "float32", (2, 4, 3)),
                                     ir.Value("r", "float32", (2, 4, 4)), None, lens])


def test_reference_rejects_bad_lengths():
    ins = make_inputs("RNN", 3, 2, 2, 2, 1)
    ins[4] = np.array([1, 4], np.int32)
    with pytest.raises(ValueError, match="sequence_lens"):
        run_ref("RNN", ins, ir_attrs("RNN", {"hidden_size": 2}, 1))


def test_reference_cell_clip():
    """LSTM cell_clip (TFLite's) bounds the cell state itself; a bound never reached changes nothing."""
    ins = make_inputs("LSTM", 4, 2, 3, 5, 1, lens=False, init=False)
    ins = [a * 3 if a is not None and a.dtype == np.float32 else a for a in ins]  # states grow past the bound
    attrs = ir_attrs("LSTM", {"hidden_size": 5}, 1)
    free = run_ref("LSTM", ins, attrs)
    loose = run_ref("LSTM", ins, {**attrs, "cell_clip": 1e6})
    tight = run_ref("LSTM", ins, {**attrs, "cell_clip": 0.25})
    for a, b in zip(free, loose):
        np.testing.assert_array_equal(a, b)
    assert np.abs(free[2]).max() > 0.25 and np.abs(tight[2]).max() <= 0.25
    node = ir.Node("LSTM", ["x", "w", "r"], ["y", "yh", "yc"], {"hidden_size": 5, "cell_clip": -1.0}, "l")
    vals = [ir.Value(n, "float32", a.shape) for n, a in zip("xwr", ins)]
    with pytest.raises(ValueError, match="cell_clip -1.0 must be >= 0"):
        ops.get("LSTM").infer(node, vals)
