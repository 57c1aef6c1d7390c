"""import_tflite: walk subgraph 0 of a .tflite model and build the IR graph.

TFLite is NHWC like the engine, so conv nets import without transposes; the
graph's inputs and outputs keep their TFLite tensor names and layouts.
"""
from __future__ import annotations

import os
from typing import Optional, Union

from pocketml import ir
from pocketml.errors import ConversionError, UnsupportedOpError

from . import ops_conv, ops_elementwise, ops_tensor  # noqa: F401  (register handlers)
from .context import HANDLERS, Context
from .reader import ACCESSOR_ERRORS, read_model


def supported_ops() -> list:
    return sorted(HANDLERS)


def _input_shape(t, input_shapes: Optional[dict], name: str) -> tuple:
    if input_shapes and name in input_shapes:
        return tuple(int(d) for d in input_shapes[name])
    sig = t.shape_signature if t.shape_signature is not None and len(t.shape_signature) == len(t.shape) \
        else t.shape
    dims = []
    for i, (d, s) in enumerate(zip(t.shape, sig)):
        if s < 0 or d < 0:
            dims.append("batch" if i == 0 else f"{name}:d{i}")
        else:
            dims.append(int(d))
    return tuple(dims)


def import_tflite(model: Union[str, os.PathLike, bytes, bytearray, memoryview],
                  input_shapes: Optional[dict] = None) -> ir.Graph:
    """Convert subgraph 0 of a TFLite model (path or bytes) to a pocketml IR graph."""
    if isinstance(model, (str, os.PathLike)):
        source = os.fspath(model)
        with open(model, "rb") as f:
            data = f.read()
    else:
        source, data = "<tflite bytes>", bytes(model)
    m = read_model(data, source)
    graph = ir.Graph(os.path.splitext(os.path.basename(source))[0] if source[0] != "<" else "tflite")
    ctx = Context(m, graph, source)
    try:
        for ti in m.inputs:
            t = m.tensors[ti]
            name = ctx.value_name(ti)
            dt = ctx.np_type(ti)
            try:
                dtype = ir.dtype_name(dt)
            except TypeError:
                raise UnsupportedOpError(f"{source}: input {t.name!r} has type {t.type_name}") from None
            graph.add_value(name, dtype, _input_shape(t, input_shapes, name))
            graph.inputs.append(name)
        for op in m.ops:
            ctx.op = op
            fn = HANDLERS.get(op.name)
            if fn is None:
                kind = "custom op" if op.name.startswith("CUSTOM:") else "builtin op"
                raise UnsupportedOpError(
                    f"{source}: TFLite operator {op.index}: {kind} {op.name} (version {op.version}) is not "
                    f"supported; supported builtin ops: {', '.join(supported_ops())}")
            fn(ctx, op)
            for o in op.outputs:
                if o >= 0 and o not in ctx.names:
                    raise ctx.error(f"output tensor {o} ({m.tensors[o].name!r}) was not produced")
        ctx.op = None
        for ti in m.outputs:
            if ti not in ctx.names:
                raise ConversionError(f"{source}: graph output tensor {ti} ({m.tensors[ti].name!r}) is never "
                                      "produced")
            name = ctx.names[ti]
            v = graph.values[name]
            if v.is_const:  # a constant output: keep it a graph value produced by a node
                src = name
                name = graph.unique_name(name)
                graph.add_node("Identity", [src], [name])
                graph.add_value(name, v.dtype, v.shape)
            graph.outputs.append(name)
    except ConversionError:
        raise
    except ACCESSOR_ERRORS as e:
        where = f"TFLite operator {ctx.op.index} ({ctx.op.name})" if ctx.op is not None else "the graph"
        raise ConversionError(f"{source}: corrupted or truncated model while converting {where}: "
                              f"{type(e).__name__}: {e}") from None
    graph.tflite_signature = m.signature  # input/output names of signature runners (tensor names kept)
    return graph
