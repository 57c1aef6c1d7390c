"""`pocketml bench`: latency statistics of a model on random inputs of chosen shapes,
optionally against the runtime of its source format (onnxruntime for ONNX, LiteRT for
TFLite) on the very file it was converted from (checked by SHA-256), and a per-node profile.
"""
from __future__ import annotations

import json
import os
import sys
import time

from ..benchmark import interleaved, litert_runner, onnxruntime_session, random_feeds, resolve_shapes
from ..precheck import file_sha256
from . import models, progress
from .usage import MissingRuntime, UsageError, model_format

RUNTIME_OF = {"onnx": "onnxruntime", "tflite": "litert"}
FORMAT_NAMES = {"onnx": "ONNX", "tflite": "TFLite"}
EXTRA = "pip install 'pocketml[bench]'"


def _source_for(args, fmt: str, metadata: dict) -> tuple:
    """(runtime name, source path) for --compare, after checking they fit the model."""
    src_fmt = fmt if fmt != "pml" else metadata.get("source_format")
    want = RUNTIME_OF.get(src_fmt)
    asked = args.compare if args.compare != "auto" else want
    if want is None:
        raise UsageError(f"--compare: {args.model} records no ONNX or TFLite source, so there is nothing to compare")
    if asked != want:
        raise UsageError(f"--compare {asked}: {args.model} was converted from {FORMAT_NAMES[src_fmt]}; "
                         f"compare it with --compare {want}")
    if fmt != "pml":
        return want, args.model
    src = args.source or metadata.get("source")
    if not src or not os.path.isfile(src):
        raise UsageError(f"--compare: the source model {src or '(none recorded)'} is not there; "
                         f"pass it with --source PATH")
    recorded = metadata.get("source_sha256")
    if recorded and file_sha256(src) != recorded:
        raise UsageError(f"--compare: {src} is not the model {args.model} was converted from (its SHA-256 differs); "
                         "pass the original with --source PATH, or convert this one")
    if not recorded:
        print(f"warning: {args.model} records no source SHA-256 (converted by an older pocketml): cannot check "
              f"that {src} is its source", file=sys.stderr)
    return want, src


def _compare_runner(runtime: str, src: str, threads: int, feeds: dict) -> tuple:
    """(run function, init seconds) of the comparison runtime."""
    t0 = time.perf_counter()
    try:
        if runtime == "onnxruntime":
            sess = onnxruntime_session(src, threads)
            ort_feeds = {i.name: feeds[i.name] for i in sess.get_inputs()}

            def fn():
                return sess.run(None, ort_feeds)
        else:
            fn = litert_runner(src, threads, feeds)
    except ImportError:
        module = "onnxruntime" if runtime == "onnxruntime" else "ai-edge-litert"
        raise MissingRuntime(f"--compare {runtime} needs {module}, which is not installed: {EXTRA}") from None
    return fn, time.perf_counter() - t0


def _timed_first(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _report(args, session, shapes, results, warnings) -> None:
    stats = {name: t.stats() for name, t in results.items()}
    ratios = {other: stats["pocketml"]["median_ms"] / stats[other]["median_ms"] for other in stats
              if other != "pocketml"}
    if args.json:
        print(json.dumps({"model": args.model, "threads": args.threads, "isa": session.isa,
                          "arena_bytes": session.arena_size, "inputs": {n: list(s) for n, _, s in shapes},
                          "runtimes": stats, "ratio_median": ratios, "warnings": warnings}, indent=2))
    else:
        _print_table(args, session, shapes, stats, ratios)
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)


def _print_table(args, session, shapes, stats, ratios) -> None:
    print(f"{args.model}  threads={args.threads}  isa={session.isa}  arena={session.arena_size:,} B")
    print("  inputs: " + ", ".join(f"{n} {list(s)}" for n, _, s in shapes))
    cols = ("init", "first", "mean", "min", "max", "median", "std", "p5", "p95")
    print(f"  {'runtime':<12}" + "".join(f"{c + ' ms':>10}" for c in cols) + f"{'runs':>7}")
    for name, s in stats.items():
        cells = "".join(f"{s[c + '_ms']:>10.3f}" if s[c + "_ms"] is not None else f"{'-':>10}" for c in cols)
        print(f"  {name:<12}{cells}{s['count']:>7}")
    for other, ratio in ratios.items():
        print(f"  ratio pocketml/{other} (median): {ratio:.2f}x")


def cmd_bench(args) -> int:
    fmt = model_format(args.model)
    compare = _source_for(args, fmt, models.metadata_of(args.model, fmt)) if args.compare else None
    session, init_s = models.open_session(args.model, fmt, args.threads, args.memory_limit)
    inputs = [(t.name, t.dtype, t.shape) for t in session.inputs]
    try:
        shapes, warnings = resolve_shapes(inputs, dict(args.shape or []), dict(args.dim or []))
    except ValueError as e:
        raise UsageError(str(e)) from None
    feeds = random_feeds(shapes)
    fns = {"pocketml": lambda: session.run(feeds)}
    inits = {"pocketml": init_s}
    if compare:
        fns[compare[0]], inits[compare[0]] = _compare_runner(compare[0], compare[1], args.threads, feeds)
    firsts = {name: _timed_first(fn) for name, fn in fns.items()}
    with progress.bar("benchmarking", args.rounds) as step:
        results = interleaved(fns, warmup=args.warmup, rounds=args.rounds, min_seconds=args.seconds,
                              progress=lambda _: step(1))
    for name, t in results.items():
        t.init_s, t.first_s = inits[name], firsts[name]
        if t.noise():
            warnings.append(t.noise())
    _report(args, session, shapes, results, warnings)
    if args.profile:
        _print_profile(session, feeds, args.profile)
    return 0


def _print_profile(session, feeds: dict, runs: int, top: int = 10) -> None:
    """Per-op-type and slowest-node tables from the C runtime's per-node timers."""
    session.enable_profiling()
    for _ in range(runs):
        session.run(feeds)
    prof = session.profile()
    session.enable_profiling(False)
    total = sum(p.mean_ms for p in prof) or 1.0
    by_op: dict = {}
    for p in prof:
        ms, n = by_op.get(p.op, (0.0, 0))
        by_op[p.op] = (ms + p.mean_ms, n + 1)
    print(f"\nprofile: mean over {runs} runs, wall time per node (sum {total:.3f} ms)")
    print(f"  {'op':<22} {'nodes':>5} {'ms':>9} {'share':>7}")
    for op, (ms, n) in sorted(by_op.items(), key=lambda kv: -kv[1][0]):
        print(f"  {op:<22} {n:>5} {ms:>9.3f} {ms / total:>6.1%}")
    print(f"  slowest {min(top, len(prof))} nodes:")
    for p in sorted(prof, key=lambda p: -p.mean_ms)[:top]:
        print(f"  {p.name[:48]:<48} {p.op:<16} {p.mean_ms:>8.3f} ms")
