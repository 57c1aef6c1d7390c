"""Helpers shared by the op families' infer and reference functions.

Shape inference errors are ValueErrors that name the node, its op and the
problem (``fail``). Symbolic dims (str) propagate through broadcasting and
window arithmetic as readable expressions. The fused-activation table
(``ACTIVATIONS``) is the one numpy definition of every activation: the unary
ops' references and ``apply_activation`` (used by Conv, Gemm, binary ops...)
both read it, so a fused Relu and a standalone Relu cannot drift apart.
"""
from __future__ import annotations

import math

import numpy as np

from .registry import (ACT_CLIP, ACT_GELU_ERF, ACT_GELU_TANH, ACT_HARDSIGMOID, ACT_HARDSWISH, ACT_LEAKY_RELU, ACT_NONE,
               ACT_RELU, ACT_SIGMOID, ACT_TANH)

from .. import dtypes
from .limits import check_length
from .registry import REGISTRY

# Dtype sets for type variables narrower than the groups of pocketml.dtypes
# (FLOATS, NUMERIC, ANY...): what the C kernels of a family compute today.
FLOAT = ("float32",)  # the norm, recurrent and attention ops with float32 kernels only
INDEX = ("int32", "int64")
BOOL = ("bool",)
ANY = dtypes.ANY  # data movement: any dtype, moved by element size


# ---- errors and checks ------------------------------------------------------------
def fail(node, msg: str) -> ValueError:
    """The error every infer raises: node name, op and the problem."""
    return ValueError(f"node {node.name!r} ({node.op}): {msg}")


def attrs_of(node) -> dict:
    """The node's attributes with the registry defaults filled in."""
    return REGISTRY[node.op].attrs_of(node)


def known(node, value, role: str):
    """Return (dtype, shape) of an input whose dtype and rank must be known."""
    if value is None:
        raise fail(node, f"input {role!r} is missing")
    if value.dtype is None or value.shape is None:
        raise fail(node, f"input {role!r} ({value.name}) has unknown dtype or rank; infer its producer first")
    return value.dtype, tuple(value.shape)


def check_dtype(node, dtype: str, allowed, role: str) -> None:
    if allowed is not None and dtype not in allowed:
        raise fail(node, f"input {role!r} has dtype {dtype}; supported: {', '.join(allowed)}")


def check_rank(node, shape, rank: int, role: str) -> None:
    if len(shape) != rank:
        raise fail(node, f"input {role!r} must have rank {rank}, got shape {shape_str(shape)}")


def static_dim(node, d, what: str) -> int:
    if not isinstance(d, (int, np.integer)):
        raise fail(node, f"{what} must be a static dimension, got symbolic {d!r}")
    return int(d)


def normalize_axis(node, axis: int, rank: int, what: str = "axis") -> int:
    if not -rank <= axis < max(rank, 1):
        raise fail(node, f"{what} {axis} is out of range for rank {rank}")
    return axis % rank if rank else 0


