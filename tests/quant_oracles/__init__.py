"""Oracles for the quantized fixtures: LiteRT (reference kernels and XNNPACK) and onnxruntime runners,
loaders for models shipped in pip packages, and a session fixture quantizing a light_* CNN."""
