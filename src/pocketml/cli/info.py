"""`pocketml info`: everything the .pml file says about itself, read from its header and
graph section (records, format/reader.py) without creating a session or copying weights, so
it takes the same fraction of a second for a 1 MB or a 1 GB file. The activation arena is
not in the file: the runtime plans it for the shapes it is given (`pocketml bench` shows it).
"""
from __future__ import annotations

import collections
import math

from .. import ir, ops
from .models import read_pml, refuse_source
from .usage import UsageError, model_format


def fmt_bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _op_name(code: int) -> str:
    try:
        return ops.by_code(code).name
    except KeyError:
        return f"<op code {code}>"


def _tensor(t) -> str:
    names = t.dim_names or [""] * len(t.shape)
    dims = [str(d) if d >= 0 else (names[k] or "?") for k, d in enumerate(t.shape)]
    dtype = ir.DTYPE_BY_CODE.get(t.dtype, f"<dtype {t.dtype}>")
    return f"{t.name}: {dtype}[{', '.join(dims)}]"


def describe(path: str, verify: bool = False) -> list:
    """The lines of the report."""
    header, record = read_pml(path, verify)
    graphs = [record, *record.subgraphs]
    counts = collections.Counter(_op_name(n.op) for g in graphs for n in g.nodes)
    params = sum(math.prod(t.shape) for g in graphs for t in g.tensors if t.buffer >= 0)
    symbolic = sorted({(t.dim_names or [""] * len(t.shape))[k] or "?"
                       for t in (record.tensors[i] for i in record.inputs) for k, d in enumerate(t.shape) if d < 0})
    lines = [path, f"  format      .pml version {header.format_version}, {fmt_bytes(header.file_size)}",
             "  checksum    " + ("verified" if verify else "not verified (--verify reads the whole file)")]
    for title, idx in (("input", record.inputs), ("output", record.outputs)):
        lines += [f"  {title:<11} {_tensor(record.tensors[i])}" for i in idx]
    lines.append(f"  nodes       {len(record.nodes)}" +
                 (f" (+{sum(len(g.nodes) for g in record.subgraphs)} in {len(record.subgraphs)} subgraphs)"
                  if record.subgraphs else ""))
    lines.append(f"  parameters  {params:,} ({fmt_bytes(header.weights_size)} of weights)")
    lines.append("  arena size  planned at run time" +
                 (f" for each input shape (symbolic dims: {', '.join(symbolic)})" if symbolic else
                  " (pocketml bench MODEL shows it)"))
    if record.metadata:
        lines.append("  metadata:")
        width = max(len(k) for k in record.metadata)
        lines += [f"    {k:<{width}}  {v}" for k, v in sorted(record.metadata.items())]
    width = max((len(k) for k in counts), default=4)
    lines.append("  ops by type:")
    lines += [f"    {op:<{width}}  {n:>5}" for op, n in counts.most_common()]
    return lines


def cmd_info(args) -> int:
    fmt = model_format(args.model)
    if fmt != "pml":
        raise UsageError(refuse_source(args.model, fmt))
    print("\n".join(describe(args.model, args.verify)))
    return 0
