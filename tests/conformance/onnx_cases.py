"""Shared helpers for the ONNX conformance tests: which ONNX backend test
cases cover the ops pocketml supports, and how to load their data."""
from __future__ import annotations

import os
import re

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.backend.test.loader import load_model_tests

from pocketml.converters.onnx import model_op_types

# The ONNX ops pocketml imports (issue 2's list). A node test case is selected
# when every op in its model (including the expanded function bodies) is here.
SUPPORTED_ONNX_OPS = {
    "Conv", "ConvTranspose", "Gemm", "MatMul", "BatchNormalization", "Relu", "LeakyRelu", "PRelu", "Clip",
    "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Elu", "Selu", "Softplus", "Add", "Sub", "Mul", "Div",
    "Sum", "Max", "Min", "Pow", "Sqrt", "Exp", "Log", "Abs", "Neg", "Reciprocal", "MaxPool", "AveragePool",
    "GlobalAveragePool", "GlobalMaxPool", "LRN", "Softmax", "LogSoftmax", "Concat", "Reshape", "Flatten",
    "Squeeze", "Unsqueeze", "Transpose", "Slice", "Split", "Pad", "Resize", "Upsample", "Identity", "Dropout",
    "Constant", "ConstantOfShape", "Shape", "Gather", "Cast", "ReduceMean", "ReduceSum", "ReduceMax",
}
# issue 3: recurrent layers
SUPPORTED_ONNX_OPS |= {"LSTM", "GRU", "RNN"}
SUPPORTED_ONNX_OPS |= {"DeformConv"}
# issue 3: normalisation, einsum and attention
SUPPORTED_ONNX_OPS |= {"LayerNormalization", "RMSNormalization", "Einsum", "Attention", "RotaryEmbedding"}
# issue 3: shape, index and reduction ops
SUPPORTED_ONNX_OPS |= {"Size", "Range", "Expand", "Tile", "GatherElements", "GatherND", "ScatterElements", "Scatter",
                       "ScatterND", "Trilu", "CumSum", "OneHot", "TopK", "ArgMax", "ArgMin", "ReduceMin",
                       "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp", "ReduceLogSum"}
# issue 3: comparisons, logic, Where, Mod and math for transformer graphs
SUPPORTED_ONNX_OPS |= {"Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "And", "Or", "Xor", "Not",
                       "IsNaN", "IsInf", "Where", "Mod", "Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Erf",
                       "Gelu", "CastLike"}
# issue 9: the activations docs/adding-an-op.md was proven with
SUPPORTED_ONNX_OPS |= {"Celu", "Mish", "ThresholdedRelu", "Softsign", "Shrink", "Hardmax"}
# control flow: If on a constant condition is inlined at conversion; a run-time If and Loop keep
# their subgraphs (.pml subgraphs, run by child sessions)
SUPPORTED_ONNX_OPS |= {"If", "Loop"}
# sequences known at conversion, and lists a Loop appends to (converters/onnx/ops_sequence.py)
SUPPORTED_ONNX_OPS |= {"SequenceEmpty", "SequenceConstruct", "SequenceInsert", "SequenceErase", "SequenceAt",
                       "SequenceLength", "ConcatFromSequence", "SplitToSequence", "Optional",
                       "OptionalHasElement", "OptionalGetElement"}
# ops whose output size depends on the data (the session plans what follows once they ran)
SUPPORTED_ONNX_OPS |= {"NonZero", "Compress", "Unique", "NonMaxSuppression"}
# the remaining ONNX math and bitwise ops
SUPPORTED_ONNX_OPS |= {"Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Swish",
                       "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot", "BitShift", "Mean", "LpPool", "GlobalLpPool"}
# the loss functions, imported as their decomposition (converters/onnx/ops_norm.py)
SUPPORTED_ONNX_OPS |= {"NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss"}
# linear algebra
SUPPORTED_ONNX_OPS |= {"Det"}
# integer products of dynamically quantized models (exact int32 accumulation)
SUPPORTED_ONNX_OPS |= {"MatMulInteger", "ConvInteger"}
# reinterpreting bytes
SUPPORTED_ONNX_OPS |= {"BitCast"}
# ops real models from the wild use (super-resolution, style transfer, OCR)
SUPPORTED_ONNX_OPS |= {"DepthToSpace", "SpaceToDepth", "InstanceNormalization", "GroupNormalization",
                       "LpNormalization", "MeanVarianceNormalization", "CumProd", "EyeLike",
                       "ReverseSequence"}
