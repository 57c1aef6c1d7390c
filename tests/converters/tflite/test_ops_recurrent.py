"""TFLite sequence builtins (UNIDIRECTIONAL_SEQUENCE_LSTM / _RNN, BIDIRECTIONAL_SEQUENCE_LSTM)
and the FFT / segment builtins (RFFT2D with COMPLEX_ABS, SEGMENT_SUM): pocketml against the
LiteRT interpreter at awkward shapes (batch > 1, odd hidden sizes, both time layouts), plus
the refusals of what the IR has no exact form for."""
from __future__ import annotations

import numpy as np
import pytest

from pocketml.errors import ConversionError, UnsupportedOpError

from .tflite_builder import build_model
from .test_builder import run_litert
from .test_ops import case_adders, litert_tests

CASES = []
add, add_op = case_adders(CASES)
OP_LIST = """UNIDIRECTIONAL_SEQUENCE_LSTM BIDIRECTIONAL_SEQUENCE_LSTM UNIDIRECTIONAL_SEQUENCE_RNN
BIDIRECTIONAL_SEQUENCE_RNN RFFT2D COMPLEX_ABS REAL IMAG SEGMENT_SUM UNSORTED_SEGMENT_SUM UNSORTED_SEGMENT_PROD
UNSORTED_SEGMENT_MAX UNSORTED_SEGMENT_MIN""".split()
RNG = np.random.default_rng(31)
F32 = "float32"


def _w(*shape, scale=0.5, rng=None):
    return ((rng or RNG).standard_normal(shape) * scale).astype(np.float32)


def _seq(seq, batch, isz, time_major, rng=None):
    return _w(seq, batch, isz, scale=1.0, rng=rng) if time_major else _w(batch, seq, isz, scale=1.0, rng=rng)


def _lstm_group(prefix: str, isz: int, hidden: int, peephole: bool, rng=None) -> dict:
    """The 17 per-direction LSTM inputs (name -> array or None), in TFLite order."""
    g = {}
    for gate in "ifco":
        g[f"{prefix}w_{gate}"] = _w(hidden, isz, rng=rng)
    for gate in "ifco":
        g[f"{prefix}r_{gate}"] = _w(hidden, hidden, rng=rng)
    for gate in "ifo":
        g[f"{prefix}p_{gate}"] = _w(hidden, rng=rng) if peephole else None
    for gate in "ifco":
        g[f"{prefix}b_{gate}"] = _w(hidden, rng=rng)
    g[f"{prefix}proj_w"] = None
    g[f"{prefix}proj_b"] = None
    return g


def _model(op: str, x, groups: list, states: list, outs: dict, options: dict, tail: list = ()):
    """op on graph input x (an array, or its shape), then the constant groups (name -> array or None
    for an absent input), then the variable state tensors (name -> shape) and the extra inputs
    ``tail`` ("" for an absent one, or (name, constant array))."""
    tensors = {"x": (F32, x if isinstance(x, tuple) else x.shape, None)}
    names = ["x"]
    for group in groups:
        for n, a in group.items():
            names.append(n if a is not None else "")
            if a is not None:
                tensors[n] = (F32, a.shape, a)
    for n, shape in states:
        names.append(n)
        tensors[n] = (F32, shape, None)
    for t in tail:
        names.append(t if isinstance(t, str) else t[0])
        if not isinstance(t, str):
            tensors[t[0]] = (F32, t[1].shape, t[1])
    tensors.update({n: (F32, s, None) for n, s in outs.items()})
    return build_model([(op, names, list(outs), options)], tensors, ["x"], list(outs),
                       variables=[n for n, _ in states])


