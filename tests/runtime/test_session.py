"""pocketml.runtime.Session over the C runtime: results against the numpy
reference oracle, friendly input errors, arena/state/isa/threads reporting,
model sources, shared models and object lifetimes."""
from __future__ import annotations

import gc
import os
import threading

import numpy as np
import pytest

import pocketml
from pocketml import reference, runtime
from pocketml.errors import InputError, ModelLoadError, RuntimeFailure
from pocketml.format import write_pml
from pocketml.runtime import LoadedModel, Session, TensorInfo, available_isas

from ..format import make_c_fixtures as fx


@pytest.fixture(scope="module")
def chain():
    g = fx.chain_graph()
    return g, write_pml(g)


def feeds_for(session, seed=0):
    rng = np.random.default_rng(seed)
    return {t.name: rng.standard_normal(t.shape).astype(t.dtype) for t in session.inputs}


def test_describes_model(chain):
    g, data = chain
    with Session(data) as s:
        assert s.input_names == ["a", "b"] and s.output_names == ["s6", "s7"]
        assert s.inputs[0] == TensorInfo("a", np.dtype(np.float32), (4, 8))
        assert s.outputs[1].shape == (4, 8) and s.outputs[1].nbytes == 128
        assert 4 * 128 <= s.arena_size <= 5 * 128  # 9 activations of 128 B, at most 4 live at once
        assert s.state_size >= 0 and s.num_threads == 1
        assert s.isa == (os.environ.get("POCKETML_ISA") or available_isas()[0])  # suites may force one
        assert "arena=" in repr(s)
    with Session(data, threads=2, scalar_only=True) as s:
        assert s.num_threads == 2 and s.isa == "scalar"


@pytest.mark.parametrize("threads, scalar_only, isa", [(1, False, None), (2, False, None), (1, True, None)] +
                         [(t, False, isa) for isa in available_isas() for t in (1, 2)])
def test_matches_reference(chain, threads, scalar_only, isa):
    g, data = chain
    with Session(data, threads=threads, scalar_only=scalar_only, isa=isa) as s:
        for seed in range(3):
            feeds = feeds_for(s, seed)
            got = s.run(feeds)
            want = reference.run_graph(g, feeds)
            assert list(got) == ["s6", "s7"]
            for k in want:
                np.testing.assert_allclose(got[k], want[k], rtol=1e-5, atol=1e-6)
        only = s.run(feeds, output_names=["s7"])
        assert list(only) == ["s7"]


def test_available_isas():
    isas = available_isas()
    assert isas[-1] == "scalar" and len(set(isas)) == len(isas)
    assert pocketml.available_isas() == isas


@pytest.mark.parametrize("isa", available_isas())
def test_isa_forced_by_option(chain, isa):
    with Session(chain[1], isa=isa) as s:
        assert s.isa == isa
    with Session(chain[1], isa="scalar", scalar_only=True) as s:
        assert s.isa == "scalar"


@pytest.mark.parametrize("isa", available_isas())
def test_isa_forced_by_environment(chain, monkeypatch, isa):
    monkeypatch.setenv("POCKETML_ISA", isa)
    with Session(chain[1]) as s:
        assert s.isa == isa
    with Session(chain[1], isa="scalar") as s:  # the option wins over the environment
        assert s.isa == "scalar"
    monkeypatch.setenv("POCKETML_ISA", "")  # empty: the best configuration
    with Session(chain[1]) as s:
        assert s.isa == available_isas()[0]


@pytest.mark.parametrize("name", ["avx512", "neon", "AVX2", "no such isa"])
def test_unknown_or_unsupported_isa_is_an_error(chain, monkeypatch, name):
    monkeypatch.delenv("POCKETML_ISA", raising=False)
    if name in available_isas():
        pytest.skip(f"{name} is available on this CPU")
    with pytest.raises(RuntimeFailure, match=f"'{name}' is not available on this CPU; available: " +
                       ",".join(available_isas())):
        Session(chain[1], isa=name)
    monkeypatch.setenv("POCKETML_ISA", name)
    with pytest.raises(RuntimeFailure, match="not available on this CPU"):
        Session(chain[1])


