"""Zero-copy use of the runtime from Python: a model file is memory-mapped (the C loader's and
Model.load's), outputs copied into preallocated arrays (Session.run(outputs=...)), a long run
cancelled from another thread, the model's metadata as the C runtime reads it."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import pocketml
from pocketml.errors import InputError, RuntimeFailure
from pocketml.format import write_pml
from pocketml.runtime import LoadedModel, Session

from ..format import make_c_fixtures as fx


@pytest.fixture()
def chain_file(tmp_path):
    path = tmp_path / "chain.pml"
    path.write_bytes(write_pml(fx.chain_graph(), metadata={"purpose": "zero-copy tests", "owner": "me"}))
    return path


def feeds_for(session, seed=0):
    rng = np.random.default_rng(seed)
    return {t.name: rng.standard_normal(t.shape).astype(t.dtype) for t in session.inputs}


def test_outputs_into_preallocated_arrays(chain_file):
    s = Session(str(chain_file))
    feeds = feeds_for(s)
    expected = s.run(feeds)
    bound = {t.name: np.full(t.shape, np.nan, t.dtype) for t in s.outputs}
    for seed in range(2):  # the same arrays, run after run
        feeds = feeds_for(s, seed)
        got = s.run(feeds, outputs=bound)
        want = s.run(feeds)
        for name, arr in bound.items():
            assert got[name] is arr
            np.testing.assert_array_equal(arr, want[name])
    # only some outputs bound: the others come back as new arrays; a bound name is returned
    # even when output_names leaves it out
    first, second = s.output_names[0], s.output_names[1]
    out = np.empty_like(expected[first])
    got = s.run(feeds_for(s), output_names=[second], outputs={first: out})
    assert got[first] is out and set(got) == {first, second}

    t = s.outputs[0]
    with pytest.raises(InputError, match="is float64"):
        s.run(feeds, outputs={t.name: np.empty(t.shape, np.float64)})
    with pytest.raises(InputError, match="C-contiguous"):
        s.run(feeds, outputs={t.name: np.empty(t.shape[::-1], t.dtype).T})
    with pytest.raises(InputError, match="unknown output"):
        s.run(feeds, outputs={"nope": out})
    with pytest.raises(InputError, match="numpy array"):
        s.run(feeds, outputs={t.name: [0.0]})


def test_model_metadata_from_the_c_runtime(chain_file):
    m = LoadedModel(str(chain_file))
    meta = m.metadata
    assert meta["purpose"] == "zero-copy tests" and meta["owner"] == "me"
    assert meta == {k: v for k, v in pocketml.Model.load(str(chain_file)).metadata.items()}


def test_model_load_maps_the_file(chain_file, tmp_path):
    m = pocketml.Model.load(str(chain_file))
    consts = [v.const for v in m.graph.values.values() if v.const is not None]
    assert consts and all(not c.flags.writeable and not c.flags.owndata for c in consts)
    before = {n: v.const.copy() for n, v in m.graph.values.items() if v.const is not None}
    # saving over the mapped file replaces it by rename: the loaded constants stay intact
    m.save(chain_file)
    for n, c in before.items():
        np.testing.assert_array_equal(m.graph.values[n].const, c)
    again = pocketml.Model.load(str(chain_file))
    s1, s2 = Session(m), Session(again)
    feeds = feeds_for(s1)
    for name, arr in s1.run(feeds).items():
        np.testing.assert_array_equal(arr, s2.run(feeds)[name])
    assert not list(tmp_path.glob("*.tmp*"))
    # from bytes: owned, writeable copies as before
    owned = pocketml.Model.load(chain_file.read_bytes())
    assert all(v.const.flags.writeable for v in owned.graph.values.values() if v.const is not None)


def test_cancel_a_long_loop_from_another_thread():
    s = Session(write_pml(fx.control_flow_graph()))
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    s.cancel()  # a request before a run is cleared by the run
    assert s.run({"x": x, "steps": np.array(3, np.int64)})["accs"].shape == (3, 3)
    timer = threading.Timer(0.05, s.cancel)
    timer.start()
    t0 = time.perf_counter()
    with pytest.raises(RuntimeFailure, match="cancelled"):
        s.run({"x": x, "steps": np.array(2_000_000, np.int64)})
    timer.join()
    assert time.perf_counter() - t0 < 30
    assert s.run({"x": x, "steps": np.array(4, np.int64)})["accs"].shape == (4, 3)


RSS_CHILD = r"""
import sys
import numpy as np
from pocketml.runtime import LoadedModel, Session

def rss():
    return next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmRSS:"))

base = rss()
m = LoadedModel(sys.argv[1])
loaded = rss() - base
s = Session(m)  # plans a 128 MiB arena (x and y)
x = np.ones(s.inputs[0].shape, np.float32)
y = s.run({"x": x})["y"]
assert float(y[0, 0]) == 3.0 and float(y[0, -1]) == 3.0
del x, y
print(loaded, rss() - base)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc (Linux)")
def test_mapped_weights_are_not_resident_until_read(tmp_path):
    """A 64 MiB constant: after loading (which checksums every byte) it is not resident when
    the file is mapped; running reads it back in; a private copy keeps it resident."""
    from pocketml import ir
    from pocketml.shape_inference import infer_shapes

    n = 16 * 2**20  # float32: 64 MiB
    g = ir.Graph("big_add")
    g.add_value("x", "float32", (1, n))
    g.inputs = ["x"]
    g.add_value("w", const=np.full((1, n), 2.0, np.float32))
    g.add_node("Add", ["x", "w"], ["y"], name="add")
    g.outputs = ["y"]
    infer_shapes(g)
    path = tmp_path / "big.pml"
    path.write_bytes(write_pml(g))
    mib = 2**20
    results = {}
    for label, env in (("mapped", {}), ("copied", {"POCKETML_NO_MMAP": "1"})):
        proc = subprocess.run([sys.executable, "-c", RSS_CHILD, str(path)], capture_output=True, text=True,
                              env={**os.environ, **env}, timeout=120)
        assert proc.returncode == 0, proc.stderr
        results[label] = [int(v) / mib for v in proc.stdout.split()]
    assert results["mapped"][0] < 16, results    # verified, then dropped from the resident set
    assert results["copied"][0] > 60, results    # the private copy stays
    # the run read the weights back: arena (128 MiB) + weights (64 MiB) in both cases
    assert abs(results["mapped"][1] - results["copied"][1]) < 16, results
