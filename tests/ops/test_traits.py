"""Traits in the registry agree with what the passes and the C kernels do
with them: every activation maps to a fused kind, every fusable producer
carries the act attributes, commutative ops commute, and the layout pass's
handlers come from the traits."""
from __future__ import annotations

import numpy as np
import pytest

from pocketml import ir, ops
from pocketml.passes import fuse_activation, layout


def test_every_trait_is_documented_and_used():
    used = {t for op in ops.REGISTRY.values() for t in op.traits}
    # quant_aware is what an op claims once its int8 kernels honour its tensors' quantization
    # parameters; conversion (quant_support) and the C loader's guard already read it
    waiting = {"quant_aware"} - used
    assert used <= set(ops.TRAITS)
    assert used | waiting == set(ops.TRAITS), f"declared but unused traits: {set(ops.TRAITS) - used - waiting}"


@pytest.mark.parametrize("name", sorted(ops.with_trait("activation")))
def test_activation_ops_map_to_a_fused_kind(name):
    node = ir.Node(name, ["x"], ["y"], {}, "n")
    act = fuse_activation.activation_of(node)
    assert act is not None and act[0] in range(ops.ACT_LAST_GENERIC + 1)


@pytest.mark.parametrize("name", sorted(ops.with_trait("fusable_producer")))
def test_fusable_producers_carry_the_act_attributes(name):
    assert set(ops.FUSED_ACT_ATTRS) <= set(ops.get(name).attrs)


@pytest.mark.parametrize("name", sorted(ops.with_trait("commutative")))
def test_commutative_ops_commute(name):
    op = ops.get(name)
    dtype = "bool" if "float32" not in op.types[op.inputs[0].type] else "float32"
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((3, 4)) > 0 if dtype == "bool" else rng.standard_normal((3, 4)).astype(dtype)
            for _ in range(2))
    attrs = op.attrs_of(ir.Node(name, ["a", "b"], ["y"], {}, "n"))
    np.testing.assert_array_equal(op.reference([a, b], attrs)[0], op.reference([b, a], attrs)[0])


def test_layout_handlers_follow_the_traits():
    for name in ops.with_trait("layout_agnostic") | ops.with_trait("channel_last"):
        assert name in layout.HANDLERS
    assert all(ops.get(n).has("elementwise") for n in ops.with_trait("layout_agnostic"))
