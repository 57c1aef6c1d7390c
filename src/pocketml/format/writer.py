"""Write an IR graph as a .pml file.

The writer lays out every value the graph uses as a tensor (graph inputs
first, then in node order), every constant as a 64-aligned blob of the
weights section, and every node with its op code and *all* the attributes
its registry definition declares (defaults filled in), so a file is
self-describing and the C runtime never depends on defaults matching.
Attribute kinds come from the registry (``ops.get(op).attrs[name].kind``).
The file layout and checksum are in docs/format.md. Constants may be numpy
views (transposed, broadcast): ``save_pml`` produces each one's bytes once, a
chunk at a time, straight into the file; ``write_pml`` into one buffer.
"""
from __future__ import annotations

import os
import struct
from typing import Any, Optional, Union

import numpy as np

from .. import ir, ops
from ..errors import ConversionError
from .header import CHECKSUM_OFFSET, FEATURE_QUANTIZED_TENSORS, HEADER_SIZE, align, checksum, crc32, pack_header
from .records import (ATTR_TYPES, AttrRecord, BufferRecord, GraphRecord, ModelRecord, NodeRecord, QuantRecord,
                      TensorRecord,
                      build_flatbuffer)

PathLike = Union[str, "os.PathLike[str]"]
_INT64 = (-(2**63), 2**63 - 1)
# a constant holding one value is written as this many bytes of it, repeated: big enough that a
# 100 MB filler is a hundred writes, not thousands of system calls
FILL_BLOCK = 1 << 20
CHUNK = 1 << 22  # bytes written (and checksummed) at a time: a chunk stays in cache between the two


def _where(node: ir.Node) -> str:
    return f"node {node.name!r} ({node.op})"


def _encode_attr_value(node: ir.Node, name: str, kind: str, value: Any) -> Any:
    """Check a value against its registry kind; return it in record form."""
    # the common forms first, answered as the checks below would answer them (plain Python
    # numbers; bools and numpy scalars take the long way) without building those checks
    if kind == "int" and type(value) is int and _INT64[0] <= value <= _INT64[1]:
        return value
    if kind == "float" and type(value) is float:
        return value
    if kind == "ints" and type(value) is list and all(type(v) is int and _INT64[0] <= v <= _INT64[1] for v in value):
        return list(value)

    def bad(expected: str) -> ConversionError:
        return ConversionError(f"{_where(node)}: attribute {name!r} must be {expected} (registry kind {kind!r}), "
                               f"got {value!r}")

    def as_int(v) -> int:
        if isinstance(v, (bool, int, np.integer)):
            i = int(v)
        elif isinstance(v, (float, np.floating)) and float(v).is_integer():
            i = int(v)
        else:
            raise bad("an integer" if kind == "int" else "a list of integers")
        if not _INT64[0] <= i <= _INT64[1]:
            raise bad("within int64")
        return i

    def as_float(v) -> float:
        if isinstance(v, (bool, int, float, np.integer, np.floating)):
            return float(v)
        raise bad("a number" if kind == "float" else "a list of numbers")

    if kind == "int":
        return as_int(value)
    if kind == "float":
        return as_float(value)
    if kind in ("ints", "floats"):
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            raise bad("a list")
        return [as_int(v) if kind == "ints" else as_float(v) for v in np.asarray(value).ravel().tolist()]
    if kind == "string":
        if not isinstance(value, str):
            raise bad("a string")
        return value
    raise bad(f"one of {sorted(ATTR_TYPES)}")


# op definition -> its attributes as (name, kind, record type, default), read off the registry once per
# op (attribute specs are fixed when an op is defined): a graph writes hundreds of nodes of a few ops
_ATTR_PLANS: dict = {}


def _attr_plan(opdef: ops.OpDef) -> tuple:
    known = _ATTR_PLANS.get(id(opdef))
    if known is None or known[0] is not opdef:
        known = _ATTR_PLANS[id(opdef)] = (opdef, tuple((name, spec.kind, ATTR_TYPES.get(spec.kind), spec.default)
                                                       for name, spec in opdef.attrs.items()))
    return known[1]


