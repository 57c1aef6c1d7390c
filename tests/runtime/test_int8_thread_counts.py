"""int8 networks and conv fixtures on 1 to 4 threads: the thread pool cuts every conv, depthwise
conv and GEMM into tasks differently at each thread count (M blocks, N panel blocks, output
rows), and a thread takes whatever tasks it claims, so a wrong split, a task run twice or
skipped, or per-thread scratch shared between two tasks shows up as outputs that differ between
thread counts. Each output must be bit-identical to the one-thread run and within one
quantization step of LiteRT's reference kernels (the independent oracle).

The networks are the benchmark's (bench/int8_networks.py): the MobileNet-v1-like conv net at
sizes whose layers split unevenly (down to 2x2 and 1x1 maps, odd row counts), and the
BlazeFace-like net (5x5 depthwise, residual ADDs, MAX_POOL + PAD)."""
from __future__ import annotations

import numpy as np
import pytest

import pocketml
from bench import int8_networks as nets
from tests.quant_oracles.fixtures import TFLITE_DIR, tflite_data, tflite_manifest
from tests.quant_oracles.litert import run_litert

THREADS = (2, 3, 4)
MANIFEST = tflite_manifest()
CONV_FIXTURES = sorted(k for k, e in MANIFEST.items()
                       if e["op"] in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")
                       and e["scheme"] != "dynamic" and not k.endswith("int16x8"))


def _lsb(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.max(np.abs(a.astype(np.int64) - b.astype(np.int64)))) if a.size else 0


def _outputs(model, feeds: dict, threads: int) -> list:
    session = pocketml.Session(pocketml.convert(model), threads=threads)
    return session.run(None, feeds)


def _convnet(size: int):
    x = np.random.default_rng(size).uniform(-1, 1, (1, size, size, 3)).astype(np.float32)
    return nets.convnet_tflite(size, True), {"x": np.clip(np.round(x / nets.INPUT_SCALE), -128, 127).astype(np.int8)}


def _check_networks(model: bytes, feeds: dict, tmp_path) -> None:
    path = tmp_path / "m.tflite"
    path.write_bytes(model)
    one = _outputs(str(path), feeds, 1)
    reference = run_litert(model, feeds, "reference")
    for got, want in zip(one, reference, strict=True):
        assert got.dtype == want.dtype and _lsb(got, want) <= 1
    for threads in THREADS:
        for got, want in zip(_outputs(str(path), feeds, threads), one, strict=True):
            np.testing.assert_array_equal(got, want, err_msg=f"threads={threads}")


def test_the_conv_fixtures_are_found():
    assert len(CONV_FIXTURES) >= 8, CONV_FIXTURES


@pytest.mark.parametrize("size", [128, 37, 18])
def test_convnet_int8_same_on_every_thread_count(size, tmp_path):
    _check_networks(*_convnet(size), tmp_path)


def test_blazeface_int8_same_on_every_thread_count(tmp_path):
    model, feeds = nets.blazeface_tflite(True)
    _check_networks(model, feeds, tmp_path)


@pytest.mark.parametrize("name", CONV_FIXTURES)
def test_conv_fixture_same_on_every_thread_count(name):
    path = str(TFLITE_DIR / MANIFEST[name]["file"])
    inputs, recorded = tflite_data(name)
    order = [io["name"] for io in MANIFEST[name]["inputs"]]
    session = pocketml.Session(pocketml.convert(path), threads=1)
    feeds = {i.name: inputs[n] for i, n in zip(session.inputs, order, strict=True)}
    one = session.run(None, feeds)
    for got, want in zip(one, recorded, strict=True):
        if want.dtype != np.float32:
            assert _lsb(got, want) <= 1
    for threads in THREADS:
        for got, want in zip(_outputs(path, feeds, threads), one, strict=True):
            np.testing.assert_array_equal(got, want, err_msg=f"threads={threads}")


def test_a_pool_that_does_not_spin_gives_the_same_outputs(tmp_path):
    """allow_spinning=False: the idle workers sleep at once, so each parallel kernel wakes them
    through the condition variable; the outputs are the one-thread run's, bit for bit."""
    model, feeds = _convnet(37)
    path = tmp_path / "m.tflite"
    path.write_bytes(model)
    one = _outputs(str(path), feeds, 1)
    session = pocketml.Session(pocketml.convert(str(path)), threads=3, allow_spinning=False)
    for _ in range(3):
        for got, want in zip(session.run(None, feeds), one, strict=True):
            np.testing.assert_array_equal(got, want)
