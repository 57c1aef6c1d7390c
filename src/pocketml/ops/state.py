"""State ops: values that persist across runs of one session (TFLite resource variables,
streaming models' state; later KV caches and training state).

Variable(initial) -> v: v is session-owned memory, outside the arena, holding ``initial`` when the
session is created and after ``reset_state``; reading v reads what the last run left there.
VariableAssign(v, x) (no output) writes x into v's memory; the writer puts every assignment
after every other node, so all reads of a run see the value the run started with (a model that
reads a value it assigned reads the assigned value itself: importers keep that in SSA form).
Both are ``stateful``: never constant-folded, and an assignment is live though it has no output.

Dropout in training mode draws a new mask on every run from a counter-based generator
(splitmix64 of the seed, the session's training-run count and the element index: the same
seed gives the same masks in any session and on any thread count); a zero ratio or training
off keeps every element. Inference-only Dropout never reaches the IR (the importers drop it).
"""
from __future__ import annotations

import numpy as np

from .registry import Attr, define
from ._common import ANY, fail, is_sym, known, shape_str


def _variable_infer(node, ins):
    t, s = known(node, ins[0], "initial")
    if not ins[0].is_const:
        raise fail(node, "initial must be a constant (the value the variable holds before the first run)")
    return [(t, s)]


def _assign_infer(node, ins):
    (tv, sv), (tx, sx) = known(node, ins[0], "variable"), known(node, ins[1], "value")
    if tv != tx or len(sv) != len(sx) or any(not is_sym(a) and not is_sym(b) and a != b for a, b in zip(sv, sx)):
        raise fail(node, f"value {tx}{shape_str(sx)} does not match the variable's {tv}{shape_str(sv)}")
    return []


# quant_transparent: a quantized variable holds stored integers, its initial value, output and
# every assigned value carrying the same parameters (the TFLite importer checks them)
define("Variable", 440, "state", ("initial: T",), ("y: T",), types={"T": ANY}, traits=("stateful", "quant_transparent"),
       infer=_variable_infer, reference=lambda ins, attrs: [np.array(ins[0], copy=True)])
define("VariableAssign", 441, "state", ("variable: T", "value: T"), (), types={"T": ANY},
       traits=("stateful", "quant_transparent"),
       infer=_assign_infer, reference=lambda ins, attrs: [])


# ---- Dropout in training mode: random masks from a counter-based generator ------------------------
DROPOUT_DEFAULT_SEED = 0x5EED


def _mix64(z):
    """splitmix64's finaliser on uint64 arrays (the C kernel's generator: ops/state.c)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def dropout_uniform(seed: int, run: int, n: int) -> np.ndarray:
    """The uniforms in [0, 1) of run ``run`` (0 for a session's first training run) for n elements."""
    with np.errstate(over="ignore"):
        key = _mix64(np.uint64(seed % 2**64) ^ (np.uint64(run) * np.uint64(0x9E3779B97F4A7C15)))
        bits = _mix64(key + np.arange(n, dtype=np.uint64) * np.uint64(0xD1B54A32D192ED03))
    return (bits >> np.uint64(40)).astype(np.float32) * np.float32(1.0 / (1 << 24))


def _dropout_infer(node, ins):
    t, s = known(node, ins[0], "x")
    for k, role in ((1, "ratio"), (2, "training_mode")):
        if k < len(ins) and ins[k] is not None:
            _, sk = known(node, ins[k], role)
            if len(sk) > 1 or (sk and not is_sym(sk[0]) and sk[0] != 1):
                raise fail(node, f"{role} must hold one value, got shape {shape_str(sk)}")
    outs = [(t, s)]
    if len(node.outputs) > 1:
        outs.append(("bool", s))
    return outs


def _dropout_reference(inputs, attrs):
    """The first training run of a session (run counter 0); later runs draw new masks."""
    x = np.asarray(inputs[0])
    ratio = float(np.asarray(inputs[1]).reshape(-1)[0]) if len(inputs) > 1 and inputs[1] is not None else 0.5
    training = len(inputs) > 2 and inputs[2] is not None and bool(np.asarray(inputs[2]).reshape(-1)[0])
    if not training or ratio == 0.0:
        return [x.copy(), np.ones(x.shape, bool)]
    if not 0.0 <= ratio < 1.0:
        raise ValueError(f"ratio {ratio} is outside [0, 1)")
    keep = dropout_uniform(int(attrs.get("seed", DROPOUT_DEFAULT_SEED)), 0, x.size).reshape(x.shape) >= ratio
    scale = np.float32(1.0 / (1.0 - ratio))
    y = np.where(keep, x.astype(np.float32) * scale, 0).astype(x.dtype)
    return [y, keep]


define("Dropout", 442, "state", ("x: T", "ratio?: R", "training_mode?: B"), ("y: T", "mask?: B"),
       {"seed": Attr("int", DROPOUT_DEFAULT_SEED)},
       types={"T": ("float32", "float16"), "R": ("float32", "float16"), "B": ("bool",)}, traits=("stateful",),
       infer=_dropout_infer, reference=_dropout_reference)
