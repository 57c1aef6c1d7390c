"""The inlined FlatBuffer encoder (format/fbwrite.py) writes exactly the bytes of the
flatbuffers builder driven by the generated code (the encoder it replaced, kept here
as the oracle): defaults left out, alignment padding, shared vtables, buffer growth."""
from __future__ import annotations

import flatbuffers
import struct

import numpy as np
import pytest

from pocketml.format import records
from pocketml.format._generated import Attribute as fb_attr
from pocketml.format._generated import Buffer as fb_buffer
from pocketml.format._generated import Graph as fb_graph
from pocketml.format._generated import MetadataEntry as fb_meta
from pocketml.format._generated import Model as fb_model
from pocketml.format._generated import Node as fb_node
from pocketml.format._generated import Quantization as fb_quant
from pocketml.format._generated import Tensor as fb_tensor
from pocketml.format._generated.AttrType import AttrType
from pocketml.format.records import AttrRecord, BufferRecord, ModelRecord, NodeRecord, QuantRecord, TensorRecord


# ---- the oracle: the generated builder code, one call per field ---------------------------
def _vec(b, values, dtype):
    return b.CreateNumpyVector(np.asarray(list(values), dtype=dtype))


def _offs(b, start, offs):
    start(b, len(offs))
    for off in reversed(offs):
        b.PrependUOffsetTRelative(off)
    return b.EndVector()


def _attr(b, a):
    name = b.CreateString(a.name)
    payload = None
    if a.type == AttrType.INTS:
        payload = _vec(b, a.value, "<i8")
    elif a.type == AttrType.FLOATS:
        payload = _vec(b, a.value, "<f4")
    elif a.type == AttrType.STRING:
        payload = b.CreateString(a.value)
    fb_attr.Start(b)
    fb_attr.AddName(b, name)
    fb_attr.AddType(b, a.type)
    if a.type == AttrType.INT:
        fb_attr.AddI(b, int(a.value))
    elif a.type == AttrType.FLOAT:
        fb_attr.AddF(b, float(a.value))
    elif a.type == AttrType.INTS:
        fb_attr.AddInts(b, payload)
    elif a.type == AttrType.FLOATS:
        fb_attr.AddFloats(b, payload)
    elif a.type == AttrType.STRING:
        fb_attr.AddS(b, payload)
    return fb_attr.End(b)


def _quant(b, q):
    scale, zero_point = _vec(b, q.scale, "<f4"), _vec(b, q.zero_point, "<i8")
    fb_quant.Start(b)
    fb_quant.AddAxis(b, q.axis)
    fb_quant.AddScale(b, scale)
    fb_quant.AddZeroPoint(b, zero_point)
    return fb_quant.End(b)


def _tensor(b, t):
    quant = _quant(b, t.quant) if t.quant is not None else None
    name = b.CreateString(t.name)
    shape = _vec(b, t.shape, "<i8")
    dim_names = None
    if t.dim_names:
        dim_names = _offs(b, fb_tensor.StartDimNamesVector, [b.CreateString(n) for n in t.dim_names])
    fb_tensor.Start(b)
    fb_tensor.AddName(b, name)
    fb_tensor.AddDtype(b, t.dtype)
    fb_tensor.AddShape(b, shape)
    if dim_names is not None:
        fb_tensor.AddDimNames(b, dim_names)
    fb_tensor.AddBuffer(b, t.buffer)
    if quant is not None:
        fb_tensor.AddQuantization(b, quant)
    return fb_tensor.End(b)


def _node(b, n):
    name = b.CreateString(n.name)
    inputs = _vec(b, n.inputs, "<i4")
    outputs = _vec(b, n.outputs, "<i4")
    attrs = _offs(b, fb_node.StartAttrsVector, [_attr(b, a) for a in n.attrs])
    fb_node.Start(b)
    fb_node.AddName(b, name)
    fb_node.AddOp(b, n.op)
    fb_node.AddInputs(b, inputs)
    fb_node.AddOutputs(b, outputs)
    fb_node.AddAttrs(b, attrs)
    return fb_node.End(b)


