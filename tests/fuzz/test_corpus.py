"""Replays the regression corpus (tests/fuzz/corpus/): every file a fuzzer
found crashing, hanging or escaping with a raw exception, after its fix. Each
must now convert (or load) and run, or fail with a PocketMLError; a spec
violation must be refused. Files run in a worker subprocess, so a regression
that segfaults fails this test instead of killing pytest.

corpus/README.md says where each file comes from and what it broke."""
from __future__ import annotations

import os

import pytest

from fuzz.driver import Findings, run_jobs
from fuzz.outcome import FINDINGS

CORPUS = os.path.join(os.path.dirname(__file__), "corpus")
FILES = sorted(f for f in os.listdir(CORPUS) if f.endswith((".onnx", ".tflite", ".pml")))


def test_corpus_is_listed_in_its_readme():
    readme = open(os.path.join(CORPUS, "README.md")).read()
    assert FILES and all(f in readme for f in FILES)


def test_every_corpus_file_is_a_clean_success_or_error(tmp_path):
    jobs = [{"target": "import", "path": os.path.join(CORPUS, f), "kind": f, "seed": k,
             "spec": f.startswith("spec_")} for k, f in enumerate(FILES)]
    results = {}
    findings = Findings(str(tmp_path / "findings"))
    run_jobs(jobs, findings, n_workers=2, timeout=60.0, progress_every=0,
             on_result=lambda job, r: results.__setitem__(job["kind"], r))
    assert sorted(results) == FILES
    bad = {f: (r["outcome"], r.get("error", "")[:300]) for f, r in results.items() if r["outcome"] in FINDINGS}
    assert not bad, bad


@pytest.mark.parametrize("name", [f for f in FILES if not f.endswith(".pml")])
def test_cli_convert_prints_one_line_or_succeeds(tmp_path, name):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "pocketml", "convert", os.path.join(CORPUS, name), "-o",
                        str(tmp_path / "m.pml")], capture_output=True, text=True, timeout=120)
    assert "Traceback" not in r.stderr
    assert r.returncode == 0 or len([x for x in r.stderr.splitlines() if x.strip()]) == 1, r.stderr
