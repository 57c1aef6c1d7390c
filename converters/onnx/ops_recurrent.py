"""ONNX LSTM, GRU, RNN -> the IR recurrent ops (src/pocketml/ops/recurrent.py).

The IR op is time-major with explicit attributes, so the handler resolves
what ONNX leaves implicit: the direction string becomes 0/1/2, hidden_size
comes from R when absent, activation names become codes with one
alpha/beta per slot (ONNX packs activation_alpha/beta for only the
functions that take them, in order, and every other value is the
function's default), and batch-major models (layout=1, opset 14+) get
transposes around the op. The IR node always produces every output; ones
the model leaves out get fresh names and are never read.
"""
from __future__ import annotations

from pocketml.ops.recurrent import CELLS, DIRECTIONS, RNN_ACTIVATIONS

from .context import Context, OnnxNode, handler

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
