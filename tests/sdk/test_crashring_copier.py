"""The crash ring's copier against a real staging, without threads (sdk/_engine/crashring.py): whatever
the order of copier passes, appends, bulk arrays and harvests, the ring holds every point of each
series once per sequence number, in the order the flusher hands them to the store."""

from __future__ import annotations

import random
from types import SimpleNamespace

import numpy as np

from ringlog._engine.crashring import Copier
from ringlog._engine.staging import Staging
from ringlog.store import crashring


def _copier(tmp_path, existing=None):
    staging = Staging(1 << 20, 1.7e9)
    series = [SimpleNamespace(stats=SimpleNamespace(count=c)) for c in (existing or {}).values()]
    writer = SimpleNamespace(_ids={(k, k): i for i, k in enumerate(existing or {})}, _series=series)
    core = SimpleNamespace(id="0" * 32, staging=staging, settings=SimpleNamespace(clock_period=0.01),
                           flusher=SimpleNamespace(writer=writer), warn_once=lambda kind, msg: None)
    return Copier(core, crashring.RingWriter(tmp_path, 1 << 20)), staging


def test_any_interleaving_of_passes_appends_bulks_and_harvests_copies_each_point_once_in_order(tmp_path):
    cp, staging = _copier(tmp_path)
    rng = random.Random(4)
    keys = ["a", "b", "c"]
    bufs = {k: staging.series(k, k) for k in keys}
    logged = {k: [] for k in keys}  # (step, value) in log order
    flushed = {k: [] for k in keys}
    step = {k: 0 for k in keys}
    for _ in range(400):
        k = rng.choice(keys)
        op = rng.random()
        if op < 0.6:
            for _ in range(rng.randint(1, 50)):
                va, sa = bufs[k].pair
                v = rng.random()
                va(v)
                sa(step[k])
                logged[k].append((step[k], v))
                step[k] += 1
        elif op < 0.7:
            n = rng.randint(1, 300)
            st = np.arange(step[k], step[k] + n, dtype=np.int64)
            vs = np.array([rng.random() for _ in range(n)])
            staging.add_bulk(bufs[k], st, vs, np.full(n, 1.7e9 + 5), 1.7e9 + 5)
            logged[k] += list(zip(st.tolist(), vs.tolist()))
            step[k] += n
        elif op < 0.85:
            cp.copy_pass(1.7e9 + 1)
        else:
            for b in cp.harvest(1.7e9 + 2):
                flushed[b.buf.title] += list(zip(b.step.tolist(), b.value.tolist()))
    cp.copy_pass(1.7e9 + 3)
    cp.ring.close(remove=False)
    ring = crashring.read(tmp_path)
    assert {ring.names[lid][0] for lid in ring.names} == set(keys)
    for lid, (k, _) in ring.names.items():
        st, va, tm = ring.run(lid, 0)
        assert list(zip(st.tolist(), va.tolist())) == logged[k], k  # every point, once, in log order
        assert flushed[k] == logged[k][:len(flushed[k])]  # the flusher's order is the ring's
        assert ring.marks[lid] == (0, 0)
        assert np.isfinite(tm).all() and (tm >= 1.7e9).all()
    assert cp.harvested == [len(flushed[ring.names[lid][0]]) for lid in sorted(ring.names)]


def test_a_resumed_series_starts_at_the_points_the_store_holds(tmp_path):
    cp, staging = _copier(tmp_path, existing={"a": 1234})
    buf = staging.series("a", "a")
    buf.pair[0](0.5)
    buf.pair[1](1234)
    staging.series("new", "new")
    cp.copy_pass(1.7e9)
    cp.ring.close(remove=False)
    ring = crashring.read(tmp_path)
    assert ring.marks == {0: (0, 1234), 1: (0, 0)}
    assert ring.run(0, 0)[0].tolist() == [1234]


def test_crash_ring_settings_name_a_bad_size_and_a_bad_environment_only_warns(monkeypatch):
    import pytest

    import ringlog
    from ringlog.errors import LoggingWarning

    for bad in (5, -1, True, 1.5, "64M"):
        with pytest.raises((ValueError, TypeError), match="crash_ring"):
            ringlog.Settings(crash_ring=bad)
    assert ringlog.Settings(crash_ring=0).resolved().crash_ring == 0
    monkeypatch.setenv("RINGLOG_CRASH_RING", str(2 << 20))
    assert ringlog.Settings().resolved().crash_ring == 2 << 20
    monkeypatch.setenv("RINGLOG_CRASH_RING", "lots")
    with pytest.warns(LoggingWarning, match="RINGLOG_CRASH_RING"):
        assert ringlog.Settings().resolved().crash_ring == 0  # the default: off (opt-in)
