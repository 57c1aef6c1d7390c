"""Generate the .pml fixtures of the C tests (native/tests/data/).

    python tests/format/make_c_fixtures.py           # (re)write the fixtures
    python tests/format/make_c_fixtures.py --check   # exit 1 if the committed ones are stale

Valid models use only elementwise ops (Add, Mul, Relu, Sigmoid, Sub), plus
every_family.pml (one node of each kernel family) and the models with
symbolic dims of the dynamic-shape tests (symbolic*.pml). Each
invalid model is the small valid one with exactly one thing broken, encoded
with the real writer (records layer), so the C verifier's semantic checks are
tested on otherwise well-formed files. invalid_cases.txt lists, one per line,
tab-separated: file, stage where it must fail (load | session), the
pml_status_string of the expected status, and a substring of the expected
message. The Python tests read the same cases (``invalid_cases()``).
"""
from __future__ import annotations

import copy
import pathlib
import struct
import sys

import numpy as np

from pocketml import ir
from pocketml.format import fbcheck
from pocketml.format._generated import Model as fb_model
from pocketml.format.header import pack_file
from pocketml.format.records import AttrRecord, ModelRecord, TensorRecord, build_flatbuffer
from pocketml.format.writer import graph_to_records, write_pml
from pocketml.shape_inference import infer_shapes

try:
    from . import quant_fixtures
except ImportError:  # run as a script
    import quant_fixtures

DATA = pathlib.Path(__file__).resolve().parents[2] / "native" / "tests" / "data"
INVALID_MODEL, UNSUPPORTED = "invalid model", "unsupported"


def add_relu_graph() -> ir.Graph:
    """z = relu(x + bias), x float32 [2,3]."""
    g = ir.Graph("add_relu")
    g.add_value("x", "float32", (2, 3))
    g.inputs = ["x"]
    g.add_value("bias", const=np.array([1.0, -2.0, 0.5], np.float32))
    g.add_node("Add", ["x", "bias"], ["y"], name="add")
    g.add_node("Relu", ["y"], ["z"], name="relu")
    g.outputs = ["z"]
    infer_shapes(g)
    return g


def chain_graph() -> ir.Graph:
    """Two inputs, two outputs, three constants, eight nodes: for lifetimes and fuzzing."""
    g = ir.Graph("chain")
    g.add_value("a", "float32", (4, 8))
    g.add_value("b", "float32", (4, 8))
    g.inputs = ["a", "b"]
    rng = np.random.default_rng(7)
    g.add_value("w0", const=rng.standard_normal((4, 8)).astype(np.float32))
    g.add_value("w1", const=rng.standard_normal((8,)).astype(np.float32))
    g.add_value("w2", const=rng.standard_normal((1, 8)).astype(np.float32))
    g.add_node("Add", ["a", "b"], ["s0"], name="add0")
    g.add_node("Mul", ["s0", "w0"], ["s1"], name="mul1")
    g.add_node("Relu", ["s1"], ["s2"], name="relu2")
    g.add_node("Add", ["s2", "w1"], ["s3"], {"act": 1}, name="add3")
    g.add_node("Sigmoid", ["s3"], ["s4"], name="sigmoid4")
    g.add_node("Sub", ["s4", "a"], ["s5"], name="sub5")
    g.add_node("Mul", ["s5", "w2"], ["s6"], name="mul6")
    g.add_node("Relu", ["s0"], ["s7"], name="relu7")
    g.outputs = ["s6", "s7"]
    infer_shapes(g)
    return g


