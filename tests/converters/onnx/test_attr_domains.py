"""Attribute values outside their ONNX domain are refused by the importer, with onnxruntime as
the oracle: each case builds a one-node model with an out-of-domain attribute, asserts that
pocketml.convert raises ConversionError naming the attribute and its value, and that
onnxruntime also refuses the model (creating the session or running it raises). Where
onnxruntime accepts a value the ONNX spec excludes, the case says so (ORT_ACCEPTS, with the
reason) and the test asserts onnxruntime does run it: pocketml follows the spec there.
"""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

import pocketml

from .helpers import i64, one_node, rand

REFUSES = "refuses"
# onnxruntime reads these flags as "nonzero = true" and never checks them against {0, 1}
ORT_ACCEPTS_FLAG = "accepts: onnxruntime takes any nonzero int as true"

X4 = {"x": rand(2, 4, 6, 6)}
X3 = {"x": rand(2, 3, 4)}


def case(op, attrs, feeds, fragment, ort_verdict=REFUSES, inits=None, opset=17, n_out=1):
    return pytest.param(op, attrs, feeds, inits or {}, opset, n_out, fragment, ort_verdict,
                        id=f"{op}-{'-'.join(f'{k}={v}' for k, v in attrs.items())}")


CASES = [
    # boolean-like ints
    case("ReduceMax", {"keepdims": 7}, X3, "keepdims=7 is outside its domain; allowed: 0 or 1", ORT_ACCEPTS_FLAG),
    case("ReduceSum", {"keepdims": 2, "axes": [1]}, X3, "keepdims=2", ORT_ACCEPTS_FLAG, opset=11),
    case("ArgMax", {"select_last_index": 3}, X3, "select_last_index=3"),
    case("AveragePool", {"kernel_shape": [2, 2], "ceil_mode": 3}, X4, "ceil_mode=3", ORT_ACCEPTS_FLAG),
    case("AveragePool", {"kernel_shape": [2, 2], "count_include_pad": 2}, X4, "count_include_pad=2",
         ORT_ACCEPTS_FLAG),
    case("Gemm", {"transA": 2}, {"a": rand(3, 3), "b": rand(3, 3)}, "transA=2", ORT_ACCEPTS_FLAG),
    case("CumSum", {"exclusive": 2}, {"x": rand(4)}, "exclusive=2", inits={"axis": i64(0)}),
    case("CumSum", {"reverse": 5}, {"x": rand(4)}, "reverse=5", inits={"axis": i64(0)}),
    case("TopK", {"largest": 2}, {"x": rand(5)}, "largest=2", inits={"k": i64(2)}, n_out=2),
    case("Trilu", {"upper": 2}, {"x": rand(3, 3)}, "upper=2", ORT_ACCEPTS_FLAG),
    case("Mod", {"fmod": 2}, {"a": rand(4), "b": rand(4) + 2}, "fmod=2"),
    case("Reshape", {"allowzero": 2}, {"x": rand(2, 3)}, "allowzero=2", ORT_ACCEPTS_FLAG, opset=14,
         inits={"shape": i64(3, 2)}),
    # axes, perm
    case("ArgMax", {"axis": 3}, X3, "axis=3 is outside its domain; allowed: an axis in [-3, 2]"),
    case("Softmax", {"axis": 4}, X3, "axis=4"),
    case("Concat", {"axis": -4}, {"a": rand(2, 3), "b": rand(2, 3)}, "axis=-4"),
    case("Flatten", {"axis": 4}, X3, "axis=4 is outside its domain; allowed: an axis in [-3, 3]"),
    case("Gather", {"axis": 2}, {"x": rand(3, 4)}, "axis=2", inits={"i": i64(0)}),
    case("GatherElements", {"axis": -3}, {"x": rand(3, 4)}, "axis=-3", inits={"i": i64(0, 1).reshape(1, 2)}),
    case("Split", {"axis": 3}, X3, "axis=3", opset=11),
    case("Squeeze", {"axes": [0, 0]}, {"x": rand(1, 3)}, "axes=[0, 0]", "accepts: onnxruntime squeezes a repeated "
         "axis once; the spec's axes name distinct dims (Unsqueeze's shape inference refuses repeats)", opset=11),
    case("Unsqueeze", {"axes": [3]}, {"x": rand(2, 3)}, "axes=[3]", opset=11),
    case("Transpose", {"perm": [0, 0, 1]}, X3, "perm=[0, 0, 1] is outside its domain; allowed: a permutation of 0..2"),
    case("Transpose", {"perm": [1, 0]}, X3, "perm=[1, 0]"),
    # string enums
    case("MaxPool", {"kernel_shape": [2, 2], "auto_pad": "SAME"}, X4, "auto_pad='SAME' is outside its domain; "
         "allowed: one of NOTSET, SAME_UPPER, SAME_LOWER, VALID"),
    case("Pad", {"mode": "mirror"}, {"x": rand(3, 3)}, "mode='mirror'", opset=18, inits={"pads": i64(1, 1, 1, 1)}),
    case("DepthToSpace", {"blocksize": 2, "mode": "DRC"}, X4, "mode='DRC'"),
    case("Resize", {"mode": "area"}, X4, "mode='area'", opset=13,
         inits={"roi": np.zeros(0, np.float32), "scales": np.array([1, 1, 2, 2], np.float32)}),
    case("Resize", {"coordinate_transformation_mode": "center"}, X4, "coordinate_transformation_mode='center'",
         opset=13, inits={"roi": np.zeros(0, np.float32), "scales": np.array([1, 1, 2, 2], np.float32)}),
    case("Resize", {"nearest_mode": "up"}, X4, "nearest_mode='up'", opset=13, inits={"roi": np.zeros(0, np.float32), "scales": np.array([1, 1, 2, 2], np.float32)}),
    case("GridSample", {"padding_mode": "wrap"}, {"x": rand(1, 1, 3, 3), "g": rand(1, 2, 2, 2)},
         "padding_mode='wrap'", opset=16),
    case("GridSample", {"mode": "linear"}, {"x": rand(1, 1, 3, 3), "g": rand(1, 2, 2, 2)}, "mode='linear'",
         opset=16),
    case("ScatterElements", {"reduction": "sub"}, {"x": rand(3)}, "reduction='sub'", "accepts: onnxruntime "
         "runs an unknown reduction as 'none'; the spec allows none, add, mul, max, min", opset=16,
         inits={"i": i64(0), "u": rand(1)}),
    case("BitShift", {"direction": "UP"}, {"a": np.arange(4, dtype=np.uint32), "b": np.ones(4, np.uint32)},
         "direction='UP'"),
    case("LpNormalization", {"p": 3}, X3, "p=3"),
    case("Gelu", {"approximate": "fast"}, X3, "approximate='fast'", opset=20),
    case("LSTM", {"hidden_size": 2, "direction": "sideways"}, {"x": rand(2, 1, 3)}, "direction='sideways'",
         inits={"w": rand(1, 8, 3), "r": rand(1, 8, 2)}),
    # sizes: kernel, strides, dilations, pads, group, blocksize
    case("MaxPool", {"kernel_shape": [2, 2], "strides": [0, 1]}, X4,
         "strides=[0, 1] is outside its domain; allowed: 2 integers >= 1"),
    case("MaxPool", {"kernel_shape": [2, 2], "pads": [-1, 0, 0, 0]}, X4, "pads=[-1, 0, 0, 0]"),
    case("MaxPool", {"kernel_shape": [2, 2], "pads": [0, 0]}, X4, "pads=[0, 0] is outside its domain; "
         "allowed: 4 integers >= 0"),
    case("MaxPool", {"kernel_shape": [2, 0]}, X4, "kernel_shape=[2, 0]"),
    case("MaxPool", {"kernel_shape": [2, 2], "dilations": [1, -1]}, X4, "dilations=[1, -1]"),
    case("Conv", {"strides": [1, -2]}, X4, "strides=[1, -2]", inits={"w": rand(4, 4, 3, 3)}),
    case("Conv", {"group": 3}, X4, "group=3 is outside its domain; allowed: an integer >= 1 dividing the 4 "
         "input channels", inits={"w": rand(3, 1, 3, 3)}),
    case("Conv", {"group": 0}, X4, "group=0", inits={"w": rand(4, 4, 3, 3)}),
    case("DepthToSpace", {"blocksize": 0}, X4, "blocksize=0 is outside its domain; allowed: an integer >= 1"),
    case("SpaceToDepth", {"blocksize": -2}, X4, "blocksize=-2"),
    case("LRN", {"size": 0}, X4, "size=0"),
    case("Pad", {"pads": [1, 1, 1]}, {"x": rand(3, 3)}, "pads=[1, 1, 1] is outside its domain; allowed: 4 values "
         "(2 per axis of the rank-2 input)", opset=10),
    case("Upsample", {"scales": [1.0, 1.0, 0.5, 2.0]}, X4, "scales=[1.0, 1.0, 0.5, 2.0] is outside its domain; "
         "allowed: each element a number >= 1.0", opset=8),
    case("MaxUnpool", {"kernel_shape": [2, 2], "strides": [0, 2]}, {"x": rand(1, 1, 2, 2)}, "strides=[0, 2]",
         inits={"i": i64(0, 1, 2, 3).reshape(1, 1, 2, 2)}),
    case("ConvTranspose", {"output_padding": [-1, 0]}, X4, "output_padding=[-1, 0]", inits={"w": rand(4, 2, 3, 3)}),
    case("OneHot", {"axis": 3}, {"i": np.array([0, 2], np.int64)}, "axis=3 is outside its domain; allowed: an axis "
         "in [-2, 1]", inits={"depth": i64(3), "values": np.array([0, 1], np.float32)}),
    case("ReverseSequence", {"batch_axis": 2}, {"x": rand(3, 2)}, "batch_axis=2", inits={"lens": i64(1, 2)}),
    case("LayerNormalization", {"axis": 3}, X3, "axis=3", inits={"scale": rand(4)}),
    case("NonMaxSuppression", {"center_point_box": 2}, {"b": rand(1, 3, 4), "s": rand(1, 1, 3)},
         "center_point_box=2", opset=11),
    case("Unique", {"sorted": 3}, {"x": rand(5)}, "sorted=3", ORT_ACCEPTS_FLAG, opset=11, n_out=1),
    case("GatherND", {"batch_dims": -1}, {"x": rand(2, 3)}, "batch_dims=-1", inits={"i": i64(0, 1).reshape(1, 2)}),
    case("DequantizeLinear", {"block_size": -2}, {"x": np.zeros((2, 4), np.int8)}, "block_size=-2", opset=21,
         inits={"s": np.ones((2, 2), np.float32)}),
]


