"""Generated files are fresh, the freshness check can fail, and the ctypes
binding (pocketml.runtime) matches native/include/pocketml.h.

The C files restating the registry and the dtype table are rendered by
pocketml.ops.codegen and compared with the committed ones; the FlatBuffers
Python classes are rendered by flatc into a temp dir (skipped without flatc).
The binding test parses the header's structs and prototypes, so it follows
whatever the header declares (fields added, functions added)."""
from __future__ import annotations

import ctypes
import re
import shutil

import pytest

from pocketml import dtypes, ops, runtime
from pocketml.format import regen
from pocketml.ops import codegen


def test_generated_c_files_are_fresh():
    stale = codegen.stale()
    assert not stale, f"stale generated files {stale}: run python -m pocketml.ops.codegen"


@pytest.mark.skipif(not shutil.which("flatc"), reason="flatc (the FlatBuffers compiler) is not installed")
def test_flatbuffers_classes_are_fresh():
    files = regen.render(shutil.which("flatc"))
    committed = {p.name: p.read_text() for p in regen.OUT.glob("*.py")}
    stale = sorted(n for n in files.keys() | committed.keys() if files.get(n) != committed.get(n))
    assert not stale, f"stale {stale} in {regen.OUT}: run python -m pocketml.format.regen"


# ---- the check can fail ----------------------------------------------------------------------
def _copy_tree(tmp_path):
    for rel in list(codegen.FILES) + list(codegen.BLOCKS):
        dst = tmp_path / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text((codegen.ROOT / rel).read_text())
    return tmp_path


def test_a_changed_registry_makes_files_stale(monkeypatch, tmp_path):
    root = _copy_tree(tmp_path)
    assert codegen.stale(root) == []
    add = ops.get("Add")
    monkeypatch.setattr(add, "types", {"T": add.types["T"] + ("int16",)})
    assert codegen.stale(root) == ["native/src/op_schema.c"]
    monkeypatch.setattr(add, "traits", add.traits - {"commutative"})
    monkeypatch.setitem(ops.REGISTRY, "Fake", ops.OpDef("Fake", 250, "unary", add.inputs, add.outputs,
                                                       add.types, {}))
    assert codegen.stale(root) == ["native/src/op_codes.h", "native/src/op_schema.c"]


def test_a_changed_dtype_table_or_hand_edit_makes_files_stale(monkeypatch, tmp_path):
    root = _copy_tree(tmp_path)
    monkeypatch.setattr(dtypes, "ALL", dtypes.ALL + (dtypes.DType("float64", 12, "PML_FLOAT64", 11, "float"),))
    assert {"native/include/pocketml.h", "native/schema/pml.fbs", "native/src/dtype_table.c"} <= set(
        codegen.stale(root))
    monkeypatch.undo()
    header = root / "native/include/pocketml.h"
    header.write_text(header.read_text().replace("PML_BOOL = 7", "PML_BOOL = 77"))
    assert codegen.stale(root) == ["native/include/pocketml.h"]
    header.write_text(header.read_text().replace("/* END GENERATED */", ""))
    with pytest.raises(ValueError, match="no .* block"):
        codegen.render(root)


def test_c_schema_agrees_with_the_registry():
    text = (codegen.ROOT / "native/src/op_schema.c").read_text()
    for op in ops.REGISTRY.values():
        row = re.search(rf'\[PML_OP_{op.name.upper()}\] = \{{"{op.name}", (\d+), (\d+), (\d+), (\d+),', text)
        assert row and tuple(map(int, row.groups())) == (op.min_inputs, op.max_inputs, op.min_outputs,
                                                         op.max_outputs), op.name
    # the arities that once disagreed between Python and C, decided from ONNX
    assert (ops.get("Concat").min_inputs, ops.get("Concat").max_inputs) == (1, 255)
    assert (ops.get("Split").min_outputs, ops.get("Split").max_outputs) == (1, 255)
    assert (ops.get("TopK").min_outputs, ops.get("TopK").max_outputs) == (1, 2)


# ---- the ctypes binding against pocketml.h ------------------------------------------------------
HEADER = codegen.ROOT / "native" / "include" / "pocketml.h"
STRUCTS = {"pml_tensor_info": runtime._TensorInfo, "pml_session_options": runtime._Options,
           "pml_node_profile": runtime._NodeProfile, "pml_quant_info": runtime._QuantInfo}
