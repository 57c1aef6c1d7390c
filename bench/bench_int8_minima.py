"""Minima of N alternating Session.run calls, one thread: pocketml fp32 against int8 under the two
best kernel configurations (e.g. avx512vnni and avx2), on bench_int8.py's conv net (128x128) and
BlazeFace-like detector. Minima of alternating runs in one process are the least
load-sensitive number on a shared machine (docs/benchmarks.md).

    python bench/bench_int8_minima.py [N]      # N = 300 by default
"""
from __future__ import annotations

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_int8 as b  # noqa: E402  (puts the repository root on sys.path)
import pocketml  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    with tempfile.TemporaryDirectory() as tmp:
        for net, models in (("convnet", b.convnet_tflite_models(128, tmp)), ("blazeface", b.blazeface_models(tmp))):
            (fpath, ffeeds), (qpath, qfeeds) = models["float"], models["int8"]
            runs = {"fp32": (pocketml.Session(pocketml.convert(fpath), threads=1), ffeeds)}
            for isa in pocketml.available_isas()[:2]:
                runs[f"int8 {isa}"] = (pocketml.Session(pocketml.convert(qpath), threads=1, isa=isa), qfeeds)
            best = {k: float("inf") for k in runs}
            for _ in range(n):
                for k, (sess, feeds) in runs.items():
                    t = time.perf_counter()
                    sess.run(None, feeds)
                    best[k] = min(best[k], time.perf_counter() - t)
            print(net, " ".join(f"{k}={v * 1e3:.2f}ms" for k, v in best.items()),
                  " ".join(f"fp32/{k}={best['fp32'] / v:.2f}x" for k, v in best.items() if k != "fp32"))


if __name__ == "__main__":
    main()