def reference_flatbuffer(rec: ModelRecord) -> bytes:
    b = flatbuffers.Builder(64)  # small: growth happens many times
    tensors = _offs(b, fb_graph.StartTensorsVector, [_tensor(b, t) for t in rec.tensors])
    nodes = _offs(b, fb_graph.StartNodesVector, [_node(b, n) for n in rec.nodes])
    inputs = _vec(b, rec.inputs, "<i4")
    outputs = _vec(b, rec.outputs, "<i4")
    gname = b.CreateString(rec.graph_name)
    fb_graph.Start(b)
    fb_graph.AddName(b, gname)
    fb_graph.AddTensors(b, tensors)
    fb_graph.AddNodes(b, nodes)
    fb_graph.AddInputs(b, inputs)
    fb_graph.AddOutputs(b, outputs)
    graph = fb_graph.End(b)
    buffers = []
    for buf in rec.buffers:
        fb_buffer.Start(b)
        fb_buffer.AddOffset(b, buf.offset)
        fb_buffer.AddSize(b, buf.size)
        buffers.append(fb_buffer.End(b))
    buffers = _offs(b, fb_model.StartBuffersVector, buffers)
    entries = []
    for key, value in rec.metadata.items():
        k, v = b.CreateString(key), b.CreateString(value)
        fb_meta.Start(b)
        fb_meta.AddKey(b, k)
        fb_meta.AddValue(b, v)
        entries.append(fb_meta.End(b))
    metadata = _offs(b, fb_model.StartMetadataVector, entries)
    producer = b.CreateString(rec.producer)
    fb_model.Start(b)
    fb_model.AddFormatVersion(b, rec.format_version)
    fb_model.AddProducer(b, producer)
    fb_model.AddGraph(b, graph)
    fb_model.AddBuffers(b, buffers)
    fb_model.AddMetadata(b, metadata)
    b.Finish(fb_model.End(b), file_identifier=records.FILE_IDENTIFIER)
    return bytes(b.Output())


def _record(seed: int) -> ModelRecord:
    rng = np.random.default_rng(seed)
    tensors = []
    for k in range(int(rng.integers(1, 40))):
        rank = int(rng.integers(0, 5))
        dim_names = [f"d{j}" * int(rng.integers(1, 4)) for j in range(rank)] if rng.random() < 0.2 else None
        count = int(rng.integers(1, 5))
        quant = QuantRecord([float(s) for s in rng.uniform(0, 1, count).astype(np.float32)],
                            [int(z) for z in rng.integers(-200, 200, count)],
                            int(rng.integers(-1, 3))) if rng.random() < 0.3 else None
        tensors.append(TensorRecord("t" * int(rng.integers(0, 9)) + str(k), int(rng.integers(0, 12)),
                                    [int(d) for d in rng.integers(-1, 300, rank)], dim_names,
                                    int(rng.integers(-1, 5)), quant))
    kinds = [(AttrType.INT, lambda: int(rng.integers(-3, 3)) * 10 ** int(rng.integers(0, 12))),
             (AttrType.FLOAT, lambda: float(rng.choice([0.0, -0.0, 1.5, 1e-7, np.nan, -3.25]))),
             (AttrType.INTS, lambda: [int(v) for v in rng.integers(-9, 9, int(rng.integers(0, 6)))]),
             (AttrType.FLOATS, lambda: [float(v) for v in rng.random(int(rng.integers(0, 5)))]),
             (AttrType.STRING, lambda: "s" * int(rng.integers(0, 7)))]
    nodes = []
    for k in range(int(rng.integers(0, 30))):
        attrs = []
        for j in range(int(rng.integers(0, 5))):
            t, make = kinds[int(rng.integers(0, len(kinds)))]
            attrs.append(AttrRecord("a" * int(rng.integers(1, 6)) + str(j), t, make()))
        nodes.append(NodeRecord(f"n{k}" * int(rng.integers(0, 3)), int(rng.integers(0, 90)),
                                [int(v) for v in rng.integers(-1, 40, int(rng.integers(0, 4)))],
                                [int(v) for v in rng.integers(0, 40, int(rng.integers(0, 3)))], attrs))
    buffers = [BufferRecord(int(rng.integers(0, 3)) * 64 * k, int(rng.integers(0, 2)) * (k + 1)) for k in range(5)]
    metadata = {f"k{j}": "v" * j for j in range(int(rng.integers(0, 3)))}
    return ModelRecord(tensors, nodes, [0], [len(tensors) - 1], buffers, metadata, "g" * int(rng.integers(0, 5)))


@pytest.mark.parametrize("seed", range(40))
def test_same_bytes_as_the_generated_builder(seed):
    rec = _record(seed)
    assert records.build_flatbuffer(rec) == reference_flatbuffer(rec)


