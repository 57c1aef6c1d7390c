"""Shared state of one ONNX import: the IR graph being built, the handler
table, and the helpers every op handler uses.

A handler is ``fn(ctx, node)`` registered with ``@handler("OpType", ...)`` in
its family module (ops_*.py); ``HANDLERS`` is the one table from ONNX op type
to handler. Handlers call ``ctx.emit`` to add IR nodes: emit runs the op
registry's shape inference at once and, when every input is a constant,
folds the node with its numpy reference instead of adding it, so shape
subgraphs (Shape -> Gather -> Concat -> Reshape) and weight transposes
resolve during import. Parameters the IR keeps as attributes (Reshape's
shape, Slice's bounds, ...) are read with ``ctx.param``, which insists on a
constant and names the node, op, opset and input when it is not.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Callable, Optional

import numpy as np
import onnx
from onnx import helper, numpy_helper

from pocketml import dequantized_consts, dtypes, import_boundary, ir, ops
from pocketml.ops import limits
from pocketml.ops.tensor import shape_range
from pocketml.errors import ConversionError, UnsupportedOpError
from pocketml.passes.layout_perm import is_identity, perm_of

from . import eager_layout
from .integrity import check_tensor

HANDLERS: dict = {}  # ONNX op type -> handler(ctx, node)
# (domain, op type) -> handler for ops of other domains (com.microsoft's QOperator ops)
DOMAIN_HANDLERS: dict = {}
_NEVER_FOLDED = frozenset(("stateful", "control_flow"))  # op traits emit never folds, its inputs constant or not

# ONNX TensorProto data type -> IR dtype name (what the IR can hold): the
# dtype table's own mapping (pocketml.dtypes), so a new dtype slots in there
ONNX_TO_DTYPE = {d.onnx: d.name for d in dtypes.ALL}


def handler(*op_types: str, shape_aware: bool = False, op_domain: str = "") -> Callable:
    """Register fn as the converter of the given ONNX op types (of the default domain, or of
    op_domain, e.g. "com.microsoft"). shape_aware handlers accept symbolic shape tensors
    (Context.shape_values) as inputs."""
    def register(fn):
        fn.shape_aware = shape_aware
        table = DOMAIN_HANDLERS if op_domain else HANDLERS
        for t in op_types:
            key = (op_domain, t) if op_domain else t
            assert key not in table, f"ONNX op {key} has two handlers"
            table[key] = fn
        return fn
    return register


# helper.get_attribute_value's answers for the common attribute types, without its chain of
# type tests (one lookup per attribute; the rest go through the helper)
_A = onnx.AttributeProto
_ATTR_READERS = {_A.INT: lambda a: a.i, _A.INTS: lambda a: a.ints[:], _A.FLOAT: lambda a: a.f,
                 _A.FLOATS: lambda a: a.floats[:], _A.STRING: lambda a: a.s, _A.TENSOR: lambda a: a.t}


def onnx_dtype_name(elem_type: int) -> str:
    return onnx.TensorProto.DataType.Name(elem_type) if elem_type in onnx.TensorProto.DataType.values() \
        else str(elem_type)


@dataclasses.dataclass
class OnnxNode:
    """An ONNX node with its attributes decoded and its position in the model."""
    proto: onnx.NodeProto
    name: str
    op_type: str
    domain: str
    opset: int
    inputs: list  # "" marks an absent optional input
    outputs: list
    attrs: dict
    # names its subgraphs read from enclosing scopes -> the names those values have in the graph
    # being built (inline_subgraph renames what it inlines); unlisted names are the same
    scope: dict = dataclasses.field(default_factory=dict)
    # (name, AttributeProto type) of each attribute not referring to a function's attribute, as
    # read while decoding them (dispatch.check_signature checks the types); None: not read yet
    attr_types: Optional[tuple] = None

    @classmethod
    def from_proto(cls, proto: onnx.NodeProto, index: int, opset: int,
                   fields: Optional[tuple] = None) -> "OnnxNode":
        """``fields``: (inputs, outputs, name, op_type, domain) when the caller has read them already
        (lists and str: each read of a protobuf string field builds a new str)."""
        attrs, types = {}, []
        for a in proto.attribute[:]:  # (a slice is a list at once: iterating a protobuf container ends on a costly IndexError)
            name, kind, ref = a.name, a.type, a.ref_attr_name
            read = _ATTR_READERS.get(kind) if not ref else None
            v = read(a) if read is not None else helper.get_attribute_value(a)
            attrs[name] = v.decode("utf-8") if isinstance(v, bytes) else v
            if not ref:
                types.append((name, kind))
        if fields is None:
            fields = (proto.input[:], proto.output[:], proto.name, proto.op_type, proto.domain)
        inputs, outputs, name, op_type, domain = fields
        return cls(proto, name or f"{op_type}_{index}", op_type, domain or "", opset, inputs, outputs, attrs,
                   attr_types=tuple(types))

    def input(self, i: int) -> str:
        return self.inputs[i] if i < len(self.inputs) else ""

    def output(self, i: int) -> str:
        return self.outputs[i] if i < len(self.outputs) else ""

    def where(self) -> str:
        return f"ONNX node {self.name!r} ({self.op_type}, opset {self.opset})"


def describe_node(node: OnnxNode) -> tuple:
    """(name, op type, opset): how the import boundary names the node a failure happened at."""
    return node.name, node.op_type, node.opset


class Context:
    def __init__(self, graph: ir.Graph, reserved: set, consumed: set):
        self.graph = graph
        self.reserved = reserved  # every name in the ONNX model: generated names avoid them
        self.consumed = consumed  # names some node or graph output reads
        # the ONNX node being converted: a plain attribute that the import boundary reads only when
        # something unforeseen escapes (follow_nodes), not told at each of a model's hundreds of nodes
        self.node: Optional[OnnxNode] = None
        self.node_names: set = set()  # IR node names in use
        # Shape-of-a-symbolic-tensor values: name -> (dims list of int|str, is_scalar).
        # They never become IR values; the shape-aware handlers (Shape, Gather,
        # Slice, Concat, (Un)Squeeze, Cast, Reshape) pass them along so that
        # x.view(x.size(0), -1) style subgraphs resolve with a symbolic batch.
        self.shape_values: dict = {}
        # Transposes emitted but not yet added: added when a node reads them or they are graph
        # outputs (finish()); most never are, the next spatial op reading their input directly
        # (eager_layout). name -> the Transpose node.
        self.deferred: dict = {}
        # Sequences and optionals resolved at conversion (ops_sequence.py): they never become IR
        # values. name -> list of item names | Stacked | Appended | APPENDABLE; name -> held name or None.
        self.sequences: dict = {}
        self.optionals: dict = {}
        # values whose fold was refused for size (name -> why): a handler needing one at conversion says so
        self.unfolded: dict = {}
        # the ONNX nodes reading each value, graph outputs as None (set by the importer for the main
        # graph only: None in a subgraph), and the names its nodes' subgraphs read (readers())
        self.onnx_readers: Optional[dict] = None
        self.subgraph_reads: set = set()
        # initializers only ConstantOfShape nodes read, kept as their dims (a tuple) and TensorProto
        # instead of IR constants (weight_fillers.fill_shape_of): name -> (dims, proto)
        self.fill_shapes: dict = {}

    def follow_nodes(self) -> None:
        """Have the import boundary name this context's current node in an unforeseen failure (from
        now until import_boundary.unfollow)."""
        import_boundary.follow(self, "node", describe_node)

    # ---- errors ---------------------------------------------------------------
    def error(self, msg: str) -> ConversionError:
        return ConversionError(f"{self.node.where()}: {msg}")

    def unsupported(self, msg: str) -> UnsupportedOpError:
        """An attribute value or input form the converter does not handle (msg says what is)."""
        return UnsupportedOpError(f"{self.node.where()}, domain {self.node.domain or 'ai.onnx'!r}: {msg}")

    # ---- values ---------------------------------------------------------------
    def shape(self, name: str) -> tuple:
        v = self.graph.values[name]
        if v.shape is None:
            raise self.error(f"input {name!r} has unknown rank")
        return tuple(v.shape)

    def rank(self, name: str) -> int:
        return len(self.shape(name))

    def dtype(self, name: str) -> str:
        return self.graph.values[name].dtype

    def const(self, name: str) -> Optional[np.ndarray]:
        return self.graph.values[name].const if name else None

    def param(self, index: int, what: str, required: bool = False) -> Optional[np.ndarray]:
        """Constant value of input ``index`` of the current node (None if absent).
        The IR keeps such inputs as attributes, so they must be known now."""
        name = self.node.input(index)
        if not name:
            if required:
                raise self.error(f"input {index} ({what}) is required")
            return None
        if name in self.shape_values:
            raise self.error(f"input {index} ({what}, tensor {name!r}) depends on symbolic dims "
                             f"{self.shape_values[name][0]}; fix them with input_shapes")
        data = self.const(name)
        if data is None and name in self.unfolded:
            raise self.error(f"input {index} ({what}, tensor {name!r}) must be a constant at conversion time, but "
                             f"it was not folded: {self.unfolded[name]}; {limits.raise_hint()}")
        if data is None:
            raise self.error(
                f"input {index} ({what}, tensor {name!r}) must be a constant at conversion time, but it is "
                f"computed at run time; fold it (e.g. fix symbolic dims with input_shapes) or bind it with "
                f"const_inputs")
        return data

    def shape_value(self, name: str):
        """(dims, is_scalar) of an int shape tensor: a tracked symbolic one or a
        constant int 0-D/1-D tensor; None otherwise."""
        if name in self.shape_values:
            return self.shape_values[name]
        data = self.const(name)
        if data is not None and data.dtype.kind == "i" and data.ndim <= 1:
            return [int(d) for d in data.reshape(-1)], data.ndim == 0
        return None

    def set_shape_value(self, out: str, dims: list, scalar: bool = False) -> None:
        """Record a shape tensor: a constant when every dim is static."""
        if all(not isinstance(d, str) for d in dims):
            arr = np.asarray(dims, np.int64)
            self.graph.add_value(out, const=arr.reshape(()) if scalar else arr)
        else:
            self.shape_values[out] = (list(dims), scalar)

    def static_shape(self, name: str, what: str) -> tuple:
        s = self.shape(name)
        if not ir.is_static(s):
            raise self.error(f"{what} needs a static shape, but {name!r} has shape {list(s)}; "
                             f"fix symbolic dims with input_shapes")
        return tuple(int(d) for d in s)

    def new_name(self, hint: str) -> str:
        return self.graph.unique_name(hint, self.reserved)

    def add_const(self, array: np.ndarray, hint: str = "const") -> str:
        name = self.new_name(f"{self.node.name}/{hint}" if self.node else hint)
        self.graph.add_value(name, const=np.asarray(array))
        return name

    def is_consumed(self, name: str) -> bool:
        return bool(name) and name in self.consumed

    def readers(self, name: str) -> Optional[list]:
        """The ONNX nodes reading ``name`` (one entry per read, graph outputs as None), or None when
        that is not known: a subgraph's import, or a model whose subgraphs may read it too."""
        if self.onnx_readers is None or name in self.subgraph_reads:
            return None  # (a value a Loop body reads from the outer scope is no input of the Loop node)
        return self.onnx_readers.get(name, [])

    # ---- emitting IR nodes ----------------------------------------------------
    def emit(self, op: str, inputs: list, outputs=None, attrs: Optional[dict] = None, hint: str = "", *,
             move: bool = True) -> list:
        """Add IR op ``op`` (or fold it) and return its output names.

        outputs: names (None or an int count: fresh names). Shape inference runs
        now, so an invalid node fails here with the ONNX node named. move=False: emit it as it
        is, without moving a transpose of its input below it (eager_layout)."""
        if op == "Transpose" and len(inputs) == 1 and attrs and \
                (outputs is None or type(outputs) is list and len(outputs) == 1 and outputs[0]):
            moved = self._emit_layout_transpose(inputs[0], attrs, outputs, hint)
            if moved is not None:
                return moved
        fresh = outputs is None or isinstance(outputs, int)
        attrs = dict(attrs or {})
        inputs = list(inputs)
        while inputs and not inputs[-1]:
            inputs.pop()  # absent trailing optional inputs are simply left out
        transpose = op == "Transpose" and bool(inputs) and "perm" in attrs
        if transpose:
            src, perm = eager_layout.collapse(self.transpose_of, inputs[0], attrs["perm"])
            if src != inputs[0] and is_identity(perm):
                if fresh:
                    return [src]  # a cancelled pair (most NHWC -> NCHW -> NHWC round trips): nothing to name
            elif src != inputs[0]:
                inputs, attrs["perm"] = [src], list(perm)
        opdef = ops.get(op)
        node_name = self.node.name
        if fresh:
            outputs = [self.new_name(f"{node_name}/{hint or op}") for _ in range(outputs or 1)]
        if op == "Reshape" and move and len(inputs) == 1 and len(outputs) == 1 and not attrs.get("allowzero"):
            moved = self._move_reshape(opdef, inputs, outputs, attrs, hint)
            if moved is not None:
                return moved
        if not transpose and len(outputs) == 1 and op in eager_layout.MOVABLE_OPS and \
                any(self.transpose_of(i) is not None for i in inputs if i):  # (else sink finds nothing to move)
            moved = eager_layout.sink(self.graph, self.transpose_of, ir.Node(op, inputs, outputs, attrs),
                                      lambda array: self.add_const(array, "nhwc"))
            if moved is not None:
                return self._emit_moved(op, moved, outputs, attrs, hint)
        graph_values = self.graph.values
        for i in inputs:
            if i and i not in graph_values:  # a sequence or optional read as a tensor, or never produced
                kind = "a sequence" if i in self.sequences else "an optional" if i in self.optionals else \
                    "not a tensor produced before this node"
                raise self.error(f"input {i!r} is {kind}; {op} takes tensors")
        values = [graph_values[i] if i else None for i in inputs]
        name = node_name if not hint and node_name not in self.node_names else \
            self.new_name(f"{node_name}/{hint or op}")
        inode = ir.Node(op, inputs, outputs, attrs, name)  # (Node copies both into its own lists)
        try:  # (a layout transpose of a run-time value took _emit_layout_transpose instead)
            inferred = opdef.infer(inode, values)
        except ValueError as e:
            raise self.error(f"{op}: {e}") from None
        live = [v for v in values if v is not None]
        foldable = bool(live) and all(v.const is not None for v in live) and not opdef.traits & _NEVER_FOLDED
        if op == "Shape" and ir.is_static(values[0].shape):
            foldable = True  # only the shape is needed, not the data
        if foldable and op != "Shape":
            why = limits.fold_verdict(inferred, [v.const for v in live])
            if why:  # left to run time, its inputs constants; a reader that needs the value says why
                foldable = False
                self.unfolded.update((o, why) for o in outputs if o)
        if foldable:
            from pocketml.reference import run_node

            if op == "Shape":  # from the shape alone: never build the tensor
                start, end = shape_range(len(values[0].shape), opdef.attrs_of(inode))
                results = [np.array(values[0].shape[start:end], np.int64)]
            else:
                try:
                    results = run_node(inode, [v.const if v is not None else None for v in values])
                except (ValueError, IndexError, ZeroDivisionError) as e:  # e.g. a Gather index out of range
                    raise self.error(f"folding {op} on constant inputs failed: {e}") from None
            for out, (dtype, shape), arr in zip(outputs, inferred, results):
                if out:
                    # a symbolic dim (a data-dependent count) is whatever the folded value has
                    if ir.dtype_name(arr.dtype) != dtype or len(arr.shape) != len(shape) or any(
                            not isinstance(d, str) and d != a for d, a in zip(shape, arr.shape)):
                        raise self.error(f"internal: {op} folded to {arr.dtype}{list(arr.shape)}, "
                                         f"inferred {dtype}{list(shape)}")
                    self.graph.add_value(out, const=arr)
            if op == "DequantizeLinear":  # a QDQ weight or bias: the integers behind the float constant
                dequantized_consts.record_folded(self.graph, inode)
            elif "quant_transparent" in opdef.traits and len(outputs) == 1:  # a dequantized weight moved
                dequantized_consts.follow(self.graph, inputs[0], outputs[0], op, opdef.attrs_of(inode),
                                          lambda a: run_node(inode, [a] + [v.const if v is not None else None
                                                                           for v in values[1:]])[0])
            return outputs
        if op == "Transpose" and len(outputs) == 1:
            self.deferred[outputs[0]] = inode
        else:
            for i in inode.inputs:
                if i in self.deferred:
                    self._add_deferred(i)
            self.graph.append_node(inode)
        self.node_names.add(name)
        for out, (dtype, shape) in zip(outputs, inferred):
            if out:
                self.graph.add_value(out, dtype, shape)
        return outputs

    def _emit_layout_transpose(self, x: str, attrs: dict, outputs: Optional[list], hint: str) -> Optional[list]:
        """emit's answer for a Transpose of one run-time value by a valid perm (a CNN's hundreds of
        layout transposes), without its generic steps: collapsed with a transpose it reads and
        deferred, as emit would, and the same names drawn in the same order. None (emit's generic
        path decides, and words any error) for anything else: a constant, a bad perm or dtype."""
        perm = attrs.get("perm")
        if perm is None:
            return None
        src, p = eager_layout.collapse(self.transpose_of, x, perm)
        fresh = outputs is None
        if src != x and is_identity(p):
            if fresh:
                return [src]  # a cancelled pair
            src, p = x, tuple(perm)  # (emit keeps a named cancelled pair as it is)
        v = self.graph.values.get(src)
        shape = eager_layout.transposed_shape(v, p)
        if shape is None:
            return None
        node_name = self.node.name
        if fresh:
            outputs = [self.new_name(f"{node_name}/{hint or 'Transpose'}")]
        name = node_name if not hint and node_name not in self.node_names else \
            self.new_name(f"{node_name}/{hint or 'Transpose'}")
        attrs = dict(attrs)
        if src != x:
            attrs["perm"] = list(p)
        out = outputs[0]
        self.deferred[out] = ir.Node("Transpose", [src], [out], attrs, name)
        self.node_names.add(name)
        self.graph.add_value(out, v.dtype, shape)
        return [out]

    def transpose_of(self, name: str) -> Optional[ir.Node]:
        """The Transpose node producing ``name`` (added or deferred), else None."""
        node = self.deferred.get(name) or self.graph.producer(name)
        return node if node is not None and node.op == "Transpose" else None

    def _add_deferred(self, name: str) -> None:
        node = self.deferred.pop(name)
        if node.inputs[0] in self.deferred:
            self._add_deferred(node.inputs[0])
        self.graph.append_node(node)

    def finish(self, outputs: list) -> None:
        """Add the deferred transposes the graph outputs read; the others were never needed
        (their values go with Graph.remove_unused_values)."""
        for name in outputs:
            if name in self.deferred:
                self._add_deferred(name)
        self.deferred.clear()

    def _emit_moved(self, op: str, moved: tuple, outputs: list, attrs: dict, hint: str) -> list:
        """Emit ``op`` on the untransposed inputs eager_layout.sink found, then the transposes
        (or Identity, when the perm is the identity) that give ``outputs`` their layout."""
        inputs, updates, out_perms = moved
        inner = self.emit(op, inputs, len(outputs), {**attrs, **updates}, hint)
        for y, out, perm in zip(inner, outputs, out_perms):
            if is_identity(perm):
                self.emit1("Identity", [y], out, hint="identity")
            else:
                self.emit1("Transpose", [y], out, {"perm": list(perm)}, hint="nchw")
        return outputs

    def _move_reshape(self, opdef, inputs: list, outputs: list, attrs: dict, hint: str) -> Optional[list]:
        """A channel shuffle's Reshape of a transposed value emitted on the untransposed one, followed
        by the transpose restoring the layout (eager_layout.move_reshape); None when it is not one."""
        t = self.transpose_of(inputs[0])
        x = self.graph.values.get(inputs[0])
        if t is None or x is None or x.shape is None:
            return None
        out_shape = attrs.get("shape", ())
        if not all(type(d) is int and d > 0 for d in out_shape):  # (else the attribute is the shape)
            try:
                (_, out_shape), = opdef.infer(ir.Node("Reshape", inputs, outputs, attrs), [x])
            except ValueError:
                return None  # the plain path names the error
        plan = eager_layout.move_reshape(perm_of(t), tuple(x.shape), tuple(out_shape))
        if plan is None:
            return None
        first, spec, out_perm = plan
        src = t.inputs[0]
        if first is not None:
            src = self.emit1("Transpose", [src], attrs={"perm": list(first)}, hint="t")
        y = self.emit("Reshape", [src], 1, {**attrs, "shape": list(spec)}, hint or "nhwc", move=False)[0]
        return [self.emit1("Transpose", [y], outputs[0], {"perm": list(out_perm)}, hint="nchw")]

    def emit1(self, op: str, inputs: list, out: Optional[str] = None, attrs: Optional[dict] = None,
              hint: str = "") -> str:
        return self.emit(op, inputs, [out] if out else None, attrs, hint)[0]

    # ---- common rewrites --------------------------------------------------------
    def reshape_attrs(self, src: tuple, dims, onnx_zero: bool = False) -> dict:
        """IR Reshape attributes taking shape ``src`` to ``dims`` (ints and
        symbolic names). A symbolic dim is written as 0 (copy) when it sits at
        the same index in src, else as the one -1. onnx_zero: dims follow ONNX
        Reshape (0 copies, -1 infers) instead of being literal sizes."""
        dims = [d if isinstance(d, str) else int(d) for d in dims]
        literal_zero = not onnx_zero and 0 in dims
        if literal_zero and any(isinstance(d, str) for d in dims):
            raise self.error(f"cannot reshape {list(src)} to {dims}: a 0-size dim with symbolic dims")
        target, minus = [], -1 in dims
        for i, d in enumerate(dims):
            if not isinstance(d, str):
                target.append(d)
            elif i < len(src) and src[i] == d:
                target.append(0)
            elif not minus:
                target.append(-1)
                minus = True
            else:
                raise self.error(f"cannot express reshape of {list(src)} to {dims} with symbolic dims; "
                                 f"fix them with input_shapes")
        return {"shape": target, "allowzero": int(literal_zero)}

    def reshape(self, x: str, dims, out: Optional[str] = None, hint: str = "reshape") -> str:
        """Reshape x to ``dims`` (ints and symbolic names): attributes when 0 (copy) and one -1
        can say it (reshape_attrs), else a target shape computed while planning (shape_tensor)."""
        if tuple(dims) == tuple(self.shape(x)):
            return self.emit1("Identity", [x], out, hint=hint) if out else x
        const = self.graph.values[x].const
        if const is not None and all(type(d) is int and d >= 0 for d in dims) and math.prod(dims) == const.size:
            # a constant (a weight unsqueezed for broadcasting): the array emit's folding would give,
            # without inferring and running a Reshape node for it
            if out:
                self.graph.add_value(out, const=const.reshape(dims))
            else:
                out = self.add_const(const.reshape(dims), hint)
            dequantized_consts.follow(self.graph, x, out, "Reshape", {}, lambda a: a.reshape(dims))
            return out
        if self._reshape_expressible(self.shape(x), dims):
            return self.emit1("Reshape", [x], out, self.reshape_attrs(self.shape(x), dims), hint=hint)
        return self.emit1("Reshape", [x, self.shape_tensor(list(dims))], out, {"shape": [], "allowzero": 0},
                          hint=hint)

    @staticmethod
    def _reshape_expressible(src: tuple, dims) -> bool:
        """Can Reshape attributes (0 copies the same index, one -1 infers) give ``dims``?"""
        unmatched = [i for i, d in enumerate(dims) if isinstance(d, str) and not (i < len(src) and src[i] == d)]
        return len(unmatched) + (-1 in dims) <= 1 and not (0 in dims and any(isinstance(d, str) for d in dims))

    def shape_tensor(self, dims: list, scalar: bool = False) -> str:
        """An IR int64 tensor holding ``dims`` (ints and symbolic names), computed while planning:
        each run of symbolic dims becomes a Shape(start, end) of a value that has them, static runs
        become constants, all concatenated (a 0-d tensor when scalar)."""
        runs = []  # ("const", [ints]) or (source value, start axis, end axis)
        for d in dims:
            if not isinstance(d, str):
                if runs and runs[-1][0] == "const":
                    runs[-1][1].append(int(d))
                else:
                    runs.append(("const", [int(d)]))
                continue
            src, axis = self.dim_source(d)
            if runs and runs[-1][0] == src and runs[-1][2] == axis:  # next dim of the same value: one Shape
                runs[-1] = (src, runs[-1][1], axis + 1)
            else:
                runs.append((src, axis, axis + 1))
        if not runs:
            return self.add_const(np.zeros(0, np.int64), "dims")
        parts = [self.add_const(np.asarray(r[1], np.int64), "dims") if r[0] == "const" else
                 self.emit1("Shape", [r[0]], attrs={"start": r[1], "end": r[2]}, hint="dims") for r in runs]
        out = parts[0] if len(parts) == 1 else self.emit1("Concat", parts, attrs={"axis": 0}, hint="shape")
        if scalar:
            out = self.emit1("Reshape", [out], attrs={"shape": [], "allowzero": 0}, hint="scalar")
        return out

    def dim_source(self, dim: str) -> tuple:
        """(value, axis) of a non-constant IR value whose shape has the symbolic dim (graph inputs first)."""
        names = list(self.graph.inputs) + [n for n in self.graph.values if n not in self.graph.inputs]
        for n in names:
            v = self.graph.values[n]
            if v.const is None and v.shape is not None and dim in v.shape:
                return n, list(v.shape).index(dim)
        raise self.error(f"no tensor carries the symbolic dim {dim!r} to compute it from at run time; fix it with "
                         f"input_shapes")

    def flatten_2d(self, x: str, axis: int, out: Optional[str] = None) -> str:
        """ONNX Flatten: [d0..d(axis-1), d(axis)..] -> [prod(head), prod(tail)]."""
        shape = self.shape(x)
        axis = axis + len(shape) if axis < 0 else axis
        if not 0 <= axis <= len(shape):
            raise self.error(f"axis {axis} out of range for input shape {list(shape)}")
        dims = []  # [head, tail] sizes: an int, one symbolic name, or None (a product with symbols)
        for part in (shape[:axis], shape[axis:]):
            sym = [d for d in part if isinstance(d, str)]
            static = int(np.prod([d for d in part if not isinstance(d, str)], dtype=np.int64))
            dims.append(static if not sym else (sym[0] if len(sym) == 1 and static == 1 else None))
        if None not in dims:
            return self.reshape(x, dims, out, hint="flatten")
        if dims.count(None) == 1:  # Reshape infers the mixed side as -1
            attrs = self.reshape_attrs(shape, [-1 if d is None else d for d in dims], onnx_zero=True)
            return self.emit1("Reshape", [x], out, attrs, hint="flatten")
        raise self.error(f"cannot flatten {list(shape)} at axis {axis}: both sides mix symbolic dims; "
                         f"fix them with input_shapes")

    def transpose(self, x: str, perm, out: Optional[str] = None, hint: str = "transpose") -> str:
        perm = [int(p) for p in perm]
        if perm == list(range(len(perm))) and out is None:
            return x
        value = self.graph.values.get(x)
        if out is None and value is not None and value.is_const and sorted(perm) == list(range(value.const.ndim)):
            # constant weights (a Conv's OIHW -> OHWI): the view emit's folding would give, without
            # inferring and running a Transpose node for it
            moved = self.add_const(np.transpose(value.const, perm), hint)
            dequantized_consts.follow(self.graph, x, moved, "Transpose", {"perm": perm},
                                      lambda a: np.transpose(a, perm))
            return moved
        if value is not None and value.const is None:  # a layout transpose: emit's lean path, called directly
            moved = self._emit_layout_transpose(x, {"perm": perm}, [out] if out else None, hint)
            if moved is not None:
                return moved[0]
        return self.emit1("Transpose", [x], out, {"perm": perm}, hint=hint)


