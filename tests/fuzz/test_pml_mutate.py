"""The .pml mutator: its quantization mutations that break the format's rules (judged by the Python
reader) are all refused by the C loader, the others reach both outcomes, and mutants stay deterministic."""
from __future__ import annotations

import collections
import random

import pocketml
from fuzz import pml_mutate
from pocketml.errors import PocketMLError


def test_spec_breaking_quantization_is_refused_by_the_c_loader():
    data = dict(pml_mutate.pml_seeds())["quant.pml"]
    seen = collections.Counter()
    for i in range(300):
        out, kind, spec, detail = pml_mutate.mutate(data, random.Random(i))
        try:
            pocketml.Session(out)
            loaded = True
        except PocketMLError:
            loaded = False
        assert not (spec and loaded), f"mutant {i} ({detail}) breaks the format but loaded"
        seen[(kind.rstrip("!").split(":")[0], spec, loaded)] += 1
    assert sum(v for (k, s, _), v in seen.items() if s) > 50  # the rules are exercised
    assert any(k.startswith("quant_") and loaded for (k, _, loaded) in seen)  # and valid edits still load


def test_mutants_are_deterministic():
    data = dict(pml_mutate.pml_seeds())["quant.pml"]
    assert pml_mutate.mutate(data, random.Random(7)) == pml_mutate.mutate(data, random.Random(7))
