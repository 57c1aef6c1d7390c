"""Checks of a source model made before converting it, so that a mistake is reported at once
and completely instead of after (or in the middle of) a long import.

``detect_format`` tells the format by content (magic bytes), never by file name;
``check_input_shapes`` validates input_shapes against the model's declared inputs;
and every op the importer has no handler for is reported at once, as one table.
"""
from __future__ import annotations

import hashlib
import os
from typing import Optional

from .errors import ConversionError, UnsupportedOpError

OPS_DOC = "docs/ops.md"


class InputShapeError(ConversionError):
    """input_shapes names an input the model does not have, or gives it impossible dims."""


def detect_format(path) -> str:
    """"tflite" ("TFL3" at byte 4), "pml" ("POCKETML" magic) or "onnx" (protobuf has no magic:
    the ONNX parser judges the rest)."""
    name = os.fspath(path)
    if os.path.isdir(name):
        raise ConversionError(f"{name} is a directory, not a model file")
    with open(name, "rb") as f:
        head = f.read(8)
    if not head:
        raise ConversionError(f"{name}: empty file (0 bytes); expected an ONNX, TFLite or .pml model")
    if head.startswith(b"POCKETML"):
        return "pml"
    if head[4:8] == b"TFL3":
        return "tflite"
    return "onnx"


def file_sha256(path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks (big models do not fit twice in memory)."""
    h = hashlib.sha256()
    with open(os.fspath(path), "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_input_shapes(input_shapes: dict, declared: dict) -> None:
    """input_shapes {name: dims} against declared {name: shape}: known names, positive
    integer dims, the declared rank."""
    unknown = sorted(set(input_shapes) - set(declared))
    if unknown:
        listing = ", ".join(f"{n} {list(s) if s is not None else '(shape not declared)'}"
                            for n, s in declared.items()) or "none"
        raise InputShapeError(f"input_shapes names {unknown}, which are not inputs of the model; its inputs: {listing}")
    for name, dims in input_shapes.items():
        dims = list(dims)
        if any(not isinstance(d, int) or isinstance(d, bool) or d <= 0 for d in dims):
            raise InputShapeError(f"input_shapes[{name!r}] = {dims}: every dim must be a positive integer")
        shape = declared[name]
        if shape is not None and len(shape) != len(dims):
            raise InputShapeError(f"input_shapes[{name!r}] = {dims} has rank {len(dims)}, but input {name!r} "
                                  f"has rank {len(shape)} ({list(shape)})")


def _raise_unsupported(source: str, rows: list, header: tuple) -> None:
    """Rows (node, op, domain, version, in_main_graph): when a main-graph node is unsupported,
    one error listing every row as a table (else the importer judges the subgraphs)."""
    if not any(r[4] for r in rows):
        return
    cols = [header] + [tuple(str(c) for c in r[:4]) for r in rows]
    widths = [max(len(r[i]) for r in cols) for i in range(len(header))]
    lines = ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cols]
    ops = sorted({r[1] for r in rows})
    raise UnsupportedOpError(f"{source}: {len(rows)} node(s) use {len(ops)} unsupported op(s): {', '.join(ops)} "
                              f"(supported ops: {OPS_DOC})\n" + "\n".join(lines))


def onnx_precheck(model, source: str, input_shapes: dict, node_fields: Optional[list] = None,
                  flat: bool = False) -> None:
    """``node_fields``, ``flat``: what the importer's load read of the main graph (LoadedOnnx)."""
    from .converters.onnx.dispatch import unsupported_nodes

    _raise_unsupported(source, unsupported_nodes(model, node_fields, flat), ("node", "op", "domain", "opset"))
    inits = {t.name for t in model.graph.initializer}
    declared = {}
    for vi in model.graph.input:
        if vi.name not in inits:
            t = vi.type.tensor_type
            declared[vi.name] = tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
                                      for d in t.shape.dim) if t.HasField("shape") else None
    check_input_shapes(input_shapes, declared)


def tflite_precheck(path, input_shapes: dict) -> None:
    from .converters.tflite.context import unsupported_operators
    from .converters.tflite.reader import read_model

    source = os.fspath(path)
    with open(source, "rb") as f:
        m = read_model(f.read(), source)
    _raise_unsupported(source, unsupported_operators(m), ("operator", "op", "kind", "version"))
    # inputs keep their TFLite tensor names (context.value_name); unnamed ones are tensor_<index>
    declared = {m.tensors[ti].name or f"tensor_{ti}": tuple(m.tensors[ti].shape) for ti in m.inputs}
    check_input_shapes(input_shapes, declared)
