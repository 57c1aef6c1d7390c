"""TFLite SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND (1 and 2 spatial dims, with
padding and crops): pocketml against the LiteRT
interpreter, with a numpy expectation written from the TensorFlow definition
(pad, split each spatial dim by its block, block offsets before the batch).
"""
from __future__ import annotations

import numpy as np

from .tflite_builder import build_model
from .test_ops import case_adders, litert_tests
from .test_ops_logic import values

CASES = []
add, add_op = case_adders(CASES)
OP_LIST = ["SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"]


def np_space_to_batch(x, block, pads):
    m = len(block)
    x = np.pad(x, [(0, 0)] + [tuple(p) for p in pads] + [(0, 0)] * (x.ndim - m - 1))
    split = [x.shape[0]] + [v for d, b in zip(x.shape[1:m + 1], block) for v in (d // b, b)] + list(x.shape[m + 1:])
    y = x.reshape(split)
    perm = [2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)] + list(range(2 * m + 1, y.ndim))
    y = y.transpose(perm)
    return y.reshape([-1] + [d // b for d, b in zip(x.shape[1:m + 1], block)] + list(x.shape[m + 1:]))


def np_batch_to_space(x, block, crops):
    m, n = len(block), x.shape[0] // int(np.prod(block))
    y = x.reshape(list(block) + [n] + list(x.shape[1:]))
    perm = [m] + [v for i in range(m) for v in (m + 1 + i, i)] + list(range(2 * m + 1, y.ndim))
    y = y.transpose(perm).reshape([n] + [d * b for d, b in zip(x.shape[1:m + 1], block)] + list(x.shape[m + 1:]))
    return y[(slice(None),) + tuple(slice(c[0], y.shape[1 + i] - c[1]) for i, c in enumerate(crops))]


for dt, shape, block, pads in (("float32", (2, 5, 6, 3), [2, 3], [[1, 0], [0, 0]]),
                               ("float32", (1, 4, 4, 1), [2, 2], [[0, 0], [0, 0]]),
                               ("float32", (3, 7, 2), [3], [[1, 1]]),
                               ("int32", (2, 3, 5, 2), [2, 2], [[1, 0], [2, 1]]),
                               ("int64", (1, 6, 5), [2], [[0, 0]]),
                               ("int8", (2, 4, 3), [2], [[1, 1]]),
                               # (LiteRT: rank 3 or 4, as many blocks as spatial dims)
                               ("float32", (2, 4, 1, 5), [1, 3], [[0, 0], [1, 1]])):
    x = values(dt, *shape)
    tag = f"{dt}-{'x'.join(map(str, shape))}-b{'_'.join(map(str, block))}"
    b, p = np.array(block, np.int32), np.array(pads, np.int32)
    y = np_space_to_batch(x, block, pads)
    add_op(f"space_to_batch_nd-{tag}", "SPACE_TO_BATCH_ND", {"x": x}, {"b": b, "p": p}, out=dt, expected=y)
    add_op(f"batch_to_space_nd-{tag}", "BATCH_TO_SPACE_ND", {"x": y}, {"b": b, "c": p}, out=dt,
           expected=np_batch_to_space(y, block, pads))
# a quantized input pads with its zero point (the real 0)
x = values("int8", 1, 3, 2)
quant = {"scale": [0.5], "zero_point": [-3]}
add("space_to_batch_nd-quantized-int8", build_model(
    [("SPACE_TO_BATCH_ND", ["x", "b", "p"], ["y"], None)],
    {"x": ("int8", x.shape, None, None, quant), "b": ("int32", (1,), np.array([2], np.int32)),
     "p": ("int32", (1, 2), np.array([[1, 0]], np.int32)), "y": ("int8", (2, 2, 2), None, None, quant)}, ["x"], ["y"]),
    [x], np_space_to_batch(np.pad(x, [(0, 0), (1, 0), (0, 0)], constant_values=-3), [2], [[0, 0]]))

test_litert_matches_numpy, test_pocketml_matches_litert = litert_tests(CASES)