def test_same_bytes_for_repeated_attribute_sets(monkeypatch):
    """Repeated attribute sets are replayed (records._encode_attrs): still the builder's bytes at
    every alignment (names of every length before them), vtables first written among them or
    before, -0.0 and 0.0 told apart."""
    replayed = []
    real = records.fbwrite.replay
    monkeypatch.setattr(records.fbwrite, "replay", lambda *a: replayed.append(1) or real(*a))
    sets = [[AttrRecord("kernel_shape", AttrType.INTS, [3, 3]), AttrRecord("group", AttrType.INT, 1),
             AttrRecord("alpha", AttrType.FLOAT, 0.5), AttrRecord("mode", AttrType.STRING, "same")],
            [AttrRecord("scales", AttrType.FLOATS, [0.0, 2.0])], [AttrRecord("scales", AttrType.FLOATS, [-0.0, 2.0])],
            [AttrRecord("alpha", AttrType.FLOAT, -0.0)], [AttrRecord("alpha", AttrType.FLOAT, 0.0)], []]
    nodes = [NodeRecord("n" * (k % 11), k % 7, [0] * (k % 3), [1], sets[k % len(sets)]) for k in range(90)]
    rec = ModelRecord([TensorRecord("x", 1, [1]), TensorRecord("y", 1, [1])], nodes, [0], [1])
    assert records.build_flatbuffer(rec) == reference_flatbuffer(rec)
    assert replayed


def test_same_bytes_for_attribute_sets_sharing_attributes():
    """A set met for the first time replays the attributes it shares with sets met before
    (records._encode_attr_replayed): still the builder's bytes, whatever the mix and alignment."""
    import random

    pool = [AttrRecord("group", AttrType.INT, 1), AttrRecord("group", AttrType.INT, 2),
            AttrRecord("dilations", AttrType.INTS, [1, 1]), AttrRecord("pads", AttrType.INTS, [0, 0, 1, 1]),
            AttrRecord("alpha", AttrType.FLOAT, -0.0), AttrRecord("alpha", AttrType.FLOAT, 0.0),
            AttrRecord("scales", AttrType.FLOATS, [0.5]), AttrRecord("mode", AttrType.STRING, "linear"),
            AttrRecord("axis", AttrType.INT, 0), AttrRecord("body", AttrType.GRAPH, 0)]
    rng = random.Random(3)
    nodes = [NodeRecord("n" * rng.randrange(9), 1, [0] * rng.randrange(3), [1], rng.sample(pool, rng.randrange(6)))
             for _ in range(200)]
    rec = ModelRecord([TensorRecord("x", 1, [1]), TensorRecord("y", 1, [1])], nodes, [0], [1])
    assert records.build_flatbuffer(rec) == reference_flatbuffer(rec)


def test_same_bytes_for_names_and_index_lists_at_every_alignment():
    """Names of every length mod 8 before shapes and index lists of every length
    (fbwrite.string_and_int64_vector, string_and_int32_vectors place them with one struct), and an
    index beyond int32 still refused as before."""
    tensors = [TensorRecord("t" * (k % 12), 1 + k % 3, list(range(k % 5)), None, k % 3 - 1) for k in range(60)]
    nodes = [NodeRecord("n" * (k % 11), k % 5, list(range(k % 4)), list(range(k % 3)), []) for k in range(60)]
    rec = ModelRecord(tensors, nodes, [0], [1])
    assert records.build_flatbuffer(rec) == reference_flatbuffer(rec)
    with pytest.raises((OverflowError, struct.error)):
        records.build_flatbuffer(ModelRecord(tensors[:2], [NodeRecord("n", 1, [2**31], [0], [])], [0], [1]))


def test_same_bytes_for_an_empty_model():
    rec = ModelRecord([], [], [], [])
    assert records.build_flatbuffer(rec) == reference_flatbuffer(rec)


def test_round_trip_of_the_random_records():
    rec = _record(7)
    back = records.parse_flatbuffer(records.build_flatbuffer(rec))
    assert [(t.name, t.dtype, t.shape, t.buffer) for t in back.tensors] == \
        [(t.name, t.dtype, t.shape, t.buffer) for t in rec.tensors]
    assert [(n.name, n.op, n.inputs, n.outputs) for n in back.nodes] == \
        [(n.name, n.op, n.inputs, n.outputs) for n in rec.nodes]