def _ort_refuses(model, feeds) -> bool:
    try:
        sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        sess.run(None, feeds)
    except Exception:  # onnxruntime raises its own Fail / InvalidArgument / RuntimeException types
        return True
    return False


@pytest.mark.parametrize("op,attrs,feeds,inits,opset,n_out,fragment,ort_verdict", CASES)
def test_out_of_domain_attribute_is_refused(op, attrs, feeds, inits, opset, n_out, fragment, ort_verdict):
    model = one_node(op, feeds, attrs, inits=inits, opset=opset, n_out=n_out)
    with pytest.raises(pocketml.ConversionError) as e:
        pocketml.convert(model)
    msg = str(e.value)
    assert fragment in msg, msg
    assert f"my_{op.lower()}" in msg and op in msg  # the node and the op are named
    # the oracle: onnxruntime refuses it too, or the case says why it does not
    assert _ort_refuses(model, feeds) == (ort_verdict == REFUSES), ort_verdict


def test_wrong_attribute_type_is_refused():
    """A string where the spec has an int: the ONNX checker does not see it when a graph output has
    no declared shape (which pocketml, like onnxruntime, tolerates), so pocketml's own check of the
    attribute types against the op's schema (converters/onnx/dispatch.py) reports it."""
    model = one_node("DepthToSpace", X4, {"blocksize": "2"})
    del model.graph.output[0].type.tensor_type.shape.dim[:]
    model.graph.output[0].type.tensor_type.ClearField("shape")
    with pytest.raises(pocketml.ConversionError, match=r"'my_depthtospace' \(DepthToSpace.*attribute 'blocksize' "
                                                       r"holds STRING, the op takes INT"):
        pocketml.convert(model)


