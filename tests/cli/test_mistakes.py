"""Every user mistake of pocketml issue 11, one test each: one line on stderr saying what is
wrong and how to fix it, no traceback, exit code 2 for usage errors and 1 for failures."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import pocketml
import pocketml.cli
from tests.converters.tflite.tflite_builder import build_model

from .helpers import assert_mistake, relu_model, run_main, run_subprocess


@pytest.fixture(scope="module")
def relu(tmp_path_factory):
    """A converted model with the input data_0 [1, 4] and its ONNX source."""
    d = tmp_path_factory.mktemp("relu")
    src = relu_model(d / "relu.onnx")
    pocketml.convert(src).save(d / "relu.pml")
    return d / "relu.pml", src


def tflite_relu() -> bytes:
    return build_model([("RELU", ["x"], ["y"], None)], {"x": ("float32", (1, 4), None), "y": ("float32", (1, 4), None)},
                       ["x"], ["y"])


def test_directory_as_model(capsys, tmp_path):
    assert_mistake(run_main(capsys, "convert", tmp_path, "-o", tmp_path / "x.pml"), 2, "is a directory")
    assert_mistake(run_main(capsys, "info", tmp_path), 2, "is a directory")


def test_missing_model_file(capsys, tmp_path):
    assert_mistake(run_main(capsys, "run", tmp_path / "nope.pml", "--random"), 2, "no such file")


def test_directory_as_output(capsys, relu, tmp_path):
    assert_mistake(run_main(capsys, "convert", relu[1], "-o", tmp_path), 2, "is a directory", "give a file name")


def test_missing_output_directory_reported_before_converting(capsys, relu, tmp_path, monkeypatch):
    def no_conversion(*a, **k):
        raise AssertionError("converted before checking the output path")

    monkeypatch.setattr(pocketml, "convert", no_conversion)
    line = assert_mistake(run_main(capsys, "convert", relu[1], "-o", tmp_path / "no" / "such" / "x.pml"), 2,
                          "does not exist", "mkdir -p")
    assert "no/such" in line


def test_non_npy_input(capsys, relu, tmp_path):
    (tmp_path / "x.txt").write_text("1 2 3 4")
    assert_mistake(run_main(capsys, "run", relu[0], "--input", f"data_0={tmp_path / 'x.txt'}"), 2,
                   "not a .npy file", "numpy.save")


def test_unknown_input_name_lists_the_inputs(capsys, relu, tmp_path):
    np.save(tmp_path / "x.npy", np.ones((1, 4), np.float32))
    line = assert_mistake(run_main(capsys, "run", relu[0], "--input", f"data={tmp_path / 'x.npy'}"), 2,
                          "'data'", "data_0", "float32")
    assert "no data for" not in line


def test_wrong_dtype_of_input_file(capsys, relu, tmp_path):
    np.save(tmp_path / "x.npy", np.ones((1, 4), np.int64))
    assert_mistake(run_main(capsys, "run", relu[0], "--input", f"data_0={tmp_path / 'x.npy'}"), 2, "dtype int64")


def test_compare_onnxruntime_on_a_tflite_model_suggests_litert(capsys, tmp_path):
    (tmp_path / "m.tflite").write_bytes(tflite_relu())
    pocketml.convert(tmp_path / "m.tflite").save(tmp_path / "m.pml")
    assert_mistake(run_main(capsys, "bench", tmp_path / "m.pml", "--compare", "onnxruntime"), 2,
                   "converted from TFLite", "--compare litert")


def test_compare_without_the_runtime_installed_names_the_extra(capsys, relu, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now raises ImportError
    assert_mistake(run_main(capsys, "bench", relu[0], "--compare", "--seconds", "0.05", "--warmup", "0"), 1,
                   "onnxruntime", "pip install 'pocketml[bench]'")


def test_ctrl_c_exits_130_quietly(capsys, relu, monkeypatch):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(pocketml.cli, "_command", lambda name: interrupted)
    code, out, err = run_main(capsys, "info", relu[0])
    assert code == 130 and err.strip() == "" and "Traceback" not in out


def test_ctrl_c_in_a_real_process(relu):
    """SIGINT while bench runs: exit 130, nothing on stderr."""
    import signal
    import time

    proc = subprocess.Popen([sys.executable, "-m", "pocketml", "bench", str(relu[0]), "--seconds", "60"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err and err.strip() == ""


def test_broken_pipe_exits_quietly(relu):
    proc = subprocess.Popen([sys.executable, "-m", "pocketml", "info", str(relu[0])], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()  # like `| head` exiting before the output is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert err == "", err


def test_empty_onnx_is_an_empty_file(capsys, tmp_path):
    (tmp_path / "e.onnx").write_bytes(b"")
    line = assert_mistake(run_main(capsys, "convert", tmp_path / "e.onnx", "-o", tmp_path / "e.pml"), 2, "empty file")
    assert "opset" not in line


def test_tflite_named_onnx_converts_by_content(capsys, tmp_path):
    (tmp_path / "really_tflite.onnx").write_bytes(tflite_relu())
    code, out, err = run_main(capsys, "convert", tmp_path / "really_tflite.onnx", "-o", tmp_path / "m.pml")
    assert code == 0, err
    assert pocketml.load(str(tmp_path / "m.pml")).metadata["source_format"] == "tflite"


def test_garbage_file_is_a_clear_error(capsys, tmp_path):
    (tmp_path / "x.onnx").write_bytes(b"\xff\xfe not a model at all" * 10)
    assert_mistake(run_main(capsys, "convert", tmp_path / "x.onnx", "-o", tmp_path / "x.pml"), 1,
                   "not a readable ONNX model")


def test_every_unsupported_op_reported_at_once_as_a_table(capsys, tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])
    nodes = [helper.make_node("Bernoulli", ["x"], ["a"], name="b1"), helper.make_node("Relu", ["a"], ["b"]),
             helper.make_node("Bernoulli", ["b"], ["c"], name="b2"),
             helper.make_node("FancyOp", ["c"], ["y"], name="f", domain="com.example")]
    g = helper.make_graph(nodes, "g", [x], [y])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 15), helper.make_opsetid("com.example", 1)])
    onnx.save(m, tmp_path / "m.onnx")
    code, out, err = run_main(capsys, "convert", tmp_path / "m.onnx", "-o", tmp_path / "m.pml")
    assert code == 1 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert "3 node(s) use 2 unsupported op(s): Bernoulli, FancyOp" in lines[0] and "docs/ops.md" in lines[0]
    table = lines[1:]
    assert table[0].split() == ["node", "op", "domain", "opset"]
    assert [r.split() for r in table[1:]] == [["b1", "Bernoulli", "ai.onnx", "15"], ["b2", "Bernoulli", "ai.onnx", "15"],
                                              ["f", "FancyOp", "com.example", "1"]]
    assert "Relu" not in err and "Conv" not in err  # no list of every supported op


def test_every_unsupported_tflite_op_reported_at_once(capsys, tmp_path):
    t = {n: ("float32", (2, 3), None) for n in "xtuy"}
    ops = [("SVDF", ["x"], ["t"], {"_options": "SVDFOptions"}), ("RELU", ["t"], ["u"], None),
           ("RANK", ["u"], ["y"], {"_options": "RankOptions"})]
    (tmp_path / "m.tflite").write_bytes(build_model(ops, t, ["x"], ["y"]))
    code, out, err = run_main(capsys, "convert", tmp_path / "m.tflite", "-o", tmp_path / "m.pml")
    lines = err.strip().splitlines()
    assert code == 1 and "Traceback" not in err and len(lines) == 4, err
    assert lines[1].split() == ["operator", "op", "kind", "version"]
    assert lines[2].split()[:3] == ["operator", "0", "SVDF"]


@pytest.mark.parametrize("fmt", ["onnx", "tflite"])
def test_input_shape_with_an_unknown_name_lists_the_inputs(capsys, tmp_path, fmt):
    if fmt == "onnx":
        src = relu_model(tmp_path / "m.onnx", name="x", shape=("batch", 4))
    else:
        src = tmp_path / "m.tflite"
        src.write_bytes(tflite_relu())
    assert_mistake(run_main(capsys, "convert", src, "-o", tmp_path / "m.pml", "--input-shape", "data=2,4"), 2,
                   "['data']", "not inputs", "x [")


@pytest.mark.parametrize("dims", ["0,4", "-1,4", "2,x"])
def test_input_shape_dims_must_be_positive_integers(capsys, relu, tmp_path, dims):
    assert_mistake(run_main(capsys, "convert", relu[1], "-o", tmp_path / "m.pml", "--input-shape", f"data_0={dims}"),
                   2, "--input-shape")


def test_input_shape_rank_checked_for_tflite(capsys, tmp_path):
    (tmp_path / "m.tflite").write_bytes(tflite_relu())
    assert_mistake(run_main(capsys, "convert", tmp_path / "m.tflite", "-o", tmp_path / "m.pml", "--input-shape",
                            "x=1,2,2"), 2, "rank 3", "rank 2")


def test_info_refuses_a_source_model(capsys, relu):
    assert_mistake(run_main(capsys, "info", relu[1]), 2, "not a .pml file", "pocketml convert", "-o relu.pml")


def test_convert_a_pml_points_at_info(capsys, relu, tmp_path):
    assert_mistake(run_main(capsys, "convert", relu[0], "-o", tmp_path / "x.pml"), 2, "already a .pml", "info")


def test_bad_option_values_are_one_line(capsys, relu):
    for args in (["run", relu[0], "--threads", "0"], ["bench", relu[0], "--seconds", "-1"], ["frobnicate"]):
        code, out, err = run_main(capsys, *args)
        assert code == 2 and len(err.strip().splitlines()) == 1 and "--help" in err, err


def test_debug_shows_the_traceback(tmp_path):
    (tmp_path / "e.onnx").write_bytes(b"\xff\xfe not a model")
    quiet = run_subprocess("convert", tmp_path / "e.onnx", "-o", tmp_path / "e.pml")
    loud = run_subprocess("convert", tmp_path / "e.onnx", "-o", tmp_path / "e.pml", "--debug")
    assert quiet.returncode == 1 and "Traceback" not in quiet.stderr
    assert loud.returncode == 1 and "Traceback" in loud.stderr
