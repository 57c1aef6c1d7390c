"""Model-level spec checks of ONNX files (converters/onnx/model_checks.py): external data must stay
inside the model's folder and inside its file, as onnxruntime requires (the oracle: each refused
location is also refused by onnxruntime, which loads the same file from disk), and declared dims
must not be negative."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import pocketml

W = np.arange(6, dtype=np.float32).reshape(2, 3)


def _model_with_external(location: str, offset=None, length=None) -> onnx.ModelProto:
    """y = x + w, w stored outside the model at ``location``."""
    w = numpy_helper.from_array(W, "w")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    entries = {"location": location, "offset": offset, "length": length}
    for k, v in entries.items():
        if v is not None:
            e = w.external_data.add()
            e.key, e.value = k, str(v)
    graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"], name="add")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])], [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


@pytest.fixture
def folders(tmp_path):
    """model/ (where the .onnx goes, with weights.bin) and outside/secret.bin next to it."""
    model_dir, outside = tmp_path / "model", tmp_path / "outside"
    model_dir.mkdir()
    outside.mkdir()
    (model_dir / "weights.bin").write_bytes(W.tobytes())
    (outside / "secret.bin").write_bytes(W.tobytes())
    os.symlink(outside / "secret.bin", model_dir / "link.bin")
    return model_dir, outside


def _save(model_dir, model) -> str:
    path = os.path.join(model_dir, "m.onnx")
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    return path


def _ort_refuses(path) -> bool:
    try:
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        sess.run(None, {"x": np.zeros((2, 3), np.float32)})
    except Exception:  # onnxruntime's own exception types
        return True
    return False


@pytest.mark.parametrize("location,offset,length,fragment", [
    ("../outside/secret.bin", None, None, "external data location '../outside/secret.bin' has a '..' component"),
    ("ABSOLUTE", None, None, "is an absolute path"),
    ("link.bin", None, None, "outside the model's folder"),
    ("missing.bin", None, None, "is not a file in the model's folder"),
    ("weights.bin", 100, None, "has offset 100 and length unset, beyond the file's 24 bytes"),
    ("weights.bin", 0, 48, "has offset 0 and length 48, beyond the file's 24 bytes"),
    ("weights.bin", -8, None, "has a negative offset (-8)"),
    ("weights.bin", None, -1, "has a negative length (-1)"),
], ids=["dotdot", "absolute", "symlink", "missing", "offset", "length", "negative-offset", "negative-length"])
def test_external_data_outside_the_model_is_refused(folders, location, offset, length, fragment):
    model_dir, outside = folders
    if location == "ABSOLUTE":
        location = str(outside / "secret.bin")
        fragment = f"tensor 'w': external data location {location!r} {fragment}"
    path = _save(model_dir, _model_with_external(location, offset, length))
    with pytest.raises(pocketml.ConversionError) as e:
        pocketml.convert(path)
    assert fragment in str(e.value) and "'w'" in str(e.value)
    assert _ort_refuses(path)  # the oracle refuses it too


def test_external_data_inside_the_folder_converts(folders):
    model_dir, _ = folders
    path = _save(model_dir, _model_with_external("weights.bin", 0, 24))
    assert not _ort_refuses(path)
    out = pocketml.Session(pocketml.convert(path)).run({"x": np.ones((2, 3), np.float32)})
    np.testing.assert_array_equal(out["y"], W + 1)


def _model_with_dims(where: str, dims) -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, dims if where == "input" else [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, dims if where == "output" else [2, 3])
    vi = [helper.make_tensor_value_info("t", TensorProto.FLOAT, dims)] if where == "value_info" else []
    nodes = [helper.make_node("Relu", ["x"], ["t"]), helper.make_node("Relu", ["t"], ["y"])]
    graph = helper.make_graph(nodes, "g", [x], [y], value_info=vi)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


@pytest.mark.parametrize("where,kind", [("input", "graph input 'x'"), ("output", "graph output 'y'"),
                                        ("value_info", "value_info 't'")])
@pytest.mark.parametrize("dim", [-1, -5])
def test_negative_dims_are_refused(where, kind, dim):
    """ONNX spells an unknown dim with dim_param or no value; a negative dim_value is not a dim.
    Deviation from the oracle: onnxruntime 1.32 runs all six models (it treats a negative dim as
    unknown); pocketml follows the spec (the issue: negative dims silently became symbolic)."""
    assert not _ort_refuses_dims(where, dim)
    with pytest.raises(pocketml.ConversionError, match=rf"{kind} declares shape \[2, {dim}\]: dim 1 is {dim}; "
                                                       r"a dim is >= 0"):
        pocketml.convert(_model_with_dims(where, [2, dim]))


def _model_with_if_branch_dims(dims) -> onnx.ModelProto:
    """y = If(c) then x + 1 else x - 1, the then-branch declaring value_info 't' with ``dims``."""
    one = numpy_helper.from_array(np.ones((2, 3), np.float32), "one")

    def branch(op, name, vi):
        out = helper.make_tensor_value_info(f"{name}_y", TensorProto.FLOAT, [2, 3])
        body = [helper.make_node(op, ["x", "one"], ["t"]), helper.make_node("Identity", ["t"], [f"{name}_y"])]
        return helper.make_graph(body, name, [], [out], value_info=vi)

    vi = [helper.make_tensor_value_info("t", TensorProto.FLOAT, dims)]
    node = helper.make_node("If", ["c"], ["y"], then_branch=branch("Add", "then", vi),
                            else_branch=branch("Sub", "else", []))
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("c", TensorProto.BOOL, []),
                                            helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])], initializer=[one])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def test_negative_dims_inside_a_subgraph_are_refused():
    """The importer skips its subgraph walks for a graph integrity.check_names found flat: a graph
    with an If still has its branches' declared dims checked (and the flat flag says so)."""
    from pocketml.converters.onnx import integrity

    assert integrity.check_names(_model_with_dims("value_info", [2, 3])).flat
    assert not integrity.check_names(_model_with_if_branch_dims([2, 3])).flat
    with pytest.raises(pocketml.ConversionError, match=r"value_info 't' declares shape \[2, -4\]: dim 1 is -4"):
        pocketml.convert(_model_with_if_branch_dims([2, -4]))
    model = pocketml.convert(_model_with_if_branch_dims([2, 3]))  # the same graph, valid: it converts and runs
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    for c in (True, False):
        got = pocketml.Session(model).run({"c": np.array(c), "x": x})
        want = ort.InferenceSession(_model_with_if_branch_dims([2, 3]).SerializeToString(),
                                    providers=["CPUExecutionProvider"]).run(None, {"c": np.array(c), "x": x})
        np.testing.assert_array_equal(list(got.values())[0] if isinstance(got, dict) else got[0], want[0])


