"""Checks of an ONNX file's own consistency, made before anything decodes it.

protobuf parses what it is given: a name with invalid UTF-8 arrives as bytes
instead of str (and the ONNX checker raises UnicodeDecodeError on it), a tensor's
raw_data may be shorter than its dims say (numpy then raises ValueError), its dims
may multiply past 2^62, and an external-data record may promise more bytes than
its file holds. Each of these is a ConversionError naming the tensor or node here,
before the checker, numpy or the external-data loader sees it.
"""
from __future__ import annotations

import functools
import os
from typing import Iterator, NamedTuple, Optional

import onnx

from pocketml.errors import ConversionError
from pocketml.ops import limits

_T = onnx.TensorProto
# bits per element of the dtypes whose raw_data is packed (4-bit types: two per byte)
_PACKED_BITS = {getattr(_T, n): 4 for n in ("INT4", "UINT4", "FLOAT4E2M1") if hasattr(_T, n)}
# the typed field that holds each dtype's values, and how many entries one element takes
_TYPED = {_T.FLOAT: ("float_data", 1), _T.COMPLEX64: ("float_data", 2), _T.DOUBLE: ("double_data", 1),
          _T.COMPLEX128: ("double_data", 2), _T.INT64: ("int64_data", 1), _T.UINT32: ("uint64_data", 1),
          _T.UINT64: ("uint64_data", 1), _T.STRING: ("string_data", 1)}


@functools.lru_cache(maxsize=None)
def _itemsize(data_type: int) -> Optional[int]:
    try:
        return onnx.helper.tensor_dtype_to_np_dtype(data_type).itemsize
    except (KeyError, ValueError, TypeError):
        return None


def expected_bytes(t: onnx.TensorProto, n: Optional[int] = None) -> Optional[int]:
    """Bytes of raw data t's dims (``n`` elements, when known) and dtype call for (None for strings
    and unknown dtypes)."""
    n = limits.element_count(t.dims) if n is None else n
    if t.data_type in _PACKED_BITS:
        return (n * _PACKED_BITS[t.data_type] + 7) // 8
    size = _itemsize(t.data_type)
    return None if size is None or t.data_type == _T.STRING else n * size


def dims_error(dims: list) -> Optional[str]:
    if any(d < 0 for d in dims):
        return f"has negative dims {dims}"
    if limits.element_count(dims) is None or limits.nonzero_span(dims) is None:
        return f"has dims {dims}: too large (over 2^62 elements, or 2^48 across its non-zero dims)"
    return None


def tensor_data_error(t: onnx.TensorProto) -> Optional[str]:
    """Why t's data cannot be decoded as its dims and dtype say, else None (checks sizes only:
    no data is read; raw_data's length is read without copying it out of the message)."""
    dims = t.dims[:]
    if len(dims) <= 1 and all(0 <= d <= 1 << 40 for d in dims):
        n = dims[0] if dims else 1  # a scalar or a vector (most tensors, every filler value): no overflow
    else:
        why = dims_error(dims)
        if why:
            return why
        n = limits.element_count(dims)
    if t.HasField("segment") or t.data_location == _T.EXTERNAL and not t.HasField("raw_data"):
        return None  # segments are refused by the decoder; external data is checked by check_external
    if t.HasField("raw_data"):
        want = expected_bytes(t, n)
        got = len(t.raw_data)
        if want is not None and got != want:
            return f"holds {got} bytes of raw_data, its dims {dims} need {want}"
        return None
    field, per = _TYPED.get(t.data_type, ("int32_data", 1))
    got = len(getattr(t, field))
    want = n * per
    if t.data_type in _PACKED_BITS:
        want = (n + 1) // 2
    if got != want and not (got == 0 and n == 0):
        return f"holds {got} values in {field}, its dims {dims} need {want}"
    return None


def check_tensor(t: onnx.TensorProto, what: str) -> None:
    why = tensor_data_error(t)
    if why:
        raise ConversionError(f"{what}: tensor {t.name!r} {why}")


