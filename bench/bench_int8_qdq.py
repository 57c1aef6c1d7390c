"""One ONNX int8 CNN, the same file in pocketml and onnxruntime: light_squeezenet with seeded random
weights, quantized by onnxruntime.quantization (QDQ s8s8 per channel and QOperator u8s8 per tensor),
in the same run.

    python bench/bench_int8_qdq.py [--models squeezenet ...] [--threads 1 2] [--seconds 2] [--markdown]

Rows, medians of interleaved rounds: pocketml on the quantized file (its QDQ folding pass puts the
int8 ops on the int8 kernels), pocketml with that pass removed (the same graph run as
DequantizeLinear -> float op -> QuantizeLinear, what it did before the pass), pocketml on the float
original, onnxruntime on the quantized file with its defaults and with session.x64quantprecision=1
("exact"), and onnxruntime on the float original. Also prints how far pocketml's int8 output is
from onnxruntime's default (max abs difference, and the output's range). The models are built by the test suite's
tests/quant_oracles/light_models.py (the onnx wheel's light_* graph, seeded weights, calibrated on
seeded inputs), as the acceptance tests build them.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import pocketml  # noqa: E402
from pocketml import passes  # noqa: E402
from pocketml.benchmark import bench_arguments, interleaved, markdown_table, onnxruntime_session  # noqa: E402
from tests.quant_oracles.light_models import quantize_light  # noqa: E402

import host_probe  # noqa: E402 (bench/, the script's own directory)

VARIANTS = ("qdq_s8s8_per_channel", "qop_u8s8_per_tensor")


def _convert(path: Path, fold_qdq: bool = True):
    """pocketml.convert(path), with the QDQ folding pass left out when fold_qdq is False."""
    saved = list(passes.PIPELINE)
    if not fold_qdq:
        passes.PIPELINE[:] = [p for p in saved if p[0] != "fold_qdq"]
    try:
        return pocketml.convert(path)
    finally:
        passes.PIPELINE[:] = saved


def main(argv=None) -> int:
    ap = bench_arguments(__doc__, ["squeezenet"], "light_* models to quantize and time")
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            paths = quantize_light(name, Path(tmp))
            feeds = paths["inputs"]
            for variant in VARIANTS:
                for threads in args.threads:
                    int8 = pocketml.Session(_convert(paths[variant]), threads=threads)
                    unfolded = pocketml.Session(_convert(paths[variant], fold_qdq=False), threads=threads)
                    fp32 = pocketml.Session(pocketml.convert(paths["float"]), threads=threads)
                    ort_default = onnxruntime_session(paths[variant], threads)
                    ort_exact = onnxruntime_session(paths[variant], threads, exact=True)
                    ort_fp32 = onnxruntime_session(paths["float"], threads)
                    got = next(iter(int8.run(feeds).values()))
                    want = ort_default.run(None, feeds)[0]
                    span = float(want.max() - want.min())
                    print(f"{name} {variant} threads={threads}: pocketml int8 vs onnxruntime: max abs diff "
                          f"{float(np.max(np.abs(got - want))):.3g} on a range of {span:.3g}", flush=True)
                    fns = {"pocketml int8": lambda: int8.run(feeds),
                           "pocketml, QDQ run as float": lambda: unfolded.run(feeds),
                           "pocketml fp32 original": lambda: fp32.run(feeds),
                           "onnxruntime int8": lambda: ort_default.run(None, feeds),
                           "onnxruntime int8 exact": lambda: ort_exact.run(None, feeds),
                           "onnxruntime fp32 original": lambda: ort_fp32.run(None, feeds)}
                    timings, host = host_probe.around(
                        threads, lambda: interleaved(fns, rounds=args.rounds, min_seconds=args.seconds))
                    base = timings["pocketml int8"].stats()["median_ms"]
                    for engine, timing in timings.items():
                        median = timing.stats()["median_ms"]
                        rows.append([name, variant, threads, engine, f"{median:.2f}", f"{median / base:.2f}", host])
    header = ["model", "quantization", "threads", "engine", "median ms", "time / pocketml int8", "host CPUs"]
    if args.markdown:
        print(markdown_table(header, rows))
    else:
        for row in rows:
            print("  ".join(str(c) for c in row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