def every_family_graph() -> ir.Graph:
    """A tiny NHWC conv net touching every kernel family (conv, conv with residual + PRelu, depthwise conv,
    transposed conv, pools, gemm, matmul, softmax, concat, slice, pad, resize,
    transpose, gather, reduce, cast): fuzzing it sends mutated attributes and
    shapes into every family's infer/prepare."""
    g = ir.Graph("every_family")
    g.add_value("x", "float32", (1, 6, 6, 3))
    g.inputs = ["x"]
    rng = np.random.default_rng(11)

    def const(name, shape, dtype=np.float32):
        g.add_value(name, const=rng.standard_normal(shape).astype(dtype))
        return name

    g.add_node("Conv", ["x", const("w_conv", (8, 3, 3, 3)), const("b_conv", (8,))], ["c0"],
               {"pads": [1, 1, 1, 1], "act": 1}, name="conv")
    # residual + per-channel PRelu epilogue (Conv's optional sum and slope inputs)
    g.add_node("Conv", ["c0", const("w_res", (8, 1, 1, 8)), const("b_res", (8,)), "c0", const("slope", (8,))],
               ["c0r"], {"act": 10}, name="conv_residual")
    g.add_node("Conv", ["c0r", const("w_dw", (8, 3, 3, 1))], ["c1"],
               {"pads": [1, 1, 1, 1], "group": 8, "strides": [2, 2]}, name="depthwise")
    g.add_node("ConvTranspose", ["c1", const("w_ct", (8, 2, 2, 4))], ["c2"], {"strides": [2, 2]}, name="deconv")
    g.add_node("MaxPool", ["c2"], ["p0"], {"kernel": [2, 2], "strides": [2, 2]}, name="maxpool")
    g.add_node("AveragePool", ["c2"], ["p1"], {"kernel": [3, 3], "pads": [1, 1, 1, 1], "strides": [2, 2]},
               name="avgpool")
    g.add_node("Concat", ["p0", "p1"], ["cat"], {"axis": 3}, name="concat")
    g.add_node("Pad", ["cat"], ["pad"], {"pads": [0, 1, 1, 0, 0, 0, 0, 0], "mode": 1}, name="pad")
    g.add_node("Slice", ["pad"], ["sl"], {"starts": [0, 0], "ends": [3, 3], "axes": [1, 2]}, name="slice")
    g.add_node("Resize", ["sl"], ["rs"], {"mode": 1, "scales": [1.0, 2.0, 2.0, 1.0], "sizes": [1, 6, 6, 8]},
               name="resize")
    g.add_node("Transpose", ["rs"], ["tr"], {"perm": [0, 3, 1, 2]}, name="transpose")
    g.add_node("ReduceMean", ["tr"], ["rm"], {"axes": [3], "keepdims": 0}, name="reduce")
    g.add_node("GlobalAveragePool", ["c0"], ["gp"], name="globalpool")
    g.add_node("Reshape", ["gp"], ["flat"], {"shape": [1, 8]}, name="reshape")
    g.add_node("Gemm", ["flat", const("w_fc", (8, 5)), const("b_fc", (5,))], ["fc"], name="gemm")
    g.add_node("MatMul", ["rm", const("w_mm", (6, 5))], ["mm"], name="matmul")
    g.add_node("Softmax", ["fc"], ["prob"], {"axis": -1}, name="softmax")
    g.add_value("idx", const=np.array([2, 0], np.int64))
    g.add_node("Gather", ["mm", "idx"], ["gat"], {"axis": 2}, name="gather")
    g.add_node("Cast", ["gat"], ["gat16"], {"to": 2}, name="cast")
    g.outputs = ["prob", "gat16"]
    infer_shapes(g)
    return g


def symbolic_graph() -> ir.Graph:
    """Dynamic shapes: x float32 [batch, 4], y float32 [batch, 1];
    z = relu(x + (c1 + c2)) and p = x * y, both [batch, 4]. c1 + c2 has only
    constant inputs, so the session computes it at plan time and skips it."""
    g = ir.Graph("symbolic")
    g.add_value("x", "float32", ("batch", 4))
    g.add_value("y", "float32", ("batch", 1))
    g.inputs = ["x", "y"]
    g.add_value("c1", const=np.array([1.0, -2.0, 0.5, 3.0], np.float32))
    g.add_value("c2", const=np.array([0.25, 0.5, -1.0, -4.0], np.float32))
    g.add_node("Add", ["c1", "c2"], ["c"], name="const_add")
    g.add_node("Add", ["x", "c"], ["s"], name="add")
    g.add_node("Relu", ["s"], ["z"], name="relu")
    g.add_node("Mul", ["x", "y"], ["p"], name="mul")
    g.outputs = ["z", "p"]
    infer_shapes(g)
    return g


