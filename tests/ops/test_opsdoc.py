"""docs/ops.md is generated from the installed onnx/tflite op lists, the importers' handler tables and
the registry (python -m pocketml.opsdoc); a stale copy fails here."""
from __future__ import annotations

from pocketml import opsdoc


def test_ops_doc_is_fresh():
    assert opsdoc.PATH.read_text() == opsdoc.render(), "docs/ops.md is stale: run python -m pocketml.opsdoc"


def test_ops_doc_names_supported_and_unsupported_ops():
    text = opsdoc.render()
    assert "| Conv | 1 | yes | conv |" in text
    assert "| ImageDecoder | 20 | no |  |" in text  # an op pocketml does not import is listed too
    assert "| CONV_2D | yes | conv |" in text
    assert "| Reshape | tensor | x: all 11; shape?: int32, int64 | y: all 11 | shape | quant_transparent |" in text
