"""Small hostile model files for the importer-hardening tests: each a few hundred bytes that
describe a huge tensor (ConstantOfShape of 2^40 elements, Expand to 2^62, Shape of a 256 TiB
input, Tile and Range with huge counts, a TFLite scale over 2^31 channels), built with
onnx.helper and the TFLite builder. ``write_all(dir)`` writes them all and returns the paths."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tests.converters.tflite.tflite_builder import build_model

F, I64 = TensorProto.FLOAT, TensorProto.INT64


def onnx_model(nodes, inputs=(), inits=None, outputs=("y",), opset=17) -> onnx.ModelProto:
    """inputs: [(name, elem_type, shape)]; inits: {name: array}; outputs get no declared shape."""
    graph = helper.make_graph(nodes, "crafted", [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
                              [helper.make_tensor_value_info(o, F, None) for o in outputs],
                              [numpy_helper.from_array(np.asarray(a), n) for n, a in (inits or {}).items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)


def constant_of_shape_2_40() -> onnx.ModelProto:
    return onnx_model([helper.make_node("ConstantOfShape", ["s"], ["y"], name="fill")],
                      inits={"s": np.array([1 << 20, 1 << 20], np.int64)})


def expand_2_62() -> onnx.ModelProto:
    """Expand to 2^31 x 2^31 (a constant target), and a run-time target shape of 2^62 values."""
    return onnx_model([helper.make_node("Expand", ["x", "s"], ["y"], name="grow"),
                       helper.make_node("Expand", ["x", "r"], ["z"], name="grow_rt")],
                      [("x", F, [1]), ("r", I64, [1 << 62])], {"s": np.array([1 << 31, 1 << 31], np.int64)},
                      outputs=("y", "z"))


def shape_of_huge() -> onnx.ModelProto:
    return onnx_model([helper.make_node("Shape", ["x"], ["s"], name="dims"),
                       helper.make_node("Cast", ["s"], ["y"], to=F, name="as_float")],
                      [("x", F, [1 << 20, 1 << 20, 64])])


def tile_huge() -> onnx.ModelProto:
    return onnx_model([helper.make_node("Tile", ["x", "r"], ["y"], name="tiles")],
                      inits={"x": np.ones((2, 2), np.float32), "r": np.array([1 << 30, 1 << 30], np.int64)})


def range_huge() -> onnx.ModelProto:
    return onnx_model([helper.make_node("Range", ["a", "b", "d"], ["y"], name="count")],
                      inits={"a": np.array(0, np.float32), "b": np.array(1e30, np.float32),
                             "d": np.array(1, np.float32)})


def tflite_scale_over_huge_channels() -> bytes:
    """MUL then ADD by scalars over [1, 2^31-1]: BatchNorm folding would spread them over every channel."""
    c = (1 << 31) - 1
    return build_model([("MUL", ["x", "s"], ["m"], None), ("ADD", ["m", "b"], ["y"], None)],
                       {"x": ("float32", (1, c), None), "s": ("float32", (), np.float32(2)),
                        "b": ("float32", (), np.float32(1)), "m": ("float32", (1, c), None),
                        "y": ("float32", (1, c), None)}, ["x"], ["y"])


ONNX_FILES = {"constant_of_shape_2_40": constant_of_shape_2_40, "expand_2_62": expand_2_62,
              "shape_of_huge": shape_of_huge, "tile_huge": tile_huge, "range_huge": range_huge}


def write_all(directory) -> dict:
    """Write every crafted model into ``directory``: {name: path}."""
    paths = {}
    for name, make in ONNX_FILES.items():
        paths[name] = directory / f"{name}.onnx"
        onnx.save(make(), paths[name])
    paths["tflite_scale_over_huge_channels"] = directory / "tflite_scale_over_huge_channels.tflite"
    paths["tflite_scale_over_huge_channels"].write_bytes(tflite_scale_over_huge_channels())
    return paths


def loop_10_12() -> onnx.ModelProto:
    """A Loop of constant inputs with a trip count of 10^12: folding it at conversion would never end."""
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]), helper.make_node("Add", ["v_in", "one"], ["v_out"])],
        "body", [helper.make_tensor_value_info("i", I64, []), helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
                 helper.make_tensor_value_info("v_in", F, [1])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []), helper.make_tensor_value_info("v_out", F, [1])],
        [numpy_helper.from_array(np.array([1], np.float32), "one")])
    return onnx_model([helper.make_node("Loop", ["m", "c", "v0"], ["y"], body=body, name="count_up")],
                      inits={"m": np.array(10 ** 12, np.int64), "c": np.array(True), "v0": np.zeros(1, np.float32)})


def pool_with_huge_kernel() -> onnx.ModelProto:
    """AveragePool SAME_UPPER with a 2^31-wide kernel on a constant input: SAME pads it by 2^31."""
    return onnx_model([helper.make_node("AveragePool", ["x"], ["y"], name="pool", auto_pad="SAME_UPPER",
                                        kernel_shape=[1 << 31, 2])],
                      inits={"x": np.ones((1, 3, 32, 32), np.float32)}, opset=22)


ONNX_FILES.update({"loop_10_12": loop_10_12, "pool_with_huge_kernel": pool_with_huge_kernel})

