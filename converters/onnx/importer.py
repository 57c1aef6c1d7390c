"""ONNX -> pocketml IR: the graph walk.

import_onnx loads and validates the model, turns graph inputs into IR inputs
(or constants: initializers listed as inputs, and inputs bound by
const_inputs), then converts node by node in ONNX order through the handler
table (context.HANDLERS, filled by the ops_* family modules; dispatch.convert_node). Each handler
emits IR ops, which are shape-inferred and constant-folded as they are added.
Graph inputs and outputs keep their ONNX names, dtypes and NCHW layout.
"""
from __future__ import annotations

import itertools
import os
from typing import NamedTuple, Optional, Union

import numpy as np
import onnx

from pocketml import ir
from pocketml.ops import limits
from pocketml.errors import ConversionError, UnsupportedOpError
from pocketml.import_boundary import guarded

from . import integrity, relu_into_conv, weight_fillers
from . import (ops_attention, ops_control, ops_conv, ops_elementwise, ops_index, ops_logic, ops_matmul,  # noqa: F401
               ops_norm, ops_pool, ops_quant, ops_recurrent, ops_reduce, ops_resize, ops_select, ops_sequence,
               ops_qlinear, ops_signal, ops_tensor, ops_unary)
from .context import ONNX_TO_DTYPE, Context, OnnxNode, onnx_dtype_name, tensor_to_array
from .dispatch import DEFAULT_DOMAINS, convert_node, supported_ops  # noqa: F401  (supported_ops: public)
from .model_checks import check_declared_dims, check_external_data
from .ops_sequence import FED_OPTIONAL

MIN_OPSET = 7


class LoadedOnnx(NamedTuple):
    """A parsed ONNX file: the ModelProto, and the file's bytes when they hold the whole model
    (else None): the checker then takes them as they are instead of serialising the model again."""
    proto: onnx.ModelProto
    data: Optional[bytes]
    # the main graph's node fields as integrity.check_names read them (None: read them again)
    node_fields: Optional[list] = None
    # integrity.check_names found no subgraph in the main graph's nodes (False: not known)
    flat: bool = False


def _load(model) -> LoadedOnnx:
    if isinstance(model, LoadedOnnx):
        return model
    if isinstance(model, onnx.ModelProto):
        return LoadedOnnx(model, None, *integrity.check_names(model))
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        if not os.path.exists(path):
            raise FileNotFoundError(f"no such ONNX model file: {path}")
        try:
            if onnx.serialization.registry.get_format_from_file_extension(os.path.splitext(path)[1]) not in \
                    (None, "protobuf"):  # a text format
                proto = onnx.load(path)
                return LoadedOnnx(proto, None, *integrity.check_names(proto))
            with open(path, "rb") as f:
                data = f.read()
            proto = onnx.load_model_from_string(data)
        except Exception as e:  # protobuf raises DecodeError and friends
            raise ConversionError(f"{path}: not a readable ONNX model ({e})") from None
        names = integrity.check_names(proto)
        if b"location" in data:
            # tensors stored outside the file name their "location": only then walk every tensor
            # for them as onnx.load does (the walk alone is a tenth of importing a small CNN)
            check_external_data(proto, os.path.dirname(path))  # where: inside the model's folder
            integrity.check_external(proto, os.path.dirname(path))  # how much: what the dims need
            try:
                onnx.load_external_data_for_model(proto, os.path.dirname(path))
            except (OSError, ValueError) as e:
                raise ConversionError(f"{path}: cannot load its external data ({e})") from None
            data = None
        return LoadedOnnx(proto, data, *names)
    raise TypeError(f"import_onnx takes a path or an onnx.ModelProto, not {type(model).__name__}")


def load_model(model) -> LoadedOnnx:
    """A path (external data included) or ModelProto parsed once, for a caller that inspects the
    model (``.proto``) before passing the result to import_onnx (convert's pre-scan);
    ConversionError if unreadable (convert() reaches this for any file without the TFLite or
    .pml magic bytes)."""
    try:
        return _load(model)
    except ConversionError as e:
        if "not a readable ONNX model" not in str(e):
            raise
        raise ConversionError(f"{e}; nor is it a TFLite or .pml file (no magic bytes)") from None


