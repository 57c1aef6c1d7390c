"""Latency measurement shared by `pocketml bench` and the scripts in bench/.

Times are wall-clock per call; we report medians (this machine is shared and
noisy) and, when comparing, the ratio pocketml / other runtime measured in the
same process, interleaved in rounds so drifting load hits both sides alike.
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from typing import Callable, Optional

import numpy as np


@dataclasses.dataclass
class Timing:
    name: str
    times: list  # seconds

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times) * 1e3

    @property
    def min_ms(self) -> float:
        return min(self.times) * 1e3


def random_feeds(inputs, seed: int = 0) -> dict:
    """Random inputs for [(name, dtype, shape)] (floats in [0,1), ints small)."""
    rng = np.random.default_rng(seed)
    feeds = {}
    for name, dtype, shape in inputs:
        dt = np.dtype(dtype)
        shape = tuple(int(d) if isinstance(d, (int, np.integer)) and d >= 0 else 1 for d in shape)
        if dt.kind == "f":
            feeds[name] = rng.random(shape, dtype=np.float32).astype(dt)
        elif dt.kind == "b":
            feeds[name] = rng.random(shape) < 0.5
        else:
            feeds[name] = rng.integers(0, 4, size=shape).astype(dt)
    return feeds


def interleaved(fns: dict, warmup: int = 2, rounds: int = 5, min_seconds: float = 1.0,
                progress: Optional[Callable[[str], None]] = None) -> dict:
    """Time several callables in alternating rounds; returns name -> Timing."""
    for name, fn in fns.items():
        for _ in range(warmup):
            fn()
    results = {name: Timing(name, []) for name in fns}
    per_round = min_seconds / max(rounds, 1)
    for r in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            while True:
                t0 = time.perf_counter()
                fn()
                results[name].times.append(time.perf_counter() - t0)
                if time.perf_counter() - start >= per_round:
                    break
        if progress:
            progress(f"round {r + 1}/{rounds}")
    return results


def onnxruntime_session(onnx_path: str, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(onnx_path, opts, providers=["CPUExecutionProvider"])


def litert_runner(tflite_path: str, threads: int, feeds: dict):
    """A no-argument function running the LiteRT interpreter (ai_edge_litert, its default
    XNNPACK CPU setup) on ``feeds`` (matched by input name, else by position)."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=tflite_path, num_threads=threads)
    it.allocate_tensors()
    details = it.get_input_details()
    values = list(feeds.values())
    ins = [(d["index"], feeds.get(d["name"], values[k] if k < len(values) else None)) for k, d in enumerate(details)]
    outs = [d["index"] for d in it.get_output_details()]

    def run():
        for index, x in ins:
            it.set_tensor(index, x)
        it.invoke()
        return [it.get_tensor(o) for o in outs]

    return run


def bench_arguments(description: str, models: list, models_help: str = "models to time") -> argparse.ArgumentParser:
    """The options every bench/ script shares: --models, --threads, --seconds, --rounds, --markdown."""
    ap = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=models, help=models_help)
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--seconds", type=float, default=5.0, help="timed seconds per runtime per config")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--markdown", action="store_true", help="print a markdown table for docs/benchmarks.md")
    return ap
