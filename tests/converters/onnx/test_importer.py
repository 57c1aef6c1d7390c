"""The ONNX importer's graph walk: shape subgraphs and symbolic dims, input_shapes/const_inputs,
run-time parameters, initializers listed as inputs, and the error messages.

Imported graphs run with the registry's numpy references and are compared with onnxruntime
(helpers.check).
"""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from pocketml.converters.onnx import import_onnx, supported_ops

from pocketml import ir
from pocketml.errors import ConversionError, UnsupportedOpError
from pocketml.reference import run_graph

from .helpers import F, I64, check, i64, make, one_node, ops_of, rand


def _flatten_by_shape_model(batch="N"):
    """y = x.view(x.size(0), -1) as PyTorch exports it."""
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"]),
        helper.make_node("Concat", ["n1", "minus1"], ["target"], axis=0),
        helper.make_node("Reshape", ["x", "target"], ["y"], name="view"),
    ]
    inits = {"zero": np.array(0, np.int64), "ax0": i64(0), "minus1": i64(-1)}
    return make(nodes, {"x": (F, [batch, 3, 4, 5])}, {"y": (F, None)}, inits, opset=13)


def test_shape_subgraph_folds_to_one_reshape():
    x = rand(2, 3, 4, 5)
    graph = check(_flatten_by_shape_model(2), {"x": x})
    assert ops_of(graph) == ["Reshape"] and graph.nodes[0].attrs["shape"] == [2, -1]


def test_shape_subgraph_with_symbolic_batch():
    graph = import_onnx(_flatten_by_shape_model("N"))
    assert ops_of(graph) == ["Reshape"] and graph.values["y"].shape == ("N", 60)
    x = rand(3, 3, 4, 5)
    np.testing.assert_array_equal(run_graph(graph, {"x": x})["y"], x.reshape(3, -1))


def test_symbolic_shape_slice_cast_concat_into_reshape():
    # y = x.reshape(x.shape[:2] + (2, 2)) with a symbolic batch, through Slice and Cast
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Slice", ["s", "zero", "two"], ["head"]),
        helper.make_node("Cast", ["head"], ["head64"], to=I64),
        helper.make_node("Concat", ["head64", "tail"], ["target"], axis=0),
        helper.make_node("Reshape", ["x", "target"], ["y"]),
    ]
    inits = {"zero": i64(0), "two": i64(2), "tail": i64(2, 2)}
    model = make(nodes, {"x": (F, ["N", 3, 4])}, {"y": (F, None)}, inits, opset=13)
    graph = import_onnx(model)
    assert ops_of(graph) == ["Reshape"] and graph.values["y"].shape == ("N", 3, 2, 2)
    x = rand(5, 3, 4)
    np.testing.assert_array_equal(run_graph(graph, {"x": x})["y"], x.reshape(5, 3, 2, 2))


def test_input_shapes_fix_symbolic_dims():
    graph = import_onnx(_flatten_by_shape_model("N"), input_shapes={"x": (4, 3, 4, 5)})
    assert graph.values["x"].shape == (4, 3, 4, 5) and graph.values["y"].shape == (4, 60)
    with pytest.raises(ConversionError, match=r"conflicts with the model's static shape"):
        import_onnx(_flatten_by_shape_model("N"), input_shapes={"x": (4, 2, 4, 5)})
    with pytest.raises(ConversionError, match=r"not graph inputs"):
        import_onnx(_flatten_by_shape_model("N"), input_shapes={"nope": (1,)})


def test_symbolic_batch_conv_net():
    w = rand(4, 3, 3, 3)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("GlobalAveragePool", ["r"], ["p"]),
             helper.make_node("Flatten", ["p"], ["y"])]
    model = make(nodes, {"x": (F, ["batch", 3, 8, 8])}, {"y": (F, ["batch", 4])}, {"w": w})
    graph = import_onnx(model)
    assert graph.values["y"].shape == ("batch", 4)
    x = rand(3, 3, 8, 8)
    expect = ort.InferenceSession(model.SerializeToString()).run(None, {"x": x})[0]
    np.testing.assert_allclose(run_graph(graph, {"x": x})["y"], expect, rtol=1e-4, atol=1e-5)


def test_runtime_parameter_input_becomes_an_ir_input():
    x = rand(2, 6)
    node = helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape7")
    model = make([node], {"x": (F, x.shape), "shape": (I64, [2])}, {"y": (F, None)}, opset=13)
    # computed at run time: the IR Reshape takes it as an input (the runtime needs it while planning)
    graph = import_onnx(model)
    (reshape,) = graph.nodes
    assert reshape.op == "Reshape" and reshape.inputs == ["x", "shape"]
    assert graph.values["y"].shape == ("reshape7:d0", "reshape7:d1")
    np.testing.assert_array_equal(run_graph(graph, {"x": x, "shape": i64(3, 4)})["y"], x.reshape(3, 4))
    # const_inputs binds it, as the ONNX backend does for shape-like parameters
    graph = import_onnx(model, const_inputs={"shape": i64(3, 4)})
    assert graph.inputs == ["x"]
    np.testing.assert_array_equal(run_graph(graph, {"x": x})["y"], x.reshape(3, 4))


def test_symbolic_shape_into_arithmetic_is_computed_at_run_time():
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Mul", ["s", "two"], ["s2"], name="double"),
             helper.make_node("Div", ["s2", "four"], ["half"]),
             helper.make_node("Reshape", ["x", "half"], ["y"])]
    model = make(nodes, {"x": (F, ["N", 4])}, {"y": (F, None)}, {"two": i64(2, 1), "four": i64(1, 2)}, opset=13)
    graph = import_onnx(model)
    assert "Shape" in [n.op for n in graph.nodes]  # the shape arithmetic stays in the graph
    x = rand(6, 4)
    np.testing.assert_array_equal(run_graph(graph, {"x": x})["y"], x.reshape(12, 2))


