"""Build small .tflite models from Python, without TensorFlow.

Uses the ``flatbuffers`` Builder and the generated builder functions of the
``tflite`` package (``tflite.ModelStart``, ``tflite.Conv2DOptionsAddStrideH``...).
Tests use it to write single-op (or few-op) float models for the TFLite
importer and check them against the LiteRT interpreter::

    data = build_model(
        ops=[("CONV_2D", ["x", "w", "b"], ["y"], {"padding": "SAME", "stride_h": 2, "stride_w": 2,
                                                  "fused_activation_function": "RELU6"})],
        tensors={"x": ("float32", (1, 8, 8, 3), None),
                 "w": ("float32", (4, 3, 3, 3), w),      # OHWI
                 "b": ("float32", (4,), b),
                 "y": ("float32", (1, 4, 4, 4), None)},
        inputs=["x"], outputs=["y"])

``tensors`` maps a name to ``(dtype, shape, data_or_None)``; tensors with data
get a constant buffer (16-byte aligned, as the TFLite converter writes them),
the others share the empty buffer 0. A shape may contain -1: the tensor is
then written with shape 1 in that dim and the -1 in ``shape_signature``; a
``DeclaredShape(shape, signature)`` is written verbatim (tests of inconsistent files).

Builtin options are a dict of the options table's fields in snake_case
(``stride_h``, ``fused_activation_function``, ``keep_dims``, ``new_shape``...);
``stride_h``/``stride_w`` default to 1 (the schema's 0 is rejected by TFLite).
Enum fields take the enum's name (``"SAME"``, ``"RELU6"``) or its value; list
values become int32 vectors. The options table follows from the op
(``OPTIONS_TABLE``); pass ``"_options": "XxxOptions"`` in the dict for an op
not listed there. ``"_version": N`` sets the operator code's version (default
``DEFAULT_VERSIONS`` or 1: LiteRT looks a kernel up by (op, version) and has
none for e.g. BROADCAST_TO version 1); one operator code is written per
distinct (op, version).

A tensor entry may carry a fourth element, TFLite ``SparsityParameters`` as a
dict (``traversal_order``, ``block_map``, ``dim_metadata``: a list of
``("DENSE", size)`` or ``("SPARSE_CSR", segments, indices)``); its data is
then the stored values (1-D). ``csr_sparsity(dense)`` encodes a 2-D matrix.
A fifth element (the fourth may be None) gives ``QuantizationParameters`` as a
dict: ``scale`` (list), ``zero_point`` (list, default zeros), ``quantized_dimension``.
Tensors named in ``variables`` are written with ``is_variable`` (the recurrent
state of the sequence LSTMs/RNNs: no buffer, LiteRT zeroes them).

``opcode_style`` chooses how operator codes are written:

* ``"both"`` (default, what current converters write): ``deprecated_builtin_code``
  = min(code, 127) and ``builtin_code`` = code;
* ``"deprecated"``: only the 8-bit ``deprecated_builtin_code`` (``builtin_code``
  left at its default 0, like files written before schema 3a); only codes < 127;
* ``"extended"``: only ``builtin_code`` (``deprecated_builtin_code`` left at 0,
  or the placeholder 127 for codes >= 127).

Readers must take max(deprecated_builtin_code, builtin_code), as TFLite does.
"""
from __future__ import annotations

import re
from typing import Iterable, NamedTuple, Optional, Sequence

import flatbuffers
import numpy as np
import tflite

PLACEHOLDER_FOR_GREATER_OP_CODES = tflite.BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES  # 127

