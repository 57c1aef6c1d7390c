"""Training-mode Dropout (the state family: its generator advances on every run of a session).
onnxruntime's masks come from its own generator, so the oracles are the op's semantics (kept
elements scaled by 1 / (1 - ratio), the rest 0, the mask saying which), onnxruntime where the
output is deterministic (ratio 0, training off, given at run time), and the numpy reference of
the same counter-based generator for a session's first run."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import pocketml
from pocketml.ops.state import DROPOUT_DEFAULT_SEED, dropout_uniform

RNG = np.random.default_rng(41)


def _model(dtype=TensorProto.FLOAT, seed=None):
    attrs = {} if seed is None else {"seed": seed}
    node = helper.make_node("Dropout", ["x", "r", "t"], ["y", "mask"], **attrs)
    graph = helper.make_graph([node], "d", [helper.make_tensor_value_info("x", dtype, [7, 33]),
                                            helper.make_tensor_value_info("r", TensorProto.FLOAT, []),
                                            helper.make_tensor_value_info("t", TensorProto.BOOL, [])],
                              [helper.make_tensor_value_info("y", dtype, [7, 33]),
                               helper.make_tensor_value_info("mask", TensorProto.BOOL, [7, 33])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def _feeds(ratio, training, dtype=np.float32):
    return {"x": RNG.standard_normal((7, 33)).astype(dtype), "r": np.array(ratio, np.float32),
            "t": np.array(training)}


@pytest.mark.parametrize("ratio,training", [(0.0, True), (0.4, False), (0.0, False)])
def test_deterministic_cases_match_onnxruntime(ratio, training):
    model, feeds = _model(), _feeds(ratio, training)
    got = pocketml.Session(pocketml.convert(model)).run(feeds)
    want = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)
    np.testing.assert_array_equal(got["y"], want[0])
    np.testing.assert_array_equal(got["mask"], want[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_training_masks_follow_the_semantics_and_change_every_run(dtype):
    onnx_type = TensorProto.FLOAT if dtype == np.float32 else TensorProto.FLOAT16
    session = pocketml.Session(pocketml.convert(_model(onnx_type, seed=7)))
    feeds = _feeds(0.3, True, dtype)
    masks = []
    for _ in range(3):
        out = session.run(feeds)
        want = np.where(out["mask"], feeds["x"].astype(np.float32) / np.float32(0.7), 0).astype(dtype)
        np.testing.assert_allclose(out["y"].astype(np.float32), want.astype(np.float32), rtol=1e-3, atol=1e-6)
        assert 0.55 < out["mask"].mean() < 0.85
        masks.append(out["mask"])
    assert not np.array_equal(masks[0], masks[1]) and not np.array_equal(masks[1], masks[2])
    # the same seed: the same sequence of masks in another session; the first is the numpy reference's
    other = pocketml.Session(pocketml.convert(_model(onnx_type, seed=7)))
    np.testing.assert_array_equal(other.run(feeds)["mask"], masks[0])
    np.testing.assert_array_equal(masks[0], (dropout_uniform(7, 0, 7 * 33) >= np.float32(0.3)).reshape(7, 33))


def test_default_seed_and_bad_ratio():
    session = pocketml.Session(pocketml.convert(_model()))
    out = session.run(_feeds(0.5, True))
    np.testing.assert_array_equal(out["mask"], (dropout_uniform(DROPOUT_DEFAULT_SEED, 0, 231) >= 0.5).reshape(7, 33))
    with pytest.raises(pocketml.errors.PocketMLError, match="outside"):
        session.run(_feeds(1.0, True))