def _node_attrs(node: ir.Node, opdef: ops.OpDef, subgraph_index) -> list:
    attrs = node.attrs
    unknown = None if attrs.keys() <= opdef.attrs.keys() else sorted(set(attrs) - set(opdef.attrs))
    if unknown:
        raise ConversionError(f"{_where(node)}: unknown attribute(s) {unknown}; {node.op} has "
                              f"{sorted(opdef.attrs) or 'no attributes'}")
    records = []
    lo, hi = _INT64
    for name, kind, code, default in _attr_plan(opdef):
        value = attrs.get(name, default)
        if value is None:
            raise ConversionError(f"{_where(node)}: required attribute {name!r} ({kind}) is missing")
        if kind == "graph":
            if not isinstance(value, ir.Graph):
                raise ConversionError(f"{_where(node)}: attribute {name!r} must be an ir.Graph, got {type(value)}")
            records.append(AttrRecord(name, code, subgraph_index(value)))
            continue
        # _encode_attr_value's common forms answered here, without its call
        if kind == "int" and type(value) is int and lo <= value <= hi or kind == "float" and type(value) is float:
            records.append(AttrRecord(name, code, value))
        else:
            records.append(AttrRecord(name, ATTR_TYPES[kind], _encode_attr_value(node, name, kind, value)))
    return records


def _tensor(value: ir.Value, buffer: int, allow_symbolic: bool) -> TensorRecord:
    if value.dtype is None or value.shape is None:
        raise ConversionError(f"value {value.name!r} has no {'dtype' if value.dtype is None else 'shape'}: run shape "
                              "inference (shape_inference.infer_shapes(graph)) before writing")
    if value.dtype not in ir.DTYPES:
        raise ConversionError(f"value {value.name!r} has dtype {value.dtype}; the format supports {', '.join(ir.DTYPES)}")
    if all(type(d) is int and d >= 0 for d in value.shape):  # the common case: static dims, plain ints
        return TensorRecord(value.name, ir.dtype_code(value.dtype), list(value.shape), None, buffer, _quant(value))
    shape, names, symbolic = [], [], False
    for d in value.shape:
        if isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0:
            shape.append(int(d))
            names.append("")
        else:
            symbolic = True
            shape.append(-1)
            names.append(str(d))
    if symbolic and value.is_const:
        raise ConversionError(f"constant {value.name!r} has shape {list(value.shape)} with symbolic dims; constants "
                              "must have static shapes")
    if symbolic and not allow_symbolic:
        raise ConversionError(f"value {value.name!r} has shape {list(value.shape)} with symbolic dims, and "
                              "allow_symbolic=False asked for static shapes only: fix the input shapes (e.g. batch=1)")
    return TensorRecord(value.name, ir.dtype_code(value.dtype), shape, names if symbolic else None, buffer,
                        _quant(value))


def _quant(value: ir.Value) -> Optional[QuantRecord]:
    """The value's quantization parameters as a record, checked as the loader will check them."""
    q = value.quant
    if q is None:
        return None
    why = q.check(value.dtype, value.shape)
    if why:
        raise ConversionError(f"value {value.name!r}: invalid quantization parameters: {why}")
    return QuantRecord([float(s) for s in q.scale], [int(z) for z in q.zero_point], q.axis)


def _const_array(value: ir.Value) -> np.ndarray:
    """The constant as a little-endian array of the value's dtype and shape. It may be a view
    (transposed, broadcast): the bytes are produced once, while they are written."""
    data = np.asarray(value.const)
    if ir.dtype_name(data.dtype) != value.dtype or tuple(data.shape) != tuple(value.shape):
        raise ConversionError(f"constant {value.name!r}: data is {data.dtype} {list(data.shape)} but the value says "
                              f"{value.dtype} {list(value.shape)}")
    if data.dtype.byteorder == ">":
        data = data.astype(data.dtype.newbyteorder("<"))
    return data


