"""Exceptions raised by pocketml. Every message names what failed (file, node,
op, opset, tensor, dtype, shape) and, where it helps, what is supported."""


class PocketMLError(Exception):
    """Base class of every pocketml error."""


class ConversionError(PocketMLError):
    """A source model (ONNX, TFLite) could not be converted."""


class UnsupportedOpError(ConversionError):
    """An op, domain, opset or attribute value the converter does not support."""


class ModelLoadError(PocketMLError):
    """The runtime rejected a .pml file or buffer (malformed, truncated, corrupted, unsupported)."""


class InputError(PocketMLError, ValueError):
    """Wrong input name, shape or dtype given to Session.run."""


class RuntimeFailure(PocketMLError):
    """The C runtime failed while creating a session or running a model."""


class OutOfMemoryError(PocketMLError, MemoryError):
    """The C runtime could not get the memory a session or a plan needs: over the session's
    ``memory_limit`` (the message names the bytes required and the limit) or a failed allocation.
    The session stays usable: a smaller input shape runs as before."""
