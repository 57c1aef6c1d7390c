"""The graph section of a .pml file as plain records, and their FlatBuffer encoding.

Records mirror native/schema/pml.fbs one to one (tensor indices, op codes,
dtype codes) and know nothing of the IR: ``writer`` maps an ir.Graph to
records and ``reader`` maps records back. Keeping this layer separate lets
tests build deliberately invalid files (out-of-range indices, misaligned
buffers...) with the real encoder.
"""
from __future__ import annotations

import dataclasses
import struct
from typing import Any, Optional

import flatbuffers
import numpy as np

from ._generated import Graph as fb_graph
from ._generated import MetadataEntry as fb_meta
from ._generated import Model as fb_model
from ._generated.AttrType import AttrType
from . import fbcheck, fbwrite
from .header import FORMAT_VERSION

FILE_IDENTIFIER = b"PMLG"
ATTR_TYPES = {"int": AttrType.INT, "float": AttrType.FLOAT, "ints": AttrType.INTS, "floats": AttrType.FLOATS,
              "string": AttrType.STRING, "graph": AttrType.GRAPH}
ATTR_KINDS = {v: k for k, v in ATTR_TYPES.items()}


@dataclasses.dataclass
class QuantRecord:
    """A Quantization table: axis (-1 per tensor), scales (floats) and zero points (ints)."""
    scale: list
    zero_point: list
    axis: int = -1


@dataclasses.dataclass
class TensorRecord:
    name: str
    dtype: int  # code (ir.DTYPES)
    shape: list  # ints; -1 = symbolic
    dim_names: Optional[list] = None
    buffer: int = -1
    quant: Optional[QuantRecord] = None


@dataclasses.dataclass
class AttrRecord:
    name: str
    type: int  # AttrType
    value: Any  # int, float, list[int], list[float], str, or a subgraph index (GRAPH)


@dataclasses.dataclass
class NodeRecord:
    name: str
    op: int
    inputs: list  # tensor indices, -1 = absent
    outputs: list
    attrs: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class BufferRecord:
    offset: int  # from the start of the weights section
    size: int


@dataclasses.dataclass
class GraphRecord:
    """A subgraph (ModelRecord.subgraphs): its own tensors; constants index the model's buffers."""
    tensors: list
    nodes: list
    inputs: list
    outputs: list
    name: str = ""


@dataclasses.dataclass
class ModelRecord:
    tensors: list
    nodes: list
    inputs: list
    outputs: list
    buffers: list = dataclasses.field(default_factory=list)
    metadata: dict = dataclasses.field(default_factory=dict)
    graph_name: str = "main"
    producer: str = "pocketml"
    format_version: int = FORMAT_VERSION
    subgraphs: list = dataclasses.field(default_factory=list)  # of GraphRecord


# ---- encoding ------------------------------------------------------------------------
_VECTOR_FORMATS = {"<i8": ("q", 8), "<i4": ("i", 4), "<f4": ("f", 4)}
_PACKERS: dict = {}  # (struct code, count) -> struct.Struct: shapes and index lists repeat a few lengths


def _vector(b: flatbuffers.Builder, values, dtype: str) -> int:
    """A scalar vector: the bytes CreateNumpyVector writes, without a numpy array per (tiny) vector."""
    code, size = _VECTOR_FORMATS[dtype]
    if type(values) is not list:
        values = list(values)
    packer = _PACKERS.get((code, len(values)))
    if packer is None:
        packer = _PACKERS[(code, len(values))] = struct.Struct(f"<{len(values)}{code}")
    try:
        payload = packer.pack(*values)
    except (OverflowError, struct.error):  # e.g. a finite float beyond float32: numpy rounds it to inf
        payload = np.asarray(values, dtype=dtype).tobytes()
    return fbwrite.vector(b, payload, len(values), size)


def _encode_attr(b: flatbuffers.Builder, a: AttrRecord) -> int:
    # fields in the generated AttributeAdd* order; scalars equal to their default are left out
    fields = [(0, "O", 4, fbwrite.string(b, a.name))]
    t = a.type
    payload = None
    if t == AttrType.INTS:
        payload = _vector(b, a.value, "<i8")
    elif t == AttrType.FLOATS:
        payload = _vector(b, a.value, "<f4")
    elif t == AttrType.STRING:
        payload = fbwrite.string(b, a.value)
    if t != 0:
        fields.append((1, "<B", 1, t))
    if t in (AttrType.INT, AttrType.GRAPH):
        if int(a.value) != 0:
            fields.append((2, "<q", 8, int(a.value)))
    elif t == AttrType.FLOAT:
        if float(a.value) != 0.0:
            fields.append((3, "<f", 4, float(a.value)))
    elif payload is not None:
        fields.append(({AttrType.INTS: 4, AttrType.FLOATS: 5, AttrType.STRING: 6}[t], "O", 4, payload))
    return fbwrite.table(b, 7, fields)