# op name -> options table (the BuiltinOptions union member of the same name)
OPTIONS_TABLE = {
    "CALL_ONCE": "CallOnceOptions",
    "VAR_HANDLE": "VarHandleOptions",
    "CONV_2D": "Conv2DOptions",
    "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions",
    "TRANSPOSE_CONV": "TransposeConvOptions",
    "FULLY_CONNECTED": "FullyConnectedOptions",
    "ADD": "AddOptions",
    "SUB": "SubOptions",
    "MUL": "MulOptions",
    "DIV": "DivOptions",
    "AVERAGE_POOL_2D": "Pool2DOptions",
    "MAX_POOL_2D": "Pool2DOptions",
    "L2_POOL_2D": "Pool2DOptions",
    "RESHAPE": "ReshapeOptions",
    "CONCATENATION": "ConcatenationOptions",
    "SOFTMAX": "SoftmaxOptions",
    "LOG_SOFTMAX": "LogSoftmaxOptions",
    "PAD": "PadOptions",
    "PADV2": "PadV2Options",
    "MIRROR_PAD": "MirrorPadOptions",
    "MEAN": "ReducerOptions",
    "SUM": "ReducerOptions",
    "REDUCE_MAX": "ReducerOptions",
    "REDUCE_MIN": "ReducerOptions",
    "REDUCE_PROD": "ReducerOptions",
    "REDUCE_ANY": "ReducerOptions",
    "REDUCE_ALL": "ReducerOptions",
    "STRIDED_SLICE": "StridedSliceOptions",
    "SLICE": "SliceOptions",
    "TRANSPOSE": "TransposeOptions",
    "RESIZE_BILINEAR": "ResizeBilinearOptions",
    "RESIZE_NEAREST_NEIGHBOR": "ResizeNearestNeighborOptions",
    "SQUEEZE": "SqueezeOptions",
    "EXPAND_DIMS": "ExpandDimsOptions",
    "GATHER": "GatherOptions",
    "SPLIT": "SplitOptions",
    "LEAKY_RELU": "LeakyReluOptions",
    "BATCH_MATMUL": "BatchMatMulOptions",
    "GELU": "GeluOptions",
    "CAST": "CastOptions",
    "MAXIMUM": "MaximumMinimumOptions",
    "MINIMUM": "MaximumMinimumOptions",
    "HARD_SWISH": "HardSwishOptions",
    "L2_NORMALIZATION": "L2NormOptions",
    "LOCAL_RESPONSE_NORMALIZATION": "LocalResponseNormalizationOptions",
    "BROADCAST_TO": "BroadcastToOptions",
    "GATHER_ND": "GatherNdOptions",
    "DEPTH_TO_SPACE": "DepthToSpaceOptions",
    "SPACE_TO_DEPTH": "SpaceToDepthOptions",
    "ARG_MAX": "ArgMaxOptions",
    "ARG_MIN": "ArgMinOptions",
    "SPLIT_V": "SplitVOptions",
    "PACK": "PackOptions",
    "UNPACK": "UnpackOptions",
    "TILE": "TileOptions",
    "SHAPE": "ShapeOptions",
    "CUMSUM": "CumsumOptions",
    "ONE_HOT": "OneHotOptions",
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "UnidirectionalSequenceLSTMOptions",
    "BIDIRECTIONAL_SEQUENCE_LSTM": "BidirectionalSequenceLSTMOptions",
    "UNIDIRECTIONAL_SEQUENCE_RNN": "SequenceRNNOptions",
    "RFFT2D": "Rfft2dOptions",
    "SEGMENT_SUM": "SegmentSumOptions",
}

# operator-code versions LiteRT needs (it has no kernel registered for version 1 of these)
DEFAULT_VERSIONS = {"BROADCAST_TO": 2}

# enum-valued option fields -> the generated enum class
_ENUM_FIELDS = {
    "padding": tflite.Padding,
    "fused_activation_function": tflite.ActivationFunctionType,
    "weights_format": tflite.FullyConnectedOptionsWeightsFormat,
    "mode": tflite.MirrorPadMode,
    "in_data_type": tflite.TensorType,
    "out_data_type": tflite.TensorType,
    "output_type": tflite.TensorType,
    "out_type": tflite.TensorType,
}

_STRIDED_TABLES = ("Conv2DOptions", "DepthwiseConv2DOptions", "Pool2DOptions", "TransposeConvOptions")
_STRIDE_DEFAULTS = {"stride_h": 1, "stride_w": 1}

