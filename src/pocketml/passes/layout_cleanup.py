"""Layout, part 3: clean-up rules run after sinking (compose, fold, dedupe, Reshape
merges, Gemm/flatten absorption; see layout.py)."""
from __future__ import annotations


import numpy as np

from .. import ir, quant_support
from ._util import attr, bypass, const, new_value, node_index, remove_nodes, reshape_spec, shape, sole_consumer
from .identity import noop_source
from .layout_perm import (_axis, _consecutive, _group_order, compose, inverse, perm_of, permuted, reshape_groups,
                          unit_only)


def _compose_transposes(graph: ir.Graph) -> bool:
    producers, changed = graph.producers(), False
    for node in list(graph.nodes):
        first = producers.get(node.inputs[0]) if node.op == "Transpose" else None
        if first is None or first.op != "Transpose":
            continue
        node.attrs["perm"] = list(compose(perm_of(first), perm_of(node)))
        graph.set_input(node, 0, first.inputs[0])
        changed = True
    return changed


def _fold_constant_transposes(graph: ir.Graph) -> bool:
    dead = []
    for node in graph.nodes:
        c = const(graph, node.inputs[0]) if node.op == "Transpose" else None
        if c is not None and node.outputs[0] not in graph.outputs:
            q = quant_support.moved(graph.values[node.inputs[0]].quant, perm_of(node))
            graph.add_value(node.outputs[0], const=np.ascontiguousarray(np.transpose(c, perm_of(node))), quant=q)
            dead.append(node)
    remove_nodes(graph, dead)
    return bool(dead)


def _dedupe(graph: ir.Graph) -> bool:
    """Merge Transpose/Reshape nodes doing the same thing to the same value."""
    first: dict = {}
    changed = False
    for node in list(graph.nodes):
        if node.op not in ("Transpose", "Reshape") or len(graph.consumers_of(node.inputs[0])) < 2:
            continue  # (a twin reads the same first input: a value only this node reads has none)
        # (outputs with other quantization parameters are other values, never merged)
        key = (node.op, tuple(node.inputs), repr(sorted(node.attrs.items())), graph.values[node.outputs[0]].quant)
        if key not in first:
            first[key] = node
        elif node.outputs[0] not in graph.outputs:
            remove_nodes(graph, [node])
            graph.replace_uses(node.outputs[0], first[key].outputs[0])
            changed = True
    return changed


def _unit_transposes_to_reshapes(graph: ir.Graph) -> bool:
    changed = False
    for node in graph.nodes:
        if node.op != "Transpose" or not unit_only(shape(graph, node.outputs[0]), perm_of(node)):
            continue
        spec = reshape_spec(shape(graph, node.inputs[0]), shape(graph, node.outputs[0]))
        if spec is not None:
            node.op, node.attrs = "Reshape", {"shape": spec}
            changed = True
    return changed


def _merge_reshapes(graph: ir.Graph) -> bool:
    producers, changed = graph.producers(), False
    for node in graph.nodes:
        first = producers.get(node.inputs[0]) if node.op == "Reshape" and len(node.inputs) == 1 else None
        if first is None or first.op != "Reshape":
            continue
        spec = reshape_spec(shape(graph, first.inputs[0]), shape(graph, node.outputs[0]))
        if spec is not None:
            node.inputs[0], node.attrs = first.inputs[0], {"shape": spec}
            changed = True
    return changed


def _remove_noops(graph: ir.Graph) -> bool:
    changed = False
    for node in list(graph.nodes):
        if node.op in ("Transpose", "Reshape"):
            src = noop_source(graph, node)
            if src is not None and bypass(graph, node, src):
                changed = True
    return changed


def _flatten_concats(graph: ir.Graph) -> bool:
    producers, uses, changed = graph.producers(), graph.consumers(), False
    for node in graph.nodes:
        if node.op != "Concat" or shape(graph, node.outputs[0]) is None:
            continue
        r = len(shape(graph, node.outputs[0]))
        axis, merged = _axis(attr(node, "axis"), r), []
        for name in node.inputs:
            inner = producers.get(name)
            if inner is not None and inner.op == "Concat" and _axis(attr(inner, "axis"), r) == axis \
                    and sole_consumer(graph, uses, name) is node and node.inputs.count(name) == 1:
                merged.extend(inner.inputs)
                changed = True
            else:
                merged.append(name)
        graph.set_inputs(node, merged)
    return changed


