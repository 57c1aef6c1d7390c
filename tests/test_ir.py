"""ir.Graph's live producer/consumer indexes, checked against a full rescan after every edit,
and its O(n log n) toposort and shape inference entry point (shape_inference.py)."""
import numpy as np
import pytest

from pocketml import ir
from pocketml.shape_inference import infer_shapes


def rescan(g: ir.Graph):
    """What the indexes must say: computed from scratch, the way Graph did before."""
    producers = {o: n for n in g.nodes for o in n.outputs if o}
    uses: dict = {}
    for n in g.nodes:
        for i in n.inputs:
            if i:
                uses.setdefault(i, []).append(n)
    return producers, uses


def check(g: ir.Graph) -> None:
    producers, uses = rescan(g)
    assert {k: id(v) for k, v in g.producers().items()} == {k: id(v) for k, v in producers.items()}
    live = g.consumers()
    assert set(live) == set(uses)
    for name, readers in uses.items():
        assert sorted(map(id, live[name])) == sorted(map(id, readers))
        assert sorted(map(id, g.consumers_of(name))) == sorted({id(n) for n in readers})
        assert g.num_uses(name) == len(readers)
    for n in g.nodes:
        assert n in g
    # get and in (graph_views answers them from the index dicts) agree with the rescan too, for
    # names without an entry as well
    made = g.producers()
    for name in list(g.values) + ["no such value"]:
        assert (name in made) == (name in producers) and made.get(name) is producers.get(name)
        got = live.get(name, "absent")
        assert (name in live) == (name in uses)
        assert got == "absent" if name not in uses else sorted(map(id, got)) == sorted(map(id, uses[name]))


def chain(n: int = 4) -> ir.Graph:
    g = ir.Graph()
    g.add_value("x", "float32", (2, 3))
    g.inputs = ["x"]
    prev = "x"
    for k in range(n):
        prev = g.add_node("Relu", [prev], [f"t{k}"], name=f"r{k}").outputs[0]
    g.outputs = [prev]
    return g


def test_indexes_follow_every_kind_of_edit():
    g = chain()
    check(g)
    r1, r2 = g.nodes[1], g.nodes[2]
    g.set_input(r2, 0, "x")                       # rewire one input
    check(g)
    r2.inputs[0] = "t0"                           # direct list edit is tracked too
    check(g)
    r2.inputs = ["t1", "t0"]                      # whole-list assignment
    check(g)
    r2.inputs.append("x")
    r2.inputs += ["t0"]
    check(g)
    assert g.num_uses("t0") == 3  # r1 once, r2 twice
    r2.inputs.pop()
    del r2.inputs[1:]
    check(g)
    g.set_output(r1, 0, "t1b")
    g.replace_uses("t1", "t1b")
    check(g)
    assert g.producer("t1") is None and g.producer("t1b") is r1
    add = g.add_node("Add", ["t1b", "x"], ["s"], index=2)
    check(g)
    g.remove_node(add)
    check(g)
    assert add not in g and g.producer("s") is None
    g.nodes = [n for n in g.nodes if n is not g.nodes[-1]]  # filtered reassignment
    check(g)
    g.nodes.insert(0, ir.Node("Neg", ["x"], ["neg"], name="neg"))
    g.nodes[0] = ir.Node("Abs", ["x"], ["abs"], name="abs")
    check(g)
    assert g.producer("neg") is None and g.producer("abs").op == "Abs"


def test_detached_node_edits_do_not_touch_the_graph():
    g = chain(2)
    n = g.nodes[0]
    g.remove_node(n)
    n.inputs[0] = "t1"
    n.outputs = ["other"]
    check(g)
    assert g.producer("other") is None


def test_replace_uses_rewires_graph_outputs_and_skips_unrelated_nodes():
    g = chain(3)
    g.replace_uses("t2", "t1")
    assert g.outputs == ["t1"]
    g.replace_uses("t0", "x")
    assert g.nodes[1].inputs == ["x"]
    check(g)


