"""BatchNorm / ScaleShift folding: per-channel affine ops melt into weights.

ScaleShift (y = x * scale[c] + shift[c], c = last axis) is the one per-channel
affine form. This pass
  1. rewrites inference BatchNormalization with constant statistics, and a
     Mul / Add / Sub by a constant that broadcasts purely along x's last axis
     (shape [], [C] or [1,..,1,C], never growing x), as ScaleShift;
  2. merges ScaleShift -> ScaleShift (the first without activation);
  3. folds a constant ScaleShift into the Conv / ConvTranspose / Gemm / MatMul
     (constant 2-D weights) producing its input, when that producer has no
     activation yet and nothing else reads its output: weights are scaled per
     output channel and the bias becomes bias*scale + shift (created if absent).
The ScaleShift's own activation moves with it. Arithmetic is done in float64
and stored in the weights' dtype; constants are never modified in place (they
may be shared), new ones are created and dead ones left to DCE.
"""
from __future__ import annotations

from collections import deque
from typing import Optional

import numpy as np

from .. import ir, ops
from ..ops import limits
from ._util import (
    attr,
    const,
    is_float,
    remove_nodes,
    shape,
    sole_consumer,
    take_output,
)


def fold_scale_shift(graph: ir.Graph) -> bool:
    changed = False
    for rule, matches in RULES:
        changed = _run_worklist(graph, rule, matches) or changed
    return changed


def _run_worklist(graph: ir.Graph, rule, matches) -> bool:
    """Apply ``rule`` to a fixed point, visiting only nodes whose op it matches: first all
    of them in order, then again only the neighbours of each rewrite (the rewritten node,
    the producers of its inputs and the readers of its outputs), never the whole graph."""
    producers, uses = graph.producers(), graph.consumers()
    work = deque(n for n in graph.nodes if n.op in matches)
    queued = {id(n) for n in work}
    changed = False
    while work:
        node = work.popleft()
        queued.discard(id(node))
        if node not in graph:
            continue
        names = _activations(graph, node)
        if not rule(graph, node, producers, uses):
            continue
        changed = True
        names += _activations(graph, node)
        touched = [node] + [graph.producer(v) for v in names] + [c for v in names for c in graph.consumers_of(v)]
        for n in touched:
            if n is not None and n in graph and n.op in matches and id(n) not in queued:
                queued.add(id(n))
                work.append(n)
    return changed


def _activations(graph: ir.Graph, node: ir.Node) -> list:
    """Non-constant values a node touches (a shared weight's other readers are not neighbours)."""
    values = graph.values
    return [v for v in (*node.inputs, *node.outputs) if v and v in values and values[v].const is None]


def _act_attrs(node: ir.Node) -> dict:
    return {k: attr(node, k) for k in ops.FUSED_ACT_ATTRS}


def _to_scaleshift(graph: ir.Graph, node: ir.Node, x: str, scale, shift, act: dict) -> None:
    dtype = ir.np_dtype(graph.values[x].dtype)
    node.op = "ScaleShift"
    graph.set_inputs(node, [x, graph.add_const(np.asarray(scale, dtype), f"{node.name}_scale"),
                            graph.add_const(np.asarray(shift, dtype), f"{node.name}_shift")])
    node.attrs = dict(act)


# ---- 1. per-channel affine ops -> ScaleShift ------------------------------------
def _batchnorm_to_scaleshift(graph, node, producers, uses) -> bool:
    if node.op != "BatchNormalization" or not is_float(graph, node.inputs[0]):
        return False
    params = [const(graph, i) for i in node.inputs[1:5]]
    if any(p is None for p in params):
        return False
    gamma, beta, mean, var = (p.astype(np.float64) for p in params)
    scale = gamma / np.sqrt(var + float(attr(node, "epsilon")))
    _to_scaleshift(graph, node, node.inputs[0], scale, beta - mean * scale, {})
    return True


MAX_BROADCAST_CHANNELS = 1 << 16


def channel_vector(c: np.ndarray, x_shape) -> Optional[np.ndarray]:
    """c as a [C] vector if it broadcasts against x purely along x's last axis
    (shape [], [C], [1,..,1,C] or all ones, rank <= x's) and x's C is static."""
    if x_shape is None or not x_shape or not isinstance(x_shape[-1], (int, np.integer)):
        return None
    channels = int(x_shape[-1])
    # a scalar broadcast over a huge (or damaged, negative) channel dim would become a vector far bigger
    # than the constant it folds: leave such ops as they are
    if channels <= 0 or (c.size < channels and channels > MAX_BROADCAST_CHANNELS):
        return None
    if c.ndim > len(x_shape) or any(d != 1 for d in c.shape[:-1]) or (c.ndim and c.shape[-1] not in (1, channels)):
        return None
    # a scalar spread over a huge C: leave it (a vector no bigger than c itself is always allowed)
    if channels * 4 > c.nbytes and limits.fold_verdict([("float32", (channels,))], [c]):
        return None
    flat = c.reshape(-1)[: channels]
    return (flat if flat.size == channels else np.broadcast_to(flat, (channels,))).astype(np.float64)


