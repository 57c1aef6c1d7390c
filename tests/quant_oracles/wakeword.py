"""Real int8 streaming keyword-spotting models shipped in the pymicro-wakeword wheel (Apache-2.0,
microWakeWord models by Kevin Ahrendt), found in the installed package, never copied into the repo.

Each is a full-integer TFLite model (int8 input (1, 3, 40) of audio features, uint8 probability
output) with a CALL_ONCE init subgraph and VAR_HANDLE/READ_VARIABLE/ASSIGN_VARIABLE ring buffers:
the streaming KWS structure (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, LOGISTIC, QUANTIZE,
CONCATENATION, STRIDED_SLICE, RESHAPE, SPLIT_V). `wakeword_inputs` makes realistic inputs: seeded
synthetic audio through the package's own feature frontend (MicroWakeWordFeatures, TFLite Micro's
audio frontend), grouped and quantized as the package feeds its models.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from .litert import interpreter

PACKAGE = "pymicro_wakeword"
MODELS = ("okay_nabu", "alexa", "hey_jarvis", "hey_mycroft")


def models_dir() -> Path:
    """The installed package's models folder; skips the calling test when the package is missing."""
    pytest.importorskip(PACKAGE, reason="pymicro-wakeword (test extra) is not installed")
    return Path(str(resources.files(PACKAGE) / "models"))


def wakeword_model(name: str) -> Path:
    if name not in MODELS:
        raise ValueError(f"unknown wake-word model {name!r}; known: {', '.join(MODELS)}")
    path = models_dir() / f"{name}.tflite"
    if not path.exists():
        pytest.skip(f"{path} is not in the installed {PACKAGE}")
    return path


def synthetic_audio(seconds: float, seed: int = 0) -> bytes:
    """16 kHz 16-bit mono: seeded noise plus a rising chirp with a syllable-like envelope."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(16000 * seconds)) / 16000.0
    chirp = np.sin(2 * np.pi * (200 + 900 * t) * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))
    audio = 6000 * chirp + 800 * rng.standard_normal(t.size)
    return np.clip(audio, -32768, 32767).astype("<i2").tobytes()


def wakeword_inputs(path: Path, seconds: float = 1.5, seed: int = 0) -> list:
    """Successive model inputs (int8 (1, stride, 40)) for `seconds` of synthetic audio."""
    from pymicro_wakeword import MicroWakeWordFeatures   # the package is a test extra: imported on use

    d = interpreter(path).get_input_details()[0]
    scale, zero_point = d["quantization"]
    stride = int(d["shape"][1])
    frames = list(MicroWakeWordFeatures().process_streaming(synthetic_audio(seconds, seed)))
    inputs = []
    for k in range(0, len(frames) - stride + 1, stride):
        features = np.concatenate(frames[k:k + stride], axis=1)
        inputs.append(np.clip(np.round(features / scale + zero_point), -128, 127).astype(np.int8))
    return inputs
