"""Checks of what the user typed, made before any slow work: argument types for argparse,
model, output and .npy paths. A failed check raises UsageError (exit code 2) with one
sentence saying what is wrong and how to fix it.
"""
from __future__ import annotations

import argparse
import os

from ..errors import ConversionError
from ..precheck import detect_format


class UsageError(Exception):
    """A mistake in the command line: reported in one line, exit code 2."""


class MissingRuntime(Exception):
    """An optional runtime (onnxruntime, LiteRT) is not installed: a failure (exit 1), not a usage error."""


# ---- argparse types ------------------------------------------------------------------------
def _dims(text: str, what: str) -> tuple:
    try:
        dims = tuple(int(d) for d in text.replace("x", ",").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what}: dims must be integers separated by commas, e.g. 1,3,224,224") \
            from None
    if any(d <= 0 for d in dims):
        raise argparse.ArgumentTypeError(f"{what}: every dim must be positive (got {list(dims)})")
    return dims


def shape_arg(text: str) -> tuple:
    """NAME=D0,D1,... -> (name, dims); dims positive."""
    name, _, dims = text.rpartition("=")
    if not name or not dims:
        raise argparse.ArgumentTypeError(f"expected NAME=D0,D1,... (e.g. input=1,3,224,224), got {text!r}")
    return name, _dims(dims, text)


def dim_arg(text: str) -> tuple:
    """NAME=VALUE for a symbolic dim -> (name, value); value positive."""
    name, _, value = text.rpartition("=")
    if not name or not value:
        raise argparse.ArgumentTypeError(f"expected DIM=VALUE (e.g. sequence=128), got {text!r}")
    if "," in value:
        raise argparse.ArgumentTypeError(f"{text}: one positive integer expected after '='")
    return name, _dims(value, text)[0]


def input_arg(text: str) -> tuple:
    name, _, path = text.partition("=")
    if not name or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=FILE.npy, got {text!r}")
    return name, path


def _number(kind, minimum, what):
    def parse(text: str):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if v < minimum or (minimum == 0 and kind is float and v == 0):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return v
    return parse


positive_int = _number(int, 1, "a positive integer")
count_arg = _number(int, 0, "an integer >= 0")
seconds_arg = _number(float, 0, "a positive number of seconds")

_BYTE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def bytes_arg(text: str) -> int:
    """A size in bytes: an integer, or a number with a binary suffix K, M, G or T (512M, 1.5G; a
    trailing B or iB is allowed: 64KiB)."""
    t = text.strip().upper()
    for tail in ("IB", "B"):
        if t.endswith(tail) and t[:-len(tail)][-1:] in "KMGT":
            t = t[:-len(tail)]
            break
    unit = t[-1:] if t[-1:] in "KMGT" else ""
    try:
        value = float(t[:len(t) - len(unit)]) * _BYTE_UNITS[unit]
    except ValueError:
        value = -1.0
    if not 0 <= value < 1 << 64:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"expected a size in bytes such as 1073741824, 64M, 512M or 1G, "
                                         f"got {text!r}")
    return int(value)


# ---- paths -----------------------------------------------------------------------------------
def model_format(path: str) -> str:
    """The format of an existing model file by content: "pml", "onnx" or "tflite"."""
    if not os.path.exists(path):
        raise UsageError(f"{path}: no such file")
    if os.path.isdir(path):
        raise UsageError(f"{path} is a directory; give a model file (.pml, .onnx or .tflite)")
    if not os.access(path, os.R_OK):
        raise UsageError(f"{path}: permission denied (cannot read it)")
    try:
        return detect_format(path)
    except ConversionError as e:
        raise UsageError(str(e)) from None


def check_output(path: str, example: str) -> None:
    """An output file we can create: not a directory, in an existing writable directory."""
    if os.path.isdir(path):
        raise UsageError(f"output {path} is a directory; give a file name, e.g. {os.path.join(path, example)}")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UsageError(f"output directory {os.path.dirname(path) or parent} does not exist "
                         f"(create it first: mkdir -p {os.path.dirname(path) or parent})")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"output directory {parent} is not writable")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise UsageError(f"output {path} exists and is not writable")


def load_npy(name: str, path: str):
    """The array of `--input NAME=PATH`: a .npy file (checked by its magic bytes)."""
    import numpy as np

    if not os.path.exists(path):
        raise UsageError(f"--input {name}={path}: no such file")
    if os.path.isdir(path):
        raise UsageError(f"--input {name}={path}: is a directory; give a .npy file")
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic != b"\x93NUMPY":
        raise UsageError(f"--input {name}={path}: not a .npy file; save the array with numpy.save('x.npy', array)")
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise UsageError(f"--input {name}={path}: unreadable .npy file ({e})") from None


def unknown_names(given, known: list, what: str, listing: str) -> None:
    """UsageError naming every given name that is not in known, and listing what is."""
    bad = [n for n in given if n not in known]
    if bad:
        raise UsageError(f"{what} {', '.join(map(repr, bad))} not in the model; {listing}")
