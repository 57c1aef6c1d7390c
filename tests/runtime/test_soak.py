"""Soak: one session runs 10,000 times with input shapes changing at random among more shapes than
its plan cache holds (so plans are built, re-used and evicted all along), and its outputs are
checked against onnxruntime's on every run; resident memory (VmRSS) after a warm-up must equal
the one at the end within RSS_TOLERANCE, 1 MiB (a leak of 128 bytes per run over the 9,000 runs
after the warm-up would exceed it). Measured: 0 to 36 KiB over 10,000 runs for the CNN and the
loops; 0 to 580 KiB for the encoder, allocator noise that does not grow with the run count
(36 KiB over 30,000 runs). Models: a small CNN with symbolic batch, height and width (Pad, convolutions),
an exported attention encoder (symbolic batch and sequence), and control flow (a Loop over a
symbolic time axis; a Loop whose trip count depends on the data). The 10,000-run soak is marked
slow (3-6 s per model on a quiet 2-core machine, 6-18 s under load); a 1,000-run version runs in the quick suite."""
from __future__ import annotations

import os

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import pocketml
from tests.models.control_flow_builders import loop_rnn, loop_until_converged
from tests.runtime.memory_models import small_cnn

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")
RSS_TOLERANCE = 1 << 20  # bytes; the allocator's and Python's own noise stays far below
PLAN_CACHE = 3  # fewer than the shapes of every model below: plans keep being rebuilt


def rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _f32(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def _encoder_feeds(rng, b, s):
    mask = np.ones((b, s), np.int64)
    mask[-1, s // 2:] = 0
    return {"input_ids": rng.integers(0, 100, (b, s)).astype(np.int64), "attention_mask": mask}


# name: (model, one feed dict per shape); shapes chosen small so a run takes well under a millisecond
CASES = {
    "cnn": (small_cnn, lambda rng: [{"x": _f32(rng, n, 3, h, w)} for n, h, w in
                                    ((1, 8, 8), (2, 9, 11), (1, 5, 7), (3, 6, 6), (1, 12, 6), (2, 7, 7))]),
    "encoder": (lambda: onnx.load(os.path.join(FIXTURES, "encoder_dynamo.onnx")),
                lambda rng: [_encoder_feeds(rng, b, s) for b, s in ((1, 4), (2, 3), (1, 7), (2, 5), (1, 2))]),
    "loop_rnn": (loop_rnn, lambda rng: [{"x": _f32(rng, t, b, 4), "h0": _f32(rng, b, 8)} for t, b in
                                        ((3, 2), (1, 1), (5, 3), (2, 4), (4, 1))]),
    "loop_until_converged": (loop_until_converged, lambda rng: [{"x": _f32(rng, b, 5, scale=k)} for b, k in
                                                                ((2, 1.0), (1, 10.0), (3, 0.001), (4, 5.0))]),
}


def soak(name: str, runs: int, seed: int = 0) -> dict:
    """Runs CASES[name] `runs` times in one session; returns the measurements (asserting every output)."""
    build, make_feeds = CASES[name]
    model = build()
    rng = np.random.default_rng(seed)
    feeds = make_feeds(rng)
    oracle = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in oracle.get_outputs()]
    wanted = [oracle.run(None, f) for f in feeds]
    session = pocketml.Session(pocketml.convert(model), plan_cache_size=PLAN_CACHE)
    order = rng.integers(0, len(feeds), runs)
    warm = max(runs // 10, 2 * len(feeds))
    order[:len(feeds)] = np.arange(len(feeds))  # every shape during the warm-up
    rss_warm = 0
    for i, k in enumerate(order):
        got = session.run(feeds[k])
        for out, want in zip(names, wanted[k]):
            if not np.allclose(got[out], want, rtol=1e-3, atol=1e-4):
                np.testing.assert_allclose(got[out], want, rtol=1e-3, atol=1e-4, err_msg=f"{name} run {i}: {out}")
        if i + 1 == warm:
            rss_warm = rss_bytes()
    return {"runs": runs, "plans": session.plan_count, "rss_warm": rss_warm, "rss_end": rss_bytes()}


def _check(name: str, runs: int) -> None:
    r = soak(name, runs)
    assert r["plans"] > runs // 10, r  # plans were evicted and rebuilt all along, not cached once
    growth = r["rss_end"] - r["rss_warm"]
    assert growth <= RSS_TOLERANCE, f"{name}: resident memory grew by {growth} bytes over {runs} runs ({r})"


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_soak_10000_runs(name):
    _check(name, 10_000)


@pytest.mark.parametrize("name", ["cnn", "loop_until_converged"])
def test_soak_short(name):
    _check(name, 1_000)
