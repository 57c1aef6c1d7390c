"""The pocketml CLI: convert prints a summary, info/run/bench work on the
result, and errors are clear one-liners with a non-zero exit code."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

SQUEEZENET = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light", "light_squeezenet.onnx")


def cli(*args, check=True):
    proc = subprocess.run([sys.executable, "-m", "pocketml.cli", *map(str, args)], capture_output=True, text=True)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def squeezenet_pml(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "sq.pml"
    proc = cli("convert", SQUEEZENET, "-o", out)
    assert "Conv" in proc.stdout and "parameters" in proc.stdout and "arena size" in proc.stdout
    return out


def test_help_teaches():
    out = cli("--help").stdout
    for word in ("convert", "info", "run", "bench", "example"):
        assert word in out
    assert "--input-shape" in cli("convert", "--help").stdout


def test_info(squeezenet_pml):
    out = cli("info", squeezenet_pml).stdout
    assert "source" in out and "ops by type" in out


def test_run_saves_outputs_matching_onnxruntime(squeezenet_pml, tmp_path):
    import onnxruntime as ort

    sess = ort.InferenceSession(SQUEEZENET, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    x = np.random.default_rng(1).random(inp.shape, dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    cli("run", squeezenet_pml, "--input", f"{inp.name}=" + str(tmp_path / "x.npy"), "-o", tmp_path / "out.npz")
    got = np.load(tmp_path / "out.npz")
    expected = sess.run(None, {inp.name: x})
    np.testing.assert_allclose(got[sess.get_outputs()[0].name], expected[0], rtol=1e-3, atol=1e-6)


def test_bench_compare(squeezenet_pml):
    out = cli("bench", squeezenet_pml, "--compare", "onnxruntime", "--seconds", "0.3", "--rounds", "2",
              "--warmup", "1").stdout
    assert "ratio pocketml/onnxruntime" in out


def test_convert_input_shape_fixes_symbolic_dims(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y])
    src = tmp_path / "sym.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), src)
    proc = cli("convert", src, "-o", tmp_path / "sym.pml", "--input-shape", "x=3,4")
    assert "[3, 4]" in proc.stdout


def test_unsupported_op_is_a_clear_error(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])
    # Bernoulli: random numbers, outside pocketml's scope for good (Det, then Unique, were the
    # example until each was added)
    g = helper.make_graph([helper.make_node("Bernoulli", ["x"], ["y"], name="my_bernoulli")], "g", [x], [y])
    src = tmp_path / "bernoulli.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 15)]), src)
    proc = cli("convert", src, "-o", tmp_path / "bernoulli.pml", check=False)
    assert proc.returncode == 1
    assert "my_bernoulli" in proc.stderr and "Bernoulli" in proc.stderr and "Traceback" not in proc.stderr


def test_corrupt_file_is_a_clear_error(squeezenet_pml, tmp_path):
    data = bytearray(squeezenet_pml.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad = tmp_path / "bad.pml"
    bad.write_bytes(bytes(data))
    proc = cli("run", bad, "--random", check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and "checksum" in proc.stderr.lower()


def test_symbolic_model_converts_and_runs_at_two_shapes(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y])
    src = tmp_path / "sym.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), src)
    summary = cli("convert", src, "-o", tmp_path / "sym.pml").stdout
    assert "planned per input shape (symbolic dims: batch)" in summary
    for batch in (1, 3):
        a = np.random.default_rng(batch).standard_normal((batch, 4)).astype(np.float32)
        np.save(tmp_path / "x.npy", a)
        cli("run", tmp_path / "sym.pml", "--input", "x=" + str(tmp_path / "x.npy"), "-o", tmp_path / "out.npz")
        np.testing.assert_array_equal(np.load(tmp_path / "out.npz")["y"], np.maximum(a, 0))