# signal processing for audio front-ends (converters/onnx/ops_signal.py)
SUPPORTED_ONNX_OPS |= {"DFT", "STFT", "HannWindow", "HammingWindow", "BlackmanWindow", "MelWeightMatrix"}
# spatial sampling
SUPPORTED_ONNX_OPS |= {"GridSample", "RoiAlign", "MaxUnpool", "AffineGrid", "CenterCropPad", "Col2Im"}
# the stateful ops of small language models (opsets 24-28)
SUPPORTED_ONNX_OPS |= {"LinearAttention", "CausalConvWithState", "SwiGLU", "TensorScatter"}
# Scan, unrolled at import (converters/onnx/ops_recurrent.py)
SUPPORTED_ONNX_OPS |= {"Scan"}
# the quantization ops of QDQ models (run in float, with the exact rounding)
SUPPORTED_ONNX_OPS |= {"DequantizeLinear", "QuantizeLinear", "DynamicQuantizeLinear"}


model_ops = model_op_types  # every op type a case's model uses, subgraphs included


# Tolerances of onnx.backend.test's runner for node tests.
NODE_RTOL, NODE_ATOL = 1e-3, 1e-7

# Expanded float16 graphs whose expected data round every intermediate op to float16 (onnx's
# reference evaluator runs them in numpy float16) while pocketml, like onnxruntime, computes
# MatMul and Softmax in float32 (the registry references in float64) and rounds once: their
# outputs are compared to two float16 ulps (rtol 2**-9) instead of rtol 1e-3, which is under
# one ulp for most float16 values.
FLOAT16_ARITHMETIC = {
    r"test_attention_4d_causal_fp16_expanded": "2 of 192 outputs differ by 2 ulps, each nearer the float64 "
                                                "result than the expected value is",
}
FLOAT16_RTOL = 2.0 ** -9


# Cases whose expected outputs are random draws (numpy's generator in onnx's test data): no engine
# reproduces them, so their outputs are checked for the op's semantics instead of the values.
RANDOM_OUTPUTS = {
    r"test_training_dropout(_default)?(_mask)?": "training-mode Dropout with a non-zero ratio: random masks",
}


def is_random_case(name: str) -> bool:
    return any(re.fullmatch(p, name) for p in RANDOM_OUTPUTS)


def assert_dropout_semantics(outputs, expected, inputs, what: str):
    """Training-mode Dropout: each output has the expected dtype and shape, every element of y is
    either 0 or x / (1 - ratio), and the mask (when asked for) says which; the kept fraction is
    plausible for the ratio (the cases hold at least 60 elements)."""
    x = np.asarray(inputs[0])
    ratio = float(np.asarray(inputs[1]).reshape(-1)[0]) if len(inputs) > 1 else 0.5
    for got, want in zip(outputs, expected):
        assert got.dtype == np.asarray(want).dtype and got.shape == np.asarray(want).shape, what
    y = outputs[0]
    kept = outputs[1] if len(outputs) > 1 else y != 0
    np.testing.assert_allclose(y, np.where(kept, x / (1 - ratio), 0), rtol=1e-6, atol=1e-6, err_msg=what)
    frac = float(np.mean(kept))
    assert abs(frac - (1 - ratio)) < 0.25, (what, frac, ratio)


def node_rtol(name: str, case) -> float:
    """The relative tolerance a node case's outputs are held to."""
    rtol = case.rtol if case.rtol else NODE_RTOL
    if any(re.fullmatch(p, name) for p in FLOAT16_ARITHMETIC):
        rtol = max(rtol, FLOAT16_RTOL)
    return rtol


def supported_node_cases() -> dict:
    """name -> TestCase for the ONNX node tests whose ops are all supported.

    The onnx wheel generates node test cases in code (model and data sets in
    memory), exactly what onnx.backend.test.BackendTest runs."""
    selected = {}
    for case in load_model_tests(kind="node"):
        if case.model is not None and model_ops(case.model) <= SUPPORTED_ONNX_OPS:
            selected[case.name] = case
    return dict(sorted(selected.items()))


def _to_array(item):
    if isinstance(item, onnx.TensorProto):
        return numpy_helper.to_array(item)
    if isinstance(item, list):  # a sequence-typed input or output: a list of tensors
        return [_to_array(i) for i in item]
    return np.asarray(item)


def data_sets(case):
    """Yield (inputs list, expected outputs list) for a node test case."""
    for inputs, outputs in case.data_sets:
        yield [_to_array(i) for i in inputs], [_to_array(o) for o in outputs]


def assert_outputs_match(outputs, expected, rtol: float, atol: float, what: str):
    assert len(outputs) == len(expected), f"{what}: {len(outputs)} outputs, expected {len(expected)}"
    for i, (got, ref) in enumerate(zip(outputs, expected)):
        got = np.asarray(got)
        assert got.dtype == ref.dtype, f"{what}: output {i} dtype {got.dtype}, expected {ref.dtype}"
        assert got.shape == ref.shape, f"{what}: output {i} shape {got.shape}, expected {ref.shape}"
        if ref.dtype.kind in "fc":
            np.testing.assert_allclose(got, ref, rtol=rtol, atol=atol, err_msg=f"{what}: output {i}")
        else:
            np.testing.assert_array_equal(got, ref, err_msg=f"{what}: output {i}")
