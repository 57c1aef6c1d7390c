"""Audio front ends next to onnxruntime: a log-mel spectrogram as keyword-spotting and
bird-sound models compute it in the graph (HannWindow -> STFT -> power -> MelWeightMatrix
MatMul -> Log), and a bare DFT, at frame lengths that take each FFT path (power of two,
mixed radix, a prime: Bluestein).

    python bench/bench_signal.py [--seconds 10] [--rounds 5] [--threads 1 2] [--markdown]

Each model is converted once; both engines run the same random input, interleaved in
--rounds rounds (so drifting load hits both alike); the table shows medians.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

import pocketml


def front_end(samples: int, frame: int, hop: int, mels: int = 40, rate: int = 16000):
    consts = {"fl": np.array(frame, np.int64), "step": np.array(hop, np.int64), "last": np.array([-1], np.int64),
              "mels": np.array(mels, np.int64), "rate": np.array(rate, np.int64), "lo": np.array(20.0, np.float32),
              "hi": np.array(rate / 2 - 200, np.float32), "eps": np.array(1e-6, np.float32)}
    nodes = [helper.make_node("HannWindow", ["fl"], ["win"]),
             helper.make_node("STFT", ["x", "step", "win"], ["spec"]),
             helper.make_node("ReduceSumSquare", ["spec", "last"], ["power"], keepdims=0),
             helper.make_node("MelWeightMatrix", ["mels", "fl", "rate", "lo", "hi"], ["mel"]),
             helper.make_node("MatMul", ["power", "mel"], ["melpow"]),
             helper.make_node("Add", ["melpow", "eps"], ["shifted"]),
             helper.make_node("Log", ["shifted"], ["y"])]
    return _model(nodes, [1, samples, 1], consts)


def dft(batch: int, n: int):
    return _model([helper.make_node("DFT", ["x"], ["y"], axis=1, onesided=1)], [batch, n, 1], {})


def _model(nodes, x_shape, consts):
    graph = helper.make_graph(nodes, "bench", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(v, k) for k, v in consts.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=9), x_shape


def _median_ms(fn, seconds: float) -> float:
    fn()
    times, end = [], time.perf_counter() + seconds
    while time.perf_counter() < end or len(times) < 3:
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10, help="time per engine and case, over all rounds")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    cases = [(f"log-mel 10 s, frame {f}, hop 160", front_end(160000, f, 160)) for f in (400, 512, 1009)]
    cases += [(f"DFT onesided 256 x {n}", dft(256, n)) for n in (512, 1000, 1009)]
    rows = []
    for name, (model, shape) in cases:
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        pml = pocketml.convert(model)
        for threads in args.threads:
            so = ort.SessionOptions()
            so.intra_op_num_threads = threads
            ref = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
            ours = pocketml.Session(pml, threads=threads)
            a, b = [], []
            for _ in range(args.rounds):
                a.append(_median_ms(lambda: ours.run({"x": x}), args.seconds / args.rounds / 2))
                b.append(_median_ms(lambda: ref.run(None, {"x": x}), args.seconds / args.rounds / 2))
            rows.append((name, threads, statistics.median(a), statistics.median(b)))
    if args.markdown:
        print("| case | threads | pocketml median (ms) | onnxruntime median (ms) | ratio |\n|---|---|---|---|---|")
        for name, t, a, b in rows:
            print(f"| {name} | {t} | {a:.2f} | {b:.2f} | {a / b:.2f}x |")
    else:
        for name, t, a, b in rows:
            print(f"{name:40s} threads {t}: pocketml {a:8.2f} ms  onnxruntime {b:8.2f} ms  ratio {a / b:.2f}x")


if __name__ == "__main__":
    main()
