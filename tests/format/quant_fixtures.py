"""The quantized-tensor fixtures of the C tests (make_c_fixtures.py writes them to native/tests/data/).

quant.pml moves quantized tensors through data-movement ops only (a per-tensor int8 input through
Reshape, a per-channel int8 constant through Transpose, which moves its channel axis, an int32
bias through Identity), so a session runs it; the invalid cases break one rule each of the
loader's quantization checks (model_quant.c) or of the guard that refuses ops computing on
quantized integers (quant_guard.c), with the message each must give.
"""
from __future__ import annotations

import copy

import numpy as np

from pocketml import ir
from pocketml.format.header import pack_file
from pocketml.format.records import QuantRecord, build_flatbuffer
from pocketml.format.writer import graph_to_records, write_pml
from pocketml.quant_params import QuantParams
from pocketml.shape_inference import infer_shapes

INVALID_MODEL, UNSUPPORTED = "invalid model", "unsupported"
Q_X = QuantParams(0.0625, -3)
Q_W = QuantParams([0.5, 0.25, 0.125], [1, 0, -1], axis=0)
Q_B = QuantParams([0.03125, 0.015625, 0.0078125], 0, axis=0)
W = np.arange(-3, 3, dtype=np.int8).reshape(3, 2)


def quant_graph() -> ir.Graph:
    """x int8 [1,4] (per tensor) -> Reshape [2,2] -> y; w int8 [3,2] (per channel, axis 0) ->
    Transpose -> wt [2,3] (axis 1); b int32 [3] (axis 0) -> Identity -> b_out; f float32 -> Relu -> g."""
    g = ir.Graph("quant")
    g.add_value("x", "int8", (1, 4), quant=Q_X)
    g.add_value("f", "float32", (2,))
    g.inputs = ["x", "f"]
    g.add_value("w", const=W, quant=Q_W)
    g.add_value("b", const=np.array([7, -7, 0], np.int32), quant=Q_B)
    g.add_node("Reshape", ["x"], ["y"], {"shape": [2, 2]}, name="reshape")
    g.add_node("Transpose", ["w"], ["wt"], {"perm": [1, 0]}, name="transpose")
    g.add_node("Identity", ["b"], ["b_out"], name="identity")
    g.add_node("Relu", ["f"], ["g"], name="relu")
    g.outputs = ["y", "wt", "b_out", "g"]
    infer_shapes(g)
    g.values["y"].quant = Q_X
    g.values["wt"].quant = Q_W.permuted([1, 0])
    g.values["b_out"].quant = Q_B
    return g


def _graph_of(op: str, attrs: dict, out_shape) -> ir.Graph:
    """x int8 [2,2] (Q_X) -> op -> y (Q_X): an op that the guard must refuse."""
    g = ir.Graph(op.lower())
    g.add_value("x", "int8", (2, 2), quant=Q_X)
    g.inputs = ["x"]
    g.add_value("y", "int8", out_shape, quant=Q_X)
    g.add_node(op, ["x"], ["y"], attrs, name=op.lower())
    g.outputs = ["y"]
    return g


def _tensor(rec, name: str):
    return next(t for t in rec.tensors if t.name == name)


def _q(mutate) -> bytes:
    rec, weights = graph_to_records(quant_graph())
    rec = copy.deepcopy(rec)
    mutate(rec)
    return pack_file(build_flatbuffer(rec), weights)


def _quant_of(name: str, **fields):
    def mutate(rec):
        t = _tensor(rec, name)
        base = t.quant or QuantRecord([0.5], [0], -1)
        t.quant = QuantRecord(**{"scale": base.scale, "zero_point": base.zero_point, "axis": base.axis, **fields})
    return mutate


def _set_dtype(name: str, dtype: int):
    def mutate(rec):
        _tensor(rec, name).dtype = dtype
    return mutate


