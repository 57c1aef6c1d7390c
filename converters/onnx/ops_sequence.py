"""ONNX sequence and optional ops, resolved at conversion (the .pml format has tensors only).

A sequence whose items are known while converting is a Python list of IR value names
(``ctx.sequences``): SequenceEmpty/SequenceConstruct/SplitToSequence make one,
SequenceInsert/SequenceErase make a new one, SequenceAt/SequenceLength read it with
constant positions, and ConcatFromSequence becomes Concat (of Unsqueezes for new_axis).

The pattern exporters write for a list grown in a loop (``ys = []; for ...: ys.append(y)``
then ``torch.stack(ys)``: a Loop carrying a sequence that its body only appends to) becomes
a scan output of the IR Loop: ``Stacked(head, scan)`` stands for the items the sequence had
before the loop followed by the rows of ``scan`` (one per iteration), and ConcatFromSequence,
SequenceAt and SequenceLength read it with tensor ops (ops_control.py does the Loop side).
Sequences that are graph inputs or outputs, or that a loop changes otherwise, are refused
naming the node.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from pocketml.ops import limits

from .attr_domains import AXIS, BOOL, domain
from .context import Context, OnnxNode, handler
from .params import norm_axes


@dataclasses.dataclass
class Stacked:
    head: list  # items before the loop
    scan: str   # [iterations, *item shape]: one appended item per iteration


@dataclasses.dataclass
class Appended:
    """In a Loop body: the carried sequence with one item appended this iteration."""
    item: str


APPENDABLE = "appendable"  # a Loop body's carried sequence input: it may only be appended to


def _seq(ctx: Context, node: OnnxNode, i: int = 0):
    name = node.input(i)
    seq = ctx.sequences.get(name)
    if seq is None:
        raise ctx.unsupported(f"input {i} ({name!r}) is not a sequence known at conversion (sequences that are graph "
                              "inputs are not supported)")
    return seq


def _items(ctx: Context, seq, what: str) -> list:
    if isinstance(seq, list):
        return seq
    raise ctx.unsupported(f"{what} of a sequence a Loop builds is supported only by ConcatFromSequence, SequenceAt "
                          "and SequenceLength")


def _position(ctx: Context, node: OnnxNode, i: int, length: int, default: int, insert: bool = False) -> int:
    p = ctx.param(i, "position") if node.input(i) else None
    if p is None:
        return default
    pos = int(np.asarray(p).reshape(-1)[0])
    hi = length if insert else length - 1
    if not -length <= pos <= hi:
        raise ctx.error(f"position {pos} is outside the sequence of {length} items")
    return pos + length if pos < 0 else pos


@handler("SequenceEmpty")
def sequence_empty(ctx: Context, node: OnnxNode) -> None:
    ctx.sequences[node.output(0)] = []


@handler("SequenceConstruct")
def sequence_construct(ctx: Context, node: OnnxNode) -> None:
    ctx.sequences[node.output(0)] = list(node.inputs)


@handler("SequenceInsert")
def sequence_insert(ctx: Context, node: OnnxNode) -> None:
    seq, item = _seq(ctx, node), node.input(1)
    if seq == APPENDABLE:
        if node.input(2):
            raise ctx.unsupported("a Loop's carried sequence may only be appended to (SequenceInsert without a "
                                  "position)")
        ctx.sequences[node.output(0)] = Appended(item)
        return
    items = _items(ctx, seq, "SequenceInsert")
    pos = _position(ctx, node, 2, len(items), len(items), insert=True)
    ctx.sequences[node.output(0)] = items[:pos] + [item] + items[pos:]


@handler("SequenceErase")
def sequence_erase(ctx: Context, node: OnnxNode) -> None:
    items = _items(ctx, _seq(ctx, node), "SequenceErase")
    if not items:
        raise ctx.error("erasing from an empty sequence")
    pos = _position(ctx, node, 1, len(items), len(items) - 1)
    ctx.sequences[node.output(0)] = items[:pos] + items[pos + 1:]


@handler("SequenceLength")
def sequence_length(ctx: Context, node: OnnxNode) -> None:
    seq = _seq(ctx, node)
    if isinstance(seq, list):
        ctx.graph.add_value(node.output(0), const=np.array(len(seq), np.int64))
        return
    if not isinstance(seq, Stacked):
        raise ctx.unsupported("SequenceLength of a Loop's carried sequence inside its body")
    n = ctx.emit1("Shape", [seq.scan], attrs={"start": 0, "end": 1}, hint="iterations")
    n = ctx.reshape(n, [], hint="scalar")
    ctx.emit1("Add", [n, ctx.add_const(np.array(len(seq.head), np.int64), "head")], node.output(0))


@handler("SequenceAt")
def sequence_at(ctx: Context, node: OnnxNode) -> None:
    seq = _seq(ctx, node)
    pos = int(np.asarray(ctx.param(1, "position")).reshape(-1)[0])
    if isinstance(seq, Stacked):
        if 0 <= pos < len(seq.head):
            ctx.emit1("Identity", [seq.head[pos]], node.output(0))
            return
        # every item stacked (the count is known at run time), then the one at pos (negative: from the end)
        rows = seq.scan
        if seq.head:
            items = [ctx.reshape(h, [1] + list(ctx.shape(h)), hint="item") for h in seq.head]
            rows = ctx.emit1("Concat", items + [seq.scan], attrs={"axis": 0}, hint="items")
        ctx.emit1("Gather", [rows, ctx.add_const(np.array(pos, np.int64), "index")], node.output(0), {"axis": 0})
        return
    items = _items(ctx, seq, "SequenceAt")
    if not -len(items) <= pos < len(items):
        raise ctx.error(f"position {pos} is outside the sequence of {len(items)} items")
    src = items[pos]
    if ctx.graph.values[src].is_const:
        ctx.graph.add_value(node.output(0), const=ctx.graph.values[src].const)
    else:
        ctx.emit1("Identity", [src], node.output(0))


@handler("ConcatFromSequence")
@domain(new_axis=BOOL)
def concat_from_sequence(ctx: Context, node: OnnxNode) -> None:
    seq = _seq(ctx, node)
    new_axis = int(node.attrs.get("new_axis", 0))
    axis = int(node.attrs["axis"])
    out = node.output(0)
    if isinstance(seq, Stacked):
        item_rank = len(ctx.shape(seq.scan)) - 1
        a = norm_axes(ctx, [axis], item_rank + new_axis, "axis")[0]
        # the scan's rows stacked (new_axis) or concatenated along a
        perm = list(range(1, a + 1)) + [0] + list(range(a + 1, item_rank + 1))
        moved = ctx.transpose(seq.scan, perm) if a else seq.scan
        if not new_axis:
            shape = ctx.shape(moved)
            moved = ctx.reshape(moved, list(shape[:a]) + [-1] + list(shape[a + 2:]), hint="merge")
        parts = [ctx.reshape(h, list(ctx.shape(h)[:a]) + [1] + list(ctx.shape(h)[a:]), hint="item") if new_axis else h
                 for h in seq.head] + [moved]
        ctx.emit1("Concat", parts, out, {"axis": a}) if len(parts) > 1 else ctx.emit1("Identity", parts, out)
        return
    items = _items(ctx, seq, "ConcatFromSequence")
    if not items:
        raise ctx.error("concatenating an empty sequence")
    rank = len(ctx.shape(items[0]))
    a = norm_axes(ctx, [axis], rank + new_axis, "axis")[0]
    if new_axis:
        items = [ctx.reshape(i, list(ctx.shape(i)[:a]) + [1] + list(ctx.shape(i)[a:]), hint="item") for i in items]
    ctx.emit1("Concat", items, out, {"axis": a})


@handler("SplitToSequence")
@domain(axis=AXIS, keepdims=BOOL)
def split_to_sequence(ctx: Context, node: OnnxNode) -> None:
    x = node.input(0)
    shape = ctx.shape(x)
    axis = norm_axes(ctx, [int(node.attrs.get("axis", 0))], len(shape), "axis")[0]
    dim = shape[axis]
    split = ctx.param(1, "split") if node.input(1) else None
    if isinstance(dim, str):
        raise ctx.unsupported(f"SplitToSequence along symbolic dim {dim!r} (the item count must be known at "
                              "conversion)")
    if split is not None and np.asarray(split).ndim == 0 and int(split) < 1:
        raise ctx.error(f"split {int(split)} must be >= 1")
    items = dim if split is None or np.asarray(split).ndim else -(-dim // int(split))
    if items > limits.MAX_SEQUENCE_ITEMS:  # before building a list of that many sizes
        raise ctx.error(f"splitting dim {dim} makes {items} items; a sequence resolved at conversion holds at most "
                        f"{limits.MAX_SEQUENCE_ITEMS}")
    if split is None:
        sizes = [1] * dim
    elif np.asarray(split).ndim == 0:
        chunk = int(split)
        sizes = [chunk] * (dim // chunk) + ([dim % chunk] if dim % chunk else [])
    else:
        sizes = [int(s) for s in np.asarray(split).reshape(-1)]
    parts = ctx.emit("Split", [x], len(sizes), {"axis": axis, "split": sizes}) if len(sizes) > 1 else [x]
    if split is None and not int(node.attrs.get("keepdims", 1)):
        parts = [ctx.reshape(p, list(shape[:axis]) + list(shape[axis + 1:]), hint="squeeze") for p in parts]
    ctx.sequences[node.output(0)] = list(parts)


# ---- optionals: resolved at conversion like sequences ---------------------------------------
# An optional made in the graph is the name of what it holds (a tensor or a sequence) or None
# when empty. An optional tensor graph input becomes a tensor input (FED_OPTIONAL): a session
# runs only with every input set, so it is always present (a run without it is the usual
# "input was not set" error); other optional graph inputs and optional graph outputs are
# refused like sequences.
FED_OPTIONAL = "fed"


@handler("Optional")
def optional(ctx: Context, node: OnnxNode) -> None:
    ctx.optionals[node.output(0)] = node.input(0) or None


def _holds(ctx: Context, node: OnnxNode):
    """(present, name) of input 0: an optional, a plain tensor or sequence (opset 18+), or absent."""
    name = node.input(0)
    if not name:
        return False, None
    if name in ctx.optionals:
        held = ctx.optionals[name]
        if held == FED_OPTIONAL:
            return FED_OPTIONAL, name
        return held is not None, held
    return True, name


@handler("OptionalHasElement")
def optional_has_element(ctx: Context, node: OnnxNode) -> None:
    present, held = _holds(ctx, node)
    if present == FED_OPTIONAL:
        # true whenever the input is set, which a run requires; computed from it (Size >= 0, evaluated
        # while planning) so the input stays an input and a run without it fails as unset
        size = ctx.emit1("Size", [held], hint="size")
        ctx.emit1("GreaterOrEqual", [size, ctx.add_const(np.array(0, np.int64), "zero")], node.output(0))
        return
    ctx.graph.add_value(node.output(0), const=np.array(present))


@handler("OptionalGetElement")
def optional_get_element(ctx: Context, node: OnnxNode) -> None:
    present, held = _holds(ctx, node)
    if not present:
        raise ctx.error("the optional is empty (OptionalGetElement of an empty optional)")
    if held in ctx.sequences:
        ctx.sequences[node.output(0)] = ctx.sequences[held]
    else:
        ctx.emit1("Identity", [held], node.output(0))
