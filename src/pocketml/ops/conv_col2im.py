"""Col2Im (the conv family): the inverse of im2col, overlap-adding sliding blocks into an image.

x [N, C * prod(block), L] -> y [N, C, *image_shape]. Unlike Conv it keeps ONNX's channels-first
layout (the column rows are channel-major already, and its output is an image for whatever follows).
Block b (an index over block_shape) of column l (an index over the blocks' grid, n_i per axis) adds
to position l_i * strides_i - pads_begin_i + b_i * dilations_i of each axis i, when inside the image;
n_i = (image_i + pads_begin_i + pads_end_i - dilations_i * (block_i - 1) - 1) // strides_i + 1 and
L = prod(n_i). image_shape and block_shape are plan-time inputs. Every numeric dtype (float16 sums in
float32 and rounds once; integers wrap).
"""
from __future__ import annotations

import itertools

import numpy as np

from .. import dtypes
from .registry import Attr, define
from ._common import attrs_of, check_rank, fail, fresh_dim, is_sym, known, param_len, prod


def col2im_geometry(node, shape, image, block, at) -> list:
    """Blocks per axis (n_i), after checking the attributes and x's shape against them."""
    k = len(image)
    strides, dilations, pads = at["strides"] or [1] * k, at["dilations"] or [1] * k, at["pads"] or [0] * (2 * k)
    if len(block) != k or len(strides) != k or len(dilations) != k or len(pads) != 2 * k or k < 1:
        raise fail(node, f"image_shape {image}, block_shape {block}, strides {strides}, dilations {dilations} and "
                         f"pads {pads} need one value per spatial axis (two for pads)")
    if min(block) < 1 or min(strides) < 1 or min(dilations) < 1 or min(pads) < 0 or min(image) < 0:
        raise fail(node, "block_shape, strides and dilations must be >= 1, image_shape and pads >= 0")
    blocks = [(image[i] + pads[i] + pads[i + k] - dilations[i] * (block[i] - 1) - 1) // strides[i] + 1
              for i in range(k)]
    if min(blocks) < 1:
        raise fail(node, f"block_shape {block} does not fit image_shape {image} with pads {pads}")
    for d, want, what in ((shape[1], None, "channels"), (shape[2], prod(blocks), "columns")):
        if not is_sym(d) and (d % prod(block) if want is None else d != want):
            raise fail(node, f"x {list(shape)}: {what} must be " +
                       (f"a multiple of prod(block_shape) = {prod(block)}" if want is None else f"{want}"))
    return blocks


def _col2im_infer(node, ins):
    t, s = known(node, ins[0], "x")
    check_rank(node, s, 3, "x")
    k = param_len(node, ins, 1, "image_shape")
    if param_len(node, ins, 2, "block_shape") != k:
        raise fail(node, "image_shape and block_shape need the same length")
    if not (ins[1].is_const and ins[2].is_const):
        return [(t, (s[0], fresh_dim(node, 1), *[fresh_dim(node, i + 2) for i in range(k)]))]
    image, block = [[int(v) for v in np.asarray(ins[i].const).reshape(-1)] for i in (1, 2)]
    col2im_geometry(node, s, image, block, attrs_of(node))
    return [(t, (s[0], s[1] // prod(block) if not is_sym(s[1]) else fresh_dim(node, 1), *image))]


def _col2im_reference(inputs, attrs):
    x, image, block = inputs[0], [int(v) for v in inputs[1]], [int(v) for v in inputs[2]]
    k, (n, ck, _) = len(image), x.shape
    strides, dilations, pads = attrs["strides"] or [1] * k, attrs["dilations"] or [1] * k, attrs["pads"] or [0] * 2 * k
    blocks = [(image[i] + pads[i] + pads[i + k] - dilations[i] * (block[i] - 1) - 1) // strides[i] + 1
              for i in range(k)]
    cols = x.reshape(n, ck // prod(block), prod(block), prod(blocks))
    y = np.zeros((n, ck // prod(block), *image), np.float64 if x.dtype.kind == "f" else np.int64)
    for kb, b in enumerate(itertools.product(*map(range, block))):
        for kl, l in enumerate(itertools.product(*map(range, blocks))):
            pos = [l[i] * strides[i] - pads[i] + b[i] * dilations[i] for i in range(k)]
            if all(0 <= p < d for p, d in zip(pos, image)):
                y[(slice(None), slice(None), *pos)] += cols[:, :, kb, kl]
    return [y.astype(x.dtype)]


define("Col2Im", 282, "conv", ("x: T", "image_shape: I64", "block_shape: I64"), ("y: T",),
       {"strides": Attr("ints", []), "pads": Attr("ints", []), "dilations": Attr("ints", [])},
       types={"T": dtypes.NUMERIC, "I64": ("int64",)}, plan_inputs=("image_shape", "block_shape"),
       infer=_col2im_infer, reference=_col2im_reference)