def invalid_cases() -> list:
    """[(case name, stage, status string, message substring, file bytes)], as make_c_fixtures lists them."""
    cases = [
        ("quant_count", "load", INVALID_MODEL, "tensor 3 ('w'): 2 scales along axis 0, whose dim is 3",
         _q(_quant_of("w", scale=[0.5, 0.25], zero_point=[0, 0]))),
        ("quant_zero_points", "load", INVALID_MODEL, "tensor 3 ('w'): quantization has 3 scales and 2 zero points",
         _q(_quant_of("w", zero_point=[0, 0]))),
        ("quant_no_scale", "load", INVALID_MODEL, "tensor 0 ('x'): quantization has 0 scales and 0 zero points",
         _q(_quant_of("x", scale=[], zero_point=[]))),
        ("quant_axis", "load", INVALID_MODEL, "tensor 3 ('w'): quantization axis 2 is out of range for rank 2",
         _q(_quant_of("w", axis=2))),
        ("quant_axis_negative", "load", INVALID_MODEL, "tensor 0 ('x'): quantization axis -2 is out of range",
         _q(_quant_of("x", axis=-2))),
        ("quant_scale_zero", "load", INVALID_MODEL, "tensor 0 ('x'): scale[0] is 0; scales must be finite and > 0",
         _q(_quant_of("x", scale=[0.0]))),
        ("quant_scale_negative", "load", INVALID_MODEL, "tensor 3 ('w'): scale[1] is -0.25",
         _q(_quant_of("w", scale=[0.5, -0.25, 0.125]))),
        ("quant_scale_nan", "load", INVALID_MODEL, "tensor 0 ('x'): scale[0] is nan",
         _q(_quant_of("x", scale=[float("nan")]))),
        ("quant_scale_inf", "load", INVALID_MODEL, "tensor 0 ('x'): scale[0] is inf",
         _q(_quant_of("x", scale=[float("inf")]))),
        ("quant_zero_point_int8", "load", INVALID_MODEL,
         "tensor 0 ('x'): zero_point[0] is 128, outside int8's range [-128, 127]", _q(_quant_of("x", zero_point=[128]))),
        ("quant_zero_point_uint8", "load", INVALID_MODEL,
         "tensor 0 ('x'): zero_point[0] is -1, outside uint8's range [0, 255]",
         _q(lambda r: (_set_dtype("x", 4)(r), _quant_of("x", zero_point=[-1])(r)))),
        ("quant_zero_point_bias", "load", INVALID_MODEL,
         "tensor 5 ('b'): zero_point[2] is 5, outside int32's range [0, 0]", _q(_quant_of("b", zero_point=[0, 0, 5]))),
        ("quant_on_float", "load", INVALID_MODEL,
         "tensor 1 ('f'): dtype float32 cannot carry quantization parameters", _q(_quant_of("f"))),
        ("quant_on_bool", "load", INVALID_MODEL,
         "tensor 0 ('x'): dtype bool cannot carry quantization parameters", _q(_set_dtype("x", 7))),
        ("quant_abs", "session", UNSUPPORTED,
         "node 'abs' (Abs): quantized int8 tensors are not supported by this op yet",
         write_pml(_graph_of("Abs", {}, (2, 2)))),
        ("quant_neg", "session", UNSUPPORTED,
         "node 'neg' (Neg): quantized int8 tensors are not supported by this op yet",
         write_pml(_graph_of("Neg", {}, (2, 2)))),
        ("quant_output_params", "session", UNSUPPORTED,
         "node 'reshape' (Reshape): quantized int8 tensors are not supported by this op yet when output 'y' has "
         "quantization parameters other than its input's", _q(_quant_of("y", zero_point=[-2]))),
        ("quant_per_channel_move", "session", UNSUPPORTED,
         "node 'transpose' (Transpose): quantized int8 tensors are not supported by this op yet when output 'wt' has "
         "quantization parameters other than its input's", _q(_quant_of("wt", axis=0, scale=[0.5, 0.25],
                                                                         zero_point=[1, 0]))),
    ]
    return cases


def fixtures() -> dict:
    return {"quant.pml": write_pml(quant_graph(), metadata={"purpose": "C quantized-tensor tests"})}
