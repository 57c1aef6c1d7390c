"""FlatBuffer building primitives, inlined: the same bytes as flatbuffers.Builder, fewer Python calls.

The flatbuffers Python builder spends several calls per scalar (Prep, Pad, Place,
enforce_number, encode.Write...), which made encoding the graph section a fifth of a
CNN's conversion. These helpers work on a real ``flatbuffers.Builder`` (its
``Bytes``/``head``/``minalign``/``vtables`` state, so they mix freely with its own
methods and ``Finish``) and write whole tables, strings and vectors with one
``struct.pack_into`` each, following the builder's algorithm step by step:
alignment padding from the bytes written so far, slots recorded after each field,
vtables trimmed of trailing empty slots and shared through ``Builder.vtables``.
tests/format checks the bytes against the generated builder code.
"""
from __future__ import annotations

import struct

import flatbuffers

_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")


def reserve(b: flatbuffers.Builder, n: int) -> None:
    """Make room for ``n`` more bytes in front of ``head`` (growth keeps the written tail)."""
    while b.head < n:
        old = len(b.Bytes)
        b.GrowByteBuffer()
        b.head += len(b.Bytes) - old


def _prep(b: flatbuffers.Builder, size: int, additional: int) -> int:
    """Builder.Prep: align so that ``size`` is aligned after ``additional`` bytes; returns head."""
    if size > b.minalign:
        b.minalign = size
    pad = (b.head - len(b.Bytes) - additional) & (size - 1)
    reserve(b, pad + size + additional)
    head = b.head - pad
    if pad:
        b.Bytes[head:head + pad] = bytes(pad)
    b.head = head
    return head


def string(b: flatbuffers.Builder, s: str) -> int:
    """Builder.CreateString."""
    x = s.encode("utf-8")
    n = len(x)
    head = _prep(b, 4, n + 1) - n - 5
    buf = b.Bytes
    buf[head + 4:head + 4 + n] = x
    buf[head + 4 + n] = 0
    _U32.pack_into(buf, head, n)
    b.head = head
    return len(buf) - head


def vector(b: flatbuffers.Builder, payload: bytes, count: int, size: int) -> int:
    """StartVector(size, count, size) + the packed elements + EndVector."""
    _prep(b, 4, len(payload))
    head = _prep(b, size, len(payload)) - len(payload) - 4
    buf = b.Bytes
    buf[head + 4:head + 4 + len(payload)] = payload
    _U32.pack_into(buf, head, count)
    b.head = head
    return len(buf) - head


def offsets(b: flatbuffers.Builder, offs: list) -> int:
    """A vector of tables/strings: StartVector(4, n, 4), PrependUOffsetTRelative each (last first), EndVector."""
    n = len(offs)
    head = _prep(b, 4, 4 * n)
    written = len(b.Bytes) - head
    # element k (from the end) sits at written + 4 * (n - k) bytes from the end when placed
    rel = [written + 4 * (n - k) - off for k, off in enumerate(offs)]
    head -= 4 * n + 4
    struct.pack_into(f"<{n + 1}I", b.Bytes, head, n, *rel)
    b.head = head
    return len(b.Bytes) - head


def table(b: flatbuffers.Builder, nfields: int, fields: list) -> int:
    """StartObject(nfields), then each (slot, struct format, size, value) in order, EndObject.

    ``value`` of format "O" is an offset (PrependUOffsetTRelative); the caller leaves out
    fields equal to their default, as the generated Add* functions do."""
    vt = [0] * nfields
    object_end = len(b.Bytes) - b.head
    if b.head < 16 * len(fields) + 12 + 2 * nfields:  # fields (8 bytes + padding at most), soffset, vtable
        reserve(b, 16 * len(fields) + 12 + 2 * nfields)
    if b.minalign < 8:
        b.minalign = max([b.minalign, 4] + [size for _, _, size, _ in fields])
    buf = b.Bytes
    end = len(buf)
    head = b.head
    for slot, fmt, size, value in fields:
        pad = (head - end) & (size - 1)
        if pad:
            buf[head - pad:head] = bytes(pad)
            head -= pad
        if fmt == "O":
            value = end - head - value + 4
            fmt = "<I"
        head -= size
        struct.pack_into(fmt, buf, head, value)
        vt[slot] = end - head
    # EndObject -> WriteVtable: the soffset to the vtable first (minalign already counts its 4)
    pad = (head - end) & 3
    if pad:
        buf[head - pad:head] = bytes(pad)
        head -= pad
    head -= 4
    object_offset = end - head
    while vt and vt[-1] == 0:
        vt.pop()
    key = tuple(object_offset - e if e else 0 for e in reversed(vt)) + (object_offset - object_end,)
    found = b.vtables.get(key)
    if found is None:
        entries = [2 * (len(vt) + 2), object_offset - object_end] + [object_offset - e if e else 0 for e in vt]
        head -= 2 * len(entries)  # head is 4-aligned here: no padding before uint16s
        struct.pack_into(f"<{len(entries)}H", buf, head, *entries)
        _I32.pack_into(buf, end - object_offset, (end - head) - object_offset)
        b.vtables[key] = end - head
    else:
        _I32.pack_into(buf, head, found - object_offset)
    b.head = head
    return object_offset


def recording(b: flatbuffers.Builder, start: int, result: int, tables: list) -> tuple:
    """What ``replay`` needs to write again the bytes written since ``start`` (the written size
    then): those bytes, ``result`` (an offset returned for them) and, per table among them (their
    offsets), where its vtable offset sits and where the vtable is. Only for bytes whose tables
    all share vtables written before ``start`` (the caller checks that no vtable was added)."""
    end = len(b.Bytes) - b.head
    data = bytes(b.Bytes[b.head:b.head + end - start])
    patches = []
    for t in tables:
        at = end - t  # the table's soffset to its vtable, within data
        patches.append((at, t - start, _I32.unpack_from(data, at)[0] + t))  # (..., vtable's offset)
    return data, result - start, patches


def replay(b: flatbuffers.Builder, data: bytes, result: int, patches: list) -> int:
    """Write a ``recording`` again: the same bytes the builder would write for the same content at
    the same alignment (the caller's key holds the written size mod 8), with each table's soffset
    re-aimed at its vtable from the tables' new place. Returns ``result`` at that place."""
    start, n = len(b.Bytes) - b.head, len(data)
    reserve(b, n)
    head = b.head - n
    buf = b.Bytes
    buf[head:b.head] = data
    b.head = head
    for at, table, vtable in patches:
        _I32.pack_into(buf, head + at, vtable - (start + table))
    return start + result
