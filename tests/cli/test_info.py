"""`pocketml info` reads the file's header and graph section only: no session, no weights
read (shown on a file with a large constant by making Session and the checksum raise)."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import pocketml
import pocketml.cli.models
import pocketml.format.header
import pocketml.runtime

from .helpers import assert_mistake, relu_model, run_main


@pytest.fixture(scope="module")
def big_pml(tmp_path_factory):
    """x [batch, 2048] @ W [2048, 4096] (32 MiB of weights), then Relu (fused into the MatMul)."""
    d = tmp_path_factory.mktemp("info")
    w = numpy_helper.from_array(np.full((2048, 4096), 0.5, np.float32), "W")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2048])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4096])
    g = helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["t"]), helper.make_node("Relu", ["t"], ["y"])],
                          "g", [x], [y], initializer=[w])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), d / "big.onnx")
    pocketml.convert(d / "big.onnx").save(d / "big.pml")
    return d / "big.pml"


def test_info_creates_no_session_and_reads_no_weights(capsys, big_pml, monkeypatch):
    def forbidden(*a, **k):
        raise AssertionError("info must not create a session or read the weights")

    monkeypatch.setattr(pocketml.runtime, "Session", forbidden)
    monkeypatch.setattr(pocketml.runtime, "LoadedModel", forbidden)
    monkeypatch.setattr(pocketml.cli.models, "Session", forbidden)
    monkeypatch.setattr(pocketml.format.header, "checksum", forbidden)  # the CRC reads every weight byte
    code, out, err = run_main(capsys, "info", big_pml)
    assert code == 0, err
    assert "input       x: float32[batch, 2048]" in out and "output      y: float32[batch, 4096]" in out
    assert "8,388,608" in out and "32.0 MiB of weights" in out
    assert "planned at run time" in out and "symbolic dims: batch" in out
    assert "source_format" in out and "source_sha256" in out
    assert "ops by type:" in out and "MatMul" in out


def test_info_verify_reads_the_checksum(capsys, big_pml, tmp_path):
    data = bytearray(big_pml.read_bytes())
    data[-100] ^= 0xFF  # a weight byte: only the checksum notices
    (tmp_path / "bad.pml").write_bytes(bytes(data))
    code, out, err = run_main(capsys, "info", tmp_path / "bad.pml")
    assert code == 0 and "not verified" in out
    assert_mistake(run_main(capsys, "info", "--verify", tmp_path / "bad.pml"), 1, "checksum mismatch")


def test_info_on_a_truncated_file(capsys, big_pml, tmp_path):
    (tmp_path / "cut.pml").write_bytes(big_pml.read_bytes()[:1000])
    assert_mistake(run_main(capsys, "info", tmp_path / "cut.pml"), 1, "truncated")


def test_info_static_model(capsys, tmp_path):
    relu_model(tmp_path / "r.onnx")
    pocketml.convert(tmp_path / "r.onnx").save(tmp_path / "r.pml")
    code, out, err = run_main(capsys, "info", tmp_path / "r.pml")
    assert code == 0 and "data_0: float32[1, 4]" in out and "pocketml bench" in out
