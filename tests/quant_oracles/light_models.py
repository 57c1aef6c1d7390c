"""A light_* CNN from the onnx wheel (onnx/backend/test/data/light), quantized at test time.

The light models keep the real architectures (SqueezeNet, ResNet-50, ...) but store every weight
as a ConstantOfShape of one value, which would make every channel identical. `realistic_float`
turns each of those into a seeded He-scaled initializer (biases small) and converts the model to
opset 13, so the quantizers see a normal float model. The session fixture
`light_squeezenet_quantized` quantizes SqueezeNet once per test session into a temporary directory
(nothing is committed) in the formats below; its value maps each variant to its path, plus
"float" (the float model) and "inputs" ({input name: seeded float32 array}).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper, version_converter

LIGHT_DIR = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"
CALIBRATION_SAMPLES = 2


def realistic_float(name: str, seed: int = 0) -> onnx.ModelProto:
    """light_<name>.onnx with its ConstantOfShape weights replaced by seeded random initializers."""
    model = onnx.load(LIGHT_DIR / f"light_{name}.onnx")
    graph = model.graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    rng = np.random.default_rng(seed)
    kept = []
    for node in graph.node:
        if node.op_type != "ConstantOfShape" or node.input[0] not in inits:
            kept.append(node)
            continue
        shape = tuple(int(d) for d in inits[node.input[0]])
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 0
        value = rng.standard_normal(shape) * (np.sqrt(2.0 / fan_in) if fan_in else 0.05)
        graph.initializer.append(numpy_helper.from_array(value.astype(np.float32), node.output[0]))
    del graph.node[:]
    graph.node.extend(kept)
    used = {n for node in graph.node for n in node.input}
    for init in [i for i in graph.initializer if i.name not in used]:
        graph.initializer.remove(init)
    names = {i.name for i in graph.initializer}
    for value in [v for v in graph.input if v.name not in used or v.name in names]:
        graph.input.remove(value)
    model.ir_version = 7   # IR >= 4: initializers need not be listed as graph inputs
    model = version_converter.convert_version(model, 13)
    onnx.checker.check_model(model)
    return model


def float_inputs(model: onnx.ModelProto, rng: np.random.Generator) -> dict:
    inits = {i.name for i in model.graph.initializer}
    return {v.name: rng.uniform(-1.0, 1.0, [d.dim_value for d in v.type.tensor_type.shape.dim]).astype(np.float32)
            for v in model.graph.input if v.name not in inits}


def quantize_light(name: str, out_dir: Path) -> dict:
    """{variant: path} of light_<name> quantized (QDQ s8s8 per channel, QOperator u8s8 per tensor,
    dynamic), plus "float" and "inputs"."""
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType, quantize_dynamic,
                                          quantize_static)

    class Reader(CalibrationDataReader):
        def __init__(self, samples):
            self._samples = iter(samples)

        def get_next(self):
            return next(self._samples, None)

    model = realistic_float(name)
    rng = np.random.default_rng(1)
    samples = [float_inputs(model, rng) for _ in range(CALIBRATION_SAMPLES + 1)]
    paths = {"float": out_dir / f"{name}_float.onnx"}
    onnx.save(model, paths["float"])
    for variant, fmt, act, per_channel in (("qdq_s8s8_per_channel", QuantFormat.QDQ, QuantType.QInt8, True),
                                           ("qop_u8s8_per_tensor", QuantFormat.QOperator, QuantType.QUInt8, False)):
        paths[variant] = out_dir / f"{name}_{variant}.onnx"
        quantize_static(paths["float"], paths[variant], Reader(samples[1:]), quant_format=fmt, activation_type=act,
                        weight_type=QuantType.QInt8, per_channel=per_channel)
    paths["dynamic"] = out_dir / f"{name}_dynamic.onnx"
    quantize_dynamic(paths["float"], paths["dynamic"], weight_type=QuantType.QInt8)
    return {**paths, "inputs": samples[0]}


@pytest.fixture(scope="session")
def light_squeezenet_quantized(tmp_path_factory) -> dict:
    pytest.importorskip("onnxruntime.quantization")
    if not (LIGHT_DIR / "light_squeezenet.onnx").exists():
        pytest.skip("the onnx wheel ships no light_squeezenet.onnx")
    return quantize_light("squeezenet", tmp_path_factory.mktemp("light_squeezenet"))
