"""Structure-aware mutation of ONNX models with the onnx protobuf API.

mutate(data, rng) -> (bytes, kind, spec, detail). A mutation edits attributes
(domain edge values, wrong types, deleted or duplicated), dims (0, -1, -5,
huge, symbolic, dropped or added), elem types, initializer sizes and external
data, names (empty, duplicated, invalid UTF-8, dangling), opsets, node and graph
inputs/outputs; or flips bytes of the serialized file. ``spec`` is True when the
mutation is known to make the file break the ONNX spec (keepdims=7, a perm that
is not a permutation, strides <= 0, dims < -1, raw data not matching dims...):
such a file must be refused at conversion or fail when run.
"""
from __future__ import annotations

import random

import onnx
from onnx import AttributeProto as A
from onnx import TensorProto

from .bytes_mutate import mutate_bytes

HUGE_INTS = (0, -1, 1, 2, 7, -7, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), 2 ** 62, -(2 ** 63), 2 ** 63 - 1, 2 ** 40, 1000)
FLOATS = (0.0, -1.0, 1e30, -1e30, float("nan"), float("inf"), float("-inf"), 1e-45)
DIMS = (0, -1, -5, 2 ** 31, 2 ** 40, 2 ** 62, 1, 3, 100000)
DTYPES = tuple(range(0, 29)) + (99, 1000)
BAD_UTF8 = (b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80")
MARK = "ZQXBADUTF8"
KEEPDIMS_OPS = {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
                "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "ArgMax", "ArgMin"}
WINDOW_OPS = {"Conv", "ConvTranspose", "MaxPool", "AveragePool", "LpPool", "ConvInteger", "DeformConv"}
SIZES = {TensorProto.FLOAT: 4, TensorProto.INT64: 8, TensorProto.INT32: 4, TensorProto.DOUBLE: 8,
         TensorProto.FLOAT16: 2, TensorProto.INT8: 1, TensorProto.UINT8: 1, TensorProto.BOOL: 1,
         TensorProto.INT16: 2, TensorProto.UINT16: 2, TensorProto.UINT32: 4, TensorProto.UINT64: 8}


class Mutation:
    def __init__(self, kind: str, spec: bool = False, detail: str = ""):
        self.kind, self.spec, self.detail = kind, spec, detail


def _graphs(g, out=None):
    """Every graph: the main one and the subgraphs of If/Loop/Scan attributes."""
    out = [] if out is None else out
    out.append(g)
    for n in g.node:
        for a in n.attribute:
            if a.type == A.GRAPH:
                _graphs(a.g, out)
            for sub in a.graphs:
                _graphs(sub, out)
    return out


def _pick_node(m, rng, with_attrs=False, top_only=False):
    graphs = [m.graph] if top_only else _graphs(m.graph)
    nodes = [(g, n) for g in graphs for n in g.node if n.attribute or not with_attrs]
    return rng.choice(nodes) if nodes else (None, None)


def _attr_value(a, n, rng) -> Mutation:
    kind = f"attr:{n.op_type}.{a.name}"
    if a.type == A.INT:
        a.i = rng.choice(HUGE_INTS)
        spec = (a.name == "keepdims" and n.op_type in KEEPDIMS_OPS and a.i not in (0, 1))
        return Mutation(kind + (f"={a.i}" if spec else ""), spec, f"{a.name}={a.i}")
    if a.type == A.FLOAT:
        a.f = rng.choice(FLOATS)
        return Mutation(kind, False, f"{a.name}={a.f}")
    if a.type == A.INTS:
        choice = rng.randrange(4)
        if choice == 0:
            del a.ints[:]
        elif choice == 1:
            a.ints.extend([rng.choice(HUGE_INTS[:4])] * rng.choice((1, 10, 1000)))
        elif choice == 2 and a.ints:
            a.ints[rng.randrange(len(a.ints))] = rng.choice(HUGE_INTS)
        else:
            a.ints[:] = [rng.choice((0, -1, 1, 2, 3, 5)) for _ in range(rng.randrange(1, 6))]
        vals = list(a.ints)
        spec = False
        if n.op_type == "Transpose" and a.name == "perm":
            spec = sorted(vals) != list(range(len(vals)))
        elif n.op_type in WINDOW_OPS and a.name in ("strides", "dilations", "kernel_shape"):
            spec = any(v <= 0 for v in vals)
        return Mutation(kind + ("!" if spec else ""), spec, f"{a.name}={vals[:8]}{'...' if len(vals) > 8 else ''}")
    if a.type == A.FLOATS:
        a.floats[:] = [rng.choice(FLOATS) for _ in range(rng.choice((0, 1, 3, 100)))]
        return Mutation(kind)
    if a.type == A.STRING:
        a.s = rng.choice((b"", b"bogus", b"NOTSET", b"\x00", b"x" * 1000))
        return Mutation(kind, False, f"{a.name}={a.s[:20]!r}")
    if a.type == A.STRINGS:
        a.strings[:] = [b"bogus"] * rng.choice((0, 1, 5))
        return Mutation(kind)
    if a.type == A.TENSOR:
        return _tensor(a.t, rng, kind + ":tensor")
    return Mutation(kind + ":noop")


def attr_value(m, rng):
    g, n = _pick_node(m, rng, with_attrs=True)
    if n is None:
        return attr_add(m, rng)
    return _attr_value(rng.choice(n.attribute), n, rng)


def attr_type(m, rng):
    """An attribute holding a value of the wrong type."""
    g, n = _pick_node(m, rng, with_attrs=True)
    if n is None:
        return Mutation("attr_type:none")
    a = rng.choice(n.attribute)
    name = a.name
    new = rng.choice([A.INT, A.FLOAT, A.STRING, A.INTS, A.FLOATS, A.TENSOR])
    a.Clear()
    a.name, a.type = name, new
    if new == A.INT:
        a.i = 1
    elif new == A.FLOAT:
        a.f = 1.5
    elif new == A.STRING:
        a.s = b"1"
    elif new == A.INTS:
        a.ints.extend([1, 2])
    elif new == A.FLOATS:
        a.floats.extend([1.0])
    else:
        a.t.CopyFrom(onnx.helper.make_tensor("t", TensorProto.FLOAT, [1], [1.0]))
    return Mutation(f"attr_type:{n.op_type}.{name}")


def attr_add(m, rng):
    g, n = _pick_node(m, rng)
    if n is None:
        return Mutation("attr_add:none")
    name = rng.choice(("axis", "keepdims", "perm", "bogus", "mode", "group", "to", "alpha", "pads"))
    val = rng.choice((7, -3, 2 ** 40, [0, 0], "nearest", 0.5, []))
    if isinstance(val, list) and not val:
        n.attribute.append(onnx.helper.make_attribute(name, [], attr_type=A.INTS))
    else:
        n.attribute.append(onnx.helper.make_attribute(name, val))
    spec = name == "keepdims" and n.op_type in KEEPDIMS_OPS and val not in (0, 1) \
        and sum(a.name == "keepdims" for a in n.attribute) == 1
    return Mutation(f"attr_add:{n.op_type}.{name}" + ("!" if spec else ""), spec, f"{name}={val}")


def attr_delete_or_duplicate(m, rng):
    g, n = _pick_node(m, rng, with_attrs=True)
    if n is None:
        return Mutation("attr_del:none")
    i = rng.randrange(len(n.attribute))
    if rng.random() < 0.5:
        name = n.attribute[i].name
        del n.attribute[i]
        return Mutation(f"attr_del:{n.op_type}.{name}")
    n.attribute.append(n.attribute[i])
    return Mutation(f"attr_dup:{n.op_type}.{n.attribute[i].name}")


def _value_infos(m):
    g = m.graph
    inits = {t.name for t in g.initializer}
    return [(v, v.name not in inits and v in g.input) for v in list(g.input) + list(g.output) + list(g.value_info)]


def dims(m, rng):
    vis = [(v, is_in) for v, is_in in _value_infos(m) if v.type.HasField("tensor_type")]
    if not vis:
        return Mutation("dims:none")
    v, is_input = rng.choice(vis)
    shape = v.type.tensor_type.shape
    op = rng.randrange(5)
    where = "input" if is_input else "value"
    if op == 0 or not shape.dim:
        d = shape.dim.add()
        d.dim_value = rng.choice((1, 2, 3))
        return Mutation(f"dims:{where}:add")
    k = rng.randrange(len(shape.dim))
    if op == 1:
        del shape.dim[k]
        return Mutation(f"dims:{where}:drop")
    if op == 2:
        shape.dim[k].dim_param = rng.choice(("N", "", "batch", "-1", "x" * 300))
        return Mutation(f"dims:{where}:symbolic")
    if op == 3:
        v.type.tensor_type.ClearField("shape")
        return Mutation(f"dims:{where}:no_shape")
    val = rng.choice(DIMS)
    shape.dim[k].dim_value = val
    spec = is_input and val < -1
    return Mutation(f"dims:{where}:{val if val < 1 else 'big' if val > 3 else 'small'}" + ("!" if spec else ""),
                    spec, f"{v.name} dim {k} = {val}")


def dtypes(m, rng):
    g = m.graph
    if g.initializer and rng.random() < 0.4:
        t = rng.choice(g.initializer)
        old = t.data_type
        t.data_type = rng.choice(DTYPES)
        sized = old in SIZES and t.data_type in SIZES and t.raw_data and SIZES[old] != SIZES[t.data_type]
        return Mutation("dtype:initializer" + ("!" if sized else ""), bool(sized), f"{t.name}: {old}->{t.data_type}")
    vis = [v for v, _ in _value_infos(m) if v.type.HasField("tensor_type")]
    if not vis:
        return Mutation("dtype:none")
    v = rng.choice(vis)
    v.type.tensor_type.elem_type = rng.choice(DTYPES)
    return Mutation("dtype:value_info", False, f"{v.name}: {v.type.tensor_type.elem_type}")


def _tensor(t, rng, kind):
    """A tensor's data no longer matching its dims and type, or its dims edited."""
    op = rng.randrange(6)
    numel = 1
    for d in t.dims:
        numel *= d
    if op == 0 and t.raw_data:
        cut = rng.randrange(len(t.raw_data))
        t.raw_data = t.raw_data[:cut]
        return Mutation(kind + ":raw_short!", True, f"{t.name} raw {cut} bytes")
    if op == 1 and t.raw_data:
        t.raw_data = t.raw_data + b"\0" * rng.choice((1, 4, 64))
        return Mutation(kind + ":raw_long!", True, f"{t.name} raw longer")
    if op == 2:
        t.ClearField("raw_data")
        field = rng.choice(("float_data", "int64_data", "int32_data", "double_data"))
        # an earlier mutation may have made the dims huge: the harness must not build that list itself
        counts = (0, 1, max(0, numel - 1), numel + 3) if 0 <= numel <= 1 << 20 else (0, 1, 7)
        getattr(t, field).extend([1] * rng.choice(counts))
        return Mutation(kind + f":typed_{field}")
    if op == 3 and t.dims:
        t.dims[rng.randrange(len(t.dims))] = rng.choice(DIMS)
        numel = 1
        for d in t.dims:
            numel *= d
        spec = bool(t.raw_data) and t.data_type in SIZES and numel * SIZES[t.data_type] != len(t.raw_data)
        return Mutation(kind + ":dims" + ("!" if spec else ""), spec, f"{t.name} dims {list(t.dims)}")
    if op == 4:
        t.ClearField("raw_data")
        t.data_location = TensorProto.EXTERNAL
        loc = rng.choice(("../x.bin", "/etc/hostname", "../../../../etc/passwd", "missing.bin", ""))
        del t.external_data[:]
        e = t.external_data.add()
        e.key, e.value = "location", loc
        if rng.random() < 0.5:
            e = t.external_data.add()
            e.key, e.value = rng.choice((("offset", "-5"), ("length", str(2 ** 40)), ("offset", "abc")))
        outside = loc.startswith("/") or loc.startswith("..")
        return Mutation(kind + ":external" + ("!" if outside else ""), outside, f"{t.name} location {loc!r}")
    t.dims.append(rng.choice((0, 1, 2 ** 20)))
    return Mutation(kind + ":add_dim")


def initializers(m, rng):
    g = m.graph
    if not g.initializer:
        return constants(m, rng)
    return _tensor(rng.choice(g.initializer), rng, "init")


def constants(m, rng):
    tensors = [a.t for g in _graphs(m.graph) for n in g.node for a in n.attribute if a.type == A.TENSOR]
    if not tensors:
        return Mutation("const:none")
    return _tensor(rng.choice(tensors), rng, "const")


def names(m, rng):
    g = m.graph
    produced = {o for n in g.node for o in n.output} | {i.name for i in g.input} | {t.name for t in g.initializer}
    g2, n = _pick_node(m, rng, top_only=True)
    if n is None or not (n.input or n.output):
        return Mutation("name:none")
    op = rng.randrange(5)
    if op == 0 and n.input:
        k = rng.randrange(len(n.input))
        n.input[k] = "dangling_" + str(rng.randrange(100))
        return Mutation("name:dangling!", True, f"{n.op_type} input {k} -> {n.input[k]}")
    if op == 1:
        field = n.input if n.input and rng.random() < 0.5 else n.output
        if not field:
            return Mutation("name:none")
        k = rng.randrange(len(field))
        field[k] = ""
        return Mutation("name:empty", False, f"{n.op_type} io {k}")
    if op == 2 and len(g.node) > 1:
        other = rng.choice([x for x in g.node if x is not n] or [n])
        if n.output and other.output:
            n.output[0] = other.output[0]
            return Mutation("name:duplicate_output" + ("!" if other is not n else ""), other is not n,
                            f"{n.op_type} output = {other.op_type}'s")
    # invalid UTF-8: a placeholder of the same length is replaced after serialization
    target = rng.choice([v for v in produced if v] or ["x"])
    for node in g.node:
        node.input[:] = [MARK if x == target else x for x in node.input]
        node.output[:] = [MARK if x == target else x for x in node.output]
    for v in list(g.input) + list(g.output) + list(g.value_info) + list(g.initializer):
        if v.name == target:
            v.name = MARK
    if op == 4:
        n.name = MARK
    return Mutation("name:bad_utf8!", True, f"{target!r} -> invalid UTF-8")


def opsets(m, rng):
    default = [o for o in m.opset_import if o.domain in ("", "ai.onnx")]
    op = rng.randrange(4)
    if op == 0 and default:
        m.opset_import.remove(default[0])
        return Mutation("opset:missing_default")
    if op == 1:
        o = m.opset_import.add()
        o.domain, o.version = rng.choice((("bogus.domain", 1), ("", 13), ("com.microsoft", 1)))
        return Mutation("opset:extra")
    if default:
        default[0].version = rng.choice((0, 1, 6, 99, 2 ** 40, -1))
        return Mutation(f"opset:{default[0].version}")
    m.ir_version = rng.choice((0, 1, 3, 99, -1))
    return Mutation("ir_version")


def node_io(m, rng):
    g, n = _pick_node(m, rng)
    if n is None:
        return Mutation("node_io:none")
    op = rng.randrange(6)
    if op == 0 and n.input:
        del n.input[rng.randrange(len(n.input))]
        return Mutation(f"node_io:{n.op_type}:drop_input")
    if op == 1:
        n.input.append(rng.choice(list(n.input) + list(n.output) + [""] or [""]))
        return Mutation(f"node_io:{n.op_type}:extra_input")
    if op == 2 and len(n.input) > 1:
        ins = list(n.input)
        rng.shuffle(ins)
        n.input[:] = ins
        return Mutation(f"node_io:{n.op_type}:reorder")
    if op == 3 and n.output:
        del n.output[rng.randrange(len(n.output))]
        return Mutation(f"node_io:{n.op_type}:drop_output")
    if op == 4:
        n.output.append(f"extra_out_{rng.randrange(10)}")
        return Mutation(f"node_io:{n.op_type}:extra_output")
    n.op_type = rng.choice(("Add", "Reshape", "Transpose", "Conv", "Loop", "Gather", "Expand", "ConstantOfShape",
                            "Bogus", "Slice", "Concat", "Split", "Resize", "TopK", "Range"))
    return Mutation(f"node_io:op_type:{n.op_type}")


def graph_io(m, rng):
    g = m.graph
    op = rng.randrange(4)
    if op == 0 and g.input:
        del g.input[rng.randrange(len(g.input))]
        return Mutation("graph_io:drop_input")
    if op == 1 and g.output:
        del g.output[rng.randrange(len(g.output))]
        return Mutation("graph_io:drop_output")
    if op == 2 and g.input:
        g.input.append(g.input[rng.randrange(len(g.input))])
        return Mutation("graph_io:dup_input")
    if g.node:
        del g.node[rng.randrange(len(g.node))]
        return Mutation("graph_io:drop_node")
    return Mutation("graph_io:none")


MUTATORS = ((attr_value, 6), (attr_type, 2), (attr_add, 2), (attr_delete_or_duplicate, 2), (dims, 5), (dtypes, 3),
            (initializers, 3), (constants, 2), (names, 3), (opsets, 1), (node_io, 3), (graph_io, 2))


def mutate(data: bytes, rng: random.Random) -> tuple:
    """(mutated bytes, kind, spec_violation, detail)."""
    if rng.random() < 0.2:
        out, kind = mutate_bytes(data, rng)
        return out, kind, False, ""
    m = onnx.ModelProto()
    try:
        m.ParseFromString(data)
    except Exception:  # noqa: BLE001 - a seed that does not parse is only byte-mutated
        out, kind = mutate_bytes(data, rng)
        return out, kind, False, ""
    funcs, weights = zip(*MUTATORS)
    muts = [rng.choices(funcs, weights)[0](m, rng) for _ in range(1 if rng.random() < 0.7 else 2)]
    out = m.SerializeToString()
    if MARK.encode() in out:
        out = out.replace(MARK.encode(), rng.choice(BAD_UTF8).ljust(len(MARK), b"a"))
    kind = "+".join(x.kind for x in muts)
    if rng.random() < 0.05:
        out, bk = mutate_bytes(out, rng)
        return out, kind + "+" + bk, False, ""
    # only the last mutation's verdict holds: a later one may delete what an earlier one broke
    return out, kind, muts[-1].spec, muts[-1].detail
