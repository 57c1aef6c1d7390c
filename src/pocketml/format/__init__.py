"""The .pml model file: writer and reader (layout in docs/format.md).

A .pml file is a 64-byte header, a FlatBuffer graph (native/schema/pml.fbs,
classes generated into ``_generated/`` by ``python -m pocketml.format.regen``)
and a weights section of 64-aligned constant blobs, protected by a CRC-32.

    data = write_pml(graph, "model.pml", metadata={"source": "model.onnx"})
    graph, metadata = read_pml("model.pml")
"""
from .header import ALIGN, FORMAT_VERSION, HEADER_SIZE, MAGIC, FileHeader, checksum, fix_checksum, verify_header
from .reader import read_pml
from .writer import write_pml

__all__ = ["write_pml", "read_pml", "verify_header", "checksum", "fix_checksum", "FileHeader", "FORMAT_VERSION",
           "HEADER_SIZE", "MAGIC", "ALIGN"]
