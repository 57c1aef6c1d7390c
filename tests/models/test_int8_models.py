"""Whole full-integer TFLite models through pocketml's int8 engine against LiteRT's builtin kernels
(the acceptance: bit-exact, or at most 1 LSB off on any output element):

- the committed MobileNet-style network (tests/fixtures/quant, int8 and float I/O) and the
  streaming keyword spotter built with a resource-variable ring buffer, against the outputs
  LiteRT recorded when the fixtures were made (test_tflite_fixtures re-checks them live);
- the four real int8 streaming wake-word models of the pymicro-wakeword package (CALL_ONCE
  init, VAR_HANDLE/READ_VARIABLE/ASSIGN_VARIABLE state, CONV_2D, DEPTHWISE_CONV_2D,
  FULLY_CONNECTED, LOGISTIC, QUANTIZE, ...), streamed for 3 s of synthetic audio through one
  session and one live LiteRT interpreter, step by step: the state carried between
  invocations must stay in step with LiteRT's. Their probability output sits at 0 on such
  audio, so the logit under it (the last FULLY_CONNECTED, added as a graph output) is the
  real check: equal to LiteRT's reference kernels at every step (LiteRT's builtin kernels
  round strided convolutions differently, up to 4 LSB on this logit), and the probability
  within 1 LSB of the builtin kernels.
"""
from __future__ import annotations

import numpy as np
import pytest

import pocketml

from tests.quant_oracles.fixtures import TFLITE_DIR, tflite_data, tflite_manifest
from tests.quant_oracles.litert import feed, interpreter
from tests.quant_oracles.wakeword import MODELS, wakeword_inputs, wakeword_model

MANIFEST = tflite_manifest()


def _lsb(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.max(np.abs(a.astype(np.int64) - b.astype(np.int64)))) if a.size else 0


@pytest.mark.parametrize("threads,isa", [(1, isa) for isa in pocketml.available_isas()] + [(2, None)])
def test_mobilenet_int8_within_one_lsb_of_litert(threads, isa):
    inputs, expected = tflite_data("mobilenet_int8")
    session = pocketml.Session(pocketml.convert(TFLITE_DIR / MANIFEST["mobilenet_int8"]["file"]),
                               threads=threads, **({"isa": isa} if isa else {}))
    order = [io["name"] for io in MANIFEST["mobilenet_int8"]["inputs"]]
    out = list(session.run({i.name: inputs[n] for i, n in zip(session.inputs, order)}).values())
    assert out[0].dtype == expected[0].dtype == np.int8
    assert _lsb(out[0], expected[0]) <= 1


def test_mobilenet_int8_float_io_within_one_output_step():
    name = "mobilenet_int8_float_io"
    inputs, expected = tflite_data(name)
    session = pocketml.Session(pocketml.convert(TFLITE_DIR / MANIFEST[name]["file"]))
    order = [io["name"] for io in MANIFEST[name]["inputs"]]
    out = list(session.run({i.name: inputs[n] for i, n in zip(session.inputs, order)}).values())[0]
    step = MANIFEST["mobilenet_int8"]["outputs"][0]["scale"]  # the int8 output's step, dequantized at the edge
    assert np.max(np.abs(out - expected[0])) <= step * 1.0001


def test_streaming_kws_fixture_matches_litert_at_every_step():
    inputs, (recorded,) = tflite_data("kws_stream_int8")
    session = pocketml.Session(pocketml.convert(TFLITE_DIR / MANIFEST["kws_stream_int8"]["file"]))
    name = session.inputs[0].name
    steps = [list(session.run({name: f}).values())[0] for f in inputs["frame"]]
    for t, (got, want) in enumerate(zip(steps, recorded)):
        assert _lsb(got, want) == 0, f"step {t}"
    session.reset_state()   # the ring buffer starts again from its initial value
    np.testing.assert_array_equal(list(session.run({name: inputs["frame"][0]}).values())[0], recorded[0])


@pytest.mark.parametrize("model", MODELS)
def test_real_int8_wake_word_model_streams_in_step_with_litert(model):
    path = wakeword_model(model)
    frames = wakeword_inputs(path, seconds=3.0)
    converted = pocketml.convert(str(path))
    logit = next(n for n in converted.graph.nodes if n.op == "Sigmoid").inputs[0]
    converted.graph.outputs.append(logit)
    session = pocketml.Session(converted)
    name, prob = session.inputs[0].name, session.outputs[0].name
    builtin, reference = interpreter(path), interpreter(path, "reference", preserve_all_tensors=True)
    logit_index = {d["name"]: d["index"] for d in reference.get_tensor_details()}[logit]
    logits = set()
    for t, frame in enumerate(frames):
        for it in (builtin, reference):
            feed(it, [frame])
            it.invoke()
        got = session.run({name: frame})
        want_logit = reference.get_tensor(logit_index)
        np.testing.assert_array_equal(got[logit], want_logit, err_msg=f"logit at step {t}")
        assert _lsb(got[prob], builtin.get_tensor(builtin.get_output_details()[0]["index"])) <= 1, f"step {t}"
        logits.add(want_logit.tobytes())
    assert len(frames) > 50 and len(logits) > 10   # the state and the audio move the logit
