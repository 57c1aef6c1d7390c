"""What optimize's shortcuts rely on: a pass that says it changed nothing left the graph as it
was, so a dce with no change since the last one is skipped (passes/__init__.py). Checked on the
onnx package's light_* CNNs: every pass that returns False leaves the nodes and values alone, and
the optimized graph has no dead code left (a fresh dce, run after optimize, finds nothing)."""
from __future__ import annotations

import os

import onnx
import pytest

from pocketml import passes
from pocketml.passes import eliminate_dead_code

import_onnx = pytest.importorskip("pocketml.converters.onnx").import_onnx

LIGHT = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")


def _state(graph):
    return [(n.op, tuple(n.inputs), tuple(n.outputs), repr(sorted(n.attrs.items()))) for n in graph.nodes], \
        list(graph.values)


@pytest.mark.parametrize("model", ["shufflenet", "squeezenet", "resnet50"])
def test_unchanged_means_untouched_and_no_dead_code_left(model, monkeypatch):
    untouched_lies, calls = [], []

    def checked(name, run):
        def wrapper(graph):
            before = _state(graph)
            result = run(graph)
            calls.append(name)
            if not result and _state(graph) != before:
                untouched_lies.append(name)
            return result
        return wrapper

    monkeypatch.setattr(passes, "PIPELINE", [(n, checked(n, r)) for n, r in passes.PIPELINE])
    # (the wrappers are not eliminate_dead_code itself: every dce runs here, none is skipped)
    graph = passes.optimize(import_onnx(os.path.join(LIGHT, f"light_{model}.onnx")), shapes_current=True)
    assert calls.count("dce") >= 2
    assert untouched_lies == []
    assert eliminate_dead_code(graph) is False


@pytest.mark.parametrize("model", ["shufflenet", "squeezenet"])
def test_skipped_dce_leaves_the_same_graph(model):
    """optimize with its dce shortcut and with every dce run (wrapped, so not recognised) agree."""
    path = os.path.join(LIGHT, f"light_{model}.onnx")
    fast = passes.optimize(import_onnx(path), shapes_current=True)
    saved = list(passes.PIPELINE)
    try:
        passes.PIPELINE[:] = [(n, (lambda g, r=r: r(g))) for n, r in saved]
        full = passes.optimize(import_onnx(path), shapes_current=True)
    finally:
        passes.PIPELINE[:] = saved
    assert _state(fast) == _state(full)