def _encode_quant(b: flatbuffers.Builder, q: QuantRecord) -> int:
    scale, zero_point = _vector(b, q.scale, "<f4"), _vector(b, q.zero_point, "<i8")
    fields = [(0, "<i", 4, q.axis)] if q.axis != -1 else []
    return fbwrite.table(b, 3, fields + [(1, "O", 4, scale), (2, "O", 4, zero_point)])


def _tensor_kind(has_dtype: bool, has_dim_names: bool, has_buffer: bool, has_quant: bool) -> fbwrite.TableKind:
    spec = [(0, "O", 4)] + [(1, "<B", 1)] * has_dtype + [(2, "O", 4)] + [(3, "O", 4)] * has_dim_names + \
        [(4, "<i", 4)] * has_buffer + [(5, "O", 4)] * has_quant  # the generated TensorAdd* order
    return fbwrite.TableKind(6 if has_quant else 5, spec)


# fields present (dtype not 0, dim names, buffer not -1, quantization) -> the kind of Tensor table
_TENSOR_KINDS = {(d, n, bu, q): _tensor_kind(d, n, bu, q)
                 for d in (False, True) for n in (False, True) for bu in (False, True) for q in (False, True)}
_NODE_KINDS = {True: fbwrite.TableKind(5, [(0, "O", 4), (1, "<H", 2), (2, "O", 4), (3, "O", 4), (4, "O", 4)]),
               False: fbwrite.TableKind(5, [(0, "O", 4), (2, "O", 4), (3, "O", 4), (4, "O", 4)])}  # by op != 0


def _encode_tensor(b: flatbuffers.Builder, t: TensorRecord) -> int:
    quant = _encode_quant(b, t.quant) if t.quant is not None else None
    try:  # name and shape with one struct (fbwrite.string_and_int64_vector), but for a dim out of int64
        name, shape = fbwrite.string_and_int64_vector(b, t.name, t.shape)
    except struct.error:
        name = fbwrite.string(b, t.name)
        shape = _vector(b, t.shape, "<i8")
    values = [name]
    dim_names = None
    if t.dim_names:
        dim_names = fbwrite.offsets(b, [fbwrite.string(b, n) for n in t.dim_names])
    if t.dtype != 0:
        values.append(t.dtype)
    values.append(shape)
    if dim_names is not None:
        values.append(dim_names)
    if t.buffer != -1:
        values.append(t.buffer)
    if quant is not None:
        values.append(quant)
    kind = _TENSOR_KINDS[(t.dtype != 0, dim_names is not None, t.buffer != -1, quant is not None)]
    return fbwrite.table_of(b, kind, values)


def _attrs_key(attrs: list) -> tuple:
    """The attributes as a dict key, one (name, type, value) per attribute, exact to the bit (float
    values as their doubles' bytes: -0.0 and 0.0 are written differently)."""
    key = []
    for a in attrs:
        v = a.value
        if a.type == AttrType.FLOATS:
            v = struct.pack(f"<{len(v)}d", *v)
        elif a.type == AttrType.FLOAT:
            v = struct.pack("<d", v)
        elif a.type == AttrType.INTS:
            v = tuple(v)
        key.append((a.name, a.type, v))
    return tuple(key)


def _encode_attr_replayed(b: flatbuffers.Builder, a: AttrRecord, key: tuple, seen: dict) -> int:
    """One attribute table, replayed as _encode_attrs replays whole sets: a set met for the first time
    mostly repeats attributes of sets met before ("group" 1, "dilations" [1, 1], ...), at the same
    alignment."""
    key = key + ((len(b.Bytes) - b.head) & 7,)  # (name, type, value, alignment): never a set's 2-tuple key
    known = seen.get(key)
    if known is not None:
        return fbwrite.replay(b, *known)
    start, vtables = len(b.Bytes) - b.head, len(b.vtables)
    table = _encode_attr(b, a)
    if len(b.vtables) == vtables:
        seen[key] = fbwrite.recording(b, start, table, [table])
    return table


