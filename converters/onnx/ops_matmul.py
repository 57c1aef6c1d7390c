"""ONNX Gemm / MatMul / Det / MatMulInteger -> the IR ops of the same names (same semantics, no
layout change; Det (opset 11) and MatMulInteger (opset 10) have one version and no attributes), and
com.microsoft's MatMulIntegerToFloat (what onnxruntime fuses MatMulInteger -> Cast -> Mul -> Add
into; pocketml's passes fuse the same, passes/fuse_integer_matmul.py)."""
from __future__ import annotations

from .attr_domains import BOOL, domain
from .context import Context, OnnxNode, handler


@handler("Gemm")
@domain(transA=BOOL, transB=BOOL)
def gemm(ctx: Context, node: OnnxNode) -> None:
    attrs = {"alpha": float(node.attrs.get("alpha", 1.0)), "beta": float(node.attrs.get("beta", 1.0)),
             "transA": int(node.attrs.get("transA", 0)), "transB": int(node.attrs.get("transB", 0))}
    ctx.emit1("Gemm", [node.input(0), node.input(1), node.input(2)], node.output(0), attrs)


@handler("MatMul")
def matmul(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("MatMul", [node.input(0), node.input(1)], node.output(0))


@handler("MatMulInteger")
def matmul_integer(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("MatMulInteger", [node.input(i) for i in range(4)], node.output(0))


@handler("MatMulIntegerToFloat", op_domain="com.microsoft")
def matmul_integer_to_float(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("MatMulIntegerToFloat", [node.input(i) for i in range(7)], node.output(0))


@handler("Det")
def det(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("Det", [node.input(0)], node.output(0))


# ---- Einsum ------------------------------------------------------------------------------------
# Decomposed at import into the ops the engine runs fast: one operand is a
# ReduceSum over labels absent from the output plus a Transpose; two operands
# become ReduceSum (labels only one side has and the output drops) ->
# Transpose to [batch..., free..., contracted...] -> Reshape to 3 groups ->
# MatMul (batch dims broadcast) -> Reshape -> Transpose to the output order.
# Repeated labels within one operand (diagonals) and more than two operands
# are reported as unsupported.

def _einsum_parse(ctx: Context, equation: str, ranks: list) -> tuple:
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ranks):
        raise ctx.error(f"equation {equation!r} has {len(terms)} operands, the node has {len(ranks)} inputs")
    used = set(eq) - set(".,->")
    free = iter(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used)
    n_ell = max([r - len(t.replace("...", "")) for t, r in zip(terms, ranks) if "..." in t] + [0])
    ell = "".join(next(free) for _ in range(n_ell))
    labels = []
    for t, r in zip(terms, ranks):
        if "..." in t:
            k = r - len(t.replace("...", ""))
            t = t.replace("...", ell[n_ell - k:] if k else "")
        if len(t) != r or not t.isalpha():
            raise ctx.error(f"equation {equation!r}: term {t!r} does not match an input of rank {r}")
        if len(set(t)) != len(t):
            raise ctx.unsupported(f"equation {equation!r}: repeated labels in one operand (diagonals)")
        labels.append(t)
    if arrow:
        out = out.replace("...", ell)
    else:  # implicit output: the ellipsis dims, then labels seen once, alphabetically
        counts = {c: sum(t.count(c) for t in labels) for c in set("".join(labels))}
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    if len(set(out)) != len(out) or not set(out) <= set("".join(labels)):
        raise ctx.error(f"equation {equation!r}: output labels {out!r} repeat or do not appear in an input")
    return labels, out


def _einsum_reduce(ctx: Context, x: str, lab: str, keep: str) -> tuple:
    """Sum out labels of x not in keep."""
    axes = [i for i, c in enumerate(lab) if c not in keep]
    if not axes:
        return x, lab
    y = ctx.emit1("ReduceSum", [x], attrs={"axes": axes, "keepdims": 0}, hint="einsum_sum")
    return y, "".join(c for c in lab if c in keep)


def _group(dims: list):
    """One reshape dim for a group of dims: their product, the single symbolic
    dim itself, or a placeholder (becomes Reshape's -1) for a symbolic product."""
    if len(dims) == 1:
        return dims[0]
    if any(isinstance(d, str) for d in dims):
        return "(" + "*".join(str(d) for d in dims) + ")"
    out = 1
    for d in dims:
        out *= int(d)
    return out


@handler("Einsum")
def einsum(ctx: Context, node: OnnxNode) -> None:
    inputs = [i for i in node.inputs if i]
    if len(inputs) not in (1, 2):
        raise ctx.unsupported(f"Einsum with {len(inputs)} operands (1 or 2 are supported)")
    labels, out = _einsum_parse(ctx, str(node.attrs["equation"]), [ctx.rank(i) for i in inputs])
    if len(inputs) == 1:
        x, lab = _einsum_reduce(ctx, inputs[0], labels[0], out)
        ctx.transpose(x, [lab.index(c) for c in out], node.output(0), hint="einsum_order")
        return
    (a, la), (b, lb) = (_einsum_reduce(ctx, x, lab, out + other)
                        for x, lab, other in ((inputs[0], labels[0], labels[1]), (inputs[1], labels[1], labels[0])))
    dim = {}
    for x, lab in ((a, la), (b, lb)):
        for c, d in zip(lab, ctx.shape(x)):
            if c in dim and dim[c] != d and d != 1 and dim[c] != 1:
                raise ctx.error(f"label {c!r} has sizes {dim[c]} and {d}")
            if c not in dim or dim[c] == 1:
                dim[c] = d
    batch = [c for c in out if c in la and c in lb]
    left = [c for c in out if c in la and c not in lb]
    right = [c for c in out if c in lb and c not in la]
    contract = [c for c in la if c in lb and c not in out]
    a_t = ctx.transpose(a, [la.index(c) for c in batch + left + contract], hint="einsum_a")
    b_t = ctx.transpose(b, [lb.index(c) for c in batch + contract + right], hint="einsum_b")
    a_dims, b_dims = ctx.shape(a_t), ctx.shape(b_t)
    nb = len(batch)
    a_m = ctx.reshape(a_t, list(a_dims[:nb]) + [_group([dim[c] for c in left] or [1]),
                                                _group([dim[c] for c in contract] or [1])], hint="einsum_a2")
    b_m = ctx.reshape(b_t, list(b_dims[:nb]) + [_group([dim[c] for c in contract] or [1]),
                                                _group([dim[c] for c in right] or [1])], hint="einsum_b2")
    y = ctx.emit1("MatMul", [a_m, b_m], hint="einsum_matmul")
    y_dims = list(ctx.shape(y)[:nb]) + [dim[c] for c in left + right]
    y = ctx.reshape(y, y_dims, hint="einsum_split")
    order = batch + left + right
    ctx.transpose(y, [order.index(c) for c in out], node.output(0), hint="einsum_order")
