"""Signal-processing ops for audio front-ends: DFT, STFT, the Hann, Hamming and
Blackman windows and MelWeightMatrix, as ONNX defines them (opsets 17 and 20).

Complex tensors are real tensors with a trailing dim of 2 (re, im); a real
signal has a trailing dim of 1. DFT runs along ``axis`` (an index into the
full rank, so in [-r, -2] or [0, r-2]); ``inverse`` divides by the length,
``onesided`` keeps the first L//2+1 bins (forward) or expands them
Hermitian-symmetrically to a real signal of length L (inverse, numpy's irfft).
Lengths, axes, frame steps and window sizes fix output shapes: they are plan
inputs (constants or values known while planning). Windows and
MelWeightMatrix take ``output_datatype`` as a pocketml dtype code; every
numeric dtype is computed in float64 here (float32 in C) and cast.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from .registry import Attr, define
from ._common import INDEX, attrs_of, fail, fresh_dim, is_sym, known, shape_str

FLOATS = dtypes.FLOATS  # the FFT computes in float32; float16 loads to and stores from it
NUMERIC = dtypes.NUMERIC


def _scalar(node, ins, index: int, role: str, default=None):
    """A scalar parameter input's value: default when absent, None when known only at run time."""
    if index >= len(ins) or ins[index] is None:
        return default
    _, s = known(node, ins[index], role)
    if len(s) > 1 or (len(s) == 1 and s[0] != 1):
        raise fail(node, f"input {role!r} must be a scalar, got shape {shape_str(s)}")
    c = ins[index].const
    return None if c is None else int(np.asarray(c).reshape(-1)[0])


def _positive(node, v, role: str):
    if v is not None and v < 1:
        raise fail(node, f"{role} {v} must be >= 1")
    return v


def _in_value(inputs, index: int, default=None):
    if index < len(inputs) and inputs[index] is not None:
        return np.asarray(inputs[index]).reshape(-1)[0]
    return default


def _complex(x: np.ndarray) -> np.ndarray:
    """[..., 1] or [..., 2] real tensor -> complex [...] of its precision (complex64 for float32 and
    float16, as ONNX's reference computes: its node cases hold single-precision rounding)."""
    return x[..., 0] + 1j * x[..., 1] if x.shape[-1] == 2 else x[..., 0] + 0j


def _pack(c: np.ndarray, dtype) -> np.ndarray:
    return np.stack([c.real, c.imag], axis=-1).astype(dtype)


# ---- DFT ----------------------------------------------------------------------------------
def dft_axis(node, axis: int, rank: int) -> int:
    if not (-rank <= axis <= -2 or 0 <= axis <= rank - 2):
        raise fail(node, f"axis {axis} must be in [-{rank}, -2] or [0, {rank - 2}] for an input of rank {rank} "
                         f"(the last dim holds re/im)")
    return axis % rank


def _check_complex_input(node, s, role: str):
    if len(s) < 2 or is_sym(s[-1]) or int(s[-1]) not in (1, 2):
        raise fail(node, f"{role} must be [..., n, 1] (real) or [..., n, 2] (complex), got {shape_str(s)}")


