"""Relu fused into its Conv or residual Add while importing (converters/onnx/relu_into_conv.py).

Each small Conv (-> BatchNormalization) (-> Add) -> Relu model is converted twice, with the import-time
fusion on and off (relu_into_conv.FUSE): the two .pml files must be the same bytes (the fusion
draws the names and writes the attributes the fuse_activation pass would), the C runtime's
outputs of the fused one must match onnxruntime's, and the import must fuse exactly in the
pattern's cases and leave every other one (a second reader, a graph output in the middle, a
BatchNormalization in training mode or with run-time statistics, a QDQ model, a subgraph reading
the Conv's output, float16...) to the pass.
"""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import pocketml
from pocketml import passes
from pocketml.converters.onnx import import_onnx, relu_into_conv

from .helpers import F, make, ops_of, rand

H = TensorProto.FLOAT16


def _stats(prefix: str, c: int = 6) -> dict:
    return {f"{prefix}_s": rand(c), f"{prefix}_b": rand(c), f"{prefix}_m": rand(c),
            f"{prefix}_v": rand(c, low=0.2, high=2.0)}


def _bn(x: str, out: str, prefix: str = "bn", **attrs):
    return helper.make_node("BatchNormalization", [x] + [f"{prefix}_{k}" for k in "sbmv"], [out], epsilon=1e-3,
                            **attrs)


def _conv(x="x", out="c", w="w", bias=True, group=1, name=""):
    return helper.make_node("Conv", [x, w] + (["cb"] if bias else []), [out], pads=[1] * 4, group=group, name=name)