def symbolic_shape_chain_graph() -> ir.Graph:
    """Shape arithmetic as exporters write it, with x float32 [batch, seq, 4]:
    y = x.reshape(shape(x)[0:1] ++ [-1]) through Shape -> Gather -> Concat ->
    Reshape, and z = x + expand(bias, shape(x)). The session computes the
    shape tensors at plan time for each input shape."""
    g = ir.Graph("symbolic_shape_chain")
    g.add_value("x", "float32", ("batch", "seq", 4))
    g.inputs = ["x"]
    g.add_value("idx0", const=np.array([0], np.int64))
    g.add_value("minus1", const=np.array([-1], np.int64))
    g.add_value("bias", const=np.array([1.0, 2.0, 3.0, 4.0], np.float32))
    g.add_node("Shape", ["x"], ["s"], name="shape")
    g.add_node("Gather", ["s", "idx0"], ["b"], {"axis": 0}, name="gather")
    g.add_node("Concat", ["b", "minus1"], ["t"], {"axis": 0}, name="concat")
    g.add_node("Reshape", ["x", "t"], ["y"], name="reshape")
    g.add_node("Expand", ["bias", "s"], ["e"], name="expand")
    g.add_node("Add", ["x", "e"], ["z"], name="add")
    g.outputs = ["y", "z"]
    infer_shapes(g)
    return g


def state_select_graph() -> ir.Graph:
    """State and data-dependent shapes: x float32 [6]; a Variable [6] (zeros) accumulating x
    (y = 2 * the sum of the earlier runs' x), and NonZero(x) cast to float32 ([1, n]: its count
    depends on x, so the Cast after it is planned per count)."""
    g = ir.Graph("state_select")
    g.add_value("x", "float32", (6,))
    g.inputs = ["x"]
    g.add_value("zeros", const=np.zeros(6, np.float32))
    g.add_value("two", const=np.array([2.0], np.float32))
    g.add_node("Variable", ["zeros"], ["acc"], name="acc")
    g.add_node("Mul", ["acc", "two"], ["y"], name="double")
    g.add_node("Add", ["acc", "x"], ["next"], name="accumulate")
    g.add_node("NonZero", ["x"], ["nz"], name="nonzero")
    g.add_node("Cast", ["nz"], ["nzf"], {"to": 1}, name="cast")
    g.add_node("VariableAssign", ["acc", "next"], [], name="assign")
    g.outputs = ["y", "nzf"]
    infer_shapes(g)
    return g


