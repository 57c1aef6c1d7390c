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

from ._generated import Attribute as fb_attr
from ._generated import Buffer as fb_buffer
from ._generated import Graph as fb_graph
from ._generated import MetadataEntry as fb_meta
from ._generated import Model as fb_model
from ._generated import Node as fb_node
from ._generated import Tensor as fb_tensor
from ._generated.AttrType import AttrType
from .header import FORMAT_VERSION

FILE_IDENTIFIER = b"PMLG"
ATTR_TYPES = {"int": AttrType.INT, "float": AttrType.FLOAT, "ints": AttrType.INTS, "floats": AttrType.FLOATS,
              "string": AttrType.STRING}
ATTR_KINDS = {v: k for k, v in ATTR_TYPES.items()}


@dataclasses.dataclass
class TensorRecord:
    name: str
    dtype: int  # code (ir.DTYPES)
    shape: list  # ints; -1 = symbolic
    dim_names: Optional[list] = None
    buffer: int = -1


@dataclasses.dataclass
class AttrRecord:
    name: str
    type: int  # AttrType
    value: Any  # int, float, list[int], list[float] or str


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


# ---- encoding ------------------------------------------------------------------------
_VECTOR_FORMATS = {"<i8": ("q", 8), "<i4": ("i", 4), "<f4": ("f", 4)}


def _vector(b: flatbuffers.Builder, values, dtype: str) -> int:
    """A scalar vector: the bytes CreateNumpyVector writes, without a numpy array per (tiny) vector."""
    code, size = _VECTOR_FORMATS[dtype]
    values = list(values)
    try:
        payload = struct.pack(f"<{len(values)}{code}", *values)
    except (OverflowError, struct.error):  # e.g. a finite float beyond float32: numpy rounds it to inf
        payload = np.asarray(values, dtype=dtype).tobytes()
    b.StartVector(size, len(values), size)
    b.head -= len(payload)
    b.Bytes[b.head:b.head + len(payload)] = payload
    return b.EndVector()


def _offsets(b: flatbuffers.Builder, start, offsets: list) -> int:
    start(b, len(offsets))
    for off in reversed(offsets):
        b.PrependUOffsetTRelative(off)
    return b.EndVector()


def _encode_attr(b: flatbuffers.Builder, a: AttrRecord) -> int:
    name = b.CreateString(a.name)
    payload = None
    if a.type == AttrType.INTS:
        payload = _vector(b, a.value, "<i8")
    elif a.type == AttrType.FLOATS:
        payload = _vector(b, a.value, "<f4")
    elif a.type == AttrType.STRING:
        payload = b.CreateString(a.value)
    fb_attr.Start(b)
    fb_attr.AddName(b, name)
    fb_attr.AddType(b, a.type)
    if a.type == AttrType.INT:
        fb_attr.AddI(b, int(a.value))
    elif a.type == AttrType.FLOAT:
        fb_attr.AddF(b, float(a.value))
    elif a.type == AttrType.INTS:
        fb_attr.AddInts(b, payload)
    elif a.type == AttrType.FLOATS:
        fb_attr.AddFloats(b, payload)
    elif a.type == AttrType.STRING:
        fb_attr.AddS(b, payload)
    return fb_attr.End(b)


def _encode_tensor(b: flatbuffers.Builder, t: TensorRecord) -> int:
    name = b.CreateString(t.name)
    shape = _vector(b, t.shape, "<i8")
    dim_names = None
    if t.dim_names:
        dim_names = _offsets(b, fb_tensor.StartDimNamesVector, [b.CreateString(n) for n in t.dim_names])
    fb_tensor.Start(b)
    fb_tensor.AddName(b, name)
    fb_tensor.AddDtype(b, t.dtype)
    fb_tensor.AddShape(b, shape)
    if dim_names is not None:
        fb_tensor.AddDimNames(b, dim_names)
    fb_tensor.AddBuffer(b, t.buffer)
    return fb_tensor.End(b)


def _encode_node(b: flatbuffers.Builder, n: NodeRecord) -> int:
    name = b.CreateString(n.name)
    inputs = _vector(b, n.inputs, "<i4")
    outputs = _vector(b, n.outputs, "<i4")
    attrs = _offsets(b, fb_node.StartAttrsVector, [_encode_attr(b, a) for a in n.attrs])
    fb_node.Start(b)
    fb_node.AddName(b, name)
    fb_node.AddOp(b, n.op)
    fb_node.AddInputs(b, inputs)
    fb_node.AddOutputs(b, outputs)
    fb_node.AddAttrs(b, attrs)
    return fb_node.End(b)


