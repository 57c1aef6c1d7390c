"""Shared helpers for the pass tests: build small graphs, run a pass, and check
that the registry's numpy references give the same outputs before and after
(the references are the oracle; a pass is never compared with itself)."""
from __future__ import annotations

from collections import Counter
from typing import Optional

import numpy as np

from pocketml import ir
from pocketml.reference import run_graph
from pocketml.shape_inference import infer_shapes

RNG = np.random.default_rng(0)
NCHW_TO_NHWC, NHWC_TO_NCHW = [0, 2, 3, 1], [0, 3, 1, 2]


def rand(*shape, low=-1.0, high=1.0) -> np.ndarray:
    return RNG.uniform(low, high, size=shape).astype(np.float32)


class Builder:
    """Terse graph construction: b.input("x", (1, 3, 8, 8)); y = b.op("Relu", x)."""

    def __init__(self):
        self.g = ir.Graph("test")

    def input(self, name: str, shape, dtype: str = "float32") -> str:
        self.g.add_value(name, dtype, tuple(shape))
        self.g.inputs.append(name)
        return name

    def const(self, array, name: str = "c") -> str:
        return self.g.add_const(np.asarray(array), name)

    def op(self, op: str, *inputs, n_out: int = 1, **attrs):
        outs = [self.g.unique_name(op.lower()) for _ in range(n_out)]
        self.g.add_node(op, inputs, outs, attrs)
        return outs[0] if n_out == 1 else outs

    def nhwc(self, op: str, x: str, *inputs, **attrs) -> str:
        """The importer's wrapped form: Transpose(NCHW->NHWC) -> op -> Transpose(NHWC->NCHW)."""
        t = self.op("Transpose", x, perm=NCHW_TO_NHWC)
        y = self.op(op, t, *inputs, **attrs)
        return self.op("Transpose", y, perm=NHWC_TO_NCHW)

    def output(self, *names: str, infer: bool = True) -> ir.Graph:
        self.g.outputs.extend(names)
        if infer:
            infer_shapes(self.g)
        return self.g


def counts(graph: ir.Graph) -> Counter:
    return Counter(n.op for n in graph.nodes)


def feeds_for(graph: ir.Graph) -> dict:
    return {name: rand(*graph.values[name].shape) for name in graph.inputs}


def check(graph: ir.Graph, run_pass, feeds: Optional[dict] = None, expect_change: bool = True, rtol=1e-5, atol=1e-5):
    """Apply ``run_pass`` to a copy of ``graph``; assert it reports a change as expected
    (None: either way), the result is valid (sorts, infers) and computes the same
    outputs under the numpy references. Returns the new graph."""
    feeds = feeds_for(graph) if feeds is None else feeds
    before = run_graph(graph, feeds)
    after_graph = graph.copy()
    changed = run_pass(after_graph)
    assert expect_change is None or changed == expect_change
    after_graph.toposort()
    infer_shapes(after_graph)
    assert after_graph.inputs == graph.inputs and after_graph.outputs == graph.outputs
    for name in graph.outputs:
        old, new = graph.values[name], after_graph.values[name]
        assert old.dtype is None or (old.dtype, old.shape) == (new.dtype, new.shape), name
    after = run_graph(after_graph, feeds)
    for name in graph.outputs:
        np.testing.assert_allclose(after[name], before[name], rtol=rtol, atol=atol, err_msg=name)
    return after_graph
