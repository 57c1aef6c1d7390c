"""ONNX importer: ``import_onnx(model, input_shapes=None, const_inputs=None) -> pocketml.ir.Graph``.

importer.py walks the graph; context.py holds the per-import state, the
handler table and the emit/fold machinery; ops_<family>.py map each ONNX op
type to IR ops of that registry family (see ``supported_ops()``); layout.py
wraps NCHW spatial ops into the IR's NHWC ones; params.py reads parameters
that may be computed at run time.
"""
from .dispatch import model_op_types
from .importer import import_onnx, supported_ops

__all__ = ["import_onnx", "model_op_types", "supported_ops"]
