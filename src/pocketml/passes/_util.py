"""Graph-editing helpers shared by the passes.

Nodes compare by value, so every lookup here goes by identity (``is``/``id``),
never ``==`` or ``list.remove``; edits go through the Graph methods, which keep
the producer/consumer indexes live. Graph outputs and inputs are
part of the model's interface: a helper that cannot keep their names refuses
(returns False) instead of renaming them. Passes read shapes from
``graph.values`` and so expect ``shape_inference.infer_shapes(graph)`` to have run.
"""
from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from .. import ir, ops

FLOAT_DTYPES = ("float32",)
# Ops whose float16 nodes compute in float32 and round once (native/src/ops/f16_bridge.c):
# a fused epilogue (activation, Conv's residual) runs before that rounding, so it fuses there too.
WIDENED_F16_OPS = ("Conv", "ConvTranspose", "Gemm", "MatMul")


def attr(node: ir.Node, name: str):
    """Attribute of a node with the registry default filled in."""
    attrs = node.attrs
    if name in attrs:
        return attrs[name]
    return ops.get(node.op).attr(node, name)


def const(graph: ir.Graph, name: str) -> Optional[np.ndarray]:
    """Constant data of a value, or None (absent input, activation or graph input)."""
    if not name or name in graph.inputs:
        return None
    return graph.values[name].const


def shape(graph: ir.Graph, name: str) -> Optional[tuple]:
    v = graph.values.get(name)
    return None if v is None else v.shape


def rank(graph: ir.Graph, name: str) -> Optional[int]:
    s = shape(graph, name)
    return None if s is None else len(s)


def is_float(graph: ir.Graph, name: str) -> bool:
    return graph.values[name].dtype in FLOAT_DTYPES


def epilogue_fuses(graph: ir.Graph, name: str, producer: ir.Node) -> bool:
    """Whether an epilogue may fuse into producer, which computes value name: float32, or
    float16 where the producer computes in float32 (WIDENED_F16_OPS)."""
    dtype = graph.values[name].dtype
    return dtype in FLOAT_DTYPES or (dtype == "float16" and producer.op in WIDENED_F16_OPS)


def is_one(d) -> bool:
    """A static size-1 dim (a symbolic dim is never assumed to be 1)."""
    if type(d) is int:  # the common case, without the isinstance tuple (called per dim, very often)
        return d == 1
    return isinstance(d, (int, np.integer)) and int(d) == 1


def node_index(graph: ir.Graph, node: ir.Node) -> int:
    return graph.index_of(node)


def remove_nodes(graph: ir.Graph, dead) -> None:
    graph.remove_nodes(dead)


def sole_consumer(graph: ir.Graph, uses: dict, name: str) -> Optional[ir.Node]:
    """The node that alone reads ``name`` (once or more), if ``name`` is not a graph output."""
    readers = uses.get(name, [])
    if not readers or name in graph.outputs or any(r is not readers[0] for r in readers):
        return None
    return readers[0]


def new_value(graph: ir.Graph, prefix: str, like: str, shape=None) -> str:
    """A fresh intermediate value with the dtype of ``like`` (and its shape unless given)."""
    src = graph.values[like]
    name = graph.unique_name(prefix)
    graph.add_value(name, src.dtype, src.shape if shape is None else tuple(shape))
    return name


def take_output(graph: ir.Graph, src: ir.Node, dst: ir.Node) -> None:
    """Make ``src`` produce ``dst``'s (single) output name, dropping src's old output.

    Used when ``dst`` is folded into its only producer ``src``: consumers and
    graph outputs keep reading the same name.
    """
    take_output_name(graph, src, dst.outputs[0])


def take_output_name(graph: ir.Graph, src: ir.Node, name: str) -> None:
    """take_output onto a value ``name`` that no node produces yet (the ONNX importer's Relu fusion)."""
    old = src.outputs[0]
    graph.set_output(src, 0, name)
    graph.values.pop(old, None)


def bypass(graph: ir.Graph, node: ir.Node, src: str) -> bool:
    """Remove ``node``, whose single output carries the same data as value ``src``.

    Consumers are rewired to ``src``. If the output is a graph output its name
    must survive, so ``src``'s producer is made to produce it instead; when that
    is impossible (``src`` is a graph input/output or a constant) the node stays
    and False is returned.
    """
    dst = node.outputs[0]
    if dst not in graph.outputs:
        remove_nodes(graph, [node])
        graph.replace_uses(dst, src)
        return True
    if src in graph.inputs or src in graph.outputs or graph.is_const(src):
        return False
    producer = graph.producer(src)
    if producer is None or "stateful" in ops.get(producer.op).traits:
        return False  # a Variable's output is its state memory: a graph output needs its own copy
    remove_nodes(graph, [node])
    graph.set_outputs(producer, [dst if o == src else o for o in producer.outputs])
    graph.replace_uses(src, dst)
    graph.values.pop(src, None)
    return True


def reshape_spec(in_shape, out_shape) -> Optional[list]:
    """The Reshape ``shape`` attribute turning in_shape into out_shape, or None.

    Static dims are written out, a symbolic dim equal to the input dim at the
    same index is copied (0), and at most one other dim may be inferred (-1).
    Zero-size dims are refused (0 means "copy" in the attribute).
    """
    if in_shape is None or out_shape is None:
        return None
    spec, inferred = [], 0
    for i, d in enumerate(out_shape):
        if isinstance(d, (int, np.integer)):
            if int(d) <= 0:
                return None
            spec.append(int(d))
        elif i < len(in_shape) and in_shape[i] == d:
            spec.append(0)
        else:
            spec.append(-1)
            inferred += 1
    if inferred > 1 or any(isinstance(d, (int, np.integer)) and int(d) <= 0 for d in in_shape):
        return None
    return spec


def same_shape(a, b) -> bool:
    """Shapes provably equal: identical, and at most one symbolic dim (so element counts pin it down)."""
    return a is not None and b is not None and tuple(a) == tuple(b) and sum(isinstance(d, str) for d in a) <= 1


@dataclasses.dataclass
class Snapshot:
    """Enough of a graph to undo a pass: each node's (op, inputs, outputs, attributes, name), the
    value table and the interface. The value records themselves are shared, not copied: only for a
    pass that replaces records (add_value) and never edits one in place (the layout pass; shape
    inference, which edits them, runs between passes). Nodes are rebuilt only by ``restore``."""
    nodes: list
    values: dict
    inputs: list
    outputs: list


def snapshot(graph: ir.Graph) -> Snapshot:
    nodes = [(n.op, list(n.inputs), list(n.outputs), dict(n.attrs), n.name) for n in graph.nodes]
    return Snapshot(nodes, dict(graph.values), list(graph.inputs), list(graph.outputs))


def restore(graph: ir.Graph, snap: Snapshot) -> None:
    graph.nodes, graph.values = [ir.Node(*n) for n in snap.nodes], dict(snap.values)
    graph.inputs, graph.outputs = list(snap.inputs), list(snap.outputs)
