"""The exact int8 kernels next to the f32 ones on the same shapes, in the same run.

    python bench/bench_int8_gemm.py [--threads N] [--reps R] [--tile 4x16|6x16] [--isa avx2|scalar]
                                    [--float] [--onnxruntime] [--build-dir DIR]

Configures and builds the native micro-benchmark ``pml_bench_int8_gemm``
(native/bench/bench_int8_gemm.c, CMake option PML_BUILD_BENCH, Release) into --build-dir,
then runs it: GOP/s (2 x multiply-adds / best time of --reps runs) of the int8 GEMM, conv and
depthwise kernels and of the f32 kernels on the same shapes, and the int8/f32 speedup, as a
Markdown table (docs/benchmarks.md, "int8 kernels"). Where the configuration has u8 x s8 tiles
(avx512vnni: vpdpbusd; the weights here have zero points 0, so they run), the GEMM and conv
rows also time the int16 pair tiles (vpdpwssd) on the same shape: the last two columns. A second
table times the 3-channel stem convs three ways: im2col + GEMM, that im2col alone, and the
configuration's direct stem kernel (s8_conv.h, pml_qs8_stem_*). The kernels are called directly (packed
weights, the GEMM drivers), without a session: this measures kernels, not models.

--onnxruntime adds onnxruntime's QLinearMatMul (uint8 activations x constant int8 weights, its
default MLAS u8s8 path, one thread) on the GEMM shapes: one node per model, so its per-run
overhead (a few microseconds) is included.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build(build_dir: str) -> str:
    subprocess.run(["cmake", "-S", os.path.join(ROOT, "native"), "-B", build_dir, "-DPML_BUILD_BENCH=ON",
                    "-DCMAKE_BUILD_TYPE=Release"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build_dir, "-j2", "--target", "pml_bench_int8_gemm"], check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(build_dir, "pml_bench_int8_gemm")


ORT_SHAPES = [(256, 256, 256), (3136, 64, 64), (196, 320, 1280), (784, 32, 192), (1, 1280, 1000)]


def onnxruntime_qlinearmatmul(reps: int) -> None:
    import numpy as np
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    print("\n| onnxruntime QLinearMatMul u8s8 (M, K, N) | GOP/s |\n|---|---:|")
    for m, k, n in ORT_SHAPES:
        inits = [numpy_helper.from_array(np.array(0.02, np.float32), "as"),
                 numpy_helper.from_array(np.array(3, np.uint8), "az"),
                 numpy_helper.from_array(rng.integers(-128, 128, (k, n), dtype=np.int8), "b"),
                 numpy_helper.from_array(np.array(0.01, np.float32), "bs"),
                 numpy_helper.from_array(np.array(0, np.int8), "bz"),
                 numpy_helper.from_array(np.array(0.05, np.float32), "ys"),
                 numpy_helper.from_array(np.array(128, np.uint8), "yz")]
        node = helper.make_node("QLinearMatMul", ["a", "as", "az", "b", "bs", "bz", "ys", "yz"], ["y"])
        graph = helper.make_graph([node], "q", [helper.make_tensor_value_info("a", TensorProto.UINT8, [m, k])],
                                  [helper.make_tensor_value_info("y", TensorProto.UINT8, [m, n])], initializer=inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        a = rng.integers(0, 256, (m, k), dtype=np.uint8)
        sess.run(None, {"a": a})
        best = min(_timed(sess, a) for _ in range(reps))
        print(f"| ({m}, {k}, {n}) | {2.0 * m * n * k / best * 1e-9:.2f} |")


def _timed(sess, a) -> float:
    t0 = time.perf_counter()
    sess.run(None, {"a": a})
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=20, help="timed runs per shape (the best is reported)")
    ap.add_argument("--tile", choices=["4x16", "6x16"], help="int8 pair micro-kernel (default: the configuration's)")
    ap.add_argument("--isa", default="", help="kernel configuration (default: the best this CPU runs)")
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build", "bench-int8"))
    ap.add_argument("--float", action="store_true", help="ONNX's float requantization (default: TFLite's fixed point)")
    ap.add_argument("--onnxruntime", action="store_true", help="also time onnxruntime's QLinearMatMul")
    args = ap.parse_args()
    exe = build(args.build_dir)
    cmd = [exe, "--threads", str(args.threads), "--reps", str(args.reps)]
    if args.tile:
        cmd += ["--tile", args.tile]
    if args.isa:
        cmd += ["--isa", args.isa]
    if args.float:
        cmd += ["--float"]
    rc = subprocess.run(cmd).returncode
    if args.onnxruntime:
        onnxruntime_qlinearmatmul(args.reps)
    return rc


if __name__ == "__main__":
    sys.exit(main())
