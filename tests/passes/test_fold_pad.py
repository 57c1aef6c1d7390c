"""Zero spatial Pad folded into the Conv reading it (passes/fold_pad.py)."""
from __future__ import annotations

import pytest

from pocketml.passes import fold_pad_into_conv

from .helpers import Builder, check, counts, rand


def conv(b, x, group=1, pads=(0, 0, 0, 0), cout=4, cin=4):
    return b.op("Conv", x, b.const(rand(cout, 3, 3, cin // group)), b.const(rand(cout)), pads=list(pads),
                group=group)


@pytest.mark.parametrize("group", [1, 4])
def test_pad_folds_into_conv_pads(group):
    b = Builder()
    x = b.input("x", (1, 7, 6, 4))
    p = b.op("Pad", x, pads=[0, 1, 0, 0, 0, 2, 1, 0])
    y = conv(b, p, group=group, pads=(1, 0, 0, 1))
    out = check(b.output(y), fold_pad_into_conv)
    assert counts(out) == {"Conv": 1}
    assert out.nodes[0].attrs["pads"] == [2, 0, 2, 2] and out.nodes[0].inputs[0] == "x"


def test_pad_shared_by_two_convs_folds_into_both():
    b = Builder()
    x = b.input("x", (1, 5, 5, 4))
    p = b.op("Pad", x, pads=[0, 1, 1, 0, 0, 1, 1, 0])
    y1, y2 = conv(b, p), conv(b, p)
    out = check(b.output(y1, y2), fold_pad_into_conv)
    assert counts(out) == {"Conv": 2} and all(n.attrs["pads"] == [1, 1, 1, 1] for n in out.nodes)


@pytest.mark.parametrize("case", ["value", "reflect", "channels", "batch", "maxpool_reader", "other_reader",
                                  "graph_output", "crop"])
def test_pad_not_folded(case):
    b = Builder()
    x = b.input("x", (1, 5, 5, 4))
    attrs = {"pads": [0, 1, 1, 0, 0, 1, 1, 0]}
    if case == "value":
        attrs["value"] = 0.5
    if case == "reflect":
        attrs["mode"] = 1
    if case == "channels":
        attrs["pads"] = [0, 0, 0, 0, 0, 0, 0, 4]
    if case == "batch":
        attrs["pads"] = [1, 0, 0, 0, 0, 0, 0, 0]
    if case == "crop":
        attrs["pads"] = [0, -1, 0, 0, 0, 0, 0, 0]
    p = b.op("Pad", x, **attrs)
    if case == "maxpool_reader":
        y = b.op("MaxPool", p, kernel=[2, 2], strides=[2, 2])
    else:
        y = conv(b, p, cin=8 if case == "channels" else 4)
    outs = [y]
    if case == "other_reader":
        outs.append(b.op("Relu", p))
    if case == "graph_output":
        outs.append(p)
    check(b.output(*outs), fold_pad_into_conv, expect_change=False)
