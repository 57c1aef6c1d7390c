"""Session(memory_limit=...): an RNN, LSTM or GRU run at batch 2**20 under a 1 GiB limit raises
OutOfMemoryError (a PocketMLError and a MemoryError) naming the bytes required and the limit,
before allocating anything; the same session then runs batch 4 like onnxruntime. A static model
over its limit fails at creation; a Loop's body (a child session) counts against its parent's
limit; limits are whole bytes; without a limit, an allocation that fails is an error too. The C side: native/tests/test_memory_limit.c."""
from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import pocketml
from pocketml import OutOfMemoryError, PocketMLError, Session
from tests.models.control_flow_builders import loop_rnn
from tests.runtime.memory_models import recurrent, small_cnn

GIB = 1 << 30
RNG = np.random.default_rng(3)


def _ort(model, feeds):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)


def _required_and_limit(message: str) -> tuple:
    total = re.search(r"that is (\d+) bytes", message)
    limit = re.search(r"memory limit of (\d+) bytes", message)
    assert total and limit, message
    return int(total.group(1)), int(limit.group(1))


@pytest.mark.parametrize("op", ["LSTM", "GRU", "RNN"])
def test_huge_batch_is_an_error_then_batch_4_runs(op):
    model = recurrent(op)
    session = Session(pocketml.convert(model), memory_limit=GIB)
    with pytest.raises(OutOfMemoryError) as info:
        session.run({"X": np.zeros((2, 1 << 20, 1), np.float32)})
    assert isinstance(info.value, MemoryError) and isinstance(info.value, PocketMLError)
    message = str(info.value)
    required, limit = _required_and_limit(message)
    assert limit == GIB and required > GIB, message
    assert "[2,1048576,1]" in message and "(1 GiB)" in message and "\n" not in message
    assert session.plan_count == 0 and session.arena_size == 0  # nothing was allocated for it

    x = RNG.standard_normal((2, 4, 1)).astype(np.float32)
    got = session.run({"X": x})
    for name, want in zip(("Y", "Y_h"), _ort(model, {"X": x})):
        np.testing.assert_allclose(got[name], want, rtol=1e-4, atol=1e-5, err_msg=f"{op} {name}")
    assert 0 < session.arena_size < 1 << 20 and session.plan_count == 1
    with pytest.raises(OutOfMemoryError):  # again, with a plan active: it stays active
        session.run({"X": np.zeros((2, 1 << 20, 1), np.float32)})
    np.testing.assert_allclose(session.run({"X": x})["Y_h"], _ort(model, {"X": x})[1], rtol=1e-4, atol=1e-5)
    assert session.plan_count == 1


def test_static_model_over_its_limit_fails_at_creation():
    model = small_cnn()
    for value in (*model.graph.input, *model.graph.output):  # pin N, H, W: planned at creation
        for dim, size in zip(value.type.tensor_type.shape.dim, (2, 3, 16, 16)):
            if dim.dim_param:
                dim.dim_value = size
    converted = pocketml.convert(model)
    with pytest.raises(OutOfMemoryError, match=r"node 'Conv_\d+' \(Conv\): packing its weights needs \d+ bytes.*"
                                               r"memory limit of 4096 bytes"):
        Session(converted, memory_limit=4096)
    free = Session(converted)
    limit = free.state_size + free.arena_size // 2  # the packed weights fit, the arena does not
    with pytest.raises(OutOfMemoryError, match=rf"the plan for input shapes \[2,3,16,16\] \(arena {free.arena_size} "
                                               rf"bytes.*memory limit of {limit} bytes"):
        Session(converted, memory_limit=limit)
    x = RNG.standard_normal((2, 3, 16, 16)).astype(np.float32)
    got = Session(converted, memory_limit=limit + free.arena_size).run({"x": x})["y"]
    np.testing.assert_allclose(got, _ort(model, {"x": x})[0], rtol=1e-4, atol=1e-6)


def test_a_loop_body_counts_against_the_limit():
    """loop_rnn: Loop over time whose body (a child session) does the MatMuls per step. Its carried h and
    stacked outputs are the Loop's own buffers; the body's arena and plans are charged to the limit."""
    model = loop_rnn(hidden=256, features=4)
    session = Session(pocketml.convert(model), memory_limit=24 << 20)
    small = {"x": RNG.standard_normal((3, 2, 4)).astype(np.float32),
             "h0": RNG.standard_normal((2, 256)).astype(np.float32)}
    big = {"x": np.zeros((2, 1 << 14, 4), np.float32), "h0": np.zeros((1 << 14, 256), np.float32)}
    for feeds in (small, big, small):
        if feeds is big:
            with pytest.raises(OutOfMemoryError, match="memory limit of 25165824 bytes"):
                session.run(feeds)
            continue
        for got, want in zip(session.run(feeds).values(), _ort(model, feeds)):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("bad", [-1, "1G", 1.5, True])
def test_limit_is_a_whole_number_of_bytes(bad):
    with pytest.raises((ValueError, TypeError), match="memory_limit"):
        Session(pocketml.convert(recurrent("RNN", hidden=4)), memory_limit=bad)


_NO_LIMIT_SCRIPT = """
import resource, sys
import numpy as np, onnx
import pocketml
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))  # the ~5 GB arena cannot be had
model = onnx.load(sys.argv[1])
x = np.load(sys.argv[2])
session = pocketml.Session(pocketml.convert(model))  # no memory_limit
session.run({"X": x})
try:
    session.run({"X": np.zeros((2, 1 << 20, 1), np.float32)})
    print("no error")
except pocketml.OutOfMemoryError as e:
    print("error:", e)
np.save(sys.argv[3], session.run({"X": x})["Y"])
"""


def test_without_a_limit_a_failed_allocation_is_an_error(tmp_path):
    """In a process whose address space is capped, the arena's allocation fails: an error, not a crash, and
    the session (whose old arena was given back first) runs the small batch again."""
    model = recurrent("LSTM")
    x = RNG.standard_normal((2, 4, 1)).astype(np.float32)
    onnx_path, x_path, y_path = tmp_path / "lstm.onnx", tmp_path / "x.npy", tmp_path / "y.npy"
    onnx.save(model, onnx_path)
    np.save(x_path, x)
    proc = subprocess.run([sys.executable, "-c", _NO_LIMIT_SCRIPT, onnx_path, x_path, y_path], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "error:" in proc.stdout and "out of memory allocating the" in proc.stdout, proc.stdout
    np.testing.assert_allclose(np.load(y_path), _ort(model, {"X": x})[0], rtol=1e-4, atol=1e-5)
