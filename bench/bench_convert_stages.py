"""Where converting an ONNX model spends its time: CPU time per stage, the least of N runs.

    python bench/bench_convert_stages.py [--models shufflenet squeezenet ...] [--runs 20] [--ort] [--markdown]

The stages of ``pocketml.convert(path).save(pml)``, called one after another as convert()
calls them: load (the source's SHA-256, parsing, the name checks), precheck, import (the
ONNX importer), passes (the optimization pipeline) and save (writing the .pml; the previous
run's file is deleted first, untimed). --models picks the onnx wheel's light_* models whose
names contain one of the words (all of them by default). Times are CPU time of this process
(time.process_time), the least of --runs runs with the garbage collector paused as convert()
pauses it: on a shared machine other processes stretch wall time, not CPU time. --ort adds
onnxruntime's session creation on the same file (bench_scaling's settings: one thread, all
graph optimisations), timed the same way (CPU time, least of --runs, runs alternated with the
conversions), and the ratio of the conversion's total to it.
"""
from __future__ import annotations

import argparse
import glob
import os
import sys
import tempfile
import time

from pocketml import passes, precheck
from pocketml._nogc import paused_gc
from pocketml.benchmark import markdown_table, onnxruntime_session
from pocketml.converters.onnx import import_onnx
from pocketml.converters.onnx.importer import load_model
from pocketml.dim_names import name_output_dims
from pocketml.model import Model

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_scaling import LIGHT_DIR  # noqa: E402

STAGES = ["load", "precheck", "import", "passes", "save"]


def stage_times(path: str, pml: str) -> list:
    """CPU seconds of each stage of one conversion, and their total."""
    if os.path.exists(pml):
        os.remove(pml)
    marks = [time.process_time()]
    with paused_gc():
        digest = {"source_sha256": precheck.file_sha256(path)}
        loaded = load_model(path)
        marks.append(time.process_time())
        precheck.onnx_precheck(loaded.proto, path, {}, loaded.node_fields, loaded.flat)
        marks.append(time.process_time())
        graph = import_onnx(loaded, input_shapes={})
        marks.append(time.process_time())
        graph = passes.optimize(graph, shapes_current=True)
        name_output_dims(graph, getattr(graph, "declared_output_dims", None))
        marks.append(time.process_time())
        Model(graph, {"source": path, "source_format": "onnx", **digest, "producer": "pocketml"}).save(pml)
        marks.append(time.process_time())
    return [b - a for a, b in zip(marks, marks[1:])] + [marks[-1] - marks[0]]


def _ort_cpu(path: str) -> float:
    """CPU seconds of one onnxruntime session creation on ``path`` (its release untimed)."""
    start = time.process_time()
    session = onnxruntime_session(path, 1)
    spent = time.process_time() - start
    del session
    return spent


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=[""], help="words in the light_* model names")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--markdown", action="store_true", help="print a markdown table for docs/benchmarks.md")
    ap.add_argument("--ort", action="store_true", help="time onnxruntime's session creation too (CPU time)")
    args = ap.parse_args(argv)
    paths = [p for p in sorted(glob.glob(os.path.join(LIGHT_DIR, "light_*.onnx")))
             if any(word in os.path.basename(p) for word in args.models)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            pml = os.path.join(tmp, "model.pml")
            best, ort = stage_times(path, pml), float("inf")
            for _ in range(args.runs - 1):
                best = [min(a, b) for a, b in zip(best, stage_times(path, pml))]
                if args.ort:
                    ort = min(ort, _ort_cpu(path))
            row = [os.path.basename(path)[len("light_"):-len(".onnx")]] + [f"{t * 1e3:.1f}" for t in best]
            rows.append(row + ([f"{ort * 1e3:.1f}", f"{best[-1] / ort:.2f}"] if args.ort else []))
    header = ["model"] + [f"{s} ms" for s in STAGES] + ["total ms"] + (["ort ms", "total/ort"] if args.ort else [])
    if args.markdown:
        print(markdown_table(header, rows))
    else:
        print("".join(f"{h:>14}" for h in header))
        for row in rows:
            print("".join(f"{c:>14}" for c in row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
