"""`pocketml bench`: LiteRT-style statistics, --json, symbolic dims chosen with --dim/--shape
(a warning when one falls back to 1), --compare picking the source's runtime and checking
the source file by SHA-256, and the noise warning."""
from __future__ import annotations

import hashlib
import json

import pytest

import pocketml
from pocketml.benchmark import Timing, resolve_shapes

from .helpers import assert_mistake, relu_model, run_main

FAST = ("--seconds", "0.1", "--rounds", "2", "--warmup", "1")
STATS = ("init_ms", "first_ms", "mean_ms", "min_ms", "max_ms", "median_ms", "std_ms", "p5_ms", "p95_ms")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("bench")
    relu_model(d / "relu.onnx")
    pocketml.convert(d / "relu.onnx").save(d / "relu.pml")
    relu_model(d / "sym.onnx", name="x", shape=("batch", "sequence"))
    pocketml.convert(d / "sym.onnx").save(d / "sym.pml")
    relu_model(d / "other.onnx", op="Sigmoid")
    return d


def test_text_report_has_every_statistic(capsys, models):
    code, out, err = run_main(capsys, "bench", models / "relu.pml", *FAST)
    assert code == 0, err
    for col in ("init ms", "first ms", "mean ms", "min ms", "max ms", "median ms", "std ms", "p5 ms", "p95 ms", "runs"):
        assert col in out
    assert "pocketml" in out and "inputs: data_0 [1, 4]" in out


def test_json_report(capsys, models):
    code, out, err = run_main(capsys, "bench", models / "relu.pml", "--json", *FAST)
    assert code == 0, err
    report = json.loads(out)
    s = report["runtimes"]["pocketml"]
    assert set(STATS) <= set(s) and s["count"] > 0
    assert s["min_ms"] <= s["p5_ms"] <= s["median_ms"] <= s["p95_ms"] <= s["max_ms"]
    assert s["init_ms"] > 0 and s["first_ms"] > 0
    assert report["inputs"] == {"data_0": [1, 4]} and report["threads"] == 1 and report["arena_bytes"] >= 0


def test_compare_picks_onnxruntime_for_an_onnx_source(capsys, models):
    pytest.importorskip("onnxruntime")
    code, out, err = run_main(capsys, "bench", models / "relu.pml", "--compare", "--json", *FAST)
    assert code == 0, err
    report = json.loads(out)
    assert set(report["runtimes"]) == {"pocketml", "onnxruntime"} and report["ratio_median"]["onnxruntime"] > 0
    assert report["runtimes"]["onnxruntime"]["init_ms"] > 0


def test_compare_refuses_a_different_source_file(capsys, models):
    assert_mistake(run_main(capsys, "bench", models / "relu.pml", "--compare", "--source", models / "other.onnx"), 2,
                   "not the model", "SHA-256")


def test_onnx_option_is_checked_too(capsys, models):
    """--onnx, the old spelling of --source, once timed a different network without a word."""
    assert_mistake(run_main(capsys, "bench", models / "relu.pml", "--compare", "--onnx", models / "other.onnx"), 2,
                   "not the model")


def test_conversion_records_the_source_sha256(models):
    meta = pocketml.load(str(models / "relu.pml")).metadata
    assert meta["source_sha256"] == hashlib.sha256((models / "relu.onnx").read_bytes()).hexdigest()


def test_symbolic_dims_fall_back_to_1_with_a_warning(capsys, models):
    code, out, err = run_main(capsys, "bench", models / "sym.pml", "--json", *FAST)
    assert code == 0, err
    assert json.loads(out)["inputs"] == {"x": [1, 1]}
    assert "symbolic dim batch" in err and "symbolic dim sequence" in err and "--dim sequence=N" in err


def test_dim_and_shape_choose_symbolic_dims(capsys, models):
    code, out, err = run_main(capsys, "bench", models / "sym.pml", "--json", "--dim", "sequence=7", "--dim", "batch=2",
                              *FAST)
    assert code == 0 and json.loads(out)["inputs"] == {"x": [2, 7]} and "set to 1" not in err
    code, out, err = run_main(capsys, "bench", models / "sym.pml", "--json", "--shape", "x=3,5", *FAST)
    assert code == 0 and json.loads(out)["inputs"] == {"x": [3, 5]}


def test_unknown_dim_or_shape_name(capsys, models):
    assert_mistake(run_main(capsys, "bench", models / "sym.pml", "--dim", "seq=7"), 2, "'seq'", "batch, sequence")
    assert_mistake(run_main(capsys, "bench", models / "sym.pml", "--shape", "y=3,5"), 2, "'y'", "x [")
    assert_mistake(run_main(capsys, "bench", models / "relu.pml", "--shape", "data_0=2,4"), 2, "does not fit")


def test_resolve_shapes():
    shapes, warnings = resolve_shapes([("a", "float32", (1, "n", None)), ("b", "int64", ("n",))], {}, {"n": 5})
    assert shapes == [("a", "float32", (1, 5, 1)), ("b", "int64", (5,))]
    assert len(warnings) == 1 and "input a, axis 2" in warnings[0] and "--shape a=" in warnings[0]


def test_noise_warning():
    steady = Timing("pocketml", [0.010, 0.0101, 0.0099, 0.0100, 0.0102, 0.0100] * 5)
    assert steady.noise() is None
    noisy = Timing("pocketml", [0.010] * 20 + [0.030] * 5)
    assert "noisy" in noisy.noise()
    assert "only 2 timed runs" in Timing("x", [0.01, 0.01]).noise()
    s = steady.stats()
    assert s["count"] == 30 and s["init_ms"] is None and abs(s["median_ms"] - 10.0) < 0.1


def test_litert_compare_at_a_chosen_symbolic_dim(capsys, tmp_path):
    pytest.importorskip("ai_edge_litert.interpreter")
    from tests.converters.tflite.tflite_builder import build_model

    data = build_model([("RELU", ["x"], ["y"], None)],
                       {"x": ("float32", (-1, 4), None), "y": ("float32", (-1, 4), None)}, ["x"], ["y"])
    (tmp_path / "m.tflite").write_bytes(data)
    pocketml.convert(tmp_path / "m.tflite").save(tmp_path / "m.pml")
    code, out, err = run_main(capsys, "bench", tmp_path / "m.pml", "--compare", "--dim", "batch=3", "--json", *FAST)
    assert code == 0, err
    report = json.loads(out)
    assert report["inputs"] == {"x": [3, 4]} and set(report["runtimes"]) == {"pocketml", "litert"}