def _binary_to_scaleshift(graph, node, producers, uses) -> bool:
    if node.op not in ("Mul", "Add", "Sub"):
        return False
    a, b = node.inputs
    if const(graph, b) is not None and const(graph, a) is None:
        x, c = a, const(graph, b)
    elif node.op != "Sub" and const(graph, a) is not None and const(graph, b) is None:
        x, c = b, const(graph, a)
    else:
        return False
    vec = channel_vector(c, shape(graph, x)) if is_float(graph, x) else None
    if vec is None:
        return False
    ones, zeros = np.ones_like(vec), np.zeros_like(vec)
    scale, shift = {"Mul": (vec, zeros), "Add": (ones, vec), "Sub": (ones, -vec)}[node.op]
    _to_scaleshift(graph, node, x, scale, shift, _act_attrs(node))
    return True


# ---- 2. ScaleShift -> ScaleShift ------------------------------------------------------
def _affine(graph, node) -> Optional[tuple]:
    """(scale, shift) in float64 of a ScaleShift with constant parameters."""
    if node.op != "ScaleShift":
        return None
    s, t = const(graph, node.inputs[1]), const(graph, node.inputs[2])
    return None if s is None or t is None else (s.astype(np.float64), t.astype(np.float64))


def _merge_scaleshifts(graph, node, producers, uses) -> bool:
    second = _affine(graph, node)
    first_node = producers.get(node.inputs[0])
    first = _affine(graph, first_node) if first_node is not None else None
    if second is None or first is None or attr(first_node, "act") != ops.ACT_NONE:
        return False
    if sole_consumer(graph, uses, first_node.outputs[0]) is not node:
        return False
    (s1, t1), (s2, t2) = first, second
    _to_scaleshift(graph, node, first_node.inputs[0], s1 * s2, t1 * s2 + t2, _act_attrs(node))
    remove_nodes(graph, [first_node])
    return True


# ---- 3. ScaleShift into the producer's weights ------------------------------------
def _fold_into_producer(graph, node, producers, uses) -> bool:
    affine = _affine(graph, node)
    producer = producers.get(node.inputs[0])
    if affine is None or producer is None or producer.op not in _WEIGHT_FOLDERS:
        return False
    if attr(producer, "act") != ops.ACT_NONE or sole_consumer(graph, uses, producer.outputs[0]) is not node:
        return False
    if len(producer.inputs) > 3 and any(producer.inputs[3:]):  # a residual sum is not scaled by the weights
        return False
    if not _WEIGHT_FOLDERS[producer.op](graph, producer, *affine):
        return False
    producer.attrs.update(_act_attrs(node))
    take_output(graph, producer, node)
    remove_nodes(graph, [node])
    return True


def _float_const(graph, name) -> Optional[np.ndarray]:
    c = const(graph, name)
    return c if c is not None and c.dtype == np.float32 else None


def _new_bias(graph, node, index: int, bias, scale, shift) -> Optional[str]:
    """Name of a new constant bias*scale + shift ([C]); None if the old bias is not a constant."""
    b = None
    if len(node.inputs) > index and node.inputs[index]:
        b = _float_const(graph, node.inputs[index])
        if b is None:
            return None
    return graph.add_const(scaled_bias(b, scale, shift), f"{node.name}_{bias}")


