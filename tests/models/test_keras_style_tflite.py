"""Keras-style TFLite models keep their dynamic batch: TensorFlow's converter writes batch -1
in every shape signature and flattens with SHAPE -> STRIDED_SLICE -> PACK [batch, -1] ->
RESHAPE before FULLY_CONNECTED. pocketml converts them once and runs any batch, checked
against the LiteRT interpreter resized to the same batch (a batch seen before re-uses its plan)."""
from __future__ import annotations

import numpy as np
import pytest

import pocketml
from tests.converters.tflite.tflite_builder import build_model

litert = pytest.importorskip("ai_edge_litert.interpreter")
RNG = np.random.default_rng(0)


def _i32(*v):
    return np.array(v, np.int32)


def _classifier(keep_num_dims: bool) -> bytes:
    w = RNG.standard_normal((8, 3, 3, 3)).astype(np.float32) * 0.3
    fw = RNG.standard_normal((5, 4 * 4 * 8)).astype(np.float32) * 0.1
    tail = [("FULLY_CONNECTED", ["f", "fw", "fb"], ["y0"], {"keep_num_dims": keep_num_dims}),
            ("SOFTMAX", ["y0"], ["y"], {"beta": 1.0})]
    return build_model(
        ops=[("CONV_2D", ["x", "w", "b"], ["c"], {"padding": "SAME", "fused_activation_function": "RELU"}),
             ("SHAPE", ["c"], ["s"], {"out_type": "INT32"}),
             ("STRIDED_SLICE", ["s", "b0", "b1", "b2"], ["n"], {"shrink_axis_mask": 1}),
             ("PACK", ["n", "m1"], ["ns"], {"values_count": 2, "axis": 0}),
             ("RESHAPE", ["c", "ns"], ["f"], {})] + tail,
        tensors={"x": ("float32", (-1, 4, 4, 3), None), "w": ("float32", (8, 3, 3, 3), w),
                 "b": ("float32", (8,), RNG.standard_normal(8).astype(np.float32)),
                 "c": ("float32", (-1, 4, 4, 8), None), "s": ("int32", (4,), None),
                 "b0": ("int32", (1,), _i32(0)), "b1": ("int32", (1,), _i32(1)), "b2": ("int32", (1,), _i32(1)),
                 "n": ("int32", (), None), "m1": ("int32", (), np.array(-1, np.int32)),
                 "ns": ("int32", (2,), None), "f": ("float32", (-1, 128), None),
                 "fw": ("float32", (5, 128), fw), "fb": ("float32", (5,), RNG.standard_normal(5).astype(np.float32)),
                 "y0": ("float32", (-1, 5), None), "y": ("float32", (-1, 5), None)},
        inputs=["x"], outputs=["y"])


def _sequence_head() -> bytes:
    """[batch, t, 6] -> EXPAND_DIMS(1) -> STRIDED_SLICE (every other step) -> FULLY_CONNECTED with
    keep_num_dims on the 4-D result: symbolic batch and time through each."""
    fw = RNG.standard_normal((3, 6)).astype(np.float32)
    return build_model(
        ops=[("EXPAND_DIMS", ["x", "ax"], ["e"], {}),
             ("STRIDED_SLICE", ["e", "b0", "b1", "b2"], ["s"], {"begin_mask": 0b1011, "end_mask": 0b1011}),
             ("FULLY_CONNECTED", ["s", "fw", "fb"], ["y"], {"keep_num_dims": True})],
        tensors={"x": ("float32", (-1, -1, 6), None), "ax": ("int32", (), np.array(1, np.int32)),
                 "e": ("float32", (-1, 1, -1, 6), None),
                 "b0": ("int32", (4,), _i32(0, 0, 0, 0)), "b1": ("int32", (4,), _i32(0, 0, 0, 0)),
                 "b2": ("int32", (4,), _i32(1, 1, 2, 1)), "s": ("float32", (-1, 1, -1, 6), None),
                 "fw": ("float32", (3, 6), fw), "fb": ("float32", (3,), np.zeros(3, np.float32)),
                 "y": ("float32", (-1, 1, -1, 3), None)},
        inputs=["x"], outputs=["y"])