def _encode_attrs(b: flatbuffers.Builder, attrs: list, seen: dict) -> int:
    """A node's attribute tables and the vector of them. A CNN's convolutions and pools repeat a
    few attribute sets hundreds of times, and their bytes depend only on the set, on the
    alignment (written size mod 8) and on where the tables' shared vtables sit: once a set was
    encoded with vtables written before it, its bytes are kept (``seen``) and replayed with the
    vtable offsets re-aimed (fbwrite.replay), instead of being built table by table again; a new
    set's attributes are replayed one by one the same way (``seen`` holds both kinds of key)."""
    keys = _attrs_key(attrs)
    key = (keys, (len(b.Bytes) - b.head) % 8)
    known = seen.get(key)
    if known is not None:
        return fbwrite.replay(b, *known)
    start, vtables = len(b.Bytes) - b.head, len(b.vtables)
    tables = [_encode_attr_replayed(b, a, k, seen) for a, k in zip(attrs, keys)]
    vector = fbwrite.offsets(b, tables)
    if len(b.vtables) == vtables:  # no vtable among the bytes: they can be replayed elsewhere
        seen[key] = fbwrite.recording(b, start, vector, tables)
    return vector


def _encode_node(b: flatbuffers.Builder, n: NodeRecord, seen: dict) -> int:
    try:  # name, inputs and outputs with one struct (fbwrite.string_and_int32_vectors)
        name, inputs, outputs = fbwrite.string_and_int32_vectors(b, n.name, n.inputs, n.outputs)
    except struct.error:  # an index out of int32: the generic path says so as before
        name = fbwrite.string(b, n.name)
        inputs = _vector(b, n.inputs, "<i4")
        outputs = _vector(b, n.outputs, "<i4")
    attrs = _encode_attrs(b, n.attrs, seen)
    if n.op != 0:
        return fbwrite.table_of(b, _NODE_KINDS[True], [name, n.op, inputs, outputs, attrs])
    return fbwrite.table_of(b, _NODE_KINDS[False], [name, inputs, outputs, attrs])


def _encode_buffer(b: flatbuffers.Builder, buf: BufferRecord) -> int:
    fields = []
    if buf.offset != 0:
        fields.append((0, "<Q", 8, buf.offset))
    if buf.size != 0:
        fields.append((1, "<Q", 8, buf.size))
    return fbwrite.table(b, 2, fields)


def _encode_graph(b: flatbuffers.Builder, rec) -> int:
    """A Graph table from a ModelRecord (its main graph) or a GraphRecord."""
    tensors = fbwrite.offsets(b, [_encode_tensor(b, t) for t in rec.tensors])
    seen: dict = {}  # attribute sets encoded so far (_encode_attrs)
    nodes = fbwrite.offsets(b, [_encode_node(b, n, seen) for n in rec.nodes])
    inputs = _vector(b, rec.inputs, "<i4")
    outputs = _vector(b, rec.outputs, "<i4")
    gname = b.CreateString(rec.graph_name if isinstance(rec, ModelRecord) else rec.name)
    fb_graph.Start(b)
    fb_graph.AddName(b, gname)
    fb_graph.AddTensors(b, tensors)
    fb_graph.AddNodes(b, nodes)
    fb_graph.AddInputs(b, inputs)
    fb_graph.AddOutputs(b, outputs)
    return fb_graph.End(b)


def build_flatbuffer(rec: ModelRecord) -> bytes:
    """Encode a ModelRecord as the graph-section FlatBuffer (identifier "PMLG")."""
    b = flatbuffers.Builder(4096)
    graph = _encode_graph(b, rec)
    subgraphs = fbwrite.offsets(b, [_encode_graph(b, g) for g in rec.subgraphs]) if rec.subgraphs else None

    buffers = fbwrite.offsets(b, [_encode_buffer(b, buf) for buf in rec.buffers])
    entries = []
    for key, value in rec.metadata.items():
        k, v = b.CreateString(key), b.CreateString(value)
        fb_meta.Start(b)
        fb_meta.AddKey(b, k)
        fb_meta.AddValue(b, v)
        entries.append(fb_meta.End(b))
    metadata = fbwrite.offsets(b, entries)
    producer = b.CreateString(rec.producer)
    fb_model.Start(b)
    fb_model.AddFormatVersion(b, rec.format_version)
    fb_model.AddProducer(b, producer)
    fb_model.AddGraph(b, graph)
    fb_model.AddBuffers(b, buffers)
    fb_model.AddMetadata(b, metadata)
    if subgraphs is not None:
        fb_model.AddSubgraphs(b, subgraphs)
    b.Finish(fb_model.End(b), file_identifier=FILE_IDENTIFIER)
    return bytes(b.Output())


