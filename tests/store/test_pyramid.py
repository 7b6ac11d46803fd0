"""Pyramid roll-up kernels == NumPy references; a pyramid built incrementally == built at once."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ringlog.core import pyramid as pyr
from ringlog.store.layout import FAN, FAN1, level_size

from .conftest import make_series

SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e300]


@st.composite
def raw_and_starts(draw):
    n = draw(st.one_of(st.sampled_from([1, 2, 3, 7, 255, 256, 257, 1025]), st.integers(1, 400)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    v = rng.integers(-3, 4, n).astype(np.float64) if draw(st.booleans()) else rng.standard_normal(n)
    k = draw(st.integers(0, n))
    if k:
        v[rng.integers(0, n, k)] = rng.choice(SPECIAL, k)
    cuts = np.unique(rng.integers(1, n, draw(st.integers(0, min(n - 1, 40))))) if n > 1 else np.zeros(0, np.int64)
    starts = np.r_[0, cuts, n].astype(np.int64)
    step = np.cumsum(rng.integers(0, 3, n)).astype(np.int64)
    time = np.cumsum(rng.integers(0, 5, n)).astype(np.int64)
    return step, v, time, starts, int(rng.integers(0, 10**6))


def _eq(a, b):
    np.testing.assert_array_equal(a, b)  # NaN == NaN for assert_array_equal


@settings(max_examples=50, deadline=None)
@given(raw_and_starts())
def test_raw_records_matches_reference(case):
    step, v, time, starts, base = case
    _eq(pyr.raw_records(step, v, time, starts, base), pyr.ref_raw_records(step, v, time, starts, base))


@settings(max_examples=50, deadline=None)
@given(raw_and_starts(), st.integers(0, 2**32 - 1))
def test_combine_matches_reference_and_raw(case, seed):
    step, v, time, starts, base = case
    rec = pyr.raw_records(step, v, time, starts, base)
    m = rec.shape[1]
    rng = np.random.default_rng(seed)
    groups = np.r_[0, np.unique(rng.integers(1, m, min(m - 1, 5))) if m > 1 else [], m].astype(np.int64)
    got = pyr.combine(rec, groups)
    _eq(got, pyr.ref_combine(rec, groups))
    # merging records == summarising the raw points directly (sums up to rounding)
    direct = pyr.raw_records(step, v, time, starts[groups], base)
    keep = np.arange(pyr.NF) != pyr.SUM
    _eq(got[keep], direct[keep])
    np.testing.assert_allclose(got[pyr.SUM], direct[pyr.SUM], rtol=1e-9, atol=1e-9)


def _levels(r, title):
    sr = r._series_reader(title, None)
    return sr, [sr.records(k, 0, sr.complete(k)) for k in range(1, len(sr.level_counts) + 1)]


def test_incremental_pyramid_equals_built_at_once(store):
    n = 3 * 65536 + 40_000
    step, v, t = make_series(n, specials=50)
    w1 = store.create_task(project="p", name="once", created=1.7e9)
    w1.append(w1.series_id("y"), step, v, t)
    w1.close()
    w2 = store.create_task(project="p", name="incremental", created=1.7e9)
    sid = w2.series_id("y")
    rng = np.random.default_rng(3)
    a = 0
    while a < n:
        b = a + int(rng.choice([1, 13, 255, 256, 1000, 4097, 70_000]))
        w2.append(sid, step[a:b], v[a:b], t[a:b])
        if rng.random() < 0.3:
            w2.sync()
        a = b
    w2.close()
    sr1, l1 = _levels(store.task(w1.id), "y")
    sr2, l2 = _levels(store.task(w2.id), "y")
    assert len(l1) == len(l2) >= 3
    assert sr1.level_counts == sr2.level_counts == [n // level_size(k) for k in range(1, len(l1) + 1)]
    for k, (a1, a2) in enumerate(zip(l1, l2), start=1):
        keep = np.arange(pyr.NF) != pyr.SUM
        _eq(a1[keep], a2[keep])
        np.testing.assert_allclose(a1[pyr.SUM], a2[pyr.SUM], rtol=1e-9)
    # level 1 == the reference over the raw points (time in stored ms)
    tms = sr1.raw("time", 0, n)
    ref = pyr.ref_raw_records(step, v, tms, np.arange(n // FAN1 + 1) * FAN1)
    keep = np.arange(pyr.NF) != pyr.SUM
    _eq(l1[0][keep], ref[keep])
    # level 2 == level 1 grouped by FAN
    _eq(l1[1], pyr.combine(l1[0][:, : (l1[0].shape[1] // FAN) * FAN], np.arange(l1[1].shape[1] + 1) * FAN))


def test_pyramid_storage_is_small(store):
    n = 4 * 65536
    step, v, t = make_series(n)
    w = store.create_task(project="p", name="size")
    w.append(w.series_id("y"), step, v, t)
    w.close()
    sdir = w.path / "s0"
    raw = sum(f.stat().st_size for d in ("step", "value", "time") for f in (sdir / d / "c").iterdir())
    lev = sum(f.stat().st_size for d in sdir.glob("L*") for f in (d / "c").rglob("*") if f.is_file())
    assert lev <= 0.15 * raw, (lev, raw)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.floats(1.6e9, 1.8e9), st.sampled_from([1.7e9, 1.7e9 + 0.0005, 1.7e9 - 0.0015])),
                min_size=0, max_size=60),
       st.sampled_from([None, np.nan, np.inf, -np.inf]), st.integers(0, 59))
def test_seconds_to_ms_matches_numpy(ts, bad, where):
    t = np.array(ts, np.float64)
    if bad is not None and len(t):
        t[where % len(t)] = bad
    out, first_bad, srt = pyr.seconds_to_ms(t, 1.7e9, 1e3)
    fin = np.isfinite(t)
    if fin.all():
        ref = np.rint((t - 1.7e9) * 1e3).astype(np.int64)
        assert first_bad == -1
        np.testing.assert_array_equal(out, ref)
        assert srt == bool(np.all(ref[1:] >= ref[:-1]))
    else:
        assert first_bad == int(np.argmin(fin))


def test_running_task_reads_levels_persisted_in_part(store):
    """While running, a level's growing chunk is rewritten only every LEVEL_PERSIST new records;
    readers compute the rest from below and get exactly what a closed task gives."""
    n = 3 * 65536 + 40_000
    step, v, t = make_series(n, specials=50, seed=4)
    w1 = store.create_task(project="p", name="once", created=1.7e9)
    w1.append(w1.series_id("y"), step, v, t)
    w1.close()
    w2 = store.create_task(project="p", name="live", created=1.7e9)
    sid = w2.series_id("y")
    rng = np.random.default_rng(5)
    a = 0
    while a < n:
        b = a + int(rng.choice([255, 1000, 4097, 9000]))
        w2.append(sid, step[a:b], v[a:b], t[a:b])
        w2.sync()
        a = b
    sr1, l1 = _levels(store.task(w1.id), "y")
    r2 = store.task(w2.id)
    sr2, l2 = _levels(r2, "y")
    assert any(sr2.level_counts[k - 1] < sr2.complete(k) for k in range(1, len(l2) + 1))
    for k, (a1, a2) in enumerate(zip(l1, l2), start=1):
        keep = np.arange(pyr.NF) != pyr.SUM
        _eq(a1[keep], a2[keep])
    d1 = store.task(w1.id).decimate("y", points=100)
    d2 = r2.decimate("y", points=100)
    assert d1.level == d2.level >= 1
    np.testing.assert_array_equal(d1.index, d2.index)
    np.testing.assert_array_equal(d1.y, d2.y)
    w2.close()
