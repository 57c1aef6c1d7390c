"""The int8 networks at two threads while other processes keep every core busy, next to LiteRT
(XNNPACK) and onnxruntime under the same load, in the same run.

    python bench/bench_int8_busy.py [--busy 2] [--network convnet|blazeface|all] [--seconds 2]
                                    [--rounds 5] [--markdown]

A phone running other apps, or a shared build machine, has more runnable threads than cores.
A thread pool that waits for a task whose thread the OS has set aside can lose a scheduler time
slice (milliseconds) per parallel kernel, so two threads run slower than one. This starts
``--busy`` processes that alternate 1 ms of work and 1 ms of sleep for the whole measurement
(default: two per core, so each core has one runnable besides the benchmark's), then times
pocketml int8 at one and two threads, LiteRT int8 with XNNPACK and (conv net) onnxruntime's QDQ
model at two threads, interleaved, and prints each median over pocketml int8 at two threads
(> 1: pocketml is faster). The networks and their models are bench_int8.py's.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_int8  # noqa: E402

from pocketml.benchmark import interleaved, litert_runner, markdown_table, onnxruntime_runner  # noqa: E402
import pocketml  # noqa: E402


def _bursts(stop) -> None:
    """Work ~1 ms, sleep ~1 ms, until stopped: like compilers, tests and apps that wake and sleep.
    The scheduler lets a thread that just woke preempt one that has been running (a pure spin
    loop would always be the one preempted, and would not show the effect)."""
    import time
    while not stop.is_set():
        end = time.perf_counter() + 1e-3
        while time.perf_counter() < end:
            pass
        time.sleep(1e-3)


def candidates(models: dict) -> dict:
    qpath, qfeeds = models["int8"]
    one = pocketml.Session(pocketml.convert(qpath), threads=1)
    two = pocketml.Session(pocketml.convert(qpath), threads=2)
    fns = {"pocketml int8, 2 threads": lambda: two.run(None, qfeeds),
           "pocketml int8, 1 thread": lambda: one.run(None, qfeeds),
           "LiteRT int8 XNNPACK, 2 threads": litert_runner(qpath, 2, qfeeds)}
    for form, path in models.get("onnx", {}).items():
        if form != "fp32":
            fns[f"onnxruntime QDQ {form}, 2 threads"] = onnxruntime_runner(path, 2, models["onnx_feeds"])
    return fns


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--busy", type=int, default=2 * (os.cpu_count() or 2),
                    help="processes that work and sleep in 1 ms bursts (default: two per core)")
    ap.add_argument("--network", choices=("convnet", "blazeface", "all"), default="all")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=2.0, help="timing per candidate")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp()
    networks = []
    if args.network in ("convnet", "all"):
        networks.append(("convnet", bench_int8.convnet_models(128, tmp)))
    if args.network in ("blazeface", "all"):
        networks.append(("blazeface", bench_int8.blazeface_models(tmp)))
    stop = multiprocessing.Event()
    spinners = [multiprocessing.Process(target=_bursts, args=(stop,), daemon=True) for _ in range(args.busy)]
    for p in spinners:
        p.start()
    rows = []
    try:
        for name, models in networks:
            fns = candidates(models)
            res = {k: v.stats()["median_ms"] for k, v in
                   interleaved(fns, rounds=args.rounds, min_seconds=args.seconds * len(fns)).items()}
            base = res["pocketml int8, 2 threads"]
            rows += [[name, args.busy, k, f"{ms:.2f}", f"{ms / base:.2f}"] for k, ms in res.items()]
    finally:
        stop.set()
        for p in spinners:
            p.join()
    header = ["network", "busy processes", "engine", "median ms", "time / pocketml int8 2 threads"]
    if args.markdown:
        print(markdown_table(header, rows))
    else:
        for r in rows:
            print(f"{r[0]:<10} busy={r[1]}  {r[2]:<34} {r[3]:>9} ms  x{r[4]}")


if __name__ == "__main__":
    main()
