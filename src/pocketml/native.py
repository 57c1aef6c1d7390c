"""The ctypes binding of the pocketml C library (native/include/pocketml.h): the structs, every
API function's signature, finding and loading the library once, and turning a status into an
exception. ``pocketml.runtime`` builds Session and LoadedModel on it;
tests/ops/test_codegen.py checks it against the header.
"""
from __future__ import annotations

import ctypes
import os
import sys
import threading
from typing import Optional

from .errors import OutOfMemoryError, RuntimeFailure

PML_MAX_RANK = 8
PML_OK = 0
PML_ERR_OUT_OF_MEMORY = 8


class _TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int), ("rank", ctypes.c_int),
                ("dims", ctypes.c_int64 * PML_MAX_RANK), ("nbytes", ctypes.c_size_t)]


class _QuantInfo(ctypes.Structure):  # pml_quant_info
    _fields_ = [("axis", ctypes.c_int), ("count", ctypes.c_int), ("scale", ctypes.POINTER(ctypes.c_float)),
                ("zero_point", ctypes.POINTER(ctypes.c_int32))]


class _NodeProfile(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("op", ctypes.c_char_p), ("total_ns", ctypes.c_uint64),
                ("plan_time", ctypes.c_int)]


class _Options(ctypes.Structure):
    _fields_ = [("num_threads", ctypes.c_int), ("scalar_only", ctypes.c_int), ("plan_cache_size", ctypes.c_int),
                ("isa", ctypes.c_char_p), ("max_loop_iterations", ctypes.c_int64), ("memory_limit", ctypes.c_size_t),
                ("no_spinning", ctypes.c_int)]


_P = ctypes.c_void_p
_STATUS = ctypes.c_int
# name: (restype, argtypes) for every function of pocketml.h
_API = {
    "pml_version": (ctypes.c_char_p, []),
    "pml_format_version": (ctypes.c_uint32, []),
    "pml_last_error": (ctypes.c_char_p, []),
    "pml_status_string": (ctypes.c_char_p, [_STATUS]),
    "pml_model_load_file": (_STATUS, [ctypes.c_char_p, ctypes.POINTER(_P)]),
    "pml_model_load_buffer": (_STATUS, [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(_P)]),
    "pml_model_load_buffer_in_place": (_STATUS, [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(_P)]),
    "pml_model_metadata_count": (ctypes.c_int, [_P]),
    "pml_model_metadata_key": (ctypes.c_char_p, [_P, ctypes.c_int]),
    "pml_model_metadata_value": (ctypes.c_char_p, [_P, ctypes.c_int]),
    "pml_model_metadata_lookup": (ctypes.c_char_p, [_P, ctypes.c_char_p]),
    "pml_model_free": (None, [_P]),
    "pml_model_weight_loads": (ctypes.c_int, [_P]),
    "pml_session_options_init": (None, [ctypes.POINTER(_Options)]),
    "pml_session_create": (_STATUS, [_P, ctypes.POINTER(_Options), ctypes.POINTER(_P)]),
    "pml_session_free": (None, [_P]),
    "pml_session_input_count": (ctypes.c_int, [_P]),
    "pml_session_output_count": (ctypes.c_int, [_P]),
    "pml_session_input_info": (_STATUS, [_P, ctypes.c_int, ctypes.POINTER(_TensorInfo)]),
    "pml_session_output_info": (_STATUS, [_P, ctypes.c_int, ctypes.POINTER(_TensorInfo)]),
    "pml_session_input_quant": (_STATUS, [_P, ctypes.c_int, ctypes.POINTER(_QuantInfo)]),
    "pml_session_output_quant": (_STATUS, [_P, ctypes.c_int, ctypes.POINTER(_QuantInfo)]),
    "pml_session_find_input": (_STATUS, [_P, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]),
    "pml_session_find_output": (_STATUS, [_P, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]),
    "pml_session_set_input_shape": (_STATUS, [_P, ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_int64)]),
    "pml_session_input_dim_name": (ctypes.c_char_p, [_P, ctypes.c_int, ctypes.c_int]),
    "pml_session_output_dim_name": (ctypes.c_char_p, [_P, ctypes.c_int, ctypes.c_int]),
    "pml_session_plan_count": (ctypes.c_int, [_P]),
    "pml_session_input_fixes_shapes": (ctypes.c_int, [_P, ctypes.c_int]),
    "pml_session_output_shapes_vary": (ctypes.c_int, [_P]),
    "pml_session_reset_state": (ctypes.c_int, [_P]),
    "pml_session_state_bytes": (ctypes.c_size_t, [_P]),
    "pml_session_set_input": (_STATUS, [_P, ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]),
    "pml_session_input_buffer": (_STATUS, [_P, ctypes.c_int, ctypes.POINTER(ctypes.c_void_p),
                                          ctypes.POINTER(ctypes.c_size_t)]),
    "pml_session_run": (_STATUS, [_P]),
    "pml_session_cancel": (_STATUS, [_P]),
    "pml_session_output_data": (_STATUS, [_P, ctypes.c_int, ctypes.POINTER(ctypes.c_void_p),
                                          ctypes.POINTER(ctypes.c_size_t)]),
    "pml_session_arena_size": (ctypes.c_size_t, [_P]),
    "pml_session_state_size": (ctypes.c_size_t, [_P]),
    "pml_session_num_threads": (ctypes.c_int, [_P]),
    "pml_session_isa": (ctypes.c_char_p, [_P]),
    "pml_available_isas": (ctypes.c_char_p, []),
    "pml_session_enable_profiling": (_STATUS, [_P, ctypes.c_int]),
    "pml_session_profiled_runs": (ctypes.c_uint64, [_P]),
    "pml_session_node_count": (ctypes.c_int, [_P]),
    "pml_session_node_profile": (_STATUS, [_P, ctypes.c_int, ctypes.POINTER(_NodeProfile)]),
}

