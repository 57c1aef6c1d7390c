"""The last resort at the import boundary: whatever escapes an importer is a ConversionError.

Known failure modes are checked before they happen (sizes, ranges, encodings) and raise
ConversionError themselves; this wrapper is for the ones nobody foresaw. ``guarded(source)``
wraps one conversion (pocketml.convert, import_onnx, import_tflite): an exception that is not a
PocketMLError (MemoryError, RecursionError, ValueError, IndexError, KeyError, struct.error, a
protobuf or FlatBuffers decode error...) becomes

    ConversionError("internal error converting <file> at node '<name>' (<op>): <Exc>: <msg>; please report")

with the original chained. The importers' contexts hold the node they are converting; each is
registered once with ``follow`` (a subgraph's after its enclosing graph's, and left with
``unfollow`` once imported), and the message reads the node they hold only when it is worded,
instead of being told at each of a model's hundreds of nodes.
Nested guards (convert calling import_onnx) wrap once, at the outermost.
"""
from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from typing import Callable, Optional

from .errors import ConversionError, PocketMLError


@dataclasses.dataclass
class _Progress:
    source: str
    stage: str = "reading the file"
    # importer contexts whose current node is read when a message is worded (follow), innermost last
    followed: list = dataclasses.field(default_factory=list)


_CURRENT: contextvars.ContextVar = contextvars.ContextVar("pocketml_import_progress", default=None)


def follow(context, slot: str, describe: Callable) -> None:
    """From now on ``context``'s attribute ``slot`` is the node being imported (None: between
    nodes); ``describe(node)`` gives (name, op, opset). Read only when a message is worded, the
    latest followed context with a node first: a subgraph's context is followed after its
    enclosing one's, and left (unfollow) once its import succeeded. A no-op outside a guard."""
    p = _CURRENT.get()
    if p is not None:
        p.followed.append((context, slot, describe))
        p.stage = "importing"


def unfollow(context) -> None:
    """``context`` has imported its graph: no longer where a failure happens."""
    p = _CURRENT.get()
    if p is not None:
        p.followed = [f for f in p.followed if f[0] is not context]


def at_stage(stage: str) -> None:
    """A stage with no current node (optimizing the graph, writing metadata...)."""
    p = _CURRENT.get()
    if p is not None:
        p.followed = []
        p.stage = stage


def _where(p: _Progress) -> str:
    for context, slot, describe in reversed(p.followed):
        node = getattr(context, slot, None)
        if node is not None:
            name, op, opset = describe(node)
            return f" at node '{name}' ({op}" + (f", opset {opset})" if opset is not None else ")")
    return f" while {p.stage}"


@contextlib.contextmanager
def guarded(source: str):
    """Turn any non-PocketMLError raised inside into a ConversionError naming ``source`` and the node."""
    if _CURRENT.get() is not None:  # an outer guard already wraps this conversion
        yield
        return
    progress = _Progress(source)
    token = _CURRENT.set(progress)
    try:
        yield
    except PocketMLError:
        raise
    except OSError as exc:  # the file system, not a bug: an unreadable or vanished file
        raise ConversionError(f"cannot convert {source}: {exc.strerror or exc}"
                              + (f": {exc.filename}" if exc.filename else "")) from exc
    except Exception as exc:  # noqa: BLE001 - the point of a last resort (MemoryError, RecursionError... too)
        message = " ".join(str(exc).split())[:500]  # one line
        raise ConversionError(f"internal error converting {source}{_where(progress)}: {type(exc).__name__}: "
                              f"{message}; please report") from exc
    finally:
        _CURRENT.reset(token)
