"""ONNX binary arithmetic import: broadcasting, variadic Sum/Max/Min chains and Mean, integer arithmetic, Pow, PRelu, Mod,
and the dtype matrix end to end (float16 rounded once, integers wrapping, Pow's mixed dtypes).

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
from pocketml import dtypes
from pocketml.errors import PocketMLError

from . import runtime_check
from .helpers import I64, check, one_node, ops_of, rand
from .runtime_check import RNG, check_runtime, model_of, values

runtime_check.T.update({d.np: d.onnx for d in dtypes.ALL})  # graph inputs of every dtype of the table


def edges(shape, dtype, nonzero=False):
    """Small values mixed with the dtype's MIN and MAX (integers wrap) or float16 fractions."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        v = (RNG.standard_normal(shape) * 3).astype(dtype)
    else:
        info = np.iinfo(dtype)
        v = RNG.integers(0 if dtype.kind == "u" else -9, 10, size=shape).astype(dtype)
        v.reshape(-1)[::5] = info.max
        v.reshape(-1)[2::7] = info.min + (1 if dtype.kind == "i" else 0)  # MIN / -1 traps inside onnxruntime
    return np.where(nonzero & (v == 0), dtype.type(1), v).astype(dtype)


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


MEAN_SHAPES = [[(1,)], [(13,), (13,)], [(2, 3, 5), (5,), (3, 1)], [(4, 1, 7), (1, 6, 1), (7,), ()],
               [(3, 1, 127), (3, 2, 1)]]


@pytest.mark.parametrize("shapes", MEAN_SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("opset", [8, 13])
def test_mean(shapes, dtype, opset):
    feeds = {f"x{k}": np.asarray(RNG.standard_normal(s) * 5, dtype) for k, s in enumerate(shapes)}
    check_runtime(model_of("Mean", feeds, opset=opset), feeds, rtol=1e-3 if dtype == np.float16 else 1e-5,
                  atol=1e-3 if dtype == np.float16 else 1e-6)


def test_mean_opset6_equal_shapes_and_its_ops():
    feeds = {"a": rand(2, 3), "b": rand(2, 3), "c": rand(2, 3)}
    graph = check(one_node("Mean", feeds, opset=6), feeds)
    assert ops_of(graph) == ["Add", "Add", "Div"]
    assert ops_of(check(one_node("Mean", {"a": feeds["a"]}, opset=13), {"a": feeds["a"]})) == ["Identity"]


def test_mean_of_integers_is_refused():
    feeds = {"a": np.ones(3, np.int32), "b": np.ones(3, np.int32)}
    model = model_of("Add", feeds, opset=13)  # onnx's shape inference refuses an int Mean: rename afterwards
    model.graph.node[0].op_type = "Mean"
    with pytest.raises(PocketMLError, match="Mean.*dtype int32 is not supported; supported: float32, float16"):
        pocketml.convert(model)


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


@pytest.mark.parametrize("op", ["Add", "Sub", "Mul", "Div", "Max", "Min"])
@pytest.mark.parametrize("dtype", [np.float16, np.int8, np.uint8, np.int16, np.uint16, np.uint32, np.uint64])
def test_arithmetic_dtypes(op, dtype):
    # bit-exact against onnxruntime: float16 computed in float32 and rounded once, integers wrapping
    feeds = {"a": edges((5, 13), dtype), "b": edges((13,), dtype, nonzero=op == "Div")}
    check_runtime(model_of(op, feeds), feeds, rtol=0, atol=0)


def test_max_min_float16_nan_like_onnxruntime():
    a, b = np.array([np.nan, 1, np.nan, 2, 0], np.float16), np.array([1, np.nan, np.nan, 3, -0.0], np.float16)
    for op in ("Max", "Min"):
        check_runtime(model_of(op, {"a": a, "b": b}), {"a": a, "b": b}, rtol=0, atol=0)


@pytest.mark.parametrize("base,exponent", [(np.int32, np.int32), (np.int64, np.int64), (np.int32, np.float32),
                                           (np.int64, np.float16), (np.float16, np.float16), (np.float16, np.int64),
                                           (np.float32, np.int32)])
def test_pow_types(base, exponent):
    a = np.array([[2, -3, 5, 7, 1, 0], [3, 4, -2, 6, 9, 2]]).astype(base)
    b = np.array([3, 2, 5, 0, 4, 1]).astype(exponent)
    feeds = {"a": a * (base(0.75) if np.dtype(base).kind == "f" else 1), "b": b}
    check_runtime(model_of("Pow", feeds), feeds, rtol=1e-6 if base != np.float16 else 0, atol=0)


@pytest.mark.parametrize("fmod", [0, 1])
@pytest.mark.parametrize("dtype", [np.int16, np.uint16, np.uint32, np.uint64])
def test_mod_dtypes(fmod, dtype):
    feeds = {"a": edges((4, 9), dtype), "b": edges((9,), dtype, nonzero=True)}
    check_runtime(model_of("Mod", feeds, {"fmod": fmod}), feeds)


@pytest.mark.parametrize("op", ["Div", "Mod"])
@pytest.mark.parametrize("dtype", [np.int16, np.uint8, np.uint64])
def test_integer_division_by_zero_is_a_clean_error(op, dtype):
    feeds = {"a": np.array([5, 6], dtype), "b": np.array([2, 0], dtype)}
    session = pocketml.Session(pocketml.convert(model_of(op, feeds)))
    with pytest.raises(PocketMLError, match="by zero"):
        session.run(feeds)


@pytest.mark.parametrize("dtype", [np.float16, np.int32, np.int64, np.uint32, np.uint64])
def test_prelu_dtypes(dtype):
    # ONNX's PRelu types beyond float32 (onnxruntime: float16 only; onnx's reference for the integers)
    feeds = {"x": edges((2, 3, 5), dtype), "slope": edges((3, 1), dtype)}
    check_runtime(model_of("PRelu", feeds), feeds, rtol=0, atol=0)
