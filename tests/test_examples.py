"""The examples run as documented: the C program is compiled against the
installed header and library, loads a converted model and prints the same
top-1 class as onnxruntime; the README's C commands (shared library with an
rpath, static library with pkg-config's flags, find_package in a CMake project
against a `cmake --install`ed prefix) build it, and it prints what the Python
Session computes for .npy inputs and for symbolic dims given with --shape; the
version in pyproject.toml, pocketml.h, pml_version() and pocketml.pc agree; the
Python quickstart runs end to end."""
from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys
import tomllib

import numpy as np
import onnx
import pytest

import pocketml
from pocketml import runtime

ROOT = pathlib.Path(__file__).resolve().parents[1]
ENCODER = ROOT / "tests" / "fixtures" / "encoder_dynamo.onnx"
SQUEEZENET = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light", "light_squeezenet.onnx")


def installed_file(relative: str) -> pathlib.Path:
    for base in pocketml.__path__:
        p = pathlib.Path(base) / relative
        if p.exists():
            return p
    raise FileNotFoundError(relative)


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
def test_c_example_matches_onnxruntime(tmp_path):
    lib = installed_file("lib/libpocketml.so")
    include = installed_file("include/pocketml.h").parent
    exe = tmp_path / "run_model"
    subprocess.run(["cc", "-O2", str(ROOT / "examples/c/run_model.c"), f"-I{include}", f"-L{lib.parent}",
                    "-lpocketml", f"-Wl,-rpath,{lib.parent}", "-o", str(exe)], check=True)
    pml = tmp_path / "squeezenet.pml"
    pocketml.convert(SQUEEZENET).save(pml)

    proc = subprocess.run([str(exe), str(pml), "--threads", "2"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    top1 = int(next(l for l in proc.stdout.splitlines() if "top1" in l).split("index")[1].split()[0])

    import onnxruntime as ort

    sess = ort.InferenceSession(SQUEEZENET, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    n = int(np.prod(inp.shape))
    x = (np.arange(n) / n).astype(np.float32).reshape(inp.shape)  # the C example's ramp input
    expected = sess.run(None, {inp.name: x})[0].reshape(-1)
    assert top1 == int(np.argmax(expected))

    bad = subprocess.run([str(exe), str(tmp_path / "missing.pml")], capture_output=True, text=True)
    assert bad.returncode != 0 and "missing.pml" in bad.stderr


def test_python_quickstart_runs(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "examples/python/quickstart.py")], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "top-5 classes:" in proc.stdout
    assert (tmp_path / "squeezenet.pml").exists()


# ---- the README's C embedding commands --------------------------------------------------------

def readme_block(lang: str) -> str:
    """The first ```lang block of the README's "Embedding the C runtime" section."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Embedding the C runtime"):]
    section = section[:section.index("\n## ", 3)]
    return re.search(rf"```{lang}\n(.*?)```", section, re.S).group(1)


def run_c(exe, *args) -> subprocess.CompletedProcess:
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, timeout=120)


def printed_outputs(stdout: str) -> dict:
    """{output name: (shape, values)} from run_model's "output NAME DTYPE [d0,d1]" and "values ..." lines."""
    outs, name = {}, None
    for line in stdout.splitlines():
        if line.startswith("output "):
            _, name, _, shape = line.split()
            outs[name] = (tuple(int(d) for d in shape.strip("[]").split(",") if d), None)
        elif line.strip().startswith("values") and name:
            outs[name] = (outs[name][0], np.array([float(v) for v in line.split()[1:]], np.float64))
    return outs


def check_against_session(stdout: str, session: "pocketml.Session", feeds: dict) -> None:
    expected = session.run(feeds)
    printed = printed_outputs(stdout)
    assert set(printed) == set(expected), stdout
    for name, want in expected.items():
        shape, values = printed[name]
        assert shape == want.shape, (name, shape, want.shape)
        np.testing.assert_allclose(values, want.reshape(-1)[:len(values)].astype(np.float64), rtol=1e-6, atol=1e-7)
        assert len(values) == min(want.size, 100000)


def small_cnn(path: pathlib.Path) -> pathlib.Path:
    """Conv (random weights) + Relu + global average pool: a small static model with real weights."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(1)
    w = numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "b")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["r"]),
         helper.make_node("GlobalAveragePool", ["r"], ["y"])],
        "small_cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 1, 1]),
         helper.make_tensor_value_info("r", TensorProto.FLOAT, [1, 4, 8, 8])], [w, b])
    onnx_path = path.with_suffix(".onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), onnx_path)
    pocketml.convert(str(onnx_path)).save(path)
    return path


@pytest.fixture(scope="module")
def readme_builds(tmp_path_factory):
    """The README's cc commands, run as written (python = this interpreter) in a scratch directory
    that sees the repository's examples/: -> (directory, {executable name: path})."""
    if shutil.which("cc") is None or shutil.which("pkg-config") is None:
        pytest.skip("no C compiler or pkg-config")
    work = tmp_path_factory.mktemp("readme_c")
    (work / "examples").symlink_to(ROOT / "examples")
    lines = [l for l in readme_block("sh").splitlines() if l.startswith(("PREFIX=", "cc "))]
    assert len(lines) == 3, lines
    script = "set -e\n" + "\n".join(l.replace("$(python ", f"$({sys.executable} ") for l in lines)
    subprocess.run(["bash", "-c", script], cwd=work, check=True, timeout=300)
    exes = {name: work / name for name in re.findall(r"-o (\S+)", script)}
    assert set(exes) == {"run_model", "run_model_static"}
    return work, exes


def test_readme_c_commands_shared_and_static(readme_builds, tmp_path):
    _, exes = readme_builds
    ldd = subprocess.run(["ldd", str(exes["run_model"])], capture_output=True, text=True).stdout
    assert str(pathlib.Path(runtime.native_prefix()) / "lib" / "libpocketml.so") in ldd  # found through the rpath
    model = small_cnn(tmp_path / "small.pml")
    x = np.random.default_rng(2).standard_normal((1, 3, 8, 8)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    session = pocketml.Session(str(model))
    for exe in exes.values():
        proc = run_c(exe, model, tmp_path / "x.npy", "--print", "100000")
        assert proc.returncode == 0, proc.stderr
        check_against_session(proc.stdout, session, {"x": x})
        x.tofile(tmp_path / "x.bin")  # raw bytes, exactly the input's size
        raw = run_c(exe, model, tmp_path / "x.bin", "--print", "100000")
        assert raw.returncode == 0 and printed_outputs(raw.stdout).keys() == printed_outputs(proc.stdout).keys()
        assert raw.stdout.split("arena")[1] == proc.stdout.split("arena")[1]


def test_readme_c_symbolic_dims_with_shape(readme_builds, tmp_path):
    _, exes = readme_builds
    model = tmp_path / "encoder.pml"
    pocketml.convert(str(ENCODER)).save(model)
    session = pocketml.Session(str(model))
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 100, (2, 5)).astype(np.int64)
    mask = np.ones((2, 5), np.int64)
    np.save(tmp_path / "ids.npy", ids)
    np.save(tmp_path / "mask.npy", mask)
    for exe in exes.values():
        # --shape for symbolic dims, inputs by name from .npy files
        proc = run_c(exe, model, "--shape", "input_ids=2,5", "--shape", "attention_mask=2,5", "--input",
                     f"input_ids={tmp_path / 'ids.npy'}", "--input", f"attention_mask={tmp_path / 'mask.npy'}",
                     "--print", "100000")
        assert proc.returncode == 0, proc.stderr
        check_against_session(proc.stdout, session, {"input_ids": ids, "attention_mask": mask})
        # the .npy shapes size the symbolic dims when --shape is not given
        proc2 = run_c(exe, model, tmp_path / "ids.npy", "--input", f"attention_mask={tmp_path / 'mask.npy'}",
                      "--print", "100000")
        assert proc2.returncode == 0 and proc2.stdout == proc.stdout, proc2.stderr
        # --shape alone: zero-filled int64 inputs
        zeros = np.zeros((1, 3), np.int64)
        proc3 = run_c(exe, model, "--shape", "input_ids=1,3", "--shape", "attention_mask=1,3", "--print", "100000")
        assert proc3.returncode == 0, proc3.stderr
        check_against_session(proc3.stdout, session, {"input_ids": zeros, "attention_mask": zeros})


def test_c_example_rejects_bad_inputs(readme_builds, tmp_path):
    _, exes = readme_builds
    exe = exes["run_model"]
    model = small_cnn(tmp_path / "small.pml")
    x = np.zeros((1, 3, 8, 8), np.float32)
    cases = {
        "big.bin": (np.zeros(200, np.float32).tobytes(), "has 800 data bytes; input 'x' (float32 [1,3,8,8]) needs "
                                                         "exactly 768"),
        "small.bin": (b"\0" * 10, "needs exactly 768"),
        "f64.npy": (x.astype(np.float64), "dtype '<f8' is not supported"),
        "fortran.npy": (np.asfortranarray(np.zeros((3, 8), np.float32)), "Fortran order"),
        "shape.npy": (np.zeros((1, 3, 8, 9), np.float32), "dim 3 is fixed at 8"),
        "int.npy": (x.astype(np.int32), "holds int32 [1,3,8,8]; input 'x' is float32 [1,3,8,8]"),
        "notnpy.npy": (b"hello world, not numpy", "not a .npy file"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            np.save(path, content)
        proc = run_c(exe, model, path)
        assert proc.returncode != 0 and message in proc.stderr, (name, proc.stderr)
    enc = tmp_path / "encoder.pml"
    pocketml.convert(str(ENCODER)).save(enc)
    proc = run_c(exe, enc)
    assert proc.returncode != 0 and "give --shape input_ids=D0,D1" in proc.stderr
    proc = run_c(exe, enc, "--shape", "nope=1,2")
    assert proc.returncode != 0 and "no input named 'nope'" in proc.stderr
    proc = run_c(exe, enc, "--shape", "input_ids=1,x")
    assert proc.returncode != 0 and "expected sizes like" in proc.stderr
    # a pipe cannot be mapped: the runtime reads it instead
    with open(model, "rb") as f:
        piped = subprocess.run([str(exe), "/dev/stdin", "--print", "4"], stdin=f, capture_output=True, text=True)
    assert piped.returncode == 0 and "output y float32 [1,4,1,1]" in piped.stdout, piped.stderr


def test_readme_cmake_find_package(tmp_path):
    if shutil.which("cc") is None or shutil.which("cmake") is None:
        pytest.skip("no C compiler or cmake")
    # install into a temporary prefix: from the pip build tree when there is one (the CMake
    # install rules), else a copy of the installed package's runtime (it is relocatable)
    prefix = tmp_path / "prefix"
    builds = [p.parent for p in (ROOT / "build").glob("*/CMakeCache.txt")]
    if builds:
        subprocess.run(["cmake", "--install", str(builds[0]), "--prefix", str(prefix)], check=True,
                       capture_output=True, timeout=120)
    else:
        for part in ("include", "lib"):
            shutil.copytree(pathlib.Path(runtime.native_prefix()) / part, prefix / part)
    assert (prefix / "lib" / "cmake" / "pocketml" / "pocketmlConfig.cmake").exists()
    app = tmp_path / "app"
    app.mkdir()
    (app / "CMakeLists.txt").write_text(readme_block("cmake"))
    shutil.copy(ROOT / "examples" / "c" / "run_model.c", app / "run_model.c")
    build = app / "build"
    subprocess.run(["cmake", "-S", str(app), "-B", str(build), f"-DCMAKE_PREFIX_PATH={prefix}"], check=True,
                   capture_output=True, timeout=300)
    subprocess.run(["cmake", "--build", str(build)], check=True, capture_output=True, timeout=300)
    exe = build / "run_model"
    ldd = subprocess.run(["ldd", str(exe)], capture_output=True, text=True).stdout
    assert str(prefix / "lib" / "libpocketml.so") in ldd
    model = small_cnn(tmp_path / "small.pml")
    x = np.random.default_rng(4).standard_normal((1, 3, 8, 8)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    proc = run_c(exe, model, tmp_path / "x.npy", "--print", "100000")
    assert proc.returncode == 0, proc.stderr
    check_against_session(proc.stdout, pocketml.Session(str(model)), {"x": x})


def test_versions_agree():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    header = (ROOT / "native" / "include" / "pocketml.h").read_text()
    macros = dict(re.findall(r"#define PML_VERSION_(MAJOR|MINOR|PATCH|STRING) (\S+)", header))
    assert macros["STRING"].strip('"') == version
    assert ".".join(macros[k] for k in ("MAJOR", "MINOR", "PATCH")) == version
    assert runtime.version() == version
    pc = (pathlib.Path(runtime.native_prefix()) / "lib" / "pkgconfig" / "pocketml.pc").read_text()
    assert f"Version: {version}" in pc
