"""Edge cases of the read API: empty and one-point series, all-NaN series, constant x, live snapshots."""

from __future__ import annotations

import numpy as np
import pytest

N = 300_000


@pytest.fixture
def reader(store):
    w = store.create_task(project="p", name="edges")
    ids = {k: w.series_id(k) for k in ("empty", "one", "nan", "same")}
    w.append(ids["one"], [3], [1.5], 1.7e9)
    w.append(ids["nan"], np.arange(N), np.full(N, np.nan), 1.7e9 + np.arange(N) * 0.001)
    w.append(ids["same"], np.full(N, 7), np.random.default_rng(0).standard_normal(N), np.full(N, 1.7e9))
    w.close()
    return store.task(w.id)


@pytest.mark.parametrize("kw", [{}, {"x_min": 7, "x_max": 7}, {"x": "time"}, {"x": "wall", "method": "lttb"},
                                {"method": "minmax", "points": 4}])
def test_small_and_degenerate_series(reader, kw):
    assert len(reader.decimate("empty", **kw).x) == 0
    d = reader.decimate("one", **kw)
    assert d.raw_count == (0 if kw.get("x_min") == 7 else 1)
    d = reader.decimate("nan", **kw)
    assert int(d.nonfinite_count.sum()) == d.raw_count and np.all(np.isnan(d.y))
    assert len(d.nonfinite_x) <= 4 * kw.get("points", 2000)  # markers per bucket, not 300k
    d = reader.decimate("same", **kw)
    assert d.raw_count == N and len(d.x) <= 4
    v = reader.scalar("same").value
    if kw.get("method", "m4") in ("m4", "minmax"):
        assert d.y.min() == v.min() and d.y.max() == v.max()


def test_summary_stats_of_all_nan_series(reader):
    m = reader.last_metrics()
    assert m[("nan", "nan")]["min"] is None and m[("nan", "nan")]["count"] == N
    assert m[("empty", "empty")]["count"] == 0 and m[("one", "one")]["last_step"] == 3
