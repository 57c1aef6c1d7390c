"""--memory-limit on the commands that create sessions (run, bench): sizes with K/M/G suffixes;
a plan over the limit is one line on stderr naming the bytes and the limit, exit code 1; a bad
size is a usage error (exit 2); under the limit the command works as before."""
from __future__ import annotations

import numpy as np
import onnx
import pytest

from tests.cli.helpers import assert_mistake, run_main
from tests.runtime.memory_models import recurrent


@pytest.fixture(scope="module")
def lstm_onnx(tmp_path_factory):
    path = tmp_path_factory.mktemp("memlimit") / "lstm.onnx"
    onnx.save(recurrent("LSTM"), path)
    return path


def test_run_over_the_limit_is_one_line(capsys, lstm_onnx, tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((2, 1 << 20, 1), np.float32))
    line = assert_mistake(run_main(capsys, "run", lstm_onnx, "--input", f"X={tmp_path / 'x.npy'}",
                                   "--memory-limit", "1G"), 1, "out of memory", "[2,1048576,1]",
                          "memory limit of 1073741824 bytes (1 GiB)")
    assert "that is" in line


def test_run_under_the_limit(capsys, lstm_onnx, tmp_path):
    np.save(tmp_path / "x.npy", np.ones((2, 4, 1), np.float32))
    code, out, err = run_main(capsys, "run", lstm_onnx, "--input", f"X={tmp_path / 'x.npy'}", "--memory-limit", "64M")
    assert code == 0, err
    assert "Y_h: float32[1, 4, 128]" in out


def test_bench_over_the_limit(capsys, lstm_onnx):
    assert_mistake(run_main(capsys, "bench", lstm_onnx, "--dim", "batch=1048576", "--memory-limit", "512M",
                            "--seconds", "0.1"), 1, "memory limit of 536870912 bytes (512 MiB)")


@pytest.mark.parametrize("bad", ["lots", "-1", "1Q"])
def test_bad_size_is_a_usage_error(capsys, lstm_onnx, bad):
    assert_mistake(run_main(capsys, "run", lstm_onnx, "--random", f"--memory-limit={bad}"), 2, "--memory-limit",
                   "512M or 1G")


def test_help_names_the_flag(capsys):
    for command in ("run", "bench"):
        code, out, _ = run_main(capsys, command, "--help")
        assert code == 0 and "--memory-limit" in out and "512M or 1G" in out