def test_scalar_only_conflicts_with_another_isa(chain):
    if "avx2" not in available_isas():
        pytest.skip("needs a second configuration")
    with pytest.raises(RuntimeFailure, match="scalar_only and isa 'avx2'"):
        Session(chain[1], isa="avx2", scalar_only=True)


def test_outputs_are_copies(chain):
    _, data = chain
    with Session(data) as s:
        feeds = feeds_for(s)
        first = s.run(feeds)["s7"]
        saved = first.copy()
        s.run({k: v * 3 for k, v in feeds.items()})
        assert np.array_equal(first, saved)


def test_input_errors(chain):
    _, data = chain
    with Session(data) as s:
        good = feeds_for(s)
        with pytest.raises(InputError, match=r"unknown input\(s\) \['c'\]; the model's inputs are: a \(float32 \[4, 8\]\), b"):
            s.run({**good, "c": good["a"]})
        with pytest.raises(InputError, match=r"missing input\(s\) \['b'\]"):
            s.run({"a": good["a"]})
        with pytest.raises(InputError, match="input 'a' has dtype float64, expected float32 .*never cast"):
            s.run({**good, "a": good["a"].astype(np.float64)})
        with pytest.raises(InputError, match=r"input 'b' has shape \[8, 4\], expected \[4, 8\]"):
            s.run({**good, "b": good["b"].reshape(8, 4)})
        with pytest.raises(InputError, match="must be a numpy array"):
            s.run({**good, "a": good["a"].tolist()})
        with pytest.raises(InputError, match=r"unknown output\(s\) \['zz'\]"):
            s.run(good, output_names=["zz"])
        assert s.run(good)  # still usable after errors


def test_non_contiguous_inputs(chain):
    g, data = chain
    with Session(data) as s:
        feeds = feeds_for(s)
        strided = {k: np.asfortranarray(v) for k, v in feeds.items()}
        big = np.zeros((8, 8), np.float32)
        big[::2] = feeds["a"]
        strided["a"] = big[::2]
        assert not strided["a"].flags.c_contiguous
        got = s.run(strided)
        np.testing.assert_allclose(got["s6"], reference.run_graph(g, feeds)["s6"], rtol=1e-5, atol=1e-6)


def test_model_sources(chain, tmp_path):
    _, data = chain
    path = tmp_path / "chain.pml"
    path.write_bytes(data)

    class Wrapper:
        def to_bytes(self):
            return data

    for source in (path, str(path), data, bytearray(data), memoryview(data), Wrapper()):
        with Session(source) as s:
            assert s.output_names == ["s6", "s7"]
    with pytest.raises(ModelLoadError, match="cannot open model file .*No such file"):
        Session(tmp_path / "missing.pml")
    with pytest.raises(TypeError, match="model must be a path, bytes"):
        Session(12)


def test_shared_model(chain):
    g, data = chain
    model = LoadedModel(data)
    s1, s2 = Session(model), Session(model, threads=2)
    results = {}

    def work(name, s, seed):
        for _ in range(50):
            results[name] = (s.run(feeds_for(s, seed)), seed)

    threads = [threading.Thread(target=work, args=("s1", s1, 1)), threading.Thread(target=work, args=("s2", s2, 2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, seed in results.values():
        want = reference.run_graph(g, feeds_for(s1, seed))
        np.testing.assert_allclose(got["s6"], want["s6"], rtol=1e-5, atol=1e-6)
    assert model.weight_loads == 1
    with pytest.raises(RuntimeFailure, match="close the sessions first"):
        model.close()
    s1.close()
    s2.close()
    model.close()
    with pytest.raises(RuntimeFailure, match="model has been closed"):
        Session(model)


def test_lifetime(chain):
    _, data = chain
    s = Session(data)
    s.close()
    s.close()  # idempotent
    with pytest.raises(RuntimeFailure, match="session has been closed"):
        s.run({})
    for _ in range(20):  # sessions dropped without close are freed by __del__
        Session(data)
    gc.collect()


def test_session_failure_is_runtime_failure():
    name, stage, status, message, data = next(c for c in fx.invalid_cases() if c[1] == "session")
    with pytest.raises(RuntimeFailure, match="cannot create a session: .*declared as float32"):
        Session(data)


def test_library_and_version():
    assert runtime.version() and runtime.library_path().endswith((".so", ".dylib", ".dll"))
