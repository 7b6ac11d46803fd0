"""SeriesStats (the one owner of a series' summary figures) and the scan that feeds it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringlog.core import pyramid as pyr
from ringlog.core.stats import SeriesStats

_special = st.sampled_from([np.nan, np.inf, -np.inf, 1e300, -0.0, 0.1])


def _values(draw_list):
    return np.array(draw_list, dtype=np.float64)


def _ref(values: np.ndarray, steps: np.ndarray) -> dict:
    fin = values[np.isfinite(values)]
    return {"count": len(values), "finite": len(fin),
            "min": float(fin.min()) if len(fin) else None, "max": float(fin.max()) if len(fin) else None,
            "mean": float(fin.mean()) if len(fin) else None,
            "first": float(values[0]) if len(values) else None, "last": float(values[-1]) if len(values) else None,
            "last_step": int(steps[-1]) if len(steps) else None}


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.one_of(st.floats(-1e6, 1e6), _special), max_size=30), max_size=8))
def test_scanned_batches_and_numpy_updates_agree_with_the_whole_series(batches):
    """Adding batch by batch (the writer's scan, or the NumPy path) gives the figures of the whole."""
    by_scan, by_numpy = SeriesStats(), SeriesStats()
    steps_all, values_all, at = [], [], 0
    for b in batches:
        v = _values(b)
        s = np.arange(at, at + len(v), dtype=np.int64)
        at += len(v)
        if len(v):
            _, n_fin, total, lo, hi = pyr.scan_batch(v)
            by_scan.add(len(v), n_fin, total, lo, hi, float(v[0]), float(v[-1]), int(s[-1]))
        by_numpy.update(s, v)
        steps_all.append(s)
        values_all.append(v)
    values = np.concatenate(values_all) if values_all else np.empty(0)
    ref = _ref(values, np.concatenate(steps_all) if steps_all else np.empty(0, np.int64))
    for got in (by_scan, by_numpy):
        assert got.count == ref["count"] and got.finite == ref["finite"]
        for how in ("min", "max", "first", "last"):
            assert _same(got.summary(how), ref[how]), how
        if ref["mean"] is not None and np.isfinite(got.total):  # 1e300 values may overflow the sum
            assert got.summary("mean") == pytest.approx(ref["mean"], rel=1e-9, abs=1e-9)
        entry = got.entry()
        assert entry["count"] == ref["count"] and entry["last_step"] == ref["last_step"]
        assert _same(entry["min"], ref["min"]) and _same(entry["max"], ref["max"])


def test_summary_of_nothing_and_of_no_finite_value():
    s = SeriesStats()
    assert [s.summary(h) for h in ("min", "max", "mean", "first", "last")] == [None] * 5
    assert s.entry() == {"last": None, "min": None, "max": None, "count": 0, "last_step": None}
    s.update(np.array([3, 4]), np.array([np.nan, np.inf]))
    assert s.summary("min") is None and s.summary("max") is None and s.summary("mean") is None
    assert math.isnan(s.summary("first")) and s.summary("last") == np.inf
    assert s.entry() == {"last": np.inf, "min": None, "max": None, "count": 2, "last_step": 4}


def test_copy_is_independent():
    s = SeriesStats()
    s.update(np.array([0]), np.array([1.0]))
    c = s.copy()
    c.update(np.array([1]), np.array([-5.0]))
    assert s.summary("min") == 1.0 and c.summary("min") == -5.0 and s.count == 1


@pytest.mark.parametrize("n", [0, 1, 7, 1000])
@pytest.mark.parametrize("kind", ["f32", "f64", "special", "allnan"])
def test_scan_batch_matches_reference_and_scan_values(n, kind):
    rng = np.random.default_rng(n)
    v = rng.standard_normal(n)
    if kind == "f32":
        v = v.astype(np.float32).astype(np.float64)
    elif kind == "special" and n:
        v[rng.integers(0, n, max(n // 3, 1))] = rng.choice([np.nan, np.inf, -np.inf, 1e300], max(n // 3, 1))
    elif kind == "allnan":
        v[:] = np.nan
    got = pyr.scan_batch(v)
    assert got == pyr.ref_scan_batch(v)
    exact, n_fin, _, lo, hi = got
    assert pyr.scan_values(v) == (exact, n_fin, lo, hi)
