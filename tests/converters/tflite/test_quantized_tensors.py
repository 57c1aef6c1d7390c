"""Quantized TFLite tensors: the importer carries each tensor's QuantizationParameters into Value.quant
(scale, zero point, quantized_dimension), data movement runs on them and matches LiteRT exactly (PAD and
PADV2 pad with the stored zero point, the real 0), and every op that would compute on the stored integers
(arithmetic, comparisons, a move that changes the parameters) is refused naming node and op, never
computed. Plain integer tensors (no scale) convert as before."""
from __future__ import annotations

import numpy as np
import pytest

import pocketml
from pocketml.converters.tflite import import_tflite
from pocketml.errors import ConversionError, UnsupportedOpError
from pocketml.quant_params import QuantParams
from tests.ops import quant_oracles as qo

from tests.quant_oracles import litert as quant_litert

from .test_builder import run_litert
from .tflite_builder import build_model

QX = {"scale": [0.25], "zero_point": [-5]}
RNG = np.random.default_rng(11)


def _int8(*shape):
    return RNG.integers(-128, 128, size=shape).astype(np.int8)


def _pad_model(op: str, x_shape, pads, out_q=QX, constant=None):
    tensors = {"x": ("int8", x_shape, None, None, QX), "p": ("int32", (len(x_shape), 2), np.array(pads, np.int32)),
               "y": ("int8", tuple(d + sum(p) for d, p in zip(x_shape, pads)), None, None, out_q)}
    ins = ["x", "p"]
    if constant is not None:
        tensors["c"] = ("int8", (), np.array(constant, np.int8), None, QX)
        ins.append("c")
    return build_model([(op, ins, ["y"], None)], tensors, ["x"], ["y"])


def _pocketml(tmp_path, data, feeds):
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    s = pocketml.Session(pocketml.convert(path))
    out = s.run({i.name: v for i, v in zip(s.inputs, feeds)})
    return s, [out[o.name] for o in s.outputs]


@pytest.mark.parametrize("op,constant", [("PAD", None), ("PADV2", None), ("PADV2", 7)])
def test_pad_fills_with_the_zero_point_as_litert(tmp_path, op, constant):
    x = _int8(1, 3, 4, 2)
    pads = [[0, 0], [1, 2], [2, 0], [0, 0]]
    data = _pad_model(op, x.shape, pads, constant=constant)
    want = run_litert(data, [x])[0]
    # by hand: the border holds the zero point -5 (the real 0), or PADV2's stored constant
    np.testing.assert_array_equal(want, np.pad(x, pads, constant_values=-5 if constant is None else constant))
    session, got = _pocketml(tmp_path, data, [x])
    np.testing.assert_array_equal(got[0], want)
    assert session.inputs[0].quant == QuantParams(0.25, -5) and session.outputs[0].quant == QuantParams(0.25, -5)


def test_importer_carries_per_channel_parameters():
    w = _int8(3, 2)
    q = {"scale": [0.5, 0.25, 0.125], "zero_point": [0, 0, 0], "quantized_dimension": 0}
    data = build_model([("TRANSPOSE", ["w", "perm"], ["y"], None)],
                       {"w": ("int8", (3, 2), None, None, q), "perm": ("int32", (2,), np.array([1, 0], np.int32)),
                        "y": ("int8", (2, 3), None, None, {**q, "quantized_dimension": 1})}, ["w"], ["y"])
    g = import_tflite(data)
    assert g.values[g.inputs[0]].quant == QuantParams([0.5, 0.25, 0.125], 0, 0)
    assert g.values[g.outputs[0]].quant.axis == 1


def test_plain_integer_tensors_stay_plain():
    data = build_model([("ADD", ["a", "b"], ["y"], None)],
                       {"a": ("int8", (3,), None), "b": ("int8", (3,), None), "y": ("int8", (3,), None)},
                       ["a", "b"], ["y"])
    g = import_tflite(data)
    assert all(v.quant is None for v in g.values.values())


@pytest.mark.parametrize("op,tensors", [
    ("DIV", {"a": ("int8", (3,), None, None, QX), "b": ("int8", (3,), None, None, QX),
             "y": ("int8", (3,), None, None, QX)}),
    ("MUL", {"a": ("int8", (3,), None, None, QX), "b": ("int8", (3,), None), "y": ("int8", (3,), None)}),
    ("LESS", {"a": ("int8", (3,), None, None, QX), "b": ("int8", (3,), None, None, QX), "y": ("bool", (3,), None)}),
    ("MAXIMUM", {"a": ("uint8", (3,), None, None, {"scale": [0.5], "zero_point": [128]}),
                 "b": ("uint8", (3,), None, None, {"scale": [0.5], "zero_point": [128]}),
                 "y": ("uint8", (3,), None, None, {"scale": [0.5], "zero_point": [128]})}),
])
def test_arithmetic_on_quantized_tensors_is_refused(op, tensors):
    data = build_model([(op, ["a", "b"], ["y"], None)], tensors, ["a", "b"], ["y"])
    dtype = tensors["a"][0]  # the refusal names the dtype the model has
    with pytest.raises(UnsupportedOpError, match=rf"operator 0 \({op}, version \d+\): \w+ node 'tfl0_{op}': "
                                                 rf"quantized {dtype} tensors are not supported by this op yet"):
        import_tflite(data)


