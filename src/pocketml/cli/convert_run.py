"""`pocketml convert` and `pocketml run`: every path, name and shape is checked before the
slow part (conversion, session creation) starts."""
from __future__ import annotations

import time

import numpy as np

from ..benchmark import random_feeds
from . import models, progress
from .usage import UsageError, check_output, load_npy, model_format, unknown_names


def cmd_convert(args) -> int:
    fmt = model_format(args.src)
    if fmt == "pml":
        raise UsageError(f"{args.src} is already a .pml file; inspect it with: pocketml info {args.src}")
    check_output(args.output, "model.pml")
    t0 = time.perf_counter()
    model = models.convert_source(args.src, dict(args.input_shape or []), args.max_fold_bytes)
    with progress.stage(f"writing {args.output}"):
        model.save(args.output)
    seconds = time.perf_counter() - t0
    with progress.stage("planning the activation arena"):
        summary = model.summary()
    print(f"converted {args.src} -> {args.output} in {seconds:.2f} s")
    print(summary.format())
    return 0


def _describe(inputs) -> str:
    return "its inputs: " + ", ".join(f"{t.name} ({t.dtype}{list(t.shape)})" for t in inputs)


def cmd_run(args) -> int:
    fmt = model_format(args.model)
    given = dict(args.input or [])
    for name, path in given.items():  # before loading the model: a typo costs nothing
        load_npy(name, path)
    if args.output:
        check_output(args.output, "outputs.npz")
    session, _ = models.open_session(args.model, fmt, args.threads, args.memory_limit)
    unknown_names(given, session.input_names, "--input", _describe(session.inputs))
    feeds = {name: load_npy(name, path) for name, path in given.items()}
    missing = [t for t in session.inputs if t.name not in feeds]
    if missing and not args.random:
        raise UsageError(f"no data for input(s) {[t.name for t in missing]}; pass --input NAME=FILE.npy for each "
                         f"or --random; {_describe(session.inputs)}")
    feeds.update(random_feeds([(t.name, t.dtype, t.shape) for t in missing]))
    t0 = time.perf_counter()
    outputs = session.run(feeds)
    ms = (time.perf_counter() - t0) * 1e3
    print(f"ran {args.model} in {ms:.2f} ms")
    for name, value in outputs.items():
        flat = value.reshape(-1)
        line = f"  {name}: {value.dtype}{list(value.shape)}"
        if flat.size and value.dtype.kind == "f":
            top = np.argsort(-flat)[: args.top]
            line += f"  min {flat.min():.4g} max {flat.max():.4g} mean {flat.mean():.4g}"
            line += "  top: " + ", ".join(f"[{i}]={flat[i]:.4g}" for i in top)
        print(line)
    if args.output:
        np.savez(args.output, **outputs)
        print(f"wrote {args.output}")
    return 0