_DTYPES = {
    "float32": tflite.TensorType.FLOAT32,
    "float16": tflite.TensorType.FLOAT16,
    "float64": tflite.TensorType.FLOAT64,
    "int8": tflite.TensorType.INT8,
    "uint8": tflite.TensorType.UINT8,
    "int16": tflite.TensorType.INT16,
    "int32": tflite.TensorType.INT32,
    "int64": tflite.TensorType.INT64,
    "bool": tflite.TensorType.BOOL,
    "complex64": tflite.TensorType.COMPLEX64,
}


class DeclaredShape(NamedTuple):
    """A tensor's shape and shape_signature written as given (no -1 -> 1 rewriting)."""
    shape: Sequence[int]
    signature: Optional[Sequence[int]] = None


def _camel(snake: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


def _enum_value(enum_cls, value):
    if isinstance(value, str):
        try:
            return getattr(enum_cls, value.upper())
        except AttributeError:
            raise ValueError(f"{value!r} is not a {enum_cls.__name__}") from None
    return int(value)


def _int_vector(b: flatbuffers.Builder, start_fn, values: Sequence[int], prepend: str = "PrependInt32") -> int:
    """A vector of scalars, written with the builder's ``prepend`` method (its element type)."""
    start_fn(b, len(values))
    for v in reversed(list(values)):
        getattr(b, prepend)(v if prepend == "PrependFloat32" else int(v))
    return b.EndVector()


def _aligned_bytes(b: flatbuffers.Builder, data: bytes, alignment: int = 16) -> int:
    """A [ubyte] vector whose first byte is `alignment`-aligned in the finished file."""
    b.StartVector(1, len(data), alignment)
    b.head = b.head - len(data)
    b.Bytes[b.head:b.head + len(data)] = data
    return b.EndVector()


def _options(b: flatbuffers.Builder, table: str, fields: dict) -> int:
    """Write an options table; returns its offset."""
    vectors = {}
    for key, value in fields.items():
        if isinstance(value, (list, tuple, np.ndarray)):
            start = getattr(tflite, f"{table}Start{_camel(key)}Vector")
            vectors[key] = _int_vector(b, start, value)
        elif isinstance(value, str) and key not in _ENUM_FIELDS:  # a string field (VarHandle's shared_name)
            vectors[key] = b.CreateString(value)
    getattr(tflite, f"{table}Start")(b)
    for key, value in fields.items():
        add = getattr(tflite, f"{table}Add{_camel(key)}", None)
        if add is None:
            raise ValueError(f"{table} has no field {key!r}")
        if key in vectors:
            add(b, vectors[key])
        elif key in _ENUM_FIELDS:
            add(b, _enum_value(_ENUM_FIELDS[key], value))
        elif isinstance(value, (bool, np.bool_)):
            add(b, bool(value))
        else:
            add(b, value)
    return getattr(tflite, f"{table}End")(b)


def _sparsity(b: flatbuffers.Builder, sp: dict) -> int:
    """Write a SparsityParameters table (index vectors as Int32Vector)."""
    metas = []
    for meta in sp["dim_metadata"]:
        if meta[0] == "DENSE":
            tflite.DimensionMetadataStart(b)
            tflite.DimensionMetadataAddFormat(b, tflite.DimensionType.DENSE)
            tflite.DimensionMetadataAddDenseSize(b, int(meta[1]))
            metas.append(tflite.DimensionMetadataEnd(b))
            continue
        vecs = []
        for values in meta[1:3]:
            inner = _int_vector(b, tflite.Int32VectorStartValuesVector, values)
            tflite.Int32VectorStart(b)
            tflite.Int32VectorAddValues(b, inner)
            vecs.append(tflite.Int32VectorEnd(b))
        tflite.DimensionMetadataStart(b)
        tflite.DimensionMetadataAddFormat(b, tflite.DimensionType.SPARSE_CSR)
        tflite.DimensionMetadataAddArraySegmentsType(b, tflite.SparseIndexVector.Int32Vector)
        tflite.DimensionMetadataAddArraySegments(b, vecs[0])
        tflite.DimensionMetadataAddArrayIndicesType(b, tflite.SparseIndexVector.Int32Vector)
        tflite.DimensionMetadataAddArrayIndices(b, vecs[1])
        metas.append(tflite.DimensionMetadataEnd(b))
    order = _int_vector(b, tflite.SparsityParametersStartTraversalOrderVector, sp["traversal_order"])
    block_map = sp.get("block_map")
    bm = _int_vector(b, tflite.SparsityParametersStartBlockMapVector, block_map) if block_map else None
    tflite.SparsityParametersStartDimMetadataVector(b, len(metas))
    for off in reversed(metas):
        b.PrependUOffsetTRelative(off)
    dm = b.EndVector()
    tflite.SparsityParametersStart(b)
    tflite.SparsityParametersAddTraversalOrder(b, order)
    if bm is not None:
        tflite.SparsityParametersAddBlockMap(b, bm)
    tflite.SparsityParametersAddDimMetadata(b, dm)
    return tflite.SparsityParametersEnd(b)


def _quantization(b: flatbuffers.Builder, q: dict) -> int:
    """Write a QuantizationParameters table: scale (floats), zero_point (ints), quantized_dimension."""
    scale = [float(v) for v in q["scale"]]
    zero = [int(v) for v in q.get("zero_point", [0] * len(scale))]
    scale_off = _int_vector(b, tflite.QuantizationParametersStartScaleVector, scale, "PrependFloat32")
    zero_off = _int_vector(b, tflite.QuantizationParametersStartZeroPointVector, zero, "PrependInt64")
    tflite.QuantizationParametersStart(b)
    tflite.QuantizationParametersAddScale(b, scale_off)
    tflite.QuantizationParametersAddZeroPoint(b, zero_off)
    tflite.QuantizationParametersAddQuantizedDimension(b, int(q.get("quantized_dimension", 0)))
    return tflite.QuantizationParametersEnd(b)


def csr_sparsity(dense: np.ndarray) -> tuple:
    """(stored values, sparsity dict) of a 2-D matrix: rows dense, columns CSR (zeros dropped)."""
    dense = np.asarray(dense)
    rows, cols = np.nonzero(dense)
    segments = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=dense.shape[0]))])
    sparsity = {"traversal_order": [0, 1],
                "dim_metadata": [("DENSE", dense.shape[0]), ("SPARSE_CSR", segments.tolist(), cols.tolist())]}
    return dense[rows, cols], sparsity


