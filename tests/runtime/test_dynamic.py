"""Dynamic shapes through the Python runtime: symbolic dims reported by name,
runs at several shapes (including one seen for the first time after others)
against numpy / onnxruntime, re-planning counted by plan_count while the
weights are loaded once, and input errors for wrong rank, fixed dims and dtype."""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import pocketml
from pocketml import ir
from pocketml.errors import InputError, RuntimeFailure
from pocketml.format import write_pml
from pocketml.runtime import LoadedModel, Session

from ..format import make_c_fixtures as fx
from pocketml.shape_inference import infer_shapes

C = np.array([1.25, -1.5, -0.5, -1.0], np.float32)  # c1 + c2 of the symbolic fixture


def _symbolic_reference(x, y):
    return {"z": np.maximum(x + C, 0), "p": x * y}


def test_symbolic_inputs_and_outputs_are_named():
    with Session(write_pml(fx.symbolic_graph())) as s:
        assert [t.shape for t in s.inputs] == [("batch", 4), ("batch", 1)]
        assert [t.shape for t in s.outputs] == [("batch", 4), ("batch", 4)]
        assert s.inputs[0].nbytes is None and not s.inputs[0].is_static
        assert s.plan_count == 0 and s.arena_size == 0


def test_runs_at_new_and_cached_shapes_without_reloading_weights():
    rng = np.random.default_rng(0)
    model = LoadedModel(write_pml(fx.symbolic_graph()))
    with Session(model) as s:
        for batch, plans in [(1, 1), (3, 2), (1, 2), (5, 3), (5, 3), (3, 3), (0, 4)]:
            x = rng.standard_normal((batch, 4)).astype(np.float32)
            y = rng.standard_normal((batch, 1)).astype(np.float32)
            out = s.run({"x": x, "y": y})
            for name, want in _symbolic_reference(x, y).items():
                assert out[name].shape == (batch, 4)
                np.testing.assert_allclose(out[name], want, rtol=1e-6, atol=1e-6)
            assert s.plan_count == plans, batch
            assert model.weight_loads == 1
    model.close()


def test_one_plan_cache_replans_every_change():
    x1, y1 = np.ones((1, 4), np.float32), np.ones((1, 1), np.float32)
    x2, y2 = np.ones((2, 4), np.float32), np.ones((2, 1), np.float32)
    with Session(write_pml(fx.symbolic_graph()), plan_cache_size=1) as s:
        for i, (x, y) in enumerate([(x1, y1), (x2, y2), (x1, y1)]):
            np.testing.assert_array_equal(s.run({"x": x, "y": y})["p"], x * y)
            assert s.plan_count == i + 1


def test_input_errors():
    with Session(write_pml(fx.symbolic_graph())) as s:
        y = np.zeros((2, 1), np.float32)
        with pytest.raises(InputError, match=r"input 'x' has shape \[2, 5\], expected \[batch, 4\] \(dim 1 fixed"):
            s.run({"x": np.zeros((2, 5), np.float32), "y": y})
        with pytest.raises(InputError, match=r"input 'x' has shape \[2\], expected \[batch, 4\] \(rank 2"):
            s.run({"x": np.zeros(2, np.float32), "y": y})
        with pytest.raises(InputError, match="dtype float64, expected float32"):
            s.run({"x": np.zeros((2, 4)), "y": y})
        # shapes that do not fit together fail planning naming the node; the session stays usable
        with pytest.raises(RuntimeFailure, match=r"node 'mul' \(Mul\).*\[2,4\] and \[3,1\]"):
            s.run({"x": np.zeros((2, 4), np.float32), "y": np.zeros((3, 1), np.float32)})
        x = np.arange(8, dtype=np.float32).reshape(2, 4)
        np.testing.assert_array_equal(s.run({"x": x, "y": y + 2})["p"], x * 2)


def test_static_models_plan_once():
    with Session(write_pml(fx.add_relu_graph())) as s:
        assert s.plan_count == 1 and s.inputs[0].shape == (2, 3)
        for _ in range(3):
            s.run({"x": np.ones((2, 3), np.float32)})
        assert s.plan_count == 1
        with pytest.raises(InputError, match=r"expected \[2, 3\] \(dim 0 fixed"):
            s.run({"x": np.ones((3, 3), np.float32)})


def test_shape_chain_is_evaluated_per_shape():
    """Shape -> Gather -> Concat -> Reshape and Expand(bias, Shape(x)), computed at plan time."""
    rng = np.random.default_rng(1)
    bias = np.array([1, 2, 3, 4], np.float32)
    with Session(write_pml(fx.symbolic_shape_chain_graph())) as s:
        for shape, plans in [((2, 3, 4), 1), ((1, 5, 4), 2), ((2, 3, 4), 2), ((4, 1, 4), 3)]:
            x = rng.standard_normal(shape).astype(np.float32)
            out = s.run({"x": x})
            np.testing.assert_array_equal(out["y"], x.reshape(shape[0], -1))
            np.testing.assert_allclose(out["z"], x + bias, rtol=1e-6)
            assert s.plan_count == plans


