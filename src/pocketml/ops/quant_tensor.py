"""Quantize, Dequantize and Requantize: conversions whose quantization parameters are their
tensors' own (Value.quant, per tensor), as TFLite's QUANTIZE (float32 -> int8/uint8/int16, and
between quantized types) and DEQUANTIZE of activations. QuantizeLinear/DequantizeLinear take
theirs as inputs instead (ops/quant.py).

The C runtime computes them as LiteRT's builtin kernels on x86 (native/src/ops/quant_tensor.c,
kernels/quant/qelementwise.h): Quantize rounds half to even in whole blocks of 8 and half away
from zero in the tail, Dequantize rounds twice in those blocks, Requantize is TFLite's fixed
point. Their values depend on the tensors' parameters, which a node reference does not see:
the references refuse (the fold pass never folds quant_aware ops), and the tests compare the
C with LiteRT and the numpy oracles of tests/ops/quant_oracles.py.
"""
from __future__ import annotations

from .. import dtypes
from .registry import QUANT_CHECKS, REGISTRY, Attr, define
from ._common import fail, known

STORED = ("int8", "uint8", "int16")  # what these ops read and write as quantized values


def _to_infer(node, ins):
    _, s = known(node, ins[0], "x")
    op = REGISTRY[node.op]
    to = op.attr(node, "to")
    allowed = {c: n for c, n in dtypes.DTYPE_BY_CODE.items() if n in STORED}
    if to not in allowed:
        raise fail(node, f"attribute to={to} is not a quantized dtype code (supported: {allowed})")
    return [(allowed[to], s)]


def _float_infer(node, ins):
    _, s = known(node, ins[0], "x")
    return [("float32", s)]


def _no_reference(inputs, attrs):
    raise NotImplementedError("Quantize/Dequantize/Requantize read their tensors' quantization parameters: "
                              "computed by the C runtime only")


def _per_tensor(role, port):
    if port is None or port[1] is None:
        return f"{role} has no quantization parameters"
    if not port[1].per_tensor:
        return f"{role} is quantized per channel: only per-tensor parameters are supported"
    return None


QUANT_CHECKS["Quantize"] = lambda node, ins, outs: _per_tensor("output", outs[0])
QUANT_CHECKS["Dequantize"] = lambda node, ins, outs: _per_tensor("input", ins[0])
# Requantize's arithmetic: 0 TFLite's fixed point (QUANTIZE between quantized types), 1 ONNX's
# DequantizeLinear -> QuantizeLinear in float (round half to even), 2 TFLite's float
# ConcatenationWithScaling (uint8 CONCATENATION inputs of other parameters, half away from zero)
REQUANTIZE_MODES = (0, 1, 2)


def _requantize_check(node, ins, outs):
    mode = int(node.attrs.get("requant", 0))
    if mode not in REQUANTIZE_MODES:
        return f"attribute requant={mode} (0 TFLite fixed point, 1 ONNX float, 2 TFLite concat float)"
    return _per_tensor("input", ins[0]) or _per_tensor("output", outs[0])


QUANT_CHECKS["Requantize"] = _requantize_check

_TO = {"to": Attr("int", 3)}  # the output's dtype code (int8)
define("Quantize", 410, "quant", ("x: T1",), ("y: T2",), _TO, types={"T1": ("float32",), "T2": STORED},
       traits=("quant_aware",), infer=_to_infer, reference=_no_reference)
define("Dequantize", 411, "quant", ("x: T1",), ("y: T2",), types={"T1": STORED, "T2": ("float32",)},
       traits=("quant_aware",), infer=_float_infer, reference=_no_reference)
define("Requantize", 412, "quant", ("x: T1",), ("y: T2",), dict(_TO, requant=Attr("int", 0)), types={"T1": STORED, "T2": STORED},
       traits=("quant_aware",), infer=_to_infer, reference=_no_reference)
