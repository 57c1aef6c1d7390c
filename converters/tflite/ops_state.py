"""TFLite resource variables -> IR state ops (Variable, VariableAssign).

A TF variable in a .tflite is a RESOURCE tensor made by VAR_HANDLE (identified by its
shared_name), read by READ_VARIABLE and written by ASSIGN_VARIABLE; its initial value is
assigned by an init subgraph that CALL_ONCE runs on the first invocation. Here CALL_ONCE's
subgraph is imported at conversion, where its assignments must fold to constants: they become
the Variables' initial values. In the main graph each variable is kept in SSA form: a read
gives the value the variable holds at that point (the Variable's output, the run's starting
value, until an assignment replaces it), and the last value assigned becomes one
VariableAssign at the end of the run. The session keeps that value for the next run
(Session.reset_state() restores the initial values), as LiteRT keeps them per interpreter.

A quantized variable (an int8 streaming model's state) keeps stored integers: every read and
assignment of it must carry the same quantization parameters (LiteRT copies the bytes), which
the Variable's initial value and output then carry too; different ones are refused.
"""
from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np
import tflite

from pocketml import import_boundary, ir

from . import quant as tflite_quant
from .context import HANDLERS, Context, handler
from .reader import Subgraph


@dataclasses.dataclass
class VarState:
    initial: Optional[np.ndarray] = None  # what CALL_ONCE's init graph assigned
    variable: Optional[str] = None        # the Variable node's output (the run's starting value)
    current: Optional[str] = None         # the value it holds at this point of the main graph
    quant: object = None                  # the parameters every read and assignment carries
    quant_seen: bool = False


def _shared_name(ctx: Context, op) -> str:
    o = ctx.options(tflite.VarHandleOptions, required=False)
    name = o.SharedName() if o is not None else None
    return name.decode() if isinstance(name, bytes) else (name or f"var{op.outputs[0]}")


def _resource(ctx: Context, op, i: int) -> VarState:
    t = op.inputs[i] if i < len(op.inputs) else -1
    if t not in ctx.resources:
        raise ctx.error(f"input {i} is not a VAR_HANDLE's resource")
    return ctx.variables.setdefault(ctx.resources[t], VarState())


def _agree(ctx: Context, var: VarState, name: str, q) -> None:
    """Record (first use) or check the quantization parameters a read or assignment carries."""
    if not var.quant_seen:
        var.quant, var.quant_seen = q, True
    elif var.quant != q:
        raise ctx.unsupported(f"variable {name!r} is read or assigned with different quantization parameters "
                              f"({var.quant} and {q}); the stored integers would change meaning")


def _variable(ctx: Context, var: VarState, name: str) -> str:
    """The Variable node of ``var`` (made on first use in the main graph)."""
    if var.variable is None:
        if var.initial is None:
            raise ctx.unsupported(f"variable {name!r} is read before any assignment: it needs an initial value "
                                  "from a CALL_ONCE init subgraph")
        init = ctx.add_const(var.initial, f"{name}/initial")
        ctx.graph.values[init].quant = var.quant  # the Variable's output takes them from it
        var.variable = var.current = ctx.emit("Variable", [init], hint=f"{name}")
    return var.current


def _dtype(ctx: Context, index: int) -> str:
    return np.dtype(ctx.np_type(index)).name


@handler("VAR_HANDLE")
def var_handle(ctx: Context, op) -> None:
    name = _shared_name(ctx, op)
    ctx.resources[op.outputs[0]] = name
    ctx.variables.setdefault(name, VarState())
    ctx.names[op.outputs[0]] = f"<resource {name}>"  # no IR value: only the state ops read it


@handler("READ_VARIABLE")
def read_variable(ctx: Context, op) -> None:
    var = _resource(ctx, op, 0)
    if ctx.in_init:
        raise ctx.unsupported("READ_VARIABLE in a CALL_ONCE init subgraph")
    out = op.outputs[0]
    _agree(ctx, var, ctx.resources[op.inputs[0]], tflite_quant.quant_of(ctx.model, ctx.tensor(out), _dtype(ctx, out)))
    ctx.names[op.outputs[0]] = _variable(ctx, var, ctx.resources[op.inputs[0]])


