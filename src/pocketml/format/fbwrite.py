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
    # _prep(b, 4, n + 1), inlined: a graph has a string per tensor and per node
    if b.minalign < 4:
        b.minalign = 4
    buf = b.Bytes
    pad = (b.head - len(buf) - n - 1) & 3
    if b.head < pad + n + 5:
        reserve(b, pad + n + 5)
        buf = b.Bytes
    head = b.head - pad
    if pad:
        buf[head:head + pad] = bytes(pad)
    head -= n + 5
    buf[head + 4:head + 4 + n] = x
    buf[head + 4 + n] = 0
    _U32.pack_into(buf, head, n)
    b.head = head
    return len(buf) - head


_PREFIXES: dict = {}  # (element code, vector lengths, name length, paddings) -> struct.Struct


def _prefix_struct(key: tuple, fmt: str) -> struct.Struct:
    packer = _PREFIXES.get(key)
    if packer is None:
        packer = _PREFIXES[key] = struct.Struct(fmt)
    return packer


def string_and_int32_vectors(b: flatbuffers.Builder, s: str, first: list, second: list) -> tuple:
    """CreateString(s), then two int32 vectors (``vector``): a node's name, inputs and outputs, the
    same bytes placed with one struct. -> (string, first, second) offsets. The string ends 4-aligned,
    so the vectors (4-byte length, 4-byte elements) need no padding: only the string's is computed."""
    x = s.encode("utf-8")
    n, k1, k2 = len(x), len(first), len(second)
    written = len(b.Bytes) - b.head
    pad = (-written - n - 1) & 3
    total = pad + n + 5 + 4 * (k1 + k2) + 8
    packer = _prefix_struct(("i", k1, k2, n, pad), f"<I{k2}iI{k1}iI{n}sx{pad}x")
    if b.minalign < 4:
        b.minalign = 4
    if b.head < total:
        reserve(b, total)
    head = b.head - total
    packer.pack_into(b.Bytes, head, k2, *second, k1, *first, n, x)  # lowest address (last written) first
    b.head = head
    name = written + pad + n + 5
    return name, name + 4 * k1 + 4, written + total


def string_and_int64_vector(b: flatbuffers.Builder, s: str, values: list) -> tuple:
    """CreateString(s), then an int64 vector: a tensor's name and shape, the same bytes placed with one
    struct. -> (string, vector) offsets. The vector's elements are 8-aligned (4 bytes of padding
    after the 4-aligned string, or none), its length right before them."""
    x = s.encode("utf-8")
    n, k = len(x), len(values)
    written = len(b.Bytes) - b.head
    pad = (-written - n - 1) & 3
    name = written + pad + n + 5
    pad8 = -name & 7
    total = pad + n + 5 + pad8 + 8 * k + 4
    packer = _prefix_struct(("q", k, n, pad, pad8), f"<I{k}q{pad8}xI{n}sx{pad}x")
    b.minalign = max(b.minalign, 8)
    if b.head < total:
        reserve(b, total)
    head = b.head - total
    packer.pack_into(b.Bytes, head, k, *values, n, x)
    b.head = head
    return name, written + total


def vector(b: flatbuffers.Builder, payload: bytes, count: int, size: int) -> int:
    """StartVector(size, count, size) + the packed elements + EndVector."""
    head = _prep(b, 4, len(payload))
    if size > 4:  # 4-byte (or smaller) elements: the length's alignment already aligns them
        head = _prep(b, size, len(payload))
    head -= len(payload) + 4
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


