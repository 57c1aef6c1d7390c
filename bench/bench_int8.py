"""An int8 conv-heavy network through the whole engine, next to its float32 twin and LiteRT, in
the same run.

    python bench/bench_int8.py [--size 128] [--rounds 5] [--seconds 2] [--markdown]

The network is MobileNet-v1-like and conv-only (a 3x3 stride-2 stem, then 13 depthwise 3x3 +
pointwise 1x1 pairs, ReLU6 fused; no ADD/MEAN so it needs only the ops the int8 Conv covers),
written twice with the same random weights: float32, and full-integer int8 (per-channel weights,
int32 bias, per-tensor activations). Timed, median ms of interleaved rounds, at one and two threads:
pocketml fp32, pocketml int8, LiteRT int8 with its builtin kernels (no delegate) and with its
default XNNPACK delegate. Prints the ratios to pocketml int8 (> 1: pocketml int8 is faster).
Builds the models with the test suite's TFLite writer (tests/converters/tflite/tflite_builder.py).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import pocketml  # noqa: E402
from pocketml.benchmark import interleaved, litert_runner, markdown_table  # noqa: E402
from tests.converters.tflite.tflite_builder import build_model  # noqa: E402
from tests.quant_oracles.litert import KERNELS  # noqa: E402

# (kind, stride, cout): the stem, then MobileNet v1's depthwise/pointwise pairs (width 1.0)
BLOCKS = [("conv", 2, 32)] + [pair for s, c in [(1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512)] +
                              [(1, 512)] * 5 + [(2, 1024), (1, 1024)]
                              for pair in (("dw", s, None), ("conv", 1, c))]


def network(size: int, quantized: bool, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    ops, tensors = [], {}
    act_q = {"scale": [0.05], "zero_point": [-128]}  # ReLU6 outputs: [0, 6] on [-128, 127] (scale ~ 6/255)
    h, c, x = size, 3, "x"
    tensors["x"] = ("int8" if quantized else "float32", (1, size, size, 3), None, None,
                    {"scale": [0.02], "zero_point": [0]} if quantized else None)
    for i, (kind, stride, cout) in enumerate(BLOCKS):
        cout = c if kind == "dw" else cout
        wshape = (1, 3, 3, c) if kind == "dw" else ((cout, 3, 3, c) if i == 0 else (cout, 1, 1, c))
        fan_in = 9 if kind == "dw" else int(np.prod(wshape[1:]))
        wf = rng.normal(0, (2.0 / fan_in) ** 0.5, wshape).astype(np.float32)
        bf = rng.normal(0, 0.1, cout).astype(np.float32)
        h = -(-h // stride)
        w, b, y = f"w{i}", f"b{i}", f"y{i}"
        axis = 3 if kind == "dw" else 0
        if quantized:
            in_scale = tensors[x][4]["scale"][0]
            ws = np.abs(wf).max(axis=tuple(d for d in range(4) if d != axis)) / 127 + 1e-8
            wq = np.clip(np.round(wf / ws.reshape([-1 if d == axis else 1 for d in range(4)])), -127, 127)
            tensors[w] = ("int8", wshape, wq.astype(np.int8), None,
                          {"scale": list(ws), "zero_point": [0] * cout, "quantized_dimension": axis})
            bs = np.float32(in_scale) * ws.astype(np.float32)
            tensors[b] = ("int32", (cout,), np.round(bf / bs).astype(np.int32), None,
                          {"scale": list(bs), "zero_point": [0] * cout, "quantized_dimension": 0})
            tensors[y] = ("int8", (1, h, h, cout), None, None, act_q)
        else:
            tensors[w] = ("float32", wshape, wf)
            tensors[b] = ("float32", (cout,), bf)
            tensors[y] = ("float32", (1, h, h, cout), None)
        opts = {"padding": "SAME", "stride_h": stride, "stride_w": stride, "fused_activation_function": "RELU6"}
        if kind == "dw":
            opts["depth_multiplier"] = 1
        ops.append(("DEPTHWISE_CONV_2D" if kind == "dw" else "CONV_2D", [x, w, b], [y], opts))
        x, c = y, cout
    return build_model(ops, tensors, ["x"], [x])


def litert_kernels_runner(path: str, threads: int, feeds: dict, kernels: str):
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=path, num_threads=threads, experimental_op_resolver_type=KERNELS[kernels])
    it.allocate_tensors()
    index, out = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
    x = next(iter(feeds.values()))

    def run():
        it.set_tensor(index, x)
        it.invoke()
        return it.get_tensor(out)
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=128, help="input height and width")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=2.0, help="timing per candidate and thread count")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp()
    paths = {}
    for name, q in (("float", False), ("int8", True)):
        paths[name] = os.path.join(tmp, f"{name}.tflite")
        with open(paths[name], "wb") as f:
            f.write(network(args.size, q))
    rng = np.random.default_rng(1)
    xf = rng.uniform(-1, 1, (1, args.size, args.size, 3)).astype(np.float32)
    xq = np.clip(np.round(xf / 0.02), -128, 127).astype(np.int8)
    mf, mq = pocketml.convert(paths["float"]), pocketml.convert(paths["int8"])
    rows = []
    for threads in (1, 2):
        sf, sq = pocketml.Session(mf, threads=threads), pocketml.Session(mq, threads=threads)
        ref = litert_kernels_runner(paths["int8"], threads, {"x": xq}, "reference")()
        diff = int(np.abs(sq.run(None, {"x": xq})[0].astype(int) - ref).max())
        fns = {"pocketml fp32": lambda: sf.run(None, {"x": xf}), "pocketml int8": lambda: sq.run(None, {"x": xq}),
               "LiteRT int8 builtin": litert_kernels_runner(paths["int8"], threads, {"x": xq}, "builtin"),
               "LiteRT int8 XNNPACK": litert_runner(paths["int8"], threads, {"x": xq})}
        res = {k: v.stats()["median_ms"] for k, v in
               interleaved(fns, rounds=args.rounds, min_seconds=args.seconds * len(fns)).items()}
        base = res["pocketml int8"]
        for k, ms in res.items():
            rows.append([threads, k, f"{ms:.2f}", f"{ms / base:.2f}"])
        print(f"threads={threads}: pocketml int8 vs LiteRT reference kernels: max {diff} LSB", file=sys.stderr)
    header = ["threads", "engine", "median ms", "time / pocketml int8"]
    if args.markdown:
        print(markdown_table(header, rows))
    else:
        for r in rows:
            print(f"{r[0]:>2} thr  {r[1]:<22} {r[2]:>9} ms  x{r[3]}")


if __name__ == "__main__":
    main()
