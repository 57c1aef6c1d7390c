"""The C engine's quantized PRelu, bilinear Resize and uint8 Concat rescaling against the numpy
TFLite references of pocketml.ops.quant_reference on random shapes and parameters no fixture
covers (the fixtures pin them to LiteRT): bit for bit, scalar and best kernels."""
from __future__ import annotations

import numpy as np
import pytest

from pocketml import dtypes, ir
from pocketml.format import write_pml
from pocketml.ops import quant_reference as qr
from pocketml.quant_params import QuantParams
from pocketml.runtime import Session

RNG = np.random.default_rng(1313)
CONFIGS = [{}, {"isa": "scalar"}]
RANGE = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767)}


def _ints(dtype: str, shape):
    lo, hi = RANGE[dtype]
    return RNG.integers(lo, hi + 1, shape).astype(dtype)


def _run(g: ir.Graph, tmp_path, feeds: dict, config: dict):
    write_pml(g, tmp_path / "m.pml")
    with Session(tmp_path / "m.pml", **config) as s:
        return s.run(feeds)[g.outputs[0]]


@pytest.mark.parametrize("config", CONFIGS, ids=["best", "scalar"])
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16"])
@pytest.mark.parametrize("case", range(4))
def test_prelu_matches_reference(tmp_path, config, dtype, case):
    shape = tuple(int(d) for d in RNG.integers(1, 7, 4))
    a_shape = shape[-(case % 3 + 1):] if case < 3 else (1,)
    lo, hi = RANGE[dtype]
    zp = (lambda: 0) if dtype == "int16" else (lambda: int(RNG.integers(lo, hi + 1)))
    qx, qa, qy = [(float(RNG.uniform(0.002, 0.2)), zp()) for _ in range(3)]
    x, alpha = _ints(dtype, shape), _ints(dtype, a_shape)
    g = ir.Graph("p")
    g.add_value("x", dtype, shape, quant=QuantParams(*qx))
    g.add_value("a", const=alpha, quant=QuantParams(*qa))
    g.add_value("y", dtype, shape, quant=QuantParams(*qy))
    g.inputs, g.outputs = ["x"], ["y"]
    g.add_node("PRelu", ["x", "a"], ["y"], name="pr")
    want = qr.prelu_q8(x, alpha, qx, qa, qy, lo, hi)
    np.testing.assert_array_equal(_run(g, tmp_path, {"x": x}, config), want)


@pytest.mark.parametrize("config", CONFIGS, ids=["best", "scalar"])
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16"])
@pytest.mark.parametrize("coord", [0, 1, 2])  # half_pixel, asymmetric, align_corners
@pytest.mark.parametrize("sizes", [((3, 5), (7, 4)), ((4, 4), (8, 8)), ((6, 5), (3, 2)), ((1, 3), (2, 9))])
def test_bilinear_resize_matches_reference(tmp_path, config, dtype, coord, sizes):
    (ih, iw), (oh, ow) = sizes
    shape, out = (2, ih, iw, 3), (2, oh, ow, 3)
    x = _ints(dtype, shape)
    q = QuantParams(0.03, 0 if dtype == "int16" else 7)
    g = ir.Graph("r")
    g.add_value("x", dtype, shape, quant=q)
    g.add_value("y", dtype, out, quant=q)
    g.inputs, g.outputs = ["x"], ["y"]
    g.add_node("Resize", ["x"], ["y"], {"mode": 1, "coordinate_transformation_mode": coord, "sizes": list(out),
                                        "scales": [o / i for o, i in zip(out, shape)]}, name="rs")
    want = qr.resize_bilinear_q8(x, (oh, ow), align_corners=coord == 2, half_pixel=coord == 0)
    np.testing.assert_array_equal(_run(g, tmp_path, {"x": x}, config), want)


@pytest.mark.parametrize("config", CONFIGS, ids=["best", "scalar"])
@pytest.mark.parametrize("case", range(4))
def test_uint8_concat_rescale_matches_reference(tmp_path, config, case):
    qx = (float(RNG.uniform(0.001, 0.1)), int(RNG.integers(0, 256)))
    qy = qx if case == 0 else (float(RNG.uniform(0.001, 0.1)), int(RNG.integers(0, 256)))
    x = RNG.integers(0, 256, (3, 37)).astype(np.uint8)
    g = ir.Graph("c")
    g.add_value("x", "uint8", x.shape, quant=QuantParams(*qx))
    g.add_value("y", "uint8", x.shape, quant=QuantParams(*qy))
    g.inputs, g.outputs = ["x"], ["y"]
    g.add_node("Requantize", ["x"], ["y"], {"to": dtypes.BY_NAME["uint8"].code, "requant": 2}, name="rq")
    np.testing.assert_array_equal(_run(g, tmp_path, {"x": x}, config), qr.concat_rescale_u8(x, qx, qy))


@pytest.mark.parametrize("config", CONFIGS + [{"threads": 2}], ids=["best", "scalar", "threads2"])
@pytest.mark.parametrize("dtype", ["int8", "uint8"])
@pytest.mark.parametrize("shapes", [((2, 3, 5), (2, 5, 4)), ((1, 2, 4, 8), (1, 2, 8, 5)), ((3, 1, 2, 6), (4, 6, 3)),
                                    ((4, 7), (2, 7, 9))])
def test_run_time_matmul_matches_reference(tmp_path, config, dtype, shapes):
    """BATCH_MATMUL of two activations: broadcast batches, TFLite's fixed point on the int32 sum."""
    sa_shape, sb_shape = shapes
    lo, hi = RANGE[dtype]
    qa, qb, qy = [(float(RNG.uniform(0.005, 0.05)), int(RNG.integers(lo, hi + 1))) for _ in range(3)]
    a, b = _ints(dtype, sa_shape), _ints(dtype, sb_shape)
    acc = np.matmul(a.astype(np.int64) - qa[1], b.astype(np.int64) - qb[1])
    real = np.float64(np.float32(np.float32(qa[0]) * np.float32(qb[0]))) / np.float64(np.float32(qy[0]))
    want = qr.requantize(acc, real, qy[1], lo, hi, 0).astype(dtype)
    g = ir.Graph("mm")
    g.add_value("a", dtype, sa_shape, quant=QuantParams(*qa))
    g.add_value("b", dtype, sb_shape, quant=QuantParams(*qb))
    g.add_value("y", dtype, want.shape, quant=QuantParams(*qy))
    g.inputs, g.outputs = ["a", "b"], ["y"]
    g.add_node("MatMul", ["a", "b"], ["y"], name="mm")
    write_pml(g, tmp_path / "m.pml")
    with Session(tmp_path / "m.pml", **config) as s:
        np.testing.assert_array_equal(s.run({"a": a, "b": b})["y"], want)
