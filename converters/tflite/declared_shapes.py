"""A TFLite file's declared tensor shapes, checked against the shapes the importer infers.

Every TFLite tensor carries a shape (and, from converters of the last years, a shape_signature
whose -1 marks a dim unknown until run time). LiteRT trusts them to size its buffers; pocketml
infers every op output from its inputs instead, so a declared shape that disagrees means a file
that is corrupt or was edited, and running it "as if valid" would answer with a shape the file
does not promise. After the graph is imported, each TFLite tensor that became an IR value is
compared dim by dim with what the registry inferred:

- a signature dim -1 (or a -1 left in the shape) is symbolic and agrees with anything;
- an inferred symbolic dim agrees with any declared size (the file fixes what we keep open);
- otherwise the declared dim must equal the inferred one (so 0 where the op gives 3, or 2^30
  where it gives 10, is an error naming the tensor, its index and both shapes).

A declared shape of rank 0 on a tensor inferred with a higher rank is taken as "not declared"
(the converter writes [] for a tensor whose shape it did not know). When ``input_shapes``
gives an input other dims than its declared shape, the declared shapes downstream describe other
input sizes: the comparison is skipped for the whole graph then (the reader still checks every
dim's domain).
A complex64 tensor is an IR value with a trailing (re, im) axis: that axis is not compared.
Dims below -1 never reach here: the reader refuses them.
"""
from __future__ import annotations

from typing import Optional

from pocketml.errors import ConversionError


def _overrides_declared(model, names: dict, input_shapes: Optional[dict]) -> bool:
    """Does input_shapes give an input other dims than its declared shape? (A dynamic dim is
    declared as 1 with -1 in the signature; older converters put the -1 on the inputs only, so
    the tensors downstream then declare the 1 as if it were static.)"""
    if not input_shapes:
        return False
    for ti in model.inputs:
        given = input_shapes.get(names.get(ti, ""))
        if given is not None and [int(g) for g in given] != list(model.tensors[ti].shape):
            return True
    return False


def _disagrees(declared: tuple, sig: Optional[tuple], inferred: tuple) -> bool:
    if len(declared) != len(inferred):
        return not (len(declared) == 0 and not sig)  # [] without a signature: shape not declared
    sig = sig if sig and len(sig) == len(declared) else declared
    for d, s, i in zip(declared, sig, inferred):
        if s == -1 or d == -1 or not isinstance(i, int):
            continue
        if d != i:
            return True
    return False


def check_declared_shapes(ctx, input_shapes: Optional[dict] = None) -> None:
    """Raise ConversionError for the first tensor of ctx's graph whose declared shape or
    shape_signature disagrees with its inferred shape (see the module docstring)."""
    model, graph = ctx.model, ctx.graph
    if _overrides_declared(model, ctx.names, input_shapes):
        return
    producer = {o: op for op in model.ops for o in op.outputs if o >= 0}
    outputs = set(model.outputs)
    for ti, name in ctx.names.items():
        v = graph.values.get(name)
        if v is None or v.shape is None:
            continue
        t = model.tensors[ti]
        inferred = tuple(v.shape)[:-1] if name in ctx.complex_values else tuple(v.shape)  # (re, im) pairs
        if not _disagrees(tuple(t.shape), t.shape_signature, inferred):
            continue
        role = [f"output of operator {producer[ti].index} ({producer[ti].name})"] if ti in producer else []
        role += ["a model output"] if ti in outputs else []
        role += ["a model input"] if ti in model.inputs else []
        sig = f", shape_signature {list(t.shape_signature)}" if t.shape_signature else ""
        raise ConversionError(
            f"{ctx.source}: tensor {ti} ({t.name!r}{', ' + ', '.join(role) if role else ''}) declares shape "
            f"{list(t.shape)}{sig}, but its inputs give shape {list(inferred)}: the file is inconsistent")