def shape_str(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def binary_infer(out_dtype=None, fused_act=True):
    """Both inputs broadcast (their dtypes are checked by the registry's type
    constraints); the output has out_dtype (default: the inputs')."""
    def infer(node, ins):
        (ta, sa), (tb, sb) = known(node, ins[0], "a"), known(node, ins[1], "b")
        if fused_act:
            check_act(node, node.attrs)
        return [(out_dtype or ta, broadcast_shapes(node, sa, sb))]
    return infer


# ---- symbolic dims --------------------------------------------------------------
def is_sym(d) -> bool:
    return isinstance(d, str)


def dims_equal(a, b) -> bool:
    return (is_sym(a) and is_sym(b) and a == b) or (not is_sym(a) and not is_sym(b) and int(a) == int(b))


def broadcast_shapes(node, *shapes) -> tuple:
    """numpy broadcasting with symbolic dims: 1 yields to anything, equal dims
    stay, a symbolic dim against a static one > 1 is assumed to equal it (the
    runtime checks), and two different symbolic dims give "max(a,b)"."""
    rank = max(len(s) for s in shapes)
    out = []
    for i in range(rank):
        dims = [s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0]
        d = 1
        for e in dims:
            if not is_sym(e) and int(e) == 1:
                continue
            if not is_sym(d) and d == 1:
                d = e
            elif dims_equal(d, e):
                continue
            elif is_sym(d) and is_sym(e):
                d = f"max({d},{e})"
            elif is_sym(d) or is_sym(e):
                d = e if is_sym(d) else d
            else:
                raise fail(node, "shapes " + " and ".join(shape_str(s) for s in shapes) + " do not broadcast")
        out.append(d if is_sym(d) else int(d))
    return tuple(out)


def window_out(node, size, kernel: int, stride: int, dilation: int, pad_begin: int, pad_end: int,
               ceil_mode: bool = False, what: str = "spatial dim"):
    """Output length of a sliding window (conv/pool), ONNX rules. Symbolic
    input lengths give a symbolic expression; static ones are checked."""
    eff = dilation * (kernel - 1) + 1
    if is_sym(size):
        if kernel == 1 and stride == 1 and pad_begin == pad_end == 0:
            return size
        rnd = "ceil" if ceil_mode else "floor"
        return f"{rnd}(({size}+{pad_begin + pad_end}-{eff})/{stride})+1"
    span = int(size) + pad_begin + pad_end - eff
    if span < 0:
        raise fail(node, f"window {eff} (kernel {kernel}, dilation {dilation}) is larger than the padded {what} "
                         f"{int(size) + pad_begin + pad_end}")
    if ceil_mode:
        out = -(-span // stride) + 1
        # ONNX/PyTorch: the last window must start inside the input or its leading padding
        if (out - 1) * stride >= int(size) + pad_begin:
            out -= 1
    else:
        out = span // stride + 1
    return out


def window_view(xp: np.ndarray, kernel, strides, dilations, out_hw) -> np.ndarray:
    """[N,H,W,C] padded input -> read-only view [N,OH,OW,KH,KW,C] of every window
    (no copy: the im2col matrix is materialised only when a matmul needs it)."""
    n, _, _, c = xp.shape
    sn, sh, sw, sc = xp.strides
    shape = (n, out_hw[0], out_hw[1], kernel[0], kernel[1], c)
    st = (sn, sh * strides[0], sw * strides[1], sh * dilations[0], sw * dilations[1], sc)
    return np.lib.stride_tricks.as_strided(xp, shape, st, writeable=False)


# ---- activations ------------------------------------------------------------------
def _sigmoid(x):
    # split by sign so exp never overflows
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def hard_sigmoid(x, alpha, beta):
    return np.clip(alpha * x + beta, 0, 1).astype(x.dtype)


_erf = np.vectorize(math.erf, otypes=[np.float64])
_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def erf(x):
    """erf in float64 (numpy has none), returned in x's dtype."""
    return _erf(np.asarray(x, np.float64)).astype(np.asarray(x).dtype)


def gelu_erf(x):
    # x/2 * (1 + erf(x/sqrt2)); for x < 0, 1 + erf(x/sqrt2) = erfc(-x/sqrt2) keeps the tail exact
    z = np.asarray(x, np.float64) / math.sqrt(2.0)
    return (0.5 * np.asarray(x, np.float64) * np.where(z < 0, _erfc(-z), 1.0 + _erf(z))).astype(np.asarray(x).dtype)


def gelu_tanh(x):
    # x/2 * (1 + tanh(u)) = x * sigmoid(2u), u = sqrt(2/pi) * (x + 0.044715 x^3)
    xd = np.asarray(x, np.float64)
    u = math.sqrt(2.0 / math.pi) * (xd + 0.044715 * xd ** 3)
    with np.errstate(over="ignore", invalid="ignore"):
        return (0.5 * xd * (1.0 + np.tanh(u))).astype(np.asarray(x).dtype)


# act kind -> f(x, alpha, beta). Clip: alpha = min, beta = max.
# LeakyRelu: alpha = slope. HardSigmoid: alpha, beta as ONNX. Gelu: ONNX's
# approximate="none" (erf) and "tanh".
ACTIVATIONS = {
    ACT_NONE: lambda x, a, b: x,
    ACT_RELU: lambda x, a, b: np.maximum(x, 0).astype(x.dtype),
    ACT_CLIP: lambda x, a, b: np.clip(x, a, b).astype(x.dtype),
    ACT_SIGMOID: lambda x, a, b: _sigmoid(x),
    ACT_HARDSWISH: lambda x, a, b: x * hard_sigmoid(x, 1.0 / 6.0, 0.5),
    ACT_LEAKY_RELU: lambda x, a, b: np.where(x < 0, x * np.asarray(a, x.dtype), x),
    ACT_TANH: lambda x, a, b: np.tanh(x),
    ACT_HARDSIGMOID: lambda x, a, b: hard_sigmoid(x, a, b),
    ACT_GELU_ERF: lambda x, a, b: gelu_erf(x),
    ACT_GELU_TANH: lambda x, a, b: gelu_tanh(x),
}


def apply_activation(y: np.ndarray, attrs: dict) -> np.ndarray:
    """Apply the fused activation named by attrs act/act_alpha/act_beta."""
    kind = int(attrs.get("act", ACT_NONE))
    if kind not in ACTIVATIONS:
        raise ValueError(f"unknown fused activation kind {kind} (known: {sorted(ACTIVATIONS)})")
    if kind == ACT_NONE:
        return y
    y = np.asarray(y)
    return np.asarray(ACTIVATIONS[kind](y, attrs.get("act_alpha", 0.0), attrs.get("act_beta", 0.0))).astype(y.dtype)


def check_act(node, attrs: dict) -> None:
    if int(attrs.get("act", ACT_NONE)) not in ACTIVATIONS:
        raise fail(node, f"unknown fused activation kind {attrs.get('act')} (known: {sorted(ACTIVATIONS)})")


def fresh_dim(node, index: int, what: str = "d") -> str:
    """A new symbolic dim for an output size known only at run time
    (e.g. Reshape to a computed shape, Range, TopK with a run-time k)."""
    return f"{node.name}:{what}{index}"


def prod(dims):
    return math.prod(int(d) for d in dims)


def param_len(node, ins, index: int, role: str) -> int:
    """Static element count of a 1-D parameter input whose value is not known yet."""
    _, s = known(node, ins[index], role)
    n = 1 if not s else static_dim(node, s[0], f"length of input {role!r}")
    why = check_length(n, f"input {role!r}")
    if why:  # before a caller builds n dims
        raise fail(node, why)
    return n


def input_ints(inputs, index: int, attrs, name: str) -> list:
    """Reference side of param_ints: the input's values if given, else the attribute."""
    if index < len(inputs) and inputs[index] is not None:
        return [int(a) for a in np.asarray(inputs[index]).reshape(-1)]
    return [int(a) for a in np.asarray(attrs[name]).reshape(-1)]


AUTO_PAD_SAME_UPPER, AUTO_PAD_SAME_LOWER = 1, 2  # the auto_pad attribute of Conv and the pools (0: explicit pads)


def same_pads(size: int, kernel: int, stride: int, dilation: int, lower: bool) -> tuple:
    """(begin, end) padding of one axis for ONNX SAME_UPPER / SAME_LOWER: output ceil(size / stride)."""
    out = -(-size // stride)
    total = max(0, (out - 1) * stride + (kernel - 1) * dilation + 1 - size)
    small, big = total // 2, total - total // 2
    return (big, small) if lower else (small, big)


def with_auto_pads(attrs: dict, hw, kernel) -> dict:
    """attrs with auto_pad SAME_* turned into the explicit [t, l, b, r] pads of input size hw."""
    if not attrs.get("auto_pad"):
        return attrs
    lower = attrs["auto_pad"] == AUTO_PAD_SAME_LOWER
    (t, b), (l, r) = (same_pads(int(hw[i]), int(kernel[i]), int(attrs["strides"][i]), int(attrs["dilations"][i]),
                                lower) for i in range(2))
    return {**attrs, "pads": [t, l, b, r], "auto_pad": 0}


def same_out(node, size, stride: int):
    """Output length of a SAME-padded window: ceil(size / stride), symbolic for a symbolic size."""
    if is_sym(size):
        return size if stride == 1 else f"ceil({size}/{stride})"
    return -(-int(size) // stride)
