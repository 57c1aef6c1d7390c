"""ONNX binary arithmetic import: broadcasting, variadic Sum/Max/Min chains, integer arithmetic, Pow, PRelu, Mod.

Imported graphs run with the registry's numpy references and are compared with onnxruntime
(helpers.check).
End-to-end cases convert with pocketml.convert and run the C runtime at one and two threads
against onnxruntime, or onnx's reference evaluator where onnxruntime has no kernel
(runtime_check.check_runtime).
"""
from __future__ import annotations

import numpy as np
import pytest

import pocketml
from pocketml.errors import PocketMLError

from .helpers import I64, check, one_node, ops_of, rand
from .runtime_check import RNG, check_runtime, model_of, values


@pytest.mark.parametrize("op", ["Add", "Sub", "Mul", "Div", "Max", "Min"])
def test_binary_broadcast(op):
    a, b = rand(2, 3, 4, 5), rand(3, 1, 1, low=0.5, high=2)
    check(one_node(op, {"a": a}, {}, {"b": b}), {"a": a})


@pytest.mark.parametrize("op,ir_op", [("Sum", "Add"), ("Max", "Max"), ("Min", "Min")])
def test_variadic_becomes_chain(op, ir_op):
    feeds = {"a": rand(2, 3), "b": rand(3), "c": rand(2, 1), "d": rand(2, 3)}
    graph = check(one_node(op, feeds), feeds)
    assert ops_of(graph) == [ir_op] * 3


def test_sum_of_one_is_identity():
    feeds = {"a": rand(2, 3)}
    assert ops_of(check(one_node("Sum", feeds), feeds)) == ["Identity"]


def test_int_arithmetic():
    a, b = np.array([7, -7, 9, -9], np.int64), np.array([2, 2, -4, -4], np.int64)
    for op in ("Add", "Sub", "Mul", "Div", "Max", "Min"):
        check(one_node(op, {"a": a, "b": b}, out_type=I64), {"a": a, "b": b})


@pytest.mark.parametrize("opset", [7, 13, 15])
def test_pow(opset):
    a = rand(3, 4, low=0.1, high=2)
    check(one_node("Pow", {"a": a}, {}, {"b": np.array(2.5, np.float32)}, opset), {"a": a})


def test_pow_int_exponent_is_cast():
    a = rand(3, 4, low=0.1, high=2)
    graph = check(one_node("Pow", {"a": a}, {}, {"b": np.array(3, np.int64)}, 15), {"a": a})
    assert ops_of(graph) == ["Pow"]  # the constant exponent's Cast folded


def test_prelu_channel_slope():
    x = rand(2, 3, 4, 4)
    check(one_node("PRelu", {"x": x}, {}, {"slope": rand(3, 1, 1)}), {"x": x})


@pytest.mark.parametrize("fmod", [0, 1])
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.int8, np.uint8, np.float32, np.float16])
def test_mod(fmod, dtype):
    a = values((6, 11), dtype, -60, 60)
    b = RNG.choice([-7, -3, -1, 1, 2, 5], size=(11,))
    b = (np.abs(b) if np.dtype(dtype).kind == "u" else b).astype(dtype)
    if np.dtype(dtype).kind == "f":
        a = (a * 0.37).astype(dtype)
    feeds = {"a": a, "b": b}
    check_runtime(model_of("Mod", feeds, {"fmod": fmod}), feeds, rtol=1e-3 if dtype == np.float16 else 1e-5, atol=1e-5)


def test_mod_by_zero_is_a_clean_error():
    feeds = {"a": np.array([5, 6], np.int64), "b": np.array([2, 0], np.int64)}
    session = pocketml.Session(pocketml.convert(model_of("Mod", feeds)))
    with pytest.raises(PocketMLError, match="modulo by zero"):
        session.run(feeds)
