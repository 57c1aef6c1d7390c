"""pocketml fuzzers (pure Python: no libFuzzer or atheris on the build machines).

Targets: the ONNX importer, the TFLite importer, the .pml loader (structure-aware:
pml_mutate.py; the C tests add a byte-level one, native/tests/test_hostile.c) and
the run time. Mutants are made in
the parent process from a seed, deterministically; each is executed by a worker
subprocess under a 4 GiB address-space limit and a per-file timeout, so a hang,
a kill or a segfault is recorded as a finding instead of ending the run.

    python -m fuzz onnx --seed 1 --iterations 2000 --jobs 2
    python -m fuzz tflite --time 600
    python -m fuzz pml --iterations 20000
    python -m fuzz runtime --iterations 500

See docs/reliability.md for the long runs and their totals.
"""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the checkout the fuzzers run from