# ---- decoding ------------------------------------------------------------------------
def _str(s: Optional[bytes]) -> str:
    return "" if s is None else s.decode("utf-8")


def _ints(obj, field: str, where: str, elem_size: int = 4) -> list:
    n = fbcheck.length(obj, field, elem_size, where)
    return [int(v) for v in getattr(obj, field + "AsNumpy")()] if n else []


def _attr_value(a, where: str) -> Any:
    t = a.Type()
    if t in (AttrType.INT, AttrType.GRAPH):
        return int(a.I())
    if t == AttrType.FLOAT:
        return float(a.F())
    if t == AttrType.INTS:
        return _ints(a, "Ints", where, 8)
    if t == AttrType.FLOATS:
        return [float(v) for v in a.FloatsAsNumpy()] if fbcheck.length(a, "Floats", 4, where) else []
    if t == AttrType.STRING:
        return _str(a.S())
    raise ValueError(f"attribute {_str(a.Name())!r} has unknown type {t}")


def parse_flatbuffer(graph: bytes) -> ModelRecord:
    """Decode the graph section. Raises ValueError (or struct/index errors on a
    malformed buffer: callers wrap them) when it is not a pocketml graph."""
    if len(graph) < 8 or not fb_model.Model.ModelBufferHasIdentifier(graph, 0):
        raise ValueError(f"file identifier is {bytes(graph[4:8])!r}, expected {FILE_IDENTIFIER!r}")
    m = fb_model.Model.GetRootAs(graph, 0)
    g = m.Graph()
    if g is None:
        raise ValueError("the model has no graph")
    main = _parse_graph(g)
    buffers = [BufferRecord(m.Buffers(i).Offset(), m.Buffers(i).Size())
               for i in range(fbcheck.length(m, "Buffers", 4, "model"))]
    metadata = {_str(m.Metadata(i).Key()): _str(m.Metadata(i).Value())
                for i in range(fbcheck.length(m, "Metadata", 4, "model"))}
    subgraphs = [_parse_graph(m.Subgraphs(i)) for i in range(fbcheck.length(m, "Subgraphs", 4, "model"))]
    return ModelRecord(main.tensors, main.nodes, main.inputs, main.outputs, buffers, metadata, main.name,
                       _str(m.Producer()), m.FormatVersion(), subgraphs)


def _parse_quant(q, where: str) -> Optional[QuantRecord]:
    if q is None:
        return None
    scale = [float(v) for v in q.ScaleAsNumpy()] if fbcheck.length(q, "Scale", 4, where) else []
    return QuantRecord(scale, _ints(q, "ZeroPoint", where, 8), int(q.Axis()))


def _parse_graph(g) -> GraphRecord:
    tensors = []
    for i in range(fbcheck.length(g, "Tensors", 4, "graph")):
        t = g.Tensors(i)
        dim_names = [_str(t.DimNames(k)) for k in range(fbcheck.length(t, "DimNames", 4, f"tensor {i}"))] or None
        tensors.append(TensorRecord(_str(t.Name()), t.Dtype(), _ints(t, "Shape", f"tensor {i}", 8), dim_names,
                                    t.Buffer(), _parse_quant(t.Quantization(), f"tensor {i} quantization")))
    nodes = []
    for i in range(fbcheck.length(g, "Nodes", 4, "graph")):
        n, where = g.Nodes(i), f"node {i}"
        attrs = []
        for k in range(fbcheck.length(n, "Attrs", 4, where)):
            a = n.Attrs(k)
            attrs.append(AttrRecord(_str(a.Name()), a.Type(), _attr_value(a, f"attribute {k}")))
        nodes.append(NodeRecord(_str(n.Name()), n.Op(), _ints(n, "Inputs", where), _ints(n, "Outputs", where), attrs))
    return GraphRecord(tensors, nodes, _ints(g, "Inputs", "graph"), _ints(g, "Outputs", "graph"), _str(g.Name()))
