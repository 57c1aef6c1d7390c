"""import_tflite: walk subgraph 0 of a .tflite model and build the IR graph.

TFLite is NHWC like the engine, so conv nets import without transposes; the
graph's inputs and outputs keep their TFLite tensor names and layouts.
"""
from __future__ import annotations

import json
import os
from typing import Optional, Union

from pocketml import ir, quant_support
from pocketml.ops import limits
from pocketml.errors import ConversionError, UnsupportedOpError
from pocketml.import_boundary import guarded

from . import (ops_conv, ops_elementwise, ops_index, ops_logic, ops_matmul, ops_norm,  # noqa: F401  (register handlers)
               ops_pool, ops_quant, ops_recurrent, ops_reduce, ops_resize, ops_select, ops_shape, ops_signal, ops_space,
               ops_state, ops_tensor, ops_unary, weights, ops_control)
from .context import HANDLERS, Context, convert_ops, graph_outputs
from .declared_shapes import check_declared_shapes
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
                  input_shapes: Optional[dict] = None, max_fold_bytes: Optional[int] = None) -> ir.Graph:
    """Convert subgraph 0 of a TFLite model (path or bytes) to a pocketml IR graph. max_fold_bytes:
    the constant-folding limit per tensor (pocketml.convert's; default 64 MiB).
    Raises ConversionError only (import_boundary: an unforeseen failure is one too)."""
    if isinstance(model, (str, os.PathLike)):
        source = os.fspath(model)
        with open(model, "rb") as f:
            data = f.read()
    else:
        source, data = "<tflite bytes>", bytes(model)
    with limits.fold_limit(max_fold_bytes), guarded(source):
        return _import_tflite(data, source, input_shapes)


def _import_tflite(data: bytes, source: str, input_shapes: Optional[dict]) -> ir.Graph:
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
            shape = _input_shape(t, input_shapes, name)
            why = limits.check_output(shape, dtype)
            if why:
                raise ConversionError(f"{source}: input tensor {ti} ({t.name!r}): {why}")
            graph.add_value(name, dtype, shape)
            ctx.annotate(name)
            graph.inputs.append(name)
        convert_ops(ctx)
        ops_state.finish_state(ctx)
        ctx.op = None
        graph.outputs = graph_outputs(ctx)
        check_declared_shapes(ctx, input_shapes)
        quant_support.propagate_graph(graph)
        quant_support.check_graph(graph, source)  # no node computes on quantized integers it does not understand
    except ConversionError:
        raise
    except ACCESSOR_ERRORS as e:
        where = f"TFLite operator {ctx.op.index} ({ctx.op.name})" if ctx.op is not None else "the graph"
        raise ConversionError(f"{source}: corrupted or truncated model while converting {where}: "
                              f"{type(e).__name__}: {e}") from None
    graph.source_metadata = source_metadata(m, ctx.names, graph)
    return graph


def _printable(raw: bytes) -> Optional[str]:
    """A metadata value as text if it is short UTF-8 without control characters."""
    text = raw.rstrip(b"\0")
    if len(text) > 256:
        return None
    try:
        s = text.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return s if s.isprintable() else None


def source_metadata(m, names: dict, graph: ir.Graph) -> dict:
    """What the .pml keeps of the TFLite file besides the graph (strings, in Model.metadata):

    tflite.version, tflite.description, tflite.metadata.<name> (text values such as
    min_runtime_version verbatim, binary ones as "<N bytes>"), and tflite.signature:
    JSON {"key", "inputs": {signature name: graph input}, "outputs": {signature name: graph
    output}} so callers of a signature runner find their tensors by the names they know.
    """
    out = {"tflite.version": str(m.version)}
    if m.description:
        out["tflite.description"] = m.description
    for name, raw in m.metadata.items():
        text = _printable(raw)
        out[f"tflite.metadata.{name}"] = text if text is not None else f"<{len(raw)} bytes>"
    if m.signature:
        produced = {v: v for v in graph.outputs}
        for node in graph.nodes:  # constant outputs are re-emitted through an Identity of a new name
            if node.op == "Identity" and node.outputs[0] in produced and node.inputs[0] not in produced:
                produced[node.inputs[0]] = node.outputs[0]
        sig = {"key": m.signature["key"],
               "inputs": {k: names.get(t, "") for k, t in m.signature["inputs"].items()},
               "outputs": {k: produced.get(names.get(t, ""), names.get(t, "")) for k, t in
                           m.signature["outputs"].items()}}
        out["tflite.signature"] = json.dumps(sig, sort_keys=True)
    return out
