"""One ONNX node through its handler: the step the graph walk (importer.py) repeats, and
that Scan (ops_recurrent.py) repeats for every node of its body in every iteration.

It checks the domain, that a handler exists and the node's inputs and attribute types
against the op's ONNX schema, materialises symbolic shape tensors
that reach handlers which do not take them, checks every input was produced before
use, runs the handler and checks that it produced every output something reads.
"""
from __future__ import annotations

import functools
from typing import NamedTuple, Optional

import onnx
from onnx.defs import OpSchema

from pocketml.errors import ConversionError, UnsupportedOpError

from .context import DOMAIN_HANDLERS, HANDLERS, Context, OnnxNode
from .params import materialize

DEFAULT_DOMAINS = ("", "ai.onnx")


def supported_ops() -> list:
    """The default-domain op types, then the other domains' as "domain.Op"."""
    return sorted(HANDLERS) + sorted(f"{d}.{t}" for d, t in DOMAIN_HANDLERS)


def handler_of(domain: str, op_type: str):
    """The handler of op_type in domain ("" / "ai.onnx": the default one), or None."""
    if domain in DEFAULT_DOMAINS:
        return HANDLERS.get(op_type)
    return DOMAIN_HANDLERS.get((domain, op_type))


def model_op_types(model) -> set:
    """Every op type a model uses, subgraphs included; ops outside the default domain as "domain.Op"."""
    ops = set()

    def visit(graph):
        for n in graph.node:
            ops.add(n.op_type if n.domain in DEFAULT_DOMAINS else f"{n.domain}.{n.op_type}")
            for a in n.attribute:
                if a.HasField("g"):
                    visit(a.g)
                for g in a.graphs:
                    visit(g)

    visit(model.graph)
    return ops


def _resolved(ctx: Context, name: str) -> bool:
    """A sequence or optional resolved at conversion (ops_sequence.py): not an IR value."""
    return name in ctx.sequences or name in ctx.optionals


def unsupported_nodes(model, node_fields: Optional[list] = None, flat: bool = False) -> list:
    """(node, op, domain, opset, in_main_graph) of every node, subgraphs included, that no handler
    converts: the pre-scan that lets convert() report them all at once before importing anything.
    A subgraph node is named "<node>.<attribute>: <name>" (an If branch folded away at import
    never reaches the importer, so only main-graph rows are sure failures). ``node_fields`` and
    ``flat``: what integrity.check_names read of the main graph (importer.LoadedOnnx), so that a
    flat graph's nodes are not read again."""
    opsets = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    rows = []
    if node_fields is not None and flat:
        for k, (_, _, name, op_type, domain) in enumerate(node_fields):
            if handler_of(domain, op_type) is None:
                domain = domain or "ai.onnx"
                rows.append((name or f"#{k}", op_type, domain, opsets.get(domain, "?"), True))
        return rows

    def visit(graph, prefix):
        for k, n in enumerate(graph.node):
            domain = n.domain or "ai.onnx"
            if handler_of(n.domain, n.op_type) is None:
                rows.append((prefix + (n.name or f"#{k}"), n.op_type, domain, opsets.get(domain, "?"), not prefix))
            for a in n.attribute:
                has_g = a.HasField("g")
                if not has_g and not a.graphs:  # (most attributes: nothing to build)
                    continue
                for g in ([a.g] if has_g else []) + list(a.graphs):
                    visit(g, f"{prefix}{n.name or f'#{k}'}.{a.name}: ")

    visit(model.graph, "")
    return rows


@functools.lru_cache(maxsize=None)
def _schema(op_type: str, opset: int):
    try:
        return onnx.defs.get_schema(op_type, opset, "")
    except onnx.defs.SchemaError:  # not an ONNX op at this opset: its handler decides
        return None


class _Signature(NamedTuple):
    """What check_signature needs of an op's schema, read out of the (slow to query) schema once."""
    required: tuple  # (index, name) of the inputs that must be given, up to the first variadic one
    max_input: int
    attr_types: dict  # attribute name -> (AttributeProto type value, type name)
    required_attrs: tuple


@functools.lru_cache(maxsize=None)
def _signature(op_type: str, opset: int) -> Optional[_Signature]:
    schema = _schema(op_type, opset)
    if schema is None:
        return None
    required = []
    for i, p in enumerate(schema.inputs):
        if p.option == OpSchema.FormalParameterOption.Optional:
            continue
        required.append((i, p.name))
        if p.option == OpSchema.FormalParameterOption.Variadic:
            break
    attrs = schema.attributes
    return _Signature(tuple(required), schema.max_input,
                      {name: (a.type.value, a.type.name) for name, a in attrs.items()},
                      tuple(name for name, a in attrs.items() if a.required))


