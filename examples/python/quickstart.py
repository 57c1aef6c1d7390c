"""Quickstart: convert an ONNX model, save it as .pml, run it with the C runtime.

    python examples/python/quickstart.py [model.onnx]

Without an argument it uses the SqueezeNet model that ships inside the onnx
package, so it runs offline.
"""
import os
import sys

import numpy as np
import onnx

import pocketml

src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(onnx.__file__), "backend", "test", "data", "light", "light_squeezenet.onnx")

model = pocketml.convert(src)                 # ONNX -> optimized pocketml graph
model.save("squeezenet.pml")                  # verified, mmap-friendly file
print(model.summary().format())

session = pocketml.Session("squeezenet.pml", threads=2)
name, dtype, shape = session.inputs[0].name, session.inputs[0].dtype, session.inputs[0].shape
x = np.random.default_rng(0).random(shape, dtype=np.float32)
probs = session.run({name: x})[session.output_names[0]]
top5 = np.argsort(-probs.reshape(-1))[:5]
print("top-5 classes:", top5.tolist(), "arena bytes:", session.arena_size)
