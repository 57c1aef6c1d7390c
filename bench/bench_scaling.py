"""How conversion and session creation grow with graph size, next to onnxruntime.

    python bench/bench_scaling.py [--quick] [--sizes 1000 4000 16000 64000]
                                  [--kinds addmul mixed encoder light] [--repeats 3] [--markdown]

Builds synthetic ONNX graphs with the onnx helper API at each size (node counts
are approximate targets; the table prints the real count):

  addmul   a chain of alternating Add/Mul with constant operands (what fold_bn folds)
  mixed    a chain of MatMul/Add/Relu blocks (shared weights, so files stay small)
  encoder  stacked transformer encoder layers (LayerNormalization, MatMul, Add,
           softmax attention, erf GELU): the patterns our passes fuse

plus the onnx wheel's light_*.onnx models ("light"). For each file it times
``pocketml.convert`` (import + passes + writing the .pml), ``pocketml.Session``
creation on that .pml (C load + verify + plan) and ``onnxruntime.InferenceSession``
creation (default graph optimisations, one thread) on the same .onnx file, and
prints the time per node and the ratios. Each time is the best of --repeats calls
(default 3; pocketml's conversion and onnxruntime's session alike) when one call
takes under a second (two for session creation), else one call; the previous
round's .pml is deleted (untimed) before each conversion. "conv cpu" is the
conversion's CPU time (user + system of this process, least of the same calls):
on a shared machine other processes stretch long calls' wall time, not their CPU
time, so the growth line reports both. A kind
stops growing once one conversion takes longer than --max-seconds.
"""
from __future__ import annotations

import glob
import os
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import pocketml
from pocketml.benchmark import bench_arguments, onnxruntime_session

LIGHT_DIR = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")
KINDS = ["addmul", "mixed", "encoder", "light"]
OPSET = 17  # LayerNormalization


def _model(nodes, inits, x_shape, out_name, out_shape) -> onnx.ModelProto:
    weights = [numpy_helper.from_array(np.asarray(a, np.float32), k) for k, a in inits.items()]
    graph = helper.make_graph(nodes, "scaling", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, out_shape)],
                              initializer=weights)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def addmul_chain(n: int) -> onnx.ModelProto:
    """x -> Add(c0) -> Mul(c1) -> Add(c2) ...: n nodes, one small constant each."""
    rng = np.random.default_rng(0)
    nodes, inits, prev = [], {}, "x"
    for i in range(n):
        op = "Add" if i % 2 == 0 else "Mul"
        c = f"c{i}"
        inits[c] = (rng.random(16) - 0.5) * 0.01 + (0.0 if op == "Add" else 1.0)  # products stay near 1
        nodes.append(helper.make_node(op, [prev, c], [f"t{i}"], name=f"n{i}"))
        prev = f"t{i}"
    return _model(nodes, inits, [1, 16], prev, [1, 16])


def mixed_chain(n: int) -> onnx.ModelProto:
    """x -> MatMul(W) -> Add(b) -> Relu -> MatMul ...: n nodes."""
    rng = np.random.default_rng(0)
    inits = {"W": rng.standard_normal((16, 16)) * 0.25, "b": rng.standard_normal(16) * 0.1}
    nodes, prev = [], "x"
    for i in range(n):
        op = ("MatMul", "Add", "Relu")[i % 3]
        ins = [prev, "W"] if op == "MatMul" else [prev, "b"] if op == "Add" else [prev]
        nodes.append(helper.make_node(op, ins, [f"t{i}"], name=f"n{i}"))
        prev = f"t{i}"
    return _model(nodes, inits, [4, 16], prev, [4, 16])


