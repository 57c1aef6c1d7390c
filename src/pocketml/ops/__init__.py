"""The op registry: one definition per op, the single source of truth.

Every op the IR knows is declared once, in the module of its family
(elementwise, conv, matmul, pool, norm, tensor, reduce), with
  - a stable numeric code (part of the .pml format and the C enum; never reuse one),
  - its inputs and outputs (a trailing "?" marks an optional input, "*" a variadic one),
  - its attributes with kinds and defaults,
  - shape/dtype inference:  infer(node, input_values) -> [(dtype, shape), ...]
  - a numpy reference:      reference(inputs, attrs) -> [ndarray, ...]
    (test oracle and constant folder, never used to run a model).
``runtime`` says whether the C runtime implements the op; ops that exist only to
be folded away at conversion (Shape, ConstantOfShape...) have runtime=False.
The C header native/src/op_codes.h is generated from this registry
(python -m pocketml.ops.gen_c_header) and checked for freshness by the tests.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Optional

ATTR_KINDS = ("int", "float", "ints", "floats", "string")


@dataclasses.dataclass(frozen=True)
class Attr:
    kind: str  # one of ATTR_KINDS
    default: Any = None  # None: required

    def __post_init__(self):
        assert self.kind in ATTR_KINDS, self.kind


# Fused activation attributes carried by Conv, ConvTranspose, Gemm, MatMul,
# ScaleShift and binary elementwise ops. Kinds match pml_act_kind in C.
(ACT_NONE, ACT_RELU, ACT_CLIP, ACT_SIGMOID, ACT_HARDSWISH, ACT_LEAKY_RELU, ACT_TANH, ACT_HARDSIGMOID,
 ACT_GELU_ERF, ACT_GELU_TANH) = range(10)
# Conv only: x < 0 ? x * slope[c] : x with the per-channel slope from Conv's "slope" input
ACT_PRELU = 10
FUSED_ACT_ATTRS = {
    "act": Attr("int", ACT_NONE),
    "act_alpha": Attr("float", 0.0),
    "act_beta": Attr("float", 0.0),
}


@dataclasses.dataclass
class OpDef:
    name: str
    code: int
    family: str
    inputs: tuple
    outputs: tuple
    attrs: dict
    infer: Optional[Callable] = None
    reference: Optional[Callable] = None
    runtime: bool = True
    doc: str = ""

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
        out = {k: a.default for k, a in self.attrs.items()}
        out.update(node.attrs)
        return out

    @property
    def min_inputs(self) -> int:
        return sum(1 for i in self.inputs if not i.endswith(("?", "*")))

    @property
    def max_inputs(self) -> int:
        return 255 if any(i.endswith("*") for i in self.inputs) else len(self.inputs)


REGISTRY: dict = {}
_BY_CODE: dict = {}


def define(name: str, code: int, family: str, inputs, outputs, attrs=None, infer=None, reference=None,
           runtime: bool = True, doc: str = "") -> OpDef:
    assert name not in REGISTRY, f"op {name} defined twice"
    assert code not in _BY_CODE, f"op code {code} reused by {name} and {_BY_CODE.get(code)}"
    op = OpDef(name, code, family, tuple(inputs), tuple(outputs), dict(attrs or {}), infer, reference, runtime, doc)
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


# Importing the families registers their ops.
from . import elementwise, conv, matmul, pool, norm, tensor, reduce, recurrent, attention  # noqa: E402,F401
