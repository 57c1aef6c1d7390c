"""TFLite resource variables (VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE, CALL_ONCE's init
subgraph): a streaming model's state carried across runs of one session exactly as one LiteRT
interpreter carries it across invocations, back to the initial values after reset_state(); and
the .pml verifier's rules for state (an assignment must come after the variable's readers)."""
from __future__ import annotations

import copy

import numpy as np
import pytest
from ai_edge_litert import interpreter as litert

import pocketml
from pocketml import ir
from pocketml.errors import PocketMLError
from pocketml.format.header import pack_file
from pocketml.format.records import build_flatbuffer
from pocketml.format.writer import graph_to_records
from pocketml.model import Model

from .tflite_builder import build_model

RNG = np.random.default_rng(31)
F32 = "float32"


def streaming_model() -> bytes:
    """A running sum and an EMA-like decay over frames: acc += x; ema = 0.5 * ema + x; y = acc * ema;
    a frame counter (int32) read before and after its update; CALL_ONCE initialises all three."""
    main_tensors = {
        "x": (F32, (1, 4), None),
        "acc_h": ("resource", (), None), "ema_h": ("resource", (), None), "n_h": ("resource", (), None),
        "acc": (F32, (1, 4), None), "acc2": (F32, (1, 4), None),
        "ema": (F32, (1, 4), None), "ema_half": (F32, (1, 4), None), "ema2": (F32, (1, 4), None),
        "half": (F32, (1,), np.array([0.5], np.float32)),
        "n": ("int32", (1,), None), "n2": ("int32", (1,), None), "one": ("int32", (1,), np.array([1], np.int32)),
        "n_again": ("int32", (1,), None),
        "y": (F32, (1, 4), None),
    }
    main_ops = [
        ("CALL_ONCE", [], [], {"init_subgraph_index": 1}),
        ("VAR_HANDLE", [], ["acc_h"], {"shared_name": "acc"}),
        ("VAR_HANDLE", [], ["ema_h"], {"shared_name": "ema"}),
        ("VAR_HANDLE", [], ["n_h"], {"shared_name": "frames"}),
        ("READ_VARIABLE", ["acc_h"], ["acc"]),
        ("ADD", ["acc", "x"], ["acc2"]),
        ("ASSIGN_VARIABLE", ["acc_h", "acc2"], []),
        ("READ_VARIABLE", ["ema_h"], ["ema"]),
        ("MUL", ["ema", "half"], ["ema_half"]),
        ("ADD", ["ema_half", "x"], ["ema2"]),
        ("ASSIGN_VARIABLE", ["ema_h", "ema2"], []),
        ("MUL", ["acc2", "ema2"], ["y"]),
        ("READ_VARIABLE", ["n_h"], ["n"]),
        ("ADD", ["n", "one"], ["n2"]),
        ("ASSIGN_VARIABLE", ["n_h", "n2"], []),
        ("READ_VARIABLE", ["n_h"], ["n_again"]),  # after the assignment: sees the new count
    ]
    init_tensors = {
        "acc_h": ("resource", (), None), "ema_h": ("resource", (), None), "n_h": ("resource", (), None),
        "acc0": (F32, (1, 4), np.array([[0.5, -1.0, 2.0, 0.0]], np.float32)),
        "ema0": (F32, (1, 4), np.zeros((1, 4), np.float32)),
        "n0": ("int32", (1,), np.array([10], np.int32)),
    }
    init_ops = [
        ("VAR_HANDLE", [], ["acc_h"], {"shared_name": "acc"}),
        ("VAR_HANDLE", [], ["ema_h"], {"shared_name": "ema"}),
        ("VAR_HANDLE", [], ["n_h"], {"shared_name": "frames"}),
        ("ASSIGN_VARIABLE", ["acc_h", "acc0"], []),
        ("ASSIGN_VARIABLE", ["ema_h", "ema0"], []),
        ("ASSIGN_VARIABLE", ["n_h", "n0"], []),
    ]
    return build_model(main_ops, main_tensors, ["x"], ["y", "n", "n_again"],
                       subgraphs=[(init_ops, init_tensors, [], [])])


