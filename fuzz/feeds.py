"""Inputs for running a fuzzed model once: small random arrays for a session's inputs, and the
loop bound every fuzz run uses (shared by the import targets and the .pml target)."""
from __future__ import annotations

import numpy as np

LOOP_LIMIT = 100_000
MAX_FEED_BYTES = 64 << 20  # a static input bigger than this is not fed (the harness would be the one failing)


def random_feeds(inputs, rng: np.random.Generator, dim_choices=(1, 2, 3)):
    """Small random arrays for a session's inputs (symbolic dims drawn from dim_choices); None when an input
    cannot be fed (non-numeric dtype, or too big to allocate here)."""
    feeds = {}
    for t in inputs:
        shape = tuple(d if isinstance(d, int) and d >= 0 else int(rng.choice(dim_choices)) for d in t.shape)
        dtype = np.dtype(t.dtype)
        if dtype.kind not in "biufc" or max(shape, default=0) > MAX_FEED_BYTES or \
                int(np.prod(shape, dtype=np.float64)) * dtype.itemsize > MAX_FEED_BYTES:
            return None
        if dtype.kind == "b":
            feeds[t.name] = rng.random(shape) < 0.5
        elif dtype.kind in "iu":
            feeds[t.name] = rng.integers(0, 4, size=shape).astype(dtype)
        else:
            feeds[t.name] = rng.standard_normal(shape).astype(dtype)
    return feeds
