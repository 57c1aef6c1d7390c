"""Recurrent layers: LSTM, GRU, RNN with ONNX semantics (time-major layout).

Inputs (ONNX order; "?" optional): X [S,B,I], W [D,G*H,I], R [D,G*H,H],
B? [D,2*G*H] (Wb then Rb), sequence_lens? int32 [B], initial_h? [D,B,H],
and for LSTM initial_c? [D,B,H], P? [D,3*H] (peepholes i, o, f).
G is the gate count (LSTM 4: i o f c; GRU 3: z r h; RNN 1), D the number of
directions. Outputs (always all of them; the importer names unused ones):
Y [S,D,B,H], Y_h [D,B,H] and for LSTM Y_c [D,B,H]. The batch-major ONNX
layout (layout=1) is converted by the importer with transposes.

Attributes: direction 0 forward / 1 reverse / 2 bidirectional; hidden_size;
activations: one RNN_ACT_* code per slot, slots per direction (LSTM f g h,
GRU f g, RNN f), all directions listed (empty: the ONNX defaults);
activation_alpha / activation_beta: one value per slot (the importer resolves
ONNX's packed lists and the per-function defaults); clip: cell clip applied
to every gate pre-activation (0 = none); cell_clip (LSTM: the cell state
clipped to [-cell_clip, cell_clip] once updated, before the output gate reads
it, as TFLite's LSTMs do; 0 = none); input_forget (LSTM: f = 1 - i);
linear_before_reset (GRU).

sequence_lens: batch b runs its first len[b] steps (reverse: those steps
backwards); Y is zero past len[b] and Y_h/Y_c hold the state after the last
valid step (zero when len[b] = 0, as onnxruntime does).
"""
from __future__ import annotations

import numpy as np

from .registry import REGISTRY, Attr, define
from ._common import (
    FLOAT,
    _sigmoid,
    dims_equal,
    fail,
    is_sym,
    known,
    shape_str,
)

# Activation codes (kernels/recurrent.h mirrors them); name -> (code, uses alpha, uses beta, alpha0, beta0).
RNN_ACTIVATIONS = {
    "sigmoid": (0, False, False, 0.0, 0.0),
    "tanh": (1, False, False, 0.0, 0.0),
    "relu": (2, False, False, 0.0, 0.0),
    "hardsigmoid": (3, True, True, 0.2, 0.5),
    "affine": (4, True, True, 1.0, 0.0),
    "leakyrelu": (5, True, False, 0.01, 0.0),
    "thresholdedrelu": (6, True, False, 1.0, 0.0),
    "scaledtanh": (7, True, True, 1.0, 1.0),
    "elu": (8, True, False, 1.0, 0.0),
    "softsign": (9, False, False, 0.0, 0.0),
    "softplus": (10, False, False, 0.0, 0.0),
}
SIGMOID, TANH = 0, 1


def _softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


# code -> f(x, alpha, beta) on float32 arrays
RNN_ACT_FNS = {
    0: lambda x, a, b: _sigmoid(x),
    1: lambda x, a, b: np.tanh(x),
    2: lambda x, a, b: np.maximum(x, 0),
    3: lambda x, a, b: np.clip(a * x + b, 0, 1),
    4: lambda x, a, b: a * x + b,
    5: lambda x, a, b: np.where(x < 0, a * x, x),
    6: lambda x, a, b: np.where(x > a, x, 0),
    7: lambda x, a, b: a * np.tanh(b * x),
    8: lambda x, a, b: np.where(x < 0, a * np.expm1(np.minimum(x, 0)), x),
    9: lambda x, a, b: x / (1 + np.abs(x)),
    10: lambda x, a, b: _softplus(x),
}

# op -> (gates, activation slots per direction, default activations)
CELLS = {"LSTM": (4, 3, (SIGMOID, TANH, TANH)), "GRU": (3, 2, (SIGMOID, TANH)), "RNN": (1, 1, (TANH,))}
DIRECTIONS = ("forward", "reverse", "bidirectional")

_ATTRS = {
    "direction": Attr("int", 0),
    "hidden_size": Attr("int"),
    "activations": Attr("ints", []),
    "activation_alpha": Attr("floats", []),
    "activation_beta": Attr("floats", []),
    "clip": Attr("float", 0.0),
}


