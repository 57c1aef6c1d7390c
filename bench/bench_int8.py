"""int8 networks through the whole engine, next to their float32 twins, LiteRT and onnxruntime,
in the same run.

    python bench/bench_int8.py [--network convnet|blazeface|all] [--size 128] [--rounds 5]
                               [--seconds 2] [--isa avx2] [--threads 1 2] [--only XNNPACK QDQ] [--markdown]

Networks (bench/int8_networks.py): "convnet", a conv-only MobileNet-v1-like net (3x3 stride-2
stem, 13 depthwise 3x3 + pointwise 1x1 pairs, ReLU6 fused), written as float32 and full-integer
int8 TFLite with the same random weights, and as float ONNX quantized by onnxruntime
(quantize_static, QDQ, per-channel int8 weights, int8 "s8s8" or uint8 "u8s8" activations);
"blazeface", a MediaPipe-class BlazeFace-like face detector (5x5 depthwise blaze blocks with
residual ADDs, MAX_POOL + PAD shortcuts), float32 and int8 from the test suite's TFLite
post-training quantizer (no ONNX form).

Timed, median ms of interleaved rounds, at one and two threads: pocketml fp32 and int8 (from the
TFLite models; int8 under the best kernel configuration, and under avx2's too where that is not
the best; --isa runs pocketml fp32 and int8 under that configuration instead, e.g. avx2 for
a CPU without AVX-512 VNNI), LiteRT int8 with its builtin kernels (no delegate) and its default XNNPACK delegate,
LiteRT fp32 with XNNPACK (how much int8 gains XNNPACK on the same network), and for the conv
net onnxruntime fp32 and the QDQ models, default and with session.x64quantprecision=1 (exact
u8u8 kernels instead of MLAS's vpmaddubsw/VNNI ones). Prints each time over pocketml int8's
(> 1: pocketml int8 is faster) and pocketml int8's distance to LiteRT's reference kernels.
At two or more threads the last column says where the host had put the CPUs, probed before
and after the timing (bench/host_probe.py): "shared L3" or "split L3" (every engine is slower
there, pocketml the most), "changed" when the state moved during the timing.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pocketml  # noqa: E402
from pocketml.benchmark import interleaved, litert_runner, markdown_table, onnxruntime_runner  # noqa: E402
from tests.quant_oracles.litert import KERNELS  # noqa: E402

import host_probe  # noqa: E402
import int8_networks as nets  # noqa: E402


def convnet_tflite_models(size: int, tmp: str) -> dict:
    """{"float"/"int8": (tflite path, feeds)}: the conv net's two TFLite files and their inputs."""
    xf = np.random.default_rng(1).uniform(-1, 1, (1, size, size, 3)).astype(np.float32)
    xq = np.clip(np.round(xf / nets.INPUT_SCALE), -128, 127).astype(np.int8)
    out = {}
    for name, q, x in (("float", False, xf), ("int8", True, xq)):
        path = os.path.join(tmp, f"convnet_{name}.tflite")
        with open(path, "wb") as f:
            f.write(nets.convnet_tflite(size, q))
        out[name] = (path, {"x": x})
    return out


def convnet_models(size: int, tmp: str) -> dict:
    """{"float"/"int8": (tflite path, feeds), "onnx": {form: path}, "onnx_feeds": feeds}."""
    out = convnet_tflite_models(size, tmp)
    import onnx

    fpath = os.path.join(tmp, "convnet_float.onnx")
    onnx.save(nets.convnet_onnx(size), fpath)
    out["onnx"] = {"fp32": fpath, **nets.quantize_onnx(fpath, tmp, size)}
    xf = out["float"][1]["x"]
    out["onnx_feeds"] = {"x": np.ascontiguousarray(xf.transpose(0, 3, 1, 2))}
    return out


def blazeface_models(tmp: str) -> dict:
    out = {}
    for name, q in (("float", False), ("int8", True)):
        model, feeds = nets.blazeface_tflite(q)
        path = os.path.join(tmp, f"blazeface_{name}.tflite")
        with open(path, "wb") as f:
            f.write(model)
        out[name] = (path, feeds)
    return out


