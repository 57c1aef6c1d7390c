"""Structure-aware mutation of TFLite FlatBuffers, in place.

The `tflite` package's generated readers locate the fields (each table's
position and vtable); a mutation overwrites one of them in the file's bytes:
tensor shapes, shape signatures, types and buffer indices, quantization
parameters (scales, zero points, their counts, quantized_dimension), operator
opcode indices and input/output indices (-1, out of range), builtin options fields,
buffer data lengths (shorter or longer than the data), operator-code builtin
codes, subgraph input/output lists. Or bytes are flipped (bytes_mutate).

``spec`` is True when the edit is known to break the model: dims or shape
signature entries < -1, a declared shape that no longer matches (a constant
tensor or a non-input tensor), a constant's data length changed, an index past
the end of its table, a quantized integer tensor's scale that is not finite and
> 0 or zero point outside its type's range.
"""
from __future__ import annotations

import math
import random
import struct

from .bytes_mutate import mutate_bytes

FMT_RANGE = {"<i": (-(1 << 31), (1 << 31) - 1), "<I": (0, (1 << 32) - 1), "<b": (-128, 127), "<B": (0, 255),
             "<h": (-(1 << 15), (1 << 15) - 1), "<q": (-(1 << 63), (1 << 63) - 1), "<Q": (0, (1 << 64) - 1),
             "<f": None}  # floats are written as they are (NaN, inf included)
DIM_VALUES = (0, -1, -5, 1, 2, 3, 1 << 30, (1 << 31) - 1, -(1 << 31), 100000)
INDEX_VALUES = (-1, -2, 0, 1, 2, 1000, (1 << 31) - 1, -(1 << 31))
OPTION_VALUES = (0, 1, 2, 3, 5, -1, 127, 255, 1 << 30, -(1 << 31), 7)


class Site:
    __slots__ = ("kind", "pos", "fmt", "values", "spec")

    def __init__(self, kind, pos, fmt, values, spec=None):
        self.kind, self.pos, self.fmt, self.values, self.spec = kind, pos, fmt, values, spec


def _scalar(tab, vt):
    o = tab.Offset(vt)
    return tab.Pos + o if o else None


def _vector(tab, vt):
    o = tab.Offset(vt)
    if not o:
        return None, 0
    start = tab.Vector(o)
    return start, tab.VectorLen(o)


