"""Select ops: outputs whose size depends on input values (the data_dependent trait).

NonZero (coordinates of the non-zero elements, [rank, count]; a scalar counts as
rank 1), Compress(axis; without axis the input is flattened; a condition shorter
than the axis selects among its first entries), Unique(axis, sorted: Y, first
indices, inverse indices, counts) and NonMaxSuppression (center_point_box; per batch
and class, greedy by descending score, ties to the lower box index; suppresses a box
whose IoU with a kept one is above iou_threshold; keeps boxes scoring above
score_threshold when it is given; at most max_output_boxes_per_class each).

Their count dims are symbolic here (``<node>:n0``); the runtime's infer gives an upper
bound, the kernel writes the count, and the session plans the nodes after such a node
once it has run (native/src/session_tail.c).
"""
from __future__ import annotations

import numpy as np

from .registry import Attr, define
from ._common import ANY, FLOAT, attrs_of, fail, fresh_dim, is_sym, known, normalize_axis, shape_str


def _axis_attr(node):
    """The optional axis (an ints attribute holding none or one value: none flattens)."""
    axis = list(attrs_of(node)["axis"])
    if len(axis) > 1:
        raise fail(node, f"axis holds {len(axis)} values; it is one axis or none")
    return axis[0] if axis else None


# ---- NonZero ------------------------------------------------------------------------------
def _nonzero_infer(node, ins):
    _, s = known(node, ins[0], "x")
    return [("int64", (max(len(s), 1), fresh_dim(node, 0, "n")))]


def _nonzero_reference(inputs, attrs):
    x = np.asarray(inputs[0])
    return [np.array(np.nonzero(x.reshape(-1) if x.ndim == 0 else x), dtype=np.int64).reshape(max(x.ndim, 1), -1)]


define("NonZero", 390, "select", ("x: T",), ("y: I64",), types={"T": ANY, "I64": ("int64",)},
       traits=("data_dependent",), infer=_nonzero_infer, reference=_nonzero_reference)


# ---- Compress ------------------------------------------------------------------------------
def _compress_infer(node, ins):
    t, s = known(node, ins[0], "input")
    _, sc = known(node, ins[1], "condition")
    if len(sc) != 1:
        raise fail(node, f"condition must be 1-D, got shape {shape_str(sc)}")
    axis = _axis_attr(node)
    n = fresh_dim(node, 0, "n")
    if axis is None:
        return [(t, (n,))]
    axis = normalize_axis(node, axis, len(s))
    return [(t, s[:axis] + (n,) + s[axis + 1:])]


def _compress_reference(inputs, attrs):
    x, cond = np.asarray(inputs[0]), np.asarray(inputs[1]).astype(bool)
    axis = (list(attrs.get("axis", [])) or [None])[0]
    length = x.size if axis is None else x.shape[axis]
    if cond.size > length and cond[length:].any():
        raise ValueError(f"condition has a true entry at {int(np.argmax(cond[length:])) + length}, beyond the "
                         f"{length} entries it selects from")
    return [np.compress(cond[:length], x, axis=axis)]


define("Compress", 391, "select", ("input: T", "condition: B"), ("output: T",), {"axis": Attr("ints", [])},
       types={"T": ANY, "B": ("bool",)}, traits=("data_dependent",), infer=_compress_infer,
       reference=_compress_reference)


# ---- Unique --------------------------------------------------------------------------------
def _unique_infer(node, ins):
    t, s = known(node, ins[0], "x")
    axis = _axis_attr(node)
    n = fresh_dim(node, 0, "n")
    if axis is None:
        total = 1
        for d in s:
            total = d if is_sym(d) or is_sym(total) else total * d
        y, inverse = (n,), (total,)
    else:
        axis = normalize_axis(node, axis, len(s))
        y, inverse = s[:axis] + (n,) + s[axis + 1:], (s[axis],)
    return [(t, y), ("int64", (n,)), ("int64", inverse), ("int64", (n,))]


