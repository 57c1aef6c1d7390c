"""Read a .pml file back into an IR graph (tooling, tests, inspection).

The header and checksum are verified first (header.verify_header, same
checks as the C loader); the graph section is then decoded and rebuilt as an
ir.Graph with numpy constants and attributes typed by the op registry. This
is not how models run (the C runtime loads files itself); any malformed
content raises pocketml.errors.ModelLoadError.
"""
from __future__ import annotations

import mmap
import os
import struct
from typing import Optional, Union

import numpy as np

from .. import ir, ops
from ..errors import ModelLoadError
from ..quant_params import QuantParams
from .header import FileHeader, verify_header
from .records import ATTR_KINDS, ATTR_TYPES, ModelRecord, parse_flatbuffer


def _load(source):
    """The file's bytes: bytes for a buffer, a read-only memory map for a path (like the C
    loader: the constants of the graph read from it are views of the mapped pages); a mapped
    file given as such is read in place (`pocketml info` on a big file)."""
    if isinstance(source, mmap.mmap):
        return source
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    try:
        with open(os.fspath(source), "rb") as f:
            try:
                return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            except (ValueError, OSError):  # empty files and pipes cannot be mapped
                return f.read()
    except OSError as e:
        raise ModelLoadError(f"cannot read model file {os.fspath(source)!r}: {e.strerror or e}") from e


def read_records(source, verify_checksum: bool = True) -> tuple:
    """-> (FileHeader, ModelRecord, weights memoryview), header and checksum verified. For a path
    (or an mmap source) the weights are a read-only view of the mapped file: release it before
    closing the map. verify_checksum=False skips only the CRC (which reads every byte of the
    weights)."""
    data = _load(source)
    header: FileHeader = verify_header(data, verify_checksum)
    graph = data[header.graph_offset:header.graph_offset + header.graph_size]
    try:
        record = parse_flatbuffer(graph)
    except (ValueError, IndexError, struct.error, UnicodeDecodeError, TypeError) as e:
        raise ModelLoadError(f"graph section is malformed: {e}") from e
    return header, record, memoryview(data)[header.weights_offset:]


def _attr(node_name: str, op: str, kinds: dict, a) -> tuple:
    kind = kinds.get(a.name, ATTR_KINDS.get(a.type))
    if kind is None or ATTR_TYPES[kind] != a.type:
        raise ModelLoadError(f"node {node_name!r} ({op}): attribute {a.name!r} has type {a.type}, expected "
                             f"{kind or 'a known type'}")
    return a.name, a.value


def _quant(t, i: int, dtype: str, shape: tuple) -> Optional[QuantParams]:
    """A tensor's quantization parameters, checked with the C loader's rules (ModelLoadError naming it)."""
    if t.quant is None:
        return None
    where = f"tensor {i} ({t.name!r})"
    q = t.quant
    if len(q.zero_point) != len(q.scale) or not q.scale:
        raise ModelLoadError(f"{where}: quantization has {len(q.scale)} scales and {len(q.zero_point)} zero points "
                             "(one or more scales, as many zero points)")
    if (q.axis != -1 or len(q.scale) > 1) and not 0 <= q.axis < len(shape):
        raise ModelLoadError(f"{where}: quantization axis {q.axis} is out of range for rank {len(shape)}")
    params = QuantParams(q.scale, q.zero_point, q.axis)
    why = params.check(dtype, shape)
    if why:
        raise ModelLoadError(f"{where}: invalid quantization parameters: {why}")
    return params


def records_to_graph(record: ModelRecord, weights: memoryview) -> ir.Graph:
    return _graph(record, record, weights, -1)