@handler("ASSIGN_VARIABLE")
def assign_variable(ctx: Context, op) -> None:
    var, name = _resource(ctx, op, 0), ctx.resources[op.inputs[0]]
    value = ctx.input(1)
    _agree(ctx, var, name, ctx.graph.values[value].quant)
    if ctx.in_init:
        const = ctx.graph.values[value].const
        if const is None:
            raise ctx.unsupported(f"the initial value of variable {name!r} is computed from run-time data; it "
                                  "must fold to a constant")
        var.initial = np.array(const)
        return
    if var.variable is None and var.initial is None:  # first written here: it starts as zeros
        v = ctx.graph.values[value]
        if v.shape is None or not all(isinstance(d, int) for d in v.shape):
            raise ctx.unsupported(f"variable {name!r} needs a static shape, got {v.shape}")
        var.initial = np.zeros(v.shape, np.dtype(v.dtype))
    _variable(ctx, var, name)
    var.current = value


@handler("CALL_ONCE")
def call_once(ctx: Context, op) -> None:
    o = ctx.options(tflite.CallOnceOptions)
    k = int(o.InitSubgraphIndex())
    subgraphs = ctx.model.subgraphs
    if not 0 < k < len(subgraphs):
        raise ctx.error(f"init_subgraph_index {k} is not a subgraph of the model ({len(subgraphs)} subgraphs)")
    run_init_subgraph(ctx, subgraphs[k], k)


def run_init_subgraph(ctx: Context, sg: Subgraph, k: int) -> None:
    """Import init subgraph k into a scratch graph (its values fold to constants) to learn the
    variables' initial values."""
    view = dataclasses.replace(ctx.model, tensors=sg.tensors, ops=sg.ops, inputs=sg.inputs, outputs=sg.outputs)
    sub = Context(view, ir.Graph(f"init{k}"), f"{ctx.source} (CALL_ONCE subgraph {k})")
    sub.variables, sub.in_init = ctx.variables, True
    if sg.inputs:
        raise ctx.unsupported(f"CALL_ONCE subgraph {k} has inputs; an init subgraph takes none")
    for init_op in sg.ops:
        sub.op = init_op
        fn = HANDLERS.get(init_op.name)
        if fn is None:
            raise sub.unsupported(f"builtin op {init_op.name} in a CALL_ONCE init subgraph is not supported")
        fn(sub, init_op)
    import_boundary.unfollow(sub)  # imported: a later failure is the enclosing graph's


def tensor_variable(ctx: Context, ti: int) -> Optional[str]:
    """A TFLite variable tensor (is_variable: a sequence LSTM/RNN's state, which LiteRT keeps across
    invocations, starting from zeros or its data) as a Variable: its value at this point of the
    run. None when its shape is not static (the state then starts from zeros on every run)."""
    t = ctx.tensor(ti)
    shape = t.shape_signature if t.shape_signature is not None else t.shape
    if any(d < 0 for d in shape):
        return None
    key = f"tensor {ti}"
    if key not in ctx.variables:
        data = ctx.raw(ti)
        initial = data.reshape(t.shape) if data is not None else np.zeros(t.shape, ctx.np_type(ti))
        ctx.variables[key] = VarState(initial=np.array(initial, dtype=initial.dtype.newbyteorder("=")))
    return _variable(ctx, ctx.variables[key], t.name or key)


def write_tensor_variable(ctx: Context, ti: int, value: str) -> None:
    """The op that reads variable tensor ``ti`` leaves ``value`` in it (its final state)."""
    var = ctx.variables.get(f"tensor {ti}")
    if var is not None:
        var.current = ctx.reshape(value, list(ctx.tensor(ti).shape), hint="state_out")


def finish_state(ctx: Context) -> None:
    """One VariableAssign per variable whose value the main graph changed; a graph output that
    is a variable's starting value gets a copy (the assignment rewrites the variable's memory)."""
    starts = {var.variable for var in ctx.variables.values() if var.variable is not None}
    for ti in ctx.model.outputs:
        if ctx.names.get(ti) in starts:
            ctx.names[ti] = ctx.emit("Identity", [ctx.names[ti]], hint="read_copy")
    for name, var in ctx.variables.items():
        if var.variable is not None and var.current != var.variable:
            ctx.emit_outputs("VariableAssign", [var.variable, var.current], [], hint=f"{name}/assign")
