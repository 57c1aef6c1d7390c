"""python -m fuzz {onnx,tflite,pml,runtime} [--seed N] [--iterations N] [--time S] [--jobs N] ...

Prints counts by outcome and the distinct findings; exits 1 when there is any
finding. Deterministic for a given --seed and --iterations (mutants are made in
this process, in order; workers only execute them)."""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

from .driver import AS_LIMIT, ROOT, Findings, limits, run_jobs, worker_env


def import_jobs(target: str, seed: int, iterations: int, workdir: str):
    from . import seeds

    rng0 = random.Random(seed)
    if target == "onnx":
        from .onnx_mutate import mutate
        pool, ext = seeds.onnx_seeds(rng0), ".onnx"
    elif target == "pml":
        from .pml_mutate import mutate, pml_seeds
        pool, ext = pml_seeds(), ".pml"
    else:
        from .tflite_mutate import mutate
        pool, ext = seeds.tflite_seeds(), ".tflite"
    # small seeds are picked far more often than the big real models (they mutate and convert faster)
    weights = [1.0 if len(b) < 100_000 else 0.1 if target == "onnx" else 0.03 for _, b in pool]
    for i in range(iterations):
        rng = random.Random(f"{seed}:{i}")
        name, data = rng.choices(pool, weights)[0]
        out, kind, spec, detail = mutate(data, rng) if target in ("onnx", "pml") else mutate(data, rng, name)
        path = os.path.join(workdir, f"{i:07d}-{name[:40]}{ext}")
        with open(path, "wb") as f:
            f.write(out)
        yield {"target": "pml" if target == "pml" else "import", "path": path, "kind": kind, "spec": spec, "detail": detail, "seed": i,
               "source": name}


def cli_check(paths, findings: Findings, timeout: float = 60.0) -> int:
    """`pocketml convert` on sample mutants: success, or one line on stderr and a non-zero exit; never a
    traceback. Returns the number checked."""
    out = tempfile.mkdtemp(prefix="pml-fuzz-cli-")
    try:
        for p in paths:
            cmd = [sys.executable, "-m", "pocketml", "convert", p, "-o", os.path.join(out, "m.pml")]
            try:
                # under the workers' address-space limit: the acceptance bar, and no OOM kill on a shared machine
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                                   env=worker_env(AS_LIMIT), preexec_fn=limits(AS_LIMIT))
            except subprocess.TimeoutExpired:
                findings.record({"path": p, "kind": "cli"}, {"outcome": "timeout", "key": f"cli:timeout:{p}",
                                                             "error": "pocketml convert timed out"}, True)
                continue
            # one line; the only multi-line error is the unsupported-op table (the CLI lists every one at once)
            lines = [x for x in r.stderr.splitlines() if x.strip()]
            one_line = len(lines) == 1 or (lines and "unsupported op" in lines[0])
            bad = "Traceback" in r.stderr or r.returncode < 0 or (r.returncode != 0 and not one_line)
            findings.record({"path": p, "kind": "cli"},
                            {"outcome": "exception" if bad else "cli_ok", "key": f"cli:exit{r.returncode}",
                             "error": r.stderr[-4000:]}, bad)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return len(paths)


def recheck(directory: str, findings: Findings) -> int:
    """`pocketml convert` on every saved finding of an earlier run."""
    paths = sorted(os.path.join(root, f) for root, _, files in os.walk(directory) for f in files
                   if f.endswith((".onnx", ".tflite", ".pml")))
    cli_check(paths, findings)
    print(f"cli: {len(paths)} files re-checked through `pocketml convert`")
    for outcome, count in sorted(findings.counts.items()):
        print(f"  {outcome:16s} {count}")
    for key, count in findings.keys.most_common():
        print(f"  {count:6d}  {key}  -> {findings.first[key]}")
    return 1 if findings.keys else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.split("\n\n")[0])
    ap.add_argument("target", choices=("onnx", "tflite", "pml", "runtime", "cli"),
                    help="cli: re-check every model file saved under --recheck through `pocketml convert`")
    ap.add_argument("--recheck", default=None, help="for cli: a findings directory of an earlier run")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--iterations", type=int, default=1000, help="executions (default 1000)")
    ap.add_argument("--time", type=float, default=None, help="stop after this many seconds")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes")
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds per execution before it is a finding")
    ap.add_argument("--memory", type=int, default=AS_LIMIT >> 20, help="worker address-space limit, MiB")
    ap.add_argument("--findings", default="fuzz-findings", help="directory for findings")
    ap.add_argument("--cli-sample", type=int, default=20, help="mutants re-checked through `pocketml convert`")
    ap.add_argument("--summary", default=None, help="also write the totals and finding keys here (JSON)")
    ap.add_argument("--progress", type=float, default=30.0, help="seconds between progress lines (0: none)")
    args = ap.parse_args(argv)

    findings = Findings(args.findings)
    if args.target == "cli":
        return recheck(args.recheck, findings)
    deadline = time.monotonic() + args.time if args.time else None
    started = time.time()
    work = tempfile.mkdtemp(prefix="pml-fuzz-")
    keep, every = [], max(1, args.iterations // max(1, args.cli_sample))
    try:
        if args.target == "runtime":
            from .runtime_target import runtime_jobs
            jobs = runtime_jobs(args.seed, args.iterations, work)
        else:
            jobs = import_jobs(args.target, args.seed, args.iterations, work)

        def on_result(job, result):
            path = job.get("path")
            if not path or args.target == "runtime":
                return
            if job["seed"] % every == 0 and len(keep) < args.cli_sample and result["outcome"] != "crash":
                keep.append(path)
            else:
                os.unlink(path)

        n = run_jobs(jobs, findings, args.jobs, args.timeout, deadline, args.memory << 20, on_result, args.progress)
        if keep:
            cli_check(keep, findings)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    elapsed = time.time() - started
    print(f"{args.target}: seed {args.seed}, {n} executions in {elapsed:.0f} s ({n / max(elapsed, 1e-9):.1f}/s), "
          f"{len(keep)} re-checked at the CLI")
    for outcome, count in sorted(findings.counts.items()):
        print(f"  {outcome:16s} {count}")
    print(f"findings: {sum(findings.keys.values())} ({len(findings.keys)} distinct)")
    for key, count in findings.keys.most_common():
        print(f"  {count:6d}  {key}  -> {findings.first[key]}")
    if args.summary:
        with open(args.summary, "w") as f:
            json.dump({"target": args.target, "seed": args.seed, "executions": n, "seconds": round(elapsed, 1),
                       "outcomes": dict(findings.counts), "findings": dict(findings.keys),
                       "saved": findings.first}, f, indent=1)
    return 1 if findings.keys else 0


if __name__ == "__main__":
    sys.exit(main())
