"""Run a .tflite model in LiteRT (ai_edge_litert), with the reference-equivalent builtin kernels or
with the default XNNPACK delegate.

`BUILTIN_WITHOUT_DEFAULT_DELEGATES` is the builtin op resolver with XNNPACK not applied: int8
ops then run TFLite's optimized_ops/reference_ops kernels, whose arithmetic is the TFLite
reference (fixed-point multipliers, double rounding). `AUTO` lets LiteRT apply XNNPACK, which
takes most int8/float ops and rounds differently in places. `BUILTIN_REF` forces the
reference_ops kernels (slow, but the spec itself).
"""
from __future__ import annotations

from typing import Mapping, Sequence, Union

import numpy as np
from ai_edge_litert import interpreter as litert

KERNELS = {
    "builtin": litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    "reference": litert.OpResolverType.BUILTIN_REF,
    "xnnpack": litert.OpResolverType.AUTO,
}

Inputs = Union[Sequence[np.ndarray], Mapping[str, np.ndarray]]


def interpreter(model, kernels: str = "builtin", preserve_all_tensors: bool = False) -> litert.Interpreter:
    """An allocated interpreter for `model` (a file path or the model's bytes)."""
    source = {"model_content": bytes(model)} if isinstance(model, (bytes, bytearray)) else {"model_path": str(model)}
    it = litert.Interpreter(**source, num_threads=1, experimental_op_resolver_type=KERNELS[kernels],
                            experimental_preserve_all_tensors=preserve_all_tensors)
    it.allocate_tensors()
    return it


def feed(it: litert.Interpreter, inputs: Inputs) -> None:
    details = it.get_input_details()
    if isinstance(inputs, Mapping):
        by_name = {d["name"]: d for d in details}
        pairs = [(by_name[name], value) for name, value in inputs.items()]
    else:
        pairs = list(zip(details, inputs))
    for d, value in pairs:
        value = np.asarray(value)
        if value.dtype != d["dtype"]:
            raise TypeError(f"input {d['name']!r} is {np.dtype(d['dtype']).name}, got {value.dtype}")
        it.set_tensor(d["index"], value)


def run_litert(model, inputs: Inputs, kernels: str = "builtin") -> list:
    """Outputs (in the model's output order) of one invocation; `kernels` is 'builtin' (no XNNPACK),
    'xnnpack' (LiteRT's default delegate) or 'reference' (reference_ops kernels)."""
    it = interpreter(model, kernels)
    feed(it, inputs)
    it.invoke()
    return [it.get_tensor(d["index"]).copy() for d in it.get_output_details()]


def run_litert_stream(model, frames: Sequence[Inputs], kernels: str = "builtin") -> list:
    """Outputs of successive invocations of ONE interpreter (resource variables persist between them)."""
    it = interpreter(model, kernels)
    results = []
    for inputs in frames:
        feed(it, inputs)
        it.invoke()
        results.append([it.get_tensor(d["index"]).copy() for d in it.get_output_details()])
    return results


def tensor_values(model, inputs: Inputs, kernels: str = "builtin") -> dict:
    """{tensor name: value} of every tensor after one invocation (calibration; intermediate tensors to
    compare an engine with, where the final output says little)."""
    it = interpreter(model, kernels, preserve_all_tensors=True)
    feed(it, inputs)
    it.invoke()
    values = {}
    for d in it.get_tensor_details():
        try:
            values[d["name"]] = it.get_tensor(d["index"]).copy()
        except ValueError:  # tensors without data (optional inputs, resources)
            pass
    return values