def _ort_refuses_dims(where, dim) -> bool:
    try:
        sess = ort.InferenceSession(_model_with_dims(where, [2, dim]).SerializeToString(),
                                    providers=["CPUExecutionProvider"])
        sess.run(None, {"x": np.zeros((2, 3), np.float32)})
    except Exception:
        return True
    return False


def test_negative_input_shapes_are_refused():
    with pytest.raises(pocketml.ConversionError, match="every dim must be a positive integer"):
        pocketml.convert(_model_with_dims("output", [2, 3]), input_shapes={"x": [2, -3]})


def test_input_shapes_that_are_not_a_mapping_get_a_type_error_not_an_internal_one(tmp_path):
    # convert(src, "out.pml") is the likeliest slip: the second argument is input_shapes
    src = tmp_path / "relu.onnx"
    onnx.save(_model_with_dims("output", [2, 3]), src)
    with pytest.raises(TypeError, match=r"input_shapes must map input names to shapes.*got str.*model\.save"):
        pocketml.convert(str(src), str(tmp_path / "out.pml"))


@pytest.mark.parametrize("dims", ["0,3", "-2,3"])
def test_cli_input_shape_below_one_is_a_one_line_error(tmp_path, dims):
    src = tmp_path / "relu.onnx"
    onnx.save(_model_with_dims("input", ["N", 3]), src)
    proc = subprocess.run([sys.executable, "-m", "pocketml.cli", "convert", str(src), "-o", str(tmp_path / "r.pml"),
                           "--input-shape", f"x={dims}"], capture_output=True, text=True)
    assert proc.returncode != 0 and "every dim must be positive" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
