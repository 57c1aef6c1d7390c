"""The .pml writer and reader: round trips of IR graphs, file layout
(header fields, 64-aligned weights, checksum), attribute typing from the op
registry, writer errors, and freshness of the generated code and C fixtures."""
from __future__ import annotations

import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest

from pocketml import dtypes, ir, ops
from pocketml.errors import ConversionError, ModelLoadError
from pocketml.format import HEADER_SIZE, checksum, read_pml, verify_header, write_pml
from pocketml.format.header import pack_file
from pocketml.format.records import AttrRecord, NodeRecord, TensorRecord, ModelRecord, build_flatbuffer, parse_flatbuffer
from pocketml.format.reader import read_records
from pocketml.format.writer import CHUNK, graph_to_records, save_pml

from . import make_c_fixtures as fx


def assert_same_graph(a: ir.Graph, b: ir.Graph) -> None:
    assert a.name == b.name
    assert a.inputs == b.inputs and a.outputs == b.outputs
    used = set(a.inputs) | set(a.outputs) | {n for node in a.nodes for n in node.inputs + node.outputs if n}
    assert set(b.values) == used
    for name in used:
        va, vb = a.values[name], b.values[name]
        assert (va.dtype, tuple(va.shape)) == (vb.dtype, tuple(vb.shape)), name
        assert va.is_const == vb.is_const, name
        if va.is_const:
            assert vb.const.dtype == va.const.dtype and np.array_equal(vb.const, va.const), name
    assert len(a.nodes) == len(b.nodes)
    for na, nb in zip(a.nodes, b.nodes):
        assert (na.op, na.name, na.inputs, na.outputs) == (nb.op, nb.name, nb.inputs, nb.outputs)
        want = ops.get(na.op).attrs_of(na)  # the writer fills in every default
        assert set(nb.attrs) == set(want)
        for k, v in want.items():
            np.testing.assert_allclose(np.asarray(nb.attrs[k], np.float64), np.asarray(v, np.float32), rtol=1e-7)


def conv_graph() -> ir.Graph:
    """Ops with ints/floats/float attributes (not runnable today, but writable)."""
    g = ir.Graph("convnet")
    g.add_value("img", "float32", (1, 8, 8, 3))
    g.inputs = ["img"]
    g.add_value("w", const=np.random.default_rng(0).standard_normal((4, 3, 3, 3)).astype(np.float32))
    g.add_node("Conv", ["img", "w", ""], ["c"], {"strides": [2, 2], "pads": [1, 1, 1, 1], "act": 2,
                                                  "act_alpha": 0.0, "act_beta": 6.0}, name="conv")
    g.add_node("LeakyRelu", ["c"], ["l"], {"alpha": 0.1}, name="leaky")
    g.add_node("Clip", ["l"], ["y"], name="clip")  # +-inf defaults
    g.outputs = ["y"]
    for n, (dt, shape) in {"c": ("float32", (1, 4, 4, 4)), "l": ("float32", (1, 4, 4, 4)),
                           "y": ("float32", (1, 4, 4, 4))}.items():
        g.values[n].dtype, g.values[n].shape = dt, shape
    return g


@pytest.mark.parametrize("make", [fx.add_relu_graph, fx.chain_graph, conv_graph])
def test_round_trip(make, tmp_path):
    g = make()
    path = tmp_path / "m.pml"
    data = write_pml(g, path, metadata={"source": "test", "unicode": "é✓"})
    assert path.read_bytes() == data
    for source in (path, str(path), data, bytearray(data), memoryview(data)):
        g2, meta = read_pml(source)
        assert meta == {"source": "test", "unicode": "é✓"}
        assert_same_graph(g, g2)
    # deterministic: the same graph gives the same bytes
    assert write_pml(make(), metadata={"source": "test", "unicode": "é✓"}) == data


