"""Reductions over a set of axes (empty axes = all axes unless noop_with_empty_axes)."""
from __future__ import annotations

from . import Attr, define

_REDUCE = {"axes": Attr("ints", []), "keepdims": Attr("int", 1), "noop_with_empty_axes": Attr("int", 0)}
define("ReduceMean", 120, "reduce", ("x",), ("y",), dict(_REDUCE))
define("ReduceSum", 121, "reduce", ("x",), ("y",), dict(_REDUCE))
define("ReduceMax", 122, "reduce", ("x",), ("y",), dict(_REDUCE))