class _Weights:
    """The weights section being laid out: 64-aligned blobs, one per distinct constant array (a
    constant a subgraph shares with its parent graph is stored once)."""

    def __init__(self):
        self.buffers, self.blobs, self.cursor = [], [], 0
        self._index: dict = {}  # id(array) -> (array, buffer index): the array kept alive for its id

    def buffer_of(self, value: ir.Value) -> int:
        known = self._index.get(id(value.const))
        if known is not None and known[0] is value.const:
            return known[1]
        data = _const_array(value)
        offset = align(self.cursor)
        self.blobs.append((offset, data))
        self.cursor = offset + data.nbytes
        self.buffers.append(BufferRecord(offset, data.nbytes))
        self._index[id(value.const)] = (value.const, len(self.buffers) - 1)
        return len(self.buffers) - 1


def _graph_records(graph: ir.Graph, weights: _Weights, allow_symbolic: bool, subgraph_index) -> tuple:
    """One graph's (tensors, nodes, inputs, outputs) records; its GRAPH attributes get indices
    from ``subgraph_index``."""
    order: dict = {}

    values = graph.values

    def use(name: str, where) -> int:
        """The tensor index of ``name``; ``where``: the node reading or writing it, or what else does."""
        index = order.get(name)
        if index is None:
            if name not in values:
                where = _where(where) if isinstance(where, ir.Node) else where
                raise ConversionError(f"{where} refers to value {name!r}, which the graph does not define")
            index = order[name] = len(order)
        return index

    inputs = [use(n, "graph input") for n in graph.inputs]
    nodes = []
    # state writes last: every read of a variable in a run then sees the value the run started with
    # (they have no outputs, so nothing depends on them; the C verifier insists on this order)
    ordered = [n for n in graph.nodes if n.op != "VariableAssign"] + \
        [n for n in graph.nodes if n.op == "VariableAssign"]
    for i, node in enumerate(ordered):
        try:
            opdef = ops.get(node.op)
        except KeyError as e:
            raise ConversionError(f"{_where(node)}: {e.args[0]}") from None
        ins = [use(n, node) if n else -1 for n in node.inputs]
        names = list(node.outputs)
        while names and not names[-1]:  # unused trailing optional outputs are simply not written
            names.pop()
        if not all(names):
            raise ConversionError(f"{_where(node)}: output {names.index('')} is unnamed but a later one is used; "
                                  "only trailing outputs may be omitted")
        outs = [use(n, node) for n in names]
        nodes.append(NodeRecord(node.name or f"{node.op}_{i}", opdef.code, ins, outs,
                                _node_attrs(node, opdef, subgraph_index)))
    outputs = [use(n, "graph output") for n in graph.outputs]
    tensors = []
    for name in order:
        value = graph.values[name]
        tensors.append(_tensor(value, weights.buffer_of(value) if value.is_const else -1, allow_symbolic))
    return tensors, nodes, inputs, outputs


def _layout(graph: ir.Graph, metadata: Optional[dict], producer: str, allow_symbolic: bool) -> tuple:
    """IR graph -> (ModelRecord, [(offset, array)] constant blobs, weights section size).

    Subgraphs (GRAPH attributes) are numbered in the order they are met, breadth first: a
    subgraph's own subgraphs come after it, as the format requires."""
    weights = _Weights()
    pending: list = []

    def subgraph_index(g: ir.Graph) -> int:
        pending.append(g)
        return len(pending) - 1

    tensors, nodes, inputs, outputs = _graph_records(graph, weights, allow_symbolic, subgraph_index)
    subgraphs = []
    while len(subgraphs) < len(pending):
        g = pending[len(subgraphs)]
        subgraphs.append(GraphRecord(*_graph_records(g, weights, allow_symbolic, subgraph_index), name=g.name))
    meta = {}
    for k, v in (metadata or {}).items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise ConversionError(f"metadata must map str to str, got {k!r}: {v!r}")
        meta[k] = v
    record = ModelRecord(tensors, nodes, inputs, outputs, weights.buffers, meta, graph.name, producer,
                         subgraphs=subgraphs)
    return record, weights.blobs, weights.cursor


