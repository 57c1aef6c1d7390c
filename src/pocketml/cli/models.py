"""What the subcommands work on: a .pml read as records (no session, no weights copy), a
source model converted in memory, a timed Session."""
from __future__ import annotations

import mmap
import os
import time

import pocketml  # pocketml.convert: importing the module pocketml.convert would hide the function

from ..format.reader import read_records
from ..runtime import Session
from . import progress


def read_pml(path: str, verify_checksum: bool = False) -> tuple:
    """(FileHeader, ModelRecord) of a .pml, header verified (and the checksum if asked). The
    file is mapped, not read: only the graph section is decoded, so without the checksum this
    takes the same time for any file size."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        header, record, weights = read_records(mm, verify_checksum)
        weights.release()  # the map closes with the `with`: nothing may still point into it
    return header, record


def convert_source(path: str, input_shapes=None, max_fold_bytes=None):
    with progress.stage(f"converting {path}"):
        return pocketml.convert(path, input_shapes=input_shapes or None, max_fold_bytes=max_fold_bytes)


def metadata_of(path: str, fmt: str) -> dict:
    """What a .pml records about itself; a source model is its own source."""
    if fmt == "pml":
        return dict(read_pml(path)[1].metadata)
    return {"source": path, "source_format": fmt}


def open_session(path: str, fmt: str, threads: int, memory_limit: int = 0) -> tuple:
    """(Session, seconds to create it). A source model is converted first (not timed)."""
    source = path if fmt == "pml" else convert_source(path)
    t0 = time.perf_counter()
    session = Session(source, threads=threads, memory_limit=memory_limit)
    return session, time.perf_counter() - t0


def refuse_source(path: str, fmt: str) -> str:
    """The one-line refusal for a command that reads .pml files only."""
    stem = os.path.splitext(os.path.basename(path))[0]
    what = "a TFLite model" if fmt == "tflite" else 'not a .pml file (it does not start with "POCKETML")'
    return f"{path} is {what}; convert a source model first: pocketml convert {path} -o {stem}.pml"
