"""Build native/ with the C tests (-DPML_BUILD_TESTS=ON) and the kernel micro-benchmarks
(-DPML_BUILD_BENCH=ON, so they cannot rot unseen) once per pytest session into a temporary
directory, then run each C test through ctest and check its "N passed, 0 failed" summary line
(testutil.h's test_finish), and each benchmark once on a tiny shape."""
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
                                "-DPML_BUILD_BENCH=ON", "-DCMAKE_BUILD_TYPE=Release"], capture_output=True, text=True)
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


@pytest.mark.parametrize("args", [["--reps", "2", "--conv", "9", "7", "5", "6", "3", "2", "1"],
                                  ["--reps", "2", "--scalar", "--conv", "8", "8", "6", "6", "3", "1", "1", "6"],
                                  ["--reps", "2", "--threads", "2", "--gemm", "13", "17", "19"]])
def test_conv_benchmark_runs(c_build, args):
    r = subprocess.run([str(c_build / "pml_bench_conv"), *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "bench:" not in r.stderr, r.stdout + r.stderr
    assert re.search(r"\d+\.\d+ ms +\d+\.\d+ GFLOP/s", r.stdout), r.stdout  # a time and a GFLOP/s figure


def test_conv_benchmark_refuses_a_bad_shape(c_build):
    r = subprocess.run([str(c_build / "pml_bench_conv"), "--conv", "8", "8", "6", "6", "3", "1", "1", "--reps", "2"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "group dividing" in r.stderr, r.stdout + r.stderr  # "--reps" read as the group


@pytest.mark.parametrize("threads", ["1", "2"])
def test_int8_dwconv_benchmark_runs(c_build, threads):
    """pml_bench_int8_dwconv checks each candidate against the reference before timing it."""
    r = subprocess.run([str(c_build / "pml_bench_int8_dwconv"), "--rounds", "1", "--threads", threads],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "WRONG" not in r.stdout, r.stdout + r.stderr
    assert "avx512vnni" in r.stdout or re.search(r"K MAC .*\d+\.\d", r.stdout), r.stdout
