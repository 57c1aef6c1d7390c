"""TensorInfo: how pocketml describes a model input or output.

``Model.inputs``/``outputs`` (a converted graph) and ``Session.inputs``/``outputs``
(what the C runtime loaded) both return it, so code written against one works
with the other. A NamedTuple, so ``name, dtype, shape = info`` also works; ``quant``
(the quantization parameters of a full-integer model's input or output) is an attribute
beside the three fields, so that unpacking stays as it was.
"""
from __future__ import annotations

from typing import NamedTuple, Optional, Tuple, Union

import numpy as np

from .quant_params import QuantParams

Dim = Union[int, str, None]


class _Fields(NamedTuple):
    name: str
    dtype: np.dtype
    shape: Tuple[Dim, ...]


class TensorInfo(_Fields):
    """An input or output of a model.

    ``name``: the tensor's name (the key of ``Session.run``'s feeds and results).
    ``dtype``: its numpy dtype (inputs are never cast: feed exactly this dtype).
    ``shape``: a tuple of dims; a fixed dim is an int, a symbolic one is its name
    (str, e.g. ``"batch"``) or None when the model does not name it.
    ``quant``: its :class:`pocketml.QuantParams` when it holds quantized integers (feed
    ``info.quant.quantize(real, info.dtype)``, read ``info.quant.dequantize(y)``), else None.
    """
    quant: Optional[QuantParams] = None  # the default of instances made by _make/_replace

    def __new__(cls, name: str, dtype, shape, quant: Optional[QuantParams] = None):
        self = super().__new__(cls, name, dtype, shape)
        if quant is not None:
            self.quant = quant
        return self

    @property
    def is_static(self) -> bool:
        """True when every dim is a fixed int."""
        return all(isinstance(d, (int, np.integer)) for d in self.shape)

    @property
    def nbytes(self) -> Optional[int]:
        """Bytes of the tensor; None while it has symbolic dims."""
        if not self.is_static:
            return None
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize
