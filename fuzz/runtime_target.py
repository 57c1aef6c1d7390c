"""The run-time fuzzer: random shapes and values fed to converted models that
keep symbolic dims (the tests' fixtures, control-flow and symbolic builders).

Each job is (model, case kind, seed). Kinds: "valid" (symbolic dims drawn
small, zero included), "nan" (NaN/Inf in the values), "zero" (a zero-size dim),
"huge" (a symbolic dim large enough that the plan is GBs; the worker's address
space limit makes the allocation fail), "rank" (one more or one fewer dim),
"dtype" (an input of another dtype). onnxruntime is the oracle: when it accepts
the input, pocketml's outputs must match its own; when it refuses, pocketml must
raise a PocketMLError. A mismatch, or an input pocketml runs while onnxruntime
refuses it, is a "mismatch" finding.
"""
from __future__ import annotations

import os
import random

import numpy as np

from . import ROOT
from .outcome import describe, frame_key

KINDS = ("valid", "valid", "valid", "nan", "zero", "huge", "rank", "dtype")
IMAGE_DIMS = (16, 32, 48)
SMALL_DIMS = (1, 2, 3, 5)


def _models() -> list:
    """[(name, ModelProto, dim choices)]."""
    import glob

    import onnx

    from tests.models import control_flow_builders as cf
    from tests.models import test_symbolic_models as sym

    out = [(os.path.basename(p)[:-5], onnx.load(p), SMALL_DIMS)
           for p in sorted(glob.glob(os.path.join(ROOT, "tests", "fixtures", "*.onnx")))]
    out += [("loop_rnn", cf.loop_rnn(), SMALL_DIMS), ("loop_until_converged", cf.loop_until_converged(), SMALL_DIMS),
            ("if_branch_shaped", cf.if_with_branch_shaped_output(), SMALL_DIMS),
            ("ocr_detector", sym.ocr_detector(), IMAGE_DIMS), ("yolo_head", sym.yolo_head(), IMAGE_DIMS)]
    return out


# models whose work grows faster than their input (attention over the sequence, a loop per time step): a
# huge dim there is minutes of honest compute, not a test of the memory plan
NO_HUGE = ("encoder_", "loop_")


def runtime_jobs(seed: int, iterations: int, workdir: str):
    models = []
    for name, proto, dims in _models():
        path = os.path.join(workdir, name + ".onnx")
        with open(path, "wb") as f:
            f.write(proto.SerializeToString())
        models.append((name, path, dims))
    for i in range(iterations):
        rng = random.Random(f"{seed}:{i}")
        name, path, dims = rng.choice(models)
        kind = rng.choice(KINDS)
        if kind == "huge" and name.startswith(NO_HUGE):
            kind = "valid"
        yield {"target": "runtime", "model": path, "kind": f"{kind}:{name}", "case": kind, "dims": dims,
               "seed": rng.randrange(1 << 30)}


_CACHE = {}