def test_values_inside_the_domain_still_convert():
    """The boundaries of each domain are accepted (a check that refuses everything would pass above)."""
    x = rand(2, 4, 6, 6)
    for op, attrs, inits in [("ReduceMax", {"keepdims": 0}, {}), ("Softmax", {"axis": -4}, {}),
                             ("Transpose", {"perm": [3, 2, 1, 0]}, {}), ("Flatten", {"axis": 4}, {}),
                             ("MaxPool", {"kernel_shape": [1, 1], "pads": [0, 0, 0, 0], "ceil_mode": 1}, {}),
                             ("Conv", {"group": 4}, {"w": rand(4, 1, 3, 3)}),
                             ("DepthToSpace", {"blocksize": 2, "mode": "CRD"}, {})]:
        model = one_node(op, {"x": x}, attrs, inits=inits)
        pocketml.convert(model)


# attributes whose spec domain is {0, 1} wherever they occur, and the enum-valued ones by name
FLAG_ATTRS = {"keepdims", "select_last_index", "exclusive", "reverse", "noop_with_empty_axes", "ceil_mode",
              "count_include_pad", "transA", "transB", "largest", "sorted", "upper", "allowzero", "fmod",
              "center_point_box", "detect_positive", "detect_negative", "align_corners", "antialias",
              "exclude_outside", "is_causal", "interleaved", "inverse", "onesided", "periodic", "new_axis",
              "training_mode", "layout", "input_forget", "linear_before_reset", "storage_order", "saturate"}
