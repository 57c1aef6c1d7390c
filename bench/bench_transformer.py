"""Time pocketml against onnxruntime on the BERT-style encoder fixtures.

    python bench/bench_transformer.py [--models encoder_torchscript encoder_dynamo]
                                      [--shapes 1x128 8x32] [--threads 1 2]
                                      [--seconds 5] [--rounds 5] [--markdown]

The encoders are the committed real-exporter fixtures in tests/fixtures/
(see its README: 2 layers, hidden 64, 4 heads, exported by torch.onnx's
TorchScript and dynamo exporters with symbolic batch and sequence dims). Each
is converted once, symbolic dims kept; one pocketml Session per thread count
runs every shape (a shape change re-plans, it does not reload). Both
runtimes get the same token ids and attention mask (the second half of every
other sequence padded) in the same process, interleaved in rounds so drifting
machine load hits both alike; we print medians and the ratio
pocketml/onnxruntime (lower is better for pocketml; 1.0 = parity). The issue-3
target is a ratio of at most 1.5 at one thread, batch 1 x sequence 128.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

import pocketml
from pocketml.benchmark import bench_arguments, interleaved, markdown_table, onnxruntime_session

FIXTURE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "fixtures")
DEFAULT_MODELS = ["encoder_torchscript", "encoder_dynamo"]
VOCAB = 1000  # tests/fixtures/make_fixtures.py ENCODER["vocab"]


def encoder_feeds(batch: int, seq: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    mask = np.ones((batch, seq), dtype=np.int64)
    mask[1::2, seq // 2:] = 0
    return {"input_ids": rng.integers(0, VOCAB, size=(batch, seq), dtype=np.int64), "attention_mask": mask}


def parse_shape(text: str) -> tuple:
    try:
        batch, seq = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"shape must be BATCHxSEQ (e.g. 1x128), got {text!r}") from None
    return batch, seq


def convert_or_explain(path: str):
    """The fixture as a pocketml Model, or exit with what is still missing."""
    if not hasattr(pocketml.Session, "plan_count"):
        sys.exit(f"bench_transformer: {os.path.basename(path)} has symbolic batch/sequence dims and this pocketml "
                 "runtime has no dynamic shapes yet (Session.plan_count / pml_session_set_input_shape); "
                 "this benchmark runs once issue 3's dynamic shapes land")
    try:
        return pocketml.convert(path)
    except pocketml.ConversionError as e:  # an unsupported op, or a dim the converter cannot keep symbolic
        sys.exit(f"bench_transformer: cannot convert {os.path.basename(path)} yet: {e}")


def main(argv=None) -> int:
    ap = bench_arguments(__doc__, DEFAULT_MODELS, "fixture names in tests/fixtures")
    ap.add_argument("--shapes", nargs="+", type=parse_shape, default=[(1, 128), (8, 32)], metavar="BxS")
    args = ap.parse_args(argv)

    rows = []
    for name in args.models:
        src = os.path.join(FIXTURE_DIR, f"{name}.onnx")
        if not os.path.exists(src):
            sys.exit(f"bench_transformer: no fixture {src} (choose from {', '.join(DEFAULT_MODELS)})")
        model = convert_or_explain(src)
        for threads in args.threads:
            ort = onnxruntime_session(src, threads)
            with pocketml.Session(model, threads=threads) as session:
                for batch, seq in args.shapes:
                    feeds = encoder_feeds(batch, seq)
                    session.run(feeds)  # plan this shape outside the timing
                    res = interleaved({"pocketml": lambda: session.run(feeds),
                                       "onnxruntime": lambda: ort.run(None, feeds)},
                                      rounds=args.rounds, min_seconds=args.seconds)
                    p, o = res["pocketml"].median_ms, res["onnxruntime"].median_ms
                    rows.append((name, batch, seq, threads, p, o, p / o, session.arena_size))
                    print(f"{name:<20} {batch}x{seq:<4} threads={threads}  pocketml {p:8.3f} ms  "
                          f"onnxruntime {o:8.3f} ms  ratio {p / o:5.2f}x  arena {session.arena_size / 2**20:5.2f} MiB",
                          flush=True)
    if args.markdown:
        print("\n" + markdown_table(["model", "batch x seq", "threads", "pocketml median (ms)",
                                     "onnxruntime median (ms)", "ratio", "arena (MiB)"],
                                    [[name, f"{batch} x {seq}", threads, f"{p:.3f}", f"{o:.3f}", f"{r:.2f}x",
                                      f"{arena / 2**20:.2f}"] for name, batch, seq, threads, p, o, r, arena in rows]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
