"""Quantization parameters in the .pml format: written from Value.quant, read back equal (Python
reader and Model.load), invalid ones refused by the writer and the reader with the tensor named,
and files without them unchanged."""
from __future__ import annotations

import numpy as np
import pytest

from pocketml import ir
from pocketml.errors import ConversionError, ModelLoadError
from pocketml.format import read_pml, write_pml
from pocketml.format.header import pack_file
from pocketml.format.records import QuantRecord, build_flatbuffer
from pocketml.format.writer import graph_to_records
from pocketml.model import Model
from pocketml.quant_params import QuantParams

Q_X = QuantParams(0.0625, -3)
Q_W = QuantParams([0.5, 0.25, 0.125], [1, 0, -1], axis=0)


def quant_graph() -> ir.Graph:
    """int8 input -> Reshape -> output (per tensor); a per-channel int8 constant -> Identity -> output."""
    g = ir.Graph("q")
    g.add_value("x", "int8", (1, 4), quant=Q_X)
    g.add_value("y", "int8", (2, 2), quant=Q_X)
    g.add_value("w", const=np.arange(6, dtype=np.int8).reshape(3, 2), quant=Q_W)
    g.add_value("w_out", "int8", (3, 2), quant=Q_W)
    g.add_value("b", const=np.array([7, -7, 0], np.int32), quant=QuantParams([0.03125, 0.015625, 0.0078125], 0, 0))
    g.add_value("b_out", "int32", (3,), quant=g.values["b"].quant)
    g.add_value("f", "float32", (1, 4))
    g.inputs = ["x"]
    g.add_node("Reshape", ["x"], ["y"], {"shape": [2, 2]}, name="r")
    g.add_node("Identity", ["w"], ["w_out"], name="i")
    g.add_node("Identity", ["b"], ["b_out"], name="ib")
    g.outputs = ["y", "w_out", "b_out"]
    return g


def test_round_trip_keeps_parameters(tmp_path):
    data = write_pml(quant_graph())
    back, _ = read_pml(data)
    assert back.values["x"].quant == Q_X and back.values["y"].quant == Q_X
    assert back.values["w"].quant == Q_W and back.values["w"].quant.axis == 0
    assert back.values["b"].quant.scale.tolist() == [0.03125, 0.015625, 0.0078125]
    path = tmp_path / "q.pml"
    path.write_bytes(data)
    assert Model.load(path).graph.values["w_out"].quant == Q_W


def test_unquantized_tensors_write_no_table():
    rec, _ = graph_to_records(quant_graph())
    assert {t.name: t.quant is not None for t in rec.tensors}["x"]
    g = quant_graph()
    for v in g.values.values():
        v.quant = None
    rec, _ = graph_to_records(g)
    assert all(t.quant is None for t in rec.tensors)
    back, _ = read_pml(write_pml(g))
    assert all(v.quant is None for v in back.values.values())


@pytest.mark.parametrize("value,quant,message", [
    ("f", QuantParams(0.5, 0), "dtype float32 cannot carry"),
    ("x", QuantParams(0.5, 200), "zero_point\\[0\\] is 200, outside int8's range"),
    ("w", QuantParams([0.5, 0.5], 0, 0), "2 scales along axis 0, whose dim is 3"),
    ("b", QuantParams(0.5, 3), "zero_point\\[0\\] is 3, outside int32's range \\[0, 0\\]"),
])
def test_writer_refuses_invalid_parameters(value, quant, message):
    g = quant_graph()
    g.values[value].quant = quant
    if value == "f":
        g.add_node("Identity", ["x"], ["f"], name="bad")
        g.outputs.append("f")
    with pytest.raises(ConversionError, match=f"value '{value}': invalid quantization parameters: {message}"):
        write_pml(g)


def _tampered(**fields) -> bytes:
    rec, weights = graph_to_records(quant_graph())
    t = next(t for t in rec.tensors if t.name == "w")
    t.quant = QuantRecord(**{"scale": [0.5, 0.25, 0.125], "zero_point": [1, 0, -1], "axis": 0, **fields})
    return pack_file(build_flatbuffer(rec), weights)


@pytest.mark.parametrize("fields,message", [
    ({"axis": 2}, "quantization axis 2 is out of range for rank 2"),
    ({"axis": -1}, "quantization axis -1 is out of range"),
    ({"scale": [0.5, 0.25]}, "2 scales and 3 zero points"),
    ({"scale": [0.5, 0.0, 0.125]}, "scale\\[1\\] is 0.0"),
    ({"scale": [0.5, float("nan"), 0.125]}, "scale\\[1\\] is nan"),
    ({"scale": [0.5, float("inf"), 0.125]}, "scale\\[1\\] is inf"),
    ({"zero_point": [1, 128, -1]}, "zero_point\\[1\\] is 128"),
    ({"scale": [0.5, 0.25], "zero_point": [0, 0], "axis": 1}, "2 scales along axis 1, whose dim is 2"),
    ({"scale": [], "zero_point": []}, "0 scales and 0 zero points"),
])
def test_reader_refuses_invalid_parameters(fields, message):
    if "whose dim is 2" in message:  # w is [3, 2]: 2 scales along axis 1 fit, so make them 3
        fields = {"scale": [0.5, 0.25, 0.1], "zero_point": [0, 0, 0], "axis": 1}
        message = "3 scales along axis 1, whose dim is 2"
    with pytest.raises(ModelLoadError, match=f"tensor 2 \\('w'\\): .*{message}"):
        read_pml(_tampered(**fields))