def op_code(name: str) -> int:
    try:
        return getattr(tflite.BuiltinOperator, name.upper())
    except AttributeError:
        raise ValueError(f"unknown TFLite builtin operator {name!r}") from None


def _normalized_ops(ops) -> tuple:
    """(ops with 4 fields and their options completed, their operator-code versions)."""
    ops = [tuple(op) + (None,) * (4 - len(op)) for op in ops]
    op_versions = [int((opts or {}).get("_version", DEFAULT_VERSIONS.get(n.upper(), 1))) for n, _, _, opts in ops]
    ops = [(n, i, o, {k: v for k, v in opts.items() if k != "_version"} if opts else opts) for n, i, o, opts in ops]
    # strides default to 0 in the schema, which TFLite rejects; converters always write them
    ops = [(n, i, o, ({**_STRIDE_DEFAULTS, **(opts or {})} if (opts or {}).get("_options", OPTIONS_TABLE.get(n.upper()))
                      in _STRIDED_TABLES else opts)) for n, i, o, opts in ops]
    return ops, op_versions


def _subgraph(b: flatbuffers.Builder, k: int, graph: tuple, buffer_of: dict, codes: list, vector_of,
              variables: Sequence[str] = ()) -> int:
    """Write subgraph k: its tensors (``variables`` with is_variable), operators, inputs and outputs;
    returns its offset."""
    (ops, op_versions), tensors, inputs, outputs, subgraph_name = graph
    names = list(tensors)
    index = {n: i for i, n in enumerate(names)}
    tensor_offsets = []
    for n in names:
        dtype, shape, _ = tensors[n][:3]
        sparsity = tensors[n][3] if len(tensors[n]) > 3 else None
        sp_off = _sparsity(b, sparsity) if sparsity else None
        quant = tensors[n][4] if len(tensors[n]) > 4 else None
        q_off = _quantization(b, quant) if quant else None
        name_off = b.CreateString(n)
        if isinstance(shape, DeclaredShape):  # written verbatim, for tests of inconsistent files
            shape_off = _int_vector(b, tflite.TensorStartShapeVector, shape.shape)
            sig_off = _int_vector(b, tflite.TensorStartShapeSignatureVector, shape.signature) \
                if shape.signature is not None else None
        else:
            shape = [int(d) for d in shape]
            shape_off = _int_vector(b, tflite.TensorStartShapeVector, [d if d >= 0 else 1 for d in shape])
            sig_off = _int_vector(b, tflite.TensorStartShapeSignatureVector, shape) \
                if any(d < 0 for d in shape) else None
        tflite.TensorStart(b)
        tflite.TensorAddShape(b, shape_off)
        if sig_off is not None:
            tflite.TensorAddShapeSignature(b, sig_off)
        tflite.TensorAddType(b, tflite.TensorType.RESOURCE if dtype == "resource" else _DTYPES[np.dtype(dtype).name])
        tflite.TensorAddBuffer(b, buffer_of.get((k, n), 0))
        tflite.TensorAddName(b, name_off)
        if sp_off is not None:
            tflite.TensorAddSparsity(b, sp_off)
        if q_off is not None:
            tflite.TensorAddQuantization(b, q_off)
        if n in variables:
            tflite.TensorAddIsVariable(b, True)
        tensor_offsets.append(tflite.TensorEnd(b))
    operator_offsets = []
    for (name, op_inputs, op_outputs, options), op_version in zip(ops, op_versions):
        options = dict(options or {})
        table = options.pop("_options", None) or OPTIONS_TABLE.get(name.upper())
        opt_off = _options(b, table, options) if table else None
        if options and not table:
            raise ValueError(f"no options table known for {name}; pass '_options'")
        in_off = _int_vector(b, tflite.OperatorStartInputsVector, [index[t] if t else -1 for t in op_inputs])
        out_off = _int_vector(b, tflite.OperatorStartOutputsVector, [index[t] for t in op_outputs])
        tflite.OperatorStart(b)
        tflite.OperatorAddOpcodeIndex(b, codes.index((name.upper(), op_version)))
        tflite.OperatorAddInputs(b, in_off)
        tflite.OperatorAddOutputs(b, out_off)
        if opt_off is not None:
            tflite.OperatorAddBuiltinOptionsType(b, getattr(tflite.BuiltinOptions, table))
            tflite.OperatorAddBuiltinOptions(b, opt_off)
        operator_offsets.append(tflite.OperatorEnd(b))
    tensors_vec = vector_of(tflite.SubGraphStartTensorsVector, tensor_offsets)
    ops_vec = vector_of(tflite.SubGraphStartOperatorsVector, operator_offsets)
    sg_in = _int_vector(b, tflite.SubGraphStartInputsVector, [index[n] for n in inputs])
    sg_out = _int_vector(b, tflite.SubGraphStartOutputsVector, [index[n] for n in outputs])
    sg_name = b.CreateString(subgraph_name)
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, tensors_vec)
    tflite.SubGraphAddInputs(b, sg_in)
    tflite.SubGraphAddOutputs(b, sg_out)
    tflite.SubGraphAddOperators(b, ops_vec)
    tflite.SubGraphAddName(b, sg_name)
    return tflite.SubGraphEnd(b)