class _TableLayout:
    """Where ``table`` puts one kind of table's fields, for a given written size mod 8 (every
    padding the builder inserts depends only on that): the fields, their paddings and the
    final padding as one struct (lowest address first, so the last field written comes
    first), each field's distance from the table's start, and the vtable, which is the same
    for every table of the kind (its entries are distances within the table)."""
    __slots__ = ("struct", "total", "rel", "offsets", "key", "entries", "minalign", "reserve")

    def __init__(self, nfields: int, spec: tuple, mod8: int):
        written, rel, pads = mod8, [], []
        for _, _, size in spec:
            pad = (-written) & (size - 1)
            pads.append(pad)
            written += pad + size
            rel.append(written - mod8)
        final_pad = (-written) & 3
        self.total = written + final_pad + 4 - mod8  # fields, paddings and the soffset
        codes = [f"{final_pad}x"] if final_pad else []
        for (_, fmt, _), pad in zip(reversed(spec), reversed(pads)):
            codes.append("I" if fmt == "O" else fmt[-1])
            if pad:
                codes.append(f"{pad}x")
        self.struct = struct.Struct("<" + "".join(codes))
        self.rel = rel
        self.offsets = tuple(k for k, (_, fmt, _) in enumerate(spec) if fmt == "O")
        vt = [0] * nfields
        for (slot, _, _), r in zip(spec, rel):
            vt[slot] = self.total - r
        while vt and vt[-1] == 0:
            vt.pop()
        self.key = tuple(reversed(vt)) + (self.total,)  # table() below: the same key as EndObject's
        self.entries = [2 * (len(vt) + 2), self.total] + vt
        self.minalign = max([4] + [size for _, _, size in spec])
        self.reserve = 16 * len(spec) + 12 + 2 * nfields


_LAYOUTS: dict = {}


def table(b: flatbuffers.Builder, nfields: int, fields: list) -> int:
    """StartObject(nfields), then each (slot, struct format, size, value) in order, EndObject.

    ``value`` of format "O" is an offset (PrependUOffsetTRelative); the caller leaves out
    fields equal to their default, as the generated Add* functions do. The bytes are the
    builder's, placed with one struct per kind of table (_TableLayout) instead of field by field."""
    written = len(b.Bytes) - b.head
    slots, formats, _, values = zip(*fields) if fields else ((), (), (), ())
    key = (nfields, written & 7, slots, formats)  # a format implies its size
    layout = _LAYOUTS.get(key)
    if layout is None:
        layout = _LAYOUTS[key] = _TableLayout(nfields, tuple(f[:3] for f in fields), written & 7)
    return _place(b, layout, written, list(values))


class TableKind:
    """One kind of table with a fixed set of fields present: ``spec`` is (slot, struct format,
    size) per field, in the order they are added. ``table_of`` writes such a table from its
    values alone, without the per-field tuples ``table`` reads (a graph has a tensor table
    per value and a node table per node, of a few kinds)."""
    __slots__ = ("nfields", "spec", "layouts")

    def __init__(self, nfields: int, spec: tuple):
        self.nfields, self.spec = nfields, tuple(spec)
        self.layouts = [None] * 8  # by the written size mod 8


def table_of(b: flatbuffers.Builder, kind: TableKind, values: list) -> int:
    """``table(b, kind.nfields, [spec + (value,) ...])``: the same bytes. ``values`` is consumed."""
    written = len(b.Bytes) - b.head
    layout = kind.layouts[written & 7]
    if layout is None:
        layout = kind.layouts[written & 7] = _TableLayout(kind.nfields, kind.spec, written & 7)
    return _place(b, layout, written, values)


def _place(b: flatbuffers.Builder, layout: _TableLayout, written: int, values: list) -> int:
    """Write a table's fields (``values``, in the order added; changed in place) with ``layout``."""
    if b.head < layout.reserve:
        reserve(b, layout.reserve)
    if b.minalign < layout.minalign:
        b.minalign = layout.minalign
    for k in layout.offsets:  # PrependUOffsetTRelative: the distance from where the field sits
        values[k] = written + layout.rel[k] - values[k]
    values.reverse()
    buf = b.Bytes
    end = len(buf)
    object_offset = written + layout.total
    head = end - object_offset  # the soffset to the vtable
    layout.struct.pack_into(buf, head + 4, *values)
    found = b.vtables.get(layout.key)
    if found is None:
        entries = layout.entries
        vhead = head - 2 * len(entries)  # head is 4-aligned here: no padding before uint16s
        struct.pack_into(f"<{len(entries)}H", buf, vhead, *entries)
        _I32.pack_into(buf, head, (end - vhead) - object_offset)
        b.vtables[layout.key] = end - vhead
        head = vhead
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
