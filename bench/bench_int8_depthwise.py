"""Per-node times of the int8 depthwise convs of bench_int8.py's networks under two kernel
configurations in one process (alternating rounds of profiled runs, one thread): e.g. avx512vnni
(s8_dwconv__avx512vnni) against avx2 (s8_dwconv__avx2). Checks first that both give the same
outputs.

    python bench/bench_int8_depthwise.py [--network convnet|blazeface] [--rounds 5] [--isa avx2,avx512vnni]
"""
from __future__ import annotations

import argparse
import collections
import os
import statistics
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_int8 as b  # noqa: E402  (puts the repository root on sys.path)
import pocketml  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--network", default="blazeface", choices=["convnet", "blazeface"])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--isa", default="avx2,avx512vnni")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        models = b.convnet_tflite_models(128, tmp) if args.network == "convnet" else b.blazeface_models(tmp)
        path, feeds = models["int8"]
        converted = pocketml.convert(path)
    sessions = {isa: pocketml.Session(converted, threads=1, isa=isa) for isa in args.isa.split(",")}
    outs = [s.run(None, feeds) for s in sessions.values()]
    assert all(np.array_equal(a, o) for out in outs[1:] for a, o in zip(outs[0], out)), "the configurations differ"
    per_node = collections.defaultdict(lambda: collections.defaultdict(list))
    for _ in range(args.rounds):
        for isa, s in sessions.items():
            s.enable_profiling()
            for _ in range(100):
                s.run(None, feeds)
            for p in s.profile():
                if p.op == "Conv" and "DEPTHWISE" in p.name:
                    per_node[p.name][isa].append(p.mean_ms)
    print(f"{args.network}: medians of {args.rounds} rounds of 100 profiled runs, ms")
    print("node".ljust(28) + "".join(isa.rjust(12) for isa in sessions))
    for name, t in per_node.items():
        print(name.ljust(28) + "".join(f"{statistics.median(t[isa]):12.4f}" for isa in sessions))
    sums = {isa: sum(statistics.median(t[isa]) for t in per_node.values()) for isa in sessions}
    print("total".ljust(28) + "".join(f"{sums[isa]:12.4f}" for isa in sessions))


if __name__ == "__main__":
    main()
