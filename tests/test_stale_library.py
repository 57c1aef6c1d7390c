"""The stale-library check (tests/stale_library.py, run by tests/conftest.py): the loaded library's
source fingerprint equals the checked-out native/ tree's, CMake and Python compute the same
fingerprint, an edit to a hashed file changes it, and a mismatch stops the session with the
fix in the message."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from . import stale_library as sl


def test_the_loaded_library_was_built_from_this_tree():
    if os.environ.get("POCKETML_LIBRARY"):
        pytest.skip("POCKETML_LIBRARY names the library: the check does not apply")
    from pocketml.native import library_path

    built = sl.library_hash(library_path())
    assert built is not None, "pml_build_source_hash is missing from the library"
    assert re.fullmatch(r"[0-9a-f]{64}", built)
    assert built == sl.source_hash()


def test_cmake_and_python_compute_the_same_hash(tmp_path):
    if not shutil.which("cmake"):
        pytest.skip("cmake is not installed")
    out = tmp_path / "pml_source_hash.c"
    r = subprocess.run(["cmake", f"-DROOT={sl.NATIVE}", f"-DOUT={out}", "-P",
                        str(sl.NATIVE / "cmake" / "source_hash.cmake")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    text = out.read_text()
    assert f'return "{sl.source_hash()}";' in text
    assert f"from {len(sl.hashed_files())} files" in text


def test_edits_to_hashed_files_change_the_hash_and_others_do_not(tmp_path):
    native = tmp_path / "native"
    shutil.copytree(sl.NATIVE, native, ignore=shutil.ignore_patterns("tests", "bench"))
    base = sl.source_hash(native)
    assert base == sl.source_hash()  # the C tests and benchmarks are not part of the library
    assert "CMakeLists.txt" in sl.hashed_files(native) and "include/pocketml.h" in sl.hashed_files(native)
    (native / "src" / "notes.txt").write_text("not a source")
    assert sl.source_hash(native) == base
    kernel = native / "src" / "kernels" / "activation.c"
    kernel.write_bytes(kernel.read_bytes() + b"\n")
    assert sl.source_hash(native) != base
    (native / "src" / "new_file.c").write_text("/* new */\n")
    assert len(sl.hashed_files(native)) == len(sl.hashed_files()) + 1


def test_a_different_hash_is_stale_with_the_fix_in_the_message():
    tree = sl.source_hash()
    assert sl.stale_message("/x/libpocketml.so", tree, tree) is None
    msg = sl.stale_message("/x/libpocketml.so", "0" * 64, tree)
    assert msg.startswith("libpocketml.so is stale: run pip install -e .") and "/x/libpocketml.so" in msg
    assert "no source fingerprint" in sl.stale_message("/x/libpocketml.so", None, tree)


def test_a_library_named_by_pocketml_library_is_not_checked():
    problem, note = sl.check({"POCKETML_LIBRARY": "/tmp/asan/libpocketml.so"})
    assert problem is None and "stale-library check is skipped" in note
