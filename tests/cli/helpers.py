"""Shared by the CLI tests: run the CLI in-process (main(argv) with capsys) or as a
subprocess, tiny models written on the fly, and the check every user mistake must pass:
one line on stderr, no traceback, the right exit code."""
from __future__ import annotations

import subprocess
import sys

import onnx
from onnx import TensorProto, helper

from pocketml.cli import main


def run_main(capsys, *args) -> tuple:
    """(exit code, stdout, stderr) of main(argv) in this process."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def run_subprocess(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pocketml", *map(str, args)], capture_output=True, text=True, **kw)


def assert_mistake(result: tuple, code: int, *words: str) -> str:
    """result = (code, out, err): one line on stderr naming the words, no traceback."""
    got, out, err = result
    assert got == code, (got, err)
    assert "Traceback" not in err + out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def relu_model(path, name: str = "data_0", shape=(1, 4), op: str = "Relu", opset: int = 13):
    x = helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, list(shape))
    g = helper.make_graph([helper.make_node(op, [name], ["y"])], "g", [x], [y])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)]), str(path))
    return path
