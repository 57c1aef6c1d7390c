"""A/B of pocketml builds or settings on an int8 network at a given thread count, each timing in
a fresh process, alternating, medians binned by where the host had put the CPUs.

    python bench/bench_int8_ab.py [--seconds 120] [--network convnet|blazeface] [--threads 2]
                                  [--each 0.6] [--fp32] NAME:ENV=VALUE[,ENV=VALUE] ...

e.g. two libraries built with the same flags:
    python bench/bench_int8_ab.py main:POCKETML_LIBRARY=/tmp/a.so new:POCKETML_LIBRARY=/tmp/b.so
or pocketml against LiteRT int8 with XNNPACK (the candidate whose environment sets
BENCH_ENGINE=xnnpack runs the LiteRT interpreter on the same .tflite instead):
    python bench/bench_int8_ab.py pocketml: xnnpack:BENCH_ENGINE=xnnpack
or, on the ONNX squeezenets and the encoder, against onnxruntime (BENCH_ENGINE=onnxruntime):
    python bench/bench_int8_ab.py --network squeezenet-qop pocketml: ort:BENCH_ENGINE=onnxruntime

A process per timing, so settings read once per process (environment switches, the library
POCKETML_LIBRARY loads) can differ between candidates. Each timing is bracketed by two probes of
the cross-core round trip (bench/host_probe.py) and kept only when both name the same placement:
two-thread times differ by 10-25% between "shared L3" and "split L3", so a median over both says
little. Prints, per placement, each candidate's median ms and how many timings it had.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import host_probe

HERE = os.path.dirname(os.path.abspath(__file__))

# One timing, in the child: the median ms per run of the network for `seconds`.
CHILD = """
import os, sys, tempfile, time, statistics
import numpy as np
sys.path[:0] = [{here!r}, os.path.dirname({here!r})]
import int8_networks as nets, pocketml
net, threads, seconds, quantized = {net!r}, {threads}, {seconds}, {quantized}
engine = os.environ.get("BENCH_ENGINE", "pocketml")
if net.startswith("squeezenet") or net == "encoder":  # ONNX files
    if net == "encoder":  # bench_int8_transformer.py's: the dynamic-quantized encoder fixture
        path = os.path.join(os.path.dirname({here!r}), "tests", "fixtures", "quant", "onnx",
                            "encoder_torchscript_dynamic.onnx")
        rng = np.random.default_rng(0)
        feeds = {{"input_ids": rng.integers(0, 1000, (1, 128)).astype(np.int64),
                 "attention_mask": np.ones((1, 128), np.int64)}}
    else:  # light_squeezenet quantized by onnxruntime.quantization
        from pathlib import Path
        from tests.quant_oracles.light_models import quantize_light
        paths = quantize_light("squeezenet", Path(tempfile.mkdtemp()))
        feeds = paths["inputs"]
        path = str(paths[{{"squeezenet-qdq": "qdq_s8s8_per_channel", "squeezenet-qop": "qop_u8s8_per_tensor"}}[net]])
    if engine == "onnxruntime":  # the anchor for ONNX files
        from pocketml.benchmark import onnxruntime_session
        ort = onnxruntime_session(path, threads)
        run = lambda: ort.run(None, feeds)
    else:
        s = pocketml.Session(pocketml.convert(path), threads=threads)
        run = lambda: s.run(feeds)
    model = None
elif net == "convnet":
    model = nets.convnet_tflite(128, quantized)
    x = np.random.default_rng(1).uniform(-1, 1, (1, 128, 128, 3))
    feeds = {{"x": np.clip(np.round(x / nets.INPUT_SCALE), -128, 127).astype(np.int8) if quantized
             else x.astype(np.float32)}}
else:
    model, feeds = nets.blazeface_tflite(quantized)
if model is not None:
    path = os.path.join(tempfile.mkdtemp(), "m.tflite")
    open(path, "wb").write(model)
    if engine == "xnnpack":  # the anchor, LiteRT's default XNNPACK setup
        from pocketml.benchmark import litert_runner
        run = litert_runner(path, threads, feeds)
    else:
        s = pocketml.Session(pocketml.convert(path), threads=threads)
        run = lambda: s.run(None, feeds)
for _ in range(20):
    run()
ts, end = [], time.perf_counter() + seconds
while time.perf_counter() < end:
    t0 = time.perf_counter(); run(); ts.append(time.perf_counter() - t0)
print(statistics.median(ts) * 1e3)
"""


def parse_candidate(spec: str) -> tuple[str, dict]:
    name, _, envs = spec.partition(":")
    pairs = [kv.split("=", 1) for kv in envs.split(",") if kv]
    if not name or any(len(p) != 2 for p in pairs):
        raise SystemExit(f"bench_int8_ab: bad candidate {spec!r}; expected NAME:ENV=VALUE[,ENV=VALUE]")
    return name, dict(pairs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("candidates", nargs="+", metavar="NAME:ENV=VALUE[,ENV=VALUE]")
    ap.add_argument("--seconds", type=float, default=120.0, help="total time to keep alternating")
    ap.add_argument("--network", choices=("convnet", "blazeface", "squeezenet-qdq", "squeezenet-qop", "encoder"),
                    default="convnet", help="the squeezenets: the ONNX files of bench_int8_qdq.py; encoder: "
                    "bench_int8_transformer.py's (batch 1, seq 128)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--each", type=float, default=0.6, help="seconds of runs per timing")
    ap.add_argument("--fp32", action="store_true", help="the float32 twin of the network instead of int8")
    args = ap.parse_args()
    cands = [parse_candidate(c) for c in args.candidates]
    if host_probe.cross_core_ns() is None:
        raise SystemExit("bench_int8_ab: the cross-core probe needs a C compiler and two CPUs")
    code = CHILD.format(here=HERE, net=args.network, threads=args.threads, seconds=args.each,
                        quantized=not args.fp32)
    kept: dict[tuple[str, str], list[float]] = {}
    end = time.time() + args.seconds
    while time.time() < end:
        for name, env in cands:
            before = host_probe.placement(host_probe.cross_core_ns())
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 env={**os.environ, **env})
            after = host_probe.placement(host_probe.cross_core_ns())
            if out.returncode != 0:
                raise SystemExit(f"bench_int8_ab: candidate {name} failed:\n{out.stderr}")
            if before == after:
                kept.setdefault((before, name), []).append(float(out.stdout))
    for state in ("shared L3", "split L3"):
        cells = [f"{n}={statistics.median(kept[(state, n)]):.3f} ({len(kept[(state, n)])})"
                 for n, _ in cands if (state, n) in kept]
        if cells:
            print(f"{args.network}{' fp32' if args.fp32 else ''} {args.threads} threads, {state}: " + "  ".join(cells))


if __name__ == "__main__":
    main()
