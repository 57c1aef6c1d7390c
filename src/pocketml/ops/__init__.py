"""The op registry: one definition per op, the single source of truth.

Every op the IR knows is declared once, in the module of its family
(elementwise, unary, logic, conv, matmul, pool, norm, tensor, index, resize, quant,
reduce, recurrent, attention, signal, select, state, control), with
  - a stable numeric code (part of the .pml format and the C enum; never reuse one),
  - its inputs and outputs, ONNX style: "name: T" binds the port to the type
    variable T; a trailing "?" on the name marks an optional port, "*" a
    variadic one (one or more),
  - its type variables: ``types={"T": dtypes.NUMERIC, "I": ("int32", "int64")}``,
    the dtypes each variable allows; ports sharing a variable must have the
    same dtype,
  - its traits (``TRAITS``): facts passes match on instead of keeping op lists,
  - its attributes with kinds and defaults,
  - shape/dtype inference:  infer(node, input_values) -> [(dtype, shape), ...]
    (the registry checks input dtypes against the type variables first),
  - a numpy reference:      reference(inputs, attrs) -> [ndarray, ...]
    (test oracle and constant folder, never used to run a model).
The C files that restate the registry (op codes, the op schema with arity,
allowed dtypes and traits, the activation kinds, the dtype enum) are generated
by ``python -m pocketml.ops.codegen``; tests/ops/test_codegen.py fails when one
is stale.
"""
from __future__ import annotations

# The core lives in registry.py (a leaf); these names stay importable from pocketml.ops.
from .registry import (  # noqa: F401
    ACTIVATION_KINDS, ACT_CLIP, ACT_GELU_ERF, ACT_GELU_TANH, ACT_HARDSIGMOID, ACT_HARDSWISH, ACT_LAST_GENERIC,
    ACT_LEAKY_RELU, ACT_NONE, ACT_PRELU, ACT_RELU, ACT_SIGMOID, ACT_TANH, ATTR_KINDS, Attr, FUSED_ACT_ATTRS,
    OpDef, Port, REGISTRY, TRAITS, by_code, define, get,
    with_trait,
)

# Importing the families registers their ops.
from . import (attention, control, conv, conv_col2im, conv_deform, conv_integer, elementwise, grid, index, logic,  # noqa: E402,F401
               matmul, norm, pool, quant, quant_tensor, recurrent, reduce, resize, select, signal, state, tensor,
               unary)
