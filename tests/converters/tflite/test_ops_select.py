"""TFLite ops whose output size depends on the data (WHERE with one input, UNIQUE,
NON_MAX_SUPPRESSION_V4/V5): pocketml against the LiteRT interpreter, with a numpy
expectation pinning the semantics where LiteRT's output is simple to state."""
from __future__ import annotations

import numpy as np

from .tflite_builder import build_model
from .test_ops import case_adders, litert_tests
from .test_ops_logic import values

CASES = []
add, add_op = case_adders(CASES)
OP_LIST = """WHERE UNIQUE NON_MAX_SUPPRESSION_V4 NON_MAX_SUPPRESSION_V5""".split()
RNG = np.random.default_rng(23)


def _model(op, feeds: dict, consts: dict, outs: dict, options=None):
    tensors = {n: (a.dtype.name, a.shape, None) for n, a in feeds.items()}
    tensors.update({n: (a.dtype.name, a.shape, a) for n, a in consts.items()})
    tensors.update({n: (dt, shape, None) for n, (dt, shape) in outs.items()})
    return build_model([(op, list(feeds) + list(consts), list(outs), options)], tensors, list(feeds), list(outs))


# ---- WHERE (one input): coordinates of the true elements ---------------------------------------------
for dt, shape in (("bool", (3, 4)), ("float32", (2, 3, 2)), ("int32", (7,)), ("bool", (2, 2))):
    v = values(dt, *shape) if dt != "bool" else RNG.random(shape) > 0.5
    if dt == "bool" and shape == (2, 2):
        v = np.array([[False, False], [False, True]])  # one true (LiteRT's Python API cannot read an empty output)
    add(f"where-{dt}-{'x'.join(map(str, shape))}", _model("WHERE", {"c": v}, {}, {"y": ("int64", (1, len(shape)))}),
        [v], np.argwhere(v).astype(np.int64))

# ---- UNIQUE: values in first-occurrence order, each element's index into them --------------------------
for dt, idx in (("float32", "int32"),  # idx_out_type: the TensorType value (INT32 2, INT64 4)
                ("int32", "int32"), ("int64", "int64"), ("int8", "int32")):
    v = RNG.integers(-3, 4, size=11).astype(dt)
    add(f"unique-{dt}-idx_{idx}",
        _model("UNIQUE", {"x": v}, {}, {"y": (dt, (1,)), "idx": (idx, v.shape)}, {"_options": "UniqueOptions", "idx_out_type": 2 if idx == "int32" else 4}),
        [v], None)


# ---- NON_MAX_SUPPRESSION_V4/V5: one class, padded to max_output_size ---------------------------------
def _boxes(n):
    y0, x0 = RNG.random(n) * 8, RNG.random(n) * 8
    h, w = RNG.random(n) * 3 + 0.5, RNG.random(n) * 3 + 0.5
    b = np.stack([y0, x0, y0 + h, x0 + w], axis=1)
    b[::3] = b[::3][:, [2, 3, 0, 1]]  # some corners given flipped
    return b.astype(np.float32)


for n, max_out, iou, thr in ((20, 6, 0.4, 0.3), (9, 12, 0.5, 0.0), (15, 4, 0.3, 0.95)):
    boxes, scores = _boxes(n), RNG.random(n).astype(np.float32)
    consts = {"k": np.array(max_out, np.int32), "iou": np.array(iou, np.float32), "thr": np.array(thr, np.float32)}
    add(f"nms_v4-{n}-{max_out}-{iou}-{thr}",
        _model("NON_MAX_SUPPRESSION_V4", {"boxes": boxes, "scores": scores}, consts,
               {"sel": ("int32", (max_out,)), "valid": ("int32", ())}), [boxes, scores], None)
    add(f"nms_v5-{n}-{max_out}-{iou}-{thr}",
        _model("NON_MAX_SUPPRESSION_V5", {"boxes": boxes, "scores": scores},
               {**consts, "sigma": np.array(0.0, np.float32)},
               {"sel": ("int32", (max_out,)), "kept_scores": ("float32", (max_out,)), "valid": ("int32", ())}),
        [boxes, scores], None)

test_litert_matches_numpy, test_pocketml_matches_litert = litert_tests(CASES)