def lstm_model(seq, batch, isz, hidden, time_major=True, peephole=False, act="TANH", cell_clip=0.0):
    x = _seq(seq, batch, isz, time_major)
    out = (seq, batch, hidden) if time_major else (batch, seq, hidden)
    data = _model("UNIDIRECTIONAL_SEQUENCE_LSTM", x, [_lstm_group("", isz, hidden, peephole)],
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



# ---- BIDIRECTIONAL_SEQUENCE_LSTM: two directions, merged along the last axis or two outputs ---------
def bilstm_model(seq, batch, isz, hidden, time_major, merge, peephole=False, act="TANH", cell_clip=0.0, seed=None):
    """The model and its input; the same seed gives the same weights and input."""
    rng = np.random.default_rng(seed) if seed is not None else RNG
    x = _seq(seq, batch, isz, time_major, rng)
    lead = (seq, batch) if time_major else (batch, seq)
    outs = {"y": lead + (2 * hidden,)} if merge else {"y_fw": lead + (hidden,), "y_bw": lead + (hidden,)}
    states = [("fw_h", (batch, hidden)), ("fw_c", (batch, hidden)), ("bw_h", (batch, hidden)),
              ("bw_c", (batch, hidden))]
    data = _model("BIDIRECTIONAL_SEQUENCE_LSTM", x,
                  [_lstm_group("fw_", isz, hidden, peephole, rng), _lstm_group("bw_", isz, hidden, peephole, rng)],
                  states,
                  outs, {"fused_activation_function": act, "cell_clip": cell_clip, "merge_outputs": merge,
                         "time_major": time_major}, tail=[""] * 9)
    return data, x


for seq, batch, isz, hidden, tm, merge, peep, act, clip in (
        (5, 2, 3, 4, True, True, False, "TANH", 0.0), (4, 3, 5, 7, True, True, True, "TANH", 0.5),
        (6, 1, 4, 5, True, False, True, "RELU", 0.0), (3, 4, 2, 3, False, False, False, "TANH", 0.0),
        (4, 3, 5, 7, False, False, True, "TANH", 0.5)):
    data, x = bilstm_model(seq, batch, isz, hidden, tm, merge, peep, act, clip)
    add(f"bi_lstm-s{seq}b{batch}i{isz}h{hidden}-{'tm' if tm else 'bm'}-{'merged' if merge else 'split'}"
        f"-{'peep' if peep else 'nopeep'}-{act}-clip{clip}", data, [x])


@pytest.mark.parametrize("shape", [(4, 3, 5, 7), (4, 2, 5, 7), (3, 1, 2, 3)])
def test_bilstm_batch_major_merged(tmp_path, shape):
    """Batch-major with merge_outputs: LiteRT's merged output reads uninitialized memory there (its
    values change from run to run), so the oracle is LiteRT's two split outputs of the same model,
    concatenated."""
    split, x = bilstm_model(*shape, False, False, True, "TANH", 0.3, seed=7)
    merged, x2 = bilstm_model(*shape, False, True, True, "TANH", 0.3, seed=7)
    assert np.array_equal(x, x2)
    want = np.concatenate(run_litert(split, [x]), axis=-1)
    session = _session(merged, tmp_path)
    got = session.run({session.inputs[0].name: x})[session.outputs[0].name]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


# ---- UNIDIRECTIONAL_SEQUENCE_RNN ------------------------------------------------------------------
def rnn_model(seq, batch, isz, hidden, time_major, act):
    x = _seq(seq, batch, isz, time_major)
    group = {"w": _w(hidden, isz), "r": _w(hidden, hidden), "b": _w(hidden)}
    out = (seq, batch, hidden) if time_major else (batch, seq, hidden)
    data = _model("UNIDIRECTIONAL_SEQUENCE_RNN", x, [group], [("h", (batch, hidden))], {"y": out},
                  {"fused_activation_function": act, "time_major": time_major})
    return data, x


def np_rnn(x, w, r, b, act, time_major):
    """h_t = act(W x_t + R h_{t-1} + b), zero initial state."""
    xs = x if time_major else x.transpose(1, 0, 2)
    h, ys = np.zeros((xs.shape[1], w.shape[0]), np.float32), []
    for t in range(xs.shape[0]):
        h = act(xs[t] @ w.T + h @ r.T + b)
        ys.append(h)
    y = np.stack(ys).astype(np.float32)
    return y if time_major else y.transpose(1, 0, 2)


for seq, batch, isz, hidden, tm, act in ((5, 1, 3, 4, True, "TANH"), (4, 3, 5, 7, False, "RELU"),
                                         (6, 2, 4, 9, True, "NONE"), (2, 5, 1, 1, False, "TANH")):
    data, x = rnn_model(seq, batch, isz, hidden, tm, act)
    add(f"uni_rnn-s{seq}b{batch}i{isz}h{hidden}-{'tm' if tm else 'bm'}-{act}", data, [x])
# one case pins LiteRT's semantics (weight layout, activation, batch-major order) with numpy
_rx = _seq(4, 3, 2, False)
_rw, _rr, _rb = _w(5, 2), _w(5, 5), _w(5)
add("uni_rnn-numpy-bm-TANH",
    _model("UNIDIRECTIONAL_SEQUENCE_RNN", _rx, [{"w": _rw, "r": _rr, "b": _rb}], [("h", (3, 5))], {"y": (3, 4, 5)},
           {"fused_activation_function": "TANH", "time_major": False}),
    [_rx], np_rnn(_rx, _rw, _rr, _rb, np.tanh, False))


# ---- BIDIRECTIONAL_SEQUENCE_RNN ------------------------------------------------------------------
def birnn_model(seq, batch, isz, hidden, time_major, merge, act, seed=None):
    rng = np.random.default_rng(seed) if seed is not None else RNG
    x = _seq(seq, batch, isz, time_major, rng)
    groups = [{f"{d}_w": _w(hidden, isz, rng=rng), f"{d}_r": _w(hidden, hidden, rng=rng), f"{d}_b": _w(hidden, rng=rng),
               } for d in ("fw", "bw")]
    lead = (seq, batch) if time_major else (batch, seq)
    outs = {"y": lead + (2 * hidden,)} if merge else {"y_fw": lead + (hidden,), "y_bw": lead + (hidden,)}
    names = ["x"] + list(groups[0]) + ["fw_h"] + list(groups[1]) + ["bw_h", "", "", ""]
    tensors = {"x": (F32, x.shape, None), "fw_h": (F32, (batch, hidden), None), "bw_h": (F32, (batch, hidden), None)}
    tensors.update({n: (F32, a.shape, a) for g in groups for n, a in g.items()})
    tensors.update({n: (F32, shape, None) for n, shape in outs.items()})
    data = build_model([("BIDIRECTIONAL_SEQUENCE_RNN", names, list(outs),
                         {"_options": "BidirectionalSequenceRNNOptions", "fused_activation_function": act,
                          "merge_outputs": merge, "time_major": time_major})],
                       tensors, ["x"], list(outs), variables=["fw_h", "bw_h"])
    return data, x


for seq, batch, isz, hidden, tm, merge, act in ((5, 2, 3, 4, True, True, "TANH"), (4, 3, 5, 7, True, False, "RELU"),
                                                (3, 1, 2, 5, False, False, "NONE"), (6, 2, 3, 3, True, True, "NONE"),
                                                (3, 4, 2, 5, False, True, "TANH")):
    data, x = birnn_model(seq, batch, isz, hidden, tm, merge, act)
    add(f"bi_rnn-s{seq}b{batch}i{isz}h{hidden}-{'tm' if tm else 'bm'}-{'merged' if merge else 'split'}-{act}",
        data, [x])



# ---- RFFT2D read through COMPLEX_ABS / REAL / IMAG ----------------------------------------------------
def rfft2d_model(shape, fft, readers):
    """RFFT2D on x with constant fft_length, its complex64 result read by each of ``readers``."""
    out_shape = tuple(shape[:-2]) + (fft[0], fft[1] // 2 + 1)
    tensors = {"x": (F32, shape, None), "fft": ("int32", (2,), np.array(fft, np.int32)),
               "z": ("complex64", out_shape, None)}
    ops = [("RFFT2D", ["x", "fft"], ["z"], None)]
    for r in readers:
        tensors[r.lower()] = (F32, out_shape, None)
        ops.append((r, ["z"], [r.lower()], None))
    return build_model(ops, tensors, ["x"], [r.lower() for r in readers])


for shape, fft, readers in (((4, 8), (4, 8), ("COMPLEX_ABS",)), ((2, 5, 6), (8, 4), ("COMPLEX_ABS",)),
                            ((3, 2, 16, 3), (16, 2), ("REAL", "IMAG")), ((1, 7, 9), (4, 16), ("REAL", "IMAG",
                                                                                              "COMPLEX_ABS"))):
    x = _w(*shape, scale=1.0)
    want = np.fft.rfft2(x, s=fft)  # numpy pads and crops the last two axes to fft as TFLite does
    expected = np.abs(want).astype(np.float32) if readers == ("COMPLEX_ABS",) else None
    add(f"rfft2d-{'x'.join(map(str, shape))}-fft{fft[0]}x{fft[1]}-{'+'.join(readers)}",
        rfft2d_model(shape, fft, readers), [x], expected, 1e-4)


def test_rfft2d_complex_output_refused(tmp_path):
    """A complex64 result that leaves the graph, or feeds another op, has no pocketml dtype."""
    tensors = {"x": (F32, (4, 4), None), "fft": ("int32", (2,), np.array([4, 4], np.int32)),
               "z": ("complex64", (4, 3), None)}
    data = build_model([("RFFT2D", ["x", "fft"], ["z"], None)], tensors, ["x"], ["z"])
    with pytest.raises(UnsupportedOpError, match="graph output"):
        _convert(data, tmp_path)
    tensors["y"] = ("complex64", (4, 3), None)
    data = build_model([("RFFT2D", ["x", "fft"], ["z"], None), ("SQUARE", ["z"], ["y"], None)], tensors, ["x"], ["y"])
    with pytest.raises(UnsupportedOpError, match="SQUARE"):
        _convert(data, tmp_path)


# ---- SEGMENT_SUM: constant ids (rows = max id + 1) and ids fed at run time ------------------------
def np_segment_sum(data, ids):
    out = np.zeros((int(ids.max()) + 1,) + data.shape[1:], data.dtype)
    np.add.at(out, ids, data)
    return out


# LiteRT takes ids that start at 0 and step by 0 or 1
for dt, shape, ids in (("float32", (6, 3), [0, 0, 1, 2, 2, 2]), ("int32", (5,), [0, 1, 1, 2, 3]),
                       ("float32", (4, 2, 3), [0, 1, 1, 1]), ("int32", (3, 4), [0, 0, 0])):
    data = (RNG.integers(-9, 10, size=shape)).astype(dt) if dt == "int32" else _w(*shape, scale=1.0)
    ids = np.array(ids, np.int32)
    want = np_segment_sum(data, ids)
    add(f"segment_sum-{dt}-{'x'.join(map(str, shape))}-const_ids",
        build_model([("SEGMENT_SUM", ["data", "ids"], ["y"], None)],
                    {"data": (dt, shape, None), "ids": ("int32", ids.shape, ids), "y": (dt, want.shape, None)},
                    ["data"], ["y"]), [data], want)


# ---- UNSORTED_SEGMENT_SUM/PROD/MAX/MIN: num_segments rows, negative ids dropped, empty rows filled ------
def np_unsorted_segment(op, data, ids, n):
    fill = {"SUM": 0, "PROD": 1, "MAX": (np.finfo if data.dtype.kind == "f" else np.iinfo)(data.dtype).min,
            "MIN": (np.finfo if data.dtype.kind == "f" else np.iinfo)(data.dtype).max}[op]
    ufunc = {"SUM": np.add, "PROD": np.multiply, "MAX": np.maximum, "MIN": np.minimum}[op]
    out = np.full((n,) + data.shape[ids.ndim:], fill, data.dtype)
    keep = ids >= 0
    ufunc.at(out, ids[keep], data[keep])
    return out


def unsorted_segment_model(op, dt, shape, ids, n, ids_fed=False):
    tensors = {"data": (dt, shape, None), "ids": ("int32", ids.shape, None if ids_fed else ids),
               "n": ("int32", (), np.array(n, np.int32)), "y": (dt, (n,) + tuple(shape[ids.ndim:]), None)}
    return build_model([(f"UNSORTED_SEGMENT_{op}", ["data", "ids", "n"], ["y"], None)], tensors,
                       ["data", "ids"] if ids_fed else ["data"], ["y"])


for op in ("SUM", "PROD", "MAX", "MIN"):
    for dt, shape, ids, n in (("float32", (6, 3), [3, -1, 0, 3, 4, 0], 5), ("int32", (5,), [1, 1, 0, -2, 1], 3),
                              ("float32", (2, 3, 2), [[0, 2, 2], [-1, 0, 5]], 7)):
        data = RNG.integers(-4, 5, size=shape).astype(dt) if dt == "int32" else _w(*shape, scale=1.0)
        ids = np.array(ids, np.int32)
        add(f"unsorted_segment_{op.lower()}-{dt}-{'x'.join(map(str, shape))}-n{n}",
            unsorted_segment_model(op, dt, shape, ids, n), [data], np_unsorted_segment(op, data, ids, n))
    # ids fed at run time: negative ones become the dump row in the graph
    ids = np.array([2, -1, 0, 2, 1], np.int32)
    data = _w(5, 2, scale=1.0)
    add(f"unsorted_segment_{op.lower()}-ids_fed", unsorted_segment_model(op, "float32", (5, 2), ids, 4, True),
        [data, ids], np_unsorted_segment(op, data, ids, 4))


def test_segment_sum_run_time_ids(tmp_path):
    """Ids fed at run time: the row count follows each value, in one session (LiteRT resizes its
    output the same way); constant ids outside LiteRT's rule are refused at conversion."""
    model = build_model([("SEGMENT_SUM", ["data", "ids"], ["y"], None)],
                        {"data": (F32, (4, 3), None), "ids": ("int32", (4,), None), "y": (F32, (1, 3), None)},
                        ["data", "ids"], ["y"])
    session = _session(model, tmp_path)
    for ids in ([0, 1, 1, 2], [0, 0, 0, 0], [0, 1, 2, 3], [0, 1, 1, 2], [0, 0, 1, 1]):
        data, ids = _w(4, 3, scale=1.0), np.array(ids, np.int32)
        want = run_litert(model, [data, ids])[0]
        np.testing.assert_allclose(want, np_segment_sum(data, ids), rtol=1e-6, atol=1e-6)
        got = session.run({session.inputs[0].name: data, session.inputs[1].name: ids})[session.outputs[0].name]
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    ids = np.array([0, 2, 2], np.int32)
    bad = build_model([("SEGMENT_SUM", ["data", "ids"], ["y"], None)],
                      {"data": (F32, (3, 2), None), "ids": ("int32", (3,), ids), "y": (F32, (3, 2), None)},
                      ["data"], ["y"])
    with pytest.raises(ConversionError, match="segment_ids"):
        _convert(bad, tmp_path)


def _convert(data: bytes, tmp_path):
    import pocketml

    path = tmp_path / "model.tflite"
    path.write_bytes(data)
    return pocketml.convert(path)


def _session(data: bytes, tmp_path):
    import pocketml

    return pocketml.Session(_convert(data, tmp_path))


def test_lstm_dynamic_batch(tmp_path):
    """A batch of -1 in shape_signature: one pocketml session serves every batch size, each checked
    against LiteRT on the same weights with that batch written in."""
    group = _lstm_group("", 4, 6, True)
    opts = {"fused_activation_function": "TANH", "time_major": False, "cell_clip": 0.5}

    def model(batch):
        states = [("h", (max(batch, 1), 6)), ("c", (max(batch, 1), 6))]
        return _model("UNIDIRECTIONAL_SEQUENCE_LSTM", (batch, 5, 4), [group], states, {"y": (batch, 5, 6)}, opts,
                      tail=["", "", "", ""])
    session = _session(model(-1), tmp_path)
    assert isinstance(session.inputs[0].shape[0], str)
    for batch in (3, 1, 2):
        x = _seq(5, batch, 4, False)
        got = session.run({session.inputs[0].name: x})[session.outputs[0].name]
        np.testing.assert_allclose(got, run_litert(model(batch), [x])[0], rtol=1e-5, atol=1e-5)


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
              "NONE"),
             (model(_lstm_group("", isz, hidden, False), tail=("", ("ln_f", _w(hidden)), "", "")),
              "forget_layer_norm_coefficients")]
    for data, what in cases:
        with pytest.raises(UnsupportedOpError, match=what):
            _convert(data, tmp_path)
    # BIDIRECTIONAL_SEQUENCE_LSTM with an aux input
    groups = [_lstm_group("fw_", isz, hidden, False), _lstm_group("bw_", isz, hidden, False)]
    data = _model("BIDIRECTIONAL_SEQUENCE_LSTM", x, groups, states + [("bh", (batch, hidden)), ("bc", (batch, hidden))],
                  {"y": (3, batch, 2 * hidden)}, {**opts, "merge_outputs": True},
                  tail=[("aux", _w(3, batch, isz))] + [""] * 8)
    with pytest.raises(UnsupportedOpError, match="aux_input"):
        _convert(data, tmp_path)