def _dft_infer(node, ins):
    t, s = known(node, ins[0], "x")
    _check_complex_input(node, s, "x")
    a = attrs_of(node)
    last = 1 if a["inverse"] and a["onesided"] else 2
    length = _positive(node, _scalar(node, ins, 1, "dft_length"), "dft_length")
    axis = _scalar(node, ins, 2, "axis", a["axis"])
    if axis is None:  # run-time axis: every dim but the last may change
        return [(t, tuple(fresh_dim(node, i) for i in range(len(s) - 1)) + (last,))]
    ax = dft_axis(node, axis, len(s))
    n = s[ax]
    if length is None and 1 < len(ins) and ins[1] is not None:
        out = fresh_dim(node, ax, "n")
    elif a["inverse"] and a["onesided"]:
        out = length if length is not None else (f"2*({n}-1)" if is_sym(n) else 2 * (int(n) - 1))
        if not is_sym(out) and out < 1:
            raise fail(node, f"an inverse one-sided DFT of {n} bins needs dft_length (2*(n-1) = {out})")
    else:
        full = length if length is not None else n
        out = (f"{full}//2+1" if is_sym(full) else int(full) // 2 + 1) if a["onesided"] else full
    return [(t, tuple(s[:ax]) + (out,) + tuple(s[ax + 1:-1]) + (last,))]


def _dft_reference(inputs, attrs):
    x = inputs[0]
    axis = int(_in_value(inputs, 2, attrs["axis"])) % x.ndim
    c = _complex(x)
    inverse, onesided = attrs["inverse"], attrs["onesided"]
    length = _in_value(inputs, 1)
    length = int(length) if length is not None else (2 * (c.shape[axis] - 1) if inverse and onesided
                                                     else c.shape[axis])
    if inverse and onesided:
        return [np.fft.irfft(c, length, axis=axis)[..., None].astype(x.dtype)]
    y = np.fft.ifft(c, length, axis=axis) if inverse else np.fft.fft(c, length, axis=axis)
    if onesided:
        y = np.take(y, np.arange(length // 2 + 1), axis=axis)
    return [_pack(y, x.dtype)]


# ---- STFT ---------------------------------------------------------------------------------
def _stft_infer(node, ins):
    t, s = known(node, ins[0], "signal")
    _check_complex_input(node, s, "signal")
    if len(s) != 3:
        raise fail(node, f"signal must be [batch, length, 1 or 2], got {shape_str(s)}")
    step = _positive(node, _scalar(node, ins, 1, "frame_step"), "frame_step")
    length = _positive(node, _scalar(node, ins, 3, "frame_length"), "frame_length")
    win = None
    if len(ins) > 2 and ins[2] is not None:
        _, ws = known(node, ins[2], "window")
        if len(ws) != 1:
            raise fail(node, f"window must be 1-D, got {shape_str(ws)}")
        win = ws[0]
        if length is not None and not is_sym(win) and int(win) != length:
            raise fail(node, f"window has {win} values but frame_length is {length}")
    run_time_length = len(ins) > 3 and ins[3] is not None and length is None
    fl = None if run_time_length else (length if length is not None else (win if win is not None else s[1]))
    if fl is None or is_sym(fl) or step is None or is_sym(s[1]):
        frames = fresh_dim(node, 1, "frames")
    else:
        if int(fl) > int(s[1]):
            raise fail(node, f"frame_length {fl} is longer than the signal ({s[1]} samples)")
        frames = (int(s[1]) - int(fl)) // step + 1
    if fl is None or is_sym(fl):
        bins = fresh_dim(node, 2, "bins")
    else:
        bins = int(fl) // 2 + 1 if attrs_of(node)["onesided"] else int(fl)
    return [(t, (s[0], frames, bins, 2))]


def _stft_reference(inputs, attrs):
    x, step = inputs[0], int(_in_value(inputs, 1))
    window = inputs[2] if len(inputs) > 2 and inputs[2] is not None else None
    fl = _in_value(inputs, 3)
    fl = int(fl) if fl is not None else (len(window) if window is not None else x.shape[1])
    w = np.ones(fl, x.dtype) if window is None else window
    c = _complex(x)
    n_frames = (x.shape[1] - fl) // step + 1
    frames = np.stack([c[:, f * step:f * step + fl] * w for f in range(n_frames)], axis=1)
    y = np.fft.fft(frames, axis=-1)
    if attrs["onesided"]:
        y = y[..., :fl // 2 + 1]
    return [_pack(y, x.dtype)]


# ---- windows --------------------------------------------------------------------------------
def _output_dtype(node) -> str:
    code = attrs_of(node)["output_datatype"]
    if code not in dtypes.BY_CODE or dtypes.BY_CODE[code].name not in NUMERIC:
        raise fail(node, f"output_datatype {code} is not a supported dtype code; supported: "
                         + ", ".join(f"{d.code} ({d.name})" for d in dtypes.ALL if d.name in NUMERIC))
    return dtypes.BY_CODE[code].name


def _window_infer(node, ins):
    size = _scalar(node, ins, 0, "size")
    if size is not None and size < 0:
        raise fail(node, f"size {size} must be >= 0")
    return [(_output_dtype(node), (fresh_dim(node, 0, "size") if size is None else size,))]


# window name -> (a0, a1, a2): w[n] = a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N)
WINDOWS = {"HannWindow": (0.5, 0.5, 0.0), "HammingWindow": (25 / 46, 21 / 46, 0.0),
           "BlackmanWindow": (0.42, 0.5, 0.08)}


def _window_reference(name):
    a0, a1, a2 = WINDOWS[name]

    def reference(inputs, attrs):
        size = int(_in_value(inputs, 0))
        denom = size if attrs["periodic"] else size - 1
        with np.errstate(divide="ignore", invalid="ignore"):
            phase = 2 * np.pi * np.arange(size) / denom
        # float64, rounded to float32 once (as the C kernel), then cast: 0.9999999999999999 -> 1
        w = (a0 - a1 * np.cos(phase) + a2 * np.cos(2 * phase)).astype(np.float32)
        with np.errstate(invalid="ignore"):
            return [w.astype(dtypes.BY_CODE[attrs["output_datatype"]].np)]
    return reference


# ---- MelWeightMatrix ------------------------------------------------------------------------
def _mel_infer(node, ins):
    bins = _positive(node, _scalar(node, ins, 0, "num_mel_bins"), "num_mel_bins")
    length = _positive(node, _scalar(node, ins, 1, "dft_length"), "dft_length")
    for i, role in ((2, "sample_rate"), (3, "lower_edge_hertz"), (4, "upper_edge_hertz")):
        _, s = known(node, ins[i], role)
        if len(s) > 1 or (len(s) == 1 and s[0] != 1):
            raise fail(node, f"input {role!r} must be a scalar, got shape {shape_str(s)}")
    return [(_output_dtype(node), (fresh_dim(node, 0, "bins") if length is None else length // 2 + 1,
                                   fresh_dim(node, 1, "mels") if bins is None else bins))]


def mel_edges(num_mel_bins: int, dft_length: int, sample_rate: int, lower: float, upper: float) -> np.ndarray:
    """The num_mel_bins + 2 triangle edges as spectrogram bin indices (ONNX's formula:
    num_mel_bins + 2 steps of equal mel width, bins floor((L + 1) f / rate))."""
    lo, hi = (2595 * np.log1p(np.float64(f) / 700) / np.log(10) for f in (lower, upper))
    mels = lo + np.arange(num_mel_bins + 2) * ((hi - lo) / (num_mel_bins + 2))
    hz = 700 * np.expm1(mels / 2595 * np.log(10))
    return np.floor_divide((dft_length + 1) * hz, sample_rate).astype(np.int64)


def _mel_reference(inputs, attrs):
    m, length, rate = (int(_in_value(inputs, i)) for i in range(3))
    edges = mel_edges(m, length, rate, float(_in_value(inputs, 3)), float(_in_value(inputs, 4)))
    out = np.zeros((length // 2 + 1, m))
    j = np.arange(length // 2 + 1)
    for i in range(m):
        lo, mid, hi = edges[i:i + 3]
        rise = (j - lo) / (mid - lo) if mid > lo else (j == mid).astype(np.float64)
        fall = (hi - j) / (hi - mid) if hi > mid else np.zeros(len(j))
        out[:, i] = np.where((j >= lo) & (j <= mid), rise, 0.0)
        out[:, i] = np.where((j >= mid) & (j < hi), fall, out[:, i])
    return [out.astype(np.float32).astype(dtypes.BY_CODE[attrs["output_datatype"]].np)]


define("DFT", 300, "signal", ("x: T", "dft_length?: I", "axis?: I"), ("y: T",),
       {"axis": Attr("int", 1), "inverse": Attr("int", 0), "onesided": Attr("int", 0)},
       types={"T": FLOATS, "I": INDEX}, plan_inputs=("dft_length", "axis"), infer=_dft_infer,
       reference=_dft_reference)
define("STFT", 301, "signal", ("signal: T", "frame_step: I", "window?: T", "frame_length?: I"), ("y: T",),
       {"onesided": Attr("int", 1)}, types={"T": FLOATS, "I": INDEX}, plan_inputs=("frame_step", "frame_length"),
       infer=_stft_infer, reference=_stft_reference)
for _name, _code in (("HannWindow", 302), ("HammingWindow", 303), ("BlackmanWindow", 304)):
    define(_name, _code, "signal", ("size: I",), ("y: T",),
           {"periodic": Attr("int", 1), "output_datatype": Attr("int", dtypes.BY_NAME["float32"].code)},
           types={"I": INDEX, "T": NUMERIC}, plan_inputs=("size",), infer=_window_infer,
           reference=_window_reference(_name))
define("MelWeightMatrix", 305, "signal",
       ("num_mel_bins: I", "dft_length: I", "sample_rate: I", "lower_edge_hertz: F", "upper_edge_hertz: F"),
       ("y: T",), {"output_datatype": Attr("int", dtypes.BY_NAME["float32"].code)},
       types={"I": INDEX, "F": FLOATS, "T": NUMERIC}, plan_inputs=("num_mel_bins", "dft_length"),
       infer=_mel_infer, reference=_mel_reference)
