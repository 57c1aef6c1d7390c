"""paused_gc(): run a block with Python's cyclic garbage collector paused.

Conversion allocates millions of small objects (nodes, values, attribute
lists, records) that stay alive until it ends. Each automatic collection
walks every live tracked object, so with tens of thousands of nodes the
collector alone makes conversion grow faster than the graph. Pausing it for
the conversion keeps the cost per node flat; the garbage the passes leave
(detached nodes point at their input lists and back) is collected on the
next automatic collection after the block, as before.
"""
from __future__ import annotations

import contextlib
import gc


@contextlib.contextmanager
def paused_gc():
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
