"""ONNX LSTM, GRU, RNN -> the IR recurrent ops (src/pocketml/ops/recurrent.py).

The IR op is time-major with explicit attributes, so the handler resolves
what ONNX leaves implicit: the direction string becomes 0/1/2, hidden_size
comes from R when absent, activation names become codes with one
alpha/beta per slot (ONNX packs activation_alpha/beta for only the
functions that take them, in order, and every other value is the
function's default), and batch-major models (layout=1, opset 14+) get
transposes around the op. The IR node always produces every output; ones
the model leaves out get fresh names and are never read.

Scan (opsets 9..25) has no IR op. Over a known count of at most MAX_UNROLLED_STEPS it is
unrolled at import (the fastest to run), each iteration converting the body's
nodes under fresh names through the same dispatch as the graph walk. Scan
inputs are read one step at a time with Gather (which drops the scan axis),
state variables thread from one iteration to the next, and scan outputs are
stacked with Unsqueeze-like Reshapes and one Concat, in reverse where a
direction says so. Body names the body does not define are read from the
outer graph. A symbolic or longer count runs as an IR Loop instead (ops_control.scan_as_loop).
Scan-8 (batch axis, sequence_lens) is not supported.
"""
from __future__ import annotations

from pocketml.ops.recurrent import CELLS, DIRECTIONS, RNN_ACTIVATIONS

import numpy as np

from .attr_domains import BOOL, BOOLS, POSITIVE, domain, enum
from .context import Context, OnnxNode, handler
from .ops_control import scan_as_loop
from .subgraph import inline_subgraph

_DEFAULT_NAMES = {"LSTM": ("Sigmoid", "Tanh", "Tanh"), "GRU": ("Sigmoid", "Tanh"), "RNN": ("Tanh",)}


def _activations(ctx: Context, node: OnnxNode, slots: int, nd: int):
    names = [n.decode("utf-8") if isinstance(n, bytes) else str(n) for n in node.attrs.get("activations", [])]
    names = names or list(_DEFAULT_NAMES[node.op_type]) * nd
    if len(names) == slots and nd == 2:
        names = names * 2  # one set given for a bidirectional node: both directions use it
    if len(names) != slots * nd:
        raise ctx.error(f"activations {names} must list {slots} functions per direction ({nd} directions)")
    alphas = [float(a) for a in node.attrs.get("activation_alpha", [])]
    betas = [float(b) for b in node.attrs.get("activation_beta", [])]
    codes, out_a, out_b = [], [], []
    for name in names:
        spec = RNN_ACTIVATIONS.get(name.lower())
        if spec is None:
            raise ctx.unsupported(f"activation {name!r}; supported: "
                                  f"{', '.join(n for n in _ONNX_NAMES)}")
        code, uses_a, uses_b, a0, b0 = spec
        codes.append(code)
        out_a.append(alphas.pop(0) if uses_a and alphas else a0)
        out_b.append(betas.pop(0) if uses_b and betas else b0)
    return codes, out_a, out_b


_ONNX_NAMES = ("Sigmoid", "Tanh", "Relu", "HardSigmoid", "Affine", "LeakyRelu", "ThresholdedRelu", "ScaledTanh",
               "Elu", "Softsign", "Softplus")


@handler("LSTM", "GRU", "RNN")
@domain(direction=enum("forward", "reverse", "bidirectional"), hidden_size=POSITIVE, layout=BOOL,
        input_forget=BOOL, linear_before_reset=BOOL)
def recurrent(ctx: Context, node: OnnxNode) -> None:
    op = node.op_type
    slots = CELLS[op][1]
    direction = str(node.attrs.get("direction", "forward"))
    if direction not in DIRECTIONS:
        raise ctx.error(f"direction {direction!r} must be one of {', '.join(DIRECTIONS)}")
    nd = 2 if direction == "bidirectional" else 1
    r_shape = ctx.shape(node.input(2))
    hidden = node.attrs.get("hidden_size")
    if hidden is None:
        if isinstance(r_shape[-1], str):
            raise ctx.error(f"hidden_size is absent and R's shape {list(r_shape)} does not give it")
        hidden = r_shape[-1]
    codes, alphas, betas = _activations(ctx, node, slots, nd)
    attrs = {"direction": DIRECTIONS.index(direction), "hidden_size": int(hidden), "activations": codes,
             "activation_alpha": alphas, "activation_beta": betas, "clip": float(node.attrs.get("clip", 0.0))}
    if attrs["clip"] < 0:
        raise ctx.error(f"clip {attrs['clip']} must be positive")
    if op == "LSTM":
        attrs["input_forget"] = int(node.attrs.get("input_forget", 0))
    if op == "GRU":
        attrs["linear_before_reset"] = int(node.attrs.get("linear_before_reset", 0))
    layout = int(node.attrs.get("layout", 0))
    if layout not in (0, 1):
        raise ctx.error(f"layout {layout} must be 0 (time-major) or 1 (batch-major)")

    n_in = 8 if op == "LSTM" else 6
    inputs = [node.input(i) for i in range(n_in)]
    if layout == 1:  # X [B,S,I] -> [S,B,I]; initial states [B,D,H] -> [D,B,H]
        for i in (0, 5, 6):
            if i < n_in and inputs[i]:
                inputs[i] = ctx.transpose(inputs[i], [1, 0, 2], hint="to_time_major")
    n_out = 3 if op == "LSTM" else 2
    wanted = [node.output(i) if ctx.is_consumed(node.output(i)) else "" for i in range(n_out)]
    outs = [w if w and layout == 0 else ctx.new_name(f"{node.name}/{op}_out{i}") for i, w in enumerate(wanted)]
    ctx.emit(op, inputs, outs, attrs)
    if layout == 1:  # Y [S,D,B,H] -> [B,S,D,H]; Y_h, Y_c [D,B,H] -> [B,D,H]
        for i, w in enumerate(wanted):
            if w:
                ctx.transpose(outs[i], [2, 0, 1, 3] if i == 0 else [1, 0, 2], w, hint="to_batch_major")


