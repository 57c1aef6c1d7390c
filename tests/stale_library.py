"""Is the loaded libpocketml built from the native/ sources of this tree?

The editable install copies libpocketml.so into site-packages, so after an edit under
native/ the Python tests would keep running the old library until `pip install -e .`
runs again. The library carries a fingerprint of its sources (pml_build_source_hash,
computed by native/cmake/source_hash.cmake at build time); source_hash() computes the
same fingerprint over the checked-out tree, and tests/conftest.py refuses to start the
session when they differ.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import pathlib
from typing import Optional

NATIVE = pathlib.Path(__file__).resolve().parents[1] / "native"
# Must match native/cmake/source_hash.cmake: the same files, order and manifest bytes.
HASHED_DIRS = ("src", "include", "schema", "cmake")
HASHED_SUFFIXES = (".c", ".h", ".fbs", ".cmake", ".in")
STALE_HINT = "libpocketml.so is stale: run pip install -e ."


def hashed_files(native: pathlib.Path = NATIVE) -> list:
    """Paths relative to native/ with '/', sorted by byte value (CMake's list(SORT))."""
    files = {"CMakeLists.txt"}
    for d in HASHED_DIRS:
        for p in (native / d).rglob("*"):
            if p.name.endswith(HASHED_SUFFIXES) and p.is_file():
                files.add(p.relative_to(native).as_posix())
    return sorted(files, key=lambda f: f.encode())


def source_hash(native: pathlib.Path = NATIVE) -> str:
    """SHA-256 of the manifest "<sha256 of the file>  <path>\\n" over hashed_files()."""
    manifest = "".join(f"{hashlib.sha256((native / f).read_bytes()).hexdigest()}  {f}\n"
                       for f in hashed_files(native))
    return hashlib.sha256(manifest.encode()).hexdigest()


def library_hash(path: str) -> Optional[str]:
    """pml_build_source_hash() of the library at `path`; None when it has none (built before
    the fingerprint existed)."""
    lib = ctypes.CDLL(path)
    try:
        fn = lib.pml_build_source_hash
    except AttributeError:
        return None
    fn.restype, fn.argtypes = ctypes.c_char_p, []
    return fn().decode()


def stale_message(path: str, built: Optional[str], tree: str) -> Optional[str]:
    """None when the library at `path` (fingerprint `built`) matches the tree's sources (`tree`),
    else the reason to stop."""
    if built == tree:
        return None
    what = "has no source fingerprint" if built is None else f"was built from other sources ({built[:12]})"
    return f"{STALE_HINT} ({path} {what}; native/ is {tree[:12]})"


def check(environ=os.environ) -> tuple:
    """-> (problem or None, note or None). A library named by POCKETML_LIBRARY is the caller's
    choice (the sanitizer build, an installed runtime): not checked, and the note says so."""
    if environ.get("POCKETML_LIBRARY"):
        return None, f"POCKETML_LIBRARY={environ['POCKETML_LIBRARY']}: the stale-library check is skipped"
    if not (NATIVE / "CMakeLists.txt").exists():
        return None, "no native/ sources beside the tests: the stale-library check is skipped"
    from pocketml.errors import RuntimeFailure
    from pocketml.native import library_path

    try:
        path = library_path()
    except RuntimeFailure as e:
        return str(e), None
    return stale_message(path, library_hash(path), source_hash()), None
