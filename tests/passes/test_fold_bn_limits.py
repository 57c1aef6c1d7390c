"""The scale-shift folding pass makes a per-channel vector only when the channel
dim is static and positive, and does not blow a small constant up to a huge one
(fuzz findings: a MemoryError and a ValueError escaping convert)."""
from __future__ import annotations

import numpy as np

from pocketml.passes.fold_bn import MAX_BROADCAST_CHANNELS, channel_vector


def test_scalar_broadcast_to_static_channels():
    assert channel_vector(np.array(2.0, np.float32), (1, 4)).tolist() == [2.0] * 4
    assert channel_vector(np.arange(3, dtype=np.float32), (2, 3)).tolist() == [0.0, 1.0, 2.0]


def test_no_vector_for_a_negative_or_huge_channel_dim():
    assert channel_vector(np.array(2.0, np.float32), (-1,)) is None
    assert channel_vector(np.array(2.0, np.float32), (0,)) is None
    assert channel_vector(np.array(2.0, np.float32), (2 ** 31,)) is None
    assert channel_vector(np.array(2.0, np.float32), (1, MAX_BROADCAST_CHANNELS + 1)) is None
    # a constant that already has every channel's value is folded whatever the count
    assert channel_vector(np.ones(MAX_BROADCAST_CHANNELS + 1, np.float32), (MAX_BROADCAST_CHANNELS + 1,)) is not None