def encoder_stack(n: int, d: int = 16, seq: int = 8) -> onnx.ModelProto:
    """Pre-norm single-head encoder layers until about n nodes (weights shared by the layers)."""
    rng = np.random.default_rng(0)
    w = lambda *s: rng.standard_normal(s) * (1.0 / np.sqrt(s[0]))  # noqa: E731
    inits = {"g": np.ones(d), "be": np.zeros(d), "Wq": w(d, d), "Wk": w(d, d), "Wv": w(d, d), "Wo": w(d, d),
             "bq": np.zeros(d), "W1": w(d, 4 * d), "b1": np.zeros(4 * d), "W2": w(4 * d, d), "b2": np.zeros(d),
             "scale": np.array(1.0 / np.sqrt(d)), "sqrt2": np.array(np.sqrt(2.0)), "one": np.array(1.0),
             "half": np.array(0.5)}
    nodes, prev, layer = [], "x", 0
    while len(nodes) < n:
        p = f"L{layer}_"

        def mk(op, ins, out, p=p, **kw):
            nodes.append(helper.make_node(op, ins, [p + out], name=p + out, **kw))
            return p + out
        h = mk("LayerNormalization", [prev, "g", "be"], "ln1", axis=-1)
        q = mk("Add", [mk("MatMul", [h, "Wq"], "q0"), "bq"], "q")
        k = mk("MatMul", [h, "Wk"], "k")
        v = mk("MatMul", [h, "Wv"], "v")
        s = mk("Mul", [mk("MatMul", [q, mk("Transpose", [k], "kt", perm=[0, 2, 1])], "s0"), "scale"], "s")
        a = mk("MatMul", [mk("Softmax", [s], "p", axis=-1), v], "a")
        r1 = mk("Add", [prev, mk("MatMul", [a, "Wo"], "o")], "r1")
        h2 = mk("LayerNormalization", [r1, "g", "be"], "ln2", axis=-1)
        f = mk("Add", [mk("MatMul", [h2, "W1"], "f0"), "b1"], "f1")
        erf = mk("Erf", [mk("Div", [f, "sqrt2"], "gd")], "ge")
        g = mk("Mul", [mk("Mul", [f, mk("Add", [erf, "one"], "ga")], "gm"), "half"], "gelu")
        prev = mk("Add", [r1, mk("Add", [mk("MatMul", [g, "W2"], "f2"), "b2"], "f3")], "out")
        layer += 1
    return _model(nodes, inits, [1, seq, d], prev, [1, seq, d])


BUILDERS = {"addmul": addmul_chain, "mixed": mixed_chain, "encoder": encoder_stack}


REPEATS = 3  # calls per timing (--repeats)


def _best(fn, budget: float = 1.0, setup=None):
    """Best of REPEATS if one call takes under ``budget`` seconds, else the single time; and the
    result. ``setup`` runs untimed before each call."""
    best, result, _ = _best_cpu(fn, budget, setup)
    return best, result


def _best_cpu(fn, budget: float = 1.0, setup=None):
    """_best, plus the least CPU time (this process, user + system) of the same calls: on a shared
    machine other processes stretch the wall time of long calls, not their CPU time."""
    def once():
        if setup is not None:
            setup()
        c0, t0 = time.process_time(), time.perf_counter()
        result = fn()
        return time.perf_counter() - t0, result, time.process_time() - c0
    best, result, cpu = once()
    if best < budget:
        for _ in range(REPEATS - 1):
            t, result, c = once()
            best, cpu = min(best, t), min(cpu, c)
    return best, result, cpu


def _remove(path: str) -> None:
    """Delete the previous round's output untimed: freeing a 500 MB file's pages is not conversion."""
    if os.path.exists(path):
        os.remove(path)


def measure(label: str, src: str, tmp: str, run_ort: bool = True) -> dict:
    pml = os.path.join(tmp, os.path.basename(src) + ".pml")
    nodes = len(onnx.load(src, load_external_data=False).graph.node)
    t_conv, _, c_conv = _best_cpu(lambda: pocketml.convert(src).save(pml), setup=lambda: _remove(pml))
    t_sess, sess = _best(lambda: pocketml.Session(pml, threads=1), budget=2.0)
    arena = sess.arena_size
    del sess
    t_ort = _best(lambda: onnxruntime_session(src, 1))[0] if run_ort else float("nan")
    return {"case": label, "nodes": nodes, "convert": t_conv, "convert_cpu": c_conv, "session": t_sess, "ort": t_ort,
            "arena": arena}