def _infer(node, ins):
    attrs = REGISTRY[node.op].attrs_of(node)
    gates, slots, _ = CELLS[node.op]
    direction, hidden = int(attrs["direction"]), int(attrs["hidden_size"])
    if direction not in (0, 1, 2):
        raise fail(node, f"direction {direction} must be 0 (forward), 1 (reverse) or 2 (bidirectional)")
    if hidden < 1:
        raise fail(node, f"hidden_size {hidden} must be >= 1")
    nd = 2 if direction == 2 else 1
    acts = list(attrs["activations"])
    if acts and len(acts) != slots * nd:
        raise fail(node, f"activations has {len(acts)} entries, expected {slots * nd} ({slots} per direction)")
    if any(int(a) not in RNN_ACT_FNS for a in acts):
        raise fail(node, f"unknown activation code in {acts} (known: {sorted(RNN_ACT_FNS)})")
    for name in ("activation_alpha", "activation_beta"):
        if attrs[name] and len(attrs[name]) != len(acts):
            raise fail(node, f"{name} has {len(attrs[name])} entries, expected one per activation ({len(acts)})")
    for name in ("clip", "cell_clip"):
        if float(attrs.get(name, 0.0)) < 0:
            raise fail(node, f"{name} {attrs[name]} must be >= 0 (0: no clip)")
    t, xs = known(node, ins[0], "X")
    if len(xs) != 3:
        raise fail(node, f"X must be [seq, batch, input], got {shape_str(xs)}")
    seq, batch, isz = xs
    expect = {1: ("W", (nd, gates * hidden, isz)), 2: ("R", (nd, gates * hidden, hidden)),
              3: ("B", (nd, 2 * gates * hidden)), 5: ("initial_h", (nd, batch, hidden))}
    if node.op == "LSTM":
        expect.update({6: ("initial_c", (nd, batch, hidden)), 7: ("P", (nd, 3 * hidden))})
    for i, v in enumerate(ins[1:], 1):
        if v is None:
            if i in (1, 2):
                raise fail(node, f"input {'WR'[i - 1]} is required")
            continue
        if i == 4:
            tv, sv = known(node, v, "sequence_lens")
            if tv != "int32" or len(sv) != 1 or not (is_sym(sv[0]) or is_sym(batch) or dims_equal(sv[0], batch)):
                raise fail(node, f"sequence_lens must be int32 [batch={batch}], got {tv} {shape_str(sv)}")
            continue
        if i not in expect:
            raise fail(node, f"has {len(ins)} inputs; {node.op} takes at most {max(expect) + 1}")
        role, want = expect[i]
        tv, sv = known(node, v, role)
        if len(sv) != len(want) or not all(is_sym(a) or is_sym(b) or dims_equal(a, b) for a, b in zip(sv, want)):
            raise fail(node, f"{role} shape {shape_str(sv)} must be {shape_str(want)} (directions {nd}, "
                             f"hidden_size {hidden}, input size {isz})")
    state = (t, (nd, batch, hidden))
    return [(t, (seq, nd, batch, hidden)), state] + ([state] if node.op == "LSTM" else [])


def _cell_lstm(x, h, c, w, r, b, p, f, attrs, clip):
    """One LSTM step for one direction: returns (h, c). f = (f, g, h) activations."""
    hid = h.shape[-1]
    g = x @ w.T + h @ r.T + b[:4 * hid] + b[4 * hid:]
    gi, go, gf, gc = (g[:, k * hid:(k + 1) * hid] for k in range(4))
    pi, po, pf = (p[k * hid:(k + 1) * hid] for k in range(3))
    i = f[0](clip(gi + pi * c))
    fg = 1 - i if attrs.get("input_forget", 0) else f[0](clip(gf + pf * c))
    c = fg * c + i * f[1](clip(gc))
    cell_clip = float(attrs.get("cell_clip", 0.0))
    if cell_clip > 0:
        c = np.clip(c, -cell_clip, cell_clip)
    o = f[0](clip(go + po * c))
    return o * f[2](c), c


def _cell_gru(x, h, c, w, r, b, p, f, attrs, clip):
    hid = h.shape[-1]
    wb, rb = b[:3 * hid], b[3 * hid:]
    xw = x @ w.T + wb
    hr = h @ r[:2 * hid].T + rb[:2 * hid]
    z = f[0](clip(xw[:, :hid] + hr[:, :hid]))
    rg = f[0](clip(xw[:, hid:2 * hid] + hr[:, hid:]))
    rh, rbh = r[2 * hid:], rb[2 * hid:]
    if attrs.get("linear_before_reset", 0):
        n = f[1](clip(xw[:, 2 * hid:] + rg * (h @ rh.T + rbh)))
    else:
        n = f[1](clip(xw[:, 2 * hid:] + (rg * h) @ rh.T + rbh))
    return (1 - z) * n + z * h, c