def sites(data: bytes) -> list:
    """Every field a mutation may overwrite, with its values and whether a change breaks the spec."""
    import tflite

    model = tflite.Model.GetRootAsModel(data, 0)
    out = []
    n_buffers = model.BuffersLength()
    buf_len = {}
    used = {model.Subgraphs(s).Tensors(t).Buffer() for s in range(model.SubgraphsLength())
            for t in range(model.Subgraphs(s).TensorsLength())}
    for b in range(n_buffers):
        buf = model.Buffers(b)
        start, n = _vector(buf._tab, 4)
        buf_len[b] = n
        if start is not None and n:
            # 0 turns the constant into a tensor without data (a different, not always invalid, model)
            out.append(Site("buffer_len", start - 4, "<I", (0, n - 1, n + 1, n * 2, 1 << 31, n // 2),
                            spec=lambda v, n=n, u=b in used: u and v not in (0, n)))
    for c in range(model.OperatorCodesLength()):
        tab = model.OperatorCodes(c)._tab
        for vt, fmt in ((4, "<b"), (10, "<i"), (8, "<i")):
            p = _scalar(tab, vt)
            if p is not None:
                out.append(Site("opcode_builtin" if vt != 8 else "opcode_version", p, fmt,
                                (0, 1, 3, 9, 22, 32, 127, -1, 200, 1000, 2)))
    n_sub = model.SubgraphsLength()
    for s in range(n_sub):
        sg = model.Subgraphs(s)
        n_t = sg.TensorsLength()
        inputs = set(sg.InputsAsNumpy().tolist()) if sg.InputsLength() else set()
        for t in range(n_t):
            tensor = sg.Tensors(t)
            tab = tensor._tab
            constant = buf_len.get(tensor.Buffer(), 0) > 0
            has_sig = tensor.ShapeSignatureLength() > 0
            start, n = _vector(tab, 4)
            for i in range(n):
                orig = struct.unpack_from("<i", data, start + 4 * i)[0]
                declared = (constant or t not in inputs) and not has_sig
                # a computed tensor's declared -1 reads as "unknown" (LiteRT sizes it in Prepare); a
                # constant's dims must still describe its data
                out.append(Site("tensor_shape" + (":declared" if declared else ""), start + 4 * i, "<i", DIM_VALUES,
                                spec=lambda v, o=orig, d=declared, c=constant: v < -1 or
                                (d and v != o and (c or v != -1))))
            if start is not None:
                dims = struct.unpack_from(f"<{n}i", data, start) if n else ()
                # fewer dims break a constant only if they hold fewer elements ([1] -> [] is the same scalar)
                out.append(Site("tensor_rank", start - 4, "<I", (0, max(0, n - 1), n + 1, 1 << 20),
                                spec=lambda v, n=n, d=constant, dims=dims: d and v < n and
                                math.prod(dims[:v]) != math.prod(dims)))
            start, n = _vector(tab, 18)
            for i in range(n):
                out.append(Site("tensor_signature", start + 4 * i, "<i", DIM_VALUES, spec=lambda v: v < -1))
            p = _scalar(tab, 6)
            if p is not None:
                out.append(Site("tensor_type", p, "<b", (0, 1, 2, 3, 4, 6, 7, 9, 10, 16, 17, 40, 100, -1)))
            out += _quant_sites(tensor)
            p = _scalar(tab, 8)
            if p is not None:
                out.append(Site("tensor_buffer", p, "<I", (0, 1, n_buffers - 1, n_buffers, n_buffers + 7, 1 << 31),
                                spec=lambda v, nb=n_buffers: v >= nb))
        for k in range(sg.OperatorsLength()):
            op = sg.Operators(k)
            tab = op._tab
            p = _scalar(tab, 4)
            if p is not None:
                n_codes = model.OperatorCodesLength()
                out.append(Site("op_opcode_index", p, "<I", (0, 1, n_codes - 1, n_codes, 1 << 31),
                                spec=lambda v, nc=n_codes: v >= nc))
            for vt, what in ((6, "op_input"), (8, "op_output")):
                start, n = _vector(tab, vt)
                for i in range(n):
                    out.append(Site(what, start + 4 * i, "<i", INDEX_VALUES + (n_t - 1, n_t),
                                    spec=lambda v, nt=n_t: v >= nt or v < -1))
                if start is not None:
                    out.append(Site(what + "_count", start - 4, "<I", (0, max(0, n - 1), n + 1, 1 << 30)))
            opts = op.BuiltinOptions()
            if opts is not None:
                out += _option_sites(opts)
        for vt, what in ((6, "subgraph_input"), (8, "subgraph_output")):
            start, n = _vector(sg._tab, vt)
            for i in range(n):
                out.append(Site(what, start + 4 * i, "<i", INDEX_VALUES + (n_t - 1, n_t),
                                spec=lambda v, nt=n_t: v >= nt or v < 0))
    return out


SCALE_VALUES = (0.0, -0.5, float("nan"), float("inf"), 1e-38, 1e38, 0.5)
ZERO_POINT_VALUES = (0, -1, -128, 127, 128, -129, 255, 256, 1 << 40, -(1 << 63))
ZP_RANGE = {9: (-128, 127), 3: (0, 255), 7: (-32768, 32767)}  # TensorType INT8, UINT8, INT16


def _quant_sites(tensor) -> list:
    """A tensor's QuantizationParameters: each scale and zero point, their counts and quantized_dimension."""
    q = tensor.Quantization()
    if q is None:
        return []
    tab, out = q._tab, []
    zp_range = ZP_RANGE.get(tensor.Type())
    start, n = _vector(tab, 8)
    for i in range(n):
        out.append(Site("quant_scale", start + 4 * i, "<f", SCALE_VALUES,
                        spec=lambda v, r=zp_range: r is not None and not (math.isfinite(v) and v > 0)))
    if start is not None:
        out.append(Site("quant_scale_count", start - 4, "<I", (0, max(0, n - 1), n + 1, 1 << 30)))
    start, n = _vector(tab, 10)
    for i in range(n):
        out.append(Site("quant_zero_point", start + 8 * i, "<q", ZERO_POINT_VALUES,
                        spec=lambda v, r=zp_range: r is not None and not r[0] <= v <= r[1]))
    if start is not None:
        out.append(Site("quant_zero_point_count", start - 4, "<I", (0, max(0, n - 1), n + 1, 1 << 30)))
    p = _scalar(tab, 16)
    if p is not None:
        out.append(Site("quant_dimension", p, "<i", (-1, 0, 1, 2, 3, 4, 100, -(1 << 31))))
    return out


def _option_sites(opts) -> list:
    """The scalar fields of a builtin options table. Their widths are not in the vtable: a field is
    written as 4 bytes when the next field starts at least 4 bytes later, else as one byte."""
    import flatbuffers

    tab = flatbuffers.table.Table(opts.Bytes, opts.Pos)
    vtable = tab.Pos - struct.unpack_from("<i", tab.Bytes, tab.Pos)[0]
    vlen = struct.unpack_from("<H", tab.Bytes, vtable)[0]
    tlen = struct.unpack_from("<H", tab.Bytes, vtable + 2)[0]
    offs = sorted(o for o in (struct.unpack_from("<H", tab.Bytes, vtable + 4 + 2 * i)[0]
                              for i in range((vlen - 4) // 2)) if o)
    out = []
    for i, o in enumerate(offs):
        room = (offs[i + 1] if i + 1 < len(offs) else tlen) - o
        fmt = "<i" if room >= 4 else "<b"
        out.append(Site("option", tab.Pos + o, fmt, OPTION_VALUES + (-2, 8, 1000)))
    return out


_SITES = {}


def mutate(data: bytes, rng: random.Random, name: str = None) -> tuple:
    """(mutated bytes, kind, spec_violation, detail)."""
    if rng.random() < 0.2:
        out, kind = mutate_bytes(data, rng)
        return out, kind, False, ""
    key = hash(data) if name is None else name
    if key not in _SITES:
        try:
            _SITES[key] = sites(data)
        except Exception:  # noqa: BLE001 - a seed the reader cannot walk is only byte-mutated
            _SITES[key] = []
    all_sites = _SITES[key]
    if not all_sites:
        out, kind = mutate_bytes(data, rng)
        return out, kind, False, ""
    buf = bytearray(data)
    kinds, last = [], None
    for _ in range(1 if rng.random() < 0.7 else 2):
        site = rng.choice(all_sites)
        v = rng.choice(site.values)
        if FMT_RANGE[site.fmt] is not None:
            lo, hi = FMT_RANGE[site.fmt]
            v = max(lo, min(hi, v))
        if site.pos + struct.calcsize(site.fmt) > len(buf):
            continue
        old = struct.unpack_from(site.fmt, buf, site.pos)[0]
        struct.pack_into(site.fmt, buf, site.pos, v)
        spec = bool(site.spec and not (v == old or v != v and old != old) and site.spec(v))
        kinds.append(site.kind + ("!" if spec else ""))
        last = (spec, f"{site.kind} at {site.pos}: {old} -> {v}")
    if last is None:
        out, kind = mutate_bytes(data, rng)
        return out, kind, False, ""
    # two edits can cancel out (a type narrowed and a length cut to match): only a lone edit's verdict holds
    return bytes(buf), "+".join(kinds), last[0] and len(kinds) == 1, last[1]
