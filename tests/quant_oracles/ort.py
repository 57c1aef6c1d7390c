"""Run an ONNX model in onnxruntime on the CPU, one thread.

`exact=True` sets `session.x64quantprecision` = 1 (onnxruntime's
kOrtSessionOptionsAvx2PrecisionMode): on x64 without VNNI, MLAS's u8s8 integer GEMM sums
pairs of products in saturating 16-bit lanes (vpmaddubsw) and can be off; this option makes it
use the slower u8u8 kernels, which are exact. `optimize=False` disables graph optimizations: a
QDQ model then runs as written (DequantizeLinear -> float op -> QuantizeLinear) instead of being
fused into QLinear* kernels, which is the ONNX-reference meaning of the graph.
"""
from __future__ import annotations

from typing import Mapping, Sequence, Union

import numpy as np
import onnxruntime as ort

Inputs = Union[Sequence[np.ndarray], Mapping[str, np.ndarray]]


def session(model, exact: bool = False, optimize: bool = True) -> ort.InferenceSession:
    """`model`: a path or serialized bytes."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    if exact:
        options.add_session_config_entry("session.x64quantprecision", "1")
    if not optimize:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    source = bytes(model) if isinstance(model, (bytes, bytearray)) else str(model)
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def run_ort(model, inputs: Inputs, exact: bool = False, optimize: bool = True) -> list:
    """Outputs (in the model's output order) for `inputs` (by name, or in the model's input order)."""
    sess = session(model, exact, optimize)
    if not isinstance(inputs, Mapping):
        inputs = {i.name: value for i, value in zip(sess.get_inputs(), inputs)}
    return sess.run(None, dict(inputs))
