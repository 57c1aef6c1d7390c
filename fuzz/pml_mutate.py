"""Structure-aware mutation of .pml files through the format's records, and the loader target.

A seed (the C tests' valid fixtures, quant.pml among them) is decoded into records
(pocketml.format.records), one field is changed, and the file is re-encoded with a valid
checksum, so the C loader's own checks must find the damage: quantization parameters (a
scale made 0, negative, NaN or infinite, a zero point outside the dtype, the axis, the
counts, parameters added to a tensor of any dtype or removed), tensor dtypes and dims,
node input indices. Or the graph section's bytes are flipped (bytes_mutate) before the
checksum is recomputed. ``spec`` is True when the Python reader's quantization rules
(the format's rules, docs/format.md) reject the mutated tensor: the C loader must refuse
that file too, else the run is a "spec_accepted" finding.

The target loads the bytes with the C runtime (pocketml.Session: loader, verifier, the
quantization guard), runs a loaded model once with small random inputs, and classifies
the outcome like the importer targets.
"""
from __future__ import annotations

import copy
import random

import numpy as np

from .bytes_mutate import mutate_bytes

SCALES = (0.0, -0.5, float("nan"), float("inf"), 1e-38, 1e38, 0.5)
ZERO_POINTS = (0, -1, -128, 127, 128, -129, 255, 256, 32767, 65536, 1 << 40)
AXES = (-2, -1, 0, 1, 2, 3, 7, 100)


def pml_seeds() -> list:
    """[(name, bytes)] of the C tests' valid fixtures."""
    from tests.format import make_c_fixtures as fx

    return [(n, d) for n, d in sorted(fx.fixtures().items()) if n.endswith(".pml") and not n.startswith("invalid_")]


def _quant_violation(t, index: int) -> bool:
    """Whether the Python reader's rules (the format's) refuse tensor t's quantization parameters."""
    from pocketml import ir
    from pocketml.errors import ModelLoadError
    from pocketml.format.reader import _quant

    if t.quant is None or t.dtype not in ir.DTYPE_BY_CODE:
        return False
    shape = tuple(d if d >= 0 else f"d{k}" for k, d in enumerate(t.shape))
    try:
        _quant(t, index, ir.DTYPE_BY_CODE[t.dtype], shape)
    except (ModelLoadError, ValueError):
        return True
    return False


def _mutate_record(rec, rng: random.Random) -> tuple:
    """Change one field of rec in place -> (kind, tensor index or -1, detail)."""
    from pocketml.format.records import QuantRecord

    tensors = rec.tensors
    quantized = [i for i, t in enumerate(tensors) if t.quant is not None]
    i = rng.choice(quantized) if quantized and rng.random() < 0.7 else rng.randrange(len(tensors))
    t = tensors[i]
    q = t.quant
    kind = rng.choice(("quant_scale", "quant_zero_point", "quant_axis", "quant_count", "quant_add", "quant_remove",
                       "tensor_dtype", "tensor_dim", "node_input"))
    if kind.startswith("quant_") and kind not in ("quant_add", "quant_remove") and q is None:
        kind = "quant_add"
    if kind == "quant_scale":
        k = rng.randrange(len(q.scale)) if q.scale else 0
        q.scale = list(q.scale) or [0.5]
        q.scale[k] = rng.choice(SCALES)
    elif kind == "quant_zero_point":
        k = rng.randrange(len(q.zero_point)) if q.zero_point else 0
        q.zero_point = list(q.zero_point) or [0]
        q.zero_point[k] = rng.choice(ZERO_POINTS)
    elif kind == "quant_axis":
        q.axis = rng.choice(AXES)
    elif kind == "quant_count":
        n = rng.choice((0, 1, 2, 3, 4, 1000))
        which = rng.choice(("scale", "zero_point", "both"))
        if which in ("scale", "both"):
            q.scale = [0.25] * n
        if which in ("zero_point", "both"):
            q.zero_point = [0] * n
    elif kind == "quant_add":
        n = rng.choice((1, 1, 2, 3, 4))
        t.quant = QuantRecord([0.25] * n, [rng.choice((0, 0, 3, -3, 200))] * n, rng.choice((-1, 0, 1)) if n > 1 else -1)
    elif kind == "quant_remove":
        t.quant = None
    elif kind == "tensor_dtype":
        t.dtype = rng.choice((1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 12, 99))
    elif kind == "tensor_dim" and t.shape:
        t.shape = list(t.shape)
        t.shape[rng.randrange(len(t.shape))] = rng.choice((0, 1, 2, 3, 5, -1, -2, 1 << 40))
    elif kind == "node_input" and rec.nodes:
        n = rng.choice(rec.nodes)
        if n.inputs:
            n.inputs = list(n.inputs)
            n.inputs[rng.randrange(len(n.inputs))] = rng.choice((-1, 0, 1, len(tensors) - 1, len(tensors), 1 << 20))
    return kind, i, f"{kind} on tensor {i} ({t.name!r})"


def mutate(data: bytes, rng: random.Random) -> tuple:
    """(mutated bytes, kind, spec_violation, detail)."""
    from pocketml.format.header import pack_file
    from pocketml.format.reader import read_records
    from pocketml.format.records import build_flatbuffer

    header, rec, weights = read_records(data)
    weights = bytes(weights)
    if rng.random() < 0.15:
        graph, kind = mutate_bytes(data[header.graph_offset:header.graph_offset + header.graph_size], rng)
        return pack_file(graph, weights), kind, False, ""
    rec = copy.deepcopy(rec)
    kind, index, detail = _mutate_record(rec, rng)
    spec = index >= 0 and kind.startswith("quant_") and _quant_violation(rec.tensors[index], index)
    return pack_file(build_flatbuffer(rec), weights), kind + ("!" if spec else ""), spec, detail


def execute_pml(job: dict) -> dict:
    """Load the file with the C runtime and run it once; a spec-breaking file that runs is a finding."""
    import pocketml
    from pocketml.errors import PocketMLError

    from .outcome import describe, frame_key
    from .feeds import LOOP_LIMIT, random_feeds

    with open(job["path"], "rb") as f:
        data = f.read()
    try:
        session = pocketml.Session(data, max_loop_iterations=LOOP_LIMIT)
    except PocketMLError as e:
        return {"outcome": "refused", "error": f"{type(e).__name__}: {e}"[:500]}
    except BaseException as e:  # noqa: BLE001 - every escape is the finding
        return {"outcome": "exception", "key": "load:" + frame_key(e), **describe(e)}
    if job.get("spec"):
        return {"outcome": "spec_accepted", "key": f"spec:{job.get('kind', '').rstrip('!')}",
                "error": f"a file broken by '{job.get('kind')}' ({job.get('detail', '')}) loaded as if valid"}
    try:
        feeds = random_feeds(session.inputs, np.random.default_rng(job.get("seed", 0)))
        if feeds is None:
            return {"outcome": "converted"}
        session.run(feeds)
    except PocketMLError as e:
        return {"outcome": "run_error", "error": f"{type(e).__name__}: {e}"[:500]}
    except BaseException as e:  # noqa: BLE001
        return {"outcome": "exception", "key": "run:" + frame_key(e), **describe(e)}
    return {"outcome": "ran"}