def control_flow_graph() -> ir.Graph:
    """Control flow: x float32 [n, 3] (n symbolic), steps int64 scalar. An If on sum(x) > 0
    whose branches give different shapes (then: x * 2, [n, 3]; else: its first row, [1, 3]),
    so what follows is planned per shape; a Loop running `steps` iterations that carries an
    accumulator [3] (acc + the iteration's row mean) and stacks it per iteration ([steps, 3]),
    with an If nested in its body (on the iteration count being even); a While doubling a [2]
    vector until its sum reaches x's sum (at most steps * 3 iterations: a counter stops it too)."""
    f = "float32"
    g = ir.Graph("control_flow")
    g.add_value("x", f, ("n", 3))
    g.add_value("steps", "int64", ())
    g.inputs = ["x", "steps"]
    g.add_value("zero", const=np.array(0.0, np.float32))
    g.add_value("two", const=np.array(2.0, np.float32))
    g.add_value("acc0", const=np.zeros(3, np.float32))

    then_b = ir.Graph("then")
    then_b.add_value("bx", f, ("n", 3))
    then_b.inputs = ["bx"]
    then_b.add_value("btwo", const=np.array(2.0, np.float32))
    then_b.add_node("Mul", ["bx", "btwo"], ["by"], name="double")
    then_b.outputs = ["by"]
    else_b = ir.Graph("else")
    else_b.add_value("ex", f, ("n", 3))
    else_b.inputs = ["ex"]
    else_b.add_value("start", const=np.array([0], np.int64))
    else_b.add_value("end", const=np.array([1], np.int64))
    else_b.add_node("Slice", ["ex", "start", "end"], ["ey"], {"axes": [0]}, name="first_row")
    else_b.outputs = ["ey"]

    even = ir.Graph("even")
    even.add_value("m", f, (3,))
    even.inputs = ["m"]
    even.add_node("Neg", ["m"], ["nm"], name="negate")
    even.outputs = ["nm"]
    odd = ir.Graph("odd")
    odd.add_value("m2", f, (3,))
    odd.inputs = ["m2"]
    odd.add_node("Identity", ["m2"], ["im"], name="keep")
    odd.outputs = ["im"]
    body = ir.Graph("body")
    body.add_value("i", "int64", ())
    body.add_value("c", "bool", ())
    body.add_value("acc", f, (3,))
    body.add_value("lx", f, ("n", 3))
    body.inputs = ["i", "c", "acc", "lx"]
    body.add_value("two_i", const=np.array(2, np.int64))
    body.add_value("zero_i", const=np.array(0, np.int64))
    body.add_node("ReduceMean", ["lx"], ["mean"], {"axes": [0], "keepdims": 0}, name="mean")
    body.add_node("Mod", ["i", "two_i"], ["parity"], name="parity")
    body.add_node("Equal", ["parity", "zero_i"], ["is_even"], name="is_even")
    body.add_node("If", ["is_even", "mean"], ["term"], {"then_branch": even, "else_branch": odd}, name="sign")
    body.add_node("Add", ["acc", "term"], ["acc_next"], name="accumulate")
    body.add_node("Identity", ["c"], ["c_next"], name="go_on")
    body.outputs = ["c_next", "acc_next", "acc_next_scan"]
    body.add_node("Identity", ["acc_next"], ["acc_next_scan"], name="stack")

    g.add_node("ReduceSum", ["x"], ["s"], {"keepdims": 0}, name="sum")
    g.add_node("Greater", ["s", "zero"], ["positive"], name="positive")
    g.add_node("If", ["positive", "x"], ["picked"], {"then_branch": then_b, "else_branch": else_b}, name="pick")
    g.add_node("Relu", ["picked"], ["y"], name="relu")
    g.add_node("Loop", ["steps", "", "acc0", "x"], ["acc_final", "accs"], {"body": body, "n_carried": 1},
               name="loop")
    w_cond = ir.Graph("while_cond")
    w_cond.add_value("wv", f, (2,))
    w_cond.add_value("wk", "int64", ())
    w_cond.add_value("wlimit", f, ())
    w_cond.add_value("wmax", "int64", ())
    w_cond.inputs = ["wv", "wk", "wlimit", "wmax"]
    w_cond.add_node("ReduceSum", ["wv"], ["wsum"], {"keepdims": 0}, name="total")
    w_cond.add_node("Less", ["wsum", "wlimit"], ["below"], name="below")
    w_cond.add_node("Less", ["wk", "wmax"], ["counted"], name="counted")
    w_cond.add_node("And", ["below", "counted"], ["go"], name="go")
    w_cond.outputs = ["go"]
    w_body = ir.Graph("while_body")
    w_body.add_value("bv", f, (2,))
    w_body.add_value("bk", "int64", ())
    w_body.add_value("blimit", f, ())
    w_body.add_value("bmax", "int64", ())
    w_body.inputs = ["bv", "bk", "blimit", "bmax"]
    w_body.add_value("btwo", const=np.array(2.0, np.float32))
    w_body.add_value("bone", const=np.array(1, np.int64))
    w_body.add_node("Mul", ["bv", "btwo"], ["bv2"], name="double")
    w_body.add_node("Add", ["bk", "bone"], ["bk2"], name="count")
    w_body.outputs = ["bv2", "bk2", "blimit", "bmax"]
    g.add_value("v0", const=np.array([0.25, 0.5], np.float32))
    g.add_value("k0", const=np.array(0, np.int64))
    g.add_value("three", const=np.array(3, np.int64))
    g.add_node("Mul", ["steps", "three"], ["max_trips"], name="max_trips")
    g.add_node("While", ["v0", "k0", "s", "max_trips"], ["v_end", "k_end", "s_end", "m_end"],
               {"cond": w_cond, "body": w_body}, name="doubling")
    g.outputs = ["y", "acc_final", "accs", "v_end", "k_end"]
    for sub in (then_b, else_b, even, odd, body, w_cond, w_body):
        infer_shapes(sub)
    infer_shapes(g)
    return g


