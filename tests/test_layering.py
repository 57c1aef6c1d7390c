"""Layering of the code base: no include or import cycles, kernels self-contained.

C (native/src, native/include): the `#include "..."` graph between files has no cycle;
neither has the graph between the runtime's layers (native/src top level, ops/,
kernels/) nor the one between kernel families (kernels/<family>/); and a kernels/
file includes only kernels/ headers plus the leaf headers in KERNEL_BASE_HEADERS.

C calls: no cycle between files through calls of the project's global functions (a
file calling a function defined in another is an edge), so splitting a file cannot leave
two halves that call each other.

Python (src/pocketml, converters): the graph of module-level imports between project
modules has no cycle. Imports inside functions are not edges, but each one must be a
deliberate lazy import listed in LAZY_IMPORTS with its reason, so a new one is a
decision, not an accident.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NATIVE_SRC = ROOT / "native" / "src"
NATIVE_INCLUDE = ROOT / "native" / "include"

# Headers outside kernels/ a kernel may include: leaves (they include nothing of the
# project), so they cannot close a cycle. pocketml.h: the dtype codes; act_kinds.h: the
# fused-activation enum generated from the op registry.
KERNEL_BASE_HEADERS = {"native/include/pocketml.h", "native/src/act_kinds.h"}

# (importing module, imported module): why the import is inside a function. None of them
# hides a cycle: test_lazy_imports_hide_no_cycle adds each one to the module-level graph.
_LIGHT = "keeps `import pocketml` light: the package loads submodules on first use"
_CLI = "the command line loads what the chosen subcommand needs"
_OPTIONAL = "optional dependency (onnx / tflite): loaded only for that source format"
_FOLD = "constant folding needs the numpy references of every op: loaded when a node folds"
_BACKEND = "the ONNX backend harness loads converter, passes and runtime when it prepares a model"
LAZY_IMPORTS: dict[tuple[str, str], str] = {
    ("pocketml", "pocketml.model"): _LIGHT,
    ("pocketml.cli", "pocketml.cli.bench"): _CLI,
    ("pocketml.cli", "pocketml.cli.convert_run"): _CLI,
    ("pocketml.cli", "pocketml.cli.info"): _CLI,
    ("pocketml.convert", "pocketml.converters.onnx"): _OPTIONAL,
    ("pocketml.convert", "pocketml.converters.onnx.importer"): _OPTIONAL,
    ("pocketml.convert", "pocketml.converters.tflite"): _OPTIONAL,
    ("pocketml.convert", "pocketml.passes"): "the pass pipeline loads when a conversion optimises",
    ("pocketml.converters.onnx.context", "pocketml.reference"): _FOLD,
    ("pocketml.precheck", "pocketml.converters.onnx.dispatch"): _OPTIONAL,
    ("pocketml.precheck", "pocketml.converters.tflite.context"): _OPTIONAL,
    ("pocketml.precheck", "pocketml.converters.tflite.reader"): _OPTIONAL,
    ("pocketml.converters.tflite.context", "pocketml.reference"): _FOLD,
    ("pocketml.model", "pocketml.format"): "the .pml writer (flatbuffers) loads when a model is serialised",
    ("pocketml.model", "pocketml.format.writer"): "the .pml writer (flatbuffers) loads when a model is serialised",
    ("pocketml.model", "pocketml.runtime"): "the C library loads when a session is created",
    ("pocketml.onnx_backend", "pocketml.converters.onnx"): _BACKEND,
    ("pocketml.onnx_backend", "pocketml.model"): _BACKEND,
    ("pocketml.onnx_backend", "pocketml.passes"): _BACKEND,
    ("pocketml.onnx_backend", "pocketml.runtime"): _BACKEND,
    ("pocketml.native", "pocketml"): "the package directory, only when POCKETML_LIBRARY does not name the library",
}
# Generated code (flatc) keeps its own lazy imports.
GENERATED_PY = ("pocketml.format._generated",)

_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def _rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


def _c_files() -> list[Path]:
    files = [p for d in (NATIVE_SRC, NATIVE_INCLUDE) for p in d.rglob("*") if p.suffix in (".c", ".h")]
    return sorted(files)


def _resolve_include(src: Path, name: str) -> Path | None:
    for base in (src.parent, NATIVE_SRC, NATIVE_INCLUDE):
        p = (base / name).resolve()
        if p.is_file():
            return p
    return None


def c_include_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for f in _c_files():
        deps = graph.setdefault(_rel(f), set())
        for name in _INCLUDE.findall(f.read_text(errors="replace")):
            target = _resolve_include(f, name)
            assert target is not None, f"{_rel(f)}: cannot resolve #include \"{name}\""
            deps.add(_rel(target))
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph (as a node list closing on its start), or None."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    for root in sorted(graph):
        if state.get(root):
            continue
        stack = [(root, iter(sorted(graph.get(root, ()))))]
        path = [root]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                path.pop()
                state[node] = 2
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, iter(sorted(graph.get(nxt, ())))))
    return None


def _collapse(graph: dict[str, set[str]], node_of) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for a, deps in graph.items():
        na = node_of(a)
        if na is None:
            continue
        for b in deps:
            nb = node_of(b)
            if nb is not None and nb != na:
                out.setdefault(na, set()).add(nb)
    return out


def _layer(path: str) -> str | None:
    """native/src top level, ops/, kernels/ (all families), include/; base headers on their own."""
    if path in KERNEL_BASE_HEADERS:
        return path
    parts = path.split("/")
    if parts[:2] == ["native", "include"]:
        return "native/include"
    if len(parts) == 3:
        return "native/src"
    return "/".join(parts[:3])


def _family(path: str) -> str | None:
    parts = path.split("/")
    if parts[:3] == ["native", "src", "kernels"] and len(parts) == 5:
        return parts[3]
    return None


def test_no_c_include_cycle_between_files():
    assert find_cycle(c_include_graph()) is None, f"include cycle: {find_cycle(c_include_graph())}"


_C_DEFINITION = re.compile(r"^(?!static\b)[A-Za-z_][\w \t\*]*?\b(pml_\w+)\s*\([^;]*$", re.M)
_C_CALL = re.compile(r"\b(pml_\w+)\s*\(")


def c_call_graph() -> dict[str, set[str]]:
    """file -> files defining a global pml_* function it calls (comments and strings stripped)."""
    texts, defined_in = {}, {}
    for f in _c_files():
        if f.suffix != ".c":
            continue
        text = re.sub(r"/\*.*?\*/|//[^\n]*|\"(?:\\.|[^\"\\])*\"", " ", f.read_text(), flags=re.S)
        texts[_rel(f)] = text
        for name in _C_DEFINITION.findall(text):
            defined_in.setdefault(name, _rel(f))
    return {f: {defined_in[n] for n in _C_CALL.findall(t) if defined_in.get(n, f) != f} for f, t in texts.items()}


def test_no_c_call_cycle_between_files():
    graph = c_call_graph()
    assert sum(len(v) for v in graph.values()) > 50, "the call graph looks empty: the parser broke"
    assert find_cycle(graph) is None, f"C files call each other in a circle: {find_cycle(graph)}"


def test_no_c_include_cycle_between_layers():
    cycle = find_cycle(_collapse(c_include_graph(), _layer))
    assert cycle is None, f"include cycle between directories: {' -> '.join(cycle)}"


def test_no_c_include_cycle_between_kernel_families():
    cycle = find_cycle(_collapse(c_include_graph(), _family))
    assert cycle is None, f"include cycle between kernel families: {' -> '.join(cycle)}"


def test_kernels_include_only_kernels_headers():
    bad = []
    for f, deps in c_include_graph().items():
        if not f.startswith("native/src/kernels/"):
            continue
        for d in sorted(deps):
            if not d.startswith("native/src/kernels/") and d not in KERNEL_BASE_HEADERS:
                bad.append(f"{f} includes {d}")
    assert not bad, "kernels must include only kernels/ headers:\n" + "\n".join(bad)


# ---- Python ---------------------------------------------------------------------------------------------


def _py_modules() -> dict[str, Path]:
    mods: dict[str, Path] = {}
    # converters/ installs as pocketml.converters (pyproject.toml)
    for prefix, base in (("pocketml", ROOT / "src" / "pocketml"), ("pocketml.converters", ROOT / "converters")):
        for p in base.rglob("*.py"):
            parts = [prefix, *p.relative_to(base).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods[".".join(parts)] = p
    return mods


def _targets(mod: str, is_pkg: bool, node: ast.AST, mods: dict[str, Path]) -> set[str]:
    """Project modules an import statement loads (the deepest existing module of each name)."""
    out: set[str] = set()
    if isinstance(node, ast.Import):
        for a in node.names:
            name = a.name
            while name and name not in mods:
                name = name.rpartition(".")[0]
            if name:
                out.add(name)
        return out
    assert isinstance(node, ast.ImportFrom)
    if node.level:
        pkg = mod if is_pkg else mod.rpartition(".")[0]
        for _ in range(node.level - 1):
            pkg = pkg.rpartition(".")[0]
        base = f"{pkg}.{node.module}" if node.module else pkg
    else:
        base = node.module or ""
    for a in node.names:
        if f"{base}.{a.name}" in mods:  # from package import submodule
            out.add(f"{base}.{a.name}")
        elif base in mods:
            out.add(base)
    return out


def python_imports() -> tuple[dict[str, set[str]], dict[tuple[str, str], int]]:
    """Module-level import graph, and the function-level imports (importer, imported) -> line."""
    mods = _py_modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    lazy: dict[tuple[str, str], int] = {}
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(), str(path))
        is_pkg = path.name == "__init__.py"

        def visit(node: ast.AST, in_function: bool) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    for t in _targets(mod, is_pkg, child, mods):
                        if t == mod:
                            continue
                        if in_function:
                            lazy.setdefault((mod, t), child.lineno)
                        else:
                            graph[mod].add(t)
                elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                    visit(child, True)
                elif isinstance(child, ast.If) and _is_type_checking(child.test):
                    continue  # typing-only imports do not run
                else:
                    visit(child, in_function)

        visit(tree, False)
    return graph, lazy


def _is_type_checking(test: ast.AST) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def test_no_python_import_cycle():
    graph, _ = python_imports()
    cycle = find_cycle(graph)
    assert cycle is None, f"module-level import cycle: {' -> '.join(cycle)}"


def test_function_level_imports_are_the_listed_lazy_ones():
    _, lazy = python_imports()
    unlisted = sorted(f"{a} imports {b} inside a function (line {n})" for (a, b), n in lazy.items()
                      if (a, b) not in LAZY_IMPORTS and not a.startswith(GENERATED_PY))
    stale = sorted(f"{a} -> {b}" for a, b in LAZY_IMPORTS if (a, b) not in lazy)
    assert not unlisted, ("imports inside functions must be deliberate: list them in LAZY_IMPORTS with the reason "
                          "or move them to module level:\n" + "\n".join(unlisted))
    assert not stale, "LAZY_IMPORTS lists imports that no longer exist:\n" + "\n".join(stale)


def test_lazy_imports_hide_no_cycle():
    graph, _ = python_imports()
    for a, b in LAZY_IMPORTS:
        with_it = {k: set(v) for k, v in graph.items()}
        with_it[a].add(b)
        cycle = find_cycle(with_it)
        assert cycle is None, f"lazy import {a} -> {b} avoids a cycle: {' -> '.join(cycle)}"


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
