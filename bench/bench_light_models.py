"""Time pocketml against onnxruntime on the onnx wheel's light_* models.

    python bench/bench_light_models.py [--models resnet50 squeezenet ...] [--threads 1 2]
                                       [--seconds 5] [--markdown]

Both runtimes run the same model on the same random input in the same
process, interleaved in rounds (so drifting machine load hits both alike);
we print medians and the ratio pocketml/onnxruntime (lower is better for
pocketml; 1.0 = parity).
"""
from __future__ import annotations

import os
import sys
import tempfile

import onnx

import pocketml
from pocketml.benchmark import bench_arguments, interleaved, markdown_table, onnxruntime_session, random_feeds

LIGHT_DIR = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")
DEFAULT_MODELS = ["resnet50", "squeezenet", "shufflenet", "inception_v2", "densenet121"]


def main(argv=None) -> int:
    ap = bench_arguments(__doc__, DEFAULT_MODELS)
    args = ap.parse_args(argv)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            src = os.path.join(LIGHT_DIR, f"light_{name}.onnx")
            pml = os.path.join(tmp, f"{name}.pml")
            pocketml.convert(src).save(pml)
            for threads in args.threads:
                session = pocketml.Session(pml, threads=threads)
                feeds = random_feeds([(i.name, i.dtype, i.shape) for i in session.inputs])
                ort = onnxruntime_session(src, threads)
                ort_feeds = {i.name: feeds[i.name] for i in ort.get_inputs()}
                res = interleaved({"pocketml": lambda: session.run(feeds),
                                   "onnxruntime": lambda: ort.run(None, ort_feeds)},
                                  rounds=args.rounds, min_seconds=args.seconds)
                p, o = res["pocketml"].median_ms, res["onnxruntime"].median_ms
                rows.append((name, threads, p, o, p / o, session.arena_size))
                print(f"{name:<14} threads={threads}  pocketml {p:8.2f} ms  onnxruntime {o:8.2f} ms  "
                      f"ratio {p / o:5.2f}x  arena {session.arena_size / 2**20:6.1f} MiB", flush=True)
                session.close()
    if args.markdown:
        print("\n" + markdown_table(["model", "threads", "pocketml median (ms)", "onnxruntime median (ms)", "ratio",
                                     "arena (MiB)"],
                                    [[name, threads, f"{p:.2f}", f"{o:.2f}", f"{r:.2f}x", f"{arena / 2**20:.1f}"]
                                     for name, threads, p, o, r, arena in rows]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