def _default_opset(model: onnx.ModelProto) -> int:
    versions = [o.version for o in model.opset_import if o.domain in DEFAULT_DOMAINS]
    if not versions:
        raise UnsupportedOpError("model imports no default-domain (ai.onnx) opset; supported opsets: "
                                 f"{MIN_OPSET}..{onnx.defs.onnx_opset_version()}")
    opset = max(versions)
    if opset < MIN_OPSET and _same_ops_as_min_opset(model, opset):
        return MIN_OPSET
    if not MIN_OPSET <= opset <= onnx.defs.onnx_opset_version():
        raise UnsupportedOpError(f"model uses ai.onnx opset {opset}; supported opsets: "
                                 f"{MIN_OPSET}..{onnx.defs.onnx_opset_version()}")
    return opset


def _same_ops_as_min_opset(model: onnx.ModelProto, opset: int) -> bool:
    """True when every op of an older-opset model has the same definition at
    MIN_OPSET (e.g. Not, unchanged since opset 1), so it imports as MIN_OPSET."""
    for node in model.graph.node:
        if node.domain not in DEFAULT_DOMAINS:
            return False
        try:
            old = onnx.defs.get_schema(node.op_type, opset, "").since_version
            new = onnx.defs.get_schema(node.op_type, MIN_OPSET, "").since_version
        except onnx.defs.SchemaError:
            return False
        if old != new:
            return False
    return True


def _validate(model: onnx.ModelProto, data: Optional[bytes]) -> None:
    try:
        onnx.checker.check_model(model if data is None else data)
    except onnx.checker.ValidationError as e:
        if "Field 'shape' of 'type' is required" in str(e):
            return  # a graph output without a declared shape: onnxruntime accepts it, and so do we
        first = (str(e).strip().splitlines() or ["the checker gave no reason"])[0]
        raise ConversionError(f"the model is not valid ONNX: {first}") from None
    except UnicodeDecodeError as e:  # the checker quoting a name integrity.check_names does not read (value_info)
        raise ConversionError(f"the model is not valid ONNX: a name or string is not valid UTF-8 ({e.reason} at "
                              f"byte {e.start})") from None
    except ValueError as e:
        if "2GB" not in str(e):  # protos over 2 GB can only be checked from a path: skip
            # e.g. bytes python-protobuf parsed but the checker's C++ parser refuses
            raise ConversionError(f"the model is not valid ONNX: the checker cannot read it ({e})") from None


def _input_shape(vi: onnx.ValueInfoProto) -> Optional[tuple]:
    t = vi.type.tensor_type
    if not t.HasField("shape"):
        return None
    dims = []
    for i, d in enumerate(t.shape.dim):
        if d.HasField("dim_value"):
            dims.append(int(d.dim_value))
        else:
            dims.append(d.dim_param or f"{vi.name}_dim{i}")  # an anonymous dim gets a stable name
    return tuple(dims)


def _fixed_shape(name: str, declared: Optional[tuple], given) -> tuple:
    """input_shapes entry checked against the declared shape (rank, static dims)."""
    given = tuple(d if isinstance(d, str) or d is None else int(d) for d in given)
    if declared is not None:
        if len(given) != len(declared):
            raise ConversionError(f"input_shapes[{name!r}] = {list(given)} has rank {len(given)}, "
                                  f"the model declares {list(declared)}")
        for g, d in zip(given, declared):
            if isinstance(g, int) and isinstance(d, int) and g != d:
                raise ConversionError(f"input_shapes[{name!r}] = {list(given)} conflicts with the model's "
                                      f"static shape {list(declared)}")
        given = tuple(d if g is None else g for g, d in zip(given, declared))
    if any(g is None for g in given):
        raise ConversionError(f"input_shapes[{name!r}] = {list(given)} leaves dims unknown")
    return given


def _reads(graph: onnx.GraphProto) -> set:
    """Names the graph's nodes read, subgraphs (a Scan body's outer-scope reads) included."""
    names = set(itertools.chain.from_iterable(n.input for n in graph.node)) | _subgraph_reads(graph)
    names.discard("")
    return names


def _subgraph_reads(graph: onnx.GraphProto) -> set:
    """Names the subgraphs of the graph's nodes read (their own outputs included)."""
    names: set = set()
    for a in itertools.chain.from_iterable(n.attribute for n in graph.node):
        if a.type == onnx.AttributeProto.GRAPH or a.graphs:
            for sub in ([a.g] if a.type == onnx.AttributeProto.GRAPH else list(a.graphs)):
                names |= _reads(sub) | {o.name for o in sub.output}
    return names


