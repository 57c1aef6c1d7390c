"""Builders of the control-flow fixtures in test_control_flow_models.py, shaped like the models
users bring: a Silero-VAD-like ONNX model (an If on the sample rate whose branches differ in their
front end, Ifs nested in the branches, values captured from outer scopes, an LSTM carrying the
streaming state), an If whose output shape depends on the branch, Loops as scripted exports write
them, a TFLite GRU text classifier as TensorFlow's converter writes a Keras GRU with a dynamic
length (a WHILE over time steps), a TFLite IF on a condition computed from the input, and
malformed variants of each that a converter must refuse. Built with onnx.helper and the repo's
TFLite builder; no network, no torch or tensorflow."""
from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from tests.converters.tflite.tflite_builder import build_model

F, I64 = TensorProto.FLOAT, TensorProto.INT64
RNG = np.random.default_rng(23)

VAD_HIDDEN = 64
# per sample rate: reflect padding on the right, STFT-like conv kernel and hop, the chunk size whose
# excess selects the Unsqueeze path over the Reshape path. For one input the two front ends give
# spectra of different shapes (512 samples: 33 bins x 16 frames at 16 kHz, 17 x 32 at 8 kHz).
VAD_RATES = {16000: dict(tag="hi", pad=32, kernel=64, hop=32, chunk=512),
             8000: dict(tag="lo", pad=16, kernel=32, hop=16, chunk=256)}


def _w(name, *shape, scale=0.3):
    return numpy_helper.from_array((RNG.standard_normal(shape) * scale).astype(np.float32), name)


def _i64(name, *values, scalar=False):
    return numpy_helper.from_array(np.array(values[0] if scalar else values, np.int64), name)


def _branch(name, nodes, outputs, inits=()):
    """An If branch: no inputs (ONNX), every name not defined inside is read from the outer scopes."""
    return helper.make_graph(nodes, name, [], [helper.make_tensor_value_info(o, F, None) for o in outputs],
                             initializer=list(inits))


