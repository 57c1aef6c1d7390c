"""Quantization parameters of a tensor: the affine map from stored integers to reals.

A quantized value holds integers x whose real value is (x - zero_point[c]) * scale[c],
with c = 0 for a per-tensor quantization (axis -1, one scale) or the element's index
along ``axis`` (per channel, one scale per channel). int8/uint8/int16/uint16 tensors
carry activations and weights; int32 (and int64, TFLite's int16x8 biases) carry
biases, whose zero point is always 0.

``QuantParams`` is immutable and compared by value (bit-exact scales), so passes can
ask "same parameters?" before merging or moving a value, and ``permuted`` follows a
transpose of the tensor. ``check`` validates the parameters against the tensor's dtype
and shape with the same rules as the C loader (model_quant.c). A leaf module: numpy
and pocketml.dtypes only.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

# dtype -> the zero points it admits (inclusive); the dtypes that may carry quantization
ZERO_POINT_RANGE = {
    "int8": (-128, 127),
    "uint8": (0, 255),
    "int16": (-32768, 32767),
    "uint16": (0, 65535),
    "int32": (0, 0),  # biases: scale = input scale * weight scale, zero point 0
    "int64": (0, 0),  # TFLite int16x8 biases
}
QUANTIZABLE_DTYPES = tuple(ZERO_POINT_RANGE)


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a)  # a private copy: a caller's later edits cannot reach it
    a.setflags(write=False)
    return a


class QuantParams:
    """scale (float32 [count]), zero_point (int64 [count]) and axis (-1: per tensor)."""
    __slots__ = ("scale", "zero_point", "axis")

    def __init__(self, scale, zero_point=None, axis: int = -1):
        scale = np.asarray(scale, np.float32).reshape(-1)
        if zero_point is None:
            zero_point = np.zeros(scale.shape, np.int64)
        zp = np.asarray(zero_point)
        if zp.dtype.kind not in "iub" and zp.size and not np.array_equal(zp, np.round(zp)):
            raise ValueError(f"zero points must be integers, got {zp.reshape(-1)[:4].tolist()}")
        zp = zp.astype(np.int64).reshape(-1)
        if zp.size == 1 and scale.size > 1:  # one zero point shared by every channel (TFLite allows it)
            zp = np.repeat(zp, scale.size)
        if zp.size != scale.size:
            raise ValueError(f"{scale.size} scales but {zp.size} zero points")
        if scale.size == 0:
            raise ValueError("quantization parameters need at least one scale")
        axis = int(axis)
        if scale.size > 1 and axis < 0:
            raise ValueError(f"{scale.size} scales need a channel axis (axis -1 means one scale per tensor)")
        if scale.size == 1:
            axis = -1  # one scale: per tensor whatever the axis says
        object.__setattr__(self, "scale", _frozen(scale))
        object.__setattr__(self, "zero_point", _frozen(zp))
        object.__setattr__(self, "axis", axis)

    def __setattr__(self, name, value):
        raise AttributeError("QuantParams is immutable")

    def __reduce__(self):
        return (QuantParams, (self.scale, self.zero_point, self.axis))

    def __deepcopy__(self, memo):
        return self  # immutable

    @property
    def count(self) -> int:
        return int(self.scale.size)

    @property
    def per_tensor(self) -> bool:
        return self.axis == -1

    def _key(self) -> tuple:
        return (self.axis, self.scale.tobytes(), self.zero_point.tobytes())

    def __eq__(self, other) -> bool:
        if not isinstance(other, QuantParams):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        if self.per_tensor:
            return f"QuantParams(scale={float(self.scale[0])!r}, zero_point={int(self.zero_point[0])})"
        return f"QuantParams(axis={self.axis}, {self.count} channels)"

    # ---- validation ----------------------------------------------------------------------
    def check(self, dtype: Optional[str], shape: Optional[Sequence] = None) -> Optional[str]:
        """Why these parameters cannot describe a tensor of ``dtype`` and ``shape`` (None: they can).
        The C loader applies the same rules to a file."""
        if dtype not in ZERO_POINT_RANGE:
            return (f"dtype {dtype} cannot carry quantization parameters (supported: "
                    f"{', '.join(QUANTIZABLE_DTYPES)})")
        bad = ~(np.isfinite(self.scale) & (self.scale > 0))
        if bad.any():
            k = int(np.argmax(bad))
            return f"scale[{k}] is {float(self.scale[k])!r}; scales must be finite and > 0"
        lo, hi = ZERO_POINT_RANGE[dtype]
        out = (self.zero_point < lo) | (self.zero_point > hi)
        if out.any():
            k = int(np.argmax(out))
            return f"zero_point[{k}] is {int(self.zero_point[k])}, outside {dtype}'s range [{lo}, {hi}]"
        if shape is not None and not self.per_tensor:
            rank = len(shape)
            if self.axis >= rank:
                return f"axis {self.axis} is out of range for rank {rank}"
            dim = shape[self.axis]
            if not isinstance(dim, (int, np.integer)) or dim != self.count:
                return f"{self.count} scales along axis {self.axis}, whose dim is {dim}"
        return None

    def validate(self, dtype: Optional[str], shape: Optional[Sequence] = None, what: str = "tensor") -> "QuantParams":
        why = self.check(dtype, shape)
        if why:
            raise ValueError(f"{what}: invalid quantization parameters: {why}")
        return self

    # ---- rewrites --------------------------------------------------------------------------
    def permuted(self, perm: Sequence[int]) -> "QuantParams":
        """The parameters of the tensor transposed by ``perm`` (output dim i = input dim perm[i]):
        a per-channel axis moves to where its dim lands."""
        if self.per_tensor:
            return self
        return QuantParams(self.scale, self.zero_point, list(perm).index(self.axis))

    # ---- conversions (tests and users feeding a full-integer model) ----------------------------
    def _expand(self, a: np.ndarray, ndim: int) -> np.ndarray:
        if self.per_tensor:
            return a.reshape(())
        return a.reshape([1] * self.axis + [-1] + [1] * (ndim - self.axis - 1))

    def dequantize(self, x) -> np.ndarray:
        """Real values (float32) of stored integers x."""
        x = np.asarray(x)
        zp, scale = self._expand(self.zero_point, x.ndim), self._expand(self.scale, x.ndim)
        return ((x.astype(np.int64) - zp).astype(np.float32) * scale).astype(np.float32)

    def quantize(self, real, dtype: str) -> np.ndarray:
        """Stored integers of dtype for real values: round half to even, saturate."""
        real = np.asarray(real, np.float32)
        zp, scale = self._expand(self.zero_point, real.ndim), self._expand(self.scale, real.ndim)
        lo, hi = np.iinfo(dtype).min, np.iinfo(dtype).max
        q = np.rint(real.astype(np.float64) / scale.astype(np.float64)) + zp
        return np.clip(q, lo, hi).astype(dtype)