def import_onnx(model: Union[str, os.PathLike, onnx.ModelProto], input_shapes: Optional[dict] = None,
                const_inputs: Optional[dict] = None, max_fold_bytes: Optional[int] = None) -> ir.Graph:
    """Convert an ONNX model (default domain, opsets 7..latest) to a pocketml IR graph.

    input_shapes fixes symbolic (or confirms static) input dims, e.g. {"x": (1, 3, 224, 224)}.
    const_inputs binds graph inputs to constants (they stop being graph inputs),
    e.g. a shape-like parameter input that the IR needs at conversion time.
    max_fold_bytes: the constant-folding limit per tensor (pocketml.convert's; default 64 MiB).
    Raises ConversionError only (import_boundary: an unforeseen failure is one too).
    """
    if not isinstance(model, (str, os.PathLike, onnx.ModelProto, LoadedOnnx)):
        raise TypeError(f"import_onnx takes a path or an onnx.ModelProto, not {type(model).__name__}")
    source = os.fspath(model) if isinstance(model, (str, os.PathLike)) else "<onnx.ModelProto>"
    if isinstance(model, (str, os.PathLike)) and not os.path.exists(source):
        raise FileNotFoundError(f"no such ONNX model file: {source}")
    with limits.fold_limit(max_fold_bytes), guarded(source):
        return _import_onnx(model, input_shapes, const_inputs)


