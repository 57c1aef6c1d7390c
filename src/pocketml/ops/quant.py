"""Quantization ops: the conversions between float and integer tensors that QDQ models
(onnxruntime's quantizer, PyTorch export) put around their ops.

DequantizeLinear: y = (x - zero_point) * scale, computed in float32 and written in the
scale's dtype or in output_dtype (a dtype code; 0: the scale's).
QuantizeLinear: y = saturate(round_half_even(x / scale) + zero_point), x / scale in
float32 (in double for int32 x, as ONNX's reference); the zero point's dtype is the output's, else output_dtype (a dtype code), else
uint8. NaN gives the range's minimum, +-inf its ends (onnxruntime's CPU kernels).
DynamicQuantizeLinear: uint8 y with scale and zero point from the data's range widened
to include 0 (the ONNX formula; an all-zero input takes scale 1 and NaN takes no part in
the range, as onnxruntime).

Scale and zero point (same shape) are per tensor (one value, block_size 0), per axis
(a vector along axis, block_size 0) or blocked (x's rank, x's dims except along axis,
where they hold ceil(dim / block_size) blocks). Their values are read at run time; only
their shapes matter here.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from .registry import Attr, define
from ._common import attrs_of, fail, is_sym, known, normalize_axis, shape_str

Q_STORED = ("int8", "uint8", "int16", "uint16", "int32")  # what DequantizeLinear reads
Q_OUT = ("int8", "uint8", "int16", "uint16")              # what QuantizeLinear writes
SCALES = ("float32", "float16")                            # scales, and the float side of both
_RANGE = {t: (np.iinfo(t).min, np.iinfo(t).max) for t in Q_OUT}


def _layout(node, x_shape, s_shape, axis: int, block: int):
    """'tensor', 'axis' or 'block' after checking the scale's shape against x, axis and block_size."""
    if block < 0:
        raise fail(node, f"block_size {block} must be >= 0")
    numel = 1
    for d in s_shape:
        numel = d if is_sym(d) or is_sym(numel) else numel * d
    if block == 0 and len(s_shape) <= 1 and numel == 1:
        return "tensor"
    axis = normalize_axis(node, axis, len(x_shape))
    n = x_shape[axis]
    if block == 0:
        if len(s_shape) != 1 or (not is_sym(n) and not is_sym(s_shape[0]) and s_shape[0] != n):
            raise fail(node, f"scale of shape {shape_str(s_shape)} is neither one value nor a vector of x's dim "
                             f"{n} along axis {axis} (x shape {shape_str(x_shape)})")
        return "axis"
    want = tuple(d if k != axis else (d if is_sym(d) else -(-d // block)) for k, d in enumerate(x_shape))
    if len(s_shape) != len(x_shape) or any(not is_sym(a) and not is_sym(b) and a != b for a, b in zip(s_shape, want)):
        raise fail(node, f"blocked scale must have shape {shape_str(want)} (x {shape_str(x_shape)}, axis {axis}, "
                         f"block_size {block}), got {shape_str(s_shape)}")
    return "block"


def _check_params(node, ins, x_shape):
    """Validates scale and zero point (inputs 1 and 2) against x; returns the attributes."""
    at = attrs_of(node)
    _, s_shape = known(node, ins[1], "scale")
    layout = _layout(node, x_shape, s_shape, at["axis"], at["block_size"])
    if len(ins) > 2 and ins[2] is not None:
        _, z_shape = known(node, ins[2], "zero_point")
        if layout == "tensor" and len(z_shape) <= 1 and all(d == 1 for d in z_shape):
            return at  # one value, [] or [1] whatever the scale's form (onnxruntime accepts both)
        if len(z_shape) != len(s_shape) or any(not is_sym(a) and not is_sym(b) and a != b
                                               for a, b in zip(z_shape, s_shape)):
            raise fail(node, f"zero_point shape {shape_str(z_shape)} differs from scale shape {shape_str(s_shape)}")
    return at


def _expand(p, shape, attrs):
    """A scale or zero point as an array broadcasting against x."""
    p = np.asarray(p)
    block = attrs.get("block_size", 0)
    if block == 0 and p.size == 1 and p.ndim <= 1:
        return p.reshape(())
    axis = attrs.get("axis", 1) % len(shape)
    if block == 0:
        return p.reshape([1] * axis + [-1] + [1] * (len(shape) - axis - 1))
    return np.take(np.repeat(p, block, axis=axis), np.arange(shape[axis]), axis=axis)


def _zero_point(inputs, shape, attrs):
    """Input 2 expanded against x, or 0 when absent."""
    if len(inputs) > 2 and inputs[2] is not None:
        return _expand(inputs[2], shape, attrs)
    return np.zeros((), np.int64)


def _out_dtype(node, code: int, allowed, default: str, what: str) -> str:
    if code == 0:
        return default
    name = dtypes.DTYPE_BY_CODE.get(code)
    if name not in allowed:
        raise fail(node, f"{what}={code} is not a supported dtype code (supported: "
                         f"{', '.join(f'{dtypes.BY_NAME[t].code} {t}' for t in allowed)})")
    return name


# ---- DequantizeLinear ---------------------------------------------------------------------
def _dq_infer(node, ins):
    _, s = known(node, ins[0], "x")
    at = _check_params(node, ins, s)
    return [(_out_dtype(node, at["output_dtype"], SCALES, ins[1].dtype, "output_dtype"), s)]


def _dq_reference(inputs, attrs):
    x = np.asarray(inputs[0])
    scale = np.asarray(inputs[1])
    zp = _zero_point(inputs, x.shape, attrs)
    out = dtypes.DTYPE_BY_CODE.get(attrs.get("output_dtype", 0)) or scale.dtype.name
    diff = (x.astype(np.int64) - zp.astype(np.int64)).astype(np.float32)
    return [(diff * _expand(scale, x.shape, attrs).astype(np.float32)).astype(out)]


define("DequantizeLinear", 400, "quant", ("x: T1", "x_scale: T2", "x_zero_point?: T1"), ("y: T3",),
       {"axis": Attr("int", 1), "block_size": Attr("int", 0), "output_dtype": Attr("int", 0)},
       types={"T1": Q_STORED, "T2": SCALES, "T3": SCALES}, traits=("quant_explicit",), infer=_dq_infer, reference=_dq_reference)


# ---- QuantizeLinear -----------------------------------------------------------------------
def _q_out(node, at, zp_dtype) -> str:
    """The output dtype: the zero point's, else output_dtype's, else uint8."""
    out = _out_dtype(node, at["output_dtype"], Q_OUT, zp_dtype or "uint8", "output_dtype")
    if zp_dtype and out != zp_dtype:
        raise fail(node, f"output_dtype {out} differs from the zero point's dtype {zp_dtype}")
    return out


def _q_infer(node, ins):
    _, s = known(node, ins[0], "x")
    at = _check_params(node, ins, s)
    return [(_q_out(node, at, ins[2].dtype if len(ins) > 2 and ins[2] is not None else None), s)]


def _q_reference(inputs, attrs):
    x = np.asarray(inputs[0])
    x = x.astype(np.float64 if x.dtype == np.int32 else np.float32)  # int32 divides in double (ONNX)
    zp = inputs[2] if len(inputs) > 2 and inputs[2] is not None else None
    out = dtypes.DTYPE_BY_CODE.get(attrs.get("output_dtype", 0)) if zp is None else np.asarray(zp).dtype.name
    lo, hi = _RANGE[out or "uint8"]
    scale = _expand(inputs[1], x.shape, attrs).astype(np.float32).astype(x.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.rint(x / scale) + _zero_point(inputs, x.shape, attrs).astype(x.dtype)
        q = np.where(q > lo, q, x.dtype.type(lo))  # NaN -> lo, as onnxruntime
        q = np.where(q < hi, q, x.dtype.type(hi))
    return [q.astype(out or "uint8")]


define("QuantizeLinear", 401, "quant", ("x: T1", "y_scale: T2", "y_zero_point?: T3"), ("y: T3",),
       {"axis": Attr("int", 1), "block_size": Attr("int", 0), "output_dtype": Attr("int", 0)},
       types={"T1": SCALES + ("int32",), "T2": SCALES, "T3": Q_OUT}, traits=("quant_explicit",), infer=_q_infer, reference=_q_reference)


# ---- DynamicQuantizeLinear ----------------------------------------------------------------
def _dyn_infer(node, ins):
    _, s = known(node, ins[0], "x")
    return [("uint8", s), ("float32", ()), ("uint8", ())]


def _dyn_reference(inputs, attrs):
    x = np.asarray(inputs[0], np.float32)
    seen = x[~np.isnan(x)]  # NaN takes no part in the range (onnxruntime's min/max)
    lo = np.minimum(np.float32(0), seen.min()) if seen.size else np.float32(0)
    hi = np.maximum(np.float32(0), seen.max()) if seen.size else np.float32(0)
    scale = np.float32(1) if hi == lo else np.float32((hi - lo) / np.float32(255))
    with np.errstate(invalid="ignore"):
        zp = np.rint(np.clip(np.float32(0) - lo / scale, np.float32(0), np.float32(255))).astype(np.uint8)
    return [_q_reference([x, scale, zp], {})[0], np.array(scale, np.float32), np.array(zp, np.uint8)]


define("DynamicQuantizeLinear", 402, "quant", ("x: T1",), ("y: T2", "y_scale: T1", "y_zero_point: T2"),
       types={"T1": ("float32",), "T2": ("uint8",)}, traits=("quant_explicit",), infer=_dyn_infer, reference=_dyn_reference)