def _records():
    rec, weights = graph_to_records(add_relu_graph())
    return rec, weights


def _tensor(rec: ModelRecord, name: str) -> int:
    return next(i for i, t in enumerate(rec.tensors) if t.name == name)


def _case(mutate):
    """File bytes of the add_relu model with `mutate(record)` applied."""
    rec, weights = _records()
    rec = copy.deepcopy(rec)
    mutate(rec)
    return pack_file(build_flatbuffer(rec), weights)


def _cf(mutate):
    """File bytes of the control_flow model with `mutate(record)` applied."""
    rec, weights = graph_to_records(control_flow_graph())
    mutate(rec)
    return pack_file(build_flatbuffer(rec), weights)


def _attr(nodes, node: str, name: str) -> AttrRecord:
    return next(a for n in nodes if n.name == node for a in n.attrs if a.name == name)


def _set(obj, **kw):
    for k, v in kw.items():
        setattr(obj, k, v)


def _dangling(rec: ModelRecord) -> int:
    rec.tensors.append(TensorRecord("dangling", 1, [2, 3]))
    return len(rec.tensors) - 1


def _weights_cut(keep: int) -> bytes:
    """add_relu with its weights section cut to `keep` bytes (checksum valid): the 12-byte buffer of
    'bias' starts inside the section and runs past its end."""
    rec, weights = _records()
    assert rec.buffers[0].offset == 0 and rec.buffers[0].size == 12 and keep < 12
    return pack_file(build_flatbuffer(rec), weights[:keep])


def _vector_past_section(length: int) -> tuple:
    """(position of the length, graph section size, file bytes) of add_relu with node 0's inputs
    vector claiming `length` elements (checksum valid), far past the end of the graph section."""
    rec, weights = _records()
    graph = bytearray(build_flatbuffer(rec))
    node = fb_model.Model.GetRootAs(bytes(graph), 0).Graph().Nodes(0)
    ref = node._tab.Pos + node._tab.Offset(fbcheck._slot(type(node), "Inputs"))
    at = ref + struct.unpack_from("<I", graph, ref)[0]
    assert struct.unpack_from("<I", graph, at)[0] == 2  # Add's two inputs
    struct.pack_into("<I", graph, at, length)
    return at, len(graph), pack_file(bytes(graph), weights)


