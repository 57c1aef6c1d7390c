"""TFLite QuantizationParameters -> IR Value.quant.

Every TFLite int8/uint8/int16 tensor (and int32/int64 bias) that has scales carries them into
the IR as a QuantParams (scale, zero point, quantized_dimension as the axis), checked against
the tensor's dtype and shape. The importer's Context annotates each value it creates for a
TFLite tensor (graph inputs, constants, operator outputs); intermediate values of its own
(the reshapes and transposes a handler emits) take their input's parameters when the op only
moves data (quant_support.propagate). Float tensors' parameters (min/max of float models,
dynamic-range weights read by DEQUANTIZE) are not quantization of their elements and are left
alone.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from pocketml import ir
from pocketml.quant_params import ZERO_POINT_RANGE, QuantParams


def quant_arrays(model, tensor, max_count: int) -> Optional[tuple]:
    """(scale float32, zero_point int64, quantized_dimension) of a tflite tensor, or None without
    scales. ``max_count`` bounds what a corrupt length may make us read."""
    q = tensor.obj.Quantization()
    if q is None or q.ScaleLength() == 0:
        return None
    n = min(q.ScaleLength(), max_count)
    scale = np.array([q.Scale(i) for i in range(n)], np.float32)
    zp = np.array([q.ZeroPoint(i) for i in range(min(q.ZeroPointLength(), n))], np.int64)
    return scale, (zp if zp.size else np.zeros(1, np.int64)), int(q.QuantizedDimension())


def quant_of(model, tensor, dtype: str) -> Optional[QuantParams]:
    """The tensor's parameters as a QuantParams when its dtype holds quantized integers."""
    if dtype not in ZERO_POINT_RANGE:
        return None
    arrays = quant_arrays(model, tensor, len(model.data) // 4 + 1)
    if arrays is None:
        return None
    scale, zp, axis = arrays
    if zp.size not in (1, scale.size):
        raise ValueError(f"{scale.size} scales but {zp.size} zero points")
    return QuantParams(scale, zp, axis if scale.size > 1 else -1)


def annotate(graph: ir.Graph, name: str, model, tensor, index: int) -> Optional[str]:
    """Set graph.values[name].quant from TFLite tensor ``index``; returns why it cannot (None: done)."""
    v = graph.values[name]
    try:
        q = quant_of(model, tensor, v.dtype)
    except ValueError as e:
        return f"tensor {index} ({tensor.name!r}): invalid quantization parameters: {e}"
    if q is None:
        return None
    why = q.check(v.dtype, v.shape)
    if why:
        return f"tensor {index} ({tensor.name!r}): invalid quantization parameters: {why}"
    v.quant = q
    return None
