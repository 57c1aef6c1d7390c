"""Runs jobs in worker subprocesses and records what they find.

Each worker (python -m fuzz.worker) runs under RLIMIT_AS (4 GiB by default) and
executes many jobs in turn; a job that takes longer than the timeout, or a
worker that dies (a signal, the OOM killer, an exit), becomes a finding and the
worker is restarted. Findings are deduplicated by key (exception type and top
frame; for hangs and crashes the mutation kind) and saved with the file that
caused them: <findings>/<key>/{input file, error.txt}.
"""
from __future__ import annotations

import collections
import hashlib
import json
import os
import re
import resource
import select
import shutil
import signal
import subprocess
import sys
import time

from . import ROOT  # noqa: E402,F401 (re-exported for __main__ and seeds)
AS_LIMIT = 4 << 30


def under_asan() -> bool:
    """Whether processes started from here load AddressSanitizer (tests/test_sanitizers.py preloads
    it): it reserves terabytes of shadow address space at start, so an RLIMIT_AS would stop the
    worker before it runs; its allocator's own cap (max_allocation_size_mb) bounds memory instead."""
    return "asan" in os.environ.get("LD_PRELOAD", "")


def worker_env(as_bytes: int) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if under_asan():
        # handle_segv=0: a segfault still ends the worker by SIGSEGV, which the driver records as a crash
        env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "allocator_may_return_null=1",
                                                     f"max_allocation_size_mb={as_bytes >> 20}", "handle_segv=0"]))
    return env


def limits(as_bytes: int):
    """A preexec_fn: the address-space limit (see under_asan), no core files, a process group of its own."""
    asan = under_asan()

    def apply():
        if not asan:
            resource.setrlimit(resource.RLIMIT_AS, (as_bytes, as_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.setsid()  # so the worker and anything it starts can be killed together
    return apply


class Worker:
    def __init__(self, as_bytes: int):
        self.proc = subprocess.Popen([sys.executable, "-m", "fuzz.worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, cwd=ROOT, env=worker_env(as_bytes),
                                     preexec_fn=limits(as_bytes))
        self.job = None
        self.interim = None
        self.started = 0.0
        self.buf = b""

    def send(self, job: dict) -> None:
        self.job = job
        self.interim = None
        self.started = time.monotonic()
        self.proc.stdin.write((json.dumps(job) + "\n").encode())
        self.proc.stdin.flush()

    def read(self):
        """A finished result, None if still running, or a dict with outcome crash when the worker died."""
        chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
        if not chunk:
            code = self.proc.wait()
            sig = -code if code < 0 else 0
            what = f"killed by signal {sig} ({signal.Signals(sig).name})" if sig else f"worker exited with {code}"
            if self.interim:  # pocketml had finished; the oracle (onnxruntime) took the process down
                return {**self.interim, "outcome": self.interim["outcome"] + "+oracle_crash", "error": what}
            return {"outcome": "crash", "key": f"crash:{signal.Signals(sig).name if sig else code}:"
                    f"{self.job.get('kind')}", "error": what}
        self.buf += chunk
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            result = json.loads(line)
            if not result.pop("interim", False):
                return result
            self.interim = result
        return None

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


class Findings:
    """Deduplicated findings on disk plus counts by outcome."""

    def __init__(self, directory: str):
        self.dir = directory
        self.counts = collections.Counter()
        self.keys = collections.Counter()
        self.first = {}
        os.makedirs(directory, exist_ok=True)

    def record(self, job: dict, result: dict, finding: bool) -> None:
        self.counts[result["outcome"]] += 1
        if not finding:
            return
        key = result.get("key") or result["outcome"]
        self.keys[key] += 1
        if self.keys[key] > 1:
            return
        slug = re.sub(r"[^A-Za-z0-9_.@:-]+", "_", key)[:120].replace(":", "_")
        d = os.path.join(self.dir, f"{result['outcome']}-{slug}-{hashlib.sha1(key.encode()).hexdigest()[:8]}")
        os.makedirs(d, exist_ok=True)
        src = job.get("path") or job.get("model")
        if src and os.path.exists(src):
            shutil.copy(src, os.path.join(d, os.path.basename(src)))
        with open(os.path.join(d, "error.txt"), "w") as f:
            f.write(f"key: {key}\noutcome: {result['outcome']}\njob: {json.dumps(job)}\n\n"
                    f"{result.get('error', '')}\n\n{result.get('traceback', '')}")
        self.first[key] = d


def run_jobs(jobs, findings: Findings, n_workers: int = 1, timeout: float = 20.0, deadline: float = None,
             as_bytes: int = AS_LIMIT, on_result=None, progress_every: float = 30.0) -> int:
    """Executes jobs (an iterator of dicts) on n_workers workers until exhausted or the deadline;
    returns the number executed. on_result(job, result) runs in this process (e.g. to delete a mutant file)."""
    from .outcome import FINDINGS

    workers = [Worker(as_bytes) for _ in range(n_workers)]
    jobs = iter(jobs)
    done, exhausted, last = 0, False, time.monotonic()

    def finish(w, result):
        nonlocal done
        findings.record(w.job, result, result["outcome"] in FINDINGS)
        if on_result:
            on_result(w.job, result)
        w.job = None
        done += 1

    try:
        while True:
            for i, w in enumerate(workers):
                if w.job is None and not exhausted and (deadline is None or time.monotonic() < deadline):
                    job = next(jobs, None)
                    if job is None:
                        exhausted = True
                        continue
                    try:
                        w.send(job)
                    except OSError:  # it died after its last answer: a fresh one takes the job
                        w.kill()
                        workers[i] = Worker(as_bytes)
                        workers[i].send(job)
            busy = [w for w in workers if w.job is not None]
            if not busy:
                break
            ready, _, _ = select.select([w.proc.stdout for w in busy], [], [], 0.5)
            for i, w in enumerate(workers):
                if w.job is None:
                    continue
                result = w.read() if w.proc.stdout in ready else None
                if result is None and time.monotonic() - w.started > timeout:
                    result = {"outcome": "timeout", "key": f"timeout:{w.job.get('kind')}",
                              "error": f"no result after {timeout:.0f} s"}
                    if w.interim:  # pocketml had answered; the oracle is the one hanging
                        result = {**w.interim, "outcome": w.interim["outcome"] + "+oracle_timeout"}
                if result is None:
                    continue
                finish(w, result)
                if result["outcome"].endswith("timeout") or w.proc.poll() is not None:
                    w.kill()
                    workers[i] = Worker(as_bytes)
            if progress_every and time.monotonic() - last > progress_every:
                last = time.monotonic()
                print(f"  {done} executions, {sum(findings.keys.values())} findings "
                      f"({len(findings.keys)} distinct)", file=sys.stderr, flush=True)
    finally:
        for w in workers:
            w.kill()
    return done
