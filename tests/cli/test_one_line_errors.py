"""Every subcommand answers a bad model file with one line on stderr, a non-zero exit code and no
traceback (the traceback only with --debug): missing, a directory, empty, text renamed .onnx,
truncated protobuf or FlatBuffer, a corrupted .pml, a file whose data breaks its own dims, and an
internal error of the converter. --max-fold-bytes takes 64M / 1G forms."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import pocketml
from pocketml.converters.onnx.context import HANDLERS
from tests.converters import crafted
from tests.converters.tflite.tflite_builder import build_model

from .helpers import assert_mistake, relu_model, run_main, run_subprocess

SUBCOMMANDS = {"convert": ["-o", "{dir}/out.pml"], "run": ["--random"], "bench": ["--seconds", "0.05"],
               "info": []}


def _tflite_bytes() -> bytes:
    return build_model([("RELU", ["x"], ["y"], None)], {"x": ("float32", (1, 4), None),
                                                        "y": ("float32", (1, 4), None)}, ["x"], ["y"])


def _short_initializer() -> bytes:
    w = numpy_helper.from_array(np.ones((4, 4), np.float32), "w")
    w.raw_data = w.raw_data[:10]
    model = crafted.onnx_model([helper.make_node("Add", ["x", "w"], ["y"], name="plus")],
                               [("x", TensorProto.FLOAT, [4, 4])])
    model.graph.initializer.append(w)
    return model.SerializeToString()


def _bad_file(d, kind: str):
    """Write one kind of bad model file into d; its path (absent for "missing")."""
    relu = d / "relu.onnx"
    relu_model(relu)
    writers = {
        "missing": ("missing.onnx", None),
        "empty": ("empty.onnx", b""),
        "text_renamed_onnx": ("notes.onnx", b"these are my notes, not a model\n"),
        "truncated_protobuf": ("cut.onnx", relu.read_bytes()[:40]),
        "truncated_flatbuffer": ("cut.tflite", _tflite_bytes()[:120]),
        "data_shorter_than_dims": ("short.onnx", _short_initializer()),
        "corrupted_pml": ("bad.pml", None),
    }
    name, data = writers.get(kind, (kind, None))
    path = d / name
    if kind == "directory":
        path.mkdir()
    elif kind == "corrupted_pml":
        pocketml.convert(relu).save(path)
        raw = bytearray(path.read_bytes())
        raw[len(raw) // 2] ^= 0xFF
        path.write_bytes(bytes(raw[:-8]))
    elif data is not None:
        path.write_bytes(data)
    return path


KINDS = ["missing", "directory", "empty", "text_renamed_onnx", "truncated_protobuf", "truncated_flatbuffer",
         "data_shorter_than_dims", "corrupted_pml"]


@pytest.mark.parametrize("command", list(SUBCOMMANDS))
@pytest.mark.parametrize("kind", KINDS)
def test_bad_model_file_is_one_line(capsys, tmp_path, command, kind):
    path = _bad_file(tmp_path, kind)
    extra = [a.format(dir=tmp_path) for a in SUBCOMMANDS[command]]
    code, out, err = run_main(capsys, command, path, *extra)
    assert code != 0
    assert_mistake((code, out, err), code)


def test_unreadable_file_is_one_line(capsys, tmp_path):
    path = tmp_path / "locked.onnx"
    relu_model(path)
    path.chmod(0)
    try:
        open(path, "rb").close()
        pytest.skip("running as a user who can read any file (root)")
    except PermissionError:
        pass
    for command, extra in SUBCOMMANDS.items():
        code, out, err = run_main(capsys, command, path, *[a.format(dir=tmp_path) for a in extra])
        assert_mistake((code, out, err), code, "ermission denied")


def test_internal_error_is_one_line_and_asks_for_a_report(capsys, tmp_path, monkeypatch):
    def broken(ctx, node):
        raise IndexError("list index out of range")

    monkeypatch.setitem(HANDLERS, "Relu", broken)
    src = relu_model(tmp_path / "relu.onnx")
    line = assert_mistake(run_main(capsys, "convert", src, "-o", tmp_path / "r.pml"), 1)
    assert line == (f"pocketml: error: internal error converting {src} at node 'Relu_0' (Relu, opset 13): "
                    "IndexError: list index out of range; please report")


def test_conversion_error_traceback_only_with_debug(tmp_path):
    """In a real process: one line without --debug, the traceback with it."""
    path = tmp_path / "short.onnx"
    path.write_bytes(_short_initializer())
    plain = run_subprocess("convert", path, "-o", tmp_path / "x.pml")
    assert plain.returncode == 1 and "Traceback" not in plain.stderr
    assert plain.stderr.strip().count("\n") == 0
    debug = run_subprocess("convert", path, "-o", tmp_path / "x.pml", "--debug")
    assert "Traceback" in debug.stderr and "ConversionError" in debug.stderr


@pytest.mark.parametrize("size,folded", [("1G", True), ("64M", True), ("100", False), ("0", False)])
def test_max_fold_bytes_accepts_size_forms(capsys, tmp_path, size, folded):
    model = crafted.onnx_model([helper.make_node("Expand", ["v", "s"], ["c"], name="fill"),
                                helper.make_node("Mul", ["x", "c"], ["y"], name="scale")],
                               [("x", TensorProto.FLOAT, [64])],
                               {"v": np.array([2.0], np.float32), "s": np.array([64], np.int64)})
    src = tmp_path / "m.onnx"
    onnx.save(model, src)
    code, out, err = run_main(capsys, "convert", src, "-o", tmp_path / "m.pml", "--max-fold-bytes", size)
    assert code == 0, err
    ops = {n.op for n in pocketml.load(tmp_path / "m.pml").graph.nodes}
    assert ("Expand" not in ops) == folded, ops


@pytest.mark.parametrize("size", ["lots", "-5", "12Q"])
def test_bad_max_fold_bytes_is_one_line(capsys, tmp_path, size):
    src = relu_model(tmp_path / "relu.onnx")
    assert_mistake(run_main(capsys, "convert", src, "-o", tmp_path / "r.pml", "--max-fold-bytes", size), 2,
                   "--max-fold-bytes", "64M")
