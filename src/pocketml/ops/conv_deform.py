"""DeformConv (the conv family, ONNX opset 19): deformable convolution v1/v2, NHWC inside the engine.

x [N,H,W,C], w [Cout,KH,KW,C/group] (OHWI, as Conv), offset [N,OH,OW,offset_group*KH*KW*2],
b [Cout]?, mask [N,OH,OW,offset_group*KH*KW]? -> y [N,OH,OW,Cout].
The op is NHWC like Conv so that one sample of every channel of an offset group is a contiguous
run (the sampling im2col reads four such runs per tap) and one output pixel's offsets and mask
values are contiguous too. offset and mask keep ONNX's channel order, now the last axis: channel
((g*KH + i)*KW + j)*2 + {0: dy, 1: dx} of offset, (g*KH + i)*KW + j of mask, g the offset group of
input channels [g*C/offset_group, (g+1)*C/offset_group).
Tap (i, j) of output pixel (oh, ow) samples input channel c bilinearly at
  (oh*sh - pad_top + i*dh + dy, ow*sw - pad_left + j*dw + dx)
with zero outside the image (each of the four neighbours outside contributes nothing), scales it
by the mask (1 when absent), and the samples go through the grouped convolution with w, plus b.
OH and OW follow from the window geometry as for Conv and must match offset's (and mask's) dims.
"""
from __future__ import annotations

import numpy as np

from ..dtypes import FLOATS
from .registry import Attr, define
from ._common import attrs_of, check_rank, dims_equal, fail, known, shape_str, static_dim, window_out
from .conv import _geometry


def _deform_infer(node, ins):
    attrs = attrs_of(node)
    (tx, sx), (_, sw), (_, so) = known(node, ins[0], "x"), known(node, ins[1], "w"), known(node, ins[2], "offset")
    for s, what in ((sx, "x"), (sw, "w"), (so, "offset")):
        check_rank(node, s, 4, what)
    strides, pads, dil = _geometry(node, attrs)
    g, og = attrs["group"], attrs["offset_group"]
    cout, kh, kw = (static_dim(node, d, "weight dim") for d in sw[:3])
    cin = static_dim(node, sx[3], "input channels (NHWC last axis)")
    if og < 1 or cin % g or cout % g or sw[3] != cin // g or cin % og:
        raise fail(node, f"x has {cin} channels, group={g}, offset_group={og}, weight OHWI {list(sw)}: need "
                         f"C%group==0, C%offset_group==0, Cout%group==0 and weight last dim C/group")
    if len(ins) > 3 and ins[3] is not None and not (len(sb := known(node, ins[3], "b")[1]) == 1
                                                     and dims_equal(sb[0], cout)):
        raise fail(node, f"bias shape {shape_str(sb)} must be [{cout}]")
    oh = window_out(node, sx[1], kh, strides[0], dil[0], pads[0], pads[2], what="height")
    ow = window_out(node, sx[2], kw, strides[1], dil[1], pads[1], pads[3], what="width")
    ports = [("offset", so, og * kh * kw * 2)]
    if len(ins) > 4 and ins[4] is not None:
        ports.append(("mask", known(node, ins[4], "mask")[1], og * kh * kw))
    for what, s, ch in ports:
        if len(s) != 4 or not all(dims_equal(a, b) for a, b in zip(s, (sx[0], oh, ow, ch))):
            raise fail(node, f"{what} {shape_str(s)} must be [N,OH,OW,{ch}] = {shape_str((sx[0], oh, ow, ch))} "
                             f"(offset_group*KH*KW{'*2' if what == 'offset' else ''} values per output pixel)")
    return [(tx, (sx[0], oh, ow, cout))]


def _bilinear(x, py, px):
    """x [N,H,W,G,Cg] sampled at py, px [N,OH,OW,G,KH,KW] -> [N,OH,OW,G,KH,KW,Cg], zero outside."""
    n, h, w = x.shape[:3]
    y0, x0 = np.floor(py), np.floor(px)
    bn = np.arange(n).reshape(-1, 1, 1, 1, 1, 1)
    bg = np.arange(x.shape[3]).reshape(1, 1, 1, -1, 1, 1)
    out = 0.0
    for yc, wy in ((y0, 1 - (py - y0)), (y0 + 1, py - y0)):
        for xc, wx in ((x0, 1 - (px - x0)), (x0 + 1, px - x0)):
            inside = (yc >= 0) & (yc < h) & (xc >= 0) & (xc < w)
            v = x[bn, np.clip(yc, 0, h - 1).astype(np.int64), np.clip(xc, 0, w - 1).astype(np.int64), bg]
            out = out + np.where(inside, wy * wx, 0.0)[..., None] * v
    return out


def _deform_reference(inputs, attrs):
    x, w, off = (a.astype(np.float64) for a in inputs[:3])
    b = inputs[3] if len(inputs) > 3 else None
    mask = inputs[4] if len(inputs) > 4 else None
    (sh, sw), (dh, dw), (pt, pl) = attrs["strides"], attrs["dilations"], attrs["pads"][:2]
    g, og = attrs["group"], attrs["offset_group"]
    n, _, _, c = x.shape
    cout, kh, kw, cg = w.shape
    oh, ow = off.shape[1:3]
    off = off.reshape(n, oh, ow, og, kh, kw, 2)
    base_y = (np.arange(oh) * sh - pt)[:, None, None, None, None] + np.arange(kh)[:, None] * dh
    base_x = (np.arange(ow) * sw - pl)[:, None, None, None] + np.arange(kw) * dw
    cols = _bilinear(x.reshape(*x.shape[:3], og, c // og), base_y + off[..., 0], base_x + off[..., 1])
    if mask is not None:
        cols = cols * mask.astype(np.float64).reshape(n, oh, ow, og, kh, kw)[..., None]
    cols = cols.transpose(0, 1, 2, 4, 5, 3, 6).reshape(n, oh, ow, kh, kw, g, cg)  # channels back in order
    y = np.einsum("nabijgc,gdijc->nabgd", cols, w.reshape(g, cout // g, kh, kw, cg)).reshape(n, oh, ow, cout)
    if b is not None:
        y = y + b
    return [y.astype(inputs[0].dtype)]


define("DeformConv", 450, "conv", ("x: T", "w: T", "offset: T", "b?: T", "mask?: T"), ("y: T",),
       {"strides": Attr("ints", [1, 1]), "pads": Attr("ints", [0, 0, 0, 0]), "dilations": Attr("ints", [1, 1]),
        "group": Attr("int", 1), "offset_group": Attr("int", 1)},
       types={"T": FLOATS}, infer=_deform_infer, reference=_deform_reference)
