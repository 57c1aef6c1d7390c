"""pocketml: convert neural networks to .pml and run them with an embeddable C runtime.

    import pocketml
    model = pocketml.convert("model.onnx")          # import + optimize
    model.save("model.pml")
    session = pocketml.Session("model.pml", threads=2)
    outputs = session.run({"input": x})             # runs in C

The public names are imported lazily so that ``import pocketml.ops`` (used by
tools and converters) does not load the C runtime.
"""
from .errors import ConversionError, InputError, ModelLoadError, PocketMLError, RuntimeFailure, UnsupportedOpError

__version__ = "0.1.0"

_LAZY = {"convert": ("convert", "convert"), "Model": ("model", "Model"), "Session": ("runtime", "Session"),
         "available_isas": ("runtime", "available_isas")}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pocketml' has no attribute {name!r}")


def load(path):
    """Read a .pml file (verified) back into a Model."""
    from .model import Model

    return Model.load(path)


__all__ = [
    "convert", "load", "Model", "Session", "available_isas", "PocketMLError", "ConversionError", "UnsupportedOpError",
    "ModelLoadError", "InputError", "RuntimeFailure", "__version__",
]