def check_signature(node: OnnxNode) -> None:
    """The node's inputs and attribute types against the ONNX schema of its opset, before a handler
    reads them: a required input or attribute left out, too many inputs or an attribute of the wrong
    type is a clear error here instead of an exception deep in the handler."""
    types = node.attr_types
    # what the verdict depends on: a CNN's hundreds of nodes share a few such keys
    key = None
    if types is not None:
        inputs = node.inputs
        # the attribute names are those in types unless some refer to a function's attributes; which
        # inputs are given is their count when none is left out (an int never equals the tuple form)
        key = (node.op_type, node.opset, types,
               None if len(node.attrs) == len(types) else tuple(node.attrs),
               len(inputs) if "" not in inputs else tuple(map(bool, inputs)))
    if key in _PASSED:
        return
    sig = _signature(node.op_type, node.opset)
    if sig is None:
        return
    inputs = node.inputs
    for i, name in sig.required:
        if i >= len(inputs) or not inputs[i]:
            raise ConversionError(f"{node.where()}: input {i} ({name}) is required but missing "
                                  f"({len(inputs)} input(s) given)")
    if len(inputs) > sig.max_input:
        raise ConversionError(f"{node.where()}: {len(inputs)} inputs, the op takes at most {sig.max_input}")
    if types is None:  # (a node not made by from_proto)
        types = [(a.name, a.type) for a in node.proto.attribute if not a.ref_attr_name]
    for name, kind in types:
        spec = sig.attr_types.get(name)
        if spec is not None and kind != spec[0]:
            got = onnx.AttributeProto.AttributeType.Name(kind)
            raise ConversionError(f"{node.where()}: attribute {name!r} holds {got}, the op takes {spec[1]}")
    for name in sig.required_attrs:
        if name not in node.attrs:
            raise ConversionError(f"{node.where()}: attribute {name!r} is required but missing")
    if key is not None:
        if len(_PASSED) >= _PASSED_MAX:  # (bounded: a fuzzer's endless variety)
            _PASSED.clear()
        _PASSED.add(key)


# check_signature's keys (op type, opset, attribute names and types, which inputs are given) that
# passed: the same key passes again
_PASSED: set = set()
_PASSED_MAX = 4096


def convert_node(ctx: Context, node: OnnxNode) -> None:
    values, shape_values = ctx.graph.values, ctx.shape_values
    outer, ctx.node = ctx.node, node
    fn = HANDLERS.get(node.op_type) if node.domain in DEFAULT_DOMAINS else None
    if fn is None:  # another domain, or no handler: say which (a CNN's every node has a default-domain one)
        fn = _other_handler(node)
    else:  # (other domains' schemas are not in onnx.defs)
        check_signature(node)
    for i in node.inputs:
        if i in shape_values and not fn.shape_aware:
            # a shape computed from symbolic dims reaches arithmetic (Mul, Equal, Cast...): compute it
            # at run time with Shape nodes (the runtime evaluates such subgraphs while planning)
            materialize(ctx, i, in_place=True)
        if i and i not in values and i not in shape_values and not _resolved(ctx, i):
            raise ConversionError(f"{node.where()}: input {i!r} is not produced before it is used")
    fn(ctx, node)
    consumed = ctx.consumed
    for out in node.outputs:
        if out and out in consumed and out not in values and out not in shape_values and not _resolved(ctx, out):
            raise ConversionError(f"{node.where()}: internal: output {out!r} was not produced")
    ctx.node = outer


def _other_handler(node: OnnxNode):
    """The handler of a node outside the default domain (its schema is not checked), or the error
    saying that its domain or op is not supported."""
    if node.domain not in DEFAULT_DOMAINS and not any(d == node.domain for d, _ in DOMAIN_HANDLERS):
        raise UnsupportedOpError(f"{node.where()}: domain {node.domain!r} is not supported (only the "
                                 f"default ai.onnx domain and com.microsoft's quantized ops); supported ops: "
                                 f"{', '.join(supported_ops())}")
    fn = handler_of(node.domain, node.op_type)
    if fn is None and node.domain not in DEFAULT_DOMAINS:
        raise UnsupportedOpError(f"{node.where()}, domain {node.domain!r}: op {node.op_type} is not supported; "
                                 f"supported ops: {', '.join(supported_ops())}")
    if fn is None:
        raise UnsupportedOpError(f"{node.where()}, domain 'ai.onnx': op {node.op_type} is not supported; "
                                 f"supported ops: {', '.join(supported_ops())}")
    return fn