def _pull_transposes_above_reshapes(graph: ir.Graph) -> bool:
    """Transpose(Reshape(Transpose(x))) -> Reshape(Transpose(x)) when the outer
    transpose only reorders whole groups of the reshape: it moves above the reshape
    and composes with the inner one (a channel shuffle keeps one transpose).
    Everything in between must be read only along this chain."""
    producers, uses, changed = graph.producers(), graph.consumers(), False
    for node in list(graph.nodes):
        reshape = producers.get(node.inputs[0]) if node.op == "Transpose" else None
        if reshape is None or reshape.op != "Reshape" or len(reshape.inputs) > 1 or \
                sole_consumer(graph, uses, reshape.outputs[0]) is not node:
            continue
        inner = producers.get(reshape.inputs[0])
        z, v = reshape.inputs[0], reshape.outputs[0]
        groups = reshape_groups(shape(graph, z), shape(graph, v))
        # the inner transpose must die in the composition: then every pull-up removes one
        # transpose, and a tie-break sink can never push it back down (no cycle)
        if inner is None or inner.op != "Transpose" or groups is None or sole_consumer(graph, uses, z) is not reshape:
            continue
        q = inverse(perm_of(node))  # output position of each reshape-output axis
        if any(not _consecutive([q[k] for k in gv]) for _, gv in groups):
            continue
        ordered = _group_order(groups, lambda g, q=q: q[g[1][0]] if g[1] else None)
        z_perm = tuple(i for gz, _ in ordered for i in gz)
        spec = reshape_spec(permuted(shape(graph, z), z_perm), shape(graph, node.outputs[0]))
        if spec is None:
            continue
        moved = new_value(graph, f"{z}_t", z, permuted(shape(graph, z), z_perm))
        graph.add_node("Transpose", [z], [moved], {"perm": list(z_perm)}, index=node_index(graph, reshape))
        graph.set_input(reshape, 0, moved)
        reshape.attrs["shape"] = spec
        graph.set_output(reshape, 0, node.outputs[0])
        remove_nodes(graph, [node])
        graph.values.pop(v, None)
        producers, uses, changed = graph.producers(), graph.consumers(), True
    return changed


def _gemm_transposed_operands(graph: ir.Graph) -> bool:
    """Gemm(Transpose[1,0](a), ...) reads a directly with transA flipped (same for b)."""
    producers, changed = graph.producers(), False
    for node in graph.nodes:
        if node.op != "Gemm":
            continue
        for i, flag in ((0, "transA"), (1, "transB")):
            t = producers.get(node.inputs[i])
            if t is not None and t.op == "Transpose" and perm_of(t) == (1, 0):
                graph.set_input(node, i, t.inputs[0])
                node.attrs[flag] = 1 - int(attr(node, flag))
                changed = True
    return changed


def _absorb_flatten_transpose(graph: ir.Graph) -> bool:
    """Transpose(p, p[0]=0) -> flatten Reshape -> Gemm/MatMul with constant weights:
    permute the weight rows instead, so the flatten reads the untransposed data."""
    producers, uses, changed = graph.producers(), graph.consumers(), False
    for fc in graph.nodes:
        reshape = producers.get(fc.inputs[0]) if fc.op in ("Gemm", "MatMul") else None
        t = producers.get(reshape.inputs[0]) if reshape is not None and reshape.op == "Reshape" and \
            len(reshape.inputs) == 1 else None
        if t is None or t.op != "Transpose" or sole_consumer(graph, uses, reshape.outputs[0]) is not fc \
                or sole_consumer(graph, uses, t.outputs[0]) is not reshape:
            continue
        p, x_shape, flat = perm_of(t), shape(graph, t.inputs[0]), shape(graph, reshape.outputs[0])
        w = const(graph, fc.inputs[1])
        trans_b = fc.op == "Gemm" and int(attr(fc, "transB"))
        if p[0] != 0 or x_shape is None or flat is None or len(flat) != 2 or flat[0] != x_shape[0] or \
                w is None or w.ndim != 2 or (fc.op == "Gemm" and int(attr(fc, "transA"))) or \
                not all(isinstance(d, (int, np.integer)) for d in x_shape[1:]):
            continue
        k = int(np.prod(x_shape[1:]))
        rows = w.T if trans_b else w  # [K, N]
        spec = reshape_spec(x_shape, flat)
        if rows.shape[0] != k or flat[1] != k or spec is None:
            continue
        v_dims = tuple(permuted(x_shape, p)[1:])
        q = inverse(p)
        # permute the K axis in the weights' own layout: at most one copy (these can be 100s of MB), none
        # when the reshape can stay a view (a broadcast filler); the writer copies views once
        if trans_b:  # w is [N, K]
            moved = w.reshape((w.shape[0],) + v_dims).transpose([0] + [q[j] for j in range(1, len(p))])
            moved = moved.reshape(w.shape[0], k)
        else:  # w is [K, N]
            moved = w.reshape(v_dims + (w.shape[1],)).transpose([q[j] - 1 for j in range(1, len(p))] + [len(p) - 1])
            moved = moved.reshape(k, -1)
        w_new = graph.add_const(moved, f"{fc.name}_w")
        graph.values[w_new].quant = graph.values[fc.inputs[1]].quant  # rows move within K; a channel axis (N) stays
        graph.set_input(fc, 1, w_new)
        graph.set_input(reshape, 0, t.inputs[0])
        reshape.attrs = {"shape": spec}
        changed = True
    return changed


# ---- driver --------------------------------------------------------------------------------
