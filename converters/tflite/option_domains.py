"""Domains of TFLite builtin options: the values the schema and LiteRT's kernels allow.

A handler reads its options table, then states the domain of the values it uses in one call,
e.g. ``positive(ctx, stride_h=o.StrideH(), dilation_h_factor=o.DilationHFactor())``; the error
names the operator, the option, its value and the allowed values. (The fused activation and the
padding enums are checked where they are decoded, Context.fused_act and Context.same_pads.)
"""
from __future__ import annotations


def _refuse(ctx, name: str, value, allowed: str):
    return ctx.error(f"option {name}={value} is outside its domain; allowed: {allowed}")


def positive(ctx, **options: int) -> None:
    """Strides, dilation factors, filter sizes, block sizes: integers >= 1."""
    for name, v in options.items():
        if v < 1:
            raise _refuse(ctx, name, v, "an integer >= 1")


def non_negative(ctx, **options: int) -> None:
    for name, v in options.items():
        if v < 0:
            raise _refuse(ctx, name, v, "an integer >= 0")


def one_of(ctx, name: str, value: int, allowed: dict) -> int:
    """An enum option: ``allowed`` maps each value the schema defines to its name."""
    if value not in allowed:
        raise _refuse(ctx, name, value, ", ".join(f"{v} ({n})" for v, n in allowed.items()))
    return value


def count(ctx, name: str, value: int, expected: int, what: str) -> None:
    """A count option that restates the operator's arity (SPLIT's num_splits, PACK's values_count):
    LiteRT refuses a mismatch in Prepare, and so do we."""
    if value != expected:
        raise _refuse(ctx, name, value, f"{expected} ({what})")


def axis(ctx, value: int, rank: int, name: str = "axis", extra: int = 0) -> int:
    """An axis of a rank-``rank`` tensor (``extra`` = 1 for the new axis of a stack), normalised."""
    r = rank + extra
    if not -r <= value < r:
        raise _refuse(ctx, name, value, f"an axis in [{-r}, {r - 1}] (input rank {rank})")
    return value % r
