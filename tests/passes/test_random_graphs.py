"""Property test: random NCHW graphs in the importer's wrapped form (convs, pools,
BatchNorm around layout-agnostic ops, stray transposes, channel shuffles) keep
their outputs through the whole ``optimize`` pipeline. Every value has shape
[2,4,5,6] (all dims distinct, so an axis mix-up changes shapes or numbers)."""
from __future__ import annotations

import numpy as np
import pytest

from pocketml.passes import optimize

from .helpers import Builder, check, counts

SHAPE = (2, 4, 5, 6)


def _random_graph(seed: int):
    rng = np.random.default_rng(seed)
    b = Builder()

    def const(*shape, low=-1.0, high=1.0):
        return b.const(rng.uniform(low, high, shape).astype(np.float32))

    values = [b.input("x", SHAPE)]
    for _ in range(int(rng.integers(4, 12))):
        x = values[int(rng.integers(len(values)))]
        kind = rng.integers(12)
        if kind == 0:
            y = b.nhwc("Conv", x, const(4, 3, 3, 4, low=-0.3, high=0.3), const(4), pads=[1, 1, 1, 1])
        elif kind == 1:
            y = b.nhwc("BatchNormalization", x, const(4), const(4), const(4), const(4, low=0.5, high=1.5))
        elif kind == 2:
            y = b.nhwc("MaxPool", x, kernel=[3, 3], pads=[1, 1, 1, 1])
        elif kind == 3:
            y = b.op(str(rng.choice(["Relu", "Sigmoid", "Tanh", "Neg"])), x)
        elif kind == 4:
            y = b.op(str(rng.choice(["Add", "Mul", "Max", "Sub"])), x, values[int(rng.integers(len(values)))])
        elif kind == 5:
            shape = [(4, 1, 1), (6,), (5, 1), (1, 4, 5, 6), ()][int(rng.integers(5))]
            y = b.op(str(rng.choice(["Add", "Mul"])), x, const(*shape))
        elif kind == 6:
            y = b.op("Softmax", x, axis=int(rng.integers(-4, 4)))
        elif kind == 7:
            axes = sorted(rng.choice(4, size=int(rng.integers(1, 3)), replace=False).tolist())
            y = b.op("Add", x, b.op("ReduceMean", x, axes=axes, keepdims=1))
        elif kind == 8:
            halves = b.op("Split", x, n_out=2, axis=1, split=[1, 3])
            y = b.op("Concat", halves[1], halves[0], axis=1)
        elif kind == 9:
            perm = rng.permutation(4).tolist()
            y = b.op("Transpose", b.op("Relu", b.op("Transpose", x, perm=perm)), perm=np.argsort(perm).tolist())
        elif kind == 10:
            y = b.op("Slice", b.op("Pad", x, pads=[0, 1, 1, 2, 0, 0, 0, 0], mode=2), starts=[1, 1, 2], ends=[5, 6, 8],
                     axes=[1, 2, 3])
        else:  # channel shuffle
            y = b.op("Reshape", x, shape=[2, 2, 2, 5, 6])
            y = b.op("Reshape", b.op("Transpose", y, perm=[0, 2, 1, 3, 4]), shape=list(SHAPE))
        values.append(y)
    outs = {values[-1], values[int(rng.integers(1, len(values)))]}
    return b.output(*sorted(outs))


@pytest.mark.parametrize("seed", range(40))
def test_random_graph_survives_optimize(seed):
    g = _random_graph(seed)
    after = check(g, lambda graph: optimize(graph) is graph, rtol=1e-4, atol=1e-5)
    assert counts(after)["Transpose"] <= counts(g)["Transpose"]
