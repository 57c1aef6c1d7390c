"""The examples run as documented: the C program is compiled against the
installed header and library, loads a converted model and prints the same
top-1 class as onnxruntime; the Python quickstart runs end to end."""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import onnx
import pytest

import pocketml

ROOT = pathlib.Path(__file__).resolve().parents[1]
SQUEEZENET = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light", "light_squeezenet.onnx")


def installed_file(relative: str) -> pathlib.Path:
    for base in pocketml.__path__:
        p = pathlib.Path(base) / relative
        if p.exists():
            return p
    raise FileNotFoundError(relative)


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
def test_c_example_matches_onnxruntime(tmp_path):
    lib = installed_file("lib/libpocketml.so")
    include = installed_file("include/pocketml.h").parent
    exe = tmp_path / "run_model"
    subprocess.run(["cc", "-O2", str(ROOT / "examples/c/run_model.c"), f"-I{include}", f"-L{lib.parent}",
                    "-lpocketml", f"-Wl,-rpath,{lib.parent}", "-o", str(exe)], check=True)
    pml = tmp_path / "squeezenet.pml"
    pocketml.convert(SQUEEZENET).save(pml)

    proc = subprocess.run([str(exe), str(pml), "--threads", "2"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    top1 = int(next(l for l in proc.stdout.splitlines() if "top1" in l).split("index")[1].split()[0])

    import onnxruntime as ort

    sess = ort.InferenceSession(SQUEEZENET, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    n = int(np.prod(inp.shape))
    x = (np.arange(n) / n).astype(np.float32).reshape(inp.shape)  # the C example's ramp input
    expected = sess.run(None, {inp.name: x})[0].reshape(-1)
    assert top1 == int(np.argmax(expected))

    bad = subprocess.run([str(exe), str(tmp_path / "missing.pml")], capture_output=True, text=True)
    assert bad.returncode != 0 and "missing.pml" in bad.stderr


def test_python_quickstart_runs(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "examples/python/quickstart.py")], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "top-5 classes:" in proc.stdout
    assert (tmp_path / "squeezenet.pml").exists()
