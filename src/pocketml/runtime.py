"""Run .pml models with the pocketml C runtime (ctypes binding of native/include/pocketml.h).

    with Session("model.pml", threads=2) as s:
        print(s.inputs, s.arena_size, s.isa)
        outputs = s.run({"x": x})            # dict name -> numpy array

Models with symbolic dims (``s.inputs[0].shape == ("batch", 128)``) run at
any size of those dims: ``run`` gives the C runtime the arrays' shapes, which
re-plans the session for a new combination of shapes (cached per
combination; ``plan_count`` counts plans, ``model.weight_loads`` stays 1).

The library is found through the POCKETML_LIBRARY environment variable, else
as lib/libpocketml.so inside the installed pocketml package. Inputs are
checked in Python first (name, dtype, shape: no silent casting) so mistakes
get a friendly InputError; everything else is the C runtime's own error
message, raised as ModelLoadError (loading) or RuntimeFailure (session
creation, running). Python never computes an op: ``run`` calls pml_session_run.

``LoadedModel`` loads a file once; several Sessions can share it (and its
weights) — a Session given a path or bytes loads a model of its own.

Threads: the C rule is one thread at a time per session, any number of
sessions per model at once. Session enforces the first with a lock of its own
(calls from several threads take turns), and ``run`` copies outputs out of the
arena while holding it.
"""
from __future__ import annotations

import ctypes
import dataclasses
import os
import threading
import weakref
from collections.abc import Mapping
from typing import Any, Optional, Sequence, Union

import numpy as np

from . import ir
from .errors import InputError, ModelLoadError, RuntimeFailure
from .native import (PML_MAX_RANK, PML_OK, _API, _NodeProfile, _Options, _P, _QuantInfo, _TensorInfo,  # noqa: F401
                     _check, _error_text, available_isas, lib, library_path, native_prefix, version)
from .quant_params import QuantParams
from .tensor_info import TensorInfo


def _text(name: bytes) -> str:
    """A name from the file: the C loader takes any bytes, so invalid UTF-8 shows escaped (the name
    still keys Session.run's feeds and results) instead of failing to decode."""
    return name.decode("utf-8", "backslashreplace")


@dataclasses.dataclass(frozen=True)
class NodeProfile:
    """Timing of one node (``Session.profile()``): mean_ms per profiled run; plan_time: computed
    while planning for the current shapes, so it costs nothing at run time."""
    name: str
    op: str
    mean_ms: float
    plan_time: bool


_DTYPES = {code: ir.np_dtype(name) for code, name in ir.DTYPE_BY_CODE.items()}


def _source_format_hint(head: bytes, path: Optional[str]) -> Optional[str]:
    """'an ONNX'/'a TFLite' when a file the runtime refused is a source model (so the user should convert
    it), else None. Looked at only after the C loader failed: .pml files never pay for it."""
    name = (path or "").lower()
    if name.endswith(".tflite") or head[4:8] == b"TFL3":
        return "a TFLite"
    if name.endswith(".onnx") or (head[:1] == b"\x08" and not head.startswith(b"POCKETML")):
        return "an ONNX"  # protobuf: ModelProto starts with field 1 (ir_version), a varint
    return None


def _refuse_source_model(head: bytes, path: Optional[str], what: str) -> None:
    """The "convert it first" error, when a file the C loader refused is an ONNX or TFLite model."""
    fmt = _source_format_hint(head, path)
    if fmt is not None:
        arg = repr(path) if path else "path"
        raise ModelLoadError(f"{what}: this is {fmt} model, not a .pml file; convert it first: "
                             f"model = pocketml.convert({arg}), then Session(model) or model.save('model.pml')")