def test_views_are_read_only_and_copy_is_independent():
    g = chain(3)
    with pytest.raises(TypeError):
        g.producers()["t0"] = g.nodes[0]
    c = g.copy()
    c.set_input(c.nodes[1], 0, "x")
    check(c)
    check(g)
    assert g.nodes[1].inputs == ["t0"]
    assert [n.name for n in c.nodes] == [n.name for n in g.nodes]


def test_toposort_is_stable_and_orders_a_reversed_chain():
    g = chain(50)
    names = [n.name for n in g.nodes]
    g.toposort()
    assert [n.name for n in g.nodes] == names
    g.nodes = list(reversed(g.nodes))
    g.toposort()
    assert [n.name for n in g.nodes] == names
    check(g)


def test_place_orders_like_inserting_at_the_anchor():
    """Graph.place defers the splice to the next read; the order must be what inserting at
    index_of(anchor) (before) / index_of(anchor) + 1 (after) would have given, also when the
    anchor or a placed node is removed before that read."""
    def build():
        g = chain(6)
        return g, {n.name: n for n in g.nodes}

    def mk(g, name):
        return ir.Node("Relu", [f"in_{name}"], [f"out_{name}"], name=name)

    g, by = build()
    h, hy = build()
    steps = [("b1", "r2", False), ("a1", "r2", True), ("b2", "r2", False), ("a2", "r2", True),
             ("c1", "r4", True), ("c2", "r4", True)]
    for name, anchor, after in steps:
        g.place(by[anchor], [mk(g, name)], after=after)
        k = h.index_of(hy[anchor]) + (1 if after else 0)
        h.nodes.insert(k, mk(h, name))
    g.place(by["r3"], [mk(g, "x1"), mk(g, "x2")], after=True)
    k = h.index_of(hy["r3"]) + 1
    h.nodes[k:k] = [mk(h, "x1"), mk(h, "x2")]
    g.remove_nodes([by["r4"]])  # the anchor goes: what was placed around it stays
    h.remove_nodes([hy["r4"]])
    placed = [n for n in g._before.get(id(by["r2"]), [])]
    g.remove_nodes([placed[0]])
    h.remove_nodes([n for n in h.nodes if n.name == placed[0].name])
    assert [n.name for n in g.nodes] == [n.name for n in h.nodes]
    assert "r4" not in [n.name for n in g.nodes] and "c1" in [n.name for n in g.nodes]
    assert g.producer("out_c2").name == "c2" and g.consumers_of("in_x1")[0].name == "x1"


def test_toposort_reports_cycles_and_undefined_values():
    g = chain(2)
    g.add_node("Relu", ["nowhere"], ["y"])
    with pytest.raises(ValueError, match="nowhere"):
        g.toposort()
    g = chain(2)
    g.set_input(g.nodes[0], 0, "t1")  # r0 reads r1's output, r1 reads r0's
    with pytest.raises(ValueError, match="cycle"):
        g.toposort()


def test_toposort_of_a_long_chain_is_fast():
    import time

    g = chain(20000)
    g.nodes = list(reversed(g.nodes))
    t0 = time.perf_counter()
    g.toposort()
    assert time.perf_counter() - t0 < 2.0  # the old repeated scan took minutes here
    assert g.nodes[0].inputs == ["x"]


def test_infer_shapes_all_and_incremental():
    g = ir.Graph()
    g.add_value("x", "float32", (2, 3))
    g.inputs = ["x"]
    w = g.add_const(np.ones((3, 4), np.float32), "w")
    mm = g.add_node("MatMul", ["x", w], ["y"])
    g.add_node("Relu", ["y"], ["z"])
    g.outputs = ["z"]
    infer_shapes(g)
    assert g.values["z"].shape == (2, 4) and g.values["z"].dtype == "float32"
    w2 = g.add_const(np.ones((3, 5), np.float32), "w")
    g.set_input(mm, 1, w2)
    infer_shapes(g, [mm])  # re-infers mm, then Relu because y changed
    assert g.values["z"].shape == (2, 5)


def test_ir_does_not_import_the_op_registry():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(ir))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert "ops" not in imported and not any(m.endswith(".ops") for m in imported)
