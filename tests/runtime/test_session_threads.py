"""One Session shared by many threads: runs take turns under the session's lock
and every output equals the single-threaded result at the same input (bit for
bit: same kernels, same thread count), whatever the other threads do meanwhile
(other shapes, so re-plans; reset_state, profiling and size queries). Outputs
are compared after all threads finished, so a result a later run could have
overwritten would show. Also: sessions sharing one LoadedModel run concurrently.

Run it against the sanitizer build too, to catch races the comparisons could miss:
    cmake -S native -B /tmp/asan -DPML_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug && cmake --build /tmp/asan
    ASAN_OPTIONS=detect_leaks=0 POCKETML_LIBRARY=/tmp/asan/libpocketml.so \
    LD_PRELOAD=$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so) \
    python -m pytest tests/runtime/test_session_threads.py
(With the lock removed this test segfaults or finds wrong outputs.)
"""
from __future__ import annotations

import functools
import os
import threading

import numpy as np
import pytest

import pocketml
from pocketml.runtime import LoadedModel, Session

FIXTURE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures",
                       "encoder_torchscript")
SHAPES = ["1x16", "2x7", "3x5", "8x32"]
N_THREADS = 8
RUNS_PER_THREAD = 24


@functools.lru_cache(maxsize=None)
def encoder_bytes() -> bytes:
    return pocketml.convert(FIXTURE + ".onnx").to_bytes()


def fixture_feeds() -> dict:
    z = np.load(FIXTURE + ".npz")
    return {shape: {n: z[f"in/{n}/{shape}"] for n in ("input_ids", "attention_mask")} for shape in SHAPES}


def hammer(n_threads: int, work) -> list:
    """Start n_threads running work(thread index) together; re-raise the first exception."""
    errors, start = [], threading.Barrier(n_threads)

    def body(t):
        try:
            start.wait()
            work(t)
        except BaseException as e:  # noqa: BLE001 (reported to the main thread)
            errors.append(e)

    threads = [threading.Thread(target=body, args=(t,)) for t in range(n_threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        raise errors[0]


@pytest.mark.parametrize("threads", [1, 2])
def test_one_session_many_threads(threads):
    feeds = fixture_feeds()
    with Session(encoder_bytes(), threads=threads) as s:
        want = {shape: s.run(f) for shape, f in feeds.items()}  # single-threaded reference
        got = [[] for _ in range(N_THREADS)]

        def work(t):
            for i in range(RUNS_PER_THREAD):
                shape = SHAPES[(i * 3 + t) % len(SHAPES)]
                # both argument orders and subsets of the outputs, as users mix them
                if i % 3 == 0:
                    out = dict(zip(s.output_names, s.run(None, feeds[shape])))
                elif i % 3 == 1:
                    out = s.run(feeds[shape], "pooler_output")
                else:
                    out = s.run(feeds[shape])
                got[t].append((shape, out))
                if t == 0 and i % 5 == 0:  # calls other threads' runs must not interleave with
                    s.reset_state()
                    s.enable_profiling(i % 10 == 0)
                    assert s.arena_size > 0 and s.plan_count >= 1 and s.profile() is not None

        hammer(N_THREADS, work)
        assert sum(len(g) for g in got) == N_THREADS * RUNS_PER_THREAD
        for results in got:
            for shape, out in results:
                for name, value in out.items():
                    np.testing.assert_array_equal(value, want[shape][name], err_msg=f"{name} at {shape}")
        assert s.plan_count == len(SHAPES)  # every shape planned once, then served from the cache


def test_sessions_sharing_a_model_run_concurrently():
    feeds = fixture_feeds()
    model = LoadedModel(encoder_bytes())
    sessions = [Session(model) for _ in range(4)]
    want = {shape: sessions[0].run(f) for shape, f in feeds.items()}
    got = [[] for _ in sessions]

    def work(t):
        for i in range(RUNS_PER_THREAD):
            shape = SHAPES[(i + t) % len(SHAPES)]
            got[t].append((shape, sessions[t].run(feeds[shape])))

    hammer(len(sessions), work)
    for results in got:
        for shape, out in results:
            for name, value in out.items():
                np.testing.assert_array_equal(value, want[shape][name])
    assert model.weight_loads == 1
    for s in sessions:
        s.close()
    model.close()


def test_close_waits_for_a_running_call():
    """close() from another thread while runs are going: runs before it succeed, runs after it
    fail with "closed", and nothing crashes."""
    feeds = fixture_feeds()["8x32"]
    s = Session(encoder_bytes())
    outcomes = []

    def work(t):
        if t == 0:
            for _ in range(3):
                s.run(feeds)
            s.close()
            return
        for _ in range(10):
            try:
                outcomes.append(s.run(feeds)["pooler_output"].shape)
            except pocketml.RuntimeFailure as e:
                assert "session has been closed" in str(e)
                outcomes.append("closed")

    hammer(3, work)
    assert outcomes and all(o in ((8, 64), "closed") for o in outcomes)
