"""What a worker does with one job, and how it classifies the outcome.

Import jobs convert a mutated file with pocketml.convert and, when that works
and every input can be given a concrete shape, run it once with small random
inputs. Outcomes that are fine: "ran", "run_error" (a PocketMLError while
creating the session or running), "converted" (not runnable here), "refused"
(a ConversionError or other PocketMLError). Findings: "exception" (any other
Python exception), "internal_error" (the importers' last-resort wrapper: an
escape made polite), "spec_accepted" (a mutation known to break the spec ran
as if the file were valid). The driver adds "timeout" and "crash".
"""
from __future__ import annotations

import numpy as np

from .feeds import LOOP_LIMIT, random_feeds
from .outcome import describe, frame_key

def _run_once(model, rng: np.random.Generator) -> dict:
    import pocketml
    from pocketml.errors import PocketMLError

    try:
        # a mutated loop may never stop: the default limit (2^24 iterations) takes ~40 s to reach, so cap it
        session = pocketml.Session(model, max_loop_iterations=LOOP_LIMIT)
        feeds = random_feeds(session.inputs, rng)
        if feeds is None:
            return {"outcome": "converted"}
        session.run(feeds)
    except PocketMLError as e:
        return {"outcome": "run_error", "error": f"{type(e).__name__}: {e}"[:500]}
    return {"outcome": "ran"}


def execute_import(job: dict) -> dict:
    import pocketml
    from pocketml.errors import PocketMLError

    rng = np.random.default_rng(job.get("seed", 0))
    try:
        model = pocketml.convert(job["path"])
    except PocketMLError as e:
        if "internal error" in str(e):
            cause = e.__cause__ or e
            return {"outcome": "internal_error", "key": "internal:" + frame_key(cause), **describe(cause)}
        return {"outcome": "refused", "error": f"{type(e).__name__}: {e}"[:500]}
    except BaseException as e:  # noqa: BLE001 - every escape is the finding
        return {"outcome": "exception", "key": frame_key(e), **describe(e)}
    try:
        result = _run_once(model, rng)
    except BaseException as e:  # noqa: BLE001
        return {"outcome": "exception", "key": "run:" + frame_key(e), **describe(e)}
    if job.get("spec") and result["outcome"] == "ran":
        last = job.get("kind", "").split("+")[-1].split("=")[0].rstrip("!")
        return {"outcome": "spec_accepted", "key": f"spec:{last}",
                "error": f"a file broken by '{job.get('kind')}' ({job.get('detail', '')}) converted and "
                         "ran as if valid"}
    return result


def _selftest(job: dict, emit=None) -> dict:
    """Misbehaviours on demand, for the driver's own tests."""
    action = job["action"]
    if action == "answer_then_segfault":  # pocketml answered, then the oracle crashed the process
        emit({"outcome": "ran"})
        action = "segfault"
    if action == "hang":
        import time
        time.sleep(3600)
    if action == "segfault":
        import ctypes
        ctypes.string_at(0)
    if action == "raise":
        raise KeyError("selftest")
    return {"outcome": "ran"}


def execute(job: dict, emit=None) -> dict:
    try:
        if job["target"] == "selftest":
            return _selftest(job, emit)
        if job["target"] == "runtime":
            from .runtime_target import execute_runtime

            return execute_runtime(job, emit)
        if job["target"] == "pml":
            from .pml_mutate import execute_pml

            return execute_pml(job)
        return execute_import(job)
    except BaseException as e:  # noqa: BLE001 - the harness's own failure, reported rather than lost
        return {"outcome": "exception", "key": "harness:" + frame_key(e), **describe(e)}