def invalid_cases() -> list:
    """[(file name, stage, status string, message substring, file bytes)]"""
    x, bias, y, z = "x", "bias", "y", "z"
    vec = _vector_past_section(1 << 16)
    cases = [
        ("node_input_range", "load", INVALID_MODEL, "node 'add' (Add): input 1 refers to tensor 9999 but the graph has 4 tensors",
         lambda r: r.nodes[0].inputs.__setitem__(1, 9999)),
        ("node_output_range", "load", INVALID_MODEL, "output 0 refers to tensor -1",
         lambda r: r.nodes[1].outputs.__setitem__(0, -1)),
        ("tensor_dtype", "load", INVALID_MODEL, "unknown dtype code 99",
         lambda r: _set(r.tensors[_tensor(r, y)], dtype=99)),
        ("tensor_rank", "load", INVALID_MODEL, "has rank 9",
         lambda r: _set(r.tensors[_tensor(r, y)], shape=[1] * 9)),
        ("tensor_negative_dim", "load", INVALID_MODEL, "dim 1 is -5",
         lambda r: _set(r.tensors[_tensor(r, y)], shape=[2, -5])),
        ("const_symbolic_dim", "load", INVALID_MODEL, "constants must have static shapes",
         lambda r: _set(r.tensors[_tensor(r, bias)], shape=[-1], dim_names=["n"])),
        ("tensor_too_large", "load", INVALID_MODEL, "is larger than",
         lambda r: _set(r.tensors[_tensor(r, y)], shape=[2**40, 2**40, 2**40])),
        ("tensor_no_name", "load", INVALID_MODEL, "has no name",
         lambda r: _set(r.tensors[_tensor(r, y)], name="")),
        ("buffer_misaligned", "load", INVALID_MODEL, "not a multiple of 64",
         lambda r: _set(r.buffers[0], offset=32)),
        ("buffer_outside", "load", INVALID_MODEL, "outside the",
         lambda r: _set(r.buffers[0], offset=6400)),
        # starts inside the section, ends past it (the check for the end, not only the start)
        ("buffer_straddles_end", "load", INVALID_MODEL,
         "buffer 0 (tensor 'bias') [0, +12 bytes) lies outside the 8-byte weights section", _weights_cut(8)),
        # a FlatBuffers vector length running past the graph section (fb_reader.c's vector check)
        ("vector_past_section", "load", INVALID_MODEL, "node 0, field 'inputs': vector of 65536 x 4-byte elements at "
         "offset {0} runs past the end of the {1}-byte buffer".format(*vec[:2]), vec[2]),
        ("buffer_size", "load", INVALID_MODEL, "has 8 bytes but constant tensor 'bias' (float32 [3]) needs 12",
         lambda r: _set(r.buffers[0], size=8)),
        ("buffer_index", "load", INVALID_MODEL, "refers to buffer 7 but the model has 1 buffers",
         lambda r: _set(r.tensors[_tensor(r, bias)], buffer=7)),
        ("op_unknown", "load", INVALID_MODEL, "op code 999 is not a known op",
         lambda r: _set(r.nodes[1], op=999)),
        ("op_arity", "load", INVALID_MODEL, "node 'relu' (Relu): has 2 inputs; Relu takes 1 to 1",
         lambda r: r.nodes[1].inputs.append(_tensor(r, x))),
        ("input_absent", "load", INVALID_MODEL, "required input 1 is absent",
         lambda r: r.nodes[0].inputs.__setitem__(1, -1)),
        ("double_producer", "load", INVALID_MODEL, "output 0 ('y') is also produced by node 'add'",
         lambda r: r.nodes[1].outputs.__setitem__(0, _tensor(r, y))),
        ("not_topological", "load", INVALID_MODEL, "is produced later by node 'add' (#1): nodes are not in topological order",
         lambda r: r.nodes.reverse()),
        ("never_produced", "load", INVALID_MODEL, "input 0 ('dangling') is never produced",
         lambda r: r.nodes[1].inputs.__setitem__(0, _dangling(r))),
        ("const_graph_input", "load", INVALID_MODEL, "graph input 0 ('bias') is a constant",
         lambda r: r.inputs.__setitem__(0, _tensor(r, bias))),
        ("output_not_produced", "load", INVALID_MODEL, "graph output 0 ('dangling') is never produced",
         lambda r: r.outputs.__setitem__(0, _dangling(r))),
        ("const_output", "load", INVALID_MODEL, "node 'relu' (Relu): output 0 ('bias') is a constant tensor",
         lambda r: r.nodes[1].outputs.__setitem__(0, _tensor(r, bias))),
        ("no_outputs", "load", INVALID_MODEL, "the graph has no outputs", lambda r: r.outputs.clear()),
        ("duplicate_input", "load", INVALID_MODEL, "listed twice among the graph inputs",
         lambda r: r.inputs.append(r.inputs[0])),
        ("attr_duplicate", "load", INVALID_MODEL, "attribute 'act' appears twice",
         lambda r: r.nodes[0].attrs.append(AttrRecord("act", 1, 0))),
        ("attr_type", "load", INVALID_MODEL, "attribute 'act' has unknown type 9",
         lambda r: _set(r.nodes[0].attrs[0], type=9)),
        ("version_mismatch", "load", INVALID_MODEL, "the graph says format version 7 but the header says 1",
         lambda r: _set(r, format_version=7)),
        # control flow, on the control_flow.pml model (subgraphs 0-1: the If branches, 2: the Loop body, 3-4: the
        # While cond and body, 5-6: the branches of the If in the Loop body)
        ("subgraph_index", "load", INVALID_MODEL, "node 'pick' (If): attribute 'then_branch' names subgraph 9",
         _cf(lambda r: _set(_attr(r.nodes, "pick", "then_branch"), value=9))),
        ("subgraph_loop", "load", INVALID_MODEL, "attribute 'then_branch' names subgraph 2; a graph may name only "
         "subgraphs after itself", _cf(lambda r: _set(_attr(r.subgraphs[2].nodes, "sign", "then_branch"), value=2))),
        ("branch_outputs", "load", INVALID_MODEL, "node 'pick' (If): else_branch takes 1 inputs and gives 2 outputs",
         _cf(lambda r: r.subgraphs[1].outputs.append(r.subgraphs[1].inputs[0]))),
        ("branch_dtype", "load", INVALID_MODEL, "node 'pick' (If): then_branch input 0 ('bx') is int64",
         _cf(lambda r: _set(r.subgraphs[0].tensors[r.subgraphs[0].inputs[0]], dtype=6))),
        ("loop_carried", "load", INVALID_MODEL, "node 'loop' (Loop): n_carried is 5",
         _cf(lambda r: _set(_attr(r.nodes, "loop", "n_carried"), value=5))),
        ("graph_attr_elsewhere", "load", INVALID_MODEL, "node 'relu' (Relu): attribute 'x' is a graph",
         _cf(lambda r: next(n for n in r.nodes if n.name == "relu").attrs.append(AttrRecord("x", 6, 1)))),
        ("shape_mismatch", "session", INVALID_MODEL,
         "node 'relu' (Relu): output 0 ('z') is declared as float32 [2,4] in the file but infers as float32 [2,3]",
         lambda r: _set(r.tensors[_tensor(r, z)], shape=[2, 4])),
    ]
    cases += quant_fixtures.invalid_cases()
    return [(f"invalid_{name}.pml", stage, status, msg, mutate if isinstance(mutate, bytes) else _case(mutate))
            for name, stage, status, msg, mutate in cases]


