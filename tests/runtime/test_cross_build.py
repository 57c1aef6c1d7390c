"""Cross builds of the whole C runtime: aarch64 (built with Debian's
gcc-aarch64-linux-gnu, C tests run under qemu-aarch64, where the scalar
kernel configuration is the only one) and armhf (compiled only). They prove
that no x86 kernel or CPU test leaks out of kernels/config.c, cpu.c and the
*__avx2*.c files that CMake compiles only on x86. Skipped, with the missing
tool named, when the cross toolchain or qemu is not installed (.ci/run
installs them)."""
from __future__ import annotations

import pathlib
import shutil
import subprocess

import pytest

NATIVE = pathlib.Path(__file__).resolve().parents[2] / "native"


def _need(*tools: str) -> None:
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install gcc-aarch64-linux-gnu "
                    "gcc-arm-linux-gnueabihf qemu-user)")


def _configure_and_build(build: pathlib.Path, processor: str, compiler: str, *extra: str) -> None:
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    configure = subprocess.run(
        ["cmake", *generator, "-S", str(NATIVE), "-B", str(build), "-DPML_BUILD_TESTS=ON",
         "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_SYSTEM_NAME=Linux", f"-DCMAKE_SYSTEM_PROCESSOR={processor}",
         f"-DCMAKE_C_COMPILER={compiler}", *extra], capture_output=True, text=True)
    assert configure.returncode == 0, configure.stdout + configure.stderr
    built = subprocess.run(["cmake", "--build", str(build), "-j2"], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, (built.stdout + built.stderr)[-6000:]


@pytest.mark.slow
def test_aarch64_build_runs_c_tests_under_qemu(tmp_path):
    _need("cmake", "aarch64-linux-gnu-gcc", "qemu-aarch64")
    build = tmp_path / "aarch64"
    _configure_and_build(build, "aarch64", "aarch64-linux-gnu-gcc",
                         "-DCMAKE_CROSSCOMPILING_EMULATOR=qemu-aarch64;-L;/usr/aarch64-linux-gnu")
    assert not list(build.rglob("*__avx2*.o")), "x86 kernels compiled for aarch64"
    r = subprocess.run(["ctest", "-j2", "--output-on-failure"], cwd=build, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, (r.stdout + r.stderr)[-6000:]
    assert "100% tests passed" in r.stdout, r.stdout[-3000:]


@pytest.mark.slow
def test_armhf_build_compiles(tmp_path):
    _need("cmake", "arm-linux-gnueabihf-gcc")
    _configure_and_build(tmp_path / "armhf", "armv7l", "arm-linux-gnueabihf-gcc")