def _litert(data: bytes, x: np.ndarray) -> np.ndarray:
    it = litert.Interpreter(model_content=data)
    it.resize_tensor_input(it.get_input_details()[0]["index"], list(x.shape))
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"])


def _check(tmp_path, data: bytes, shapes: list) -> None:
    path = tmp_path / "model.tflite"
    path.write_bytes(data)
    session = pocketml.Session(pocketml.convert(path))
    assert any(isinstance(d, str) for d in session.inputs[0].shape)  # the dynamic dims stay symbolic
    for shape in shapes:
        x = RNG.standard_normal(shape).astype(np.float32)
        got = session.run({session.inputs[0].name: x})[session.outputs[0].name]
        want = _litert(data, x)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    assert session.plan_count == len(set(shapes))


@pytest.mark.parametrize("keep_num_dims", [False, True])
def test_classifier_with_flatten_runs_any_batch(tmp_path, keep_num_dims):
    _check(tmp_path, _classifier(keep_num_dims), [(1, 4, 4, 3), (3, 4, 4, 3), (2, 4, 4, 3), (1, 4, 4, 3)])


def test_sequence_head_with_batch_and_time_dynamic(tmp_path):
    _check(tmp_path, _sequence_head(), [(1, 5, 6), (2, 8, 6), (3, 1, 6), (1, 5, 6)])


E = Ellipsis
# (python index, begin, end, strides, masks, input rank): the STRIDED_SLICE cases of test_ops.py, here on
# inputs whose every dim is dynamic
STRIDED = [
    ((E, slice(1, 3)), [0, 1], [0, 3], [1, 1], {"ellipsis_mask": 0b01}, 3),
    ((slice(1, None), E), [1, 0], [0, 0], [1, 1], {"ellipsis_mask": 0b10, "end_mask": 0b01}, 3),
    ((None, E, slice(None, None, -1)), [0, 0, 0], [0, 0, 0], [1, 1, -1],
     {"new_axis_mask": 0b001, "ellipsis_mask": 0b010, "begin_mask": 0b100, "end_mask": 0b100}, 3),
    ((slice(None), None, 2, slice(None)), [0, 0, 2, 0], [0, 0, 3, 0], [1, 1, 1, 1],
     {"new_axis_mask": 0b0010, "shrink_axis_mask": 0b0100, "begin_mask": 0b1001, "end_mask": 0b1001}, 3),
    ((1, E, None, slice(-1, None, -2)), [1, 0, 0, -1], [2, 0, 0, 0], [1, 1, 1, -2],
     {"shrink_axis_mask": 0b0001, "ellipsis_mask": 0b0010, "new_axis_mask": 0b0100, "end_mask": 0b1000}, 4),
    ((slice(-1, 0, -1), E, slice(1, -1), None), [-1, 0, 1, 0], [0, 0, -1, 0], [-1, 1, 1, 1],
     {"ellipsis_mask": 0b0010, "new_axis_mask": 0b1000}, 4),
    ((E, -1), [0, -1], [0, 0], [1, 1], {"ellipsis_mask": 0b01, "shrink_axis_mask": 0b10}, 3),
]


@pytest.mark.parametrize("index,begin,end,strides,masks,rank", STRIDED)
def test_strided_slice_on_dynamic_dims(tmp_path, index, begin, end, strides, masks, rank):
    want_rank = np.zeros((3, 4, 5, 6)[:rank])[index].ndim
    data = build_model(
        ops=[("STRIDED_SLICE", ["x", "b", "e", "s"], ["y"], masks)],
        tensors={"x": ("float32", (-1,) * rank, None), "b": ("int32", (len(begin),), _i32(*begin)),
                 "e": ("int32", (len(end),), _i32(*end)), "s": ("int32", (len(strides),), _i32(*strides)),
                 "y": ("float32", (-1,) * want_rank, None)},
        inputs=["x"], outputs=["y"])
    _check(tmp_path, data, [(3, 4, 5, 6)[:rank], (5, 3, 4, 2)[:rank], (3, 4, 5, 6)[:rank]])


