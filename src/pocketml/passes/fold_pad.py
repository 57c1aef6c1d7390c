"""Zero Pad folded into the Conv that reads it: Pad(x, spatial zeros) -> Conv(pads += ...).

Converters that resolve SAME padding into an explicit PAD op (TFLite's MLIR
converter, some ONNX exporters) leave a Pad before each conv: a full copy of
the activation that the conv kernels would do for free, since they already
treat taps outside the input as zeros. A Pad folds when it is constant mode
with value 0, pads only H and W (NHWC axes 1 and 2) by non-negative amounts,
and every reader of its output is a Conv (ConvTranspose pads mean cropping,
and pools pad with -inf or exclude the padding, so neither takes it); its
pads are added to each Conv's. The Pad itself is removed when nothing else
reads it and it is not a graph output.
"""
from __future__ import annotations

from .. import ir
from ._util import attr, remove_nodes


def _spatial_zero_pads(graph: ir.Graph, node: ir.Node):
    """[top, left, bottom, right] of a foldable Pad, else None."""
    if attr(node, "mode") != 0 or float(attr(node, "value")) != 0.0:
        return None
    shape = graph.values[node.inputs[0]].shape
    pads = list(attr(node, "pads"))
    if shape is None or len(shape) != 4 or len(pads) != 8 or min(pads) < 0:
        return None
    begin, end = pads[:4], pads[4:]
    if begin[0] or begin[3] or end[0] or end[3]:
        return None
    return [begin[1], begin[2], end[1], end[2]]


def fold_pad_into_conv(graph: ir.Graph) -> bool:
    uses = graph.consumers()
    dead = []
    for node in graph.nodes:
        if node.op != "Pad" or node.outputs[0] in graph.outputs or len(node.inputs) != 1:
            continue
        extra = _spatial_zero_pads(graph, node)
        readers = uses.get(node.outputs[0], [])
        if extra is None or not readers or any(r.op != "Conv" or r.inputs[0] != node.outputs[0] for r in readers):
            continue
        if any(r.attrs.get("auto_pad") for r in readers):  # pads computed per input size: nothing to add to
            continue
        if any(node.outputs[0] in r.inputs[1:] for r in readers):  # also a weight/bias/residual: keep the Pad
            continue
        for conv in {id(r): r for r in readers}.values():
            pads = list(attr(conv, "pads"))
            conv.attrs["pads"] = [p + e for p, e in zip(pads, extra)]
            graph.set_input(conv, 0, node.inputs[0])
        dead.append(node)
    remove_nodes(graph, dead)
    return bool(dead)