def candidates(models: dict, threads: int, isa: str | None = None) -> dict:
    (fpath, ffeeds), (qpath, qfeeds) = models["float"], models["int8"]
    sf = pocketml.Session(pocketml.convert(fpath), threads=threads, isa=isa)
    sq = pocketml.Session(pocketml.convert(qpath), threads=threads, isa=isa)
    fns = {"pocketml fp32": lambda: sf.run(None, ffeeds), "pocketml int8": lambda: sq.run(None, qfeeds),
           "LiteRT int8 builtin": litert_runner(qpath, threads, qfeeds, KERNELS["builtin"]),
           "LiteRT int8 XNNPACK": litert_runner(qpath, threads, qfeeds),
           "LiteRT fp32 XNNPACK": litert_runner(fpath, threads, ffeeds)}  # what int8 gains XNNPACK
    best = isa or pocketml.available_isas()[0]
    if best != "avx2" and "avx2" in pocketml.available_isas():  # the best configuration next to avx2's
        sa = pocketml.Session(pocketml.convert(qpath), threads=threads, isa="avx2")
        fns["pocketml int8 (avx2)"] = lambda: sa.run(None, qfeeds)
    for form, path in models.get("onnx", {}).items():
        fns[f"onnxruntime {form}" if form == "fp32" else f"onnxruntime QDQ {form}"] = \
            onnxruntime_runner(path, threads, models["onnx_feeds"])
        if form != "fp32":
            fns[f"onnxruntime QDQ {form} exact"] = onnxruntime_runner(path, threads, models["onnx_feeds"], exact=True)
    return fns, sq


def bench(network: str, models: dict, args) -> list:
    rows = []
    qpath, qfeeds = models["int8"]
    ref = litert_runner(qpath, 1, qfeeds, KERNELS["reference"])()
    for threads in args.threads:
        fns, sq = candidates(models, threads, args.isa)
        if args.only:
            fns = {k: f for k, f in fns.items() if k == "pocketml int8" or any(w in k for w in args.only)}
        got = sq.run(None, qfeeds)
        diff = max(int(np.abs(a.astype(int) - b.astype(int)).max()) for a, b in zip(got, ref))
        print(f"{network} threads={threads}: pocketml int8 vs LiteRT reference kernels: max {diff} LSB",
              file=sys.stderr)
        timings, host = host_probe.around(
            threads, lambda: interleaved(fns, rounds=args.rounds, min_seconds=args.seconds * len(fns)))
        res = {k: v.stats()["median_ms"] for k, v in timings.items()}
        base = res["pocketml int8"]
        rows += [[network, threads, k, f"{ms:.2f}", f"{ms / base:.2f}", host] for k, ms in res.items()]
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--network", choices=("convnet", "blazeface", "all"), default="all")
    ap.add_argument("--size", type=int, default=128, help="the conv net's input height and width")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=2.0, help="timing per candidate and thread count")
    ap.add_argument("--isa", choices=pocketml.available_isas(), default=None,
                    help="pocketml's kernel configuration (default: the best this CPU runs)")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts to time (default: 1 2)")
    ap.add_argument("--only", nargs="+", metavar="WORDS", default=None,
                    help="time only the engines whose name contains one of these words (pocketml int8 always), "
                         "e.g. --only XNNPACK QDQ: a shorter run of the comparisons that matter")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp()
    rows = []
    if args.network in ("convnet", "all"):
        rows += bench("convnet", convnet_models(args.size, tmp), args)
    if args.network in ("blazeface", "all"):
        rows += bench("blazeface", blazeface_models(tmp), args)
    header = ["network", "threads", "engine", "median ms", "time / pocketml int8", "host CPUs"]
    if args.markdown:
        print(markdown_table(header, rows))
    else:
        for r in rows:
            print(f"{r[0]:<10} {r[1]:>2} thr  {r[2]:<30} {r[3]:>9} ms  x{r[4]:<6} {r[5]}")


if __name__ == "__main__":
    main()
