"""TFLite binary arithmetic on integer tensors: plain integers convert (the
runtime computes every dtype the registry allows), quantized ones (with a
scale) are refused, never computed on their raw integers."""
from __future__ import annotations

import types

import numpy as np
import pytest

from pocketml.converters.tflite import ops_elementwise
from pocketml.errors import UnsupportedOpError


class _Quant:
    def __init__(self, n_scales):
        self.n = n_scales

    def ScaleLength(self):
        return self.n


def _ctx(n_scales, dtype):
    tensor = types.SimpleNamespace(name="t", obj=types.SimpleNamespace(Quantization=lambda: _Quant(n_scales)))

    def unsupported(msg):
        return UnsupportedOpError(msg)
    return types.SimpleNamespace(tensor=lambda i: tensor, np_type=lambda i: np.dtype(dtype), unsupported=unsupported)


def test_quantized_int8_arithmetic_is_refused():
    op = types.SimpleNamespace(name="ADD", inputs=[0, 1], outputs=[2])
    with pytest.raises(UnsupportedOpError, match="quantized arithmetic is not supported"):
        ops_elementwise.refuse_quantized(_ctx(1, np.int8), op)


@pytest.mark.parametrize("n_scales,dtype", [(0, np.int8), (0, np.int16), (1, np.float32)])
def test_plain_integer_and_float_tensors_pass(n_scales, dtype):
    op = types.SimpleNamespace(name="MUL", inputs=[0, -1], outputs=[2])
    ops_elementwise.refuse_quantized(_ctx(n_scales, dtype), op)