_lib: Optional[ctypes.CDLL] = None


def library_path() -> str:
    """Path of libpocketml: $POCKETML_LIBRARY, else lib/libpocketml.so in the pocketml package."""
    env = os.environ.get("POCKETML_LIBRARY")
    if env:
        return env
    import pocketml

    name = {"darwin": "libpocketml.dylib", "win32": "pocketml.dll"}.get(sys.platform, "libpocketml.so")
    candidates = [os.path.join(p, "lib", name) for p in pocketml.__path__]
    for path in candidates:
        if os.path.exists(path):
            return path
    raise RuntimeFailure(f"the pocketml C runtime ({name}) was not found in {candidates}; build it with "
                         "`pip install -e .` or point POCKETML_LIBRARY at it")


def native_prefix() -> str:
    """Directory of the installed C runtime, for embedding it in a C/C++ program:
    ``include/pocketml.h``, ``lib/libpocketml.so`` and ``lib/libpocketml.a``,
    ``lib/pkgconfig/pocketml.pc`` and ``lib/cmake/pocketml`` (``find_package(pocketml)``).
    After ``pip install -e .`` it is the ``pocketml`` directory in site-packages."""
    return os.path.dirname(os.path.dirname(os.path.abspath(library_path())))


_lib_lock = threading.Lock()


def lib() -> ctypes.CDLL:
    """The loaded C library with every API function's signature declared."""
    global _lib
    if _lib is None:
        with _lib_lock:  # two threads' first sessions load it once
            if _lib is None:
                cdll = ctypes.CDLL(library_path())
                for name, (restype, argtypes) in _API.items():
                    fn = getattr(cdll, name)
                    fn.restype, fn.argtypes = restype, argtypes
                _lib = cdll
    return _lib


def version() -> str:
    """Version of the loaded C runtime (pml_version()); equals ``pocketml.__version__``."""
    return lib().pml_version().decode()


def available_isas() -> list:
    """Kernel configurations this CPU can run, best first (e.g. ``["avx2", "scalar"]``):
    the values ``Session(..., isa=...)`` and the ``POCKETML_ISA`` environment variable accept."""
    return lib().pml_available_isas().decode().split(",")


def _error_text() -> str:
    return lib().pml_last_error().decode("utf-8", "replace")


def _check(status: int, exc: type, what: str) -> None:
    """Raise exc for a failed call; a session or run out of memory (over its memory_limit or a failed
    allocation) raises OutOfMemoryError instead (a MemoryError too), a model that fails to load keeps exc."""
    if status != PML_OK:
        kind = lib().pml_status_string(status).decode()
        if status == PML_ERR_OUT_OF_MEMORY and issubclass(RuntimeFailure, exc):
            exc = OutOfMemoryError
        raise exc(f"{what}: {_error_text()} [{kind}]")
