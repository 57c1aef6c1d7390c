"""Attribute mutations of the ONNX backend's own node tests: for every single-node test model of a
supported op, each attribute the node sets whose handler declares a domain is replaced by a value
outside that domain (a flag 2, a stride 0, an axis 99, an unknown mode...), once per (op,
attribute); the importer must refuse the mutated model with a ConversionError naming the attribute.
Only models that convert unmutated are taken, so each refusal is the domain check's doing."""
from __future__ import annotations

import copy

import pytest
from onnx import helper

import pocketml
from pocketml.converters.onnx import attr_domains as D
from pocketml.converters.onnx.context import HANDLERS, OnnxNode

from .onnx_cases import supported_node_cases

# out-of-domain replacements by checker (the shared ones by identity, the built ones by kind)
_BY_CHECKER = {D.BOOL: 2, D.POSITIVE: 0, D.NONNEG: -1, D.GROUP: 0, D.AXIS: 99, D.AXIS_INCLUSIVE: 99,
               D.AXES: [99], D.AUTO_PAD: "DIAGONAL"}
_LISTS = {D.SPATIAL_POSITIVE: 0, D.POSITIVE_INTS: 0, D.NONNEG_INTS: -1, D.SPATIAL_NONNEG: -1, D.PADS: -1, D.BOOLS: 2}


def _bad_value(check, value):
    if check in _BY_CHECKER:
        return _BY_CHECKER[check]
    if check in _LISTS:
        return [_LISTS[check]] * max(len(value), 1)
    if check is D.PERM:
        return [0] * len(value)
    kind = check.__qualname__.split(".")[0]
    if kind in ("enum", "per_op", "per_opset"):
        return "not_in_the_spec" if isinstance(value, str) else 99
    if kind == "axis":
        return 99
    if kind == "axes":
        return [99]
    if kind == "int_range":
        return 99
    return None  # a checker this test does not know how to violate


def _converts(model) -> bool:
    try:
        pocketml.convert(model, optimize=False)
    except pocketml.ConversionError:  # an input dtype pocketml does not take (double, bfloat16...)
        return False
    return True


def _cases():
    seen, params = set(), []
    for name, case in supported_node_cases().items():
        graph = case.model.graph
        if len(graph.node) != 1:
            continue
        node = graph.node[0]
        domain = getattr(HANDLERS.get(node.op_type), "domain", {})
        attrs = OnnxNode.from_proto(node, 0, 0).attrs
        todo = [(attr, check) for attr, check in domain.items() if attr in attrs and (node.op_type, attr) not in seen]
        if not todo or not _converts(case.model):
            continue
        for attr, check in todo:
            bad = _bad_value(check, attrs[attr])
            if bad is None:
                continue
            seen.add((node.op_type, attr))
            params.append(pytest.param(case.model, attr, bad, id=f"{name}-{attr}={bad}"))
    return params


CASES = _cases()


def test_the_mutations_cover_many_ops():
    """The selection is not accidentally empty or tiny (it depends on the onnx wheel's node tests)."""
    assert len(CASES) >= 60 and len({p.values[0].graph.node[0].op_type for p in CASES}) >= 30


@pytest.mark.parametrize("model,attr,bad", CASES)
def test_out_of_domain_mutation_is_refused(model, attr, bad):
    model = copy.deepcopy(model)
    node = model.graph.node[0]
    kept = [a for a in node.attribute if a.name != attr]
    del node.attribute[:]
    node.attribute.extend(kept + [helper.make_attribute(attr, bad)])
    with pytest.raises(pocketml.ConversionError) as e:
        pocketml.convert(model)
    assert f"attribute {attr}=" in str(e.value) and node.op_type in str(e.value), str(e.value)
