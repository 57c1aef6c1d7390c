"""Vector lengths of a FlatBuffer read through the generated accessors, checked like the C
reader does (native/src/fb_reader.c, open_vec): a length whose elements would run past the
end of the buffer is an error with the C reader's message, before any element is read.

The generated classes do not expose a field's vtable slot, so ``_slot`` finds it once per
field by calling the field's ``XxxLength()`` on a probe that records the slot it asks for.
"""
from __future__ import annotations

import functools
import re
import struct


class _SlotProbe:
    slot = None

    def Offset(self, slot):  # noqa: N802 (flatbuffers.Table's name)
        self.slot = slot
        return 0


@functools.lru_cache(maxsize=None)
def _slot(cls, field: str) -> int:
    obj = cls()
    obj._tab = probe = _SlotProbe()
    getattr(obj, field + "Length")()
    if probe.slot is None:
        raise TypeError(f"{cls.__name__}.{field}Length does not read a vtable slot")
    return probe.slot


def length(obj, field: str, elem_size: int, where: str) -> int:
    """Length of vector ``field`` of the generated table object ``obj`` (0 when absent), after
    checking that its ``elem_size``-byte elements lie inside the buffer. Raises ValueError naming
    ``where`` (the table: "node 0") and the field as the schema spells it, as the C reader does."""
    tab = obj._tab
    where = f"{where}, field '{re.sub(r'(?<!^)(?=[A-Z])', '_', field).lower()}'"
    off = tab.Offset(_slot(type(obj), field))
    if not off:
        return 0
    size = len(tab.Bytes)
    ref = tab.Pos + off
    target = ref + struct.unpack_from("<I", tab.Bytes, ref)[0]  # where the length is stored
    if target + 4 > size:
        raise ValueError(f"{where}: reference to offset {target} lies outside the {size}-byte buffer")
    n = struct.unpack_from("<I", tab.Bytes, target)[0]
    if n * elem_size > size - (target + 4):
        raise ValueError(f"{where}: vector of {n} x {elem_size}-byte elements at offset {target} runs past "
                         f"the end of the {size}-byte buffer")
    return n
