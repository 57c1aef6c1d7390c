"""TFLite sequence RNNs -> the IR recurrent ops (ONNX LSTM / RNN, time-major).

UNIDIRECTIONAL_SEQUENCE_LSTM and each direction of BIDIRECTIONAL_SEQUENCE_LSTM become
one IR LSTM: TFLite keeps one [cell, input] matrix per gate in the order i, f, c, o,
ONNX stacks them i, o, f, c; the per-gate biases go in the same order with zero
recurrent biases; the peepholes (cell_to_input/forget/output) become P (i, o, f), and
cell_clip is the LSTM's cell_clip (it bounds the cell state, not the gate inputs as
ONNX's clip does). The fused activation is the cell gate's and the output's activation
(ONNX g and h). UNIDIRECTIONAL_SEQUENCE_RNN becomes an IR RNN, each direction of
BIDIRECTIONAL_SEQUENCE_RNN one too. A batch-major sequence (time_major false) is
transposed to time-major and back. An absent bias reads as zeros (LiteRT requires them).

What the IR LSTM has no exact form for is refused naming the input: CIFG (no
input_to_input weights: TFLite couples i = 1 - f, ONNX's input_forget f = 1 - i),
projection weights, layer-norm coefficients, aux inputs, diagonal recurrent weights,
and fused activations other than RELU and TANH (and NONE for the RNN).

The recurrent state inputs are variable tensors in TFLite (is_variable): LiteRT keeps
them across invocations, starting from zeros (or their data). They become Variables
(ops_state.py) that the op's final states are assigned to, so a session carries the state
from run to run as one LiteRT interpreter does (Session.reset_state() is LiteRT's
reset_all_variables). With a dynamic shape (a batch of -1) the state starts from zeros on every run;
a state that an earlier operator (or the graph's inputs) produces is read as that value.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import tflite
from tflite.ActivationFunctionType import ActivationFunctionType as AF

from pocketml.ops.recurrent import RNN_ACTIVATIONS

from .context import Context, handler
from .ops_state import tensor_variable, write_tensor_variable
from .reader import buffer_bytes

# TFLite fused activation -> IR RNN activation (name, alpha, beta). LiteRT's sequence kernels also
# take RELU6 and RELU_N1_TO_1, which no IR RNN activation bounds the same way. NONE is refused for
# the LSTMs: LiteRT's output step applies it out of place and its NONE case writes nothing, so the
# output multiplies stale scratch (the cell gate itself would be the identity); the RNN has no such step.
_ACTS = {AF.RELU: ("relu", 0.0, 0.0), AF.TANH: ("tanh", 0.0, 0.0)}
_RNN_ACTS = {**_ACTS, AF.NONE: ("affine", 1.0, 0.0)}
_ACT_NAMES = {v: k for k, v in vars(AF).items() if not k.startswith("_")}
_SIGMOID = RNN_ACTIVATIONS["sigmoid"][0]

# the 17 per-direction inputs of the TFLite LSTMs, from the direction's first weight
_LSTM_ROLES = ("input_to_input_weights", "input_to_forget_weights", "input_to_cell_weights",
               "input_to_output_weights", "recurrent_to_input_weights", "recurrent_to_forget_weights",
               "recurrent_to_cell_weights", "recurrent_to_output_weights", "cell_to_input_weights",
               "cell_to_forget_weights", "cell_to_output_weights", "input_gate_bias", "forget_gate_bias",
               "cell_gate_bias", "output_gate_bias", "projection_weights", "projection_bias")
_ROLE = {name: k for k, name in enumerate(_LSTM_ROLES)}


def _fused_act(ctx: Context, code: int, table: dict = _ACTS) -> tuple:
    """(activation code, alpha, beta) of the IR recurrent op for a TFLite fused activation."""
    if code not in table:
        raise ctx.unsupported(f"fused activation {_ACT_NAMES.get(code, code)} is not supported (no IR recurrent "
                              "activation computes what LiteRT does with it); supported: "
                              + ", ".join(_ACT_NAMES[k] for k in sorted(table)))
    name, alpha, beta = table[code]
    return RNN_ACTIVATIONS[name][0], alpha, beta


def _present(ctx: Context, i: int) -> bool:
    ins = ctx.op.inputs
    return i < len(ins) and ins[i] >= 0


def _refuse_present(ctx: Context, i: int, role: str, why: str) -> None:
    if _present(ctx, i):
        raise ctx.unsupported(f"input {i} ({role}) is given: {why}")


def _state(ctx: Context, i: int, role: str) -> Optional[str]:
    """Initial state input i as an IR value, or None for zeros (see the module docstring)."""
    if not _present(ctx, i):
        return None
    ti = ctx.op.inputs[i]
    if ti in ctx.names:
        return ctx.names[ti]
    t = ctx.tensor(ti)
    if t.obj.IsVariable():  # kept across runs, unless the batch is dynamic (zeros then, every run)
        static = all(isinstance(d, int) for d in ctx.shape(ctx.input(0)))
        return tensor_variable(ctx, ti) if static else None
    if buffer_bytes(ctx.model, t.buffer) is not None:
        return ctx.input(i)
    raise ctx.error(f"input {i} ({role}, tensor {t.name!r}) is neither a variable tensor nor a constant, and no "
                    "operator produces it")


def _time_major_seq(ctx: Context, time_major: bool) -> str:
    x = ctx.input(0)
    if len(ctx.shape(x)) != 3:
        raise ctx.error(f"input must be 3-D ([time, batch, input] or [batch, time, input]), got "
                        f"{list(ctx.shape(x))}")
    return x if time_major else ctx.transpose(x, [1, 0, 2], hint="time_major")


def _stack(ctx: Context, parts: list, shape: list, hint: str) -> str:
    """Concatenate per-gate tensors along axis 0 and reshape to ``shape`` (constants fold)."""
    cat = ctx.emit("Concat", parts, attrs={"axis": 0}, hint=f"{hint}_cat")
    return ctx.emit("Reshape", [cat], attrs={"shape": shape, "allowzero": 0}, hint=hint)


def _vec(ctx: Context, i: int, n: int, role: str) -> str:
    """1-D input i of length n (zeros when absent)."""
    if not _present(ctx, i):
        return ctx.add_const(np.zeros(n, np.float32), role)
    v = ctx.input(i)
    if list(ctx.shape(v)) != [n]:
        raise ctx.error(f"input {i} ({role}) must have shape [{n}], got {list(ctx.shape(v))}")
    return v


def _rows(ctx: Context, i: int, role: str) -> int:
    """The hidden size: the row count of weight matrix input i."""
    s = ctx.shape(ctx.input(i))
    if len(s) != 2 or not isinstance(s[0], int) or s[0] < 1:
        raise ctx.error(f"input {i} ({role}) must be a [units, n] matrix, got shape {list(s)}")
    return s[0]


def _matrix(ctx: Context, i: int, rows: int, cols: Optional[int], role: str) -> str:
    v = ctx.input(i)
    s = ctx.shape(v)
    if len(s) != 2 or s[0] != rows or (cols is not None and s[1] != cols):
        raise ctx.error(f"input {i} ({role}) must have shape [{rows}, {cols if cols is not None else 'n'}], got "
                        f"{list(s)}")
    return v


def _to_sequence(ctx: Context, y: str, hidden: int, hint: str) -> str:
    """IR Y [S, 1, B, H] -> [S, B, H] (0 keeps S, -1 takes the batch: both may be symbolic)."""
    return ctx.emit("Reshape", [y], attrs={"shape": [0, -1, hidden], "allowzero": 0}, hint=hint)


def _state_3d(ctx: Context, s: Optional[str], hidden: int, hint: str) -> str:
    return "" if s is None else ctx.emit("Reshape", [s], attrs={"shape": [1, -1, hidden], "allowzero": 0}, hint=hint)


def lstm_direction(ctx: Context, x: str, first: int, states: tuple, act: tuple, cell_clip: float,
                   reverse: bool, tag: str) -> str:
    """One LSTM direction whose 17 weight inputs start at input ``first``, on time-major x:
    returns Y [S, B, H]."""
    for role in ("projection_weights", "projection_bias"):
        _refuse_present(ctx, first + _ROLE[role], role, "the IR LSTM has no projection layer")
    if not _present(ctx, first):
        raise ctx.unsupported(f"input {first} (input_to_input_weights) is absent (CIFG, input gate = 1 - forget "
                              "gate): the IR LSTM couples the gates the other way (forget = 1 - input)")
    isz = ctx.shape(x)[2]
    hidden = _rows(ctx, first + _ROLE["input_to_forget_weights"], "input_to_forget_weights")
    w = [_matrix(ctx, first + k, hidden, isz, _LSTM_ROLES[k]) for k in range(4)]              # i f c o
    r = [_matrix(ctx, first + 4 + k, hidden, hidden, _LSTM_ROLES[4 + k]) for k in range(4)]
    b = [_vec(ctx, first + 11 + k, hidden, _LSTM_ROLES[11 + k]) for k in range(4)]
    order = (0, 3, 1, 2)  # ONNX i o f c from TFLite i f c o
    W = _stack(ctx, [w[k] for k in order], [1, 4 * hidden, isz], f"{tag}W")
    R = _stack(ctx, [r[k] for k in order], [1, 4 * hidden, hidden], f"{tag}R")
    zeros = ctx.add_const(np.zeros(4 * hidden, np.float32), f"{tag}Rb")
    B = _stack(ctx, [b[k] for k in order] + [zeros], [1, 8 * hidden], f"{tag}B")
    peep = [_present(ctx, first + 8 + k) for k in range(3)]
    P = ""
    if any(peep):
        p = [_vec(ctx, first + 8 + k, hidden, _LSTM_ROLES[8 + k]) for k in range(3)]          # i f o
        P = _stack(ctx, [p[0], p[2], p[1]], [1, 3 * hidden], f"{tag}P")
    h0 = _state_3d(ctx, _state(ctx, states[0], "output_state"), hidden, f"{tag}h0")
    c0 = _state_3d(ctx, _state(ctx, states[1], "cell_state"), hidden, f"{tag}c0")
    code, alpha, beta = act
    attrs = {"hidden_size": int(hidden), "direction": int(reverse), "activations": [_SIGMOID, code, code],
             "activation_alpha": [0.0, alpha, alpha], "activation_beta": [0.0, beta, beta]}
    if cell_clip > 0:
        attrs["cell_clip"] = float(cell_clip)
    y, y_h, y_c = ctx.emit_outputs("LSTM", [x, W, R, B, "", h0, c0, P],
                                   [ctx.new_name(f"{tag}Y"), ctx.new_name(f"{tag}Y_h"), ctx.new_name(f"{tag}Y_c")],
                                   attrs, hint=f"{tag}lstm")
    _write_states(ctx, states, (y_h, y_c))
    return _to_sequence(ctx, y, hidden, f"{tag}seq")


def _write_states(ctx: Context, states: tuple, finals: tuple) -> None:
    """The final states go back into the state inputs that are variable tensors."""
    for i, final in zip(states, finals):
        if _present(ctx, i):
            write_tensor_variable(ctx, ctx.op.inputs[i], final)


def _clips(ctx: Context, o) -> float:
    cell_clip, proj_clip = float(o.CellClip()), float(o.ProjClip())
    if cell_clip < 0 or proj_clip < 0:
        raise ctx.error(f"cell_clip {cell_clip} and proj_clip {proj_clip} must be >= 0")
    return cell_clip  # proj_clip only acts on the projection, which is refused when present


def _emit_output(ctx: Context, y_tm: str, time_major: bool, out: int = 0) -> None:
    final = ctx.out(out)
    if time_major:
        ctx.emit("Identity", [y_tm], final)
    else:
        ctx.transpose(y_tm, [1, 0, 2], out=final, hint="batch_major")


@handler("UNIDIRECTIONAL_SEQUENCE_LSTM")
def unidirectional_lstm(ctx: Context, op) -> None:
    o = ctx.options(tflite.UnidirectionalSequenceLSTMOptions)
    if o.DiagonalRecurrentTensors():
        raise ctx.unsupported("diagonal_recurrent_tensors (recurrent weights as diagonals) is not supported")
    for k, role in enumerate(("input_layer_norm_coefficients", "forget_layer_norm_coefficients",
                              "cell_layer_norm_coefficients", "output_layer_norm_coefficients")):
        _refuse_present(ctx, 20 + k, role, "the IR LSTM has no layer normalization of the gates")
    time_major = bool(o.TimeMajor())
    x = _time_major_seq(ctx, time_major)
    y = lstm_direction(ctx, x, 1, (18, 19), _fused_act(ctx, o.FusedActivationFunction()), _clips(ctx, o),
                          False, "")
    _emit_output(ctx, y, time_major)


@handler("BIDIRECTIONAL_SEQUENCE_LSTM")
def bidirectional_lstm(ctx: Context, op) -> None:
    """Two IR LSTMs (forward on inputs 1-17, reverse on 18-34; states 35-38); merge_outputs
    concatenates their outputs along the last axis (forward first), else outputs 0 and 1."""
    o = ctx.options(tflite.BidirectionalSequenceLSTMOptions)
    _refuse_present(ctx, 39, "aux_input", "auxiliary inputs are not supported")
    for k in range(40, 48):
        _refuse_present(ctx, k, "aux input weights", "auxiliary inputs are not supported")
    time_major = bool(o.TimeMajor())
    x = _time_major_seq(ctx, time_major)
    act, clip = _fused_act(ctx, o.FusedActivationFunction()), _clips(ctx, o)
    fw = lstm_direction(ctx, x, 1, (35, 36), act, clip, False, "fw_")
    bw = lstm_direction(ctx, x, 18, (37, 38), act, clip, True, "bw_")
    _emit_directions(ctx, fw, bw, bool(o.MergeOutputs()), time_major)


def _emit_directions(ctx: Context, fw: str, bw: str, merge: bool, time_major: bool) -> None:
    """The outputs of a bidirectional op: merged along the last axis (forward first), else two."""
    if merge:
        _emit_output(ctx, ctx.emit("Concat", [fw, bw], attrs={"axis": 2}, hint="merged"), time_major)
        return
    _emit_output(ctx, fw, time_major, 0)
    _emit_output(ctx, bw, time_major, 1)


def rnn_direction(ctx: Context, x: str, first: int, state: int, act: tuple, reverse: bool, tag: str) -> str:
    """One IR RNN direction, h = act(W x + R h + b), with W [hidden, input] at input ``first``, then R
    and b, and its state at input ``state``, on time-major x: returns Y [S, B, H]."""
    isz = ctx.shape(x)[2]
    hidden = _rows(ctx, first, "input_weights")
    w = _matrix(ctx, first, hidden, isz, "input_weights")
    r = _matrix(ctx, first + 1, hidden, hidden, "recurrent_weights")
    b = _vec(ctx, first + 2, hidden, "bias")
    W = ctx.reshape(w, [1, hidden, isz], hint=f"{tag}W")
    R = ctx.reshape(r, [1, hidden, hidden], hint=f"{tag}R")
    B = _stack(ctx, [b, ctx.add_const(np.zeros(hidden, np.float32), f"{tag}Rb")], [1, 2 * hidden], f"{tag}B")
    h0 = _state_3d(ctx, _state(ctx, state, "hidden_state"), hidden, f"{tag}h0")
    code, alpha, beta = act
    attrs = {"hidden_size": int(hidden), "direction": int(reverse), "activations": [code],
             "activation_alpha": [alpha], "activation_beta": [beta]}
    y, y_h = ctx.emit_outputs("RNN", [x, W, R, B, "", h0], [ctx.new_name(f"{tag}Y"), ctx.new_name(f"{tag}Y_h")],
                              attrs, hint=f"{tag}rnn")
    _write_states(ctx, (state,), (y_h,))
    return _to_sequence(ctx, y, hidden, f"{tag}seq")


@handler("UNIDIRECTIONAL_SEQUENCE_RNN")
def unidirectional_rnn(ctx: Context, op) -> None:
    """IR RNN: input 1 W, 2 R, 3 b, 4 the state."""
    o = ctx.options(tflite.SequenceRNNOptions)
    time_major = bool(o.TimeMajor())
    x = _time_major_seq(ctx, time_major)
    act = _fused_act(ctx, o.FusedActivationFunction(), _RNN_ACTS)
    _emit_output(ctx, rnn_direction(ctx, x, 1, 4, act, False, ""), time_major)


@handler("BIDIRECTIONAL_SEQUENCE_RNN")
def bidirectional_rnn(ctx: Context, op) -> None:
    """Two IR RNNs (forward on inputs 1-3 with state 4, reverse on 5-7 with state 8), merged as
    BIDIRECTIONAL_SEQUENCE_LSTM's outputs are."""
    o = ctx.options(tflite.BidirectionalSequenceRNNOptions)
    for k, role in ((9, "aux_input"), (10, "fw_aux_input_weights"), (11, "bw_aux_input_weights")):
        _refuse_present(ctx, k, role, "auxiliary inputs are not supported")
    time_major = bool(o.TimeMajor())
    x = _time_major_seq(ctx, time_major)
    act = _fused_act(ctx, o.FusedActivationFunction(), _RNN_ACTS)
    _emit_directions(ctx, rnn_direction(ctx, x, 1, 4, act, False, "fw_"), rnn_direction(ctx, x, 5, 8, act, True, "bw_"),
                     bool(o.MergeOutputs()), time_major)
