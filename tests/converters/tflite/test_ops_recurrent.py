"""TFLite sequence builtins (UNIDIRECTIONAL_SEQUENCE_LSTM / _RNN, BIDIRECTIONAL_SEQUENCE_LSTM)
and the FFT / segment builtins (RFFT2D with COMPLEX_ABS, SEGMENT_SUM): pocketml against the
LiteRT interpreter at awkward shapes (batch > 1, odd hidden sizes, both time layouts), plus
the refusals of what the IR has no exact form for."""
from __future__ import annotations

import numpy as np
import pytest

from pocketml.errors import UnsupportedOpError

from .tflite_builder import build_model
from .test_ops import case_adders, litert_tests

CASES = []
add, add_op = case_adders(CASES)
OP_LIST = """UNIDIRECTIONAL_SEQUENCE_LSTM""".split()
RNG = np.random.default_rng(31)
F32 = "float32"


def _w(*shape, scale=0.5):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def _seq(seq, batch, isz, time_major):
    return _w(seq, batch, isz, scale=1.0) if time_major else _w(batch, seq, isz, scale=1.0)


def _lstm_group(prefix: str, isz: int, hidden: int, peephole: bool, bias: bool = True) -> dict:
    """The 17 per-direction LSTM inputs (name -> array or None), in TFLite order."""
    g = {}
    for gate in "ifco":
        g[f"{prefix}w_{gate}"] = _w(hidden, isz)
    for gate in "ifco":
        g[f"{prefix}r_{gate}"] = _w(hidden, hidden)
    for gate in "ifo":
        g[f"{prefix}p_{gate}"] = _w(hidden) if peephole else None
    for gate in "ifco":
        g[f"{prefix}b_{gate}"] = _w(hidden) if bias or gate == "f" else None
    g[f"{prefix}proj_w"] = None
    g[f"{prefix}proj_b"] = None
    return g


def _model(op: str, x: np.ndarray, groups: list, states: list, outs: dict, options: dict, tail: list = ()):
    """op on graph input x, then the constant groups (name -> array or None for an absent input),
    then the variable state tensors (name -> shape) and the extra inputs ``tail`` (absent)."""
    tensors = {"x": (F32, x.shape, None)}
    names = ["x"]
    for group in groups:
        for n, a in group.items():
            names.append(n if a is not None else "")
            if a is not None:
                tensors[n] = (F32, a.shape, a)
    for n, shape in states:
        names.append(n)
        tensors[n] = (F32, shape, None)
    names += list(tail)
    tensors.update({n: (F32, s, None) for n, s in outs.items()})
    return build_model([(op, names, list(outs), options)], tensors, ["x"], list(outs),
                       variables=[n for n, _ in states])


def lstm_model(seq, batch, isz, hidden, time_major=True, peephole=False, act="TANH", cell_clip=0.0, bias=True):
    x = _seq(seq, batch, isz, time_major)
    out = (seq, batch, hidden) if time_major else (batch, seq, hidden)
    data = _model("UNIDIRECTIONAL_SEQUENCE_LSTM", x, [_lstm_group("", isz, hidden, peephole, bias)],
                  [("h", (batch, hidden)), ("c", (batch, hidden))], {"y": out},
                  {"fused_activation_function": act, "cell_clip": cell_clip, "time_major": time_major},
                  tail=["", "", "", ""])
    return data, x


# ---- UNIDIRECTIONAL_SEQUENCE_LSTM ---------------------------------------------------------------
for seq, batch, isz, hidden, tm, peep, act, clip in (
        (5, 1, 3, 4, True, False, "TANH", 0.0), (4, 3, 5, 7, False, False, "TANH", 0.0),
        (6, 2, 4, 9, True, True, "TANH", 0.0), (3, 4, 2, 5, False, True, "RELU", 0.0),
        (7, 3, 3, 6, True, False, "TANH", 0.4), (5, 2, 6, 3, False, True, "RELU", 0.7),
        (1, 5, 1, 1, True, False, "TANH", 0.0)):
    data, x = lstm_model(seq, batch, isz, hidden, tm, peep, act, clip)
    add(f"uni_lstm-s{seq}b{batch}i{isz}h{hidden}-{'tm' if tm else 'bm'}-{'peep' if peep else 'nopeep'}-{act}"
        f"-clip{clip}", data, [x])


def _convert(data: bytes, tmp_path):
    import pocketml

    path = tmp_path / "model.tflite"
    path.write_bytes(data)
    return pocketml.convert(path)


def test_lstm_refusals(tmp_path):
    """CIFG, projection, layer norm and bounded-ReLU activations are refused naming what."""
    isz, hidden, batch = 3, 4, 2
    x = _seq(3, batch, isz, True)
    states = [("h", (batch, hidden)), ("c", (batch, hidden))]
    opts = {"fused_activation_function": "TANH", "time_major": True}

    def model(group, tail=("", "", "", ""), options=opts):
        return _model("UNIDIRECTIONAL_SEQUENCE_LSTM", x, [group], states, {"y": (3, batch, hidden)}, options,
                      tail=list(tail))
    cifg = _lstm_group("", isz, hidden, False)
    cifg["w_i"], cifg["r_i"], cifg["b_i"] = None, None, None
    proj = _lstm_group("", isz, hidden, False)
    proj["proj_w"] = _w(hidden, hidden)
    cases = [(model(cifg), "input_to_input_weights"), (model(proj), "projection_weights"),
             (model(_lstm_group("", isz, hidden, False), options={**opts, "fused_activation_function": "RELU6"}),
              "RELU6"),
             (model(_lstm_group("", isz, hidden, False), options={**opts, "fused_activation_function": "NONE"}),
              "NONE")]
    for data, what in cases:
        with pytest.raises(UnsupportedOpError, match=what):
            _convert(data, tmp_path)


test_litert_matches_numpy, test_pocketml_matches_litert = litert_tests(CASES)
