"""Session-wide checks before any test runs: the Python tests must run the C library built
from this tree's native/ sources (tests/stale_library.py), not a copy an earlier
`pip install -e .` left behind."""
from __future__ import annotations

import pytest

from . import stale_library
from .quant_oracles.light_models import light_squeezenet_quantized  # noqa: F401  (a session fixture for all tests)

_NOTE = []


def pytest_configure(config):
    problem, note = stale_library.check()
    if problem:
        raise pytest.UsageError(problem)
    if note:
        _NOTE.append(note)


def pytest_report_header(config):
    return _NOTE
