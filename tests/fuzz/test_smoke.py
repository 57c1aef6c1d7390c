"""CI smoke runs of the fuzzers: a fixed seed and a short budget each (about
20-30 s on two cores), no finding allowed except the classes known_open.py
lists (fixes in progress elsewhere). The long runs are marked slow; the
documented commands for longer campaigns are in docs/reliability.md."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .known_open import unexpected

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _fuzz(tmp_path, target: str, iterations: int, seed: int = 1) -> dict:
    summary = tmp_path / "summary.json"
    r = subprocess.run([sys.executable, "-m", "fuzz", target, "--seed", str(seed), "--iterations", str(iterations),
                        "--jobs", "2", "--progress", "0", "--cli-sample", "3", "--findings", str(tmp_path / "found"),
                        "--summary", str(summary)], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert summary.exists(), r.stderr[-3000:]
    result = json.loads(summary.read_text())
    assert result["executions"] == iterations
    return result


def _check(result: dict) -> None:
    new = unexpected(result["findings"])
    assert not new, {k: result["saved"][k] for k in new}


@pytest.mark.parametrize("target,iterations", [("onnx", 600), ("tflite", 600), ("pml", 600), ("runtime", 40)])
def test_fuzzer_smoke(tmp_path, target, iterations):
    result = _fuzz(tmp_path, target, iterations)
    _check(result)
    outcomes = result["outcomes"]
    # the mutants reach both sides: some are refused, some still run
    if target == "runtime":
        assert outcomes.get("ran", 0) > iterations // 4
    else:
        assert outcomes.get("refused", 0) > iterations // 10 and outcomes.get("ran", 0) > iterations // 20
        assert outcomes.get("cli_ok", 0) >= 1


@pytest.mark.slow
@pytest.mark.parametrize("target,iterations", [("onnx", 20000), ("tflite", 20000), ("pml", 20000), ("runtime", 1000)])
def test_fuzzer_longer(tmp_path, target, iterations):
    _check(_fuzz(tmp_path, target, iterations, seed=2))
