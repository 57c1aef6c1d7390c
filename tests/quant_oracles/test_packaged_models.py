"""Real int8 models shipped in pip packages (pymicro-wakeword's streaming keyword spotters) load and run
in LiteRT over many invocations of one interpreter, with the builtin kernels, the reference kernels
and XNNPACK, on realistic features (synthetic audio through the package's feature frontend)."""
from __future__ import annotations

import numpy as np
import pytest

from .litert import interpreter, run_litert_stream
from .wakeword import MODELS, synthetic_audio, wakeword_inputs, wakeword_model


@pytest.mark.parametrize("name", MODELS)
def test_wakeword_model_streams_in_litert(name):
    path = wakeword_model(name)
    it = interpreter(path)
    (inp,), (out,) = it.get_input_details(), it.get_output_details()
    assert np.dtype(inp["dtype"]) == np.int8 and np.dtype(out["dtype"]) == np.uint8
    inputs = wakeword_inputs(path)
    assert len(inputs) > 20 and all(x.shape == tuple(inp["shape"]) for x in inputs)
    assert len({x.tobytes() for x in inputs}) == len(inputs)   # the features move with the audio
    runs = {kernels: np.stack([o[0] for o in run_litert_stream(path, [[x] for x in inputs], kernels)]).astype(int)
            for kernels in ("builtin", "reference", "xnnpack")}
    assert runs["builtin"].shape == (len(inputs), *out["shape"])
    for kernels in ("reference", "xnnpack"):   # the three paths round differently, by one step at most
        assert np.abs(runs[kernels] - runs["builtin"]).max() <= 1, kernels


def test_synthetic_audio_is_deterministic():
    assert synthetic_audio(0.5, seed=3) == synthetic_audio(0.5, seed=3) != synthetic_audio(0.5, seed=4)