def _masked_text_classifier() -> bytes:
    """Keras-style text head with a dynamic batch and sequence: an embedding GATHER, a length mask
    from SHAPE -> STRIDED_SLICE -> RANGE and LESS, SELECT_V2 against ZEROS_LIKE, SUM over time, a
    FILL-ed offset of the pooled shape, FULLY_CONNECTED and SOFTMAX."""
    vocab, emb, classes = 11, 6, 4
    return build_model(
        ops=[("GATHER", ["table", "ids"], ["e"], {"axis": 0}),  # Keras' Embedding
             ("SHAPE", ["ids"], ["sh"], {"out_type": "INT32"}),
             ("STRIDED_SLICE", ["sh", "one", "two", "one"], ["t"], {"shrink_axis_mask": 1}),
             ("RANGE", ["zero", "t", "step"], ["pos"], {}),
             ("EXPAND_DIMS", ["lens", "ax1"], ["len2"], {}),
             ("LESS", ["pos", "len2"], ["mask"], {}),
             ("EXPAND_DIMS", ["mask", "ax2"], ["mask3"], {}),
             ("ZEROS_LIKE", ["e"], ["z"], {}),
             ("SELECT_V2", ["mask3", "e", "z"], ["m"], {}),
             ("SUM", ["m", "ax1"], ["pooled"], {"keep_dims": False}),
             ("SHAPE", ["pooled"], ["psh"], {"out_type": "INT32"}),
             ("FILL", ["psh", "half"], ["off"], {}),
             ("ADD", ["pooled", "off"], ["h"], {}),
             ("FULLY_CONNECTED", ["h", "fw", "fb"], ["logits"], {}),
             ("SOFTMAX", ["logits"], ["y"], {"beta": 1.0})],
        tensors={"ids": ("int32", (-1, -1), None), "lens": ("int32", (-1,), None),
                 "table": ("float32", (vocab, emb), RNG.standard_normal((vocab, emb)).astype(np.float32)),
                 "e": ("float32", (-1, -1, emb), None), "sh": ("int32", (2,), None),
                 "one": ("int32", (1,), _i32(1)), "two": ("int32", (1,), _i32(2)), "t": ("int32", (), None),
                 "zero": ("int32", (), np.array(0, np.int32)), "step": ("int32", (), np.array(1, np.int32)),
                 "pos": ("int32", (-1,), None), "ax1": ("int32", (), np.array(1, np.int32)),
                 "ax2": ("int32", (), np.array(2, np.int32)), "len2": ("int32", (-1, 1), None),
                 "mask": ("bool", (-1, -1), None), "mask3": ("bool", (-1, -1, 1), None),
                 "z": ("float32", (-1, -1, emb), None), "m": ("float32", (-1, -1, emb), None),
                 "pooled": ("float32", (-1, emb), None), "psh": ("int32", (2,), None),
                 "half": ("float32", (), np.array(0.5, np.float32)), "off": ("float32", (-1, emb), None),
                 "h": ("float32", (-1, emb), None),
                 "fw": ("float32", (classes, emb), RNG.standard_normal((classes, emb)).astype(np.float32)),
                 "fb": ("float32", (classes,), np.zeros(classes, np.float32)),
                 "logits": ("float32", (-1, classes), None), "y": ("float32", (-1, classes), None)},
        inputs=["ids", "lens"], outputs=["y"])


def test_masked_text_classifier_runs_any_batch_and_length(tmp_path):
    data = _masked_text_classifier()
    path = tmp_path / "model.tflite"
    path.write_bytes(data)
    session = pocketml.Session(pocketml.convert(path))
    names = [i.name for i in session.inputs]
    for b, t in [(2, 5), (3, 9), (1, 1), (2, 5)]:
        ids = RNG.integers(0, 11, size=(b, t)).astype(np.int32)
        lens = RNG.integers(0, t + 1, size=(b,)).astype(np.int32)
        it = litert.Interpreter(model_content=data)
        details = it.get_input_details()
        it.resize_tensor_input(details[0]["index"], [b, t])
        it.resize_tensor_input(details[1]["index"], [b])
        it.allocate_tensors()
        it.set_tensor(details[0]["index"], ids)
        it.set_tensor(details[1]["index"], lens)
        it.invoke()
        want = it.get_tensor(it.get_output_details()[0]["index"])
        got = session.run(dict(zip(names, [ids, lens])))[session.outputs[0].name]
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