def _import_onnx(model, input_shapes: Optional[dict], const_inputs: Optional[dict]) -> ir.Graph:
    model, data, fields, flat = _load(model)
    opset = _default_opset(model)
    _validate(model, data)
    check_declared_dims(model, subgraphs=not flat)
    g = model.graph
    input_shapes, const_inputs = dict(input_shapes or {}), dict(const_inputs or {})
    initializers = {t.name: t for t in g.initializer}
    declared_inputs = [vi.name for vi in g.input]
    for what, table in (("input_shapes", input_shapes), ("const_inputs", const_inputs)):
        unknown = sorted(set(table) - set(declared_inputs))
        if unknown:
            raise ConversionError(f"{what} names {unknown}, which are not graph inputs; inputs: "
                                  f"{[n for n in declared_inputs if n not in initializers]}")

    graph = ir.Graph(g.name or "main")
    # each node's inputs and outputs read out of the protobuf once (every read of a string field
    # builds a new str: the costly part of walking the nodes)
    if fields is None:
        fields = [(n.input[:], n.output[:], n.name, n.op_type, n.domain) for n in g.node]
    reserved = set(declared_inputs) | set(initializers) | \
        set(itertools.chain.from_iterable(f[1] for f in fields)) | {o.name for o in g.output}
    readers: dict = {}  # value name -> the nodes reading it (one entry per read)
    not_filled: set = set()  # names something other than a default-domain ConstantOfShape reads
    for n, f in zip(g.node, fields):
        for i in f[0]:
            readers.setdefault(i, []).append(n)
        if f[3] != "ConstantOfShape" or f[4] not in weight_fillers.FILL_DOMAINS:
            not_filled.update(f[0])
    for o in g.output:
        readers.setdefault(o.name, []).append(None)
        not_filled.add(o.name)
    subgraph_reads = _subgraph_reads(g) if not flat else set()
    not_filled |= subgraph_reads
    consumed = set(readers) | subgraph_reads
    consumed.discard("")
    ctx = Context(graph, reserved, consumed)
    ctx.onnx_readers, ctx.subgraph_reads = readers, subgraph_reads

    fill_shapes = ctx.fill_shapes
    for vi in g.input:
        name = vi.name
        if name in const_inputs or name in initializers:
            data = const_inputs.get(name)
            if data is None and name in readers and name not in not_filled:
                shape = weight_fillers.fill_shape_of(initializers[name])
                if shape is not None:  # (older exporters list every weight's initializer as an input)
                    fill_shapes[name] = (shape, initializers[name])
                    continue
            arr = tensor_to_array(initializers[name], f"initializer {name!r}") if data is None else np.asarray(data)
            try:
                graph.add_value(name, const=arr)
            except TypeError as e:
                raise UnsupportedOpError(f"graph input {name!r} (bound by const_inputs): {e}") from None
            continue
        if vi.type.HasField("optional_type") and vi.type.optional_type.elem_type.HasField("tensor_type"):
            # an optional tensor input: fed as a tensor (always present; an empty one cannot be fed)
            inner = onnx.ValueInfoProto()
            inner.name = name
            inner.type.CopyFrom(vi.type.optional_type.elem_type)
            vi = inner
            ctx.optionals[name] = FED_OPTIONAL
        elem = vi.type.tensor_type.elem_type
        if not vi.type.HasField("tensor_type") or elem not in ONNX_TO_DTYPE:
            kind = onnx_dtype_name(elem) if vi.type.HasField("tensor_type") else vi.type.WhichOneof("value")
            raise UnsupportedOpError(f"graph input {name!r} has type {kind}; supported tensor dtypes: "
                                     f"{', '.join(ONNX_TO_DTYPE.values())}")
        shape = _input_shape(vi)
        if name in input_shapes:
            shape = _fixed_shape(name, shape, input_shapes[name])
        elif shape is None:
            raise ConversionError(f"graph input {name!r} has no declared shape; give it with input_shapes")
        why = limits.check_output(shape, ONNX_TO_DTYPE[elem])
        if why:
            raise ConversionError(f"graph input {name!r}: {why}")
        graph.add_value(name, ONNX_TO_DTYPE[elem], shape)
        graph.inputs.append(name)
    for name, t in initializers.items():
        if name not in graph.values and name not in fill_shapes and name in consumed:
            shape = weight_fillers.fill_shape_of(t) if name not in not_filled else None
            if shape is not None:
                fill_shapes[name] = (shape, t)  # a light model's weight shapes: read as a tuple when used
            else:
                graph.add_value(name, const=tensor_to_array(t, f"initializer {name!r}"))

    ctx.follow_nodes()
    fuse_relus = relu_into_conv.model_allows(fields)
    for index, proto in enumerate(g.node):
        f = fields[index]
        if f[3] == "ConstantOfShape":
            if weight_fillers.constant_fill(ctx, proto, f):
                continue  # a weight filler like one converted before (a light model's hundreds)
            if f[0] and f[0][0] in fill_shapes:  # the handler reads its shape as any constant
                shape, t = fill_shapes.pop(f[0][0])
                graph.add_value(f[0][0], const=tensor_to_array(t, f"initializer {f[0][0]!r}"))
        elif f[3] == "Relu" and fuse_relus and relu_into_conv.fuse_relu(ctx, proto, index, opset, fields):
            continue  # into the Conv producing its input, as fuse_activation would
        convert_node(ctx, OnnxNode.from_proto(proto, index, opset, f))

    ctx.node = None
    declared_dims: dict = {}
    for vo in g.output:
        if vo.name in ctx.shape_values:
            raise ConversionError(f"graph output {vo.name!r} is a shape computed from symbolic dims "
                                  f"{ctx.shape_values[vo.name][0]}; fix them with input_shapes")
        for kind, what in (("sequences", "a sequence"), ("optionals", "an optional")):
            if vo.name in getattr(ctx, kind):
                raise UnsupportedOpError(f"graph output {vo.name!r} is {what}; a .pml graph's outputs are tensors "
                                         f"({kind} inside a graph are resolved at conversion)")
        if vo.name not in graph.values:
            raise ConversionError(f"graph output {vo.name!r} is not produced by any node")
        got = graph.values[vo.name].dtype
        declared = vo.type.tensor_type.elem_type
        if declared and ONNX_TO_DTYPE.get(declared) != got:
            raise ConversionError(f"graph output {vo.name!r}: converted dtype {got} differs from the declared "
                                  f"{onnx_dtype_name(declared)}")
        graph.outputs.append(vo.name)
        shape = vo.type.tensor_type.shape if vo.type.tensor_type.HasField("shape") else None
        if shape is not None:  # the names the model gives its outputs' dims (pocketml.dim_names)
            declared_dims[vo.name] = [d.dim_param or None for d in shape.dim]
    ctx.finish(graph.outputs)
    graph.remove_unused_values()
    ops_quant.annotate_qdq(graph)
    graph.declared_output_dims = declared_dims
    return graph