def _litert(data):
    it = litert.Interpreter(model_content=data)
    it.allocate_tensors()
    return it


def _invoke(it, x):
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return [it.get_tensor(d["index"]).copy() for d in it.get_output_details()]


def test_streaming_state_matches_litert_across_runs_and_reset(tmp_path):
    data = streaming_model()
    path = tmp_path / "stream.tflite"
    path.write_bytes(data)
    session = pocketml.Session(pocketml.convert(path))
    assert session.state_bytes == 4 * 4 * 2 + 4
    frames = [RNG.standard_normal((1, 4)).astype(np.float32) for _ in range(5)]
    it = _litert(data)
    for x in frames:
        want = _invoke(it, x)
        got = session.run({"x": x})
        for out, w in zip(session.outputs, want):
            np.testing.assert_allclose(got[out.name], w, rtol=1e-5, atol=1e-6)
    session.reset_state()
    fresh = _litert(data)
    for x in frames[:2]:
        want, got = _invoke(fresh, x), session.run({"x": x})
        for out, w in zip(session.outputs, want):
            np.testing.assert_allclose(got[out.name], w, rtol=1e-5, atol=1e-6)


def test_two_sessions_keep_their_own_state(tmp_path):
    path = tmp_path / "stream.tflite"
    path.write_bytes(streaming_model())
    model = pocketml.convert(path)
    a, b = pocketml.Session(model), pocketml.Session(model)
    x = np.ones((1, 4), np.float32)
    for _ in range(3):
        a.run({"x": x})
    ya, yb = a.run({"x": x}), b.run({"x": x})
    assert not np.allclose(ya[a.outputs[0].name], yb[b.outputs[0].name])


def _state_graph(assign_first: bool) -> ir.Graph:
    g = ir.Graph("state")
    g.add_value("x", "float32", (3,))
    g.inputs.append("x")
    g.add_value("init", const=np.zeros(3, np.float32))
    g.add_node("Variable", ["init"], ["v"])
    g.add_node("Add", ["v", "x"], ["next"])
    g.add_node("Relu", ["v"], ["y"])
    g.outputs.append("y")
    for name in ("v", "next", "y"):
        g.add_value(name, "float32", (3,))
    assign = g.new_node("VariableAssign", ["v", "next"], [])
    if assign_first:  # a hand-made file that writes the variable before a node reads it
        g.nodes = [g.nodes[0], g.nodes[1], assign, g.nodes[2]]
    else:
        g.append_node(assign)
    return g


def test_writer_orders_assignments_last_and_the_verifier_insists(tmp_path):
    good = _state_graph(assign_first=False)
    session = pocketml.Session(Model(good, {}))
    x = np.array([1.0, -2.0, 3.0], np.float32)
    np.testing.assert_array_equal(session.run({"x": x})["y"], [0, 0, 0])
    np.testing.assert_array_equal(session.run({"x": x})["y"], [1, 0, 3])  # the state from the first run
    # the writer moves a misplaced assignment to the end; records written by hand keep their order
    bad = _state_graph(assign_first=True)
    rec, weights = graph_to_records(bad)
    assign = next(i for i, n in enumerate(rec.nodes) if n.op == 441)
    assert assign == len(rec.nodes) - 1
    rec.nodes.insert(2, rec.nodes.pop(assign))
    path = tmp_path / "bad.pml"
    path.write_bytes(pack_file(build_flatbuffer(rec), weights))
    with pytest.raises(PocketMLError, match="after node .* assigned it"):
        pocketml.Session(str(path))


def test_assigning_a_non_variable_is_rejected(tmp_path):
    rec, weights = graph_to_records(_state_graph(assign_first=False))
    assign = rec.nodes[-1]
    assign.inputs[0] = rec.nodes[1].outputs[0]  # "next", an Add's output, not a Variable's
    path = tmp_path / "bad.pml"
    path.write_bytes(pack_file(build_flatbuffer(rec), weights))
    with pytest.raises(PocketMLError, match="is not a Variable's output"):
        pocketml.Session(str(path))


