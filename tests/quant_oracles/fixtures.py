"""Access to the committed quantized fixtures: their manifests, inputs and recorded oracle outputs.

    entry = tflite_manifest()["conv_1x1_int8"]          # op, scheme, I/O dtypes/shapes/scales, ...
    inputs, outputs = tflite_data("conv_1x1_int8")      # {input name: array}, [LiteRT builtin outputs]
    path = TFLITE_DIR / entry["file"]
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

QUANT_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "quant"
TFLITE_DIR = QUANT_DIR / "tflite"
ONNX_DIR = QUANT_DIR / "onnx"


@lru_cache(maxsize=None)
def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


@lru_cache(maxsize=None)
def _data(folder: Path) -> dict:
    with np.load(folder / "data.npz") as npz:
        return {k: npz[k] for k in npz.files}


def tflite_manifest() -> dict:
    return _manifest(TFLITE_DIR)


def onnx_manifest() -> dict:
    return _manifest(ONNX_DIR)


def _split(folder: Path, model: str, output_kind: str, input_kind: str = "in") -> tuple:
    data = _data(folder)
    inputs = {k.split("/", 2)[2]: v for k, v in data.items() if k.startswith(f"{model}/{input_kind}/")}
    count = sum(1 for k in data if k.startswith(f"{model}/{output_kind}/"))
    return inputs, [data[f"{model}/{output_kind}/{k}"] for k in range(count)]


def tflite_data(model: str, kernels: str = "builtin", full_range: bool = False) -> tuple:
    """({input name: value}, [outputs of LiteRT's `kernels`: "builtin" (optimized kernels, no delegate) or
    "reference" (reference_ops)]). The inputs are the quantized calibration sample, or with
    full_range=True integers over the whole input type (models with integer inputs: the manifest
    entry has "full_range"). For kws_stream_int8 (builtin only) the input is the stack of frames fed
    one per invocation and the outputs are stacked per invocation."""
    output_kind = {"builtin": "out", "reference": "ref"}[kernels]
    if full_range:
        return _split(TFLITE_DIR, model, "full_" + output_kind, "full_in")
    return _split(TFLITE_DIR, model, output_kind)


def onnx_data(model: str, mode: str = "default") -> tuple:
    """({input name: value}, [onnxruntime outputs]) with default settings ("default"),
    session.x64quantprecision=1 ("exact") or graph optimizations off ("unfused": a QDQ graph run as
    written, not fused into QLinear kernels)."""
    return _split(ONNX_DIR, model, {"default": "out", "exact": "exact", "unfused": "unfused"}[mode])
