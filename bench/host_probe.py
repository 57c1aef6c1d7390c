"""Where the host put this machine's CPUs, for reading multi-threaded benchmark results.

`cross_core_ns()` builds bench/cross_core_latency.c with the system C compiler (once per
process, in a temporary directory) and returns the round trip of a cache line between the
first two CPUs, in ns; None without a compiler or a second CPU. On this VM the host moves
the two vCPUs between cores that share an L3 (~60 ns) and cores on different L3 domains
(~340 ns) every few seconds to minutes; a two-thread time measured in the second state is
10-25% slower for every engine (docs/benchmarks.md, "Two threads and where the host puts the CPUs").
`placement(ns)` names the state; `around(threads, run)` runs a timing and says what the state
was over it, for the benchmarks' "host CPUs" column.
"""
from __future__ import annotations

from typing import Callable, TypeVar
import functools
import os
import shutil
import subprocess
import tempfile

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cross_core_latency.c")
SHARED_L3_MAX_NS = 150  # measured: ~55-80 ns sharing an L3, ~300-370 ns across L3 domains


@functools.lru_cache(maxsize=None)
def _probe_binary() -> str | None:
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        return None
    exe = os.path.join(tempfile.mkdtemp(prefix="pml-probe-"), "cross_core_latency")
    built = subprocess.run([cc, "-O2", "-pthread", SOURCE, "-o", exe], capture_output=True)
    return exe if built.returncode == 0 else None


def cross_core_ns() -> int | None:
    exe = _probe_binary()
    if exe is None:
        return None
    try:  # a partner thread the OS kept on the same CPU turns each round trip into a time slice
        out = subprocess.run([exe], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return None
    return int(out.stdout) if out.returncode == 0 and out.stdout.strip().isdigit() else None


def placement(ns: int | None) -> str:
    if ns is None:
        return "unknown"
    return "shared L3" if ns <= SHARED_L3_MAX_NS else "split L3"


T = TypeVar("T")


def around(threads: int, run: Callable[[], T]) -> tuple[T, str]:
    """run()'s result and the CPUs' placement over it, probed before and after: "shared L3",
    "split L3", "changed (before/after ns)" when it moved, "unknown" without the probe, and ""
    at one thread (the placement does not matter there)."""
    if threads < 2:
        return run(), ""
    before = cross_core_ns()
    result = run()
    after = cross_core_ns()
    if before is None or after is None:
        return result, "unknown"
    a, b = placement(before), placement(after)
    return result, f"{a if a == b else 'changed'} ({before}/{after} ns)"