def fixtures() -> dict:
    """file name -> bytes of every fixture (valid models, invalid models, the case list)."""
    files = {
        "add_relu.pml": write_pml(add_relu_graph(), metadata={"purpose": "C loader tests"}),
        "chain.pml": write_pml(chain_graph(), metadata={"purpose": "C loader/fuzz tests"}),
        "every_family.pml": write_pml(every_family_graph(), metadata={"purpose": "C fuzz tests of every op family"}),
        "symbolic.pml": write_pml(symbolic_graph(), metadata={"purpose": "C dynamic-shape tests"}),
        "state_select.pml": write_pml(state_select_graph(),
                                      metadata={"purpose": "C state and data-dependent shape tests"}),
        "symbolic_shape_chain.pml": write_pml(symbolic_shape_chain_graph(),
                                              metadata={"purpose": "C plan-time shape evaluation tests"}),
        "control_flow.pml": write_pml(control_flow_graph(), metadata={"purpose": "C control-flow tests"}),
        **quant_fixtures.fixtures(),
    }
    lines = []
    for name, stage, status, msg, data in invalid_cases():
        files[name] = data
        lines.append(f"{name}\t{stage}\t{status}\t{msg}\n")
    files["invalid_cases.txt"] = "".join(lines).encode()
    return files


def main(argv=None) -> int:
    check = "--check" in (argv if argv is not None else sys.argv[1:])
    files = fixtures()
    stale = [n for n, d in files.items() if not (DATA / n).exists() or (DATA / n).read_bytes() != d]
    if check:
        if stale:
            print(f"stale C test fixtures in {DATA}: {stale}; run python tests/format/make_c_fixtures.py",
                  file=sys.stderr)
            return 1
        return 0
    DATA.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (DATA / name).write_bytes(files[name])
    print(f"{len(stale)} of {len(files)} fixtures written to {DATA}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
