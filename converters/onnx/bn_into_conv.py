"""BatchNormalization folded into the Conv producing its input, while the ONNX graph is imported.

A CNN exported for inference is mostly Conv -> BatchNormalization pairs. Imported one by one,
each BatchNormalization becomes a ScaleShift that the fold_bn pass then melts into the Conv's
weights. When the pass is sure to do exactly that, the importer does it at once instead, with
the pass's own arithmetic (passes.fold_bn.scaled_conv_weights, scaled_bias on the ScaleShift's
float32 parameters read back as float64), so the converted graph is the same bit for bit and
the pass finds nothing left. The pass would fold the ScaleShift when:

- the Conv (float32, constant OHWI weights, constant or no bias, no residual input) is what
  the BatchNormalization reads, through the NCHW transpose of its NHWC output, and nothing else
  reads that output (the ONNX graph's readers, no subgraphs);
- the ScaleShift would not first merge with a following per-channel affine op (another
  BatchNormalization, or a Mul/Add/Sub/Sum/Div by a constant): the merged factors round
  differently, so then the pass does it all as before.
"""
from __future__ import annotations

import numpy as np

from pocketml import ops
from pocketml.passes.fold_bn import conv_foldable, scaled_bias, scaled_conv_weights

from .context import Context, OnnxNode

NCHW_OF_NHWC = [0, 3, 1, 2]
# ops whose constant per-channel form the fold_bn pass turns into a ScaleShift and merges with ours
_AFFINE_READERS = frozenset({"BatchNormalization", "Mul", "Add", "Sub", "Sum", "Div"})
# the fused-activation attributes of a ScaleShift without one, as the pass moves them onto the Conv
_NO_ACTIVATION = {k: a.default for k, a in ops.FUSED_ACT_ATTRS.items()}


def fold_into_conv(ctx: Context, node: OnnxNode, x: str, scale: np.ndarray, shift: np.ndarray) -> bool:
    """Fold the BatchNormalization ``node`` (float32 ``scale``, ``shift``, as its ScaleShift would
    hold them) into the Conv whose output ``x`` is; False (nothing done) when it is not sure."""
    readers = ctx.readers(x)
    if readers is None or len(readers) != 1 or scale.dtype != np.float32 or not _no_merge_after(ctx, node):
        return False
    t = ctx.deferred.get(x)
    if t is None or list(t.attrs.get("perm", ())) != NCHW_OF_NHWC:
        return False
    y = t.inputs[0]
    conv, graph = ctx.graph.producer(y), ctx.graph
    if conv is None or conv.op != "Conv" or len(conv.inputs) > 3 or graph.num_uses(y) or \
            conv.attrs.get("act", ops.ACT_NONE) != ops.ACT_NONE or graph.values[y].quant is not None:
        return False
    w = graph.values[conv.inputs[1]].const
    bias = graph.values[conv.inputs[2]].const if len(conv.inputs) > 2 and conv.inputs[2] else None
    if len(conv.inputs) > 2 and conv.inputs[2] and (bias is None or bias.dtype != np.float32):
        return False
    s, t64 = scale.astype(np.float64), shift.astype(np.float64)  # what the pass reads back from the ScaleShift
    if w is None or not conv_foldable(w, s):
        return False
    graph.set_inputs(conv, [conv.inputs[0], ctx.add_const(scaled_conv_weights(w, s), "bn_weights"),
                            ctx.add_const(scaled_bias(bias, s, t64), "bn_bias")])
    # the pass moves the ScaleShift's activation attributes (none, spelled out) onto the Conv
    conv.attrs.update(_NO_ACTIVATION)
    ctx.transpose(y, NCHW_OF_NHWC, node.output(0), hint="to_channels_first")
    return True


def _no_merge_after(ctx: Context, node: OnnxNode) -> bool:
    """Is the BatchNormalization's output sure not to meet another per-channel affine op the pass
    would merge it with? Its one reader is no such op, or an Add/Sum whose other inputs are all
    run-time values already imported."""
    readers = ctx.readers(node.output(0))
    if readers is None:
        return False
    if len(readers) != 1 or readers[0] is None or readers[0].op_type not in _AFFINE_READERS:
        return True  # several readers (or a graph output): the pass merges only a sole reader
    reader = readers[0]
    if reader.op_type not in ("Add", "Sum"):
        return False
    values = ctx.graph.values
    others = [i for i in reader.input if i != node.output(0)]
    return bool(others) and all(i in values and values[i].const is None for i in others)
