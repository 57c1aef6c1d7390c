"""Real int8 models shipped in pip packages (pymicro-wakeword's streaming keyword spotters) load and run
in LiteRT over several invocations, with the builtin kernels and with XNNPACK."""
from __future__ import annotations

import numpy as np
import pytest

from .litert import interpreter, run_litert_stream
from .wakeword import MODELS, wakeword_model


@pytest.mark.parametrize("name", MODELS)
def test_wakeword_model_streams_in_litert(name):
    path = wakeword_model(name)
    it = interpreter(path)
    (inp,), (out,) = it.get_input_details(), it.get_output_details()
    assert np.dtype(inp["dtype"]) == np.int8 and np.dtype(out["dtype"]) == np.uint8
    rng = np.random.default_rng(3)
    frames = [[rng.integers(-128, 128, inp["shape"]).astype(np.int8)] for _ in range(12)]
    builtin = run_litert_stream(path, frames, "builtin")
    xnnpack = run_litert_stream(path, frames, "xnnpack")
    assert all(b[0].shape == tuple(out["shape"]) for b in builtin)
    diff = max(int(np.abs(b[0].astype(int) - x[0]).max()) for b, x in zip(builtin, xnnpack))
    assert diff <= 2
