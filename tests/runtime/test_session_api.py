"""The Python API users of onnxruntime expect: package version and public
names, typed docstrings, threads=0, onnxruntime's run(output_names, feeds)
order, one TensorInfo type for Model and Session, and a "convert it first"
error for ONNX/TFLite files given to Session. onnxruntime is the oracle where
it has an opinion (argument order, result order)."""
from __future__ import annotations

import inspect
import os
import subprocess
import sys
import tomllib

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import pocketml
from pocketml import runtime
from pocketml.errors import InputError, ModelLoadError
from pocketml.format import write_pml
from pocketml.runtime import Session

from ..format import make_c_fixtures as fx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def chain():
    g = fx.chain_graph()
    return g, write_pml(g)


def two_output_onnx() -> onnx.ModelProto:
    """x[N, 6] -> (Relu(x @ W), Sigmoid(x)): two outputs, a symbolic batch."""
    w = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "W"], ["m"]), helper.make_node("Relu", ["m"], ["relu"]),
             helper.make_node("Sigmoid", ["x"], ["sig"])]
    graph = helper.make_graph(nodes, "two", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 6])],
                              [helper.make_tensor_value_info("relu", TensorProto.FLOAT, ["N", 4]),
                               helper.make_tensor_value_info("sig", TensorProto.FLOAT, ["N", 6])],
                              [numpy_helper.from_array(w, "W")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


# ---- package: version, public names, docstrings --------------------------------------------------
def test_version_matches_pyproject_and_c_runtime():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        declared = tomllib.load(f)["project"]["version"]
    assert pocketml.__version__ == declared == runtime.version()


def test_dir_lists_the_public_api():
    names = dir(pocketml)
    for name in ("convert", "load", "Session", "Model", "LoadedModel", "TensorInfo", "available_isas",
                 "__version__", "PocketMLError", "InputError"):
        assert name in pocketml.__all__ and name in names, name
    for name in pocketml.__all__:
        assert getattr(pocketml, name) is not None, name
    assert names == sorted(pocketml.__all__)  # no helpers (os, _LAZY...) in the listing


def test_import_stays_light():
    """`import pocketml` loads neither numpy nor the C runtime: the public names load on first use."""
    code = "import sys, pocketml; print(sorted(m for m in ('numpy', 'pocketml.runtime', 'ctypes') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _public_members(cls):
    for name, member in vars(cls).items():
        if not name.startswith("_") or name == "__init__":
            yield name, member


@pytest.mark.parametrize("name", ["convert", "load", "Session", "Model", "LoadedModel", "TensorInfo",
                                  "available_isas"])
def test_public_names_have_typed_docstrings(name):
    obj = getattr(pocketml, name)
    assert inspect.getdoc(obj), name
    members = list(_public_members(obj)) if inspect.isclass(obj) else [(name, obj)]
    for member_name, member in members:
        fn = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
        if not callable(fn) or isinstance(member, type):
            continue
        where = f"{name}.{member_name}"
        if member_name != "__init__" or obj is not pocketml.TensorInfo:
            assert inspect.getdoc(fn), f"{where} has no docstring"
        sig = inspect.signature(fn)
        unannotated = [p for p in list(sig.parameters)[1 if inspect.isclass(obj) else 0:]
                       if sig.parameters[p].annotation is inspect.Parameter.empty]
        assert not unannotated, f"{where}: parameters without a type: {unannotated}"
        if member_name != "__init__":
            assert sig.return_annotation is not inspect.Signature.empty, f"{where} has no return type"


# ---- threads ----------------------------------------------------------------------------------------
def test_threads_zero_means_all_cores(chain):
    with Session(chain[1], threads=0) as s:
        assert s.num_threads == runtime.cpu_count() >= 1
    if hasattr(os, "sched_getaffinity"):
        assert runtime.cpu_count() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("threads, error", [(-1, ValueError), (-8, ValueError), (1.5, TypeError),
                                            ("2", TypeError), (True, TypeError)])
def test_bad_thread_counts(chain, threads, error):
    with pytest.raises(error, match="threads must be"):
        Session(chain[1], threads=threads)


# ---- run: argument orders -----------------------------------------------------------------------------
def test_run_argument_orders_like_onnxruntime():
    ort = pytest.importorskip("onnxruntime")
    proto = two_output_onnx()
    oracle = ort.InferenceSession(proto.SerializeToString())
    feeds = {"x": np.random.default_rng(1).standard_normal((3, 6)).astype(np.float32)}
    with Session(pocketml.convert(proto)) as s:
        for names in (None, ["sig", "relu"], ["sig"], ("relu",)):
            want = oracle.run(None if names is None else list(names), feeds)
            got = s.run(names, feeds)  # onnxruntime's order: a list, in output_names' order
            assert isinstance(got, list) and len(got) == len(want)
            for g, w in zip(got, want):
                np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
        both = s.run(feeds)  # pocketml's order: a dict of every output
        assert list(both) == ["relu", "sig"]
        (sig,) = s.run("sig", feeds)  # a single name: that one output
        np.testing.assert_array_equal(sig, both["sig"])
        assert list(s.run(feeds, "sig")) == ["sig"]  # not split into 's', 'i', 'g'
        assert list(s.run(feeds, output_names=("sig", "relu"))) == ["sig", "relu"]


@pytest.mark.parametrize("args", [([np.zeros((3, 6), np.float32)],), (None,), (None, None), ("x", ["sig"]),
                                  ([1, 2], [3])])
def test_run_with_no_feeds_dict_says_the_order(args):
    with Session(pocketml.convert(two_output_onnx())) as s:
        with pytest.raises(InputError, match=r"^Session.run takes \(feeds, output_names=None\) with feeds a dict "
                                             r"\{input name: array\} \(or onnxruntime's order"):
            s.run(*args)


def test_run_unknown_output_name():
    feeds = {"x": np.zeros((1, 6), np.float32)}
    with Session(pocketml.convert(two_output_onnx())) as s:
        with pytest.raises(InputError, match=r"unknown output\(s\) \['nope'\]; the model's outputs are: relu, sig"):
            s.run(feeds, "nope")
        with pytest.raises(InputError, match=r"unknown output\(s\) \['s', 'i', 'g'\]"):
            s.run(feeds, list("sig"))


# ---- one TensorInfo type -------------------------------------------------------------------------------
def test_model_and_session_describe_tensors_alike(chain):
    model = pocketml.convert(two_output_onnx())
    with Session(model) as s:
        assert model.inputs == s.inputs and model.outputs == s.outputs
        for info in model.inputs + s.inputs + model.outputs + s.outputs:
            assert type(info) is pocketml.TensorInfo and isinstance(info.dtype, np.dtype)
        assert model.inputs[0] == pocketml.TensorInfo("x", np.dtype(np.float32), ("N", 6))
        name, dtype, shape = s.outputs[0]  # still unpacks like the (name, dtype, shape) tuples of before
        assert (name, dtype, shape) == ("relu", np.dtype(np.float32), ("N", 4))
        assert not s.inputs[0].is_static and s.inputs[0].nbytes is None
    loaded = pocketml.load(chain[1])
    with Session(chain[1]) as s:
        assert loaded.inputs == s.inputs and loaded.outputs == s.outputs
        assert s.inputs[0].is_static and s.inputs[0].nbytes == 4 * 8 * 4
    assert "input   x: float32['N', 6]" in model.summary().format()


# ---- source models given to Session ---------------------------------------------------------------------
def _assert_convert_first(source, kind, path_hint):
    with pytest.raises(ModelLoadError, match=rf"this is {kind} model, not a \.pml file; convert it first: "
                                             rf"model = pocketml\.convert\({path_hint}\)"):
        Session(source)


def test_onnx_and_tflite_files_say_convert_first(tmp_path):
    proto = two_output_onnx().SerializeToString()
    onnx_path = tmp_path / "model.onnx"
    onnx_path.write_bytes(proto)
    _assert_convert_first(onnx_path, "an ONNX", repr(str(onnx_path)).replace("\\", "\\\\"))
    _assert_convert_first(proto, "an ONNX", "path")
    unnamed = tmp_path / "model.bin"  # recognised by content, not by name
    unnamed.write_bytes(proto)
    _assert_convert_first(unnamed, "an ONNX", ".*model.bin'")
    tflite = b"\x1c\x00\x00\x00TFL3" + bytes(64)  # a FlatBuffer with the TFLite file identifier
    for name in ("model.tflite", "model.data"):
        (tmp_path / name).write_bytes(tflite)
        _assert_convert_first(tmp_path / name, "a TFLite", f".*{name}'")
    _assert_convert_first(tflite, "a TFLite", "path")
    with pytest.raises(ModelLoadError, match="not a .pml file: magic bytes"):  # anything else: the C message
        Session(b"garbage, not a model at all")
    with pytest.raises(ModelLoadError, match="cannot open model file .*No such file"):  # missing: whatever its name
        Session(tmp_path / "missing.onnx")