def test_a_move_that_changes_parameters_is_refused():
    x = _int8(1, 2, 2, 1)
    data = _pad_model("PAD", x.shape, [[0, 0], [1, 0], [0, 0], [0, 0]], out_q={"scale": [0.5], "zero_point": [0]})
    with pytest.raises(UnsupportedOpError, match="when the output's quantization parameters differ"):
        import_tflite(data)


def test_select_moves_stored_integers_when_parameters_agree(tmp_path):
    c, t, f = RNG.random((2, 3)) < 0.5, _int8(2, 3), _int8(1, 3)
    data = build_model([("SELECT_V2", ["c", "t", "f"], ["y"], None)],
                       {"c": ("bool", (2, 3), None), "t": ("int8", (2, 3), None, None, QX),
                        "f": ("int8", (1, 3), None, None, QX), "y": ("int8", (2, 3), None, None, QX)},
                       ["c", "t", "f"], ["y"])
    want = run_litert(data, [c, t, f])[0]
    np.testing.assert_array_equal(want, np.where(c, t, f))
    np.testing.assert_array_equal(_pocketml(tmp_path, data, [c, t, f])[1][0], want)


def test_invalid_parameters_are_named():
    data = build_model([("RESHAPE", ["x", "s"], ["y"], None)],
                       {"x": ("int8", (4,), None, None, {"scale": [0.0], "zero_point": [0]}),
                        "s": ("int32", (2,), np.array([2, 2], np.int32)), "y": ("int8", (2, 2), None, None, QX)},
                       ["x"], ["y"])
    with pytest.raises(ConversionError, match=r"tensor 0 \('x'\): invalid quantization parameters: scale\[0\] is 0.0"):
        import_tflite(data)


def test_full_integer_conv_runs_as_litert(tmp_path):
    """A full-int8 CONV_2D (per-channel weights, int32 bias), refused before the int8 Conv existed: now
    computed, exactly as LiteRT (the per-op fixtures are in tests/ops/test_conv_q8.py)."""
    wq = {"scale": [0.02, 0.03], "zero_point": [0, 0], "quantized_dimension": 0}
    data = build_model([("CONV_2D", ["x", "w", "b"], ["y"], {"padding": "VALID"})],
                       {"x": ("int8", (1, 3, 3, 1), None, None, QX),
                        "w": ("int8", (2, 1, 1, 1), np.array([3, -4], np.int8).reshape(2, 1, 1, 1), None, wq),
                        "b": ("int32", (2,), np.array([10, -10], np.int32), None,
                              {"scale": [0.005, 0.0075], "zero_point": [0, 0], "quantized_dimension": 0}),
                        "y": ("int8", (1, 3, 3, 2), None, None, {"scale": [0.1], "zero_point": [2]})}, ["x"], ["y"])
    x = RNG.integers(-128, 128, (1, 3, 3, 1)).astype(np.int8)
    want = quant_litert.run_litert(data, [x], kernels="reference")[0]  # XNNPACK rounds its own way
    _, got = _pocketml(tmp_path, data, [x])
    np.testing.assert_array_equal(got[0], want)


def test_int16_activations_carry_their_parameters_and_move_as_litert(tmp_path):
    q16 = {"scale": [0.001], "zero_point": [0]}  # TFLite int16x8: symmetric
    x = RNG.integers(-32768, 32768, (2, 6)).astype(np.int16)
    data = build_model([("RESHAPE", ["x", "s"], ["y"], None)],
                       {"x": ("int16", (2, 6), None, None, q16), "s": ("int32", (2,), np.array([3, 4], np.int32)),
                        "y": ("int16", (3, 4), None, None, q16)}, ["x"], ["y"])
    want = run_litert(data, [x])[0]
    session, got = _pocketml(tmp_path, data, [x])
    np.testing.assert_array_equal(got[0], want)
    assert session.inputs[0].quant == QuantParams(0.001, 0) and session.outputs[0].quant == QuantParams(0.001, 0)