def _cell_rnn(x, h, c, w, r, b, p, f, attrs, clip):
    hid = h.shape[-1]
    return f[0](clip(x @ w.T + h @ r.T + b[:hid] + b[hid:])), c


_CELL_FNS = {"LSTM": _cell_lstm, "GRU": _cell_gru, "RNN": _cell_rnn}


def _reference(op):
    gates, slots, defaults = CELLS[op]

    def reference(inputs, attrs):
        inputs = list(inputs) + [None] * (8 - len(inputs))
        x, w, r, b, lens, h0, c0, p = inputs
        seq, batch, _ = x.shape
        hid, nd = int(attrs["hidden_size"]), 2 if int(attrs["direction"]) == 2 else 1
        acts = list(attrs["activations"]) or list(defaults) * nd
        alphas = list(attrs["activation_alpha"]) or [0.0] * len(acts)
        betas = list(attrs["activation_beta"]) or [0.0] * len(acts)
        cl = float(attrs["clip"])
        clip = (lambda v: np.clip(v, -cl, cl)) if cl > 0 else (lambda v: v)
        lens = np.full(batch, seq, np.int64) if lens is None else lens.astype(np.int64)
        if np.any((lens < 0) | (lens > seq)):
            raise ValueError(f"{op}: sequence_lens {lens.tolist()} must lie in [0, {seq}]")
        y = np.zeros((seq, nd, batch, hid), np.float32)
        yh = np.zeros((nd, batch, hid), np.float32)
        yc = np.zeros((nd, batch, hid), np.float32)
        for d in range(nd):
            s0 = d * slots
            f = [(lambda v, k=k: RNN_ACT_FNS[int(acts[k])](v, np.float32(alphas[k]), np.float32(betas[k])))
                 for k in range(s0, s0 + slots)]
            bd = b[d] if b is not None else np.zeros(2 * gates * hid, np.float32)
            pd = p[d] if p is not None else np.zeros(3 * hid, np.float32)
            reverse = int(attrs["direction"]) == 1 or d == 1
            for n in range(batch):  # one batch row at a time: each has its own length and time order
                h = (h0[d, n:n + 1] if h0 is not None else np.zeros((1, hid), np.float32)).copy()
                c = (c0[d, n:n + 1] if c0 is not None else np.zeros((1, hid), np.float32)).copy()
                steps = range(lens[n] - 1, -1, -1) if reverse else range(lens[n])
                for t in steps:
                    h, c = _CELL_FNS[op](x[t, n:n + 1], h, c, w[d], r[d], bd, pd, f, attrs, clip)
                    y[t, d, n] = h[0]
                if lens[n] > 0:  # an empty sequence leaves zero states (onnxruntime)
                    yh[d, n], yc[d, n] = h[0], c[0]
        outs = [y, yh] + ([yc] if op == "LSTM" else [])
        return [o.astype(np.float32) for o in outs]

    return reference


_TYPES = {"T": FLOAT, "I": ("int32",)}  # sequence_lens is int32 (ONNX)
_STATE_IN = ("X: T", "W: T", "R: T", "B?: T", "sequence_lens?: I", "initial_h?: T")
define("LSTM", 180, "recurrent", _STATE_IN + ("initial_c?: T", "P?: T"), ("Y: T", "Y_h: T", "Y_c: T"),
       {**_ATTRS, "input_forget": Attr("int", 0), "cell_clip": Attr("float", 0.0)}, _infer, _reference("LSTM"), types=_TYPES,
       doc="LSTM, ONNX semantics, time-major")
define("GRU", 181, "recurrent", _STATE_IN, ("Y: T", "Y_h: T"),
       {**_ATTRS, "linear_before_reset": Attr("int", 0)}, _infer, _reference("GRU"), types=_TYPES,
       doc="GRU, ONNX semantics, time-major")
define("RNN", 182, "recurrent", _STATE_IN, ("Y: T", "Y_h: T"), _ATTRS, _infer, _reference("RNN"), types=_TYPES,
       doc="simple RNN, ONNX semantics, time-major")
