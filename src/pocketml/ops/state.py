"""State ops: values that persist across runs of one session (TFLite resource variables,
streaming models' state; later KV caches and training state).

Variable(initial) -> v: v is session-owned memory, outside the arena, holding ``initial`` when the
session is created and after ``reset_state``; reading v reads what the last run left there.
VariableAssign(v, x) (no output) writes x into v's memory; the writer puts every assignment
after every other node, so all reads of a run see the value the run started with (a model that
reads a value it assigned reads the assigned value itself: importers keep that in SSA form).
Both are ``stateful``: never constant-folded, and an assignment is live though it has no output.
"""
from __future__ import annotations

import numpy as np

from .registry import define
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


define("Variable", 440, "state", ("initial: T",), ("y: T",), types={"T": ANY}, traits=("stateful",),
       infer=_variable_infer, reference=lambda ins, attrs: [np.array(ins[0], copy=True)])
define("VariableAssign", 441, "state", ("variable: T", "value: T"), (), types={"T": ANY}, traits=("stateful",),
       infer=_assign_infer, reference=lambda ins, attrs: [])
