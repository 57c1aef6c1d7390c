"""A model converted with its dims symbolic against the same model pinned, after the first plan.

    python bench/bench_symbolic.py [--runs 60] [--rounds 5]

For each model: one Session converted with symbolic input dims and one converted with
input_shapes pinning them to the benchmarked shape, run alternately in one process (one
thread); prints the median ms per run of each and their ratio (symbolic / pinned). Models:
the encoder fixture (tests/fixtures, batch x seq symbolic) at 8 x 32, and the OCR-detector-
and YOLO-head-shaped models of tests/models/test_symbolic_models.py (height and width
symbolic).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import onnx

import pocketml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from tests.models.test_symbolic_models import ocr_detector, yolo_head  # noqa: E402  (model builders)


def _median_ms(session, feeds, runs: int) -> float:
    session.run(feeds)  # the first plan
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        session.run(feeds)
        times.append(time.perf_counter() - t)
    return float(np.median(times)) * 1e3


def _cases():
    enc = os.path.join(ROOT, "tests", "fixtures", "encoder_torchscript.onnx")
    data = np.load(os.path.join(ROOT, "tests", "fixtures", "encoder_torchscript.npz"))
    feeds = {i.name: data[f"in/{i.name}/8x32"] for i in onnx.load(enc).graph.input}
    yield "encoder_torchscript 8 x 32", enc, feeds
    rng = np.random.default_rng(0)
    for name, make, shape in [("ocr_detector 1x3x64x96", ocr_detector, (1, 3, 64, 96)),
                              ("yolo_head 1x3x96x64", yolo_head, (1, 3, 96, 64))]:
        yield name, make(), {"x": rng.standard_normal(shape).astype(np.float32)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=60, help="timed runs per round")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds (the median of each is reported)")
    args = ap.parse_args()
    print("| model | symbolic ms | pinned ms | ratio |\n|---|---|---|---|")
    for name, src, feeds in _cases():
        symbolic = pocketml.Session(pocketml.convert(src))
        pinned = pocketml.Session(pocketml.convert(src, input_shapes={k: v.shape for k, v in feeds.items()}))
        a, b = [], []
        for _ in range(args.rounds):
            a.append(_median_ms(symbolic, feeds, args.runs))
            b.append(_median_ms(pinned, feeds, args.runs))
        print(f"| {name} | {np.median(a):.3f} | {np.median(b):.3f} | {np.median(a) / np.median(b):.2f} |")


if __name__ == "__main__":
    main()
