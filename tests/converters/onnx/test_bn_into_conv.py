"""BatchNormalization folded into its Conv while importing (converters/onnx/bn_into_conv.py).

Each model is imported and run against onnxruntime (helpers.check), and its optimized graph is
compared, bit for bit (weights included), with the one the fold_bn pass makes when the importer
leaves every BatchNormalization to it: the fold at import must give the pass's graph exactly,
and leave the cases where the pass would merge factors first (BN -> BN, BN -> Mul by a constant)
or could not fold (a Conv output read twice) to the pass.
"""
from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper

from pocketml import ir, passes
from pocketml.converters.onnx import import_onnx

from .helpers import F, check, make, ops_of, rand


def _stats(prefix: str, c: int) -> dict:
    return {f"{prefix}_s": rand(c), f"{prefix}_b": rand(c), f"{prefix}_m": rand(c),
            f"{prefix}_v": rand(c, low=0.2, high=2.0)}


def _bn(x: str, prefix: str, out: str):
    return helper.make_node("BatchNormalization", [x] + [f"{prefix}_{k}" for k in "sbmv"], [out], epsilon=1e-3)


def _model(after: list, outputs: dict, bias=True, group=1, extra_inits=None):
    """x -> Conv(c, 6 channels) -> BatchNormalization(bn1) -> ``after`` nodes."""
    conv_ins = ["x", "w"] + (["cb"] if bias else [])
    nodes = [helper.make_node("Conv", conv_ins, ["c"], pads=[1] * 4, group=group), _bn("c", "bn1", "b1"), *after]
    inits = {"w": rand(6, 6 // group, 3, 3), **_stats("bn1", 6), **_stats("bn2", 6), **(extra_inits or {})}
    if bias:
        inits["cb"] = rand(6)
    return make(nodes, {"x": (F, [1, 6, 5, 5]), **({"r": (F, [1, 6, 5, 5])} if "r" in str(after) else {})},
                {o: (F, None) for o in outputs}, inits)


def _canonical(graph: ir.Graph) -> tuple:
    """Nodes and values with generated names replaced by their order of first use; weights as bytes."""
    names = {n: n for n in list(graph.inputs) + list(graph.outputs)}

    def name(v):
        return names.setdefault(v, f"v{len(names)}") if v else ""
    nodes = [(n.op, tuple(map(name, n.inputs)), tuple(map(name, n.outputs)), sorted(n.attrs.items()))
             for n in graph.nodes]
    values = sorted((names[k], v.dtype, tuple(v.shape), None if v.const is None else
                     (v.const.dtype.str, v.const.shape, np.ascontiguousarray(v.const).tobytes()))
                    for k, v in graph.values.items() if k in names)
    return nodes, values


def _optimized(model, fold: bool, monkeypatch) -> ir.Graph:
    with monkeypatch.context() as m:
        if not fold:
            m.setattr("pocketml.converters.onnx.ops_norm.fold_into_conv", lambda *a: False)
        return passes.optimize(import_onnx(model), shapes_current=True)


CASES = {
    "relu": ([helper.make_node("Relu", ["b1"], ["y"])], ["y"], True),
    "no_bias": ([helper.make_node("Relu", ["b1"], ["y"])], ["y"], True),
    "depthwise": ([helper.make_node("Relu", ["b1"], ["y"])], ["y"], True),
    "graph_output": ([], ["b1"], True),
    "residual_add": ([helper.make_node("Relu", ["r"], ["rr"]), helper.make_node("Add", ["rr", "b1"], ["y"])],
                     ["y"], False),  # r's Relu comes after the BatchNormalization: not yet imported
    "two_readers": ([helper.make_node("Relu", ["b1"], ["y"]), helper.make_node("Sigmoid", ["b1"], ["z"])],
                    ["y", "z"], True),
    "bn_after_bn": ([_bn("b1", "bn2", "y")], ["y"], False),
    "mul_after_bn": ([helper.make_node("Mul", ["b1", "k"], ["y"])], ["y"], False),
    "conv_read_twice": ([helper.make_node("Add", ["b1", "c"], ["y"])], ["y"], False),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fold_at_import_gives_the_pass_graph(case, monkeypatch):
    after, outputs, folds = CASES[case]
    model = _model(after, outputs, bias=case != "no_bias", group=6 if case == "depthwise" else 1,
                   extra_inits={"k": rand(1, 6, 1, 1)})
    feeds = {"x": rand(1, 6, 5, 5)}
    if "r" in str(after):
        feeds["r"] = rand(1, 6, 5, 5)
    imported = check(model, feeds)
    assert ("ScaleShift" not in ops_of(imported)) == folds, ops_of(imported)
    assert _canonical(_optimized(model, True, monkeypatch)) == _canonical(_optimized(model, False, monkeypatch))


def test_residual_add_of_an_earlier_value_folds(monkeypatch):
    """Conv -> BN -> Add(BN, r) with r computed before the Conv: the Add is no per-channel affine op."""
    nodes = [helper.make_node("Relu", ["r"], ["rr"]), helper.make_node("Conv", ["x", "w"], ["c"], pads=[1] * 4),
             _bn("c", "bn1", "b1"), helper.make_node("Add", ["b1", "rr"], ["y"])]
    model = make(nodes, {"x": (F, [1, 6, 5, 5]), "r": (F, [1, 6, 5, 5])}, {"y": (F, None)},
                 {"w": rand(6, 6, 3, 3), **_stats("bn1", 6)})
    imported = check(model, {"x": rand(1, 6, 5, 5), "r": rand(1, 6, 5, 5)})
    assert "ScaleShift" not in ops_of(imported)
    assert _canonical(_optimized(model, True, monkeypatch)) == _canonical(_optimized(model, False, monkeypatch))


def test_folded_weights_are_the_float64_product_rounded_once():
    """The Conv's weights are w * scale per output channel in float64, scale = gamma/sqrt(var+eps)
    rounded to float32 first (the ScaleShift's parameter), then the product rounded once; the bias
    is bias * scale + shift likewise (numpy reference of the arithmetic, not the pass's code)."""
    model = _model([], ["b1"])
    graph = import_onnx(model)
    conv, = [n for n in graph.nodes if n.op == "Conv"]
    a = {t.name: np.frombuffer(t.raw_data, np.float32).reshape(t.dims).astype(np.float64)
         for t in model.graph.initializer}
    mul = a["bn1_s"] / np.sqrt(a["bn1_v"] + np.float64(np.float32(1e-3)))
    scale = mul.astype(np.float32).astype(np.float64)
    shift = (a["bn1_b"] - a["bn1_m"] * mul).astype(np.float32).astype(np.float64)
    w = (a["w"].transpose(0, 2, 3, 1) * scale[:, None, None, None]).astype(np.float32)
    assert np.array_equal(graph.values[conv.inputs[1]].const, w)
    assert np.array_equal(graph.values[conv.inputs[2]].const, (a["cb"] * scale + shift).astype(np.float32))


def test_conv_output_read_inside_a_subgraph_is_left_to_the_pass(monkeypatch):
    """An If branch reading the Conv's output from the outer scope is a second reader the ONNX
    node inputs do not show: the importer must not fold (the Conv's output would change)."""
    branch = helper.make_graph([helper.make_node("Relu", ["c"], ["br"])], "branch", [],
                               [helper.make_tensor_value_info("br", F, None)])
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1] * 4), _bn("c", "bn1", "b1"),
             helper.make_node("If", ["cond"], ["z"], then_branch=branch, else_branch=branch)]
    model = make(nodes, {"x": (F, [1, 6, 5, 5]), "cond": (TensorProto.BOOL, [])}, {"b1": (F, None), "z": (F, None)},
                 {"w": rand(6, 6, 3, 3), **_stats("bn1", 6)})
    imported = check(model, {"x": rand(1, 6, 5, 5), "cond": np.array(True)})
    assert "ScaleShift" in ops_of(imported)


