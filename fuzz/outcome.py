"""How a fuzz outcome is named: the finding classes, and an exception's key (type and top frame)
and description. Shared by the import and run-time targets and the driver."""
from __future__ import annotations

import os
import traceback

FINDINGS = ("exception", "internal_error", "spec_accepted", "mismatch", "timeout", "crash")


def frame_key(exc: BaseException) -> str:
    """(exception type, top frame): the innermost frame in pocketml's code, else the innermost one."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "pocketml" in f.filename or "/converters/" in f.filename]
    top = (ours or frames or [None])[-1]
    where = f"{os.path.basename(top.filename)}:{top.name}" if top else "?"
    return f"{type(exc).__name__}@{where}"


def describe(exc: BaseException) -> dict:
    return {"error": f"{type(exc).__name__}: {exc}"[:2000],
            "traceback": "".join(traceback.format_exception(exc))[-8000:]}