SCALARS = {"char*": ctypes.c_char_p, "int": ctypes.c_int, "pml_dtype": ctypes.c_int, "pml_status": ctypes.c_int,
           "size_t": ctypes.c_size_t, "int64_t": ctypes.c_int64, "uint64_t": ctypes.c_uint64,
           "uint32_t": ctypes.c_uint32, "int32_t": ctypes.c_int32, "float": ctypes.c_float, "void*": ctypes.c_void_p,
           "pml_model*": ctypes.c_void_p, "pml_session*": ctypes.c_void_p, "void": None}


def _header_text() -> str:
    text = re.sub(r"/\*.*?\*/", " ", HEADER.read_text(), flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def _ctype(decl: str):
    """C type text (without the name) -> the ctypes type the binding must use."""
    t = re.sub(r"\bconst\b", " ", decl)
    base, stars = re.sub(r"[\s*]", "", t), t.count("*")
    if base in STRUCTS and stars:
        return ctypes.POINTER(STRUCTS[base]) if stars == 1 else None
    key = base + "*" * min(stars, 1)
    if key in SCALARS and stars <= 1:
        return SCALARS[key]
    if stars >= 1 and base + "*" * (stars - 1) in SCALARS:
        return ctypes.POINTER(SCALARS[base + "*" * (stars - 1)])
    if stars >= 2 and base in ("pml_model", "pml_session"):
        return ctypes.POINTER(ctypes.c_void_p)
    raise AssertionError(f"no ctypes mapping for C type {decl!r}: extend the test's table")


def _same(a, b) -> bool:
    if a is b:
        return True
    if isinstance(a, type) and issubclass(a, ctypes.Array) and isinstance(b, type) and issubclass(b, ctypes.Array):
        return a._type_ is b._type_ and a._length_ == b._length_
    return False


def _split_decl(decl: str):
    m = re.match(r"(.*?)(\w+)\s*(?:\[(\w+)\])?\s*$", decl.strip(), re.S)
    return m.group(1), m.group(2), m.group(3)


def _struct_mismatches(struct: str, cls) -> list:
    """Differences between a ctypes Structure and the header's struct (empty: equal)."""
    body = re.search(rf"typedef struct {struct} \{{(.*?)\}} {struct};", _header_text(), re.S)
    assert body, f"struct {struct} not in pocketml.h"
    want = []
    for decl in filter(str.strip, body.group(1).split(";")):
        ctype, name, length = _split_decl(decl)
        t = _ctype(ctype)
        if length:
            t = t * (runtime.PML_MAX_RANK if length == "PML_MAX_RANK" else int(length))
        want.append((name, t))
    got = list(cls._fields_)
    if [n for n, _ in got] != [n for n, _ in want]:
        return [f"{struct}: fields {[n for n, _ in got]}, header says {[n for n, _ in want]}"]
    return [f"{struct}.{n}: binding has {t}, header says {w}" for (n, t), (_, w) in zip(got, want) if not _same(t, w)]


@pytest.mark.parametrize("struct", sorted(STRUCTS))
def test_ctypes_structs_match_the_header(struct):
    assert _struct_mismatches(struct, STRUCTS[struct]) == []


def test_the_binding_check_can_fail():
    class Reordered(ctypes.Structure):
        _fields_ = list(reversed(runtime._Options._fields_))

    class Narrow(ctypes.Structure):
        _fields_ = [(n, ctypes.c_int32 if n == "nbytes" else t) for n, t in runtime._TensorInfo._fields_]

    assert _struct_mismatches("pml_session_options", Reordered)
    assert _struct_mismatches("pml_tensor_info", Narrow)


def test_ctypes_function_table_matches_the_header():
    protos = {}
    for m in re.finditer(r"PML_API\s+([^;(]*?)(\w+)\s*\(([^)]*)\)\s*;", _header_text(), re.S):
        ret, name, params = m.groups()
        args = [] if params.strip() in ("", "void") else [_ctype(_split_decl(p)[0]) for p in params.split(",")]
        protos[name] = (_ctype(ret), args)
    assert set(runtime._API) == set(protos), "functions differ between runtime._API and pocketml.h"
    for name, (ret, args) in protos.items():
        got_ret, got_args = runtime._API[name]
        assert _same(got_ret, ret) or got_ret == ret, f"{name}: returns {got_ret}, header says {ret}"
        assert len(got_args) == len(args) and all(_same(g, w) for g, w in zip(got_args, args)), \
            f"{name}: arguments {got_args}, header says {args}"