def test_unsorted_segment_ids_past_num_segments(tmp_path):
    """LiteRT refuses constant ids >= num_segments while preparing; the importer names them."""
    data = unsorted_segment_model("SUM", "float32", (3, 2), np.array([0, 4, 1], np.int32), 3)
    with pytest.raises(ConversionError, match="past num_segments 3"):
        _convert(data, tmp_path)


test_litert_matches_numpy, test_pocketml_matches_litert = litert_tests(CASES)


# ---- state across invocations: LiteRT keeps the sequence ops' variable state tensors -------------
@pytest.mark.parametrize("kind", ["lstm", "bilstm", "rnn"])
def test_state_carries_across_runs_and_resets_as_litert(tmp_path, kind):
    """Streaming: one LiteRT interpreter invoked on consecutive chunks keeps the final h/c in the
    variable state tensors; one pocketml session does the same (Variables), and reset_state() matches
    reset_all_variables()."""
    from ai_edge_litert import interpreter as litert

    data, x = {"lstm": lambda: lstm_model(3, 2, 4, 5, True, True),
               "bilstm": lambda: bilstm_model(3, 2, 4, 5, True, False, True),
               "rnn": lambda: rnn_model(3, 2, 4, 5, False, "TANH")}[kind]()
    session = _session(data, tmp_path)
    assert session.state_bytes > 0
    it = litert.Interpreter(model_content=data)
    it.allocate_tensors()
    chunks = [_seq(*x.shape, True) for _ in range(3)]  # x's own layout: any array of its shape

    def both(chunk):
        it.set_tensor(it.get_input_details()[0]["index"], chunk)
        it.invoke()
        want = [it.get_tensor(d["index"]) for d in it.get_output_details()]
        got = session.run({session.inputs[0].name: chunk})
        for out, w in zip(session.outputs, want):
            np.testing.assert_allclose(got[out.name], w, rtol=1e-5, atol=1e-5)
        return want[0]

    first = both(chunks[0])
    again = [both(c) for c in chunks[1:]] + [both(chunks[0])]
    assert not np.allclose(again[-1], first)  # the same chunk after others: the state changed it
    it.reset_all_variables()
    session.reset_state()
    both(chunks[0])