def _vad_rate_branch(sr: int):
    """What one sample rate runs: a rank check and a length check (both nested Ifs selecting a
    reshape path, as exporters write input validation), reflect padding, an STFT-like strided conv
    and magnitude, three encoder convs, the LSTM over the frames from `state`, and the decoder."""
    p = VAD_RATES[sr]
    t, bins = p["tag"], p["kernel"] // 2 + 1

    def n(s):
        return f"{t}_{s}"

    # nested If 1: a rank-3 input [batch, 1, samples] is flattened, a rank-2 one passes through.
    # Its branches read `input` and `flat_shape` from the main graph, two scopes out.
    rank_then = _branch(n("rank3"), [helper.make_node("Reshape", ["input", "flat_shape"], [n("flat_t")])],
                        [n("flat_t")])
    rank_else = _branch(n("rank2"), [helper.make_node("Identity", ["input"], [n("flat_e")])], [n("flat_e")])
    # nested If 2: on the run-time sample count, [batch, 1, samples] by Unsqueeze or by Reshape; both
    # read the enclosing branch's `flat` (named per rate: ONNX names are unique across scopes) and
    # main-graph initializers
    long_then = _branch(n("unsq"), [helper.make_node("Unsqueeze", [n("flat"), "axis1"], [n("x3_t")])],
                        [n("x3_t")])
    long_else = _branch(n("resh"), [helper.make_node("Reshape", [n("flat"), "chan_shape"], [n("x3_e")])],
                        [n("x3_e")])
    nodes = [
        helper.make_node("Shape", ["input"], [n("shape")]),
        helper.make_node("Size", [n("shape")], [n("rank")]),
        helper.make_node("Greater", [n("rank"), n("two")], [n("is3")]),
        helper.make_node("If", [n("is3")], [n("flat")], name=n("if_rank"), then_branch=rank_then,
                         else_branch=rank_else),
        helper.make_node("Shape", [n("flat")], [n("fshape")]),
        helper.make_node("Gather", [n("fshape"), n("one")], [n("samples")], axis=0),
        helper.make_node("Greater", [n("samples"), n("chunk")], [n("long")]),
        helper.make_node("If", [n("long")], [n("x3")], name=n("if_long"), then_branch=long_then,
                         else_branch=long_else),
        helper.make_node("Pad", [n("x3"), n("pads")], [n("xp")], mode="reflect"),
        helper.make_node("Conv", [n("xp"), n("basis")], [n("spec")], strides=[p["hop"]]),
        helper.make_node("Split", [n("spec"), n("halves")], [n("re"), n("im")], axis=1),
        helper.make_node("Mul", [n("re"), n("re")], [n("re2")]),
        helper.make_node("Mul", [n("im"), n("im")], [n("im2")]),
        helper.make_node("Add", [n("re2"), n("im2")], [n("pow")]),
        helper.make_node("Sqrt", [n("pow")], [n("mag")]),
        helper.make_node("Conv", [n("mag"), n("e1w"), n("e1b")], [n("e1")], pads=[1, 1]),
        helper.make_node("Relu", [n("e1")], [n("r1")]),
        helper.make_node("Conv", [n("r1"), n("e2w"), n("e2b")], [n("e2")], pads=[1, 1], strides=[2]),
        helper.make_node("Relu", [n("e2")], [n("r2")]),
        helper.make_node("Conv", [n("r2"), n("e3w"), n("e3b")], [n("e3")], pads=[1, 1], strides=[2]),
        helper.make_node("Relu", [n("e3")], [n("enc")]),                                # [b, 64, frames]
        helper.make_node("Transpose", [n("enc")], [n("seq")], perm=[2, 0, 1]),          # [frames, b, 64]
        helper.make_node("Split", ["state", "state_split"], [n("h0"), n("c0")], axis=0),   # outer tensor
        # the LSTM weights are main-graph initializers both rates capture
        helper.make_node("LSTM", [n("seq"), "lstm_w", "lstm_r", "lstm_b", "", n("h0"), n("c0")],
                         [n("y"), n("yh"), n("yc")], hidden_size=VAD_HIDDEN),
        helper.make_node("Concat", [n("yh"), n("yc")], [n("stateN")], axis=0),
        helper.make_node("Squeeze", [n("y"), "axis1"], [n("ys")]),                      # [frames, b, 64]
        helper.make_node("Transpose", [n("ys")], [n("yt")], perm=[1, 2, 0]),            # [b, 64, frames]
        helper.make_node("Relu", [n("yt")], [n("yr")]),
        helper.make_node("Conv", [n("yr"), n("dw"), n("db")], [n("logit")]),
        helper.make_node("Sigmoid", [n("logit")], [n("prob")]),                         # [b, 1, frames]
        helper.make_node("ReduceMean", [n("prob")], [n("out")], axes=[2], keepdims=0),  # [b, 1]
    ]
    # a Hann-windowed DFT basis, real rows then imaginary rows, as the real model's forward_basis_buffer
    phase = 2 * np.pi * np.outer(np.arange(bins), np.arange(p["kernel"])) / p["kernel"]
    basis = np.concatenate([np.cos(phase), -np.sin(phase)]) * np.hanning(p["kernel"]) * (8 / p["kernel"])
    inits = [_i64(n("two"), 2, scalar=True), _i64(n("one"), 1, scalar=True),
             _i64(n("chunk"), p["chunk"], scalar=True), _i64(n("pads"), 0, 0, 0, 0, 0, p["pad"]),
             numpy_helper.from_array(basis[:, None, :].astype(np.float32), n("basis")),
             _i64(n("halves"), bins, bins),
             _w(n("e1w"), 16, bins, 3), _w(n("e1b"), 16, scale=0.1), _w(n("e2w"), 32, 16, 3, scale=0.2),
             _w(n("e2b"), 32, scale=0.1), _w(n("e3w"), VAD_HIDDEN, 32, 3, scale=0.2),
             _w(n("e3b"), VAD_HIDDEN, scale=0.1),
             _w(n("dw"), 1, VAD_HIDDEN, 1, scale=0.2), _w(n("db"), 1, scale=0.1)]
    return _branch(f"rate{sr}", nodes, [n("out"), n("stateN")], inits)


