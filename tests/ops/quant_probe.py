"""Build and drive native/tests/tools/quant_probe.c, the command-line front end of the
quantized C kernels that tests/ops/test_quant_{oracles,runtimes}.py compare with the numpy
oracles and with LiteRT/onnxruntime. It is compiled directly from the kernel sources (pure
C), so those tests need a C compiler but not the runtime library."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

NATIVE = Path(__file__).resolve().parents[2] / "native"
LUT_FNS = ["logistic", "tanh", "hardswish", "leakyrelu", "gelu", "gelu_tanh", "elu"]  # PML_QLUT_* order


def bits(f) -> int:
    """A float32 as the decimal value of its IEEE bits (how the probe reads floats)."""
    return int(np.asarray(f, np.float32).view(np.uint32))


def build(directory: Path):
    """Compile the probe into directory; return run(commands) -> one int64 array per command."""
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        pytest.skip("no C compiler")
    exe = directory / "quant_probe"
    sources = sorted((NATIVE / "src" / "kernels" / "quant").glob("*__scalar.c"))
    sources.append(NATIVE / "src" / "kernels" / "pool" / "f32_pool__scalar.c")  # pml_pool_avg_count
    cmd = [cc, "-std=c11", "-O1", "-I", str(NATIVE / "src"), "-I", str(NATIVE / "include"),
           str(NATIVE / "tests" / "tools" / "quant_probe.c"), *map(str, sources), "-lm", "-o", str(exe)]
    subprocess.run(cmd, check=True, capture_output=True)

    def run(commands: list) -> list:
        text = "\n".join(" ".join(str(t) for t in c) for c in commands) + "\n"
        out = subprocess.run([str(exe)], input=text, capture_output=True, text=True, check=True).stdout
        return [np.array(line.split(), np.int64) for line in out.strip().split("\n")]

    return run
