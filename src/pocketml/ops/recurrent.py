"""Recurrent layers: LSTM, GRU, RNN (ONNX semantics, layouts and directions)."""
from __future__ import annotations

from . import Attr, define  # noqa: F401
