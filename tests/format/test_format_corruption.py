"""Corrupted, truncated and hostile .pml files are rejected with the C
runtime's message (through Session, i.e. the real loader), and the Python
reader agrees with it. Never a crash."""
from __future__ import annotations

import random
import struct

import numpy as np
import pytest

from pocketml import ir
from pocketml.errors import ModelLoadError, RuntimeFailure
from pocketml.format import fix_checksum, read_pml, verify_header, write_pml
from pocketml.runtime import LoadedModel, Session

from . import make_c_fixtures as fx
from pocketml.shape_inference import infer_shapes


def big_graph() -> ir.Graph:
    """~70 KB: constants large enough that truncation points land in the weights."""
    g = ir.Graph("big")
    g.add_value("x", "float32", (64, 64))
    g.inputs = ["x"]
    rng = np.random.default_rng(3)
    prev = "x"
    for i in range(4):
        w = g.add_const(rng.standard_normal((64, 64)).astype(np.float32), f"w{i}")
        g.add_node("Mul" if i % 2 else "Add", [prev, w], [f"h{i}"], name=f"n{i}")
        prev = f"h{i}"
    g.outputs = [prev]
    infer_shapes(g)
    return g


@pytest.fixture(scope="module")
def small() -> bytes:
    return write_pml(fx.add_relu_graph())


@pytest.fixture(scope="module")
def big() -> bytes:
    return write_pml(big_graph())


def load_error(data: bytes) -> str:
    with pytest.raises(ModelLoadError) as e:
        Session(data)
    return str(e.value)


def test_valid_files_load(small, big):
    for data in (small, big):
        with Session(data) as s:
            assert s.arena_size > 0


def test_truncation_every_byte(small):
    for n in range(len(small)):
        msg = load_error(small[:n])
        assert "file truncated" in msg, (n, msg)
        with pytest.raises(ModelLoadError, match="file truncated"):
            read_pml(small[:n])


def test_truncation_300_points(big):
    assert len(big) > 60000
    points = sorted(set(np.linspace(0, len(big) - 1, 300).astype(int).tolist()))
    for n in points:
        assert f"header says {len(big)} bytes, got {n}" in load_error(big[:n]) or n < 64


def test_random_byte_flips(big):
    rng = random.Random(11)
    h = verify_header(big)
    regions = {"header": (0, 60), "graph": (64, 64 + h.graph_size), "weights": (h.weights_offset, len(big))}
    for region, (lo, hi) in regions.items():
        for _ in range(100):
            pos = rng.randrange(lo, hi)
            data = bytearray(big)
            data[pos] ^= 1 << rng.randrange(8)
            msg = load_error(bytes(data))
            with pytest.raises(ModelLoadError):
                read_pml(bytes(data))
            if pos >= 16:  # before that a flip hits the magic, version or header size
                assert "checksum mismatch: file is corrupted" in msg or "header" in msg, (region, pos, msg)


def test_hostile_mutations_with_valid_checksum(small):
    """Mutated FlatBuffers with a recomputed checksum: an error or a working model, never a crash."""
    rng = random.Random(5)
    graph_end = 64 + verify_header(small).graph_size
    outcomes = {"rejected": 0, "ran": 0, "session failed": 0}
    for _ in range(3000):
        data = bytearray(small)
        for _ in range(rng.randint(1, 3)):
            pos = rng.randrange(64, graph_end - 4)
            if rng.random() < 0.5:
                data[pos] = rng.randrange(256)
            else:
                struct.pack_into("<I", data, pos, rng.choice([0, 1, 4, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 9999]))
        data = fix_checksum(data)
        try:
            model = LoadedModel(data)
        except ModelLoadError as e:
            assert str(e)
            outcomes["rejected"] += 1
            continue
        try:
            with Session(model) as s:
                feeds = {t.name: np.zeros(t.shape, t.dtype) for t in s.inputs
                         if t.is_static and t.nbytes < 1 << 20}
                if len(feeds) == len(s.inputs):
                    s.run(feeds)
                outcomes["ran"] += 1
        except RuntimeFailure as e:
            assert str(e)
            outcomes["session failed"] += 1
        model.close()
    assert outcomes["rejected"] > 1000 and outcomes["ran"] > 0, outcomes


@pytest.mark.parametrize("case", fx.invalid_cases(), ids=lambda c: c[0])
def test_invalid_graphs(case):
    name, stage, status, message, data = case
    if stage == "load":
        msg = load_error(data)
    else:
        model = LoadedModel(data)
        with pytest.raises(RuntimeFailure) as e:
            Session(model)
        msg = str(e.value)
    assert message in msg and f"[{status}]" in msg, msg


@pytest.mark.parametrize("offset, width, value", [
    (8, 4, 2), (8, 4, 0), (12, 4, 32), (16, 8, 10**9), (56, 4, 2), (56, 4, 3), (24, 8, 128), (32, 8, 0), (40, 8, 65),
    (48, 8, 1),
])
def test_python_and_c_agree_on_headers(small, offset, width, value):
    data = bytearray(small)
    data[offset:offset + width] = value.to_bytes(width, "little")
    data = fix_checksum(data)
    with pytest.raises(ModelLoadError) as py:
        verify_header(data)
    assert str(py.value).replace("this reader", "this runtime") in load_error(data)


# The verifier checks mutation testing found unguarded: a constant's buffer that starts inside the
# weights section and runs past its end, and a FlatBuffers vector whose length runs past the graph
# section. The C loader's words (test_invalid_graphs above, and test_loader.c from the same
# fixtures) and the Python reader's must both be the verifier's error.
BOUNDS_CASES = ["invalid_buffer_straddles_end.pml", "invalid_vector_past_section.pml", "invalid_buffer_outside.pml"]


@pytest.mark.parametrize("case", [c for c in fx.invalid_cases() if c[0] in BOUNDS_CASES], ids=lambda c: c[0])
def test_python_reader_rejects_out_of_bounds_buffers_and_vectors(case):
    name, _, _, message, data = case
    with pytest.raises(ModelLoadError) as py:
        read_pml(data)
    assert message in str(py.value), str(py.value)
    assert message in load_error(data)


def test_out_of_bounds_fixtures_are_otherwise_valid():
    """Each fixture breaks only its bound: the checksum is valid, and with the bound repaired the
    file loads (so the error can only come from the check under test)."""
    cases = {c[0]: c[4] for c in fx.invalid_cases()}
    straddle = cases["invalid_buffer_straddles_end.pml"]
    assert verify_header(straddle).weights_size == 8
    rec, weights = fx._records()
    assert len(weights) == 12  # the full buffer: the same file with its 12 bytes loads
    Session(fx.pack_file(fx.build_flatbuffer(rec), weights)).close()
    vec = bytearray(cases["invalid_vector_past_section.pml"])
    at, _, _ = fx._vector_past_section(1 << 16)
    struct.pack_into("<I", vec, 64 + at, 2)  # the vector's real length back
    Session(fix_checksum(vec)).close()
    verify_header(cases["invalid_vector_past_section.pml"])  # checksum valid as made
