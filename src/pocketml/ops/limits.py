"""Size limits of shape inference and constant folding.

Python ints never overflow, so a shape computed from a file's data (Expand's
target, Tile's repeats, Range's count, a 2^62-long shape input) can describe
far more elements than any machine holds; numpy or a list comprehension then
allocates until the process is killed. Inference checks every output shape
here (``check_output``) and parameter lengths (``check_length``) before
anything of that size is built, and folding asks ``fold_verdict`` with the
inferred shapes BEFORE running a reference, so no check relies on catching
MemoryError.

The folding limit (bytes per folded output tensor, default 64 MiB) is set for
one conversion with ``fold_limit(nbytes)`` (pocketml.convert(max_fold_bytes=),
CLI --max-fold-bytes); a ContextVar, so concurrent conversions do not share it.
"""
from __future__ import annotations

import contextlib
import contextvars
from typing import Optional

from ..dtypes import BY_NAME

MAX_ELEMENTS = 1 << 62  # element counts (and byte sizes) must fit int64 in the C runtime and the format
MAX_TENSOR_BYTES = 1 << 48  # the C runtime's PML_MAX_TENSOR_BYTES (native/src/pml_limits.h): its loader refuses more
MAX_DIMS = 64  # no IR tensor has more dims (the runtime's limit is 8; folding may pass through more)
DEFAULT_MAX_FOLD_BYTES = 64 << 20
MAX_SEQUENCE_ITEMS = 1 << 16  # an ONNX sequence resolved at conversion (one IR value per item) holds at most this
# A constant fill (ONNX ConstantOfShape of a static shape) is held as one value broadcast, so folding
# it allocates nothing; only writing the .pml spends its bytes. Models build real weights so (the onnx
# light models' fillers reach 411 MB: vgg19's fc6), and leaving them to run time would make the weights
# non-constant (no packing, slower runs): fills may reach this size, or max_fold_bytes if larger.
MIN_FILL_BYTES = 512 << 20

_FOLD_LIMIT: contextvars.ContextVar = contextvars.ContextVar("pocketml_max_fold_bytes",
                                                             default=DEFAULT_MAX_FOLD_BYTES)


def element_count(shape) -> Optional[int]:
    """Product of the static dims of ``shape`` (symbolic dims count as 1), or None as soon as
    it passes MAX_ELEMENTS (checked per factor: the product never grows past 2^124)."""
    n = 1
    for d in shape:
        if isinstance(d, str):
            continue
        n *= int(d)
        if n > MAX_ELEMENTS:
            return None
    return n


def nonzero_span(shape) -> Optional[int]:
    """Product of the non-zero static dims, or None past MAX_TENSOR_BYTES: numpy refuses to shape
    [0, 2^62, 2^62] (or [2^62, 0] of float32) although it is empty."""
    n = element_count([d for d in shape if isinstance(d, str) or int(d) != 0])
    return None if n is None or n > MAX_TENSOR_BYTES else n


def check_length(count: int, what: str) -> Optional[str]:
    """Why a 1-D parameter (a shape, pads, repeats...) of ``count`` values is refused, else None."""
    if count > MAX_DIMS:
        return f"{what} has {count} values; a tensor has at most {MAX_DIMS} dims"
    return None


_ITEMSIZES: dict = {}  # dtype name -> bytes per element (DType.np builds a numpy dtype per call)


def _itemsize(dtype: str) -> int:
    size = _ITEMSIZES.get(dtype)
    if size is None:
        size = _ITEMSIZES[dtype] = BY_NAME[dtype].np.itemsize
    return size


def check_output(shape, dtype: Optional[str] = None) -> Optional[str]:
    """Why an inferred tensor shape is refused (too many dims, elements or bytes), else None."""
    if shape is None:
        return None
    if len(shape) > MAX_DIMS:
        return f"output would have {len(shape)} dims (at most {MAX_DIMS})"
    n = element_count(shape)
    size = None if n is None or dtype not in BY_NAME else n * _itemsize(dtype)
    # an empty tensor's other dims still shape numpy arrays: their product must fit too
    if n is None or (size is not None and size > MAX_TENSOR_BYTES) or (n == 0 and nonzero_span(shape) is None):
        dims = [d if isinstance(d, str) else int(d) for d in shape]
        return (f"shape {dims} ({dtype or 'any dtype'}) is larger than the {human(MAX_TENSOR_BYTES)} a tensor "
                "may hold")
    return None


def nbytes(dtype: Optional[str], shape) -> Optional[int]:
    """Bytes of a tensor of static ``shape`` (None when a dim is symbolic or the dtype unknown)."""
    if shape is None or dtype not in BY_NAME or any(isinstance(d, str) for d in shape):
        return None
    n = element_count(shape)
    return None if n is None else n * _itemsize(dtype)


# ---- the constant-folding limit ------------------------------------------------------------
def max_fold_bytes() -> int:
    return _FOLD_LIMIT.get()


@contextlib.contextmanager
def fold_limit(limit: Optional[int]):
    """Fold at most ``limit`` bytes per output tensor inside the block (None: the default)."""
    if limit is None:
        yield
        return
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(f"max_fold_bytes must be a non-negative int, got {limit!r}")
    token = _FOLD_LIMIT.set(limit)
    try:
        yield
    finally:
        _FOLD_LIMIT.reset(token)


def human(n: int) -> str:
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):.4g} {unit}"
    return f"{n} bytes"


def fill_verdict(dtype: str, shape) -> Optional[str]:
    """fold_verdict for a constant fill (see MIN_FILL_BYTES)."""
    token = _FOLD_LIMIT.set(max(max_fold_bytes(), MIN_FILL_BYTES))
    try:
        return fold_verdict([(dtype, shape)], [])
    finally:
        _FOLD_LIMIT.reset(token)


def fold_verdict(inferred, input_arrays) -> Optional[str]:
    """None when folding a node is within the limit, else the reason it is not.

    ``inferred``: the node's [(dtype, shape)] from inference; ``input_arrays``: its constant
    inputs. A folded output may be as big as the largest constant input (moving real weights:
    a transpose of a 100 MB matrix needs what the file holds) or up to the limit; beyond both,
    the fold would create data the file does not have."""
    limit = max_fold_bytes()
    biggest_input = max((int(a.nbytes) for a in input_arrays if a is not None), default=0)
    for dtype, shape in inferred:
        if shape is not None and not any(isinstance(d, str) for d in shape) and element_count(shape) is None:
            return f"its output shape {[int(d) for d in shape]} has more than 2^62 elements"
        size = nbytes(dtype, shape)
        if size is not None and size > max(limit, biggest_input):
            dims = [int(d) for d in shape]
            return (f"its output ({dtype}{dims}, {human(size)}) is over the constant-folding limit of "
                    f"{human(limit)} per tensor")
    return None


def check_scratch(shape, itemsize: int, input_arrays) -> None:
    """For a reference about to allocate a working array (a padded input, an accumulation canvas)
    bigger than its output: ValueError when it is over the folding limit and its biggest input."""
    n = element_count(shape)
    size = None if n is None else n * itemsize
    limit = max([max_fold_bytes()] + [int(a.nbytes) for a in input_arrays if a is not None])
    if size is None or size > limit:
        raise ValueError(f"its working array {[int(d) for d in shape]} would take "
                         f"{'over 2^62 elements' if size is None else human(size)}, over the folding limit")


def raise_hint() -> str:
    return "raise the limit with pocketml.convert(..., max_fold_bytes=N) or `pocketml convert --max-fold-bytes 1G`"
