"""The neural-network ops real models from the wild use (super-resolution, style transfer,
OCR), one node each, next to onnxruntime.

    python bench/bench_nn_ops.py [--threads 1] [--seconds 2] [--markdown]

Each case is a one-node ONNX model. "pocketml" and "onnxruntime" time the whole
model (interleaved rounds, medians); for the channels-last ops (DepthToSpace,
SpaceToDepth, InstanceNormalization, GroupNormalization) pocketml's model also
runs the NCHW <-> NHWC transposes the layout pass removes between convolutions in
a real network, so "op alone" gives the node's own time from the session profile
(mean of the profiled runs).
"""
from __future__ import annotations

import os
import sys
import tempfile

import numpy as np
import onnx
from onnx import helper

import pocketml
from pocketml.benchmark import bench_arguments, interleaved, onnxruntime_session

# name -> (op, input shape, dtype, attributes, opset, extra inputs as (name, array))
CASES = {
    "d2s_dcr_9x224": ("DepthToSpace", (1, 9, 224, 224), np.float32, {"blocksize": 3}, 13, []),
    "d2s_crd_9x224": ("DepthToSpace", (1, 9, 224, 224), np.float32, {"blocksize": 3, "mode": "CRD"}, 13, []),
    "d2s_dcr_256x64": ("DepthToSpace", (1, 256, 64, 64), np.float32, {"blocksize": 2}, 13, []),
    "d2s_crd_256x64": ("DepthToSpace", (1, 256, 64, 64), np.float32, {"blocksize": 2, "mode": "CRD"}, 13, []),
    "s2d_64x128": ("SpaceToDepth", (1, 64, 128, 128), np.float32, {"blocksize": 2}, 13, []),
    "instnorm_64x256": ("InstanceNormalization", (1, 64, 256, 256), np.float32, {}, 17, ["scale64", "bias64"]),
    "groupnorm_320x64": ("GroupNormalization", (1, 320, 64, 64), np.float32, {"num_groups": 32}, 21,
                         ["scale320", "bias320"]),
    "groupnorm_320x64_f16": ("GroupNormalization", (1, 320, 64, 64), np.float16, {"num_groups": 32}, 21,
                             ["scale320", "bias320"]),
    "lpnorm_c256x56": ("LpNormalization", (1, 256, 56, 56), np.float32, {"axis": 1}, 22, []),
    "cumprod_64x4096": ("CumProd", (64, 4096), np.float32, {}, 26, ["axis1"]),
    "revseq_256x64x128": ("ReverseSequence", (256, 64, 128), np.float32, {}, 10, ["lens64"]),
}


def _extra(name: str, dtype) -> np.ndarray:
    rng = np.random.default_rng(1)
    if name.startswith(("scale", "bias")):
        return rng.standard_normal(int(name.lstrip("scalebias"))).astype(dtype)
    if name == "axis1":
        return np.array(1, np.int64)
    return rng.integers(0, 257, size=64).astype(np.int64)  # lens64: ReverseSequence's run-time lengths


def build(case: str):
    op, shape, dtype, attrs, opset, extras = CASES[case]
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    consts = {e: _extra(e, dtype) for e in extras}
    feeds = {"x": x, **({"lens64": consts.pop("lens64")} if "lens64" in consts else {})}
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    node = helper.make_node(op, ["x", *extras], ["y"], **attrs)
    graph = helper.make_graph(
        [node], case, [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
                       for k, v in feeds.items()],
        [helper.make_tensor_value_info("y", elem, None)],
        [onnx.numpy_helper.from_array(v, k) for k, v in consts.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]), feeds, op


def main() -> int:
    ap = bench_arguments(__doc__, list(CASES), "cases to time")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in args.models:
            model, feeds, op = build(case)
            path = os.path.join(tmp, f"{case}.onnx")
            onnx.save(model, path)
            converted = pocketml.convert(path)
            for threads in args.threads:
                ort = onnxruntime_session(path, threads)
                ours = pocketml.Session(converted, threads=threads)
                t = interleaved({"pocketml": lambda: ours.run(feeds), "onnxruntime": lambda: ort.run(None, feeds)},
                                rounds=args.rounds, min_seconds=args.seconds)
                prof = pocketml.Session(converted, threads=threads)
                prof.enable_profiling()
                for _ in range(20):
                    prof.run(feeds)
                alone = sum(e.mean_ms for e in prof.profile() if e.op != "Transpose")
                rows.append((case, threads, t["pocketml"].median_ms, alone, t["onnxruntime"].median_ms))
                print(f"{case} threads={threads}: pocketml {rows[-1][2]:.3f} ms (op alone {alone:.3f}), "
                      f"onnxruntime {rows[-1][4]:.3f} ms", file=sys.stderr)
    if args.markdown:
        print("| case | threads | pocketml median (ms) | op alone (ms) | onnxruntime median (ms) | ratio |")
        print("|---|---|---|---|---|---|")
        for case, threads, ours_ms, alone, ort_ms in rows:
            print(f"| {case} | {threads} | {ours_ms:.3f} | {alone:.3f} | {ort_ms:.3f} | {ours_ms / ort_ms:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
