"""pocketml: convert neural networks to .pml and run them with an embeddable C runtime.

    import pocketml
    model = pocketml.convert("model.onnx")          # import + optimize
    model.save("model.pml")
    session = pocketml.Session("model.pml", threads=2)
    outputs = session.run({"input": x})             # runs in C

The public names are imported lazily so that ``import pocketml`` stays light
and ``import pocketml.ops`` (used by tools and converters) does not load the C
runtime; ``dir(pocketml)`` lists them all.
"""
from __future__ import annotations

import os  # already loaded by the interpreter: costs nothing (typing would cost ~10 ms)

from .errors import ConversionError, InputError, ModelLoadError, PocketMLError, RuntimeFailure, UnsupportedOpError
from .errors import OutOfMemoryError

_LAZY = {"convert": ("convert", "convert"), "Model": ("model", "Model"), "Session": ("runtime", "Session"),
         "LoadedModel": ("runtime", "LoadedModel"), "TensorInfo": ("tensor_info", "TensorInfo"),
         "QuantParams": ("quant_params", "QuantParams"),
         "available_isas": ("runtime", "available_isas")}


def _package_version() -> str:
    """The installed distribution's version (pyproject.toml's); tests check that the C runtime's
    pml_version() says the same."""
    from importlib import metadata

    try:
        return metadata.version("pocketml")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str):
    if name == "__version__":
        value = _package_version()
    elif name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
    else:
        raise AttributeError(f"module 'pocketml' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> "list[str]":
    """The public API (what tab completion offers), lazy names included."""
    return sorted(__all__)


def load(path: "str | os.PathLike[str] | bytes") -> "Model":  # noqa: F821 (Model is a lazy name)
    """Read a .pml file (or its bytes), verified, back into a :class:`Model`."""
    from .model import Model

    return Model.load(path)


__all__ = [
    "convert", "load", "Model", "Session", "LoadedModel", "TensorInfo", "available_isas", "PocketMLError",
    "ConversionError", "UnsupportedOpError", "ModelLoadError", "InputError", "RuntimeFailure", "__version__",
]
__all__ += ["OutOfMemoryError", "QuantParams"]