def silero_vad_like(opset: int = 16, sr_shape: tuple = ()):
    """Inputs input [batch, samples], sr (int64 of shape ``sr_shape``: a scalar, or [1] as some
    exports write it), state [2, batch, 64]; outputs output [batch, 1], stateN [2, batch, 64]. An
    If on Equal(sr, 16000) picks the 16 kHz or the 8 kHz branch."""
    h = VAD_HIDDEN
    nodes = [helper.make_node("Equal", ["sr", "sr16k"], ["is16k"]),
             helper.make_node("If", ["is16k"], ["output", "stateN"], name="if_rate",
                              then_branch=_vad_rate_branch(16000), else_branch=_vad_rate_branch(8000))]
    inits = [_i64("sr16k", 16000, scalar=True), _i64("flat_shape", 0, -1), _i64("chan_shape", 0, 1, -1),
             _i64("axis1", 1), _i64("state_split", 1, 1),
             _w("lstm_w", 1, 4 * h, h, scale=0.15), _w("lstm_r", 1, 4 * h, h, scale=0.15),
             _w("lstm_b", 1, 8 * h, scale=0.1)]
    graph = helper.make_graph(
        nodes, "silero_vad_like",
        [helper.make_tensor_value_info("input", F, ["batch", "samples"]),
         helper.make_tensor_value_info("sr", I64, list(sr_shape)),
         helper.make_tensor_value_info("state", F, [2, "batch", h])],
        [helper.make_tensor_value_info("output", F, ["batch", 1]),
         helper.make_tensor_value_info("stateN", F, [2, "batch", h])], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def with_constant_input(model, name: str, value: np.ndarray):
    """A copy of ``model`` whose graph input ``name`` is an initializer holding ``value`` (the If on
    it then has a constant condition, which pocketml inlines at conversion)."""
    out = type(model)()
    out.CopyFrom(model)
    keep = [i for i in out.graph.input if i.name != name]
    del out.graph.input[:]
    out.graph.input.extend(keep)
    out.graph.initializer.append(numpy_helper.from_array(np.asarray(value), name))
    return out


def onnx_if_with_mismatched_branches(constant_cond: bool):
    """An If named 'bad_if' whose then branch has one output and whose else branch has two, for a
    node with one output; its condition is REDUCE_MAX(x) > 0, or the constant True."""
    then_b = _branch("then1", [helper.make_node("Relu", ["x"], ["t_y"])], ["t_y"])
    else_b = _branch("else2", [helper.make_node("Neg", ["x"], ["e_y"]), helper.make_node("Abs", ["x"], ["e_z"])],
                     ["e_y", "e_z"])
    nodes = [] if constant_cond else [helper.make_node("ReduceMax", ["x"], ["m"], keepdims=0),
                                      helper.make_node("Greater", ["m", "zero"], ["c"])]
    nodes.append(helper.make_node("If", ["c"], ["y"], name="bad_if", then_branch=then_b, else_branch=else_b))
    inits = [numpy_helper.from_array(np.array(True), "c")] if constant_cond else \
        [numpy_helper.from_array(np.array(0, np.float32), "zero")]
    graph = helper.make_graph(nodes, "bad_if", [helper.make_tensor_value_info("x", F, [2, 3])],
                              [helper.make_tensor_value_info("y", F, None)], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _model(nodes, inputs, outputs, inits, opset=17):
    graph = helper.make_graph(nodes, "m", [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
                              [helper.make_tensor_value_info(n, F, s) for n, s in outputs], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def if_with_branch_shaped_output():
    """y = If(mean(x) > 0): x[:, :4] or x, then s = ReduceSum(y, axis 1): the If's output has 4
    columns or all of x's, decided at run time; x [batch, cols] with both dims symbolic."""
    then_b = _branch("head", [helper.make_node("Slice", ["x", "s0", "s4", "ax1"], ["t_y"])], ["t_y"])
    else_b = _branch("all", [helper.make_node("Identity", ["x"], ["e_y"])], ["e_y"])
    nodes = [helper.make_node("ReduceMean", ["x"], ["m"], keepdims=0),
             helper.make_node("Greater", ["m", "zero"], ["c"]),
             helper.make_node("If", ["c"], ["y"], name="if_cols", then_branch=then_b, else_branch=else_b),
             helper.make_node("ReduceSum", ["y", "ax1"], ["s"], keepdims=0)]
    inits = [_i64("s0", 0), _i64("s4", 4), _i64("ax1", 1), numpy_helper.from_array(np.array(0, np.float32), "zero")]
    return _model(nodes, [("x", F, ["batch", "cols"])], [("y", ["batch", "kept"]), ("s", ["batch"])], inits)


def _loop_body(name, nodes, carried, scanned):
    """A Loop body: inputs (iteration, cond_in, carried value), outputs (cond_out, the carried value's
    next version, one scan output)."""
    info = helper.make_tensor_value_info
    return helper.make_graph(
        nodes, name,
        [info("it", I64, []), info("cond_in", TensorProto.BOOL, []), info(f"{carried}_in", F, None)],
        [info("cond_out", TensorProto.BOOL, []), info(f"{carried}_out", F, None), info(scanned, F, None)])


def loop_rnn(hidden: int = 8, features: int = 4):
    """A recurrence over a run-time step count as torch.jit.script exports a Python for-loop: Loop
    with the trip count from Shape(x)[0] and a constant true condition, h carried, every step's h
    collected as a scan output; the body reads x and the weights from the outer graph."""
    body = _loop_body("step", [
        helper.make_node("Gather", ["x", "it"], ["x_t"], axis=0),
        helper.make_node("MatMul", ["x_t", "w_in"], ["a"]),
        helper.make_node("MatMul", ["h_in", "w_rec"], ["b"]),
        helper.make_node("Add", ["a", "b"], ["ab"]),
        helper.make_node("Add", ["ab", "bias"], ["pre"]),
        helper.make_node("Tanh", ["pre"], ["h_out"]),
        helper.make_node("Identity", ["cond_in"], ["cond_out"]),
        helper.make_node("Identity", ["h_out"], ["h_step"])], "h", "h_step")
    nodes = [helper.make_node("Shape", ["x"], ["xs"]),
             helper.make_node("Gather", ["xs", "i0"], ["steps"], axis=0),
             helper.make_node("Loop", ["steps", "true", "h0"], ["h_last", "hs"], name="loop_steps", body=body)]
    inits = [_i64("i0", 0, scalar=True), numpy_helper.from_array(np.array(True), "true"),
             _w("w_in", features, hidden, scale=0.5), _w("w_rec", hidden, hidden, scale=0.4),
             _w("bias", hidden, scale=0.1)]
    return _model(nodes, [("x", F, ["time", "batch", features]), ("h0", F, ["batch", hidden])],
                  [("h_last", ["batch", hidden]), ("hs", ["time", "batch", hidden])], inits)


def loop_until_converged(tol: float = 0.05, max_trips: int = 30):
    """A while loop whose condition the body computes: y is halved until max|y| <= tol (at most
    max_trips times), each step's max|y| collected; the trip count, so the scan output's length,
    depends on the data."""
    body = _loop_body("halve", [
        helper.make_node("Mul", ["y_in", "half"], ["y_out"]),
        helper.make_node("Abs", ["y_out"], ["ay"]),
        helper.make_node("ReduceMax", ["ay"], ["peak"], keepdims=0),
        helper.make_node("Greater", ["peak", "tol"], ["cond_out"]),
        helper.make_node("Identity", ["peak"], ["peak_step"])], "y", "peak_step")
    nodes = [helper.make_node("Abs", ["x"], ["ax"]),
             helper.make_node("ReduceMax", ["ax"], ["peak0"], keepdims=0),
             helper.make_node("Greater", ["peak0", "tol"], ["go"]),
             helper.make_node("Loop", ["max_trips", "go", "x"], ["y", "peaks"], name="loop_halve", body=body)]
    inits = [_i64("max_trips", max_trips, scalar=True), numpy_helper.from_array(np.array(0.5, np.float32), "half"),
             numpy_helper.from_array(np.array(tol, np.float32), "tol")]
    return _model(nodes, [("x", F, ["batch", 5])], [("y", ["batch", 5]), ("peaks", ["trips"])], inits)



def onnx_loop_with_short_body():
    """A Loop named 'bad_loop' carrying one value whose body returns only its condition."""
    info = helper.make_tensor_value_info
    body = helper.make_graph([helper.make_node("Identity", ["cond_in"], ["cond_out"])], "short",
                             [info("it", I64, []), info("cond_in", TensorProto.BOOL, []), info("v_in", F, None)],
                             [info("cond_out", TensorProto.BOOL, [])])
    nodes = [helper.make_node("Loop", ["trips", "", "x"], ["y"], name="bad_loop", body=body)]
    return _model(nodes, [("x", F, [2, 3])], [("y", [2, 3])], [_i64("trips", 3, scalar=True)])

# ---- TFLite -------------------------------------------------------------------------------------
GRU_VOCAB, GRU_EMB, GRU_HIDDEN, GRU_CLASSES = 13, 6, 8, 4
F32, I32 = "float32", "int32"


def _f32(*shape, scale=0.4):
    return (F32, shape, (RNG.standard_normal(shape) * scale).astype(np.float32))


def _i32c(*values, scalar=False):
    arr = np.array(values[0] if scalar else values, np.int32)
    return (I32, arr.shape, arr)


def _gru_loop_tensors() -> dict:
    """The WHILE's loop variables as the cond and body subgraphs declare them: the counter, the
    length, the state, the time-major embeddings and the time-major token ids (for the mask)."""
    return {"i": (I32, (), None), "t": (I32, (), None), "h": (F32, (-1, GRU_HIDDEN), None),
            "xs": (F32, (-1, -1, GRU_EMB), None), "ids": (I32, (-1, -1), None)}


LOOP_VARS = ["i", "t", "h", "xs", "ids"]


def _gru_cond() -> tuple:
    tensors = {**_gru_loop_tensors(), "go": ("bool", (), None)}
    return [("LESS", ["i", "t"], ["go"])], tensors, LOOP_VARS, ["go"]


def gru_body(out_vars=LOOP_VARS) -> tuple:
    """One GRU step (Keras' reset_after=False gate order z, r, n): step t of the embeddings and ids by
    GATHER, the gates from two FULLY_CONNECTED, the new state kept only where the token is not
    padding (SELECT_V2), the counter advanced. Returns the body's outputs in ``out_vars`` order."""
    h, e = GRU_HIDDEN, GRU_EMB
    tensors = {**_gru_loop_tensors(), "one": _i32c(1, scalar=True), "pad_id": _i32c(0, scalar=True),
               "ax1": _i32c(1, scalar=True), "wx": _f32(3 * h, e), "bx": _f32(3 * h, scale=0.1),
               "wh": _f32(3 * h, h), "bh": _f32(3 * h, scale=0.1),
               "x_t": (F32, (-1, e), None), "tok": (I32, (-1,), None), "keep": ("bool", (-1,), None),
               "keep2": ("bool", (-1, 1), None), "gx": (F32, (-1, 3 * h), None), "gh": (F32, (-1, 3 * h), None),
               "i2": (I32, (), None), "h2": (F32, (-1, h), None)}
    for name in ("xz", "xr", "xn", "hz", "hr", "hn", "sz", "sr", "z", "r", "rh", "sn", "n", "d", "zd", "hc"):
        tensors[name] = (F32, (-1, h), None)
    ops = [("GATHER", ["xs", "i"], ["x_t"], {"axis": 0}),
           ("GATHER", ["ids", "i"], ["tok"], {"axis": 0}),
           ("NOT_EQUAL", ["tok", "pad_id"], ["keep"]),
           ("EXPAND_DIMS", ["keep", "ax1"], ["keep2"]),
           ("FULLY_CONNECTED", ["x_t", "wx", "bx"], ["gx"]),
           ("FULLY_CONNECTED", ["h", "wh", "bh"], ["gh"]),
           ("SPLIT", ["ax1", "gx"], ["xz", "xr", "xn"], {"num_splits": 3}),
           ("SPLIT", ["ax1", "gh"], ["hz", "hr", "hn"], {"num_splits": 3}),
           ("ADD", ["xz", "hz"], ["sz"]), ("LOGISTIC", ["sz"], ["z"]),
           ("ADD", ["xr", "hr"], ["sr"]), ("LOGISTIC", ["sr"], ["r"]),
           ("MUL", ["r", "hn"], ["rh"]), ("ADD", ["xn", "rh"], ["sn"]), ("TANH", ["sn"], ["n"]),
           ("SUB", ["h", "n"], ["d"]), ("MUL", ["z", "d"], ["zd"]), ("ADD", ["n", "zd"], ["hc"]),  # (1-z)n + zh
           ("SELECT_V2", ["keep2", "hc", "h"], ["h2"]),
           ("ADD", ["i", "one"], ["i2"])]
    renamed = {"i": "i2", "h": "h2"}
    return ops, tensors, LOOP_VARS, [renamed.get(v, v) for v in out_vars]


def gru_text_classifier(cond_index: int = 1, body_index: int = 2, body=None) -> bytes:
    """Keras Embedding -> GRU -> Dense(softmax) with batch and time -1, as TensorFlow's converter
    writes it when the GRU is not fused: GATHER embedding, time-major TRANSPOSE, the batch and the
    length by SHAPE -> STRIDED_SLICE, the initial state by PACK -> FILL, a WHILE over the steps
    (subgraph 1 the cond, 2 the body), FULLY_CONNECTED and SOFTMAX on the last state. Token 0 is
    padding: its steps keep the state."""
    h = GRU_HIDDEN
    tensors = {"tokens": (I32, (-1, -1), None), "table": _f32(GRU_VOCAB, GRU_EMB, scale=1.0),
               "emb": (F32, (-1, -1, GRU_EMB), None), "perm": _i32c(1, 0, 2), "perm2": _i32c(1, 0),
               "xs": (F32, (-1, -1, GRU_EMB), None), "ids": (I32, (-1, -1), None), "sh": (I32, (2,), None),
               "b0": _i32c(0), "b1": _i32c(1), "b2": _i32c(2), "batch": (I32, (), None), "t": (I32, (), None),
               "hid": _i32c(h, scalar=True), "hshape": (I32, (2,), None), "zero": (F32, (), np.array(0, np.float32)),
               "h0": (F32, (-1, h), None), "i0": _i32c(0, scalar=True),
               "o_i": (I32, (), None), "o_t": (I32, (), None), "o_h": (F32, (-1, h), None),
               "o_xs": (F32, (-1, -1, GRU_EMB), None), "o_ids": (I32, (-1, -1), None),
               "fw": _f32(GRU_CLASSES, h), "fb": _f32(GRU_CLASSES, scale=0.1),
               "logits": (F32, (-1, GRU_CLASSES), None), "probs": (F32, (-1, GRU_CLASSES), None)}
    ops = [("GATHER", ["table", "tokens"], ["emb"], {"axis": 0}),
           ("TRANSPOSE", ["emb", "perm"], ["xs"]),
           ("TRANSPOSE", ["tokens", "perm2"], ["ids"]),
           ("SHAPE", ["tokens"], ["sh"], {"out_type": "INT32"}),
           ("STRIDED_SLICE", ["sh", "b0", "b1", "b1"], ["batch"], {"shrink_axis_mask": 1}),
           ("STRIDED_SLICE", ["sh", "b1", "b2", "b1"], ["t"], {"shrink_axis_mask": 1}),
           ("PACK", ["batch", "hid"], ["hshape"], {"values_count": 2, "axis": 0}),
           ("FILL", ["hshape", "zero"], ["h0"]),
           ("WHILE", ["i0", "t", "h0", "xs", "ids"], ["o_i", "o_t", "o_h", "o_xs", "o_ids"],
            {"_options": "WhileOptions", "cond_subgraph_index": cond_index, "body_subgraph_index": body_index}),
           ("FULLY_CONNECTED", ["o_h", "fw", "fb"], ["logits"]),
           ("SOFTMAX", ["logits"], ["probs"], {"beta": 1.0})]
    return build_model(ops, tensors, ["tokens"], ["probs"], subgraphs=[_gru_cond(), body or gru_body()])


def gru_with_short_body() -> bytes:
    """The GRU classifier whose WHILE body returns 4 values for its 5 loop variables."""
    return gru_text_classifier(body=gru_body(out_vars=LOOP_VARS[:4]))


def tflite_if_model(then_index: int = 1, else_index: int = 2) -> bytes:
    """y = IF(REDUCE_MAX(x) > 0, x) + 0.25 with x [batch, 6] (batch -1): the then subgraph computes
    2x + 1, the else subgraph tanh(x) - 1; both give x's shape."""
    shape = (-1, 6)
    main = {"x": (F32, shape, None), "axes": _i32c(0, 1), "m": (F32, (), None),
            "zero": (F32, (), np.array(0, np.float32)), "c": ("bool", (), None), "y": (F32, shape, None),
            "q": (F32, (), np.array(0.25, np.float32)), "out": (F32, shape, None)}
    ops = [("REDUCE_MAX", ["x", "axes"], ["m"], {"keep_dims": False}),
           ("GREATER", ["m", "zero"], ["c"]),
           ("IF", ["c", "x"], ["y"], {"_options": "IfOptions", "then_subgraph_index": then_index,
                                      "else_subgraph_index": else_index}),
           ("ADD", ["y", "q"], ["out"])]
    then_t = {"x": (F32, shape, None), "two": (F32, (), np.array(2, np.float32)),
              "one": (F32, (), np.array(1, np.float32)), "a": (F32, shape, None), "y": (F32, shape, None)}
    else_t = {"x": (F32, shape, None), "one": (F32, (), np.array(1, np.float32)),
              "a": (F32, shape, None), "y": (F32, shape, None)}
    then_g = ([("MUL", ["x", "two"], ["a"]), ("ADD", ["a", "one"], ["y"])], then_t, ["x"], ["y"])
    else_g = ([("TANH", ["x"], ["a"]), ("SUB", ["a", "one"], ["y"])], else_t, ["x"], ["y"])
    return build_model(ops, main, ["x"], ["out"], subgraphs=[then_g, else_g])