class LoadedModel:
    """A .pml model loaded and verified by the C runtime, whose weights several Sessions share.

    ``Session(path)`` loads a model of its own; ``LoadedModel(path)`` once plus
    ``Session(loaded)`` per thread runs one copy of the weights from several threads
    at once (sessions of one model may run concurrently; see :class:`Session`).
    A path is memory-mapped by the C loader and its weights used in place (no copy: the
    file must not be rewritten while the model is loaded; replace it by renaming a new file
    over it). Bytes are copied into the C model, so the caller's buffer may change after.
    """

    def __init__(self, source: Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, Any]):
        """``source``: a .pml path, the bytes of a .pml file, or an object with ``to_bytes()`` (a
        :class:`pocketml.Model`). ONNX and TFLite files must be converted first (``pocketml.convert``)."""
        self._handle = _P()
        self._sessions: "weakref.WeakSet[Session]" = weakref.WeakSet()
        if hasattr(source, "to_bytes") and not isinstance(source, (bytes, bytearray, memoryview, int)):
            source = source.to_bytes()
        if isinstance(source, (bytes, bytearray, memoryview)):
            buf = bytes(source) if not isinstance(source, bytes) else source
            what = f"cannot load model from a {len(buf)}-byte buffer"
            status = lib().pml_model_load_buffer(buf, len(buf), ctypes.byref(self._handle))
            if status != PML_OK:
                _refuse_source_model(buf[:8], None, what)
        elif isinstance(source, (str, os.PathLike)):
            path = os.fspath(source)
            what = f"cannot load model {path!r}"
            status = lib().pml_model_load_file(os.fsencode(path), ctypes.byref(self._handle))
            if status != PML_OK and os.path.isfile(path):  # a missing file keeps the C message, whatever its name
                with open(path, "rb") as f:
                    _refuse_source_model(f.read(8), path, what)
        else:
            raise TypeError(f"model must be a path, bytes or an object with to_bytes(), got {type(source).__name__}")
        _check(status, ModelLoadError, what)

    @property
    def weight_loads(self) -> int:
        """Times the weights were read (1: sessions and re-plans never re-read them)."""
        return lib().pml_model_weight_loads(self._require())

    @property
    def metadata(self) -> dict:
        """The model's metadata (key -> value strings), as the C runtime reads it."""
        handle = self._require()
        return {lib().pml_model_metadata_key(handle, i).decode("utf-8", "replace"):
                lib().pml_model_metadata_value(handle, i).decode("utf-8", "replace")
                for i in range(lib().pml_model_metadata_count(handle))}

    def _require(self) -> _P:
        if not self._handle:
            raise RuntimeFailure("the model has been closed")
        return self._handle

    def close(self) -> None:
        """Free the C model. Sessions must be closed first (they use its weights in place)."""
        if any(s._handle for s in self._sessions):
            raise RuntimeFailure("cannot close a model while sessions use it: close the sessions first")
        if self._handle:
            lib().pml_model_free(self._handle)
            self._handle = _P()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class Session:
    """A planned, runnable instance of a model (a C pml_session).

        s = Session("model.pml", threads=0)         # 0: all cores this process may use
        out = s.run({"x": x})                       # {output name: array}
        y, = s.run(["y"], {"x": x})                 # onnxruntime's order: a list

    Threads: a Session may be called from several threads. Every call that
    touches the C session (``run``, ``reset_state``, profiling, the size
    properties, ``close``) holds the session's lock, so calls from different
    threads run one after another, never interleaved; ``run`` returns copies
    that a later run cannot overwrite. For parallel runs, give each thread its
    own Session; sessions may share one :class:`LoadedModel` (one copy of the
    weights) and run concurrently.
    """

    def __init__(self, model: "Union[str, os.PathLike[str], bytes, LoadedModel, Any]", threads: int = 1,
                 scalar_only: bool = False, plan_cache_size: int = 8, isa: Optional[str] = None,
                 max_loop_iterations: int = 0, memory_limit: int = 0, allow_spinning: bool = True):
        """``model``: a .pml path or its bytes, a :class:`pocketml.Model`, or a :class:`LoadedModel` to share
        (ONNX/TFLite files must be converted first: ``pocketml.convert(path)``).
        ``threads``: threads running the kernels, the caller included; 0 means every core this process
        may use (its CPU affinity), as in onnxruntime; negative is a ValueError.
        ``plan_cache_size``: plans kept for different input shapes (packed weights are shared by all of them).
        ``isa``: kernel configuration (see :func:`available_isas`); None means ``POCKETML_ISA`` if set, else the
        best for this CPU. ``scalar_only=True`` is the same as ``isa="scalar"``. ``max_loop_iterations``:
        iterations one run of a loop (ONNX Loop, TFLite WHILE) may make before ``run`` fails instead of
        hanging; 0 means 2**24. ``memory_limit``: bytes the session may hold (arenas, packed weights,
        variables, cached plans; the model's own weights are not counted); 0 means no limit. Creating
        the session, or a ``run`` with input shapes whose plan would exceed it, raises
        :class:`pocketml.OutOfMemoryError` naming the bytes required and the limit; the session keeps
        running other shapes. ``allow_spinning=False`` (onnxruntime's ``session.intra_op.allow_spinning``
        = "0"): with ``threads`` > 1 the idle worker threads sleep at once instead of spinning ~200 us for
        the next kernel or run, which saves CPU and battery while the app is idle and costs a wake-up
        (5-50 us) per parallel kernel."""
        self._lock = threading.Lock()  # serialises every use of the C session (see the class docstring)
        self._handle = _P()
        num_threads = _thread_count(threads)
        if isinstance(memory_limit, bool) or not isinstance(memory_limit, (int, np.integer)) or memory_limit < 0:
            raise ValueError(f"memory_limit must be a number of bytes >= 0 (0: no limit), got {memory_limit!r}")
        self._owns_model = not isinstance(model, LoadedModel)
        self._model = LoadedModel(model) if self._owns_model else model
        opts = _Options()
        lib().pml_session_options_init(ctypes.byref(opts))
        opts.num_threads = num_threads
        opts.scalar_only = int(bool(scalar_only))
        opts.plan_cache_size = int(plan_cache_size)
        opts.max_loop_iterations = int(max_loop_iterations)
        opts.memory_limit = int(memory_limit)
        opts.no_spinning = int(not allow_spinning)
        isa_bytes = isa.encode() if isa else None  # kept alive until pml_session_create returns
        opts.isa = isa_bytes
        _check(lib().pml_session_create(self._model._require(), ctypes.byref(opts), ctypes.byref(self._handle)),
               RuntimeFailure, "cannot create a session")
        self._model._sessions.add(self)
        self._inputs = [self._info(lib().pml_session_input_info, i, lib().pml_session_input_dim_name,
                                   lib().pml_session_input_quant)
                        for i in range(lib().pml_session_input_count(self._handle))]
        self._outputs = [self._info(lib().pml_session_output_info, i, lib().pml_session_output_dim_name,
                                    lib().pml_session_output_quant)
                         for i in range(lib().pml_session_output_count(self._handle))]
        # shapes the C session is set for (static models: the model's own)
        self._fed_shapes = [t.shape if t.is_static else None for t in self._inputs]
        # inputs whose values fix shapes are set first: the plan (arena offsets) depends on them
        fixes = [bool(lib().pml_session_input_fixes_shapes(self._handle, i)) for i in range(len(self._inputs))]
        self._set_order = sorted(range(len(self._inputs)), key=lambda i: not fixes[i])
        # output sizes that depend on input values (NonZero, NMS...) are read after every run
        self._shapes_vary = any(fixes) or bool(lib().pml_session_output_shapes_vary(self._handle))
        self._out_shapes: Optional[list] = None if any(not t.is_static for t in self._outputs) else \
            [t.shape for t in self._outputs]
        self._input_index = {t.name: i for i, t in enumerate(self._inputs)}
        self._output_index = {t.name: i for i, t in enumerate(self._outputs)}

    def _info(self, fn, index: int, dim_name_fn=None, quant_fn=None) -> TensorInfo:
        info = _TensorInfo()
        _check(fn(self._handle, index, ctypes.byref(info)), RuntimeFailure, "cannot read tensor info")
        dims = []
        for d, size in enumerate(info.dims[:info.rank]):
            if size >= 0:
                dims.append(int(size))
            else:  # symbolic: its name (inputs), else None
                name = dim_name_fn(self._handle, index, d) if dim_name_fn else None
                dims.append(_text(name) or None if name is not None else None)
        return TensorInfo(_text(info.name), _DTYPES[info.dtype], tuple(dims),
                          self._quant(quant_fn, index) if quant_fn else None)

    def _quant(self, fn, index: int) -> Optional[QuantParams]:
        """The tensor's quantization parameters as the C runtime loaded them (None: not quantized)."""
        q = _QuantInfo()
        _check(fn(self._handle, index, ctypes.byref(q)), RuntimeFailure, "cannot read quantization parameters")
        if q.count == 0:
            return None
        return QuantParams(np.ctypeslib.as_array(q.scale, (q.count,)).copy(),
                           np.ctypeslib.as_array(q.zero_point, (q.count,)).astype(np.int64), q.axis)

    def _require(self) -> _P:
        if not self._handle:
            raise RuntimeFailure("the session has been closed")
        return self._handle

    def _query(self, fn):
        """fn(handle) under the session's lock (sizes and counts change when a run re-plans)."""
        with self._lock:
            return fn(self._require())

    # ---- description ------------------------------------------------------------------
    @property
    def inputs(self) -> "list[TensorInfo]":
        """The model's inputs (symbolic dims as their names), as :class:`pocketml.TensorInfo`."""
        return list(self._inputs)

    @property
    def outputs(self) -> "list[TensorInfo]":
        """The model's outputs, as :class:`pocketml.TensorInfo`."""
        return list(self._outputs)

    @property
    def input_names(self) -> "list[str]":
        """Names of the inputs, in the model's order (the keys ``run`` expects)."""
        return [t.name for t in self._inputs]

    @property
    def output_names(self) -> "list[str]":
        """Names of the outputs, in the model's order (``run``'s result order)."""
        return [t.name for t in self._outputs]

    @property
    def arena_size(self) -> int:
        """Bytes of the activation arena (inputs, outputs, intermediates, scratch)."""
        return self._query(lib().pml_session_arena_size)

    @property
    def state_size(self) -> int:
        """Bytes of session-owned packed weights and kernel state."""
        return self._query(lib().pml_session_state_size)

    @property
    def isa(self) -> str:
        """The kernel configuration in use ("avx2", "scalar"...)."""
        return self._query(lib().pml_session_isa).decode()

    @property
    def num_threads(self) -> int:
        """Threads running the kernels, the caller included."""
        return self._query(lib().pml_session_num_threads)

    @property
    def plan_count(self) -> int:
        """Plans computed so far: 1 for a static model; +1 per new combination of input shapes
        (a shape seen before re-uses its cached plan)."""
        return self._query(lib().pml_session_plan_count)

    @property
    def model(self) -> LoadedModel:
        """The loaded model this session runs (shared with other sessions when given one)."""
        return self._model

    # ---- profiling ------------------------------------------------------------------------
    def enable_profiling(self, enable: bool = True) -> None:
        """Time every node of the following runs (totals restart at zero); False switches it off."""
        _check(self._query(lambda h: lib().pml_session_enable_profiling(h, 1 if enable else 0)), RuntimeFailure,
               "cannot switch profiling")

    def profile(self) -> "list[NodeProfile]":
        """Per-node timings since enable_profiling(), in graph order: a list of NodeProfile
        (name, op, mean_ms per run, plan_time: computed while planning, so free at run time)."""
        with self._lock:
            handle = self._require()
            runs = lib().pml_session_profiled_runs(handle)
            out = []
            info = _NodeProfile()
            for i in range(lib().pml_session_node_count(handle)):
                _check(lib().pml_session_node_profile(handle, i, ctypes.byref(info)), RuntimeFailure,
                       "cannot read the profile")
                out.append(NodeProfile(_text(info.name), info.op.decode(),
                                       info.total_ns / 1e6 / runs if runs else 0.0, bool(info.plan_time)))
        return out

    # ---- running --------------------------------------------------------------------------
    def _feed_names_error(self, feeds: dict) -> InputError:
        expected = ", ".join(f"{t.name} ({t.dtype} {_shape_str(t.shape)})" for t in self._inputs) or "none"
        unknown = [k for k in feeds if k not in self._input_index]
        if unknown:
            return InputError(f"unknown input(s) {unknown}; the model's inputs are: {expected}")
        missing = [t.name for t in self._inputs if t.name not in feeds]
        return InputError(f"missing input(s) {missing}; the model's inputs are: {expected}")

    def _check_feeds(self, feeds: dict) -> list:
        # every run passes here: the messages are built only for a bad feed (~10 us a run before)
        if len(feeds) != len(self._inputs) or any(t.name not in feeds for t in self._inputs):
            raise self._feed_names_error(feeds)
        arrays = []
        for t in self._inputs:
            a = feeds[t.name]
            if not isinstance(a, np.ndarray):
                raise InputError(f"input {t.name!r} must be a numpy array, got {type(a).__name__}")
            if a.dtype != t.dtype:
                raise InputError(f"input {t.name!r} has dtype {a.dtype}, expected {t.dtype} (inputs are never cast: "
                                 f"convert with .astype(np.{t.dtype.name}))")
            if a.shape != t.shape and (a.ndim != len(t.shape) or
                                       any(isinstance(d, int) and d != n for d, n in zip(t.shape, a.shape))):
                fixed = [i for i, d in enumerate(t.shape) if isinstance(d, int)]
                why = f"rank {len(t.shape)}" if a.ndim != len(t.shape) else \
                    f"dim {next(i for i in fixed if a.shape[i] != t.shape[i])} fixed"
                raise InputError(f"input {t.name!r} has shape {list(a.shape)}, expected {_shape_str(t.shape)} "
                                 f"({why}; only symbolic dims may vary)")
            # not ascontiguousarray: it makes 0-d arrays 1-d
            arrays.append(a if a.flags.c_contiguous else np.require(a, requirements="C"))
        return arrays

    def _output_names(self, output_names) -> "list[str]":
        if output_names is None:
            return self.output_names
        names = [output_names] if isinstance(output_names, str) else list(output_names)
        bad = [n for n in names if n not in self._output_index]
        if bad:
            raise InputError(f"unknown output(s) {bad}; the model's outputs are: {', '.join(self.output_names)}")
        return names

    def _set_shapes(self, handle: _P, arrays: list) -> None:
        """Give the C session the arrays' shapes where they changed (it re-plans at set_input)."""
        changed = False
        for i, a in enumerate(arrays):
            if self._fed_shapes[i] != a.shape:
                dims = (ctypes.c_int64 * max(a.ndim, 1))(*a.shape)
                _check(lib().pml_session_set_input_shape(handle, i, a.ndim, dims), InputError,
                       f"input {self._inputs[i].name!r} with shape {list(a.shape)}")
                self._fed_shapes[i] = a.shape
                changed = True
        if changed:
            self._out_shapes = None

    def run(self, feeds: "Mapping[str, np.ndarray]", output_names: "Union[str, Sequence[str], None]" = None,
            outputs: "Optional[dict[str, np.ndarray]]" = None) -> "Union[dict[str, np.ndarray], list[np.ndarray]]":
        """Run the model in C.

        ``run(feeds, output_names=None)`` returns ``{output name: array}``: every output, or those
        named (a single str names one output). onnxruntime's order ``run(output_names, feeds)``
        (``output_names`` None, a str or a list; ``feeds`` a dict) also works and, as in onnxruntime,
        returns a list of arrays in the order of ``output_names``.

        ``feeds`` maps every input name to a C-contiguous-able numpy array of the input's exact dtype
        (never cast); symbolic dims may take any size, 0 included where the model's ops allow it.
        The arrays returned are copies owned by the caller. Thread-safe: see the class docstring.

        ``outputs``: preallocated arrays to copy outputs into, {name: array} (onnxruntime's
        IOBinding use case: no new array per run). Each must be a writeable, C-contiguous
        array of the output's dtype and of this run's output shape; the result holds these
        same arrays for their names (and new arrays for other requested outputs). Names in
        ``outputs`` are returned even when ``output_names`` leaves them out.
        """
        self._require()
        as_list = False
        if not isinstance(feeds, Mapping):
            if isinstance(output_names, Mapping) and (feeds is None or isinstance(feeds, (str, list, tuple))):
                feeds, output_names, as_list = output_names, feeds, True  # onnxruntime's argument order
            else:
                raise InputError(f"Session.run takes (feeds, output_names=None) with feeds a dict {{input name: "
                                 f"array}} (or onnxruntime's order (output_names, feeds)); got "
                                 f"({type(feeds).__name__}, {type(output_names).__name__})")
        names = list(self._output_names(output_names))
        extra = [n for n in (outputs or {}) if n not in names]
        names += self._output_names(extra) if extra else []
        arrays = self._check_feeds(feeds)
        with self._lock:
            result = self._run_locked(arrays, names, outputs)
        return [result[n] for n in names] if as_list else result

    def _run_locked(self, arrays: list, names: "list[str]", outputs: Optional[dict]) -> "dict[str, np.ndarray]":
        handle = self._require()
        native = lib()
        self._set_shapes(handle, arrays)
        for i in self._set_order:
            a = arrays[i]
            status = native.pml_session_set_input(handle, i, a.ctypes.data, a.nbytes)
            if status != PML_OK:
                _check(status, RuntimeFailure, f"cannot set input {self._inputs[i].name!r}")
        status = native.pml_session_run(handle)
        if status != PML_OK:
            _check(status, RuntimeFailure, "run failed")
        if self._out_shapes is None or self._shapes_vary:  # new shapes: read this run's output shapes
            self._out_shapes = [self._info(native.pml_session_output_info, i).shape for i in range(len(self._outputs))]
        result = {}
        ptr, nbytes = ctypes.c_void_p(), ctypes.c_size_t()
        for name in names:
            i = self._output_index[name]
            status = native.pml_session_output_data(handle, i, ctypes.byref(ptr), ctypes.byref(nbytes))
            if status != PML_OK:
                _check(status, RuntimeFailure, f"cannot read output {name!r}")
            # a copy: the C output lives in the arena, which the next run (of any thread) overwrites
            dtype = self._outputs[i].dtype
            out = _bound_output(outputs[name], name, dtype, self._out_shapes[i]) \
                if outputs and name in outputs else np.empty(self._out_shapes[i], dtype=dtype)
            if nbytes.value:
                ctypes.memmove(out.ctypes.data, ptr.value, nbytes.value)
            result[name] = out
        return result

    def cancel(self) -> None:
        """Stop a ``run`` in progress on another thread: it raises RuntimeFailure ("cancelled")
        before its next node or loop iteration. A run clears the request when it starts."""
        _check(lib().pml_session_cancel(self._require()), RuntimeFailure, "cannot cancel")

    def reset_state(self) -> None:
        """Every variable of the model back to its initial value. A model with state (TFLite
        resource variables, streaming audio models) keeps what each run assigned for the next run
        of this session; a new stream starts with reset_state()."""
        _check(self._query(lib().pml_session_reset_state), RuntimeFailure, "cannot reset the state")

    @property
    def state_bytes(self) -> int:
        """Bytes of state the session keeps between runs (0 for a model without variables)."""
        return int(self._query(lib().pml_session_state_bytes))

    # ---- lifetime -----------------------------------------------------------------------------
    def close(self) -> None:
        """Free the C session (waiting for a run in another thread to finish), and its model if
        the session loaded it itself. Closing twice is harmless."""
        lock = getattr(self, "_lock", None)
        if lock is None:  # __init__ failed before anything was allocated
            return
        with lock:
            if self._handle:
                lib().pml_session_free(self._handle)
                self._handle = _P()
        if getattr(self, "_owns_model", False) and getattr(self, "_model", None) is not None:
            self._model.close()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        state = "closed" if not self._handle else f"arena={self.arena_size} isa={self.isa}"
        return f"Session(inputs={self.input_names}, outputs={self.output_names}, {state})"


