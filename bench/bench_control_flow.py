"""Time pocketml's control flow against onnxruntime and LiteRT on the control-flow fixtures.

    python bench/bench_control_flow.py [--models vad gru loop_rnn] [--threads 1] [--seconds 3] [--markdown]

The models are the test suite's fixtures (tests/models/control_flow_builders.py, built in
memory, no download): a Silero-VAD-shaped ONNX model (an If on the sample rate choosing
between two front ends, nested Ifs, an LSTM) on one 512-sample chunk at 16 kHz, a TFLite GRU
text classifier whose WHILE loops over 32 time steps, and an ONNX Loop running an RNN cell
over 32 steps. Each runtime runs the same input in the same process, interleaved in rounds;
medians and the ratio pocketml / reference (lower is better; 1.0 = parity).
"""
from __future__ import annotations

import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # the tests package

import pocketml  # noqa: E402
from pocketml.benchmark import bench_arguments, interleaved, markdown_table, onnxruntime_session  # noqa: E402
from tests.models import control_flow_builders as cf  # noqa: E402


def _cases(tmp: str) -> dict:
    """name -> (source path, feeds, reference name)."""
    rng = np.random.default_rng(0)
    cases = {}
    vad = os.path.join(tmp, "vad.onnx")
    import onnx

    onnx.save(cf.silero_vad_like(), vad)
    cases["vad"] = (vad, {"input": rng.standard_normal((1, 512)).astype(np.float32),
                          "sr": np.array(16000, np.int64),
                          "state": np.zeros((2, 1, cf.VAD_HIDDEN), np.float32)}, "onnxruntime")
    gru = os.path.join(tmp, "gru.tflite")
    with open(gru, "wb") as f:
        f.write(cf.gru_text_classifier())
    cases["gru"] = (gru, {"tokens": rng.integers(1, cf.GRU_VOCAB, (1, 32)).astype(np.int32)}, "litert")
    rnn = os.path.join(tmp, "loop_rnn.onnx")
    model = cf.loop_rnn()
    onnx.save(model, rnn)
    feeds = {}
    for vi in model.graph.input:
        dims = [d.dim_value if d.HasField("dim_value") else {"time": 32}.get(d.dim_param, 1)
                for d in vi.type.tensor_type.shape.dim]
        kind = vi.type.tensor_type.elem_type
        feeds[vi.name] = rng.standard_normal(dims).astype(np.float32) if kind == 1 else np.array(32, np.int64)
    cases["loop_rnn"] = (rnn, feeds, "onnxruntime")
    return cases


def _litert_resized(path: str, threads: int, feeds: dict):
    """LiteRT with its inputs resized to the feeds' shapes (the GRU's batch and time are -1)."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=path, num_threads=threads)
    details = it.get_input_details()
    for d, x in zip(details, feeds.values()):
        it.resize_tensor_input(d["index"], list(x.shape))
    it.allocate_tensors()
    outs = [d["index"] for d in it.get_output_details()]

    def run():
        for d, x in zip(details, feeds.values()):
            it.set_tensor(d["index"], x)
        it.invoke()
        return [it.get_tensor(o) for o in outs]

    return run


def main(argv=None) -> int:
    ap = bench_arguments(__doc__, ["vad", "gru", "loop_rnn"])
    ap.set_defaults(threads=[1], seconds=3.0)
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = _cases(tmp)
        for name in args.models:
            src, feeds, ref = cases[name]
            for threads in args.threads:
                session = pocketml.Session(pocketml.convert(src), threads=threads)
                if ref == "onnxruntime":
                    ort = onnxruntime_session(src, threads)
                    reference = lambda: ort.run(None, feeds)  # noqa: E731
                else:
                    reference = _litert_resized(src, threads, feeds)
                res = interleaved({"pocketml": lambda: session.run(feeds), ref: reference},
                                  rounds=args.rounds, min_seconds=args.seconds)
                p, r = res["pocketml"].median_ms, res[ref].median_ms
                rows.append((name, threads, p, ref, r, p / r))
                print(f"{name:<9} threads={threads}  pocketml {p:8.3f} ms  {ref} {r:8.3f} ms  ratio {p / r:5.2f}x",
                      flush=True)
    if args.markdown:
        print("\n" + markdown_table(["model", "threads", "pocketml median (ms)", "reference median (ms)", "ratio"],
                                    [[name, threads, f"{p:.3f}", f"{r:.3f} ({ref})", f"{ratio:.2f}x"]
                                     for name, threads, p, ref, r, ratio in rows]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
