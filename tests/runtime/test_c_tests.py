"""Build native/ with the C tests (-DPML_BUILD_TESTS=ON) once per pytest
session into a temporary directory, then run each C test through ctest and
check its "N passed, 0 failed" summary line (testutil.h's test_finish)."""
from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess

import pytest

NATIVE = pathlib.Path(__file__).resolve().parents[2] / "native"
C_TESTS = sorted(p.stem for p in (NATIVE / "tests").glob("test_*.c"))


@pytest.fixture(scope="session")
def c_build(tmp_path_factory) -> pathlib.Path:
    if not shutil.which("cmake"):
        pytest.skip("cmake is not installed")
    build = tmp_path_factory.mktemp("native-build")
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    configure = subprocess.run(["cmake", *generator, "-S", str(NATIVE), "-B", str(build), "-DPML_BUILD_TESTS=ON",
                                "-DCMAKE_BUILD_TYPE=Release"], capture_output=True, text=True)
    assert configure.returncode == 0, configure.stdout + configure.stderr
    built = subprocess.run(["cmake", "--build", str(build), "-j2"], capture_output=True, text=True)
    assert built.returncode == 0, (built.stdout + built.stderr)[-6000:]
    return build


@pytest.mark.parametrize("name", C_TESTS)
def test_c(c_build, name):
    env = dict(os.environ)
    r = subprocess.run(["ctest", "-R", f"^{name}$", "--output-on-failure", "-V"], cwd=c_build, capture_output=True,
                       text=True, env=env, timeout=600)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-6000:]
    summary = re.search(rf"{name}: (\d+) passed, (\d+) failed", out)
    assert summary, f"{name} printed no summary line:\n{out[-3000:]}"
    assert int(summary.group(2)) == 0 and int(summary.group(1)) > 0, summary.group(0)
