"""ConstantOfShape weight fillers made without the generic path: a light model builds every
weight with a ConstantOfShape of an int64 shape initializer, hundreds of times over.

fill_shape_of lets the importer keep such a shape out of the graph (a tuple instead of an IR
constant), constant_fill makes a filler whose value attribute the ConstantOfShape handler
(ops_tensor.py) accepted before (remember_fill) without decoding its node, and filled is the
read-only broadcast view every filler is. Anything else goes through the handler, which checks
and words the errors.
"""
from __future__ import annotations

import math
import struct
from typing import Optional

import numpy as np
import onnx

from pocketml.ops import limits

from .context import Context, OnnxNode

_TENSOR = onnx.AttributeProto.TENSOR
FILL_DOMAINS = ("", "ai.onnx")  # the domains whose ConstantOfShape the fast path takes
_EXTERNAL_DATA = onnx.TensorProto.EXTERNAL


def filled(element: np.ndarray, shape: tuple) -> np.ndarray:
    """np.broadcast_to(element, shape) (read-only, no copy) for a one-element array, made directly:
    a light model builds every weight so, and broadcast_to's generality was a fifth of that."""
    out = np.ndarray(shape, element.dtype, buffer=element, strides=(0,) * len(shape))
    if out.flags.writeable:  # (a read-only element, as ops_tensor._fill_value caches them, gives a read-only one)
        out.flags.writeable = False
    return out


def remember_fill(ctx: Context, node: OnnxNode, value: np.ndarray) -> None:
    """Let constant_fill take the next node with this very value attribute (its bytes as the key):
    this one passed every check with it."""
    attrs = node.proto.attribute
    if len(attrs) == 1 and attrs[0].name == "value" and attrs[0].type == _TENSOR and not attrs[0].ref_attr_name:
        ctx.__dict__.setdefault("_fill_attrs", {})[attrs[0].SerializeToString()] = value


def constant_fill(ctx: Context, proto, fields: tuple) -> bool:
    """A ConstantOfShape node (``fields``: its inputs, outputs, name, op type and domain as the
    importer read them) made into its constant without decoding the node, when it is one the
    ConstantOfShape handler (ops_tensor.py) turned into a constant with the same value attribute
    before. Its shape: an IR constant, or a tuple the importer held (fill_shape_of). False
    (nothing done) for anything else, which the handler then converts and checks as usual."""
    inputs, outputs = fields[0], fields[1]
    if len(inputs) != 1 or len(outputs) != 1 or not outputs[0] or fields[4] not in FILL_DOMAINS:
        return False
    cache = ctx.__dict__.get("_fill_attrs")
    if cache is None or len(proto.attribute) != 1:
        return False
    held = ctx.fill_shapes.get(inputs[0])
    if held is not None:
        shape = held[0]
    else:
        shape_value = ctx.graph.values.get(inputs[0])
        data = shape_value.const if shape_value is not None else None
        if data is None or data.dtype != np.int64 or data.ndim != 1:
            return False
        shape = None
    value = cache.get(proto.attribute[0].SerializeToString())
    if value is None:
        return False
    if shape is None:
        shape = tuple(data.tolist())
    if min(shape, default=0) < 0:
        return False
    n = math.prod(shape)  # (dims >= 1: element_count's answer when within MAX_ELEMENTS)
    if not (n * value.itemsize <= limits.MIN_FILL_BYTES if 0 < n <= limits.MAX_ELEMENTS else fill_fits(value, shape)):
        return False
    ctx.graph.add_value(outputs[0], const=filled(value, shape))  # (value: one element, 1-D)
    return True


_INT64 = onnx.TensorProto.INT64


def fill_shape_of(t: onnx.TensorProto) -> Optional[tuple]:
    """The dims an initializer holds, as a tuple, when it is a 1-D int64 tensor of raw
    little-endian bytes (as tensor_to_array's fast path would decode it, so no error of its is
    skipped); else None. The importer keeps such a shape out of the graph when nothing but
    ConstantOfShape nodes of FILL_DOMAINS reads it (a light model's every weight): constant_fill
    reads the tuple, and a node it does not take gets the initializer as a constant (importer.py)."""
    if t.data_type != _INT64 or len(t.dims) != 1 or t.data_location == _EXTERNAL_DATA or not np.little_endian:
        return None
    n = t.dims[0]
    raw = t.raw_data
    if n <= 0 or len(raw) != 8 * n or t.HasField("segment"):
        return None
    return struct.unpack(f"<{n}q", raw)


def fill_fits(value: np.ndarray, shape: list) -> bool:
    """Within the smallest limit fill_verdict applies (MIN_FILL_BYTES), so it would say None: its
    answer without its general machinery. ``shape``: non-negative ints."""
    n = limits.element_count(shape)
    return n is not None and n * value.itemsize <= limits.MIN_FILL_BYTES
