"""Attention: the fused scaled-dot-product Attention op and RotaryEmbedding."""
from __future__ import annotations

from . import Attr, define  # noqa: F401
