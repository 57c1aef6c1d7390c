"""Conversion stays within bounded resources: sizes computed from a file's data are checked
before anything of that size is built, and constant folding has a per-tensor limit
(max_fold_bytes, default 64 MiB) beyond which a node is left to run time (its inputs constants)
or the model is refused with the reason and how to raise the limit."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import pocketml
from pocketml.errors import ConversionError
from pocketml.ops import limits
from pocketml.runtime import Session
from tests.converters import crafted

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def ops_of(model) -> list:
    """Op names of a Model's or an ir.Graph's nodes."""
    return [n.op for n in getattr(model, "graph", model).nodes]


def test_constant_of_shape_2_40_is_left_to_run_time():
    """Over both limits (max_fold_bytes and limits.MIN_FILL_BYTES for fills): the node stays, its shape a constant."""
    model = pocketml.convert(crafted.constant_of_shape_2_40())
    assert ops_of(model) == ["ConstantOfShape"]
    node = model.graph.nodes[0]
    assert model.graph.values[node.inputs[0]].const.tolist() == [1 << 20, 1 << 20]


def test_a_loop_folds_only_with_a_small_constant_trip_count():
    assert "Loop" in ops_of(pocketml.convert(crafted.loop_10_12()))
    small = crafted.loop_10_12()
    small.graph.initializer[0].CopyFrom(numpy_helper.from_array(np.array(3, np.int64), "m"))
    model = pocketml.convert(small)
    assert "Loop" not in ops_of(model)
    (const,) = [v.const for v in model.graph.values.values() if v.const is not None and v.const.dtype == np.float32]
    assert const.tolist() == [3.0]  # 0 + 1 three times


def test_shape_of_a_huge_input_folds_from_its_shape_alone():
    model = pocketml.convert(crafted.shape_of_huge())
    y = model.graph.outputs[0]
    producer = model.graph.producer(y)
    assert producer.op == "Identity"  # a constant output, materialised
    assert model.graph.values[producer.inputs[0]].const.tolist() == [1 << 20, 1 << 20, 64]


def fill_then_add(n: int):
    """y = x + Expand(1.5, [n]), computed either at conversion (folded) or at run time."""
    return crafted.onnx_model([helper.make_node("Expand", ["v", "s"], ["c"], name="fill"),
                               helper.make_node("Add", ["x", "c"], ["y"], name="plus")],
                              [("x", TensorProto.FLOAT, [n])], {"v": np.array([1.5], np.float32),
                                                                "s": np.array([n], np.int64)})


def test_max_fold_bytes_moves_a_fill_to_run_time_with_the_same_answer(tmp_path):
    n = 1000
    folded = pocketml.convert(fill_then_add(n))
    assert "Expand" not in ops_of(folded)
    kept = pocketml.convert(fill_then_add(n), max_fold_bytes=n * 4 - 1)
    assert "Expand" in ops_of(kept)
    x = np.arange(n, dtype=np.float32)
    for model in (folded, kept):
        path = tmp_path / "m.pml"
        model.save(path)
        (y,) = Session(str(path)).run({"x": x}).values()
        np.testing.assert_array_equal(y, x + np.float32(1.5))  # numpy is the oracle


def test_the_importers_take_the_limit_too():
    from pocketml.converters.onnx import import_onnx

    assert "Expand" not in ops_of(import_onnx(fill_then_add(100)))
    assert "Expand" in ops_of(import_onnx(fill_then_add(100), max_fold_bytes=100))


def test_the_default_limit_is_64_mib_and_scoped_to_one_conversion():
    assert limits.max_fold_bytes() == 64 << 20
    pocketml.convert(fill_then_add(10), max_fold_bytes=0)
    assert limits.max_fold_bytes() == 64 << 20


def test_a_weight_moved_as_it_is_may_exceed_the_limit():
    """A transposed weight needs what the file holds: moving real data is not growth."""
    w = np.arange(64 * 32, dtype=np.float32).reshape(64, 32)
    model = crafted.onnx_model([helper.make_node("Transpose", ["w"], ["t"], perm=[1, 0], name="tw"),
                                helper.make_node("MatMul", ["x", "t"], ["y"], name="mm")],
                               [("x", TensorProto.FLOAT, [2, 32])], {"w": w})
    converted = pocketml.convert(model, max_fold_bytes=1024)
    assert "Transpose" not in ops_of(converted)


def test_a_value_the_converter_needs_names_the_limit():
    """Gather from a symbolic shape needs its indices at conversion: over the limit, the error says why and how."""
    model = crafted.onnx_model([helper.make_node("Shape", ["x"], ["dims"], name="dims"),
                                helper.make_node("Expand", ["zero", "s"], ["idx"], name="fill"),
                                helper.make_node("Gather", ["dims", "idx"], ["n"], name="pick"),
                                helper.make_node("Reshape", ["x", "n"], ["y"], name="flat")],
                               [("x", TensorProto.FLOAT, ["batch", 3])],
                               {"zero": np.array([0], np.int64), "s": np.array([2], np.int64)})
    pocketml.convert(model)
    with pytest.raises(ConversionError, match=r"node 'pick'.*it was not folded: its output \(int64\[2\], 16 "
                                              r"bytes\) is over the constant-folding limit of 8 bytes per tensor; "
                                              r"raise the limit with pocketml.convert\(\.\.\., max_fold_bytes=N\)"):
        pocketml.convert(model, max_fold_bytes=8)


# ---- the crafted files under an address-space limit ------------------------------------------
CHILD = textwrap.dedent("""
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    import pocketml
    from pocketml.errors import ConversionError
    try:
        pocketml.convert(sys.argv[1])
        print("converted")
    except ConversionError as e:
        print("ConversionError:", str(e).splitlines()[0])
""")


@pytest.fixture(scope="module")
def crafted_files(tmp_path_factory):
    return crafted.write_all(tmp_path_factory.mktemp("crafted"))


@pytest.mark.parametrize("name", list(crafted.ONNX_FILES) + ["tflite_scale_over_huge_channels"])
def test_crafted_file_converts_in_2_gib_and_20_s(crafted_files, name):
    """A few hundred bytes describing a huge tensor: a ConversionError or a conversion, never a
    MemoryError, a kill or a hang (the child has 2 GiB of address space and 20 s)."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(crafted_files[name])], capture_output=True, text=True,
                          timeout=20, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert done.stdout.startswith(("converted", "ConversionError:")), done.stdout
    assert "internal error" not in done.stdout, done.stdout
