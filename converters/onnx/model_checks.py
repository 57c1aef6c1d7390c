"""Model-level spec checks of an ONNX file that no single node owns: declared dims, and where
tensors stored outside the file ("external data") may be read from.

External data is checked before any file is opened, as onnxruntime does: a location must be a
relative path that stays inside the model's folder (no absolute path, no ".." component, no
symlink whose target, after os.path.realpath, lies outside), must name a regular file, and its
offset and length must be non-negative integers that fit in that file. A model fetched from
elsewhere could otherwise make the converter read (and embed in the .pml) any file the user can
read. Declared dims (dim_value) of graph inputs, outputs and value_info must be >= 0: ONNX
spells an unknown dim with dim_param or no value, never with a negative number.
"""
from __future__ import annotations

import itertools
import os
from typing import Iterator

import onnx

from pocketml.errors import ConversionError


def _graphs(graph: onnx.GraphProto) -> Iterator[onnx.GraphProto]:
    """The graph and every subgraph nested in its nodes' attributes."""
    yield graph
    for a in itertools.chain.from_iterable(node.attribute for node in graph.node):
        if a.type == onnx.AttributeProto.GRAPH:
            yield from _graphs(a.g)
        elif a.type == onnx.AttributeProto.GRAPHS:
            for sub in a.graphs:
                yield from _graphs(sub)


def _tensors(model: onnx.ModelProto) -> Iterator[onnx.TensorProto]:
    """Every tensor of the model that can hold data: initializers (sparse ones' values and
    indices too) and tensor attributes, in every graph."""
    for g in _graphs(model.graph):
        yield from g.initializer
        for sp in g.sparse_initializer:
            yield sp.values
            yield sp.indices
        for node in g.node:
            for a in node.attribute:
                if a.HasField("t"):
                    yield a.t
                yield from a.tensors
                if a.HasField("sparse_tensor"):
                    yield a.sparse_tensor.values
                    yield a.sparse_tensor.indices


def _inside(base: str, path: str) -> bool:
    return os.path.commonpath([base, path]) == base


def check_external_data(model: onnx.ModelProto, base_dir: str) -> None:
    """ConversionError naming the tensor and its location when external data would be read from
    outside ``base_dir`` (the model's folder) or beyond its file (see the module docstring)."""
    base = os.path.realpath(base_dir or ".")
    for t in _tensors(model):
        if t.data_location != onnx.TensorProto.EXTERNAL:
            continue
        info = {e.key: e.value for e in t.external_data}
        location = info.get("location", "")

        def refuse(why: str) -> ConversionError:
            return ConversionError(f"tensor {t.name!r}: external data location {location!r} {why}")

        parts = location.replace("\\", "/").split("/")
        if not location:
            raise refuse("is empty; a tensor stored outside the model names its file")
        if os.path.isabs(location) or location.startswith(("/", "\\")) or os.path.splitdrive(location)[0]:
            raise refuse("is an absolute path; external data must be a relative path inside the model's folder")
        if ".." in parts:
            raise refuse("has a '..' component; external data must stay inside the model's folder")
        path = os.path.realpath(os.path.join(base, location))
        if not _inside(base, path):
            raise refuse(f"resolves to {path}, outside the model's folder {base} (a symlink?)")
        if not os.path.isfile(path):
            raise refuse(f"is not a file in the model's folder {base}")
        size = os.path.getsize(path)
        numbers = {}
        for key in ("offset", "length"):
            if key in info:
                try:
                    numbers[key] = int(info[key])
                except ValueError:
                    raise refuse(f"has {key} {info[key]!r}, not an integer") from None
                if numbers[key] < 0:
                    raise refuse(f"has a negative {key} ({numbers[key]})")
        offset = numbers.get("offset", 0)
        if offset > size or offset + numbers.get("length", 0) > size:
            raise refuse(f"has offset {offset} and length {numbers.get('length', 'unset')}, beyond the "
                         f"file's {size} bytes")


def check_declared_dims(model: onnx.ModelProto, subgraphs: bool = True) -> None:
    """ConversionError for a negative dim_value on a graph input, output or value_info.
    subgraphs=False: the caller knows the main graph has none (integrity.check_names)."""
    for g in (_graphs(model.graph) if subgraphs else (model.graph,)):
        for kind, infos in (("graph input", g.input), ("graph output", g.output), ("value_info", g.value_info)):
            for vi in infos:
                dims = vi.type.tensor_type.shape.dim[:]  # (no tensor type or shape: no dims; a slice is a list
                # without the IndexError that ends iterating a protobuf container)
                for k, d in enumerate(dims):
                    if d.dim_value < 0:  # (an unset dim_value reads 0)
                        shown = [x.dim_value if x.HasField("dim_value") else (x.dim_param or "?") for x in dims]
                        raise ConversionError(
                            f"{kind} {vi.name!r} declares shape {shown}: dim {k} is {d.dim_value}; a dim is >= 0, "
                            f"or a dim_param name (or no value) when it is unknown")
