"""The worker process: reads one JSON job per line on stdin, executes it with
the target's function and writes one JSON result per line on a private copy of
stdout. fd 1 itself is pointed at /dev/null so that whatever the C library or a
dependency prints cannot corrupt the protocol. The parent sets the resource
limits (driver.py) and restarts a worker that dies."""
from __future__ import annotations

import json
import os
import sys
import warnings


def main() -> None:
    out = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    warnings.simplefilter("ignore")
    from . import targets  # after the redirection: imports may print

    def emit(partial: dict) -> None:
        out.write(json.dumps({"interim": True, **partial}) + "\n")

    for line in sys.stdin:
        job = json.loads(line)
        result = targets.execute(job, emit)
        out.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