def build_model(ops: Iterable[tuple], tensors: dict, inputs: Sequence[str], outputs: Sequence[str],
                opcode_style: str = "both", description: str = "pocketml test model",
                subgraph_name: str = "main", version: int = 3, signature: Optional[tuple] = None,
                metadata: Optional[dict] = None, subgraphs: Sequence[tuple] = (),
                variables: Sequence[str] = ()) -> bytes:
    """Serialize a one-subgraph float model; see the module docstring.

    ops: [(builtin_op_name, input_names, output_names, options_dict_or_None)]; an
    input name of None or "" writes -1 (an omitted optional input).
    signature: (key, {signature input name: tensor name}, {signature output name: tensor name})
    written as the SignatureDef of subgraph 0; metadata: {name: bytes}, each entry
    pointing at a buffer of its own (as min_runtime_version is stored). subgraphs: more
    subgraphs after the main one, each (ops, tensors, inputs, outputs) like the main one's
    arguments (CALL_ONCE's init graph, IF/WHILE bodies); a tensor dtype "resource" writes a
    RESOURCE tensor (VAR_HANDLE's output).
    """
    if opcode_style not in ("both", "deprecated", "extended"):
        raise ValueError(f"opcode_style must be 'both', 'deprecated' or 'extended', not {opcode_style!r}")
    graphs = [(ops, tensors, inputs, outputs, subgraph_name)] + \
        [(g[0], g[1], g[2], g[3], f"subgraph{k + 1}") for k, g in enumerate(subgraphs)]
    graphs = [(_normalized_ops(g[0]),) + tuple(g[1:]) for g in graphs]
    b = flatbuffers.Builder(1024)

    # buffers: 0 = empty sentinel, then one per constant tensor of every subgraph
    buffer_of, datas = {}, []
    for k, (_, sg_tensors, _, _, _) in enumerate(graphs):
        for n in sg_tensors:
            dtype, shape, data = sg_tensors[n][:3]
            if data is not None:
                arr = np.asarray(data, dtype=np.dtype(dtype))
                if len(sg_tensors[n]) > 3 and sg_tensors[n][3]:  # sparse: the buffer holds the stored values
                    arr = arr.reshape(-1)
                elif tuple(arr.shape) != tuple(shape):
                    arr = arr.reshape(shape)
                buffer_of[k, n] = len(datas) + 1
                datas.append(np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False).tobytes())
    metadata_buffer = {}
    for key, raw in (metadata or {}).items():
        metadata_buffer[key] = len(datas) + 1
        datas.append(bytes(raw))
    buffer_offsets = []
    for raw in [None] + datas:
        vec = _aligned_bytes(b, raw) if raw else None
        tflite.BufferStart(b)
        if vec is not None:
            tflite.BufferAddData(b, vec)
        buffer_offsets.append(tflite.BufferEnd(b))

    # operator codes: one per distinct (op, version) over every subgraph
    codes = []
    for g in graphs:
        for op, op_version in zip(*g[0]):
            if (op[0].upper(), op_version) not in codes:
                codes.append((op[0].upper(), op_version))

    def vector_of(start_fn, offsets):
        start_fn(b, len(offsets))
        for off in reversed(offsets):
            b.PrependUOffsetTRelative(off)
        return b.EndVector()

    subgraph_offsets = [_subgraph(b, k, g, buffer_of, codes, vector_of, variables if k == 0 else ())
                        for k, g in enumerate(graphs)]
    index = {n: i for i, n in enumerate(tensors)}
    code_offsets = []
    for name, op_version in codes:
        code = op_code(name)
        tflite.OperatorCodeStart(b)
        if opcode_style == "both":
            tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(code, PLACEHOLDER_FOR_GREATER_OP_CODES))
            tflite.OperatorCodeAddBuiltinCode(b, code)
        elif opcode_style == "deprecated":
            if code >= PLACEHOLDER_FOR_GREATER_OP_CODES:
                raise ValueError(f"{name} (code {code}) does not fit the 8-bit deprecated_builtin_code")
            tflite.OperatorCodeAddDeprecatedBuiltinCode(b, code)
        else:
            if code >= PLACEHOLDER_FOR_GREATER_OP_CODES:
                tflite.OperatorCodeAddDeprecatedBuiltinCode(b, PLACEHOLDER_FOR_GREATER_OP_CODES)
            tflite.OperatorCodeAddBuiltinCode(b, code)
        tflite.OperatorCodeAddVersion(b, op_version)
        code_offsets.append(tflite.OperatorCodeEnd(b))

    subgraphs_vec = vector_of(tflite.ModelStartSubgraphsVector, subgraph_offsets)
    codes_vec = vector_of(tflite.ModelStartOperatorCodesVector, code_offsets)
    buffers_vec = vector_of(tflite.ModelStartBuffersVector, buffer_offsets)
    desc = b.CreateString(description)
    sig_vec = _signature_defs(b, signature, index, vector_of) if signature else None
    meta_vec = None
    if metadata:
        entries = []
        for key, buf in metadata_buffer.items():
            name_off = b.CreateString(key)
            tflite.MetadataStart(b)
            tflite.MetadataAddName(b, name_off)
            tflite.MetadataAddBuffer(b, buf)
            entries.append(tflite.MetadataEnd(b))
        meta_vec = vector_of(tflite.ModelStartMetadataVector, entries)
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, version)
    tflite.ModelAddOperatorCodes(b, codes_vec)
    tflite.ModelAddSubgraphs(b, subgraphs_vec)
    tflite.ModelAddDescription(b, desc)
    tflite.ModelAddBuffers(b, buffers_vec)
    if sig_vec is not None:
        tflite.ModelAddSignatureDefs(b, sig_vec)
    if meta_vec is not None:
        tflite.ModelAddMetadata(b, meta_vec)
    model = tflite.ModelEnd(b)
    b.Finish(model, file_identifier=b"TFL3")
    return bytes(b.Output())


