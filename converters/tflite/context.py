"""Shared state of one TFLite import: the IR graph being built, the handler
table and the helpers every op handler uses.

A handler is ``fn(ctx, op)`` registered with ``@handler("CONV_2D", ...)`` in
its family module (ops_*.py); ``HANDLERS`` is the one table from TFLite
builtin op name to handler. ``ctx.emit`` adds an IR node, runs the registry's
shape inference at once and folds nodes whose inputs are all constants with
the numpy reference (so FP16 DEQUANTIZE, DENSIFY and weight transposes
become plain float32 constants at conversion).
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np
from tflite.ActivationFunctionType import ActivationFunctionType as AF
from tflite.BuiltinOptions import BuiltinOptions
from tflite.Padding import Padding

from pocketml import import_boundary, ir, ops, quant_support
from pocketml.ops import limits
from pocketml.errors import ConversionError, UnsupportedOpError
from pocketml.ops import ACT_CLIP, ACT_NONE, ACT_RELU

from . import quant as tflite_quant
from .reader import NP_TYPES, OpInfo, TFLiteModel, buffer_bytes

HANDLERS: dict = {}  # TFLite builtin name -> handler(ctx, op)


def handler(*names: str) -> Callable:
    def register(fn):
        for n in names:
            assert n not in HANDLERS, f"TFLite op {n} has two handlers"
            HANDLERS[n] = fn
        return fn
    return register


# TFLite fused activation -> (act, alpha, beta). TANH and SIGN_BIT are not
# here on purpose: LiteRT's float kernels clamp to an activation range that
# only RELU, RELU6 and RELU_N1_TO_1 define, so they silently skip a fused TANH;
# applying it would disagree with LiteRT and ignoring it would disagree with
# the file, so such models are refused.
FUSED_ACTS = {
    AF.NONE: (ACT_NONE, 0.0, 0.0),
    AF.RELU: (ACT_RELU, 0.0, 0.0),
    AF.RELU_N1_TO_1: (ACT_CLIP, -1.0, 1.0),
    AF.RELU6: (ACT_CLIP, 0.0, 6.0),
}


def describe_operator(op: OpInfo) -> tuple:
    """(name, op, opset): how the import boundary names the operator a failure happened at."""
    return f"operator {op.index}", op.name, None


class Context:
    def __init__(self, model: TFLiteModel, graph: ir.Graph, source: str):
        self.model = model
        self.graph = graph
        self.source = source
        # the operator being converted: the import boundary reads it when something unforeseen escapes
        # (a subgraph's context is followed after its enclosing one's, and left once it is imported)
        self.op: Optional[OpInfo] = None
        import_boundary.follow(self, "op", describe_operator)
        self.names: dict = {}  # tensor index -> IR value name
        self.tensor_of: dict = {}  # IR value name -> tensor index (the values standing for TFLite tensors)
        self.node_names: set = set()
        self.variables: dict = {}  # resource variables by shared_name (ops_state.py)
        self.resources: dict = {}  # RESOURCE tensor index -> shared_name
        self.in_init = False  # importing a CALL_ONCE init subgraph
        self.running: tuple = (0,)  # the subgraphs being imported, outermost first (ops_control.py)
        # IR values standing for TFLite complex64 tensors: real [..., 2] (re, im), as the IR's DFT
        # writes them; only the ops that turn them back into real tensors may read them
        self.complex_values: set = set()

    # ---- errors -------------------------------------------------------------------
    def where(self) -> str:
        return f"{self.source}: TFLite operator {self.op.index} ({self.op.name}, version {self.op.version})"

    def error(self, msg: str) -> ConversionError:
        return ConversionError(f"{self.where()}: {msg}")

    def unsupported(self, msg: str) -> UnsupportedOpError:
        return UnsupportedOpError(f"{self.where()}: {msg}")

    # ---- tensors ------------------------------------------------------------------
    def tensor(self, index: int):
        return self.model.tensors[index]

    def name(self, index: int) -> str:
        """IR value name of TFLite tensor ``index``; constants are materialised on first use."""
        if index in self.names:
            return self.names[index]
        t = self.tensor(index)
        data = buffer_bytes(self.model, t.buffer)
        if data is None and t.obj.Sparsity() is None:
            raise self.error(f"tensor {index} ({t.name!r}) is read before any operator produces it and has no data")
        name = self.value_name(index)
        arr = self.const_array(index) if data is not None else None
        if arr is None:
            raise self.error(f"tensor {index} ({t.name!r}) is sparse; only DENSIFY may read it")
        self.graph.add_value(name, const=arr)
        self.annotate(name)
        return name

    def annotate(self, name: str, index: Optional[int] = None) -> None:
        """Value ``name``'s quantization parameters from its TFLite tensor (quant.py)."""
        index = self.tensor_of[name] if index is None else index
        why = tflite_quant.annotate(self.graph, name, self.model, self.tensor(index), index)
        if why:
            raise self.error(why) if self.op is not None else ConversionError(f"{self.source}: {why}")

    def plain(self, name: str, hint: str = "raw") -> str:
        """A constant holding value ``name``'s stored integers without its quantization parameters, for
        handlers that apply the parameters themselves (hybrid lookups)."""
        v = self.graph.values[name]
        if v.quant is None:
            return name
        if v.const is None:
            raise self.unsupported(f"tensor {name!r} holds quantized integers computed at run time; only a constant "
                                   "one can be read as plain integers here")
        return self.add_const(v.const, hint)

    def value_name(self, index: int) -> str:
        t = self.tensor(index)
        base = t.name or f"tensor_{index}"
        name = base if base not in self.graph.values else f"{base}__t{index}"
        while name in self.graph.values:
            name += "_"
        self.names[index] = name
        self.tensor_of[name] = index
        return name

    def np_type(self, index: int):
        t = self.tensor(index)
        if t.type not in NP_TYPES:
            raise self.unsupported(f"tensor {index} ({t.name!r}) has type {t.type_name}; supported: "
                                   + ", ".join(np.dtype(v).name for v in NP_TYPES.values()))
        return np.dtype(NP_TYPES[t.type]).newbyteorder("<")

    def raw(self, index: int) -> Optional[np.ndarray]:
        """The 1-D data of a tensor's buffer (None when it has none)."""
        t = self.tensor(index)
        data = buffer_bytes(self.model, t.buffer)
        if data is None:
            return None
        dt = self.np_type(index)
        if len(data) % dt.itemsize:
            raise self.error(f"tensor {index} ({t.name!r}): buffer of {len(data)} bytes is not a whole number "
                             f"of {dt.name} elements")
        return np.frombuffer(data, dt)

    def const_array(self, index: int) -> np.ndarray:
        t = self.tensor(index)
        flat = self.raw(index)
        if any(d < 0 for d in t.shape):
            raise self.error(f"constant tensor {index} ({t.name!r}) has shape {list(t.shape)}")
        n = int(np.prod(t.shape, dtype=np.int64))
        if flat.size != n:
            raise self.error(f"constant tensor {index} ({t.name!r}) of shape {list(t.shape)} needs {n} "
                             f"{flat.dtype.name} values, its buffer holds {flat.size}")
        arr = flat.reshape(t.shape).astype(flat.dtype.newbyteorder("="))
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        if arr.dtype.name not in ir.DTYPES and arr.dtype != np.int16:
            raise self.unsupported(f"constant tensor {index} ({t.name!r}) has dtype {arr.dtype.name}")
        return arr

    def is_const_tensor(self, index: int) -> bool:
        if index in self.names:
            return self.graph.values[self.names[index]].is_const
        return buffer_bytes(self.model, self.tensor(index).buffer) is not None

    def input(self, i: int, required: bool = True) -> str:
        ins = self.op.inputs
        if i >= len(ins) or ins[i] < 0:
            if required:
                raise self.error(f"input {i} is missing (operator has {len(ins)} inputs)")
            return ""
        return self.name(ins[i])

    def param(self, i: int, what: str) -> np.ndarray:
        name = self.input(i)
        v = self.graph.values[name]
        if v.const is None:
            raise self.unsupported(f"input {i} ({what}, tensor {name!r}) must be a constant, but it is computed "
                                   "at run time")
        return v.const

    def param_or_input(self, i: int, what: str):
        """Parameter input ``i`` (a shape, axis, multiples...) as (list of ints, None) when it is a
        constant, to fold into an IR attribute, or (None, IR value name) when it is computed at run
        time, for IR ops that take the parameter as an input."""
        name = self.input(i)
        v = self.graph.values[name]
        if v.const is None:
            return None, name
        return [int(d) for d in np.asarray(v.const).reshape(-1)], None

    def out(self, i: int = 0) -> str:
        outs = self.op.outputs
        if i >= len(outs) or outs[i] < 0:
            raise self.error(f"output {i} is missing (operator has {len(outs)} outputs)")
        if outs[i] in self.names:
            raise self.error(f"tensor {outs[i]} ({self.tensor(outs[i]).name!r}) is written twice")
        return self.value_name(outs[i])

    def shape(self, name: str) -> tuple:
        return tuple(self.graph.values[name].shape)

    def options(self, cls, required: bool = True):
        """The operator's builtin options as an instance of ``cls`` (None if absent and not required)."""
        expected = getattr(BuiltinOptions, cls.__name__)
        kind = int(self.op.obj.BuiltinOptionsType())
        table = self.op.obj.BuiltinOptions()
        if table is None or kind == BuiltinOptions.NONE:
            if required:
                raise self.error(f"builtin options {cls.__name__} are missing")
            return None
        if kind != expected:
            raise self.error(f"builtin options have type {kind}, expected {cls.__name__} ({expected})")
        opts = cls()
        opts.Init(table.Bytes, table.Pos)
        return opts

    def fused_act(self, code: int) -> dict:
        if code not in FUSED_ACTS:
            name = {AF.TANH: "TANH", AF.SIGN_BIT: "SIGN_BIT"}.get(code, str(code))
            raise self.unsupported(f"fused activation {name} is not supported (LiteRT's float kernels ignore it, "
                                   "so the model's intent is ambiguous; supported: NONE, RELU, RELU_N1_TO_1, RELU6)")
        act, a, b = FUSED_ACTS[code]
        return {"act": act, "act_alpha": a, "act_beta": b} if act != ACT_NONE else {}

    def same_pads(self, in_hw, kernel, strides, dilations, padding: int) -> list:
        """[top,left,bottom,right] as TFLite computes them for SAME / VALID."""
        if padding == Padding.VALID:
            return [0, 0, 0, 0]
        if padding != Padding.SAME:
            raise self.unsupported(f"padding {padding} (supported: SAME, VALID)")
        if min(list(strides) + list(dilations)) < 1:  # before dividing by them
            raise self.error(f"strides {list(strides)} and dilations {list(dilations)} must be >= 1")
        before, after = [], []
        for size, k, s, d in zip(in_hw, kernel, strides, dilations):
            if isinstance(size, str):
                raise self.unsupported(f"SAME padding needs static spatial dims, got {size!r}")
            eff = (k - 1) * d + 1
            out = (size + s - 1) // s
            total = max((out - 1) * s + eff - size, 0)
            before.append(total // 2)
            after.append(total - total // 2)
        return [before[0], before[1], after[0], after[1]]

    # ---- emitting IR nodes -----------------------------------------------------------
    def new_name(self, hint: str) -> str:
        return self.graph.unique_name(f"tfl{self.op.index}/{hint}")

    def add_const(self, array, hint: str = "const") -> str:
        name = self.new_name(hint)
        self.graph.add_value(name, const=np.asarray(array))
        return name

    def emit(self, op: str, inputs: list, out: Optional[str] = None, attrs: Optional[dict] = None,
             hint: str = "", quant=None) -> str:
        """Add IR op ``op`` with one output (or fold it when every input is constant)."""
        return self.emit_outputs(op, inputs, [out or self.new_name(hint or op)], attrs, hint, quant)[0]

    def emit_outputs(self, op: str, inputs: list, outs: list, attrs: Optional[dict] = None,
                     hint: str = "", quant=None) -> list:
        """emit for an op with several outputs (names in ``outs``); ``quant`` (QuantParams) goes on
        the outputs that stand for no TFLite tensor (a handler's own quantized intermediates)."""
        opdef = ops.get(op)
        inputs = list(inputs)
        while inputs and not inputs[-1]:
            inputs.pop()
        values = [self.graph.values[i] if i else None for i in inputs]
        base = f"tfl{self.op.index}_{self.op.name}" + (f"/{hint}" if hint else "")
        name = base
        k = 1
        while name in self.node_names:
            name = f"{base}_{k}"
            k += 1
        node = ir.Node(op, inputs, list(outs), dict(attrs or {}), name)
        if any(v is not None and v.quant is not None for v in values) and quant_support.never_runs_on_quant(opdef):
            # before shape inference: its dtype constraints may not even admit the stored integers
            refusal = quant_support.unsupported(v.dtype for v in values if v is not None and v.quant is not None)
            raise self.unsupported(f"{op} node {name!r}: {refusal}")
        try:
            inferred = opdef.infer(node, values)
        except ValueError as e:
            raise self.error(f"{op}: {e}") from None
        live = [v for v in values if v is not None]
        foldable = live and all(v.is_const for v in live) and not opdef.traits & {"stateful", "control_flow"}
        if any(v.quant is not None for v in live) and not opdef.traits & {"quant_transparent", "quant_explicit"}:
            foldable = False  # numpy would compute on the stored integers: the node stays, and is refused

        # judged from the inferred shapes before folding: a bigger result is computed at run time
        if foldable and limits.fold_verdict(inferred, [v.const for v in live]) is None:
            from pocketml.reference import run_node

            try:
                arrays = run_node(node, [v.const if v is not None else None for v in values])
            except (ValueError, IndexError, ZeroDivisionError) as e:
                raise self.error(f"folding {op} on constant inputs failed: {e}") from None
            for out, arr in zip(outs, arrays):
                self.graph.add_value(out, const=arr)
            self._quantize_outputs(node, outs)
            return list(outs)
        self.graph.append_node(node)
        self.node_names.add(name)
        for out, (dtype, shape) in zip(outs, inferred):
            self.graph.add_value(out, dtype, shape, quant=None if out in self.tensor_of else quant)
        self._quantize_outputs(node, outs)
        return list(outs)

    def _quantize_outputs(self, node: ir.Node, outs: list) -> None:
        """Outputs standing for TFLite tensors take their parameters; the handler's own intermediate
        values behind data movement take their input's (quant_support.problem judges the node)."""
        for out in outs:
            if out in self.tensor_of:
                self.annotate(out)
        quant_support.propagate(self.graph, node)
        why = quant_support.problem(self.graph, node)  # here, where the TFLite operator can be named
        if why:
            raise self.unsupported(f"{node.op} node {node.name!r}: {why}")

    def reshape(self, x: str, dims, out: Optional[str] = None, hint: str = "reshape") -> str:
        dims = [int(d) for d in dims]
        if list(self.shape(x)) == dims and out is None:
            return x
        return self.emit("Reshape", [x], out, {"shape": dims, "allowzero": int(0 in dims)}, hint=hint)

    def transpose(self, x: str, perm, out: Optional[str] = None, hint: str = "transpose") -> str:
        perm = [int(p) for p in perm]
        if perm == list(range(len(perm))) and out is None:
            return x
        return self.emit("Transpose", [x], out, {"perm": perm}, hint=hint)


def convert_ops(ctx: Context) -> None:
    """Convert every operator of ctx's (sub)graph, in order, through the handler table."""
    m = ctx.model
    for op in m.ops:
        ctx.op = op
        fn = HANDLERS.get(op.name)
        if fn is None:
            kind = "custom op" if op.name.startswith("CUSTOM:") else "builtin op"
            raise UnsupportedOpError(
                f"{ctx.source}: TFLite operator {op.index}: {kind} {op.name} (version {op.version}) is not "
                f"supported; supported builtin ops: {', '.join(sorted(HANDLERS))}")
        fn(ctx, op)
        for o in op.outputs:
            if o >= 0 and o not in ctx.names:
                raise ctx.error(f"output tensor {o} ({m.tensors[o].name!r}) was not produced")
            if o >= 0 and ctx.names[o] in ctx.graph.values and ctx.graph.values[ctx.names[o]].quant is None:
                ctx.annotate(ctx.names[o], o)  # a handler that added its output value itself


def unsupported_operators(model) -> list:
    """(operator, op, kind, version, in_main_graph) of every operator of every subgraph that no
    handler converts: the pre-scan that lets convert() report them all at once before importing
    anything (only subgraph 0's rows are sure failures: another subgraph may never be imported)."""
    rows = []
    for k, sg in enumerate(model.subgraphs or [model]):
        for op in sg.ops:
            if op.name not in HANDLERS:
                where = f"operator {op.index}" + (f" (subgraph {k})" if k else "")
                kind = "custom" if op.name.startswith("CUSTOM:") else "builtin"
                rows.append((where, op.name, kind, op.version, k == 0))
    return rows


def graph_outputs(ctx: Context) -> list:
    """The IR names of the (sub)graph's outputs, each produced by a node or an input as the .pml
    format asks: a constant output, or a value listed twice, gets an Identity."""
    names = []
    for ti in ctx.model.outputs:
        if ti not in ctx.names:
            raise ConversionError(f"{ctx.source}: graph output tensor {ti} ({ctx.model.tensors[ti].name!r}) is "
                                  "never produced")
        name = ctx.names[ti]
        v = ctx.graph.values[name]
        if v.is_const or name in names:
            src = name
            name = ctx.graph.unique_name(name)
            ctx.graph.add_node("Identity", [src], [name])
            ctx.graph.add_value(name, v.dtype, v.shape)
        names.append(name)
    return names