# ---- names: valid UTF-8 ---------------------------------------------------------------
def _graphs(graph: onnx.GraphProto, path: str) -> Iterator[tuple]:
    """(graph, path) for the graph and every subgraph below it."""
    yield graph, path
    for node in graph.node:
        for a in node.attribute:
            has_g = a.HasField("g")
            if not has_g and not a.graphs:  # (most attributes: no list built)
                continue
            subs = ([a.g] if has_g else []) + list(a.graphs)  # whatever the type says: readers look
            for k, sub in enumerate(subs):
                yield from _graphs(sub, f"{path}/{node.name or node.op_type}.{a.name}" + (f"[{k}]" if k else ""))


def _bad(value) -> bool:
    """protobuf hands out a string field with invalid UTF-8 as bytes instead of str."""
    return isinstance(value, bytes)


def _shown(value) -> str:
    return value.decode("utf-8", "backslashreplace") if isinstance(value, bytes) else str(value)


def _nodes_plain(nodes) -> tuple:
    """(fields, flat): each node's (inputs, outputs, name, op_type, domain) as read here (lists and
    str), when every node's inputs, outputs, name, op type, domain and attribute names are valid
    UTF-8 (str: joining str raises TypeError on a bytes item) and no attribute is a STRING: the
    common case, one join over every node's fields instead of one per node, and the importer reuses
    the fields instead of reading the protobuf again (each read of a string field builds a new
    str). fields None sends the nodes through the per-node check, which names the culprit. flat:
    no attribute holds a subgraph (g set or graphs non-empty, whatever its type says), found on
    the same attribute list (False when fields is None: not known)."""
    fields, texts, attrs = [], [], []
    add_all, add_attrs, keep = texts.extend, attrs.extend, fields.append
    for n in nodes:
        f = (n.input[:], n.output[:], n.name, n.op_type, n.domain)  # (slices: lists without the IndexError
        # that ends iterating a protobuf container)
        keep(f)
        add_all(f[0])
        add_all(f[1])
        add_all(f[2:])
        add_attrs(n.attribute[:])
    try:
        "".join(texts), "".join([a.name for a in attrs])
    except TypeError:
        return None, False
    if any(a.type == onnx.AttributeProto.STRING for a in attrs):
        return None, False
    return fields, not any(a.HasField("g") or a.graphs for a in attrs)


class CheckedNames(NamedTuple):
    """What check_names read on the way, for the importer to reuse."""
    # the main graph's node fields as _nodes_plain read them (None when it took the per-node check)
    node_fields: Optional[list]
    # no attribute of the main graph's nodes holds a subgraph (g set or graphs non-empty, whatever
    # its type says): the importer's own subgraph walks can be skipped
    flat: bool


def check_names(model: onnx.ModelProto) -> CheckedNames:
    """Every name, op type, domain and string attribute that the importer reads is valid UTF-8."""
    for opset in model.opset_import:
        if _bad(opset.domain):
            raise ConversionError(f"opset_import domain '{_shown(opset.domain)}' is not valid UTF-8")
    main, flat = _check_graph_names(model.graph, "graph")
    if not flat:  # subgraphs, or not known: walk them (the main graph comes first, checked above)
        below = _graphs(model.graph, "graph")
        next(below)
        flat = True
        for graph, path in below:
            _check_graph_names(graph, path)
            flat = False
    return CheckedNames(main, flat)