def _signature_defs(b, signature: tuple, index: dict, vector_of):
    key, ins, outs = signature

    def tensor_maps(mapping: dict) -> list:
        maps = []
        for name, tensor in mapping.items():
            name_off = b.CreateString(name)
            tflite.TensorMapStart(b)
            tflite.TensorMapAddName(b, name_off)
            tflite.TensorMapAddTensorIndex(b, index[tensor])
            maps.append(tflite.TensorMapEnd(b))
        return maps

    in_vec = vector_of(tflite.SignatureDefStartInputsVector, tensor_maps(ins))
    out_vec = vector_of(tflite.SignatureDefStartOutputsVector, tensor_maps(outs))
    key_off = b.CreateString(key)
    tflite.SignatureDefStart(b)
    tflite.SignatureDefAddInputs(b, in_vec)
    tflite.SignatureDefAddOutputs(b, out_vec)
    tflite.SignatureDefAddSignatureKey(b, key_off)
    tflite.SignatureDefAddSubgraphIndex(b, 0)
    sig = tflite.SignatureDefEnd(b)
    return vector_of(tflite.ModelStartSignatureDefsVector, [sig])


def single_op_model(op: str, inputs: dict, outputs: dict, options: Optional[dict] = None,
                    consts: Optional[dict] = None, opcode_style: str = "both") -> bytes:
    """One op; inputs/outputs map names to (dtype, shape); consts map names to arrays (op inputs in order:
    the graph inputs first, then the constants, unless `order` is given via an OrderedDict of both)."""
    consts = consts or {}
    tensors = {n: (dt, shape, None) for n, (dt, shape) in inputs.items()}
    tensors.update({n: (np.asarray(a).dtype.name, np.asarray(a).shape, np.asarray(a)) for n, a in consts.items()})
    tensors.update({n: (dt, shape, None) for n, (dt, shape) in outputs.items()})
    return build_model([(op, list(inputs) + list(consts), list(outputs), options)], tensors,
                       list(inputs), list(outputs), opcode_style=opcode_style)


def raw_builtin_code(oc) -> int:
    """The stored builtin_code field of a tflite.OperatorCode.

    Careful: the `tflite` package's OperatorCode.BuiltinCode() is patched to return
    DeprecatedBuiltinCode() whenever builtin_code < 127, so it reads an "extended"
    style code (deprecated_builtin_code 0, builtin_code 3) as 0 (ADD). Readers should
    use max(raw_builtin_code(oc), oc.DeprecatedBuiltinCode()), as TFLite does.
    """
    o = oc._tab.Offset(10)
    return oc._tab.Get(flatbuffers.number_types.Int32Flags, o + oc._tab.Pos) if o else 0


def read_opcodes(data: bytes) -> list:
    """[(deprecated_builtin_code, builtin_code)] as stored in a serialized model (to check opcode_style)."""
    m = tflite.Model.GetRootAs(data, 0)
    return [(m.OperatorCodes(i).DeprecatedBuiltinCode(), raw_builtin_code(m.OperatorCodes(i)))
            for i in range(m.OperatorCodesLength())]