def _filler_model(values: dict, fillers: bool):
    """Conv(w, cb) -> BatchNormalization(bn1): each weight and statistic one value repeated, made by
    ConstantOfShape (fillers, as the light models do) or given as full initializers."""
    shapes = {"w": [6, 6, 3, 3], "cb": [6], "bn1_s": [6], "bn1_b": [6], "bn1_m": [6], "bn1_v": [6]}
    nodes, inits = [], {}
    for name, shape in shapes.items():
        if fillers:
            inits[f"{name}_shape"] = np.array(shape, np.int64)
            nodes.append(helper.make_node("ConstantOfShape", [f"{name}_shape"], [name],
                                          value=helper.make_tensor("v", F, [1], [values[name]])))
        else:
            inits[name] = np.full(shape, values[name], np.float32)
    nodes += [helper.make_node("Conv", ["x", "w", "cb"], ["c"], pads=[1] * 4), _bn("c", "bn1", "y")]
    return make(nodes, {"x": (F, [1, 6, 5, 5])}, {"y": (F, None)}, inits)


@pytest.mark.parametrize("values", [
    {"w": 0.37, "cb": -1.3, "bn1_s": 2.586, "bn1_b": -0.197, "bn1_m": 2.216, "bn1_v": 0.609},
    {"w": 1e-30, "cb": 3e5, "bn1_s": -7.1e-3, "bn1_b": 1e20, "bn1_m": 0.1, "bn1_v": 1e-7},
    {"w": 0.5, "cb": 0.25, "bn1_s": 2.0, "bn1_b": 1.0, "bn1_m": 0.5, "bn1_v": -1e-3},  # var + eps == 0: inf
])
def test_filler_weights_fold_bit_for_bit_as_full_ones(values, monkeypatch):
    """Weights and statistics that are fillers (zero-stride views, kept so by the fold: _scaled)
    fold at import to the graph, weights bit for bit, that the same values as full initializers
    give, and that the pass's own fold of them gives."""
    filler, full = _filler_model(values, True), _filler_model(values, False)
    got = _canonical(_optimized(filler, True, monkeypatch))
    assert got == _canonical(_optimized(full, True, monkeypatch))
    assert got == _canonical(_optimized(full, False, monkeypatch))
    if values["bn1_v"] > 0:
        check(filler, {"x": rand(1, 6, 5, 5)}, rtol=1e-3)
