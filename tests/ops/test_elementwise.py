"""Registry reference of Mod (both fmod modes, integer and float) checked
against onnx's reference evaluator; integer Mod by zero raises."""
from __future__ import annotations

import numpy as np
import pytest

from .test_registry_reference import close, onnx_ref, ours

RNG = np.random.default_rng(7)


@pytest.mark.parametrize("fmod", [0, 1])
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32])
def test_mod(fmod, dtype):
    a = RNG.integers(-50, 50, size=(4, 6)).astype(dtype)
    b = RNG.choice([-7, -3, -1, 1, 2, 5], size=(6,)).astype(dtype)
    if np.dtype(dtype).kind == "f":
        a = a * np.float32(0.37)
    (got,) = ours("Mod", [a, b], {"fmod": fmod})
    (want,) = onnx_ref("Mod", [a, b], {"fmod": fmod})
    close(got, want, rtol=1e-6, atol=1e-6)


def test_mod_int_by_zero_raises():
    with pytest.raises(ZeroDivisionError):
        ours("Mod", [np.array([3], np.int32), np.array([0], np.int32)])