def test_initializers_listed_as_inputs_become_constants():
    x, w = rand(1, 3), rand(3, 2)
    node = helper.make_node("MatMul", ["x", "w"], ["y"])
    graph_proto = helper.make_graph([node], "old", [helper.make_tensor_value_info("x", F, x.shape),
                                                    helper.make_tensor_value_info("w", F, w.shape)],
                                    [helper.make_tensor_value_info("y", F, None)], [numpy_helper.from_array(w, "w")])
    model = helper.make_model(graph_proto, opset_imports=[helper.make_opsetid("", 9)], ir_version=3)
    graph = check(model, {"x": x})
    assert graph.inputs == ["x"] and graph.values["w"].is_const


def test_unsupported_op_names_node_op_domain_opset_and_lists_supported():
    x = rand(2, 3)
    model = one_node("Bernoulli", {"x": x}, opset=15)  # random sampling: not an inference engine's op
    with pytest.raises(UnsupportedOpError) as e:
        import_onnx(model)
    msg = str(e.value)
    assert "'my_bernoulli'" in msg and "Bernoulli" in msg and "opset 15" in msg and "ai.onnx" in msg
    assert "Conv" in msg and "Resize" in msg  # the supported list


def test_custom_domain_is_unsupported():
    node = helper.make_node("Foo", ["x"], ["y"], domain="com.example", name="foo1")
    graph = helper.make_graph([node], "t", [helper.make_tensor_value_info("x", F, [1])],
                              [helper.make_tensor_value_info("y", F, [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13),
                                                    helper.make_opsetid("com.example", 1)], ir_version=8)
    with pytest.raises(UnsupportedOpError, match=r"'foo1' \(Foo, opset 13\): domain 'com.example'"):
        import_onnx(model)


def test_too_old_opset_is_unsupported():
    # Add changed at opset 7 (broadcasting): an opset-6 Add cannot be read as opset 7
    with pytest.raises(UnsupportedOpError, match=r"opset 6; supported opsets: 7\.\."):
        import_onnx(one_node("Add", {"a": rand(2), "b": rand(2)}, opset=6))


def test_older_opset_with_ops_unchanged_since_imports():
    # Relu is unchanged since opset 6, so an opset-6 model means the same at opset 7
    g = import_onnx(one_node("Relu", {"x": rand(2)}, opset=6))
    assert [n.op for n in g.nodes] == ["Relu"]


def test_bad_auto_pad_and_file_errors(tmp_path):
    x, w = rand(1, 1, 4, 4), rand(1, 1, 3, 3)
    with pytest.raises(ConversionError, match=r"auto_pad='DIAGONAL' is outside its domain"):
        import_onnx(one_node("Conv", {"x": x}, {"auto_pad": "DIAGONAL"}, {"w": w}))
    with pytest.raises(FileNotFoundError):
        import_onnx(tmp_path / "missing.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07garbage")
    with pytest.raises(ConversionError):
        import_onnx(bad)


def test_float64_input_is_unsupported():
    x = np.zeros((2,), np.float64)
    with pytest.raises(UnsupportedOpError, match=r"graph input 'x' has type DOUBLE"):
        import_onnx(one_node("Relu", {"x": x}, out_type=TensorProto.DOUBLE))


def test_every_handler_maps_to_registry_ops():
    assert len(supported_ops()) >= 58
    assert {"Conv", "ConvTranspose", "Resize", "Upsample", "Sum", "Dropout", "Constant"} <= set(supported_ops())


def test_import_from_path(tmp_path):
    x = rand(1, 3)
    path = tmp_path / "m.onnx"
    onnx.save(one_node("Relu", {"x": x}), path)
    graph = import_onnx(str(path))
    assert isinstance(graph, ir.Graph) and ops_of(graph) == ["Relu"]


def test_import_from_path_with_external_data_and_as_text(tmp_path):
    """Weights stored beside the file are loaded (the importer walks the tensors for them only
    when the file names a location), and a text-format file loads by its extension."""
    x, w = rand(2, 3), rand(3, 4)
    model = one_node("MatMul", {"x": x}, inits={"w": w})
    onnx.save(model, tmp_path / "ext.onnx", save_as_external_data=True, all_tensors_to_one_file=True,
              location="ext.weights", size_threshold=0)
    graph = import_onnx(str(tmp_path / "ext.onnx"))
    np.testing.assert_array_equal(graph.values["w"].const, w)
    onnx.save(model, tmp_path / "m.txtpb", format="textproto")
    np.testing.assert_array_equal(import_onnx(tmp_path / "m.txtpb").values["w"].const, w)


def test_imported_shapes_are_current():
    """convert() tells optimize the ONNX importer's shapes are current (optimize(shapes_current=True)
    skips re-inferring every node): re-inferring any imported node, light models and every supported
    ONNX node case, changes no dtype or shape and fails nowhere."""
    import glob
    import os

    from pocketml.shape_inference import _infer_node
    from tests.conformance.onnx_cases import supported_node_cases

    light = sorted(glob.glob(os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light",
                                          "light_*.onnx")))
    sources = [(os.path.basename(p), p) for p in light] + list(supported_node_cases().items())
    stale = []
    for name, source in sources:
        try:
            graph = import_onnx(source if isinstance(source, str) else source.model)
        except (ConversionError, UnsupportedOpError):
            continue  # the cases pocketml refuses (test_onnx_node.UNSUPPORTED)
        stale += [f"{name}: {node.name} ({node.op})" for node in graph.nodes if _infer_node(graph, node)]
    assert not stale, stale[:10]