MAX_UNROLLED_STEPS = 64  # a short Scan of known length is unrolled (fastest); a longer one runs as a Loop


def _scan_axes(ctx: Context, node: OnnxNode, key: str, n: int, ranks: list) -> list:
    axes = list(node.attrs.get(key, [0] * n))
    if len(axes) != n:
        raise ctx.error(f"{key} has {len(axes)} entries for {n} values")
    for a, r in zip(axes, ranks):
        if not -r <= a < r:
            raise ctx.error(f"{key} entry {a} is out of range for rank {r}")
    return [a % r for a, r in zip(axes, ranks)]


@handler("Scan")
@domain(num_scan_inputs=POSITIVE, scan_input_directions=BOOLS, scan_output_directions=BOOLS)
def scan(ctx: Context, node: OnnxNode) -> None:
    if node.opset < 9:
        raise ctx.unsupported("Scan-8 (batch axis and sequence_lens) is not supported; export with opset >= 9")
    body, m = node.attrs["body"], int(node.attrs["num_scan_inputs"])
    n_state = len(node.inputs) - m
    k = len(body.output) - n_state
    if n_state < 0 or k < 0 or len(body.input) != n_state + m:
        raise ctx.error(f"body has {len(body.input)} inputs and {len(body.output)} outputs for {n_state} state "
                        f"variables and {m} scan inputs")
    blank = [i for i, name in enumerate(node.inputs) if not name]
    if blank:  # the checker accepts blanks among variadic inputs; a state or scan input must be given
        raise ctx.error(f"input {blank[0]} is blank; every initial state and scan input must be given")
    xs = [node.input(n_state + j) for j in range(m)]
    in_axes = _scan_axes(ctx, node, "scan_input_axes", m, [ctx.rank(x) for x in xs])
    in_dirs = list(node.attrs.get("scan_input_directions", [0] * m))
    lengths = {ctx.shape(x)[a] for x, a in zip(xs, in_axes)}
    steps = next(iter(lengths)) if len(lengths) == 1 else None
    if not isinstance(steps, int) or not 1 <= steps <= MAX_UNROLLED_STEPS:
        scan_as_loop(ctx, node, n_state, xs, in_axes, in_dirs)  # a symbolic or long length: run it as a Loop
        return
    state = [node.input(i) for i in range(n_state)]
    stacked = [[] for _ in range(k)]
    for t in range(steps):
        env = {vi.name: s for vi, s in zip(body.input, state)}
        for j, x in enumerate(xs):
            pos = ctx.add_const(np.array(steps - 1 - t if in_dirs[j] else t, np.int64), f"it{t}/pos")
            env[body.input[n_state + j].name] = ctx.emit1("Gather", [x, pos], attrs={"axis": in_axes[j]},
                                                          hint=f"it{t}/scan_in{j}")
        outs = inline_subgraph(ctx, node, body, env, f"it{t}")
        state = outs[:n_state]
        for j in range(k):
            stacked[j].append(outs[n_state + j])
    for i in range(n_state):
        if ctx.is_consumed(node.output(i)):
            ctx.emit1("Identity", [state[i]], node.output(i), hint="final_state")
    out_axes = _scan_axes(ctx, node, "scan_output_axes", k, [ctx.rank(s[0]) + 1 for s in stacked])
    out_dirs = list(node.attrs.get("scan_output_directions", [0] * k))
    for j in range(k):
        out = node.output(n_state + j)
        if not ctx.is_consumed(out):
            continue
        items = stacked[j][::-1] if out_dirs[j] else stacked[j]
        shape = list(ctx.shape(items[0]))
        one = [ctx.reshape(y, shape[:out_axes[j]] + [1] + shape[out_axes[j]:], hint=f"scan_out{j}") for y in items]
        ctx.emit1("Concat", one, out, {"axis": out_axes[j]})