@pytest.mark.parametrize("system", ["writev", "short_writev", "no_writev"])
def test_save_streams_the_same_bytes_for_views(tmp_path, monkeypatch, system):
    """Constants may be views (transposed, broadcast fillers): save_pml streams them in
    chunks and must write exactly write_pml's bytes, with the values of the materialised arrays,
    whether the system's writev writes everything asked, stops short (resumed mid-piece) or is
    missing (Windows: piece by piece)."""
    import os
    if system == "short_writev" and hasattr(os, "writev"):
        writev = os.writev
        monkeypatch.setattr(os, "writev", lambda fd, views: writev(fd, [bytes(b"".join(views)[:1000])]))
    elif system == "no_writev":
        monkeypatch.delattr(os, "writev", raising=False)
    g = ir.Graph("views")
    g.add_value("x", "float32", (3, CHUNK // 12 + 5))
    g.inputs = ["x"]
    rng = np.random.default_rng(0)
    consts = {"t": rng.standard_normal((CHUNK // 12 + 5, 3)).astype(np.float32).T,  # transposed, > 1 chunk
              "b": np.broadcast_to(np.float32(0.02), (3, CHUNK // 12 + 5)),  # zero strides
              # more fillers: each written with its own value (blocks are made per value, by its bytes)
              "n": np.broadcast_to(np.float32(-0.0), (3, CHUNK // 12 + 5)),
              "z": np.broadcast_to(np.float32(0.0), (3, 1)),
              "e": np.arange(CHUNK // 12 + 5, dtype=">f4")}  # big-endian data, stored native
    prev = "x"
    for k, (name, c) in enumerate(consts.items()):
        g.add_value(name, const=c.astype(c.dtype.newbyteorder("=")) if name == "e" else c)
        g.add_node("Add", [prev, name], [f"y{k}"], name=f"add{k}")
        prev = f"y{k}"
    g.outputs = [prev]
    from pocketml.shape_inference import infer_shapes
    infer_shapes(g)
    data = write_pml(g)
    path = tmp_path / "v.pml"
    assert save_pml(g, path) == len(data)
    assert path.read_bytes() == data
    g2, _ = read_pml(data)
    for name, c in consts.items():
        np.testing.assert_array_equal(g2.values[name].const, np.asarray(c, np.float32))
        np.testing.assert_array_equal(np.signbit(g2.values[name].const), np.signbit(np.asarray(c, np.float32)))


def test_layout_and_alignment():
    g = fx.chain_graph()
    data = write_pml(g)
    h = verify_header(data)
    assert data[:8] == b"POCKETML" and h.format_version == 1 and h.header_size == HEADER_SIZE
    assert h.file_size == len(data) and h.graph_offset == 64 and h.weights_offset % 64 == 0
    assert h.weights_offset >= 64 + h.graph_size and h.weights_offset + h.weights_size == len(data)
    assert data[68:72] == b"PMLG"
    assert struct.unpack_from("<I", data, 60)[0] == checksum(data)
    _, record, weights = read_records(data)
    consts = [t for t in record.tensors if t.buffer >= 0]
    assert len(consts) == 3 and len(record.buffers) == 3
    for b in record.buffers:
        assert b.offset % 64 == 0 and b.offset + b.size <= len(weights)
    assert not any(data[64 + h.graph_size:h.weights_offset])  # zero padding


def test_checksum_crc_is_zlibs():
    """The file checksum is zlib's CRC-32 (docs/format.md) whichever implementation header.crc32 is
    (ISA-L's when the "fast" extra is installed), fed bytes, numpy chunks and memoryviews in pieces."""
    import zlib

    from pocketml.format.header import crc32
    data = np.random.default_rng(0).integers(0, 256, 3 * CHUNK + 17, dtype=np.uint8)
    crc = crc32(b"POCKETML")
    for k in range(0, data.size, 1 << 20):
        crc = crc32(data[k:k + (1 << 20)], crc)
    assert crc == zlib.crc32(memoryview(data), zlib.crc32(b"POCKETML"))
    assert crc32(memoryview(data.tobytes())[5:]) == zlib.crc32(data.tobytes()[5:])


@pytest.mark.parametrize("dtype", [d.name for d in dtypes.ALL])
def test_constant_dtypes(dtype):
    g = ir.Graph()
    g.add_value("x", dtype, (2, 2))
    g.inputs = ["x"]
    rng = np.random.default_rng(1)
    c = (rng.standard_normal((2, 2)) * 50).astype(dtype)
    g.add_value("c", const=c)
    g.add_value("e", const=np.zeros((0, 3), dtype))  # empty constant
    g.add_node("Identity", ["x"], ["y"], name="id")
    g.add_node("Concat", ["c", "e"], ["z"], {"axis": 0}, name="cat")
    g.values["y"].dtype, g.values["y"].shape = dtype, (2, 2)
    g.values["z"].dtype, g.values["z"].shape = dtype, (2, 2)
    g.outputs = ["y", "z"]
    g2, _ = read_pml(write_pml(g))
    assert g2.values["c"].const.dtype == np.dtype(dtype) and np.array_equal(g2.values["c"].const, c)
    assert g2.values["e"].const.shape == (0, 3)


def test_symbolic_dims():
    g = fx.add_relu_graph()
    g.values["x"].shape = ("batch", 3)
    g2, _ = read_pml(write_pml(g))  # symbolic dims are written as -1 with their names
    assert g2.values["x"].shape == ("batch", 3)
    with pytest.raises(ConversionError, match="'x' has shape \\['batch', 3\\] with symbolic dims"):
        write_pml(g, allow_symbolic=False)
    g.values["bias"].shape = ("n",)
    with pytest.raises(ConversionError, match="constant .bias."):
        write_pml(g)


def _graph_with(op, attrs, inputs=("x",)):
    g = ir.Graph()
    g.add_value("x", "float32", (2, 3))
    g.inputs = ["x"]
    g.add_node(op, list(inputs), ["y"], attrs, name="n")
    g.values["y"].dtype, g.values["y"].shape = "float32", (2, 3)
    g.outputs = ["y"]
    return g


@pytest.mark.parametrize("graph, message", [
    (lambda: _graph_with("NoSuchOp", {}), "node 'n' \\(NoSuchOp\\): op 'NoSuchOp' is not in the pocketml op registry"),
    (lambda: _graph_with("Abs", {"alpha": 1.0}), "unknown attribute\\(s\\) \\['alpha'\\]; Abs has no attributes"),
    (lambda: _graph_with("Transpose", {}), "required attribute 'perm' \\(ints\\) is missing"),
    (lambda: _graph_with("Transpose", {"perm": "01"}), "attribute 'perm' must be a list"),
    (lambda: _graph_with("Transpose", {"perm": [0.5, 1]}), "'perm' must be a list of integers"),
    (lambda: _graph_with("LeakyRelu", {"alpha": "big"}), "attribute 'alpha' must be a number"),
    (lambda: _graph_with("Softmax", {"axis": 1.5}), "attribute 'axis' must be an integer"),
    (lambda: _graph_with("Add", {}, ("x", "nowhere")), "refers to value 'nowhere', which the graph does not define"),
])
def test_writer_errors(graph, message):
    with pytest.raises(ConversionError, match=message):
        write_pml(graph())


def test_trailing_unnamed_outputs_are_dropped():
    g = _graph_with("Relu", {})
    g.nodes[0].outputs = ["y", ""]
    g2, _ = read_pml(write_pml(g))
    assert g2.nodes[0].outputs == ["y"]
    g.nodes[0].outputs = ["", "y"]
    with pytest.raises(ConversionError, match="output 0 is unnamed but a later one is used"):
        write_pml(g)


def test_writer_needs_dtype_and_shape():
    g = _graph_with("Relu", {})
    g.values["y"].shape = None
    with pytest.raises(ConversionError, match="value 'y' has no shape: run shape inference"):
        write_pml(g)
    g.values["y"].shape, g.values["y"].dtype = (2, 3), None
    with pytest.raises(ConversionError, match="value 'y' has no dtype"):
        write_pml(g)
    with pytest.raises(ConversionError, match="metadata must map str to str"):
        write_pml(_graph_with("Relu", {}), metadata={"k": 1})


def test_records_string_attribute_and_defaults():
    """String attributes (no registry op uses one yet) and absent fields encode/decode."""
    rec = ModelRecord([TensorRecord("x", 1, [1]), TensorRecord("y", 1, [1])],
                      [NodeRecord("n", 36, [0], [1], [AttrRecord("s", 5, "hello"), AttrRecord("e", 3, []),
                                                      AttrRecord("i", 1, -7), AttrRecord("f", 2, 0.0)])], [0], [1])
    back = parse_flatbuffer(build_flatbuffer(rec))
    assert back.nodes[0].attrs == rec.nodes[0].attrs
    assert back.tensors == rec.tensors and back.inputs == [0] and back.outputs == [1]


def test_reader_rejects_bad_graph_section():
    g = fx.add_relu_graph()
    rec, weights = graph_to_records(g)
    rec.nodes[0].op = 999
    with pytest.raises(ModelLoadError, match="op code 999 is not in the op registry"):
        read_pml(pack_file(build_flatbuffer(rec), weights))
    with pytest.raises(ModelLoadError, match="file identifier"):
        read_pml(pack_file(b"\0" * 16, b""))
    with pytest.raises(ModelLoadError, match="cannot read model file"):
        read_pml("/nonexistent/model.pml")


@pytest.mark.skipif(shutil.which("flatc") is None, reason="flatc (flatbuffers-compiler) not installed")
def test_generated_code_is_fresh():
    r = subprocess.run([sys.executable, "-m", "pocketml.format.regen", "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_c_fixtures_are_fresh():
    assert fx.main(["--check"]) == 0, "run python tests/format/make_c_fixtures.py"