def tensor_to_array(t: onnx.TensorProto, what: str) -> np.ndarray:
    """An ONNX tensor as a numpy array of an IR dtype (error naming it otherwise)."""
    dtype = _NP_DTYPES.get(t.data_type)
    if dtype is None:
        if t.data_type not in ONNX_TO_DTYPE:
            raise UnsupportedOpError(f"{what}: tensor {t.name!r} has dtype {onnx_dtype_name(t.data_type)}; "
                                     f"supported: {', '.join(ONNX_TO_DTYPE[k] for k in ONNX_TO_DTYPE)}")
        dtype = _NP_DTYPES[t.data_type] = ir.np_dtype(ONNX_TO_DTYPE[t.data_type])
    raw = t.raw_data if _RAW_LITTLE else b""  # (b"" when unset)
    if raw and t.data_location != _EXTERNAL and not t.HasField("segment"):
        # the common case (an initializer's raw bytes, as many as its positive dims need, so they are
        # bounded by the file) decoded at once; anything else is checked below, which names the fault
        dims = t.dims[:]
        if min(dims, default=1) > 0 and math.prod(dims) * dtype.itemsize == len(raw):
            return np.frombuffer(raw, dtype=dtype).reshape(dims)
    check_tensor(t, what)  # sizes before decoding: numpy would raise on a short buffer, or allocate a huge one
    if _RAW_LITTLE and t.HasField("raw_data") and t.data_location != onnx.TensorProto.EXTERNAL \
            and not t.HasField("segment"):
        # what numpy_helper.to_array returns for raw data of a native dtype, minus its dispatch
        return np.frombuffer(t.raw_data, dtype=dtype).reshape(t.dims)
    field = _TYPED_FIELDS.get(t.data_type)
    if field is not None and t.data_location != onnx.TensorProto.EXTERNAL and not t.HasField("segment"):
        data, dims = getattr(t, field)[:], t.dims[:]  # (numpy reads a protobuf container slowly)
        if len(data) == math.prod(dims):
            # numpy_helper.to_array's answer for these fields, minus its dispatch (a ConstantOfShape
            # value, a light model's every weight, comes here); a wrong count goes to it for its error
            return np.array(data, dtype=dtype).reshape(dims)
    return np.asarray(numpy_helper.to_array(t), order="C").astype(dtype, copy=False)


_RAW_LITTLE = np.little_endian  # raw_data is little-endian: elsewhere numpy_helper byte-swaps it
_EXTERNAL = onnx.TensorProto.EXTERNAL
_NP_DTYPES: dict = {}  # ONNX data type -> numpy dtype, for the ONNX_TO_DTYPE types met so far
# the typed fields that hold their dtype's values as they are (int32_data also holds the bits of
# smaller types, which need numpy_helper's conversion)
_TYPED_FIELDS = {onnx.TensorProto.FLOAT: "float_data", onnx.TensorProto.INT32: "int32_data",
                 onnx.TensorProto.INT64: "int64_data"}