def scaled_bias(bias: Optional[np.ndarray], scale: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """bias*scale + shift in float64 (shift alone without a bias), as float32."""
    return (shift if bias is None else bias.astype(np.float64) * scale + shift).astype(np.float32)


def _scaled(w: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """w * factor computed in float64 and rounded once to w's dtype. Axes along which w is a
    broadcast (stride 0, e.g. a ConstantOfShape filler) are computed once and stay broadcast, so
    a filler weight costs its per-channel size, not its full size."""
    idx = tuple(slice(0, 1) if st == 0 and n > 1 else slice(None) for st, n in zip(w.strides, w.shape))
    out = (w[idx].astype(np.float64) * factor).astype(w.dtype)
    if out.shape == w.shape or not out.size:
        return out if out.shape == w.shape else np.broadcast_to(out, w.shape)
    # np.broadcast_to(out, w.shape), made directly (its generality costs more than the arithmetic on
    # a light model's per-channel weights): out is a new C-contiguous array; its axes of size 1 that
    # w has longer repeat with stride 0
    view = np.ndarray(w.shape, out.dtype, buffer=out,
                      strides=tuple(0 if k != n else st for k, n, st in zip(out.shape, w.shape, out.strides)))
    view.flags.writeable = False
    return view


def _fold_conv(graph, node, scale, shift) -> bool:
    w = _float_const(graph, node.inputs[1])
    if w is None or not conv_foldable(w, scale):
        return False
    bias = _new_bias(graph, node, 2, "bias", scale, shift)
    if bias is None:
        return False
    graph.set_input(node, 1, graph.add_const(scaled_conv_weights(w, scale), f"{node.name}_w"))
    graph.set_input(node, 2, bias)
    return True


def conv_foldable(w: np.ndarray, scale: np.ndarray) -> bool:
    """Can a per-output-channel ``scale`` ([C], float64) fold into Conv weights ``w`` (OHWI)?"""
    return w.dtype == np.float32 and w.ndim == 4 and w.shape[0] == scale.size


def scaled_conv_weights(w: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """OHWI weights with output channel o scaled by scale[o] (the ONNX importer folds a
    BatchNormalization into its Conv with this and scaled_bias, as this pass would)."""
    if w.ndim == 4 and w.size and w.strides[1] == w.strides[2] == w.strides[3] == 0:
        # one value per output channel (a light model's filler, or weights scaled before): _scaled's
        # products, computed on the [O] column without its general indexing
        out = (w[:, 0, 0, 0].astype(np.float64) * scale).astype(w.dtype)
        if w.shape[1:] == (1, 1, 1):
            return out.reshape(w.shape)
        view = np.ndarray(w.shape, out.dtype, buffer=out, strides=(out.itemsize, 0, 0, 0))
        view.flags.writeable = False
        return view
    return _scaled(w, scale[:, None, None, None])


def _fold_conv_transpose(graph, node, scale, shift) -> bool:
    # w [Cin,KH,KW,Cout/g]: input channel ci belongs to group ci // (Cin/g), whose
    # output channels are g*(Cout/g) + j, so the factor for w[ci,:,:,j] is
    # scale[(ci // (Cin/g)) * (Cout/g) + j].
    w = _float_const(graph, node.inputs[1])
    groups = int(attr(node, "group"))
    if w is None or w.ndim != 4 or w.shape[3] * groups != scale.size or w.shape[0] % groups:
        return False
    bias = _new_bias(graph, node, 2, "bias", scale, shift)
    if bias is None:
        return False
    factor = np.repeat(scale.reshape(groups, w.shape[3]), w.shape[0] // groups, axis=0)  # [Cin, Cout/g]
    graph.set_input(node, 1, graph.add_const(_scaled(w, factor[:, None, None, :]), f"{node.name}_w"))
    graph.set_input(node, 2, bias)
    return True


def _fold_gemm(graph, node, scale, shift) -> bool:
    b = _float_const(graph, node.inputs[1])
    trans_b = int(attr(node, "transB"))
    if b is None or b.ndim != 2 or b.shape[0 if trans_b else 1] != scale.size:
        return False
    if len(node.inputs) > 2 and node.inputs[2]:
        c = _float_const(graph, node.inputs[2])
        if c is None:
            return False
        c_new = float(attr(node, "beta")) * c.astype(np.float64) * scale + shift
    else:
        c_new = shift
    factor = scale[:, None] if trans_b else scale[None, :]
    graph.set_input(node, 1, graph.add_const(_scaled(b, factor), f"{node.name}_b"))
    graph.set_input(node, 2, graph.add_const(c_new.astype(np.float32), f"{node.name}_c"))
    node.attrs["beta"] = 1.0
    return True


def _fold_matmul(graph, node, scale, shift) -> bool:
    # MatMul has no bias: a shift needs a 2-D a, so the node can become a Gemm.
    b = _float_const(graph, node.inputs[1])
    if b is None or b.ndim != 2 or b.shape[1] != scale.size:
        return False
    if np.any(shift) and (shape(graph, node.inputs[0]) is None or len(shape(graph, node.inputs[0])) != 2):
        return False
    graph.set_input(node, 1, graph.add_const(_scaled(b, scale[None, :]), f"{node.name}_b"))
    if np.any(shift):
        node.op = "Gemm"
        node.inputs.append(graph.add_const(shift.astype(np.float32), f"{node.name}_c"))
    return True


_WEIGHT_FOLDERS = {"Conv": _fold_conv, "ConvTranspose": _fold_conv_transpose, "Gemm": _fold_gemm,
                   "MatMul": _fold_matmul}


# each rule with the ops it rewrites, run in this order, each to its fixed point
RULES = (
    (_batchnorm_to_scaleshift, frozenset({"BatchNormalization"})),
    (_binary_to_scaleshift, frozenset({"Mul", "Add", "Sub"})),
    (_merge_scaleshifts, frozenset({"ScaleShift"})),
    (_fold_into_producer, frozenset({"ScaleShift"})),
)
