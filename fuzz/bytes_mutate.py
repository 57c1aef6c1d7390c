"""Byte-level mutation of a serialized model: bit flips, interesting values
written over bytes, truncation, inserted, deleted and duplicated chunks."""
from __future__ import annotations

import random

INTERESTING = (0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x40000000, 64, 1000)


def mutate_bytes(data: bytes, rng: random.Random) -> tuple:
    """(mutated bytes, kind)."""
    b = bytearray(data)
    if not b:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))), "bytes:random"
    kinds = []
    for _ in range(rng.randint(1, 4)):
        op = rng.choice(("flip", "flip", "value", "value", "truncate", "insert", "delete", "duplicate"))
        kinds.append(op)
        pos = rng.randrange(len(b))
        if op == "flip":
            b[pos] ^= 1 << rng.randrange(8)
        elif op == "value":
            width = rng.choice((1, 2, 4, 8))
            v = rng.choice(INTERESTING) & ((1 << (8 * width)) - 1)
            if pos + width <= len(b):
                b[pos:pos + width] = v.to_bytes(width, "little")
        elif op == "truncate":
            del b[max(1, pos):]
        elif op == "insert":
            b[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.choice((1, 2, 4, 16))))
        elif op == "delete":
            del b[pos:pos + rng.choice((1, 4, 16))]
        else:
            n = rng.choice((4, 16, 64))
            b[pos:pos] = b[pos:pos + n]
        if not b:
            b = bytearray(b"\0")
    return bytes(b), "bytes:" + "+".join(sorted(set(kinds)))