def _graph(record: ModelRecord, graph, weights: memoryview, index: int) -> ir.Graph:
    """IR graph of ``graph`` (the record itself for the main graph, index -1, else subgraph ``index``);
    GRAPH attributes become the IR graphs of the subgraphs they name (only later ones: no loops)."""
    g = ir.Graph((graph.graph_name if graph is record else graph.name) or ("main" if index < 0 else f"g{index}"))
    names = []
    for i, t in enumerate(graph.tensors):
        if t.dtype not in ir.DTYPE_BY_CODE:
            raise ModelLoadError(f"tensor {i} ({t.name!r}) has unknown dtype code {t.dtype}")
        if not t.name or t.name in g.values:
            raise ModelLoadError(f"tensor {i} has {'no name' if not t.name else f'the duplicate name {t.name!r}'}")
        dtype = ir.DTYPE_BY_CODE[t.dtype]
        shape = tuple(d if d >= 0 else ((t.dim_names or [""] * len(t.shape))[k] or f"d{k}")
                      for k, d in enumerate(t.shape))
        const = None
        if t.buffer >= 0:
            if t.buffer >= len(record.buffers):
                raise ModelLoadError(f"tensor {t.name!r} refers to buffer {t.buffer} of {len(record.buffers)}")
            b = record.buffers[t.buffer]
            if b.offset + b.size > len(weights) or not ir.is_static(shape):
                raise ModelLoadError(f"buffer {t.buffer} (tensor {t.name!r}) [{b.offset}, +{b.size} bytes) lies "
                                     f"outside the {len(weights)}-byte weights section")  # the C loader's words
            dt = ir.np_dtype(dtype).newbyteorder("<")
            if b.size != int(np.prod(shape, dtype=np.int64)) * dt.itemsize:
                raise ModelLoadError(f"tensor {t.name!r}: buffer {t.buffer} has {b.size} bytes for {dtype} "
                                     f"{list(shape)}")
            const = np.frombuffer(weights[b.offset:b.offset + b.size], dtype=dt).reshape(shape)
            if not (weights.readonly and isinstance(weights.obj, mmap.mmap) and dt == ir.np_dtype(dtype)):
                const = const.astype(ir.np_dtype(dtype), copy=True)  # else: a read-only view of the mapped file
        g.add_value(t.name, dtype, shape, const, _quant(t, i, dtype, shape))
        names.append(t.name)

    def name_of(idx: int, where: str) -> str:
        if idx == -1:
            return ""
        if not 0 <= idx < len(names):
            raise ModelLoadError(f"{where} refers to tensor {idx} but the graph has {len(names)} tensors")
        return names[idx]

    def subgraph(where: str, a) -> ir.Graph:
        if not index < a.value < len(record.subgraphs):
            raise ModelLoadError(f"{where}: attribute {a.name!r} names subgraph {a.value}; a graph may name "
                                 f"only later subgraphs (after {index}, of {len(record.subgraphs)})")
        return _graph(record, record.subgraphs[a.value], weights, a.value)

    for n in graph.nodes:
        try:
            opdef = ops.by_code(n.op)
        except KeyError:
            raise ModelLoadError(f"node {n.name!r}: op code {n.op} is not in the op registry") from None
        where = f"node {n.name!r} ({opdef.name})"
        kinds = {k: a.kind for k, a in opdef.attrs.items()}
        attrs = dict(_attr(n.name, opdef.name, kinds, a) for a in n.attrs)
        for a in n.attrs:
            if kinds.get(a.name) == "graph":
                attrs[a.name] = subgraph(where, a)
        g.add_node(opdef.name, [name_of(i, where) for i in n.inputs], [name_of(i, where) for i in n.outputs],
                   attrs, name=n.name)
    g.inputs = [name_of(i, "graph input") for i in graph.inputs]
    g.outputs = [name_of(i, "graph output") for i in graph.outputs]
    return g


def read_pml(source: Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]) -> tuple:
    """Read a .pml file (path or bytes) -> (ir.Graph, metadata dict). From a path, the file is
    memory-mapped and the constants are read-only views of it (no copy of the weights)."""
    _, record, weights = read_records(source)
    return records_to_graph(record, weights), dict(record.metadata)


__all__ = ["read_pml", "read_records", "records_to_graph"]
