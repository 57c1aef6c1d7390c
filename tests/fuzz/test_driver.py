"""The fuzz driver survives what it is looking for: a hang, a segfault and a
Python exception in a worker are recorded as findings (saved with the input),
and the worker is restarted for the next job."""
from __future__ import annotations

import os

from fuzz.driver import Findings, run_jobs


def test_hang_crash_and_exception_are_findings_and_the_run_goes_on(tmp_path):
    src = tmp_path / "input.bin"
    src.write_bytes(b"x")
    jobs = [{"target": "selftest", "action": a, "kind": a, "path": str(src)}
            for a in ("ok", "hang", "ok", "segfault", "ok", "raise", "ok")]
    findings = Findings(str(tmp_path / "findings"))
    done = run_jobs(jobs, findings, n_workers=1, timeout=3.0, progress_every=0)
    assert done == 7
    assert findings.counts["ran"] == 4
    assert findings.counts["timeout"] == 1 and findings.counts["crash"] == 1 and findings.counts["exception"] == 1
    assert set(findings.keys) == {"timeout:hang", "crash:SIGSEGV:segfault", "harness:KeyError@targets.py:_selftest"}
    saved = sorted(os.listdir(tmp_path / "findings"))
    assert len(saved) == 3
    for d in saved:
        assert sorted(os.listdir(tmp_path / "findings" / d)) == ["error.txt", "input.bin"]


def test_duplicates_are_counted_once_on_disk(tmp_path):
    jobs = [{"target": "selftest", "action": "raise", "kind": "r"}] * 3
    findings = Findings(str(tmp_path / "f"))
    run_jobs(jobs, findings, n_workers=2, timeout=10.0, progress_every=0)
    assert findings.keys == {"harness:KeyError@targets.py:_selftest": 3}
    assert len(os.listdir(tmp_path / "f")) == 1


def test_a_crash_after_pocketml_answered_is_the_oracles(tmp_path):
    """The run-time fuzzer reports pocketml's result before asking onnxruntime, which aborts on some
    inputs (an RNN at batch 0): that crash is counted, not a finding, and the next job gets a fresh worker."""
    jobs = [{"target": "selftest", "action": a, "kind": a} for a in ("answer_then_segfault", "ok")]
    findings = Findings(str(tmp_path / "f"))
    assert run_jobs(jobs, findings, n_workers=1, timeout=10.0, progress_every=0) == 2
    assert findings.counts == {"ran+oracle_crash": 1, "ran": 1}
    assert not findings.keys
