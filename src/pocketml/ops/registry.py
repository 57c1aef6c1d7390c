"""The op registry's core: OpDef, define(), the lookup functions, the fused-activation
kinds and the traits. A leaf of pocketml.ops: the family modules import from here and
the package (pocketml/ops/__init__.py) imports the families, so neither imports the
other back. See pocketml/ops/__init__.py for what a definition holds.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Optional

import numpy as np

from .. import dtypes as _dtypes
from . import limits as _limits

ATTR_KINDS = ("int", "float", "ints", "floats", "string", "graph")  # graph: an ir.Graph (If/Loop bodies)


@dataclasses.dataclass(frozen=True)
class Attr:
    kind: str  # one of ATTR_KINDS
    default: Any = None  # None: required

    def __post_init__(self):
        assert self.kind in ATTR_KINDS, self.kind


# Fused activation kinds carried by Conv, ConvTranspose, Gemm, MatMul,
# ScaleShift and binary elementwise ops (attributes act, act_alpha, act_beta).
# The C enum pml_act_kind (native/src/act_kinds.h) is generated from this table.
ACTIVATION_KINDS = (  # (name, C comment); the index is the kind
    ("NONE", ""),
    ("RELU", ""),
    ("CLIP", "min = alpha, max = beta (Relu6 = clip 0..6)"),
    ("SIGMOID", ""),
    ("HARDSWISH", ""),
    ("LEAKY_RELU", "slope alpha"),
    ("TANH", ""),
    ("HARDSIGMOID", "max(0, min(1, alpha*x + beta))"),
    ("GELU_ERF", "x/2 * (1 + erf(x/sqrt2)), ONNX Gelu approximate=\"none\""),
    ("GELU_TANH", "x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))), approximate=\"tanh\""),
    # Conv only (not a generic fused activation): x < 0 ? x * slope[c] : x with
    # the per-channel slope from Conv's "slope" input
    ("PRELU", "Conv only: x < 0 ? x * slope[c] : x, slope from the node's slope input"),
)
ACT_LAST_GENERIC = 9  # kinds 0..9 apply to any fusing op; PRELU needs Conv's slope input
(ACT_NONE, ACT_RELU, ACT_CLIP, ACT_SIGMOID, ACT_HARDSWISH, ACT_LEAKY_RELU, ACT_TANH, ACT_HARDSIGMOID,
 ACT_GELU_ERF, ACT_GELU_TANH, ACT_PRELU) = range(len(ACTIVATION_KINDS))
FUSED_ACT_ATTRS = {
    "act": Attr("int", ACT_NONE),
    "act_alpha": Attr("float", 0.0),
    "act_beta": Attr("float", 0.0),
}

# Ops that compute on quantized tensors (trait quant_aware) where TFLite's and ONNX's integer
# semantics differ: requant=0 is TFLite's fixed point, 1 onnxruntime's float round-half-even
# (native/src/kernels/requant.h).
REQUANT_ATTRS = {"requant": Attr("int", 0)}

# op name -> check(node, ins, outs) for a quant_aware op: ins/outs are (dtype, QuantParams or None)
# per port (None for an absent optional one); returns why the op cannot run on those quantized
# tensors (conversion refuses the node with it, quant_support.problem), None when it can.
QUANT_CHECKS: dict = {}

# Traits: facts about an op that passes and the C schema use (ops.with_trait).
TRAITS = {
    "elementwise": "output element i depends only on input elements at i (after broadcasting)",
    "layout_agnostic": "elementwise and indifferent to axis order: the layout pass moves transposes through it "
                       "(one input: as is; two: broadcast operands are permuted too)",
    "channel_last": "computes along the channel axis with per-channel operands; the layout pass keeps it on "
                    "the channels, which NHWC puts last",
    "fusable_producer": "carries act/act_alpha/act_beta, and the fusion pass folds a following activation into it",
    "activation": "a unary op equal to a fused activation kind (fuse_activation.activation_of maps it)",
    "commutative": "binary op whose two inputs can be swapped",
    "quantizable": "an int8 kernel is planned for it: the quantizer may keep it in int8",
    "shape_only": "reads only its input's shape, never its data (the runtime can evaluate it while planning)",
    "stateful": "reads or writes state that persists across runs (Variable, VariableAssign): never folded, "
                "and live even without outputs",
    "data_dependent": "output shapes depend on input values: infer gives upper bounds, run writes the actual dims, "
                      "and the runtime plans the nodes after it once it has run",
    "control_flow": "runs subgraphs (GRAPH attributes) through child sessions: never folded; its outputs live in "
                    "memory the op provides at run time, and their shapes may be known only once it has run",
    "quant_transparent": "moves quantized elements without reading their values (data movement): may run on "
                         "quantized tensors when its data outputs keep its data inputs' quantization parameters "
                         "(a per-channel axis moved by a transpose)",
    "quant_explicit": "takes its quantization parameters as inputs (QuantizeLinear, MatMulInteger...): the "
                      "parameters on its tensors only describe them, so it runs on quantized tensors as written",
    "quant_aware": "reads the quantization parameters of its tensors and picks integer kernels that honour them "
                   "(a node with quantized tensors and neither this nor quant_transparent/quant_explicit is refused)",
}


@dataclasses.dataclass(frozen=True)
class Port:
    """One input or output: name, type variable, optional/variadic."""
    name: str
    type: str
    optional: bool = False
    variadic: bool = False
    plan: bool = False  # its value fixes output shapes: the runtime reads it while planning


    @classmethod
    def parse(cls, spec: str) -> "Port":
        name, _, tv = spec.partition(":")
        name, tv = name.strip(), tv.strip()
        assert tv, f"port {spec!r} has no type variable (write 'name: T')"
        # "name*?": variadic and optional (zero or more)
        return cls(name.rstrip("?*"), tv, name.endswith("?"), name.rstrip("?").endswith("*"))

    def __str__(self) -> str:
        return f"{self.name}{'*' if self.variadic else ''}{'?' if self.optional else ''}: {self.type}"


def _min_count(ports) -> int:
    # a variadic port takes one or more (ONNX), an optional one zero or one
    return sum(1 for p in ports if not p.optional)


def _max_count(ports) -> int:
    return 255 if any(p.variadic for p in ports) else len(ports)


@dataclasses.dataclass
class OpDef:
    name: str
    code: int
    family: str
    inputs: tuple   # of Port
    outputs: tuple  # of Port
    types: dict     # type variable -> tuple of dtype names
    attrs: dict
    infer: Optional[Callable] = None  # checks input dtypes, then runs the family's infer
    reference: Optional[Callable] = None
    traits: frozenset = frozenset()
    doc: str = ""
    independent: frozenset = frozenset()  # type variables each value binds on its own (control flow)

    def attr(self, node, name):
        """Attribute value of a node, falling back to the declared default."""
        if name in node.attrs:
            return node.attrs[name]
        spec = self.attrs[name]
        if spec.default is None:
            raise ValueError(f"node {node.name!r} ({self.name}): required attribute {name!r} missing")
        return spec.default

    def attrs_of(self, node) -> dict:
        """All attributes of a node with defaults filled in."""
        defaults = self.__dict__.get("_defaults")
        if defaults is None:  # built once per op (attribute specs are fixed at define time)
            defaults = self.__dict__["_defaults"] = {k: a.default for k, a in self.attrs.items()}
        out = dict(defaults)
        out.update(node.attrs)
        return out

    @property
    def min_inputs(self) -> int:
        return _min_count(self.inputs)

    @property
    def max_inputs(self) -> int:
        return _max_count(self.inputs)

    @property
    def min_outputs(self) -> int:
        return _min_count(self.outputs)

    @property
    def max_outputs(self) -> int:
        return _max_count(self.outputs)

    def has(self, trait: str) -> bool:
        return trait in self.traits

    @staticmethod
    def port_at(ports, k: int):
        """The port of the k-th input/output (a variadic last port repeats), or None."""
        if k < len(ports):
            return ports[k]
        return ports[-1] if ports and ports[-1].variadic else None

    def check_input_dtypes(self, node, values) -> None:
        """Raise the registry's error when an input's dtype is outside its
        type variable, or two inputs bound to one variable differ."""
        # the common case (every dtype allowed) in one lean pass; the full pass words the error
        ports, types, bound = self.inputs, self.types, {}
        last = ports[-1] if ports and ports[-1].variadic else None
        for k, v in enumerate(values):
            if v is None or v.dtype is None:
                continue
            port = ports[k] if k < len(ports) else last
            if port is None:
                continue
            dt = v.dtype
            if port.type in self.independent:
                if dt not in types[port.type]:
                    return self._check_input_dtypes_worded(node, values)
                continue
            if dt not in types[port.type] or bound.setdefault(port.type, dt) != dt:
                return self._check_input_dtypes_worded(node, values)

    def _check_input_dtypes_worded(self, node, values) -> None:
        bound = {}
        for k, v in enumerate(values):
            port = self.port_at(self.inputs, k)
            if v is None or port is None or v.dtype is None:
                continue
            role = port.name if not port.variadic else f"{port.name}[{k - len(self.inputs) + 1}]"
            allowed = self.types[port.type]
            if v.dtype not in allowed:
                raise ValueError(f"node {node.name!r} ({self.name}): input {role!r} has dtype {v.dtype}; "
                                 f"supported: {', '.join(allowed)}")
            if port.type in self.independent:
                continue
            if port.type in bound and bound[port.type][1] != v.dtype:
                first, dt = bound[port.type]
                raise ValueError(f"node {node.name!r} ({self.name}): inputs {first!r} and {role!r} have different "
                                 f"dtypes {dt} and {v.dtype} (both are {port.type})")
            bound.setdefault(port.type, (role, v.dtype))


REGISTRY: dict = {}
_BY_CODE: dict = {}


def _checked(op: OpDef, infer: Callable) -> Callable:
    def checked_infer(node, ins):
        op.check_input_dtypes(node, ins)
        results = infer(node, ins)
        for dtype, shape in results:  # sizes computed from data are bounded before anything is built
            why = _limits.check_output(shape, dtype)
            if why:
                raise ValueError(f"node {node.name!r} ({op.name}): {why}")
        return results
    checked_infer.__wrapped__ = infer
    return checked_infer


def define(name: str, code: int, family: str, inputs, outputs, attrs=None, infer=None, reference=None,
           types=None, traits=(), plan_inputs=(), doc: str = "", independent=()) -> OpDef:
    """plan_inputs: names of the inputs whose values fix output shapes (a Reshape's shape,
    Slice's bounds...). The runtime reads them while planning; a graph input that reaches
    one (directly or through nodes computing it) becomes part of the plan's key.
    independent: type variables each value binds on its own (a control-flow node's values
    have any mix of dtypes), not one dtype for every port using them."""
    assert name not in REGISTRY, f"op {name} defined twice"
    assert code not in _BY_CODE, f"op code {code} reused by {name} and {_BY_CODE.get(code)}"
    ins, outs = tuple(Port.parse(i) for i in inputs), tuple(Port.parse(o) for o in outputs)
    assert set(plan_inputs) <= {p.name for p in ins}, f"{name}: plan_inputs {plan_inputs} names no input"
    ins = tuple(dataclasses.replace(p, plan=True) if p.name in plan_inputs else p for p in ins)
    types = {k: tuple(v) for k, v in (types or {}).items()}
    for p in ins + outs:
        assert p.type in types, f"{name}: port {p.name} uses undeclared type variable {p.type}"
        assert all(t in _dtypes.BY_NAME for t in types[p.type]), f"{name}: unknown dtype in {p.type}"
    assert all(t in TRAITS for t in traits), f"{name}: unknown trait in {traits}"
    assert set(independent) <= set(types), f"{name}: independent {independent} names no type variable"
    op = OpDef(name, code, family, ins, outs, types, dict(attrs or {}), None, reference, frozenset(traits), doc,
               frozenset(independent))
    op.infer = _checked(op, infer) if infer else None
    REGISTRY[name] = op
    _BY_CODE[code] = op
    return op


def get(name: str) -> OpDef:
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"op {name!r} is not in the pocketml op registry") from None


def by_code(code: int) -> OpDef:
    return _BY_CODE[code]


def with_trait(trait: str) -> frozenset:
    """Names of the ops that have a trait."""
    assert trait in TRAITS, trait
    return frozenset(n for n, op in REGISTRY.items() if trait in op.traits)


# ---- running nodes with their numpy references (pocketml.reference is the public face) --------
def run_node(node, inputs: list) -> list:
    """The outputs of one IR node computed by its op's numpy reference."""
    opdef = get(node.op)
    if opdef.reference is None:
        raise NotImplementedError(f"op {node.op} has no numpy reference")
    outs = opdef.reference(inputs, opdef.attrs_of(node))
    return [np.asarray(o) for o in outs][:max(1, len(node.outputs))]  # optional trailing outputs not asked for


def run_graph(graph, feeds: dict) -> dict:
    """The outputs of an IR graph (an ir.Graph: values, nodes, outputs) computed node by node with the
    numpy references; here, not in pocketml.reference, so control-flow references can run subgraphs."""
    env = {k: v.const for k, v in graph.values.items() if v.const is not None}
    env.update({k: np.asarray(v) for k, v in feeds.items()})
    for node in graph.nodes:
        outs = run_node(node, [env[i] if i else None for i in node.inputs])
        for name, val in zip(node.outputs, outs):
            if name:
                env[name] = val
    return {name: env[name] for name in graph.outputs}