def _fill_block(data: np.ndarray, fills: dict) -> np.ndarray:
    """FILL_BLOCK bytes (or fewer: whole elements) of the one value a broadcast ``data`` holds,
    made once per distinct value (its exact bytes) and dtype: a model's fillers repeat a few."""
    value = data[(0,) * data.ndim]
    key = (data.dtype.str, value.tobytes())
    block = fills.get(key)
    if block is None:
        block = fills[key] = np.full(FILL_BLOCK // data.itemsize, value, data.dtype).view(np.uint8)
    return block


def _chunks(data: np.ndarray, fills: Optional[dict] = None):
    """The bytes of ``data`` in C order as uint8 arrays of at most CHUNK bytes: slices of it when it is
    contiguous, else produced a chunk at a time (a transposed or broadcast constant is never
    materialised whole). ``fills``: the blocks of broadcast values made so far (_fill_block)."""
    if data.nbytes == 0:
        return
    if data.flags.c_contiguous:
        flat = data.reshape(-1).view(np.uint8)
        for k in range(0, flat.size, CHUNK):
            yield flat[k:k + CHUNK]
        return
    if not any(data.strides):  # one value everywhere (a ConstantOfShape filler): one small block, repeated
        block = _fill_block(data, {} if fills is None else fills)
        for k in range(0, data.nbytes, block.size):
            yield block[:min(block.size, data.nbytes - k)]
        return
    per = max(1, CHUNK // max(1, data[0].nbytes))  # slabs along the first axis
    for k in range(0, data.shape[0], per):
        yield np.ascontiguousarray(data[k:k + per]).reshape(-1).view(np.uint8)


def _required_features(record: ModelRecord) -> int:
    """Header flags: quantized tensors make ops read their parameters, so a runtime that would
    ignore them must refuse the file (header.FEATURE_QUANTIZED_TENSORS)."""
    graphs = [record] + list(record.subgraphs)
    quantized = any(t.quant is not None for g in graphs for t in g.tensors)
    return FEATURE_QUANTIZED_TENSORS if quantized else 0


def _sections(graph: ir.Graph, metadata, producer, allow_symbolic) -> tuple:
    record, blobs, weights_size = _layout(graph, metadata, producer, allow_symbolic)
    graph_bytes = build_flatbuffer(record)
    weights_offset = HEADER_SIZE + align(len(graph_bytes))
    head = pack_header(len(graph_bytes), weights_size, flags=_required_features(record))
    return head, graph_bytes, weights_offset, blobs, weights_offset + weights_size


def _pieces(graph_bytes: bytes, weights_offset: int, blobs: list):
    """Everything after the header, in file order: graph, padding, then each blob after its padding."""
    yield graph_bytes
    pos = HEADER_SIZE + len(graph_bytes)
    fills: dict = {}
    for offset, data in blobs:
        start = weights_offset + offset
        if start > pos:
            yield bytes(start - pos)
        for chunk in _chunks(data, fills):
            yield chunk
        pos = start + data.nbytes
    if pos < weights_offset:  # no weights: the graph section is still padded to the 64-byte boundary
        yield bytes(weights_offset - pos)


def graph_to_records(graph: ir.Graph, metadata: Optional[dict] = None, producer: str = "pocketml",
                     allow_symbolic: bool = True) -> tuple:
    """IR graph -> (ModelRecord, weights section bytes)."""
    record, blobs, size = _layout(graph, metadata, producer, allow_symbolic)
    weights, fills = bytearray(size), {}
    for offset, data in blobs:
        for chunk in _chunks(data, fills):
            weights[offset:offset + chunk.size] = memoryview(chunk)
            offset += chunk.size
    return record, bytes(weights)


def write_pml(graph: ir.Graph, path: Optional[PathLike] = None, metadata: Optional[dict] = None,
              producer: str = "pocketml", *, allow_symbolic: bool = True) -> bytes:
    """Serialise ``graph`` as .pml bytes; also write them to ``path`` when given.

    Every value needs a dtype and a shape (ConversionError otherwise).
    Symbolic dims (strings such as "batch") are written as -1 with their names;
    the C runtime plans them when the caller gives concrete input shapes.
    ``allow_symbolic=False`` insists on static shapes instead. ``save_pml`` writes
    a file without building its image in memory.
    """
    head, graph_bytes, weights_offset, blobs, file_size = _sections(graph, metadata, producer, allow_symbolic)
    out = bytearray(file_size)
    out[:HEADER_SIZE] = head
    pos = HEADER_SIZE
    for piece in _pieces(graph_bytes, weights_offset, blobs):
        piece = memoryview(piece)
        out[pos:pos + piece.nbytes] = piece
        pos += piece.nbytes
    struct.pack_into("<I", out, CHECKSUM_OFFSET, checksum(out))
    data = bytes(out)
    if path is not None:
        atomic_write(path, lambda f: f.write(data))
    return data


def save_pml(graph: ir.Graph, path: PathLike, metadata: Optional[dict] = None, producer: str = "pocketml", *,
             allow_symbolic: bool = True) -> int:
    """Write ``graph`` to a .pml file (same bytes as ``write_pml``); returns the file size.

    Streams: each constant's bytes are produced once, straight into the file a chunk at a
    time, and checksummed on the way (a 500 MB model never exists twice in memory).
    """
    head, graph_bytes, weights_offset, blobs, file_size = _sections(graph, metadata, producer, allow_symbolic)

    def write(f) -> None:
        crc = _write_gathered(f, head, _pieces(graph_bytes, weights_offset, blobs),
                              crc32(memoryview(head)[:CHECKSUM_OFFSET]))
        f.seek(CHECKSUM_OFFSET)
        f.write(struct.pack("<I", crc & 0xFFFFFFFF))
    atomic_write(path, write)
    return file_size


GATHER_BYTES = 1 << 20  # pieces handed to the kernel at a time: a model's many small blobs in few system calls
GATHER_PIECES = 512  # (at most IOV_MAX = 1024 buffers per writev)


def _write_gathered(f, head: bytes, pieces, crc: int) -> int:
    """Write ``head`` then ``pieces`` (bytes-like) to file ``f``, gathered into few writev calls where
    the system has it (a file of small blobs written piece by piece spends more in system calls than
    in copying); returns the CRC-32 ``crc`` continued over the pieces (``crc`` holds the head's)."""
    f.flush()
    fd, batch, size = f.fileno(), [memoryview(head)], len(head)
    for piece in pieces:
        view = memoryview(piece).cast("B")
        crc = crc32(view, crc)
        batch.append(view)
        size += view.nbytes
        if size >= GATHER_BYTES or len(batch) >= GATHER_PIECES:
            _write_all(fd, batch)
            batch, size = [], 0
    _write_all(fd, batch)
    return crc


def _write_all(fd: int, views: list) -> None:
    if not hasattr(os, "writev"):  # (Windows)
        for view in views:
            while view.nbytes:
                view = view[os.write(fd, view):]
        return
    while views:
        done = os.writev(fd, views)
        while views and done >= views[0].nbytes:  # drop what was written; a short write resumes mid-piece
            done -= views[0].nbytes
            views.pop(0)
        if done:
            views[0] = views[0][done:]


def atomic_write(path: PathLike, write) -> None:
    """Write a file under a temporary name, then rename it over ``path`` (a reader of the old file,
    e.g. a model mapped from it, never sees a half-written one)."""
    tmp = f"{os.fspath(path)}.tmp{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            write(f)
        os.replace(tmp, path)  # never leave a half-written model behind
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


__all__ = ["write_pml", "save_pml", "graph_to_records"]
