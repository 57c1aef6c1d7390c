"""A dynamic-quantized transformer encoder (onnxruntime's quantize_dynamic: DynamicQuantizeLinear +
MatMulInteger, quantized embedding Gather) through the whole engine, next to its float32 original and
onnxruntime, in the same run.

    python bench/bench_int8_transformer.py [--model torchscript|dynamo] [--batch 1] [--seq 128]
                                           [--rounds 5] [--seconds 2] [--markdown]

The models are the committed fixtures tests/fixtures/quant/onnx/encoder_<model>_dynamic.onnx and
their float originals tests/fixtures/encoder_<model>.onnx (hidden 64, symbolic batch and sequence).
Timed, median ms of interleaved rounds, at one and two threads: pocketml fp32, pocketml int8,
onnxruntime int8 with default settings and with session.x64quantprecision=1 (its exact u8u8 mode).
Prints the ratios to pocketml int8 (> 1: pocketml int8 is faster).
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import pocketml  # noqa: E402
from pocketml.benchmark import interleaved, markdown_table, onnxruntime_runner  # noqa: E402

import host_probe  # noqa: E402 (bench/, the script's own directory)


def pocketml_runner(path: str, threads: int, feeds: dict):
    session = pocketml.Session(pocketml.convert(path), threads=threads)
    return lambda: session.run(feeds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="torchscript", choices=["torchscript", "dynamo"])
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    int8 = os.path.join(ROOT, "tests", "fixtures", "quant", "onnx", f"encoder_{args.model}_dynamic.onnx")
    fp32 = os.path.join(ROOT, "tests", "fixtures", f"encoder_{args.model}.onnx")
    rng = np.random.default_rng(0)
    feeds = {"input_ids": rng.integers(0, 1000, (args.batch, args.seq)).astype(np.int64),
             "attention_mask": np.ones((args.batch, args.seq), np.int64)}
    header = ["threads", "pocketml int8 ms", "pocketml fp32 ms", "ORT int8 ms", "ORT int8 exact ms",
              "fp32 / int8", "ORT / int8", "ORT exact / int8", "host CPUs"]
    rows = []
    for threads in (1, 2):
        fns = {"int8": pocketml_runner(int8, threads, feeds), "fp32": pocketml_runner(fp32, threads, feeds),
               "ort": onnxruntime_runner(int8, threads, feeds), "ort_exact": onnxruntime_runner(int8, threads, feeds, True)}
        timings, host = host_probe.around(
            threads, lambda: interleaved(fns, rounds=args.rounds, min_seconds=args.seconds * len(fns)))
        med = {k: t.median_ms for k, t in timings.items()}
        rows.append([threads] + [f"{med[k]:.3f}" for k in ("int8", "fp32", "ort", "ort_exact")] +
                    [f"{med[k] / med['int8']:.2f}" for k in ("fp32", "ort", "ort_exact")] + [host])
    print(f"encoder_{args.model}_dynamic, batch {args.batch}, seq {args.seq}")
    if args.markdown:
        print(markdown_table(header, rows))
    else:
        for row in rows:
            print("  ".join(f"{h}={v}" for h, v in zip(header, row)))


if __name__ == "__main__":
    main()
