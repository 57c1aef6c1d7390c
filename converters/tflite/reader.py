"""Safe reading of a .tflite file through the `tflite` package's generated
FlatBuffers accessors.

The generated accessors trust the file: a corrupted offset raises whatever
struct/numpy raises (or, worse, a huge vector length makes a loop run for
ever). ``read_model`` therefore checks the file identifier, bounds every
vector length by the file size, checks buffer offset/size pairs (the
"large model" layout stores big buffers after the FlatBuffer) and decodes the
parts the importer needs into plain Python objects; every accessor failure
becomes a ``ConversionError`` naming the file and what was being read.
"""
from __future__ import annotations

import dataclasses
import struct
from typing import Optional

import flatbuffers
import numpy as np
import tflite
from tflite.BuiltinOperator import BuiltinOperator
from tflite.TensorType import TensorType

from pocketml import dtypes
from pocketml.errors import ConversionError

BUILTIN_NAMES = {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_")}
TYPE_NAMES = {v: k for k, v in vars(TensorType).items() if not k.startswith("_")}
# TFLite TensorType -> numpy dtype: every dtype of the dtype table (TFLite
# spells them alike, upper case) plus float64 for constants the importer narrows
NP_TYPES = {getattr(TensorType, d.name.upper()): d.np.type for d in dtypes.ALL if hasattr(TensorType, d.name.upper())}
NP_TYPES[TensorType.FLOAT64] = np.float64
# accessor failures on a corrupted file
ACCESSOR_ERRORS = (IndexError, struct.error, ValueError, TypeError, OverflowError, UnicodeDecodeError,
                   MemoryError, RecursionError, AttributeError)


@dataclasses.dataclass
class TensorInfo:
    index: int
    name: str
    type: int
    shape: tuple
    shape_signature: Optional[tuple]
    buffer: int
    obj: object  # tflite.Tensor (quantization, sparsity)

    @property
    def type_name(self) -> str:
        return TYPE_NAMES.get(self.type, str(self.type))


@dataclasses.dataclass
class OpInfo:
    index: int
    builtin: int  # max(deprecated 8-bit code, extended code)
    name: str  # builtin name, or "CUSTOM:<code>"
    version: int
    inputs: list  # tensor indices, -1 = absent optional input
    outputs: list
    obj: object  # tflite.Operator (options)


@dataclasses.dataclass
class TFLiteModel:
    data: bytes
    version: int
    tensors: list
    ops: list
    inputs: list
    outputs: list
    buffers: list  # (offset into data, size) per buffer; size 0 = no data
    signature: Optional[dict]  # {"key", "inputs": {name: tensor}, "outputs": {...}} of subgraph 0
    description: str
    metadata: dict  # model metadata entry name -> its buffer's bytes (b"" if it has none)
    subgraphs: list = dataclasses.field(default_factory=list)  # Subgraph per subgraph (0 is the fields above)


@dataclasses.dataclass
class Subgraph:
    """One subgraph's tensors, operators, inputs and outputs (CALL_ONCE's init graphs, IF/WHILE bodies)."""
    tensors: list
    ops: list
    inputs: list
    outputs: list


class Reader:
    def __init__(self, data: bytes, source: str):
        self.data = data
        self.source = source
        self.what = "the model header"

    def fail(self, msg: str) -> ConversionError:
        return ConversionError(f"{self.source}: not a valid TFLite model: {msg}")

    def count(self, n: int, elem_size: int) -> int:
        """A vector length, checked against what the file could hold."""
        if n < 0 or n * elem_size > len(self.data):
            raise self.fail(f"{self.what}: vector length {n} exceeds the file size {len(self.data)}")
        return n

    def ints(self, obj, field: str) -> list:
        n = self.count(getattr(obj, field + "Length")(), 4)
        get = getattr(obj, field)
        return [int(get(j)) for j in range(n)]

    def string(self, s) -> str:
        if s is None:
            return ""
        return s.decode("utf-8", errors="replace")


def read_model(data: bytes, source: str = "<tflite bytes>") -> TFLiteModel:
    data = bytes(data)
    r = Reader(data, source)
    if len(data) < 8:
        raise r.fail(f"file is {len(data)} bytes, too short for a FlatBuffer")
    if data[4:8] != b"TFL3":
        raise r.fail(f"file identifier is {data[4:8]!r}, expected b'TFL3'")
    try:
        return _read(r)
    except ConversionError:
        raise
    except ACCESSOR_ERRORS as e:
        raise r.fail(f"corrupted or truncated while reading {r.what}: {type(e).__name__}: {e}") from None


def _read(r: Reader) -> TFLiteModel:
    data = r.data
    (root,) = struct.unpack_from("<I", data, 0)
    if root + 4 > len(data):
        raise r.fail(f"root table offset {root} is outside the file ({len(data)} bytes)")
    m = tflite.Model.GetRootAsModel(data, 0)
    version = int(m.Version())
    r.what = "subgraphs"
    if r.count(m.SubgraphsLength(), 4) < 1:
        raise r.fail("the model has no subgraph")

    r.what = "buffers"
    buffers = []
    for b in range(r.count(m.BuffersLength(), 4)):
        r.what = f"buffer {b}"
        buf = m.Buffers(b)
        off, size = int(buf.Offset()), int(buf.Size())
        if off > 1:  # large-model layout: data stored after the FlatBuffer, offset from the file start
            if off + size > len(data):
                raise r.fail(f"buffer {b} spans bytes {off}..{off + size}, beyond the file ({len(data)} bytes)")
            buffers.append((off, size))
        elif not buf.DataIsNone() and buf.DataLength() > 0:
            n = r.count(buf.DataLength(), 1)
            start = buf._tab.Vector(buf._tab.Offset(4))
            if start + n > len(data):
                raise r.fail(f"buffer {b} data runs past the end of the file")
            buffers.append((start, n))
        else:
            buffers.append((0, 0))

    r.what = "operator codes"
    codes = []
    for c in range(r.count(m.OperatorCodesLength(), 4)):
        r.what = f"operator code {c}"
        oc = m.OperatorCodes(c)
        # read the raw builtin_code field: the package's BuiltinCode() returns
        # deprecated_builtin_code whenever builtin_code < 127, hiding extended-only codes
        raw = oc._tab.Offset(10)
        extended = int(oc._tab.Get(flatbuffers.number_types.Int32Flags, raw + oc._tab.Pos)) if raw else 0
        code = max(extended, int(oc.DeprecatedBuiltinCode()))
        name = BUILTIN_NAMES.get(code, f"BUILTIN_{code}")
        if code == BuiltinOperator.CUSTOM:
            name = "CUSTOM:" + r.string(oc.CustomCode())
        codes.append((code, name, int(oc.Version())))

    subgraphs = []
    for k in range(r.count(m.SubgraphsLength(), 4)):
        subgraphs.append(_read_subgraph(r, m.Subgraphs(k), k, buffers, codes))
    tensors, ops, inputs, outputs = (subgraphs[0].tensors, subgraphs[0].ops, subgraphs[0].inputs,
                                     subgraphs[0].outputs)

    signature = None
    r.what = "signature defs"
    for s in range(r.count(m.SignatureDefsLength(), 4)):
        sd = m.SignatureDefs(s)
        if int(sd.SubgraphIndex()) != 0:
            continue
        sig = {"key": r.string(sd.SignatureKey()), "inputs": {}, "outputs": {}}
        for kind, n, get in (("inputs", sd.InputsLength(), sd.Inputs), ("outputs", sd.OutputsLength(), sd.Outputs)):
            for j in range(r.count(n, 4)):
                tm = get(j)
                ti = int(tm.TensorIndex())
                if not 0 <= ti < len(tensors):
                    raise r.fail(f"signature {sig['key']!r} {kind} refers to tensor {ti}, but subgraph 0 has "
                                 f"{len(tensors)} tensors")
                sig[kind][r.string(tm.Name())] = ti
        signature = sig
        break
    r.what = "model description"
    desc = r.string(m.Description())
    metadata = {}
    r.what = "model metadata"
    for k in range(r.count(m.MetadataLength(), 8)):
        entry = m.Metadata(k)
        b = int(entry.Buffer())
        if not 0 <= b < len(buffers):
            raise r.fail(f"metadata entry {k} points at buffer {b}, but the model has {len(buffers)} buffers")
        off, size = buffers[b]
        metadata[r.string(entry.Name())] = bytes(data[off:off + size])
    return TFLiteModel(data, version, tensors, ops, inputs, outputs, buffers, signature, desc, metadata,
                       subgraphs)


def _read_subgraph(r: Reader, sg, k: int, buffers: list, codes: list) -> Subgraph:
    where = "" if k == 0 else f"subgraph {k}: "
    tensors = []
    for t in range(r.count(sg.TensorsLength(), 4)):
        r.what = f"{where}tensor {t}"
        ten = sg.Tensors(t)
        shape = tuple(r.ints(ten, "Shape"))
        sig = tuple(r.ints(ten, "ShapeSignature")) if not ten.ShapeSignatureIsNone() else None
        _check_dims(r, t, ten, shape, sig)
        bidx = int(ten.Buffer())
        if not 0 <= bidx < max(len(buffers), 1):
            raise r.fail(f"tensor {t} refers to buffer {bidx}, but the model has {len(buffers)}")
        tensors.append(TensorInfo(t, r.string(ten.Name()), int(ten.Type()), shape, sig, bidx, ten))

    def check_tensor_list(idx, what, allow_absent=False):
        for i in idx:
            if not (0 <= i < len(tensors) or (allow_absent and i == -1)):
                raise r.fail(f"{what} refers to tensor {i}, but subgraph {k} has {len(tensors)} tensors")
        return idx

    ops = []
    for o in range(r.count(sg.OperatorsLength(), 4)):
        r.what = f"{where}operator {o}"
        op = sg.Operators(o)
        ci = int(op.OpcodeIndex())
        if not 0 <= ci < len(codes):
            raise r.fail(f"operator {o} has opcode index {ci}, but the model has {len(codes)} operator codes")
        code, name, ver = codes[ci]
        ins = check_tensor_list(r.ints(op, "Inputs"), f"operator {o} ({name}) input", True)
        outs = check_tensor_list(r.ints(op, "Outputs"), f"operator {o} ({name}) output", True)
        ops.append(OpInfo(o, code, name, ver, ins, outs, op))

    r.what = f"{where}subgraph inputs/outputs"
    inputs = check_tensor_list(r.ints(sg, "Inputs"), "subgraph input")
    outputs = check_tensor_list(r.ints(sg, "Outputs"), "subgraph output")

    return Subgraph(tensors, ops, inputs, outputs)


def _check_dims(r: Reader, t: int, ten, shape: tuple, sig: Optional[tuple]) -> None:
    """A dim is a size (>= 0) or, only in the shape signature, -1 (unknown until run time); the
    converter also writes a -1 in the shape itself for an unknown dim, which the importer takes."""
    for what, dims in (("shape", shape), ("shape_signature", sig or ())):
        if any(d < -1 for d in dims):
            raise r.fail(f"tensor {t} ({r.string(ten.Name())!r}) has {what} {list(dims)}: a dim must be >= 0, "
                         f"or -1 for a dim unknown until run time")
    if sig and len(sig) == len(shape):
        for k, (d, s) in enumerate(zip(shape, sig)):
            if s >= 0 and d >= 0 and s != d:
                raise r.fail(f"tensor {t} ({r.string(ten.Name())!r}) has shape {list(shape)} but shape_signature "
                             f"{list(sig)}: dim {k} differs (a signature dim is -1 or the shape's dim)")


def buffer_bytes(model: TFLiteModel, index: int) -> Optional[memoryview]:
    off, size = model.buffers[index] if 0 <= index < len(model.buffers) else (0, 0)
    if size == 0:
        return None
    return memoryview(model.data)[off:off + size]
