"""The `pocketml` command line: convert, info, run, bench.

Each subcommand's --help explains it with an example; reports are tables.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

EPILOG = """examples:
  pocketml convert resnet50.onnx -o resnet50.pml
  pocketml convert model.onnx -o model.pml --input-shape input=1,3,224,224
  pocketml info resnet50.pml
  pocketml run resnet50.pml --input data=image.npy -o out.npz
  pocketml bench resnet50.pml --threads 1 --compare onnxruntime
  pocketml convert face_landmark.tflite -o face_landmark.pml
  pocketml bench face_landmark.tflite --compare litert --profile
"""


def _status(msg: str) -> None:
    if sys.stderr.isatty():
        print(f"\r\033[K{msg}", end="", file=sys.stderr, flush=True)


def _session(path: str, threads: int):
    """A Session straight from a .pml file (the C loader verifies it), or from a converted source model."""
    import pocketml

    return pocketml.Session(path if _is_pml(path) else _load_model(path), threads=threads)


def _done_status() -> None:
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr, flush=True)


def _parse_shape(text: str):
    name, _, dims = text.rpartition("=")
    if not name or not dims:
        raise argparse.ArgumentTypeError(f"expected name=d0,d1,... got {text!r}")
    try:
        return name, tuple(int(d) for d in dims.replace("x", ",").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"dims must be integers: {text!r}") from None


def _parse_input(text: str):
    name, _, path = text.partition("=")
    if not name or not path:
        raise argparse.ArgumentTypeError(f"expected name=file.npy, got {text!r}")
    return name, path


def _is_pml(path: str) -> bool:
    with open(path, "rb") as f:
        return f.read(8) == b"POCKETML"


def _load_model(path: str, input_shapes=None):
    """A .pml is loaded; a source model (.onnx) is converted in memory."""
    import pocketml

    if _is_pml(path):
        return pocketml.load(path)
    _status(f"converting {path} ...")
    model = pocketml.convert(path, input_shapes=input_shapes)
    _done_status()
    return model


def cmd_convert(args) -> int:
    import pocketml

    t0 = time.perf_counter()
    _status(f"converting {args.src} ...")
    model = pocketml.convert(args.src, input_shapes=dict(args.input_shape or []))
    size = model.save(args.output)
    _done_status()
    print(f"converted {args.src} -> {args.output} in {time.perf_counter() - t0:.2f} s")
    print(model.summary().format())
    del size
    return 0


def cmd_info(args) -> int:
    model = _load_model(args.model)
    print(f"{args.model}")
    for k, v in sorted(model.metadata.items()):
        print(f"  {k:<11} {v}")
    print(model.summary().format())
    return 0


def cmd_run(args) -> int:
    session = _session(args.model, args.threads)
    feeds = {}
    for name, path in args.input or []:
        feeds[name] = np.load(path)
    missing = [n for n in session.input_names if n not in feeds]
    if missing and not args.random:
        print(f"error: no data for input(s) {missing}; pass --input NAME=FILE.npy or --random", file=sys.stderr)
        return 2
    if missing:
        from .benchmark import random_feeds

        feeds.update(random_feeds([(i.name, i.dtype, i.shape) for i in session.inputs if i.name in missing]))
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


def cmd_bench(args) -> int:
    from .benchmark import interleaved, onnxruntime_session, random_feeds

    session = _session(args.model, args.threads)
    feeds = random_feeds([(i.name, i.dtype, i.shape) for i in session.inputs])
    fns = {"pocketml": lambda: session.run(feeds)}
    if args.compare == "litert":
        src = args.model if not _is_pml(args.model) else _load_model(args.model).metadata.get("source")
        if not src or not src.endswith(".tflite") or not os.path.exists(src):
            print("error: --compare litert needs the source .tflite model (bench the .tflite itself)", file=sys.stderr)
            return 2
        from .benchmark import litert_runner

        fns["litert"] = litert_runner(src, args.threads, feeds)
    if args.compare == "onnxruntime":
        src = args.onnx or (_load_model(args.model).metadata.get("source") if _is_pml(args.model) else args.model)
        if not src or not os.path.exists(src):
            print("error: --compare onnxruntime needs the source .onnx (pass --onnx PATH)", file=sys.stderr)
            return 2
        ort_sess = onnxruntime_session(src, args.threads)
        ort_feeds = {i.name: feeds[i.name] for i in ort_sess.get_inputs()}
        fns["onnxruntime"] = lambda: ort_sess.run(None, ort_feeds)
    results = interleaved(fns, warmup=args.warmup, rounds=args.rounds, min_seconds=args.seconds, progress=_status)
    _done_status()
    print(f"{args.model}  threads={args.threads}  isa={session.isa}  arena={session.arena_size:,} B")
    print(f"  {'runtime':<12} {'median ms':>10} {'min ms':>9} {'runs':>6}")
    for name, t in results.items():
        print(f"  {name:<12} {t.median_ms:>10.3f} {t.min_ms:>9.3f} {len(t.times):>6}")
    for other in ("onnxruntime", "litert"):
        if other in results:
            ratio = results["pocketml"].median_ms / results[other].median_ms
            print(f"  ratio pocketml/{other} (median): {ratio:.2f}x")
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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pocketml",
        description="Convert neural networks to .pml and run them with the pocketml C runtime.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = sub.add_parser("convert", help="convert an ONNX or TFLite model to .pml and print a summary",
                       description="Import a model (ONNX or TFLite), optimize it (constant folding, BatchNorm folding, "
                                   "activation fusion, NHWC layout) and write a verified .pml file. Prints ops by "
                                   "type, parameter count, file size and the activation arena size.",
                       epilog="example: pocketml convert model.onnx -o model.pml --input-shape input=1,3,224,224",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("src", help="source model (.onnx or .tflite)")
    c.add_argument("-o", "--output", required=True, help="output .pml path")
    c.add_argument("--input-shape", action="append", type=_parse_shape, metavar="NAME=D0,D1,...",
                   help="fix an input's shape (symbolic dims such as batch); repeatable")
    c.set_defaults(fn=cmd_convert)

    i = sub.add_parser("info", help="describe a .pml (or .onnx) model",
                       description="Print inputs, outputs, metadata, ops by type, parameters, file and arena size.")
    i.add_argument("model")
    i.set_defaults(fn=cmd_info)

    r = sub.add_parser("run", help="run a model on .npy inputs",
                       description="Run a model once on inputs read from .npy files and print each output's "
                                   "shape, range and top values; optionally save all outputs to an .npz.",
                       epilog="example: pocketml run model.pml --input data=x.npy -o out.npz",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("model")
    r.add_argument("--input", action="append", type=_parse_input, metavar="NAME=FILE.npy", help="repeatable")
    r.add_argument("--random", action="store_true", help="fill inputs not given with random data")
    r.add_argument("-o", "--output", help="save outputs to this .npz")
    r.add_argument("--threads", type=int, default=1)
    r.add_argument("--top", type=int, default=5, help="how many top values to print per output")
    r.set_defaults(fn=cmd_run)

    b = sub.add_parser("bench", help="measure latency (optionally against onnxruntime or LiteRT), profile ops",
                       description="Median latency of a model on random inputs. With --compare onnxruntime (or "
                                   "litert for a .tflite) the source model runs in the same process, interleaved, "
                                   "and the ratio of medians is printed. --profile N then times every node over N "
                                   "runs and prints where the time goes, by op type and slowest nodes.",
                       epilog="examples:\n  pocketml bench model.pml --threads 1 --compare onnxruntime\n"
                              "  pocketml bench face_landmark.tflite --compare litert --profile 200",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    b.add_argument("model", help=".pml, .onnx or .tflite")
    b.add_argument("--threads", type=int, default=1)
    b.add_argument("--compare", choices=["onnxruntime", "litert"], help="also time this runtime on the source model")
    b.add_argument("--profile", type=int, nargs="?", const=100, default=0, metavar="RUNS",
                   help="after timing, profile every node over RUNS runs (default 100)")
    b.add_argument("--onnx", help="source .onnx for --compare (default: the path recorded at conversion)")
    b.add_argument("--warmup", type=int, default=3)
    b.add_argument("--rounds", type=int, default=5)
    b.add_argument("--seconds", type=float, default=3.0, help="total seconds of timed runs per runtime")
    b.set_defaults(fn=cmd_bench)
    return p


def main(argv=None) -> int:
    from .errors import PocketMLError

    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except (PocketMLError, FileNotFoundError) as e:
        _done_status()
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