def _row(r: dict, markdown: bool) -> str:
    n = r["nodes"]
    cells = [r["case"], f"{n}", f"{r['convert'] * 1e3:.0f}", f"{r['convert'] / n * 1e6:.1f}",
             f"{r['convert_cpu'] / n * 1e6:.1f}",
             f"{r['session'] * 1e3:.1f}", f"{r['session'] / n * 1e6:.2f}", f"{r['ort'] * 1e3:.1f}",
             f"{r['ort'] / n * 1e6:.2f}", f"{r['convert'] / r['ort']:.2f}", f"{r['session'] / r['ort']:.2f}",
             f"{r['arena']}"]
    if markdown:
        return "| " + " | ".join(cells) + " |"
    return f"{cells[0]:<24}" + "".join(f"{c:>12}" for c in cells[1:])


HEADER = ["case", "nodes", "convert ms", "conv us/node", "conv cpu us/n", "session ms", "sess us/node", "ort ms", "ort us/node",
          "conv/ort", "sess/ort", "arena B"]


def main(argv=None) -> int:
    ap = bench_arguments(__doc__, KINDS, "kinds to run: addmul mixed encoder light")
    ap.add_argument("--sizes", nargs="+", type=int, default=[1000, 4000, 16000, 64000])
    ap.add_argument("--quick", action="store_true", help="sizes 1k and 4k only")
    ap.add_argument("--max-seconds", type=float, default=120.0,
                    help="stop growing a kind once one conversion takes longer than this")
    ap.add_argument("--ort-max-seconds", type=float, default=120.0,
                    help="skip onnxruntime at a size where its previous time, grown quadratically, would exceed this")
    ap.add_argument("--repeats", type=int, default=3,
                    help="calls per timing, the best one counts (both engines alike; more: steadier on a noisy machine)")
    args = ap.parse_args(argv)
    global REPEATS
    REPEATS = max(1, args.repeats)
    sizes = [1000, 4000] if args.quick else args.sizes
    kinds = args.models

    if args.markdown:
        print("| " + " | ".join(HEADER) + " |")
        print("|" + "---|" * len(HEADER))
    else:
        print(f"{HEADER[0]:<24}" + "".join(f"{h:>12}" for h in HEADER[1:]))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            if kind == "light":
                paths = sorted(glob.glob(os.path.join(LIGHT_DIR, "light_*.onnx")))
                cases = [(os.path.basename(p)[len("light_"):-len(".onnx")], p) for p in paths]
            else:
                cases = []
                for size in sizes:
                    path = os.path.join(tmp, f"{kind}_{size}.onnx")
                    onnx.save(BUILDERS[kind](size), path)
                    cases.append((f"{kind} {size // 1000}k", path))
            prev = None
            for label, path in cases:
                nodes = len(onnx.load(path, load_external_data=False).graph.node)
                run_ort = kind == "light" or prev is None or \
                    prev["ort"] * (nodes / prev["nodes"]) ** 2 <= args.ort_max_seconds
                r = measure(label, path, tmp, run_ort=run_ort)
                prev = r if run_ort else prev
                rows.append(r)
                print(_row(r, args.markdown), flush=True)
                if kind != "light" and r["convert"] > args.max_seconds:
                    print(f"  ({kind}: stopping, conversion took {r['convert']:.0f} s)", flush=True)
                    break
    # growth: time per node at the largest size over time per node at the smallest, per kind
    print()
    for kind in kinds:
        if kind == "light":
            worst = max((r["convert"] / r["ort"] for r in rows if r["case"].split()[0] not in BUILDERS), default=0)
            print(f"light: worst convert/ort ratio {worst:.2f}")
            continue
        mine = [r for r in rows if r["case"].startswith(kind + " ")]
        if len(mine) >= 2:  # (ort nan when skipped)
            a, b = mine[0], mine[-1]
            g = lambda key: (b[key] / b["nodes"]) / (a[key] / a["nodes"])  # noqa: E731
            print(f"{kind}: per-node growth {a['case']} -> {b['case']}: convert {g('convert'):.2f}x "
                  f"(cpu time {g('convert_cpu'):.2f}x), session {g('session'):.2f}x, ort {g('ort'):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
