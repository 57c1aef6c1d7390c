"""The int8 residual Add fused into its Conv (passes/fuse_conv_residual_q8.py) against the same
network with Conv and Add as separate nodes: one library, one process, alternating rounds.

    python bench/bench_int8_residual.py [--rounds 40] [--runs 20] [--threads 1] [--isa avx512vnni]

The BlazeFace-like int8 detector of bench/int8_networks.py (16 residual ADDs, each after a blaze
block's pointwise conv) converted twice, with and without the quantized fusion. Prints the median
and minimum of CPU time (process time) per run over the rounds, which a shared machine's
preemption disturbs less than wall time, the wall-time minimum, and checks that both give the
same bytes.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import pocketml  # noqa: E402
import pocketml.passes.fuse_conv_residual  # noqa: E402,F401 (the module: its fuse_q8_add is switched off)

import int8_networks as nets  # noqa: E402

FUSION = sys.modules["pocketml.passes.fuse_conv_residual"]


def sessions(path: str, threads: int, isa) -> dict:
    real = FUSION.fuse_q8_add
    out = {}
    try:
        for name, fn in (("fused", real), ("unfused", lambda *args: False)):
            FUSION.fuse_q8_add = fn
            out[name] = pocketml.Session(pocketml.convert(path), threads=threads, **({"isa": isa} if isa else {}))
    finally:
        FUSION.fuse_q8_add = real
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--runs", type=int, default=20, help="runs per round and variant")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--isa", default=None, help="kernel configuration (default: the best)")
    args = ap.parse_args()
    model, feeds = nets.blazeface_tflite(quantized=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "blazeface_int8.tflite")
        with open(path, "wb") as f:
            f.write(model)
        s = sessions(path, args.threads, args.isa)
    outs = {k: sess.run(None, feeds) for k, sess in s.items()}
    same = all(np.array_equal(a, b) for a, b in zip(outs["fused"], outs["unfused"], strict=True))
    cpu = {k: [] for k in s}
    wall = {k: [] for k in s}
    for _ in range(args.rounds):
        for k, sess in s.items():
            w0, c0 = time.perf_counter(), time.process_time()
            for _ in range(args.runs):
                sess.run(None, feeds)
            cpu[k].append((time.process_time() - c0) / args.runs * 1e3)
            wall[k].append((time.perf_counter() - w0) / args.runs * 1e3)
    print(f"BlazeFace-like int8, {args.threads} thread(s), {args.isa or pocketml.available_isas()[0]}; "
          f"identical outputs: {same}")
    for k in s:
        print(f"  {k:8s} CPU ms/run median {statistics.median(cpu[k]):.3f} min {min(cpu[k]):.3f}; "
              f"wall min {min(wall[k]):.3f}")


if __name__ == "__main__":
    main()
