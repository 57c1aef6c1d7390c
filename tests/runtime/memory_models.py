"""Small ONNX models with symbolic dims for the memory tests (test_memory_limit.py,
test_poisoned_arena.py, test_soak.py): a one-node recurrent layer with a symbolic batch, and a
small CNN with a symbolic batch and padding. Built with onnx.helper; weights from a fixed seed."""
from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def _w(rng, name, *shape, scale=0.4):
    return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)


def recurrent(op: str, hidden: int = 128, features: int = 1, seq: int = 2, seed: int = 0):
    """X [seq, batch, features] -> op -> Y [seq, 1, batch, hidden], Y_h [1, batch, hidden]; batch symbolic."""
    rng, g = np.random.default_rng(seed), GATES[op]
    inits = [_w(rng, "W", 1, g * hidden, features), _w(rng, "R", 1, g * hidden, hidden, scale=0.2),
             _w(rng, "B", 1, 2 * g * hidden, scale=0.1)]
    node = helper.make_node(op, ["X", "W", "R", "B"], ["Y", "Y_h"], name=f"my_{op.lower()}", hidden_size=hidden)
    graph = helper.make_graph([node], op.lower(), [helper.make_tensor_value_info("X", F, [seq, "batch", features])],
                              [helper.make_tensor_value_info(o, F, None) for o in ("Y", "Y_h")], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], ir_version=8)


def small_cnn(seed: int = 0):
    """x [N, 3, H, W] (all three symbolic) -> Pad -> Conv 3x3 -> Relu -> Conv 3x3 stride 2 with pads -> global
    average pool -> MatMul -> Softmax: y [N, 5]."""
    rng = np.random.default_rng(seed)
    nodes = [helper.make_node("Pad", ["x", "pads"], ["xp"], mode="reflect"),
             helper.make_node("Conv", ["xp", "w1", "b1"], ["c1"]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("Conv", ["r1", "w2"], ["c2"], pads=[1, 1, 1, 1], strides=[2, 2]),
             helper.make_node("GlobalAveragePool", ["c2"], ["p"]),
             helper.make_node("Flatten", ["p"], ["f"]),
             helper.make_node("MatMul", ["f", "g"], ["m"]),
             helper.make_node("Softmax", ["m"], ["y"], axis=-1)]
    inits = [numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pads"),
             _w(rng, "w1", 8, 3, 3, 3), _w(rng, "b1", 8), _w(rng, "w2", 6, 8, 3, 3), _w(rng, "g", 6, 5)]
    graph = helper.make_graph(nodes, "cnn", [helper.make_tensor_value_info("x", F, ["N", 3, "H", "W"])],
                              [helper.make_tensor_value_info("y", F, ["N", 5])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
