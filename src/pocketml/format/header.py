"""The 64-byte .pml header and the file checksum (docs/format.md).

``verify_header`` performs the same checks, in the same order and with the
same messages, as the C loader (native/src/model.c), so a file rejected by
one is rejected by the other for the same reason.
"""
from __future__ import annotations

import dataclasses
import struct

from ..errors import ModelLoadError

try:  # ISA-L's CRC-32 gives zlib.crc32's values several times faster: a file's every weight byte goes through it
    from isal.isal_zlib import crc32
except ImportError:  # the optional "fast" extra is not installed
    from zlib import crc32

MAGIC = b"POCKETML"
FORMAT_VERSION = 1
HEADER_SIZE = 64
ALIGN = 64
CHECKSUM_OFFSET = 60
# Header flags: features a reader must implement to run the file correctly. A reader refuses a
# file naming a feature it does not know; runtimes from before any feature existed refuse every
# non-zero flag, so they refuse these files too.
FEATURE_QUANTIZED_TENSORS = 0x1  # some tensor carries quantization parameters that ops read
KNOWN_FEATURES = {FEATURE_QUANTIZED_TENSORS: "quantized tensors"}
KNOWN_FEATURE_MASK = sum(KNOWN_FEATURES)
_LAYOUT = struct.Struct("<8sIIQQQQQII")  # magic .. flags, checksum
assert _LAYOUT.size == HEADER_SIZE


def align(n: int, a: int = ALIGN) -> int:
    return (n + a - 1) // a * a


@dataclasses.dataclass(frozen=True)
class FileHeader:
    format_version: int
    header_size: int
    file_size: int
    graph_offset: int
    graph_size: int
    weights_offset: int
    weights_size: int
    flags: int
    checksum: int


def checksum(data) -> int:
    """CRC-32 (zlib) of bytes [0, 60) followed by [64, end): everything but the checksum field."""
    mv = memoryview(data)
    return crc32(mv[HEADER_SIZE:], crc32(mv[:CHECKSUM_OFFSET])) & 0xFFFFFFFF


def pack_header(graph_size: int, weights_size: int, format_version: int = FORMAT_VERSION, flags: int = 0) -> bytes:
    """The 64-byte header of a file with these section sizes, checksum field 0."""
    weights_offset = HEADER_SIZE + align(graph_size)
    return _LAYOUT.pack(MAGIC, format_version, HEADER_SIZE, weights_offset + weights_size, HEADER_SIZE, graph_size,
                        weights_offset, weights_size, flags, 0)


def pack_file(graph: bytes, weights: bytes, format_version: int = FORMAT_VERSION, flags: int = 0) -> bytes:
    """Header + graph (padded to 64) + weights, with the checksum filled in."""
    head = pack_header(len(graph), len(weights), format_version, flags)
    out = bytearray(len(head) + align(len(graph)) + len(weights))
    out[:HEADER_SIZE] = head
    out[HEADER_SIZE:HEADER_SIZE + len(graph)] = graph
    out[HEADER_SIZE + align(len(graph)):] = weights
    struct.pack_into("<I", out, CHECKSUM_OFFSET, checksum(out))
    return bytes(out)


def fix_checksum(data) -> bytes:
    """Recompute the checksum of (possibly edited) file bytes."""
    out = bytearray(data)
    struct.pack_into("<I", out, CHECKSUM_OFFSET, checksum(out))
    return bytes(out)


def verify_header(data, verify_checksum: bool = True) -> FileHeader:
    """Decode the header and check it against len(data), then the checksum (unless
    verify_checksum is False: a quick look that must not read every byte of a big file)."""
    size = len(data)
    if size >= 8 and bytes(data[:8]) != MAGIC:
        raise ModelLoadError(f"not a .pml file: magic bytes are {bytes(data[:8]).hex(' ')}, expected \"POCKETML\"")
    if size < HEADER_SIZE:
        raise ModelLoadError(f"file truncated: {size} bytes is smaller than the {HEADER_SIZE}-byte header")
    h = FileHeader(*_LAYOUT.unpack_from(data, 0)[1:])
    if h.format_version == 0:
        raise ModelLoadError("header: format version 0 is invalid")
    if h.format_version > FORMAT_VERSION:
        raise ModelLoadError(f"file has format version {h.format_version}; this reader reads versions up to "
                             f"{FORMAT_VERSION} (upgrade pocketml)")
    if h.header_size != HEADER_SIZE:
        raise ModelLoadError(f"header: header_size is {h.header_size}, expected {HEADER_SIZE}")
    if h.file_size > size:
        raise ModelLoadError(f"file truncated: header says {h.file_size} bytes, got {size}")
    if h.file_size < size:
        raise ModelLoadError(f"file has {size} bytes but its header says {h.file_size} (trailing bytes or a "
                             "corrupted header)")
    crc = checksum(data) if verify_checksum else h.checksum
    if crc != h.checksum:
        raise ModelLoadError(f"checksum mismatch: file is corrupted (stored 0x{h.checksum:08x}, computed 0x{crc:08x})")
    if h.flags & ~KNOWN_FEATURE_MASK:
        raise ModelLoadError(f"header: the file requires features 0x{h.flags & ~KNOWN_FEATURE_MASK:08x} this reader "
                             f"does not implement (it knows 0x{KNOWN_FEATURE_MASK:08x}: "
                             f"{', '.join(KNOWN_FEATURES.values())}); upgrade pocketml")
    if h.graph_offset != HEADER_SIZE:
        raise ModelLoadError(f"header: graph_offset is {h.graph_offset}, expected {HEADER_SIZE}")
    if h.graph_size == 0 or h.graph_size > size - h.graph_offset:
        raise ModelLoadError(f"header: graph section [{h.graph_offset}, +{h.graph_size} bytes) does not fit in the "
                             f"{size}-byte file")
    if h.weights_offset % ALIGN:
        raise ModelLoadError(f"header: weights_offset {h.weights_offset} is not a multiple of {ALIGN}")
    graph_end = h.graph_offset + h.graph_size
    if not graph_end <= h.weights_offset <= size:
        raise ModelLoadError(f"header: weights_offset {h.weights_offset} must lie between the end of the graph "
                             f"({graph_end}) and the end of the file ({size})")
    if h.weights_size != size - h.weights_offset:
        raise ModelLoadError(f"header: weights section [{h.weights_offset}, +{h.weights_size} bytes) must end at the "
                             f"end of the file ({size} bytes)")
    return h