ENUM_ATTRS = {"auto_pad", "mode", "direction", "reduction", "coordinate_transformation_mode", "nearest_mode",
              "padding_mode", "keep_aspect_ratio_policy", "approximate", "update_rule", "activation"}
CHECKED_ATTRS = FLAG_ATTRS | ENUM_ATTRS | {"axis", "axes", "perm", "strides", "dilations", "kernel_shape", "pads",
                                          "group", "blocksize"}
# (op, attribute) left to the handler or the registry's infer on purpose
UNDECLARED = {("DequantizeLinear", "axis"), ("QuantizeLinear", "axis"),  # ignored with per-tensor scales (models
              # write axis=1 on 1-D inputs); the registry's infer checks it when the scale is per axis
              ("ConcatFromSequence", "axis")}  # the rank is the sequence items': Concat's infer checks it


def test_every_handler_declares_the_domains_of_its_spec_attributes():
    """A guard for handlers added later: every ONNX op the importer converts that has (in its
    latest schema) a flag, enum, axis, perm or window attribute states its domain with @domain."""
    import onnx

    from pocketml.converters.onnx.context import HANDLERS

    missing = []
    for op, fn in sorted(HANDLERS.items()):
        try:
            schema = onnx.defs.get_schema(op)
        except onnx.defs.SchemaError:
            continue
        declared = getattr(fn, "domain", {})
        for attr in schema.attributes:
            if attr in CHECKED_ATTRS and attr not in declared and (op, attr) not in UNDECLARED:
                missing.append(f"{op}.{attr}")
    assert not missing, f"handlers without a domain for: {', '.join(missing)}"