def _check_graph_names(graph: onnx.GraphProto, path: str) -> tuple:
    """check_names for one graph (not its subgraphs); (its node fields, flat) as _nodes_plain read
    them, or (None, False)."""
    # (value_info is never read by the importer: not checked)
    named = {}
    for kind, items in (("input", graph.input), ("output", graph.output), ("initializer", graph.initializer)):
        names = named[kind] = [item.name for item in items]
        try:  # the common case at C speed: joining str raises TypeError on a bytes item
            "".join(names)
            continue
        except TypeError:
            pass
        if any(map(_bad, names)):
            bad = next(n for n in names if _bad(n))
            raise ConversionError(f"{path}: {kind} name '{_shown(bad)}' is not valid UTF-8")
    # an input that is also an initializer imports as that constant: its declared dims' names are
    # never read (an older exporter lists every weight as an input: most of a light model's inputs)
    initializers = set(named["initializer"])
    fed = [vi for vi, name in zip(graph.input, named["input"]) if name not in initializers] \
        if initializers else graph.input
    for kind, items in (("input", fed), ("output", graph.output)):
        try:  # the common case at once (an unset type, shape or dim_param reads empty, a str)
            "".join([d.dim_param for vi in items for d in vi.type.tensor_type.shape.dim])
            continue
        except TypeError:
            pass
        for vi in items:  # symbolic dim names become the IR's dim names
            shape = vi.type.tensor_type.shape if vi.type.HasField("tensor_type") else None
            for d in (shape.dim if shape is not None else ()):
                if d.HasField("dim_param") and _bad(d.dim_param):
                    raise ConversionError(f"{path}: {kind} '{_shown(vi.name)}' has a dim name "
                                          f"'{_shown(d.dim_param)}' that is not valid UTF-8")
    fields, flat = _nodes_plain(graph.node)
    if fields is not None:
        return fields, flat
    for index, node in enumerate(graph.node):
        try:  # the common case at C speed: joining str raises TypeError on a bytes item
            "".join(node.input), "".join(node.output), "".join((node.name, node.op_type, node.domain))
            if not node.attribute:
                continue
            "".join(a.name for a in node.attribute)
            if not any(a.type == onnx.AttributeProto.STRING for a in node.attribute):
                continue
        except TypeError:
            pass
        fields = [("name", node.name), ("op_type", node.op_type), ("domain", node.domain)]
        fields += [("input", n) for n in node.input] + [("output", n) for n in node.output]
        fields += [("attribute name", a.name) for a in node.attribute]
        for field, value in fields:
            if _bad(value):
                raise ConversionError(f"{path}: node {index} ('{_shown(node.name)}', {_shown(node.op_type)}): "
                                      f"{field} '{_shown(value)}' is not valid UTF-8")
        for a in node.attribute:
            texts = [a.s] if a.type == onnx.AttributeProto.STRING else []
            for text in texts:
                try:
                    text.decode("utf-8")
                except UnicodeDecodeError:
                    raise ConversionError(f"{path}: node {index} ({node.name!r}, {node.op_type}): attribute "
                                          f"{a.name!r} = '{_shown(text)}' is not valid UTF-8") from None
    return None, False


# ---- external data: the file must hold what the dims promise ----------------------------
def check_external(model: onnx.ModelProto, base_dir: str) -> None:
    """Before onnx loads external data: each record's length, and the file's size past its
    offset, cover exactly/at least the bytes the tensor's dims need (a 2^40-element dims with a
    short file is refused here instead of after reading). Runs after
    model_checks.check_external_data, which refuses a location outside the model's folder or
    not a file, and an offset or length that is not a non-negative integer."""
    from onnx.external_data_helper import _get_all_tensors, uses_external_data

    for t in _get_all_tensors(model):
        if not uses_external_data(t):
            continue
        why = dims_error(list(t.dims))
        if why:
            raise ConversionError(f"external tensor {t.name!r} {why}")
        want = expected_bytes(t)
        if want is None:
            continue
        info = {e.key: e.value for e in t.external_data}
        offset = int(info.get("offset", 0))
        if "length" in info and int(info["length"]) != want:
            raise ConversionError(f"external tensor {t.name!r}: length {info['length']} bytes, its dims "
                                  f"{list(t.dims)} need {want}")
        held = os.path.getsize(os.path.join(base_dir, info["location"])) - offset
        if held < want:
            raise ConversionError(f"external tensor {t.name!r}: {info['location']!r} holds {max(held, 0)} bytes "
                                  f"past offset {offset}, its dims {list(t.dims)} need {want}")
