"""The ASan+UBSan configuration in CI: build native/ with -DPML_SANITIZE=ON, run every C test
under it (LeakSanitizer on, the hostile-file fuzzer at a reduced PML_FUZZ_ITERS), then run a
sample of the Python tests in a subprocess against the sanitizer library. A test fails on any
sanitizer report in its output, whatever its exit status.

The compiler is clang when it is installed (its UBSan also reports arithmetic on NULL, which
GCC's does not), else gcc; PML_SANITIZE_CC overrides. The build directory lives in the system
temporary directory, one per checkout and compiler, so a second run rebuilds only what changed.
Without the compiler's sanitizer runtimes the tests skip, saying which one is missing.
"""
from __future__ import annotations

import hashlib
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NATIVE = ROOT / "native"
C_TESTS = sorted(p.stem for p in (NATIVE / "tests").glob("test_*.c"))

# Python tests run against the sanitizer library: paths (files or directories) relative to the
# repository, optionally with a pytest -k expression. A path that does not exist is skipped.
PYTHON_SAMPLE = [
    ("tests/runtime/test_session_threads.py", None),  # 8 threads sharing one session
    ("tests/runtime/test_empty_batch.py", None),  # batch 0 through every op family
    ("tests/runtime/test_empty_kernels.py", None),  # the kernels' empty-tensor cases UBSan found
    ("tests/runtime/test_control_flow.py", None),
    ("tests/runtime/test_dynamic.py", None),
    ("tests/format/test_format_corruption.py", None),  # hostile files through the C loader
    ("tests/fuzz", None),  # fuzz regressions
]
FUZZ_ITERS = 3000  # test_hostile.c's mutations under ASan (default 100000; ~1 s per 1000 here)

# What a report looks like: ASan/LSan/UBSan headers and the UBSan line format.
REPORT = re.compile(r"ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error: |SUMMARY: \w+Sanitizer")


def sanitizer_reports(output: str) -> list:
    """The lines of `output` that are sanitizer reports."""
    return [line for line in output.splitlines() if REPORT.search(line)]


def _compiler() -> str:
    cc = os.environ.get("PML_SANITIZE_CC") or ("clang" if shutil.which("clang") else "gcc")
    if not shutil.which(cc):
        pytest.skip(f"no C compiler {cc!r} for the sanitizer build")
    return cc


def _runtime(cc: str, names: list) -> str:
    """LD_PRELOAD value for the compiler's sanitizer runtimes (a Python process is not linked with
    them, and ASan must come first)."""
    paths = []
    for name in names:
        r = subprocess.run([cc, f"-print-file-name={name}"], capture_output=True, text=True)
        path = r.stdout.strip()
        if r.returncode != 0 or not os.path.isabs(path) or not os.path.exists(path):
            pytest.skip(f"{cc} has no {name} (its sanitizer runtime is not installed)")
        paths.append(path)
    return ":".join(paths)


def _preload(cc: str) -> str:
    if "clang" in os.path.basename(cc):  # clang's ASan runtime carries UBSan's handlers too
        arch = os.uname().machine
        return _runtime(cc, [f"libclang_rt.asan-{arch}.so"])
    return _runtime(cc, ["libasan.so", "libubsan.so"])


@pytest.fixture(scope="module")
def sanitizer_build():
    """(build directory, LD_PRELOAD) of the ASan+UBSan configuration with the C tests."""
    if not shutil.which("cmake"):
        pytest.skip("cmake is not installed")
    cc = _compiler()
    preload = _preload(cc)
    tag = hashlib.sha1(f"{NATIVE}:{shutil.which(cc)}".encode()).hexdigest()[:12]
    build = pathlib.Path(tempfile.gettempdir()) / f"pocketml-sanitize-{tag}"
    # a configured directory keeps its generator
    generator = ["-G", "Ninja"] if shutil.which("ninja") and not (build / "CMakeCache.txt").exists() else []
    configure = subprocess.run(["cmake", *generator, "-S", str(NATIVE), "-B", str(build), f"-DCMAKE_C_COMPILER={cc}",
                                "-DPML_SANITIZE=ON", "-DPML_BUILD_TESTS=ON", "-DCMAKE_BUILD_TYPE=Debug"],
                               capture_output=True, text=True)
    assert configure.returncode == 0, (configure.stdout + configure.stderr)[-6000:]
    built = subprocess.run(["cmake", "--build", str(build), "-j2"], capture_output=True, text=True)
    assert built.returncode == 0, (built.stdout + built.stderr)[-6000:]
    return build, preload


def _env(**extra) -> dict:
    env = dict(os.environ)
    env.update({
        # halt on the first report; ASan returns NULL for absurd sizes, as malloc does (out-of-memory tests)
        "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
        "ASAN_OPTIONS": "halt_on_error=1:allocator_may_return_null=1:detect_leaks=1",
    }, **extra)
    return env


@pytest.mark.slow
def test_c_tests_under_asan_and_ubsan(sanitizer_build):
    """Every C test, with LeakSanitizer: any report, failure or missing test fails."""
    build, _ = sanitizer_build
    r = subprocess.run(["ctest", "--test-dir", str(build), "-j2", "--output-on-failure", "--timeout", "900"],
                       capture_output=True, text=True, env=_env(PML_FUZZ_ITERS=str(FUZZ_ITERS)))
    out = r.stdout + r.stderr
    assert not sanitizer_reports(out), out[-8000:]
    assert r.returncode == 0, out[-8000:]
    assert re.search(rf"100% tests passed(, 0 tests failed)? out of {len(C_TESTS)}\b", out), out[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("path, expr", PYTHON_SAMPLE, ids=[p for p, _ in PYTHON_SAMPLE])
def test_python_sample_under_asan_and_ubsan(sanitizer_build, path, expr):
    """The sample through the sanitizer library (POCKETML_LIBRARY). Python itself leaks by design,
    so LeakSanitizer is off here; --capture=sys lets the C library's stderr through."""
    if not (ROOT / path).exists():
        pytest.skip(f"{path} does not exist in this checkout")
    build, preload = sanitizer_build
    env = _env(POCKETML_LIBRARY=str(build / "libpocketml.so"), LD_PRELOAD=preload,
               ASAN_OPTIONS="halt_on_error=1:allocator_may_return_null=1:detect_leaks=0")
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--capture=sys", "-m", "not slow", path]
    if expr:
        cmd += ["-k", expr]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=1800)
    out = r.stdout + r.stderr
    assert not sanitizer_reports(out), "\n".join(sanitizer_reports(out)[:20]) + "\n" + out[-8000:]
    assert r.returncode == 0 or (r.returncode == 5 and "deselected" in out), out[-8000:]  # 5: all slow


def test_sanitizer_reports_are_recognised():
    """The scan that fails the tests above, on real report lines of ASan, LSan and UBSan."""
    assert sanitizer_reports("ok\n==12==ERROR: AddressSanitizer: heap-use-after-free on address 0x6\n") != []
    assert sanitizer_reports("==7==ERROR: LeakSanitizer: detected memory leaks") != []
    assert sanitizer_reports("conv.c:484:55: runtime error: applying zero offset to null pointer") != []
    assert sanitizer_reports("SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior conv.c:484:55") != []
    assert sanitizer_reports("12 passed in 3.1s\nruntime errors: none\nERROR: model.pml is stale") == []