def _model(nodes, outputs, inputs=None, inits=None, opset=17, group=1, elem=F):
    inits = {"w": rand(6, 6 // group, 3, 3), "cb": rand(6), **_stats("bn"), **(inits or {})}
    if elem == H:
        inits = {k: v.astype(np.float16) for k, v in inits.items()}
    return make(nodes, {"x": (elem, [1, 6, 5, 5]), **(inputs or {})}, {o: (elem, None) for o in outputs}, inits,
                opset)


def _convert(model, fuse: bool, monkeypatch):
    """(.pml bytes, number of Relus fused at import) of the model converted with the fusion on or off."""
    fused = []
    original = relu_into_conv.fuse_relu
    with monkeypatch.context() as m:
        m.setattr(relu_into_conv, "FUSE", fuse)
        m.setattr(relu_into_conv, "fuse_relu", lambda *a: bool(original(*a) and not fused.append(1)))
        data = pocketml.convert(model).to_bytes()
    return data, len(fused)


def _run_against_onnxruntime(model, data: bytes, feeds: dict, rtol=1e-4, atol=1e-5) -> None:
    oracle = onnx.ModelProto()
    oracle.CopyFrom(model)
    for node in oracle.graph.node:  # (onnxruntime refuses two nodes of one name; names change no output)
        node.name = ""
    expect = ort.InferenceSession(oracle.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)
    got = pocketml.Session(pocketml.load(data)).run(feeds)
    for out, e in zip(model.graph.output, expect):
        np.testing.assert_allclose(got[out.name], e, rtol=rtol, atol=atol, err_msg=out.name)


def _relu(x, out):
    return helper.make_node("Relu", [x], [out])


# case -> (nodes, outputs, extra inputs, extra initializers, Relus fused at import)
CASES = {
    "conv_bn_relu": ([_conv(), _bn("c", "b"), _relu("b", "y")], ["y"], {}, {}, 1),
    "conv_relu": ([_conv(), _relu("c", "y")], ["y"], {}, {}, 1),
    "conv_no_bias_bn_relu": ([_conv(bias=False), _bn("c", "b"), _relu("b", "y")], ["y"], {}, {}, 1),
    "named_nodes": ([_conv(name="conv1"), _bn("c", "b"), helper.make_node("Relu", ["b"], ["y"], name="conv1")],
                    ["y"], {}, {}, 1),  # a Relu named like its Conv: emit draws a fresh IR node name
    "relu_then_conv_relu": ([_conv(), _bn("c", "b"), _relu("b", "r"), _conv("r", "c2", "w2"), _relu("c2", "y")],
                            ["y"], {}, {"w2": rand(6, 6, 3, 3)}, 2),
    "relu_relu": ([_conv(), _bn("c", "b"), _relu("b", "r"), _relu("r", "y")], ["y"], {}, {}, 1),
    "relu_output_and_read": ([_conv(), _bn("c", "b"), _relu("b", "r"), helper.make_node("Sigmoid", ["r"], ["y"])],
                             ["r", "y"], {}, {}, 1),
    "residual_after_relu": ([_conv(), _bn("c", "b"), _relu("b", "r"), _conv("r", "c2", "w2"),
                             helper.make_node("Add", ["c2", "r"], ["y"])], ["y"], {}, {"w2": rand(6, 6, 3, 3)}, 1),
    "conv_bn_residual_sum_relu": ([_conv("x", "c0", "w2"), _relu("c0", "r0"), _conv("r0"), _bn("c", "b"),
                                   helper.make_node("Sum", ["b", "r0"], ["s"]), _relu("s", "y")],
                                  ["y"], {}, {"w2": rand(6, 6, 3, 3)}, 2),  # fuse_conv_residual takes the Add's act
    "residual_add_relu": ([_conv(), _relu("c", "r"), _conv("r", "c2", "w2"),
                           helper.make_node("Add", ["c2", "r"], ["a"]), _relu("a", "y")],
                          ["y"], {}, {"w2": rand(6, 6, 3, 3)}, 2),
    "sum_of_three_relu": ([_conv("x", "c0", "w2"), _relu("c0", "r0"), _conv("r0"),
                           helper.make_node("Sum", ["c", "r0", "r0"], ["s"]), _relu("s", "y")],
                          ["y"], {}, {"w2": rand(6, 6, 3, 3)}, 2),  # Sum is an Add chain: the last one takes it
    "add_of_nchw_input_relu": ([_conv(), helper.make_node("Add", ["c", "x"], ["a"]), _relu("a", "y")],
                               ["y"], {}, {}, 0),  # x has no NHWC form: the Add runs NCHW, no transpose to read
    "add_of_two_branches_relu": ([_conv(), _conv("x", "c2", "w2"), helper.make_node("Add", ["c", "c2"], ["a"]),
                                  _relu("a", "y")], ["y"], {}, {"w2": rand(6, 6, 3, 3)}, 1),
    # fall-backs: the Relu takes its handler, the pass fuses it (or not) as before
    "add_of_a_constant_relu": ([_conv(), helper.make_node("Add", ["c", "k"], ["a"]), _relu("a", "y")],
                               ["y"], {}, {"k": rand(1, 6, 1, 1)}, 0),  # fold_bn makes it a ScaleShift first
    "add_output_read_twice": ([_conv(), helper.make_node("Add", ["c", "x"], ["a"]), _relu("a", "y"),
                               helper.make_node("Sigmoid", ["a"], ["z"])], ["y", "z"], {}, {}, 0),
    "bn_output_read_twice": ([_conv(), _bn("c", "b"), _relu("b", "y"), helper.make_node("Sigmoid", ["b"], ["z"])],
                             ["y", "z"], {}, {}, 0),
    "conv_output_read_twice": ([_conv(), _relu("c", "y"), helper.make_node("Sigmoid", ["c"], ["z"])],
                               ["y", "z"], {}, {}, 0),
    "bn_output_is_graph_output": ([_conv(), _bn("c", "b"), _relu("b", "y")], ["b", "y"], {}, {}, 0),
    "conv_output_is_graph_output": ([_conv(), _relu("c", "y")], ["c", "y"], {}, {}, 0),
    "bn_runtime_statistics": ([_conv(), helper.make_node("BatchNormalization", ["c", "s", "bn_b", "bn_m", "bn_v"],
                                                         ["b"]), _relu("b", "y")],
                              ["y"], {"s": (F, [6])}, {}, 0),
    "bn_training_mode": ([_conv(), _bn("c", "b", training_mode=1), _relu("b", "y")], ["y"], {}, {}, 0),
    "relu_of_sub": ([_conv(), helper.make_node("Sub", ["c", "x"], ["a"]), _relu("a", "y")], ["y"], {}, {}, 0),
    "qdq_model": ([_conv(), _relu("c", "r"), helper.make_node("QuantizeLinear", ["r", "qs", "qz"], ["q"]),
                   helper.make_node("DequantizeLinear", ["q", "qs", "qz"], ["y"])],
                  ["y"], {}, {"qs": np.float32(0.02), "qz": np.uint8(0)}, 0),
}


def _feeds(inputs: dict, elem=np.float32) -> dict:
    feeds = {"x": rand(1, 6, 5, 5).astype(elem)}
    for name, (_, shape) in inputs.items():
        feeds[name] = rand(*shape, low=0.5, high=1.5)
    return feeds


@pytest.mark.parametrize("case", sorted(CASES))
def test_fusion_at_import_gives_the_same_pml(case, monkeypatch):
    nodes, outputs, inputs, inits, expect_fused = CASES[case]
    model = _model(nodes, outputs, inputs, inits, opset=15 if case == "bn_training_mode" else 17)
    fused_bytes, fused = _convert(model, True, monkeypatch)
    plain_bytes, none = _convert(model, False, monkeypatch)
    assert (fused, none) == (expect_fused, 0)
    assert fused_bytes == plain_bytes
    if case != "bn_training_mode":  # (onnxruntime's CPU BatchNormalization runs inference only)
        _run_against_onnxruntime(model, fused_bytes, _feeds(inputs), rtol=1e-3 if case == "qdq_model" else 1e-4,
                                 atol=0.03 if case == "qdq_model" else 1e-5)


def test_fused_relu_leaves_the_pass_nothing(monkeypatch):
    """The imported graph already has the Relu in the Conv (act relu, the Relu's output name): the
    fuse_activation pass does not run a rewrite."""
    model = _model([_conv(), _bn("c", "b"), _relu("b", "y")], ["y"])
    graph = import_onnx(model)
    assert ops_of(graph) == ["Conv", "Transpose", "Transpose"] or "Relu" not in ops_of(graph)
    conv, = [n for n in graph.nodes if n.op == "Conv"]
    assert conv.attrs["act"] == pocketml.ops.ACT_RELU
    log: list = []
    passes.optimize(graph, log, shapes_current=True)
    assert "fuse_activation" not in log
    with monkeypatch.context() as m:
        m.setattr(relu_into_conv, "FUSE", False)
        log = []
        passes.optimize(import_onnx(model), log, shapes_current=True)
        assert "fuse_activation" in log


def test_conv_output_read_inside_a_subgraph_is_left_to_the_pass(monkeypatch):
    """An If branch reading the Conv's output from the outer scope is a reader the ONNX node
    inputs do not show: the importer must not fuse (the branch would read the Relu's output)."""
    branch = helper.make_graph([helper.make_node("Sigmoid", ["c"], ["br"])], "branch", [],
                               [helper.make_tensor_value_info("br", F, None)])
    nodes = [_conv(), _relu("c", "y"), helper.make_node("If", ["cond"], ["z"], then_branch=branch,
                                                        else_branch=branch)]
    model = _model(nodes, ["y", "z"], {"cond": (TensorProto.BOOL, [])})
    fused_bytes, fused = _convert(model, True, monkeypatch)
    plain_bytes, _ = _convert(model, False, monkeypatch)
    assert fused == 0 and fused_bytes == plain_bytes
    feeds = {"x": rand(1, 6, 5, 5), "cond": np.array(True)}
    _run_against_onnxruntime(model, fused_bytes, feeds)


def test_float16_conv_is_left_to_the_pass(monkeypatch):
    model = _model([_conv(), _relu("c", "y")], ["y"], elem=H)
    fused_bytes, fused = _convert(model, True, monkeypatch)
    plain_bytes, _ = _convert(model, False, monkeypatch)
    assert fused == 0 and fused_bytes == plain_bytes
    _run_against_onnxruntime(model, fused_bytes, {"x": rand(1, 6, 5, 5).astype(np.float16)}, rtol=1e-2, atol=1e-2)


def test_relu_with_an_extra_input_still_gets_the_clear_error():
    """A malformed Relu after a Conv is refused with the checker's words, as before."""
    model = _model([_conv(), helper.make_node("Relu", ["c", "x"], ["y"])], ["y"])
    with pytest.raises(pocketml.ConversionError, match="not valid ONNX: .*Relu.* input size 2"):
        import_onnx(model)