def _sessions(path: str):
    if path not in _CACHE:
        import onnxruntime as ort

        import pocketml

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = opts.inter_op_num_threads = 1
        opts.log_severity_level = 4
        _CACHE[path] = (pocketml.Session(pocketml.convert(path)),
                        ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"]))
    return _CACHE[path]


def _feeds(session, case: str, dims: tuple, rng: np.random.Generator) -> dict:
    sizes = {}  # one value per symbolic dim name, so inputs sharing 'batch' agree
    feeds = {}
    infos = session.inputs
    victim = int(rng.integers(len(infos)))
    for k, t in enumerate(infos):
        shape = []
        for d in t.shape:
            if isinstance(d, int):
                shape.append(d)
                continue
            if d not in sizes:
                sizes[d] = int(rng.choice(dims))
                if case == "zero" and rng.random() < 0.7:
                    sizes[d] = 0
                elif case == "huge" and not any(v >= 1 << 16 for v in sizes.values()):
                    sizes[d] = int(rng.choice((1 << 16, 1 << 20, 1 << 24)))  # the feed is cut to 4 MB below
            shape.append(sizes[d])
        dtype = np.dtype(t.dtype)
        if case == "rank" and k == victim:
            shape = shape[:-1] if shape and rng.random() < 0.5 else shape + [1]
        if case == "dtype" and k == victim:
            dtype = np.dtype(rng.choice(["float64", "int32", "float16", "uint8", "bool"]))
        while int(np.prod(shape, dtype=np.float64)) * dtype.itemsize > (4 << 20):
            big = int(np.argmax(shape))  # keep the feed itself small; the plan stays large
            shape[big] //= 2
        if dtype.kind == "f":
            a = rng.standard_normal(shape).astype(dtype)
            if case == "nan" and a.size:
                flat = a.reshape(-1)
                idx = rng.integers(0, flat.size, size=max(1, flat.size // 4))
                flat[idx] = rng.choice(np.array([np.nan, np.inf, -np.inf], dtype))
        elif dtype.kind == "b":
            a = rng.random(shape) < 0.5
        else:
            a = rng.integers(0, 2 if "mask" in t.name else 4, size=shape).astype(dtype)
        feeds[t.name] = a
    return feeds


def execute_runtime(job: dict, emit=None) -> dict:
    """emit(result): tells the driver how pocketml did before the oracle runs (onnxruntime aborts the
    process on some inputs, e.g. an RNN with batch 0: that crash is then the oracle's, not a finding)."""
    from pocketml.errors import PocketMLError

    try:
        ours, ort_session = _sessions(job["model"])
    except PocketMLError as e:
        return {"outcome": "exception", "key": "runtime-setup:" + frame_key(e), **describe(e)}
    rng = np.random.default_rng(job["seed"])
    feeds = _feeds(ours, job["case"], tuple(job["dims"]), rng)
    try:
        got, ours_error = ours.run(feeds), None
    except PocketMLError as e:
        got, ours_error = None, f"{type(e).__name__}: {str(e)[:300]}"
    except BaseException as e:  # noqa: BLE001
        return {"outcome": "exception", "key": "runtime:" + frame_key(e), **describe(e)}
    if job["case"] == "huge":  # onnxruntime itself is not the subject of the memory cases
        return {"outcome": "run_error", "error": ours_error} if ours_error else {"outcome": "ran"}
    if emit:
        emit({"outcome": "run_error" if ours_error else "ran", "error": ours_error or ""})
    expected, ort_error = None, None
    try:
        expected = ort_session.run(None, feeds)
    except Exception as e:  # noqa: BLE001 - any refusal by the oracle
        ort_error = f"{type(e).__name__}: {str(e)[:300]}"
    if ours_error:
        return {"outcome": "run_error", "error": ours_error}
    if ort_error:
        return {"outcome": "mismatch", "key": f"accepted:{job['kind']}",
                "error": f"onnxruntime refused the input ({ort_error}) but pocketml ran it; shapes "
                         f"{ {k: v.shape for k, v in feeds.items()} }"}
    got = list(got.values()) if isinstance(got, dict) else list(got)
    if job["case"] == "nan" and any(np.shape(a) != np.shape(b) for a, b in zip(got, expected)):
        # onnxruntime's ReduceMax skips NaN, pocketml propagates it (as numpy and the ONNX reference do): a
        # loop whose condition saw NaN runs a different number of times. Counted, not a finding
        return {"outcome": "nan_divergence", "error": "output shapes differ after NaN input"}
    for i, (a, b) in enumerate(zip(got, expected)):
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        if a.size == 0 and b.size == 0:
            continue  # zero trips: onnxruntime gives a Loop's scan output shape (0,), pocketml the declared rank
        if job["case"] == "nan":
            # onnxruntime's RNN kernels clamp NaN inside sigmoid/tanh (finite outputs); pocketml propagates
            # NaN: compare where both are finite
            keep = np.isfinite(a) & np.isfinite(b)
            a, b = a[keep], b[keep]
        if a.shape != b.shape or not np.allclose(a, b, rtol=1e-3, atol=1e-4, equal_nan=True):
            return {"outcome": "mismatch", "key": f"output:{job['kind']}",
                    "error": f"output {i}: pocketml {a.shape} vs onnxruntime {b.shape}; feeds "
                             f"{ {k: (v.shape, str(v.dtype)) for k, v in feeds.items()} }"}
    return {"outcome": "ran"}
