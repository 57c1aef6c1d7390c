"""TFLite importer: ``import_tflite(path_or_bytes, input_shapes=None) -> pocketml.ir.Graph``.

reader.py validates the file and decodes subgraph 0 through the `tflite`
package's generated FlatBuffers accessors (bounds-checked: a truncated or
corrupted file is a ConversionError); context.py holds the handler table and
the emit/fold machinery; ops_<family>.py map each TFLite builtin op to IR ops
of that registry family (see ``supported_ops()``); weights.py folds
DEQUANTIZE/DENSIFY of constant weights. TFLite is NHWC like the engine: no
transposes.
"""
from .importer import import_tflite, supported_ops

__all__ = ["import_tflite", "supported_ops"]
