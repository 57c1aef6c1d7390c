"""Latency measurement shared by `pocketml bench` and the scripts in bench/.

Times are wall-clock per call; we report the statistics LiteRT's benchmark tool
reports (init, first run, mean/min/max/median/std/p5/p95) with a warning when the
spread says they are noise, and, when comparing, the ratio of medians pocketml /
other runtime measured in the same process, interleaved in rounds so drifting
load hits both sides alike.
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from typing import Callable, Optional

import numpy as np


# spread beyond which the numbers say more about the machine's load than about the model
NOISY_P5_P95 = 0.5  # (p95 - p5) / median
NOISY_CV = 0.2  # std / mean


@dataclasses.dataclass
class Timing:
    name: str
    times: list  # seconds, after warm-up
    init_s: Optional[float] = None  # creating the session / interpreter
    first_s: Optional[float] = None  # the first run (plans, packs weights, warms caches)

    def stats(self) -> dict:
        """Milliseconds: init, first, mean, min, max, median, std, p5, p95 (+ count)."""
        t = np.asarray(self.times, dtype=np.float64) * 1e3
        ms = (lambda s: None if s is None else s * 1e3)
        return {"count": int(t.size), "init_ms": ms(self.init_s), "first_ms": ms(self.first_s),
                "mean_ms": float(t.mean()), "min_ms": float(t.min()), "max_ms": float(t.max()),
                "median_ms": float(np.median(t)), "std_ms": float(t.std()),
                "p5_ms": float(np.percentile(t, 5)), "p95_ms": float(np.percentile(t, 95))}

    def noise(self) -> Optional[str]:
        """Why these timings cannot be trusted, or None."""
        s = self.stats()
        spread = (s["p95_ms"] - s["p5_ms"]) / s["median_ms"] if s["median_ms"] else 0.0
        cv = s["std_ms"] / s["mean_ms"] if s["mean_ms"] else 0.0
        if s["count"] < 5:
            return f"{self.name}: only {s['count']} timed runs; give more --seconds"
        if spread > NOISY_P5_P95 or cv > NOISY_CV:
            return (f"{self.name}: timings are noisy (p5..p95 spans {spread:.0%} of the median, std is {cv:.0%} of "
                    "the mean): the machine is busy; rerun on an idle machine or with more --seconds")
        return None

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times) * 1e3

    @property
    def min_ms(self) -> float:
        return min(self.times) * 1e3


def resolve_shapes(inputs, shapes: dict, dims: dict) -> tuple:
    """Concrete shapes for [(name, dtype, shape)] whose symbolic dims are str/None: ``shapes``
    {input: dims} replaces an input's shape, ``dims`` {dim name: value} sets a symbolic dim.
    -> ([(name, dtype, shape)], warnings) with a warning for every dim that falls back to 1.
    Raises ValueError on a name that is not an input or dim, or a shape that contradicts a
    fixed dim."""
    names = [n for n, _, _ in inputs]
    dim_names = sorted({d for _, _, shape in inputs for d in shape if isinstance(d, str)})
    bad = [n for n in shapes if n not in names]
    if bad:
        raise ValueError(f"--shape {bad[0]!r}: no such input; inputs: "
                         + ", ".join(f"{n} {list(s)}" for n, _, s in inputs))
    bad = [d for d in dims if d not in dim_names]
    if bad:
        raise ValueError(f"--dim {bad[0]!r}: no such symbolic dim; the model's symbolic dims: "
                         f"{', '.join(dim_names) or 'none (every shape is fixed)'}")
    out, warnings = [], []
    for name, dtype, shape in inputs:
        if name in shapes:
            given = tuple(shapes[name])
            if len(given) != len(shape) or any(isinstance(d, int) and d != g for d, g in zip(shape, given)):
                raise ValueError(f"--shape {name}={','.join(map(str, given))} does not fit input {name} {list(shape)}")
            out.append((name, dtype, given))
            continue
        concrete = []
        for k, d in enumerate(shape):
            if isinstance(d, (int, np.integer)):
                concrete.append(int(d))
            elif d in dims:
                concrete.append(dims[d])
            else:
                concrete.append(1)
                how = f"--dim {d}=N" if d else f"--shape {name}=..."
                warnings.append(f"symbolic dim {d or '?'} (input {name}, axis {k}) set to 1; pass {how} to choose")
        out.append((name, dtype, tuple(concrete)))
    return out, warnings


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
    for r in range(max(rounds, 1)):
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


def onnxruntime_session(onnx_path: str, threads: int, exact: bool = False):
    """onnxruntime's CPU session as the benchmarks time it: ``threads`` intra-op threads, all graph
    optimisations; ``exact`` sets session.x64quantprecision=1 (MLAS's exact int8 kernels)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if exact:
        opts.add_session_config_entry("session.x64quantprecision", "1")
    return ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])


def onnxruntime_runner(onnx_path: str, threads: int, feeds: dict, exact: bool = False):
    """A no-argument function running onnxruntime_session(...) on ``feeds``."""
    session = onnxruntime_session(onnx_path, threads, exact)
    return lambda: session.run(None, feeds)


def litert_runner(tflite_path: str, threads: int, feeds: dict, op_resolver=None):
    """A no-argument function running the LiteRT interpreter (ai_edge_litert; its default
    XNNPACK CPU setup, or the kernels of ``op_resolver``, an OpResolverType) on ``feeds`` (matched
    by input name, else by position)."""
    from ai_edge_litert.interpreter import Interpreter

    extra = {} if op_resolver is None else {"experimental_op_resolver_type": op_resolver}
    it = Interpreter(model_path=tflite_path, num_threads=threads, **extra)
    details = it.get_input_details()
    values = list(feeds.values())
    ins = [(d["index"], feeds.get(d["name"], values[k] if k < len(values) else None)) for k, d in enumerate(details)]
    for (index, x), d in zip(ins, details):
        if x is not None and tuple(d["shape"]) != x.shape:  # symbolic dims given at bench time
            it.resize_tensor_input(index, list(x.shape))
    it.allocate_tensors()
    outs = [d["index"] for d in it.get_output_details()]

    def run():
        for index, x in ins:
            it.set_tensor(index, x)
        it.invoke()
        return [it.get_tensor(o) for o in outs]

    return run


def markdown_table(header: list, rows: list) -> str:
    """A Markdown table (what the bench scripts' --markdown prints for docs/benchmarks.md); cells are
    formatted by the caller."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def bench_arguments(description: str, models: list, models_help: str = "models to time") -> argparse.ArgumentParser:
    """The options every bench/ script shares: --models, --threads, --seconds, --rounds, --markdown."""
    ap = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=models, help=models_help)
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--seconds", type=float, default=5.0, help="timed seconds per runtime per config")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--markdown", action="store_true", help="print a markdown table for docs/benchmarks.md")
    return ap