def build_flatbuffer(rec: ModelRecord) -> bytes:
    """Encode a ModelRecord as the graph-section FlatBuffer (identifier "PMLG")."""
    b = flatbuffers.Builder(4096)
    tensors = _offsets(b, fb_graph.StartTensorsVector, [_encode_tensor(b, t) for t in rec.tensors])
    nodes = _offsets(b, fb_graph.StartNodesVector, [_encode_node(b, n) for n in rec.nodes])
    inputs = _vector(b, rec.inputs, "<i4")
    outputs = _vector(b, rec.outputs, "<i4")
    gname = b.CreateString(rec.graph_name)
    fb_graph.Start(b)
    fb_graph.AddName(b, gname)
    fb_graph.AddTensors(b, tensors)
    fb_graph.AddNodes(b, nodes)
    fb_graph.AddInputs(b, inputs)
    fb_graph.AddOutputs(b, outputs)
    graph = fb_graph.End(b)

    buffers = []
    for buf in rec.buffers:
        fb_buffer.Start(b)
        fb_buffer.AddOffset(b, buf.offset)
        fb_buffer.AddSize(b, buf.size)
        buffers.append(fb_buffer.End(b))
    buffers = _offsets(b, fb_model.StartBuffersVector, buffers)
    entries = []
    for key, value in rec.metadata.items():
        k, v = b.CreateString(key), b.CreateString(value)
        fb_meta.Start(b)
        fb_meta.AddKey(b, k)
        fb_meta.AddValue(b, v)
        entries.append(fb_meta.End(b))
    metadata = _offsets(b, fb_model.StartMetadataVector, entries)
    producer = b.CreateString(rec.producer)
    fb_model.Start(b)
    fb_model.AddFormatVersion(b, rec.format_version)
    fb_model.AddProducer(b, producer)
    fb_model.AddGraph(b, graph)
    fb_model.AddBuffers(b, buffers)
    fb_model.AddMetadata(b, metadata)
    b.Finish(fb_model.End(b), file_identifier=FILE_IDENTIFIER)
    return bytes(b.Output())


# ---- decoding ------------------------------------------------------------------------
def _str(s: Optional[bytes]) -> str:
    return "" if s is None else s.decode("utf-8")


def _ints(n: int, get_numpy) -> list:
    return [int(v) for v in get_numpy()] if n else []


def _attr_value(a) -> Any:
    t = a.Type()
    if t == AttrType.INT:
        return int(a.I())
    if t == AttrType.FLOAT:
        return float(a.F())
    if t == AttrType.INTS:
        return _ints(a.IntsLength(), a.IntsAsNumpy)
    if t == AttrType.FLOATS:
        return [float(v) for v in a.FloatsAsNumpy()] if a.FloatsLength() else []
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
    tensors = []
    for i in range(g.TensorsLength()):
        t = g.Tensors(i)
        dim_names = [_str(t.DimNames(k)) for k in range(t.DimNamesLength())] or None
        tensors.append(TensorRecord(_str(t.Name()), t.Dtype(), _ints(t.ShapeLength(), t.ShapeAsNumpy), dim_names,
                                    t.Buffer()))
    nodes = []
    for i in range(g.NodesLength()):
        n = g.Nodes(i)
        attrs = []
        for k in range(n.AttrsLength()):
            a = n.Attrs(k)
            attrs.append(AttrRecord(_str(a.Name()), a.Type(), _attr_value(a)))
        nodes.append(NodeRecord(_str(n.Name()), n.Op(), _ints(n.InputsLength(), n.InputsAsNumpy),
                                _ints(n.OutputsLength(), n.OutputsAsNumpy), attrs))
    buffers = [BufferRecord(m.Buffers(i).Offset(), m.Buffers(i).Size()) for i in range(m.BuffersLength())]
    metadata = {_str(m.Metadata(i).Key()): _str(m.Metadata(i).Value()) for i in range(m.MetadataLength())}
    return ModelRecord(tensors, nodes, _ints(g.InputsLength(), g.InputsAsNumpy),
                       _ints(g.OutputsLength(), g.OutputsAsNumpy), buffers, metadata, _str(g.Name()),
                       _str(m.Producer()), m.FormatVersion())