@pytest.mark.parametrize("dtype,q", [("int8", QX), ("uint8", {"scale": [0.5], "zero_point": [128]})])
def test_max_pool_and_concat_move_stored_integers_as_litert(tmp_path, dtype, q):
    """MaxPool on stored integers equals MaxPool on reals (scale > 0 keeps the order; padding never wins),
    and Concat of tensors sharing parameters copies them: both exact against LiteRT."""
    info = np.iinfo(dtype)
    x = RNG.integers(info.min, info.max + 1, (1, 5, 5, 3)).astype(dtype)
    z = RNG.integers(info.min, info.max + 1, (1, 3, 3, 2)).astype(dtype)
    data = build_model([("MAX_POOL_2D", ["x"], ["p"], {"padding": "SAME", "stride_h": 2, "stride_w": 2,
                                                       "filter_height": 3, "filter_width": 3}),
                        ("CONCATENATION", ["p", "z"], ["y"], {"axis": 3})],
                       {"x": (dtype, x.shape, None, None, q), "z": (dtype, z.shape, None, None, q),
                        "p": (dtype, (1, 3, 3, 3), None, None, q), "y": (dtype, (1, 3, 3, 5), None, None, q)},
                       ["x", "z"], ["y"])
    want = run_litert(data, [x, z])[0]
    np.testing.assert_array_equal(want[..., 3:], z)
    np.testing.assert_array_equal(_pocketml(tmp_path, data, [x, z])[1][0], want)


@pytest.mark.parametrize("tensors,why", [
    ({"a": ("int8", (3,), None, None, QX), "b": ("int8", (3,), None, None, QX), "y": ("int8", (3,), None)},
     "output is not quantized"),
    ({"a": ("int16", (3,), None, None, {"scale": [0.25], "zero_point": [3]}),
      "b": ("int16", (3,), None, None, {"scale": [0.25], "zero_point": [0]}),
      "y": ("int16", (3,), None, None, {"scale": [0.25], "zero_point": [0]})}, "has zero point 3"),
])
def test_quantized_add_refuses_what_its_kernels_do_not_run(tensors, why):
    data = build_model([("ADD", ["a", "b"], ["y"], None)], tensors, ["a", "b"], ["y"])
    dtype = tensors["a"][0]  # an int16x8 Add is refused as int16
    with pytest.raises(UnsupportedOpError, match=rf"quantized {dtype} tensors are not supported by this op yet \(.*{why}"):
        import_tflite(data)


@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL"])
@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_quantized_binary_broadcasts_as_the_numpy_oracle(tmp_path, op, dtype):
    """Random broadcast shapes through the C engine against the numpy TFLite oracle (tests/ops/quant_oracles.py):
    uint8 goes through the int8 kernels with the sign bit flipped, so the oracle sees the raw uint8 values."""
    lo, hi = (-128, 128) if dtype == "int8" else (0, 256)
    for trial in range(4):
        rank = int(RNG.integers(1, 5))
        out_shape = tuple(int(d) for d in RNG.integers(1, 6, rank))
        a_shape = tuple(d if RNG.random() < 0.6 else 1 for d in out_shape)
        b_shape = tuple(d if RNG.random() < 0.6 else 1 for d in out_shape)[int(RNG.integers(0, rank)):]
        out_shape = np.broadcast_shapes(a_shape, b_shape)
        sa, sb = float(np.float32(RNG.uniform(0.01, 0.1))), float(np.float32(RNG.uniform(0.01, 0.1)))
        sy = float(np.float32(sa * sb * 20)) if op == "MUL" else float(np.float32(RNG.uniform(0.02, 0.2)))
        za, zb, zy = (int(v) for v in RNG.integers(lo + 20, hi - 20, 3))
        q = {"a": (sa, za), "b": (sb, zb), "y": (sy, zy)}
        shapes = {"a": a_shape, "b": b_shape, "y": out_shape}
        tensors = {k: (dtype, shapes[k], None, None, {"scale": [s], "zero_point": [z]}) for k, (s, z) in q.items()}
        data = build_model([(op, ["a", "b"], ["y"], None)], tensors, ["a", "b"], ["y"])
        a = RNG.integers(lo, hi, a_shape).astype(dtype)
        b = RNG.integers(lo, hi, b_shape).astype(dtype)
        (tmp_path / str(trial)).mkdir()
        _, (got,) = _pocketml(tmp_path / str(trial), data, [a, b])
        ab = np.broadcast_arrays(a.astype(np.int64), b.astype(np.int64))
        if op == "MUL":
            want, _ = qo.tflite_mul(*ab, sa, za, sb, zb, sy, zy, lo, hi - 1)  # (values, near-tie mask: none)
        else:
            want, _ = qo.tflite_add(*ab, sa, za, sb, zb, sy, zy, lo, hi - 1, sub=op == "SUB")
        np.testing.assert_array_equal(got.astype(np.int64), want, err_msg=f"{a_shape} {op} {b_shape}")
