"""Attribute domains of ONNX ops: the values the spec allows, checked before a handler runs.

A handler states its domain in one line with the ``domain`` decorator, placed under ``@handler``:

    @handler("ArgMax", "ArgMin")
    @domain(axis=AXIS, keepdims=BOOL, select_last_index=BOOL)

Each checker takes (ctx, node, value) and returns None when the value is allowed, else the
allowed values in words; the error then names the node, op, attribute, value and those allowed
values. Only attributes the node sets are checked (the spec's defaults are in their domains).
Checkers that depend on a rank read the node's first input; when that rank is not known yet
(a sequence, a symbolic shape tensor) they check what they can without it and leave the rest
to the handler and the registry's infer. A value of the wrong type (a string where the spec
has an int) is refused too: the importer tolerates a graph output without a shape, and the ONNX
checker stops at that, before it checks attribute types.
"""
from __future__ import annotations

import functools
from typing import Callable, Optional

from .context import Context, OnnxNode

Checker = Callable[[Context, OnnxNode, object], Optional[str]]


def domain(**checks: Checker) -> Callable:
    """Check the node's attributes named in ``checks`` before running the handler."""
    def wrap(fn):
        @functools.wraps(fn)
        def checked(ctx: Context, node: OnnxNode) -> None:
            for name, check in checks.items():
                if name in node.attrs:
                    value = node.attrs[name]
                    try:
                        allowed = check(ctx, node, value)
                    except TypeError:  # a string where an int belongs... (the checker stops early
                        # on a graph output without a shape, so the types are not always checked)
                        raise ctx.error(f"attribute {name}={value!r} has the wrong type "
                                        f"({type(value).__name__})") from None
                    if allowed is not None:
                        raise ctx.error(f"attribute {name}={value!r} is outside its domain; allowed: {allowed}")
            return fn(ctx, node)
        checked.domain = checks  # what the handler allows, for tools and tests
        return checked
    return wrap


def _rank(ctx: Context, node: OnnxNode, index: int = 0) -> Optional[int]:
    v = ctx.graph.values.get(node.input(index))
    return len(v.shape) if v is not None and v.shape is not None else None


def _channels(ctx: Context, node: OnnxNode) -> Optional[int]:
    v = ctx.graph.values.get(node.input(0))
    if v is None or v.shape is None or len(v.shape) < 2 or not isinstance(v.shape[1], int):
        return None
    return v.shape[1]


# ---- scalars -------------------------------------------------------------------------------
def BOOL(ctx, node, v):
    return None if v in (0, 1) else "0 or 1"


def POSITIVE(ctx, node, v):
    return None if v > 0 else "an integer >= 1"


def NONNEG(ctx, node, v):
    return None if v >= 0 else "an integer >= 0"


def enum(*allowed) -> Checker:
    def check(ctx, node, v):
        return None if v in allowed else "one of " + ", ".join(map(str, allowed))
    return check


def int_range(lo: int, hi: int) -> Checker:
    def check(ctx, node, v):
        return None if lo <= v <= hi else f"an integer in [{lo}, {hi}]"
    return check


def per_opset(since: int, before: Checker, after: Checker) -> Checker:
    """``before`` below opset ``since``, ``after`` from it (a domain that changed in that opset)."""
    return lambda ctx, node, v: (after if node.opset >= since else before)(ctx, node, v)


def per_op(**by_op: Checker) -> Checker:
    """A domain that differs between the op types one handler converts."""
    return lambda ctx, node, v: by_op[node.op_type](ctx, node, v) if node.op_type in by_op else None


def each(check: Checker) -> Checker:
    """Every element of a list attribute in ``check``'s domain."""
    def checked(ctx, node, values):
        for v in values:
            allowed = check(ctx, node, v)
            if allowed is not None:
                return f"each element {allowed}"
        return None
    return checked


def at_least(lo: float) -> Checker:
    """A number >= lo (Upsample's scales)."""
    def check(ctx, node, v):
        return None if v >= lo else f"a number >= {lo}"
    return check


def per_axis(count: int = 1) -> Checker:
    """A list with ``count`` values per axis of the input (Pad's pads: begin and end of each)."""
    def check(ctx, node, values):
        r = _rank(ctx, node)
        return None if r is None or len(values) == count * r else f"{count * r} values ({count} per axis of the " \
                                                                   f"rank-{r} input)"
    return check


POSITIVE_INTS = each(POSITIVE)
NONNEG_INTS = each(NONNEG)
BOOLS = each(BOOL)


# ---- axes ----------------------------------------------------------------------------------
def axis(extra: int = 0, index: int = 0) -> Checker:
    """An axis of a tensor of input ``index``'s rank r plus ``extra`` (1 for OneHot's new axis):
    [-(r+extra), r+extra-1]."""
    def check(ctx, node, v):
        r = _rank(ctx, node, index)
        if r is None:
            return None
        r += extra
        return None if -r <= v < r else f"an axis in [{-r}, {r - 1}] (input rank {r - extra})"
    return check


AXIS = axis()


def AXIS_INCLUSIVE(ctx, node, v):
    """Flatten's axis: [-r, r]."""
    r = _rank(ctx, node)
    return None if r is None or -r <= v <= r else f"an axis in [{-r}, {r}] (input rank {r})"


def axes(out_rank: bool = False) -> Checker:
    """Distinct axes of the input's rank (out_rank: of the output's, rank + len(axes), as Unsqueeze)."""
    def check(ctx, node, values):
        r = _rank(ctx, node)
        if r is not None:
            r += len(values) if out_rank else 0
            if any(not -r <= a < r for a in values):
                return f"distinct axes in [{-r}, {r - 1}]"
            if len({a % r for a in values}) != len(values):
                return f"distinct axes in [{-r}, {r - 1}] (an axis repeats)"
        elif len(set(values)) != len(values):
            return "distinct axes (an axis repeats)"
        return None
    return check


AXES = axes()


def PERM(ctx, node, v):
    r = _rank(ctx, node)
    n = len(v) if r is None else r
    return None if sorted(v) == list(range(n)) else f"a permutation of 0..{n - 1}"


# ---- spatial (conv / pool) lists: one value per spatial axis of an NCHW input --------------------
def spatial(count: int = 1, positive: bool = True) -> Checker:
    """``count`` integers per spatial axis, each >= 1 (positive) or >= 0."""
    def check(ctx, node, values):
        bound = 1 if positive else 0
        r = _rank(ctx, node)
        n = None if r is None else (r - 2) * count
        if any(v < bound for v in values) or (n is not None and len(values) != n):
            how_many = f"{n} " if n is not None else ""
            return f"{how_many}integers >= {bound}" + (f" (input rank {r})" if r is not None else "")
        return None
    return check


SPATIAL_POSITIVE = spatial()            # kernel_shape, strides, dilations
SPATIAL_NONNEG = spatial(positive=False)  # output_padding
PADS = spatial(count=2, positive=False)  # begin and end of every spatial axis
AUTO_PAD = enum("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID")


def GROUP(ctx, node, g):
    c = _channels(ctx, node)
    if g < 1 or (c is not None and c % g):
        return "an integer >= 1" + (f" dividing the {c} input channels" if c is not None else "")
    return None
