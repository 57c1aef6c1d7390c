"""Write an IR graph as a .pml file.

The writer lays out every value the graph uses as a tensor (graph inputs
first, then in node order), every constant as a 64-aligned blob of the
weights section, and every node with its op code and *all* the attributes
its registry definition declares (defaults filled in), so a file is
self-describing and the C runtime never depends on defaults matching.
Attribute kinds come from the registry (``ops.get(op).attrs[name].kind``).
The file layout and checksum are in docs/format.md.
"""
from __future__ import annotations

import os
from typing import Any, Optional, Union

import numpy as np

from .. import ir, ops
from ..errors import ConversionError
from .header import align, pack_file
from .records import ATTR_TYPES, AttrRecord, BufferRecord, ModelRecord, NodeRecord, TensorRecord, build_flatbuffer

PathLike = Union[str, "os.PathLike[str]"]
_INT64 = (-(2**63), 2**63 - 1)


def _where(node: ir.Node) -> str:
    return f"node {node.name!r} ({node.op})"


def _encode_attr_value(node: ir.Node, name: str, kind: str, value: Any) -> Any:
    """Check a value against its registry kind; return it in record form."""
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


def _node_attrs(node: ir.Node, opdef: ops.OpDef) -> list:
    unknown = sorted(set(node.attrs) - set(opdef.attrs))
    if unknown:
        raise ConversionError(f"{_where(node)}: unknown attribute(s) {unknown}; {node.op} has "
                              f"{sorted(opdef.attrs) or 'no attributes'}")
    records = []
    for name, spec in opdef.attrs.items():
        value = node.attrs.get(name, spec.default)
        if value is None:
            raise ConversionError(f"{_where(node)}: required attribute {name!r} ({spec.kind}) is missing")
        records.append(AttrRecord(name, ATTR_TYPES[spec.kind], _encode_attr_value(node, name, spec.kind, value)))
    return records


def _tensor(value: ir.Value, buffer: int, allow_symbolic: bool) -> TensorRecord:
    if value.dtype is None or value.shape is None:
        raise ConversionError(f"value {value.name!r} has no {'dtype' if value.dtype is None else 'shape'}: run shape "
                              "inference (shape_inference.infer_shapes(graph)) before writing")
    if value.dtype not in ir.DTYPES:
        raise ConversionError(f"value {value.name!r} has dtype {value.dtype}; the format supports {', '.join(ir.DTYPES)}")
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
    return TensorRecord(value.name, ir.dtype_code(value.dtype), shape, names if symbolic else None, buffer)


def _const_bytes(value: ir.Value) -> bytes:
    data = np.asarray(value.const)
    if ir.dtype_name(data.dtype) != value.dtype or tuple(data.shape) != tuple(value.shape):
        raise ConversionError(f"constant {value.name!r}: data is {data.dtype} {list(data.shape)} but the value says "
                              f"{value.dtype} {list(value.shape)}")
    return np.ascontiguousarray(data, dtype=data.dtype.newbyteorder("<")).tobytes()


def graph_to_records(graph: ir.Graph, metadata: Optional[dict] = None, producer: str = "pocketml",
                     allow_symbolic: bool = True) -> tuple:
    """IR graph -> (ModelRecord, weights section bytes)."""
    order: dict = {}

    def use(name: str, where: str) -> int:
        if name not in graph.values:
            raise ConversionError(f"{where} refers to value {name!r}, which the graph does not define")
        if name not in order:
            order[name] = len(order)
        return order[name]

    inputs = [use(n, "graph input") for n in graph.inputs]
    nodes = []
    for i, node in enumerate(graph.nodes):
        try:
            opdef = ops.get(node.op)
        except KeyError as e:
            raise ConversionError(f"{_where(node)}: {e.args[0]}") from None
        ins = [use(n, _where(node)) if n else -1 for n in node.inputs]
        names = list(node.outputs)
        while names and not names[-1]:  # unused trailing optional outputs are simply not written
            names.pop()
        if not all(names):
            raise ConversionError(f"{_where(node)}: output {names.index('')} is unnamed but a later one is used; "
                                  "only trailing outputs may be omitted")
        outs = [use(n, _where(node)) for n in names]
        nodes.append(NodeRecord(node.name or f"{node.op}_{i}", opdef.code, ins, outs, _node_attrs(node, opdef)))
    outputs = [use(n, "graph output") for n in graph.outputs]

    tensors, buffers, blobs, cursor = [], [], [], 0
    for name in order:
        value = graph.values[name]
        buffer = -1
        if value.is_const:
            data = _const_bytes(value)
            offset = align(cursor)
            blobs.append(bytes(offset - cursor) + data)
            cursor = offset + len(data)
            buffer = len(buffers)
            buffers.append(BufferRecord(offset, len(data)))
        tensors.append(_tensor(value, buffer, allow_symbolic))
    meta = {}
    for k, v in (metadata or {}).items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise ConversionError(f"metadata must map str to str, got {k!r}: {v!r}")
        meta[k] = v
    record = ModelRecord(tensors, nodes, inputs, outputs, buffers, meta, graph.name, producer)
    return record, b"".join(blobs)


def write_pml(graph: ir.Graph, path: Optional[PathLike] = None, metadata: Optional[dict] = None,
              producer: str = "pocketml", *, allow_symbolic: bool = True) -> bytes:
    """Serialise ``graph`` as .pml bytes; also write them to ``path`` when given.

    Every value needs a dtype and a shape (ConversionError otherwise).
    Symbolic dims (strings such as "batch") are written as -1 with their names;
    the C runtime plans them when the caller gives concrete input shapes.
    ``allow_symbolic=False`` insists on static shapes instead.
    """
    record, weights = graph_to_records(graph, metadata, producer, allow_symbolic)
    data = pack_file(build_flatbuffer(record), weights)
    if path is not None:
        tmp = f"{os.fspath(path)}.tmp{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)  # never leave a half-written model behind
    return data


__all__ = ["write_pml", "graph_to_records"]
