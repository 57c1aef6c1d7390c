"""ONNX sequence and optional ops resolved at conversion, against onnxruntime: sequences whose items are known
while converting (construct, insert, erase, at, length, split, concat), and the pattern exporters
write for a list grown in a loop (SequenceEmpty, a Loop whose body appends with SequenceInsert,
then ConcatFromSequence / SequenceAt / SequenceLength), which becomes a scan output of the Loop."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import pocketml
from pocketml.errors import UnsupportedOpError

F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL
RNG = np.random.default_rng(17)


def _seq_info(name):
    return helper.make_value_info(name, helper.make_sequence_type_proto(helper.make_tensor_type_proto(F, None)))


def _i64(name, v):
    return numpy_helper.from_array(np.array(v, np.int64), name)


def _model(nodes, inputs, outputs, inits=()):
    graph = helper.make_graph(nodes, "m", [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
                              [helper.make_tensor_value_info(o, t, None) for o, t in outputs], initializer=list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _check(model, feeds_list):
    session = pocketml.Session(pocketml.convert(model))
    oracle = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in model.graph.output]
    for feeds in feeds_list:
        got = session.run(feeds)
        for name, want in zip(names, oracle.run(None, feeds)):
            assert got[name].shape == want.shape, name
            np.testing.assert_allclose(got[name], want, rtol=1e-6, atol=1e-6)


def test_sequences_known_at_conversion():
    nodes = [
        helper.make_node("SequenceConstruct", ["a", "b", "c"], ["s0"]),
        helper.make_node("SequenceInsert", ["s0", "x", "one"], ["s1"]),       # a x b c
        helper.make_node("SequenceErase", ["s1", "minus_one"], ["s2"]),        # a x b
        helper.make_node("SequenceAt", ["s2", "one"], ["at1"]),                # x
        helper.make_node("SequenceLength", ["s2"], ["n"]),
        helper.make_node("ConcatFromSequence", ["s2"], ["stacked"], axis=-1, new_axis=1),
        helper.make_node("SplitToSequence", ["x"], ["parts"], axis=1, keepdims=0),
        helper.make_node("ConcatFromSequence", ["parts"], ["joined"], axis=0),
    ]
    model = _model(nodes, [(n, F, [2, 3]) for n in "abcx"],
                   [("at1", F), ("n", I64), ("stacked", F), ("joined", F)], [_i64("one", 1), _i64("minus_one", -1)])
    _check(model, [{n: RNG.standard_normal((2, 3)).astype(np.float32) for n in "abcx"}])


def _appending_loop(concat_axis: int, new_axis: int):
    """ys = [x0]; for i in range(m): ys.append(x * i); then stack/concat them, count them, take the last."""
    body = helper.make_graph(
        [helper.make_node("Cast", ["i"], ["fi"], to=F), helper.make_node("Mul", ["x", "fi"], ["y"]),
         helper.make_node("SequenceInsert", ["seq_in", "y"], ["seq_out"]), helper.make_node("Identity", ["c"], ["c2"])],
        "body", [helper.make_tensor_value_info("i", I64, []), helper.make_tensor_value_info("c", B, []),
                 _seq_info("seq_in")],
        [helper.make_tensor_value_info("c2", B, []), _seq_info("seq_out")])
    nodes = [helper.make_node("SequenceConstruct", ["x0"], ["seq0"]),
             helper.make_node("Loop", ["m", "", "seq0"], ["seq"], body=body),
             helper.make_node("ConcatFromSequence", ["seq"], ["all"], axis=concat_axis, new_axis=new_axis),
             helper.make_node("SequenceLength", ["seq"], ["count"]),
             helper.make_node("SequenceAt", ["seq", "last"], ["final"])]
    return _model(nodes, [("x", F, [2, 3]), ("x0", F, [2, 3]), ("m", I64, [])],
                  [("all", F), ("count", I64), ("final", F)], [_i64("last", -1)])


@pytest.mark.parametrize("concat_axis,new_axis", [(0, 1), (1, 1), (-1, 1), (0, 0), (1, 0)])
def test_list_appended_in_a_loop_becomes_a_scan_output(concat_axis, new_axis):
    model = _appending_loop(concat_axis, new_axis)
    converted = pocketml.convert(model)
    (loop,) = [n for n in converted.graph.nodes if n.op == "Loop"]
    assert loop.attrs["n_carried"] == 0  # the sequence left the carried values
    x, x0 = (RNG.standard_normal((2, 3)).astype(np.float32) for _ in range(2))
    _check(model, [{"x": x, "x0": x0, "m": np.array(m, np.int64)} for m in (3, 1, 5, 3)])


def test_a_sequence_graph_input_is_refused_naming_its_type():
    model = _model([helper.make_node("SequenceLength", ["s"], ["n"])], [], [("n", I64)])
    model.graph.input.append(_seq_info("s"))
    with pytest.raises(UnsupportedOpError, match="graph input 's' has type sequence"):
        pocketml.convert(model)


def test_optionals_made_in_the_graph():
    """Optional(x) holds x, Optional() of a type is empty: OptionalHasElement and OptionalGetElement
    resolve at conversion; an optional tensor graph input is fed as a tensor."""
    tensor_type = helper.make_tensor_type_proto(F, [2, 3])
    nodes = [helper.make_node("Optional", ["x"], ["ox"]),
             helper.make_node("Optional", [], ["empty"], type=tensor_type),
             helper.make_node("OptionalHasElement", ["ox"], ["has_x"]),
             helper.make_node("OptionalHasElement", ["empty"], ["has_empty"]),
             helper.make_node("OptionalGetElement", ["ox"], ["got"]),
             helper.make_node("OptionalGetElement", ["oy"], ["got_y"]),
             helper.make_node("OptionalHasElement", ["oy"], ["has_y"]),
             helper.make_node("Add", ["got", "got_y"], ["sum"])]
    graph = helper.make_graph(nodes, "m", [helper.make_tensor_value_info("x", F, [2, 3])],
                              [helper.make_tensor_value_info(o, t, None)
                               for o, t in (("has_x", B), ("has_empty", B), ("sum", F), ("has_y", B))])
    graph.input.append(helper.make_value_info("oy", helper.make_optional_type_proto(tensor_type)))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    _check(model, [{"x": RNG.standard_normal((2, 3)).astype(np.float32),
                    "oy": RNG.standard_normal((2, 3)).astype(np.float32)}])