def test_positions_from_range_of_sequence_length():
    """Token + position embeddings as exporters write them: positions = Range(0, shape(ids)[1], 1)."""
    rng = np.random.default_rng(2)
    tok = rng.standard_normal((10, 4)).astype(np.float32)
    pos = rng.standard_normal((16, 4)).astype(np.float32)
    g = ir.Graph("embed")
    g.add_value("ids", "int64", ("batch", "seq"))
    g.inputs = ["ids"]
    g.add_value("tok", const=tok)
    g.add_value("pos", const=pos)
    g.add_value("one_idx", const=np.array(1, np.int64))
    g.add_value("zero", const=np.array(0, np.int64))
    g.add_value("one", const=np.array(1, np.int64))
    g.add_node("Shape", ["ids"], ["s"], name="shape")
    g.add_node("Gather", ["s", "one_idx"], ["seq"], {"axis": 0}, name="seq_len")
    g.add_node("Range", ["zero", "seq", "one"], ["positions"], name="range")
    g.add_node("Gather", ["tok", "ids"], ["te"], {"axis": 0}, name="tok_embed")
    g.add_node("Gather", ["pos", "positions"], ["pe"], {"axis": 0}, name="pos_embed")
    g.add_node("Add", ["te", "pe"], ["out"], name="add")
    g.outputs = ["out"]
    infer_shapes(g)
    with Session(write_pml(g)) as s:
        for batch, seq in [(1, 3), (2, 7), (1, 3), (3, 16)]:
            ids = rng.integers(0, 10, (batch, seq)).astype(np.int64)
            out = s.run({"ids": ids})["out"]
            np.testing.assert_allclose(out, tok[ids] + pos[:seq], rtol=1e-6)


def _onnx_mlp():
    rng = np.random.default_rng(3)
    w = rng.standard_normal((8, 16)).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "W"], ["h"]), helper.make_node("Add", ["h", "b"], ["h2"]),
             helper.make_node("Relu", ["h2"], ["r"]), helper.make_node("Softmax", ["r"], ["p"], axis=-1),
             helper.make_node("Shape", ["x"], ["s"]), helper.make_node("Slice", ["s", "zero", "one"], ["n"]),
             helper.make_node("Concat", ["n", "minus1"], ["t"], axis=0), helper.make_node("Reshape", ["p", "t"], ["y"])]
    inits = [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "b"),
             numpy_helper.from_array(np.array([0], np.int64), "zero"),
             numpy_helper.from_array(np.array([1], np.int64), "one"),
             numpy_helper.from_array(np.array([-1], np.int64), "minus1")]
    g = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", None]),
                           helper.make_tensor_value_info("p", TensorProto.FLOAT, ["batch", "seq", 16])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def test_converted_onnx_model_matches_onnxruntime_at_every_shape():
    model = _onnx_mlp()
    onnx.checker.check_model(model)
    converted = pocketml.convert(model)
    ref = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(4)
    with Session(converted) as s:
        assert s.inputs[0].shape == ("batch", "seq", 8)
        for (batch, seq), plans in [((1, 3), 1), ((2, 5), 2), ((1, 3), 2), ((3, 7), 3)]:
            x = rng.standard_normal((batch, seq, 8)).astype(np.float32)
            got, want = s.run({"x": x}), ref.run(None, {"x": x})
            np.testing.assert_allclose(got["y"], want[0], rtol=1e-4, atol=1e-5)
            np.testing.assert_allclose(got["p"], want[1], rtol=1e-4, atol=1e-5)
            assert s.plan_count == plans and s.model.weight_loads == 1


def _dense_graph(w, w2, c):
    g = ir.Graph("dense")
    g.add_value("x", "float32", ("batch", w.shape[0]))
    g.inputs = ["x"]
    g.add_value("W", const=w)
    g.add_value("W2", const=w2)
    g.add_value("c", const=c)
    g.add_node("MatMul", ["x", "W"], ["h"], name="mm")
    g.add_node("Gemm", ["h", "W2", "c"], ["y"], name="gemm")
    g.outputs = ["y"]
    infer_shapes(g)
    return g


@pytest.mark.parametrize("scalar_only", [False, True])
def test_packed_weights_are_shared_by_every_cached_plan(scalar_only):
    """Constant MatMul/Gemm weights are packed once per session: state_size
    does not grow with the number of cached plans."""
    rng = np.random.default_rng(5)
    w = rng.standard_normal((32, 64)).astype(np.float32)
    w2 = rng.standard_normal((64, 24)).astype(np.float32)
    c = rng.standard_normal(24).astype(np.float32)
    with Session(write_pml(_dense_graph(w, w2, c)), scalar_only=scalar_only) as s:
        sizes = []
        for batch in (1, 5, 9, 5, 1):
            x = rng.standard_normal((batch, 32)).astype(np.float32)
            got = s.run({"x": x})["y"]
            np.testing.assert_allclose(got, (x @ w) @ w2 + c, rtol=1e-4, atol=1e-4)
            sizes.append(s.state_size)
        assert s.plan_count == 3
        assert sizes[0] > 0 and len(set(sizes)) == 1
        packed = (w.size + w2.size) * 4  # one copy of the packed weights, not three (every configuration)
        assert packed <= sizes[0] < 2 * packed
