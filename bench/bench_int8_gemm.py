"""The exact int8 kernels next to the f32 ones on the same shapes, in the same run.

    python bench/bench_int8_gemm.py [--threads N] [--reps R] [--tile 4x16|6x16] [--isa avx2|scalar]
                                    [--build-dir DIR]

Configures and builds the native micro-benchmark ``pml_bench_int8_gemm``
(native/bench/bench_int8_gemm.c, CMake option PML_BUILD_BENCH, Release) into --build-dir,
then runs it: GOP/s (2 x multiply-adds / best time of --reps runs) of the int8 GEMM, conv and
depthwise kernels and of the f32 kernels on the same shapes, and the int8/f32 speedup, as a
Markdown table (docs/benchmarks.md, "int8 kernels"). The kernels are called directly (packed
weights, the GEMM drivers), without a session: this measures kernels, not models.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build(build_dir: str) -> str:
    subprocess.run(["cmake", "-S", os.path.join(ROOT, "native"), "-B", build_dir, "-DPML_BUILD_BENCH=ON",
                    "-DCMAKE_BUILD_TYPE=Release"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build_dir, "-j2", "--target", "pml_bench_int8_gemm"], check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(build_dir, "pml_bench_int8_gemm")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=20, help="timed runs per shape (the best is reported)")
    ap.add_argument("--tile", choices=["4x16", "6x16"], help="int8 micro-kernel (default: the configuration's)")
    ap.add_argument("--isa", default="", help="kernel configuration (default: the best this CPU runs)")
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build", "bench-int8"))
    args = ap.parse_args()
    exe = build(args.build_dir)
    cmd = [exe, "--threads", str(args.threads), "--reps", str(args.reps)]
    if args.tile:
        cmd += ["--tile", args.tile]
    if args.isa:
        cmd += ["--isa", args.isa]
    return subprocess.run(cmd).returncode


if __name__ == "__main__":
    sys.exit(main())
