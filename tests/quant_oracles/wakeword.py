"""Real int8 streaming keyword-spotting models shipped in the pymicro-wakeword wheel (Apache-2.0,
microWakeWord models by Kevin Ahrendt), found in the installed package, never copied into the repo.

Each is a full-integer TFLite model (int8 input (1, 3, 40) of audio features, uint8 probability
output) with a CALL_ONCE init subgraph and VAR_HANDLE/READ_VARIABLE/ASSIGN_VARIABLE ring buffers:
the streaming KWS structure (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, LOGISTIC, QUANTIZE,
CONCATENATION, STRIDED_SLICE, RESHAPE, SPLIT_V).
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

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