def _bound_output(out: Any, name: str, dtype: np.dtype, shape: tuple) -> np.ndarray:
    """A caller's preallocated output array, checked before the runtime's bytes are copied into it."""
    if not isinstance(out, np.ndarray):
        raise InputError(f"outputs[{name!r}] must be a numpy array, got {type(out).__name__}")
    if out.dtype != dtype or tuple(out.shape) != tuple(shape):
        raise InputError(f"outputs[{name!r}] is {out.dtype} {list(out.shape)}; this run's output {name!r} is "
                         f"{dtype} {list(shape)}")
    if not (out.flags.c_contiguous and out.flags.writeable):
        raise InputError(f"outputs[{name!r}] must be a writeable C-contiguous array")
    return out


def cpu_count() -> int:
    """Cores this process may run on (its CPU affinity where the OS has one): what ``threads=0`` uses."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # no affinity API (macOS, Windows)
        return os.cpu_count() or 1


def _thread_count(threads: int) -> int:
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)):
        raise TypeError(f"threads must be an int (0 = all cores), got {type(threads).__name__}")
    if threads < 0:
        raise ValueError(f"threads must be >= 0 (0 means all {cpu_count()} cores this process may use), "
                         f"got {threads}")
    return int(threads) or cpu_count()


def _shape_str(shape: tuple) -> str:
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


__all__ = ["Session", "LoadedModel", "TensorInfo", "NodeProfile", "available_isas", "cpu_count", "library_path",
           "native_prefix", "version"]
