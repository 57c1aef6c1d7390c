"""Progress bars on stderr (tqdm) for conversion and benchmarking.

Quiet when stderr is not a terminal (pipes, CI logs, tests). A conversion has no
per-node callback, so ``stage`` shows what is running with a live elapsed time
(refreshed by a background thread); benchmarks count rounds with ``bar``.
"""
from __future__ import annotations

import contextlib
import sys
import threading

from tqdm import tqdm


def enabled() -> bool:
    return sys.stderr.isatty()


@contextlib.contextmanager
def bar(desc: str, total: int, unit: str = "round"):
    """A counting bar; yields its update(n) function."""
    b = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=not enabled(), leave=False,
             dynamic_ncols=True)
    try:
        yield b.update
    finally:
        b.close()


@contextlib.contextmanager
def stage(desc: str):
    """An elapsed-time spinner for work of unknown length (a conversion)."""
    if not enabled():
        yield
        return
    b = tqdm(desc=desc, file=sys.stderr, leave=False, bar_format="{desc} {elapsed}", dynamic_ncols=True)
    done = threading.Event()

    def tick():
        while not done.wait(0.25):
            b.refresh()

    t = threading.Thread(target=tick, daemon=True)
    t.start()
    try:
        yield
    finally:
        done.set()
        t.join()
        b.close()
