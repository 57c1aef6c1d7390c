"""convert(): source model file -> optimized pocketml Model.

Picks the importer by file content (ONNX protobuf, TFLite FlatBuffer), checks
the model before importing it (every unsupported op at once, input_shapes), runs
the default optimization pipeline (constant folding, dead code, identity
removal, BatchNorm folding, activation fusion, NHWC layout with transposes
eliminated) and records where the model came from in its metadata (path,
format and the SHA-256 of the source file).
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Optional, Union

from . import import_boundary, precheck, quant_support
from ._nogc import paused_gc
from .dim_names import name_output_dims
from .errors import ConversionError
from .model import Model
from .ops import limits

PathLike = Union[str, os.PathLike]


def _detect_format(path: PathLike) -> str:
    """By content, never by name: a TFLite file called model.onnx converts as TFLite."""
    return precheck.detect_format(path)


def _require_known_ranks(graph) -> None:
    """Symbolic dims are fine (the runtime plans each concrete shape it is given), unknown ranks are not."""
    unknown = [n for n in graph.inputs if graph.values[n].shape is None]
    if unknown:
        example = {n: (1, 3, 224, 224) for n in unknown}
        cli = " ".join(f"--input-shape {n}=1,3,224,224" for n in unknown)
        raise ConversionError(f"input(s) {unknown} have no shape (unknown rank); give their shapes with "
                              f"input_shapes={example} (CLI: {cli}); dims may stay symbolic only when the rank "
                              "is known")


def convert(path: "PathLike | object", input_shapes: Optional[dict] = None, optimize: bool = True,
            max_fold_bytes: Optional[int] = None) -> Model:
    """Convert a source model to a pocketml :class:`Model` (run it with ``Session(model)``,
    write it with ``model.save("model.pml")``).

    ``path``: an .onnx or .tflite file (recognised by content too), a .pml file (loaded as is),
    or an ``onnx.ModelProto``. Symbolic input dims (batch, sequence) stay symbolic: the runtime
    plans each concrete shape it is given at run time. ``input_shapes`` maps input names to
    concrete shapes to pin them instead (e.g. ``{"input": (1, 3, 224, 224)}``). ``optimize``:
    run the default pass pipeline (folding, fusion, NHWC layout). ``max_fold_bytes``: the
    largest tensor constant folding may create (default 64 MiB; a constant input moved as it is,
    e.g. a transposed weight, may be as big as itself); a bigger one is computed at run time, or
    the model is refused when the converter needs its value. Raises ConversionError
    (UnsupportedOpError for an op, opset or attribute pocketml does not support), and only that:
    an unforeseen failure is a ConversionError "internal error ... please report" naming the node.
    """
    if input_shapes is not None and not isinstance(input_shapes, Mapping):
        raise TypeError(f"input_shapes must map input names to shapes, e.g. {{'input': (1, 3, 224, 224)}}; "
                        f"got {type(input_shapes).__name__} (write the model with model.save(path))")
    if isinstance(path, (str, os.PathLike)) and not os.path.exists(path):
        raise FileNotFoundError(f"no such model file: {path}")
    source = os.fspath(path) if isinstance(path, (str, os.PathLike)) else "<onnx.ModelProto>"
    # (paused_gc: the collector's walks over a big graph would make conversion superlinear)
    with paused_gc(), limits.fold_limit(max_fold_bytes), import_boundary.guarded(source):
        return _convert(path, input_shapes, optimize)


def _convert(path, input_shapes, optimize) -> Model:
    from . import passes

    input_shapes = dict(input_shapes or {})
    digest = {}
    if not isinstance(path, (str, os.PathLike)):
        fmt, source = "onnx", "<onnx.ModelProto>"
    else:
        fmt, source = _detect_format(path), os.path.abspath(path)
        if fmt != "pml":  # lets `bench --compare` check that it times this very model
            digest = {"source_sha256": precheck.file_sha256(path)}
    if fmt == "onnx":
        from .converters.onnx import import_onnx
        from .converters.onnx.importer import load_model

        loaded = load_model(path)  # parsed once for the pre-scan and the import
        precheck.onnx_precheck(loaded.proto, os.fspath(path) if digest else source, input_shapes,
                               loaded.node_fields, loaded.flat)
        graph = import_onnx(loaded, input_shapes=input_shapes)
    elif fmt == "tflite":
        from .converters.tflite import import_tflite

        precheck.tflite_precheck(path, input_shapes)
        graph = import_tflite(path, input_shapes=input_shapes)
    elif fmt == "pml":
        return Model.load(path)
    else:
        raise ConversionError(f"{path}: {fmt} models are not supported yet (supported: onnx, tflite)")
    import_boundary.at_stage("optimizing the graph")
    _require_known_ranks(graph)
    if optimize:
        graph = passes.optimize(graph, shapes_current=fmt == "onnx")  # the ONNX importer infers as it goes
        quant_support.check_graph(graph, f"{source} (after optimization)")
    name_output_dims(graph, getattr(graph, "declared_output_dims", None))  # after the passes (they re-infer)
    # importers may leave what the source file says about itself (TFLite signatures, metadata)
    extra = getattr(graph, "source_metadata", None) or {}
    model = Model(graph, {"source": source, "source_format": fmt, **digest, "producer": "pocketml", **extra})
    # quantized (QDQ) patterns that could not run on the int8 kernels: they run in float, as written
    model.notes = [f"{op} node {name!r} runs in float: {why}" for name, op, why in passes.float_nodes(graph)]
    return model
