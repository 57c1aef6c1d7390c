"""One ONNX node through its handler: the step the graph walk (importer.py) repeats, and
that inlined node lists repeat (convert_inlined: a Scan body per iteration in
ops_recurrent.py, an op's ONNX function body in expand_function).

convert_node checks the domain and that a handler exists, materialises symbolic shape
tensors that reach handlers which do not take them, checks every input was produced
before use, runs the handler and checks that it produced every output something reads.
expand_function imports an op as its ONNX function body (the schema's static body or
the one it builds for the node's attributes and input types), for the forms of an op
that the IR op does not cover but the body computes with supported ops.
"""
from __future__ import annotations

import onnx
from onnx import helper

from pocketml.errors import ConversionError, UnsupportedOpError

from .context import HANDLERS, ONNX_TO_DTYPE, Context, OnnxNode
from .params import materialize

DEFAULT_DOMAINS = ("", "ai.onnx")


def supported_ops() -> list:
    return sorted(HANDLERS)


def convert_node(ctx: Context, node: OnnxNode) -> None:
    graph = ctx.graph
    outer, ctx.node = ctx.node, node
    if node.domain not in DEFAULT_DOMAINS:
        raise UnsupportedOpError(f"{node.where()}: domain {node.domain!r} is not supported (only the "
                                 f"default ai.onnx domain); supported ops: {', '.join(supported_ops())}")
    fn = HANDLERS.get(node.op_type)
    if fn is None:
        raise UnsupportedOpError(f"{node.where()}, domain 'ai.onnx': op {node.op_type} is not supported; "
                                 f"supported ops: {', '.join(supported_ops())}")
    for i in node.inputs:
        if i in ctx.shape_values and not fn.shape_aware:
            # a shape computed from symbolic dims reaches arithmetic (Mul, Equal, Cast...): compute it
            # at run time with Shape nodes (the runtime evaluates such subgraphs while planning)
            materialize(ctx, i, in_place=True)
        if i and i not in graph.values and i not in ctx.shape_values:
            raise ConversionError(f"{node.where()}: input {i!r} is not produced before it is used")
    fn(ctx, node)
    for out in node.outputs:
        if out and ctx.is_consumed(out) and out not in graph.values and out not in ctx.shape_values:
            raise ConversionError(f"{node.where()}: internal: output {out!r} was not produced")
    ctx.node = outer


def convert_inlined(ctx: Context, protos, env: dict, prefix: str, opset: int, reads: set, parent_attrs=None) -> None:
    """Converts inlined nodes under fresh names: env maps inner names to outer ones (filled with
    each output's fresh name); names env lacks are read from the outer graph; reads: inner
    names something reads (their fresh names count as consumed). parent_attrs: the attributes
    a function body's nodes refer to (ref_attr_name)."""
    for index, proto in enumerate(protos):
        if parent_attrs is not None and any(a.ref_attr_name for a in proto.attribute):
            proto = _resolve_attr_refs(proto, parent_attrs)
        inner = OnnxNode.from_proto(proto, index, opset)
        inner.name = f"{prefix}/{inner.name}"
        inner.inputs = [env.get(i, i) if i else "" for i in inner.inputs]
        outs = []
        for o in inner.outputs:
            fresh = ctx.new_name(f"{prefix}/{o}") if o else ""
            if o:
                env[o] = fresh
                if o in reads:
                    ctx.consumed.add(fresh)
            outs.append(fresh)
        inner.outputs = outs
        convert_node(ctx, inner)


def _resolve_attr_refs(proto: onnx.NodeProto, parent: dict) -> onnx.NodeProto:
    node = onnx.NodeProto()
    node.CopyFrom(proto)
    del node.attribute[:]
    for a in proto.attribute:
        if not a.ref_attr_name:
            node.attribute.append(a)
        elif a.ref_attr_name in parent:  # absent in the parent: the inner op's default applies
            node.attribute.append(helper.make_attribute(a.name, parent[a.ref_attr_name]))
    return node


def expand_function(ctx: Context, node: OnnxNode) -> None:
    """Imports node as its ONNX function body; an UnsupportedOpError when the schema has none."""
    schema = onnx.defs.get_schema(node.op_type, node.opset, "")
    if schema.has_context_dependent_function:
        types = [helper.make_tensor_type_proto(_ONNX_OF[ctx.dtype(i)], ctx.shape(i)).SerializeToString()
                 if i else onnx.TypeProto().SerializeToString() for i in node.inputs]
        body = onnx.FunctionProto()
        body.ParseFromString(schema.get_context_dependent_function(node.proto.SerializeToString(), types))
    elif schema.has_function:
        body = schema.function_body
    else:
        raise ctx.unsupported(f"{node.op_type} has no ONNX function body to import it as")
    opset = next((o.version for o in body.opset_import if o.domain in DEFAULT_DOMAINS), node.opset)
    env = {f: (node.inputs[k] if k < len(node.inputs) else "") for k, f in enumerate(body.input)}
    reads = {i for n in body.node for i in n.input if i}
    wanted = {f: node.output(k) for k, f in enumerate(body.output) if ctx.is_consumed(node.output(k))}
    convert_inlined(ctx, body.node, env, f"{node.name}/fn", opset, reads | set(wanted), node.attrs)
    for f, out in wanted.items():
        ctx.emit1("Identity", [env[f]], out, hint="fn_out")


_ONNX_OF = {name: code for code, name in ONNX_TO_DTYPE.items()}
