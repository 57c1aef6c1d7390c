"""The ONNX backend node cases through pocketml and onnxruntime, fed exactly as each case defines them.

    python bench/onnx_node_conformance.py [--engines pocketml onnxruntime] [--filter REGEX]
                                          [--failures FILE.md] [--timeout SECONDS]

Every node case of the installed onnx wheel (onnx.backend.test.loader) whose tensors use
pocketml's dtypes (float32, float16, int8..uint64, bool; sequences and optionals of those)
and whose ops are in the default domain -- except string ops, ImageDecoder and the
random-number ops, whose outputs cannot be compared -- is converted and run through
``pocketml.onnx_backend`` (pocketml.convert + Session: every graph input fed at run time)
and through ``onnxruntime.InferenceSession`` with the same runner and the same
comparison (each case's rtol/atol, as onnx's backend test runner: 1e-3 / 1e-7 by default;
dtypes and shapes must match exactly).

Cases run in a worker process; a crash or a hang (--timeout) is recorded for that case
and the run goes on after it. Prints pass counts for the whole in-scope domain and for
two op sets: "cnn" (cases whose ops all come from the CNN op list) and "transformer"
(the CNN list plus the transformer ops), then the failing cases grouped by reason.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import select
import subprocess
import sys
import time
import warnings

OUT_OF_SCOPE_OPS = {
    # strings
    "StringNormalizer", "StringConcat", "StringSplit", "RegexFullMatch", "TfIdfVectorizer",
    # decoders and random numbers: outputs that cannot be compared
    "ImageDecoder", "Bernoulli", "Multinomial", "RandomNormal", "RandomNormalLike", "RandomUniform",
    "RandomUniformLike",
}
CNN_OPS = {
    "Conv", "ConvTranspose", "Gemm", "MatMul", "BatchNormalization", "Relu", "LeakyRelu", "PRelu", "Clip",
    "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Elu", "Selu", "Softplus", "Add", "Sub", "Mul", "Div", "Sum",
    "Max", "Min", "Pow", "Sqrt", "Exp", "Log", "Abs", "Neg", "Reciprocal", "MaxPool", "AveragePool",
    "GlobalAveragePool", "GlobalMaxPool", "LRN", "Softmax", "LogSoftmax", "Concat", "Reshape", "Flatten", "Squeeze",
    "Unsqueeze", "Transpose", "Slice", "Split", "Pad", "Resize", "Upsample", "Identity", "Dropout", "Constant",
    "ConstantOfShape", "Shape", "Gather", "Cast", "ReduceMean", "ReduceSum", "ReduceMax", "DepthToSpace",
    "SpaceToDepth", "InstanceNormalization", "GroupNormalization", "Mean", "GlobalLpPool", "LpPool",
    "LpNormalization", "MaxUnpool", "MaxRoiPool", "RoiAlign", "NonMaxSuppression", "GridSample", "AffineGrid",
}
TRANSFORMER_OPS = CNN_OPS | {
    "LSTM", "GRU", "RNN", "LayerNormalization", "RMSNormalization", "Einsum", "Attention", "RotaryEmbedding", "Size",
    "Range", "Expand", "Tile", "GatherElements", "GatherND", "ScatterElements", "Scatter", "ScatterND", "Trilu",
    "CumSum", "OneHot", "TopK", "ArgMax", "ArgMin", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
    "ReduceSumSquare", "ReduceLogSumExp", "ReduceLogSum", "Equal", "Less", "LessOrEqual", "Greater",
    "GreaterOrEqual", "And", "Or", "Xor", "Not", "IsNaN", "IsInf", "Where", "Mod", "Floor", "Ceil", "Round", "Sign",
    "Sin", "Cos", "Erf", "Gelu", "CastLike", "Softsign", "Mish", "Celu", "Shrink", "ThresholdedRelu", "Hardmax",
    "Swish", "NonZero", "If", "Loop", "Scan", "SkipLayerNormalization", "MeanVarianceNormalization",
}
DEFAULT_RTOL, DEFAULT_ATOL = 1e-3, 1e-7


# ---- selecting the cases (both processes) -------------------------------------------------------
def _cases():
    from onnx.backend.test.loader import load_model_tests

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [c for c in load_model_tests(kind="node") if c.model is not None]


def _ops(model) -> set:
    import onnx

    ops = set()

    def visit(graph):
        for n in graph.node:
            ops.add(n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}.{n.op_type}")
            for a in n.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    visit(a.g)
                for g in a.graphs:
                    visit(g)

    visit(model.graph)
    return ops


def _type_in_scope(t) -> bool:
    from pocketml.converters.onnx.context import ONNX_TO_DTYPE

    kind = t.WhichOneof("value")
    if kind == "tensor_type":
        return t.tensor_type.elem_type in ONNX_TO_DTYPE
    if kind == "sequence_type":
        return _type_in_scope(t.sequence_type.elem_type)
    if kind == "optional_type":
        return _type_in_scope(t.optional_type.elem_type)
    return False


def scope(model) -> str:
    """"" when in scope, else why not."""
    ops = _ops(model)
    other = sorted(o for o in ops if "." in o)
    if other:
        return f"non-default domain {other[0]}"
    excluded = sorted(ops & OUT_OF_SCOPE_OPS)
    if excluded:
        return f"{excluded[0]} (string, decoder or random op)"
    for v in list(model.graph.input) + list(model.graph.output):
        if not _type_in_scope(v.type):
            return "dtype outside pocketml's eleven"
    for t in model.graph.initializer:
        from pocketml.converters.onnx.context import ONNX_TO_DTYPE

        if t.data_type not in ONNX_TO_DTYPE:
            return "dtype outside pocketml's eleven"
    return ""


def op_sets(model) -> list:
    ops = _ops(model)
    return [name for name, allowed in (("cnn", CNN_OPS), ("transformer", TRANSFORMER_OPS)) if ops <= allowed]


# ---- the worker: run cases, print one JSON line each ----------------------------------------------
def _compare(got, want, rtol, atol) -> str:
    import numpy as np

    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return "sequence output differs in length"
        return next((m for m in (_compare(g, w, rtol, atol) for g, w in zip(got, want)) if m), "")
    if want is None:
        return "" if got is None else "expected an empty optional"
    got, want = np.asarray(got), np.asarray(want)
    if got.dtype != want.dtype or got.shape != want.shape:
        return f"output {got.dtype}{list(got.shape)}, expected {want.dtype}{list(want.shape)}"
    if want.dtype.kind in "fc":
        if not np.allclose(got.astype(np.float64), want.astype(np.float64), rtol=rtol, atol=atol, equal_nan=True):
            err = np.nanmax(np.abs(got.astype(np.float64) - want.astype(np.float64)))
            return f"values differ (max abs diff {err:.3g})"
        return ""
    return "" if np.array_equal(got, want) else "values differ"


def _to_value(item):
    import numpy as np
    import onnx
    from onnx import numpy_helper

    if isinstance(item, onnx.TensorProto):
        return numpy_helper.to_array(item)
    if isinstance(item, onnx.SequenceProto):
        return [numpy_helper.to_array(t) for t in item.tensor_values]
    if isinstance(item, list):
        return [_to_value(i) for i in item]
    return item if item is None else np.asarray(item)


def _run_one(engine: str, case) -> str:
    """'' when every data set matches, else the reason (first line of the error)."""
    inits = {t.name for t in case.model.graph.initializer}
    names = [i.name for i in case.model.graph.input if i.name not in inits]
    if engine == "pocketml":
        from pocketml.onnx_backend import PocketMLBackend

        rep = PocketMLBackend.prepare(case.model, "CPU")
        run = lambda feeds: list(rep.run(feeds))  # noqa: E731
    else:
        import onnxruntime as ort

        sess = ort.InferenceSession(case.model.SerializeToString(), providers=["CPUExecutionProvider"])
        run = lambda feeds: sess.run(None, feeds)  # noqa: E731
    for inputs, outputs in case.data_sets:
        feeds = dict(zip(names, [_to_value(i) for i in inputs]))
        got = run(feeds)
        want = [_to_value(o) for o in outputs]
        if len(got) != len(want):
            return f"{len(got)} outputs, expected {len(want)}"
        for g, w in zip(got, want):
            why = _compare(g, w, case.rtol or DEFAULT_RTOL, case.atol or DEFAULT_ATOL)
            if why:
                return why
    return ""


def worker(engine: str, start: int, pattern: str) -> None:
    cases = _cases()
    for index in range(start, len(cases)):
        case = cases[index]
        if pattern and not re.search(pattern, case.name):
            continue
        why = scope(case.model)
        if why:
            print(json.dumps({"i": index, "name": case.name, "scope": why}), flush=True)
            continue
        print(json.dumps({"i": index, "name": case.name, "start": True}), flush=True)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reason = _run_one(engine, case)
        except Exception as e:  # noqa: BLE001 - any failure is this case's result
            reason = f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"
        print(json.dumps({"i": index, "name": case.name, "sets": op_sets(case.model), "fail": reason}), flush=True)


# ---- the parent: restart the worker after crashes and hangs ----------------------------------------
def run_engine(engine: str, pattern: str, timeout: float) -> dict:
    results, start = {}, 0
    while True:
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", engine, str(start), pattern]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        current, last, buf = None, time.monotonic(), b""
        while True:
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            chunk = os.read(proc.stdout.fileno(), 1 << 16) if ready else b""
            if chunk:
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    rec = json.loads(line)
                    last = time.monotonic()
                    if rec.get("start"):
                        current = rec
                    else:
                        results[rec["name"]] = rec
                        current = None
                        start = rec["i"] + 1
            elif ready or proc.poll() is not None:  # EOF: the worker ended
                proc.wait()
                break
            elif current is not None and time.monotonic() - last > timeout:
                proc.kill()
                proc.wait()
                break
        if current is None:
            if proc.returncode == 0 or proc.returncode is None:
                return results
            return results  # died between cases (e.g. loading): nothing more to learn
        how = "hang" if proc.returncode in (-9, None) else f"crash (exit {proc.returncode})"
        results[current["name"]] = {"i": current["i"], "name": current["name"], "sets": [], "fail": how}
        start = current["i"] + 1


def summarize(engine: str, results: dict) -> dict:
    run = [r for r in results.values() if "fail" in r]
    totals = {"all": [len(run), sum(1 for r in run if not r["fail"])]}
    for s in ("cnn", "transformer"):
        rs = [r for r in run if s in r.get("sets", [])]
        totals[s] = [len(rs), sum(1 for r in rs if not r["fail"])]
    return totals


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "")
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engines", nargs="+", default=["pocketml", "onnxruntime"])
    ap.add_argument("--filter", default="", help="only cases whose name matches this regex")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds one case may take")
    ap.add_argument("--failures", help="write pocketml's failing cases, grouped by reason, to this markdown file")
    args = ap.parse_args()
    all_results = {}
    for engine in args.engines:
        t0 = time.perf_counter()
        all_results[engine] = run_engine(engine, args.filter, args.timeout)
        print(f"{engine}: ran in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    scoped = next(iter(all_results.values()))
    out_of_scope = collections.Counter(r["scope"] for r in scoped.values() if "scope" in r)
    print(f"node cases: {len(scoped)}; out of scope: {sum(out_of_scope.values())} "
          f"({', '.join(f'{k}: {v}' for k, v in out_of_scope.most_common())})")
    print(f"{'engine':<12} {'in scope':>10} {'cnn set':>12} {'transformer set':>16}")
    for engine, results in all_results.items():
        t = summarize(engine, results)
        print(f"{engine:<12} {t['all'][1]:>5}/{t['all'][0]:<5} {t['cnn'][1]:>5}/{t['cnn'][0]:<6} "
              f"{t['transformer'][1]:>6}/{t['transformer'][0]:<8}")
    if "pocketml" in all_results:
        failing = [r for r in all_results["pocketml"].values() if r.get("fail")]
        groups = collections.defaultdict(list)
        for r in failing:
            groups[re.sub(r"'[^']*'|\d+", "…", r["fail"])[:160]].append(r["name"])
        lines = [f"- {len(names)} x {reason}\n  " + ", ".join(sorted(names)) for reason, names in
                 sorted(groups.items(), key=lambda kv: -len(kv[1]))]
        if args.failures:
            with open(args.failures, "w") as f:
                f.write("# pocketml's failing ONNX node cases, grouped by reason\n\n" + "\n".join(lines) + "\n")
        else:
            print("\n".join(lines))


if __name__ == "__main__":
    main()
