"""Real architectures end to end: the onnx package's light_* models imported,
optimized, run with the numpy references and compared with onnxruntime.

The light models build every weight with ConstantOfShape (one value), which
makes all channels identical and would hide any layout mistake; the weights
are replaced with random tensors first (He-scaled, BatchNorm variances
positive), in the ONNX model itself so both sides see the same network, and
the final Softmax becomes an Identity so logits are compared (a saturated
softmax would hide mistakes).
"""
from __future__ import annotations

import os
from collections import Counter

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from pocketml.passes import optimize
from pocketml.reference import run_graph

ort = pytest.importorskip("onnxruntime")
import_onnx = pytest.importorskip("pocketml.converters.onnx").import_onnx

LIGHT = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")

# model -> most Transposes allowed after optimize: the input transpose, plus for
# shufflenet the one data-moving transpose of each of its 16 channel shuffles
CASES = [
    pytest.param("resnet50", 1, id="resnet50"),
    pytest.param("squeezenet", 1, id="squeezenet"),
    pytest.param("shufflenet", 1 + 16, id="shufflenet"),
    pytest.param("inception_v1", 1, id="inception_v1", marks=pytest.mark.slow),
    pytest.param("inception_v2", 1, id="inception_v2", marks=pytest.mark.slow),
    pytest.param("densenet121", 1, id="densenet121", marks=pytest.mark.slow),
    pytest.param("bvlc_alexnet", 1, id="alexnet", marks=pytest.mark.slow),
]


def randomized(name: str) -> onnx.ModelProto:
    """The light model with each ConstantOfShape weight replaced by a random Constant."""
    model = onnx.load(os.path.join(LIGHT, f"light_{name}.onnx"))
    rng = np.random.default_rng(0)
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    readers = {}
    for n in model.graph.node:
        for i, x in enumerate(n.input):
            readers.setdefault(x, (n.op_type, i))
    kept = []
    for n in model.graph.node:
        if n.op_type == "Softmax" and n.output[0] in {o.name for o in model.graph.output}:
            kept.append(onnx.helper.make_node("Identity", [n.input[0]], [n.output[0]]))  # compare logits
            continue
        if n.op_type != "ConstantOfShape" or n.input[0] not in inits:
            kept.append(n)
            continue
        shape = tuple(int(d) for d in inits[n.input[0]])
        op, index = readers.get(n.output[0], ("", -1))
        if op == "BatchNormalization" and index in (1, 4) or op == "Mul":
            data = rng.uniform(0.5, 1.5, shape)
        elif op in ("Conv", "Gemm") and index == 1 and len(shape) >= 2:
            fan_in = int(np.prod(shape[1:])) if op == "Conv" else min(shape)
            data = rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)
        else:
            data = rng.standard_normal(shape) * 0.1
        kept.append(onnx.helper.make_node("Constant", [], [n.output[0]],
                                          value=numpy_helper.from_array(data.astype(np.float32))))
    del model.graph.node[:]
    model.graph.node.extend(kept)
    return model


@pytest.mark.parametrize("name,max_transposes", CASES)
def test_light_model_matches_onnxruntime(name, max_transposes):
    model = randomized(name)
    graph = optimize(import_onnx(model))
    ops = Counter(n.op for n in graph.nodes)
    assert ops["Transpose"] <= max_transposes, ops
    assert not {"BatchNormalization", "Identity"} & set(ops), ops
    x = np.random.default_rng(1).standard_normal(graph.values[graph.inputs[0]].shape).astype(np.float32)
    ours = run_graph(graph, {graph.inputs[0]: x})
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    theirs = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {sess.get_inputs()[0].name: x})))
    for out in graph.outputs:
        scale = float(np.abs(theirs[out]).max())
        assert scale > 0 and np.std(theirs[out]) > 1e-3 * scale  # outputs that differ per class
        np.testing.assert_allclose(ours[out], theirs[out], rtol=1e-3, atol=1e-4 * scale, err_msg=out)
