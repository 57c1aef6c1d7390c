"""Per-node profiling through the C API (pml_session_enable_profiling ...)."""
from __future__ import annotations

import ctypes

import numpy as np

from pocketml import ir
from pocketml.format import write_pml
from pocketml.runtime import Session, _NodeProfile, lib
from pocketml.shape_inference import infer_shapes


def small_graph():
    g = ir.Graph("p")
    g.add_value("x", "float32", (1, 8, 8, 3))
    g.inputs = ["x"]
    w = g.add_const(np.random.default_rng(0).standard_normal((4, 3, 3, 3)).astype(np.float32), "w")
    g.add_node("Conv", ["x", w], ["c"], {"pads": [1, 1, 1, 1]}, name="conv")
    g.add_node("Relu", ["c"], ["r"], name="relu")
    g.add_node("Shape", ["r"], ["s"], name="shape")  # computed while planning: no run time
    g.add_node("Reshape", ["r", "s"], ["y"], name="reshape")
    g.outputs = ["y"]
    infer_shapes(g)
    return g


def test_profile_names_every_node_and_counts_runs():
    s = Session(write_pml(small_graph()))
    x = {"x": np.ones((1, 8, 8, 3), np.float32)}
    assert all(p.mean_ms == 0.0 for p in s.profile())  # off by default
    s.enable_profiling()
    for _ in range(5):
        s.run(x)
    prof = s.profile()
    assert [(p.name, p.op) for p in prof] == [("conv", "Conv"), ("relu", "Relu"), ("shape", "Shape"),
                                              ("reshape", "Reshape")]
    assert lib().pml_session_profiled_runs(s._require()) == 5
    by_name = {p.name: p for p in prof}
    assert by_name["shape"].plan_time and by_name["shape"].mean_ms == 0.0
    assert by_name["conv"].mean_ms > 0.0 and not by_name["conv"].plan_time
    s.enable_profiling()  # restarts the totals
    assert all(p.mean_ms == 0.0 for p in s.profile())
    s.enable_profiling(False)
    s.run(x)
    assert all(p.mean_ms == 0.0 for p in s.profile())


def test_node_profile_rejects_bad_index():
    s = Session(write_pml(small_graph()))
    info = _NodeProfile()
    assert lib().pml_session_node_profile(s._require(), 4, ctypes.byref(info)) != 0
    assert b"out of range" in lib().pml_last_error()
    assert lib().pml_session_node_profile(s._require(), -1, ctypes.byref(info)) != 0