def _unique_reference(inputs, attrs):
    x, axis, sort = np.asarray(inputs[0]), (list(attrs.get("axis", [])) or [None])[0], attrs.get("sorted", 1)
    y, first, inverse, counts = np.unique(x, return_index=True, return_inverse=True, return_counts=True, axis=axis)
    inverse = inverse.reshape(-1)
    if not sort:  # order of first occurrence
        order = np.argsort(first, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        y = np.take(y, order, axis=0 if axis is None else axis)
        first, counts, inverse = first[order], counts[order], rank[inverse]
    return [y, first.astype(np.int64), inverse.astype(np.int64), counts.astype(np.int64)]


define("Unique", 392, "select", ("x: T",), ("y: T", "indices?: I64", "inverse_indices?: I64", "counts?: I64"),
       {"axis": Attr("ints", []), "sorted": Attr("int", 1)}, types={"T": ANY, "I64": ("int64",)},
       traits=("data_dependent",), infer=_unique_infer, reference=_unique_reference)


# ---- NonMaxSuppression -------------------------------------------------------------------
def _nms_infer(node, ins):
    _, sb = known(node, ins[0], "boxes")
    _, ss = known(node, ins[1], "scores")
    if len(sb) != 3 or (not is_sym(sb[2]) and sb[2] != 4):
        raise fail(node, f"boxes must be [batch, boxes, 4], got {shape_str(sb)}")
    if len(ss) != 3:
        raise fail(node, f"scores must be [batch, classes, boxes], got {shape_str(ss)}")
    for k, role in ((2, "max_output_boxes_per_class"), (3, "iou_threshold"), (4, "score_threshold")):
        if k < len(ins) and ins[k] is not None:
            _, sk = known(node, ins[k], role)
            if len(sk) > 1 or (sk and not is_sym(sk[0]) and sk[0] != 1):
                raise fail(node, f"{role} must hold one value, got shape {shape_str(sk)}")
    return [("int64", (fresh_dim(node, 0, "n"), 3))]


def _iou(a, b, center: bool) -> float:
    if center:
        a = (a[1] - a[3] / 2, a[0] - a[2] / 2, a[1] + a[3] / 2, a[0] + a[2] / 2)
        b = (b[1] - b[3] / 2, b[0] - b[2] / 2, b[1] + b[3] / 2, b[0] + b[2] / 2)
    ay0, ay1 = min(a[0], a[2]), max(a[0], a[2])
    ax0, ax1 = min(a[1], a[3]), max(a[1], a[3])
    by0, by1 = min(b[0], b[2]), max(b[0], b[2])
    bx0, bx1 = min(b[1], b[3]), max(b[1], b[3])
    inter = max(0.0, min(ay1, by1) - max(ay0, by0)) * max(0.0, min(ax1, bx1) - max(ax0, bx0))
    union = (ay1 - ay0) * (ax1 - ax0) + (by1 - by0) * (bx1 - bx0) - inter
    return 0.0 if inter <= 0 or union <= 0 else inter / union


def _nms_reference(inputs, attrs):
    boxes, scores = np.asarray(inputs[0], np.float32), np.asarray(inputs[1], np.float32)

    def scalar(k, default):
        return default if k >= len(inputs) or inputs[k] is None or np.asarray(inputs[k]).size == 0 else \
            np.asarray(inputs[k]).reshape(-1)[0]
    limit, iou_t, score_t = int(scalar(2, 0)), float(scalar(3, 0.0)), scalar(4, None)
    center = bool(attrs.get("center_point_box", 0))
    out = []
    for b in range(scores.shape[0]):
        for c in range(scores.shape[1]):
            s = scores[b, c]
            order = [i for i in np.argsort(-s, kind="stable") if score_t is None or s[i] > float(score_t)]
            kept = []
            for i in order:
                if len(kept) >= limit:
                    break
                if all(_iou(boxes[b, i], boxes[b, j], center) <= iou_t for j in kept):
                    kept.append(i)
            out += [(b, c, i) for i in kept]
    return [np.array(out, dtype=np.int64).reshape(-1, 3)]


define("NonMaxSuppression", 393, "select",
       ("boxes: F", "scores: F", "max_output_boxes_per_class?: I64", "iou_threshold?: F", "score_threshold?: F"),
       ("selected_indices: I64",), {"center_point_box": Attr("int", 0)},
       types={"F": FLOAT, "I64": ("int64",)}, plan_inputs=("max_output_boxes_per_class",),
       traits=("data_dependent",), infer=_nms_infer, reference=_nms_reference)