def test_a_second_assignment_of_a_variable_is_rejected(tmp_path):
    rec, weights = graph_to_records(_state_graph(assign_first=False))
    rec.nodes.append(copy.deepcopy(rec.nodes[-1]))
    rec.nodes[-1].name = "assign_again"
    path = tmp_path / "bad.pml"
    path.write_bytes(pack_file(build_flatbuffer(rec), weights))
    with pytest.raises(PocketMLError, match="assigns variable .* a second time"):
        pocketml.Session(str(path))


def _int8_accumulator(sum_scale: float) -> bytes:
    """acc (int8, scale 0.05) += x, the sum written back with scale ``sum_scale``."""
    q_acc = {"scale": [0.05], "zero_point": [3]}
    q_sum = {"scale": [sum_scale], "zero_point": [3]}
    main_tensors = {
        "x": ("int8", (1, 4), None, None, q_acc), "acc_h": ("resource", (), None),
        "acc": ("int8", (1, 4), None, None, q_acc), "acc2": ("int8", (1, 4), None, None, q_sum),
    }
    main_ops = [
        ("CALL_ONCE", [], [], {"init_subgraph_index": 1}),
        ("VAR_HANDLE", [], ["acc_h"], {"shared_name": "acc"}),
        ("READ_VARIABLE", ["acc_h"], ["acc"]),
        ("ADD", ["acc", "x"], ["acc2"]),
        ("ASSIGN_VARIABLE", ["acc_h", "acc2"], []),
    ]
    init_tensors = {"acc_h": ("resource", (), None),
                    "acc0": ("int8", (1, 4), np.array([[3, 13, -7, 23]], np.int8), None, q_acc)}
    init_ops = [("VAR_HANDLE", [], ["acc_h"], {"shared_name": "acc"}), ("ASSIGN_VARIABLE", ["acc_h", "acc0"], [])]
    return build_model(main_ops, main_tensors, ["x"], ["acc2"], subgraphs=[(init_ops, init_tensors, [], [])])


def test_quantized_variable_state_matches_litert(tmp_path):
    data = _int8_accumulator(0.05)
    (tmp_path / "acc.tflite").write_bytes(data)
    it, s = _litert(data), pocketml.Session(pocketml.convert(tmp_path / "acc.tflite"))
    for _ in range(4):
        x = RNG.integers(-20, 30, (1, 4)).astype(np.int8)
        np.testing.assert_array_equal(s.run({s.inputs[0].name: x})[s.outputs[0].name], _invoke(it, x)[0])


def test_variable_assigned_with_other_quantization_is_refused(tmp_path):
    """LiteRT's ASSIGN_VARIABLE copies the stored integers as they are (no rescaling), so the next
    READ_VARIABLE reinterprets them with the read's own parameters: a silent change of meaning
    (XNNPACK refuses the model; the builtin kernels run it). pocketml refuses it at conversion."""
    data = _int8_accumulator(0.1)
    it = litert.Interpreter(model_content=data,
                            experimental_op_resolver_type=litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    it.allocate_tensors()
    x = np.array([[10, 0, -10, 20]], np.int8)
    first = _invoke(it, x)[0]
    second = _invoke(it, np.full((1, 4), 3, np.int8))[0]  # x = its zero point: adds a real 0
    # acc2 = acc + 0 requantized from scale 0.05 to 0.1, where acc holds first's integers unchanged
    want = np.round((first.astype(np.float64) - 3) * 0.05 / 0.1) + 3
    assert np.max(np.abs(second - want)) <= 1  # LiteRT really reinterpreted the integers
    with pytest.raises(PocketMLError, match="variable 'acc' is read or assigned with different quantization "
                                             "parameters"):
        (tmp_path / "acc.tflite").write_bytes(data)
        pocketml.convert(tmp_path / "acc.tflite")
