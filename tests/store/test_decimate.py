"""decimate(): every bucket's true first/last/min/max (brute force on the raw points), exact raw
points for small ranges, NaN/Inf reported and never poisoning min/max, on live and closed tasks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ringlog.core.decimate import equal_width_edges
from ringlog.store import StoreValueError

from .conftest import make_series

N = 600_000


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    from ringlog.store import Store

    st = Store(tmp_path_factory.mktemp("dec") / "root", durable=False)
    step, v, t = make_series(N, seed=1, specials=300)
    v[123_456] = 1e6  # a spike
    v[400_000:400_300] = np.nan  # a whole run without finite values
    w = st.create_task(project="p", name="dec", created=1.7e9)
    sid = w.series_id("loss")
    w.append(sid, step[: N - 1000], v[: N - 1000], t[: N - 1000])
    w.sync()
    live = st.task(w.id)
    assert live.count("loss") == N - 1000  # a series' snapshot is taken at its first read
    w.append(sid, step[N - 1000:], v[N - 1000:], t[N - 1000:])
    w.close()
    return st.task(w.id), live, step, v, t


def _xs(kind, step, t):
    return {"step": step.astype(np.float64), "time": np.rint((t - 1.7e9) * 1000) / 1000,
            "wall": 1.7e9 + np.rint((t - 1.7e9) * 1000) / 1000}[kind]


def check(d, x, v, x_min, x_max, points, method="m4"):
    lo = 0 if x_min is None else int(np.searchsorted(x, x_min, "left"))
    hi = len(x) if x_max is None else int(np.searchsorted(x, x_max, "right"))
    assert d.raw_count == hi - lo
    if hi - lo <= points:
        np.testing.assert_array_equal(d.index, np.arange(lo, hi))
        np.testing.assert_array_equal(d.y, v[lo:hi])
        return
    bs = d.bucket_starts
    assert bs[0] == lo and bs[-1] == hi and np.all(np.diff(bs) > 0) and len(bs) - 1 <= points
    # each bucket's first x sits in its own equal-width bucket of the requested range
    x0 = x[lo] if x_min is None else x_min
    x1 = x[hi - 1] if x_max is None else x_max
    eq = equal_width_edges(x0, x1, points)
    # the store buckets in integer ms; seconds (and unix seconds ~1.7e9) round at the edges
    tol = 1e-9 * max(1.0, abs(x1 - x0)) + 8 * float(np.spacing(np.abs(x[lo:hi]).max()))
    g = np.clip(np.searchsorted(eq, x[bs[:-1]] + tol, "right") - 1, 0, points - 1)
    assert np.all(np.diff(g) > 0)
    np.testing.assert_allclose(d.bucket_edges[:-1], x[bs[:-1]])
    idx = set(d.index.tolist())
    np.testing.assert_array_equal(d.y, v[d.index])
    np.testing.assert_allclose(d.x, x[d.index])
    nf_total = 0
    for j in range(len(bs) - 1):
        a, b = bs[j], bs[j + 1]
        seg = v[a:b]
        fin = np.isfinite(seg)
        nf_total += int((~fin).sum())
        if method == "m4":
            assert a in idx and b - 1 in idx
        if fin.any():
            fi = np.flatnonzero(fin)
            imn, imx = a + fi[np.argmin(seg[fin])], a + fi[np.argmax(seg[fin])]
            assert d.band_min[j] == v[imn] and d.band_max[j] == v[imx]
            if method in ("m4", "minmax"):
                assert imn in idx and imx in idx, (j, a, b)
        else:
            assert np.isnan(d.band_min[j]) and np.isnan(d.band_max[j])
    assert int(d.nonfinite_count.sum()) == nf_total
    assert np.all(~np.isfinite(d.nonfinite_y))


@pytest.mark.parametrize("kind", ["step", "time", "wall"])
def test_envelope_exact_on_random_ranges(task, kind):
    r, _, step, v, t = task
    x = _xs(kind, step, t)
    rng = np.random.default_rng({"step": 0, "time": 1, "wall": 2}[kind])
    cases = [(None, None, 2000), (None, None, 100), (x[10], x[-10], 500)]
    for _ in range(6):
        a, b = np.sort(rng.uniform(x[0] - 5, x[-1] + 5, 2))
        cases.append((float(a), float(b), int(rng.choice([16, 100, 1000, 2000]))))
    for x_min, x_max, points in cases:
        d = r.decimate("loss", x_min=x_min, x_max=x_max, points=points, x=kind)
        check(d, x, v, x_min, x_max, points)


def test_levels_used_and_spike_kept(task):
    r, _, step, v, _ = task
    d = r.decimate("loss", points=200)
    assert d.level >= 2
    assert 123_456 in set(d.index.tolist()) and d.y.max() == 1e6
    d = r.decimate("loss", x_min=float(step[1000]), x_max=float(step[60_000]), points=2000)
    assert d.level == 0  # under 2000 full level-1 buckets: answered from raw bucket extrema
    check(d, step.astype(np.float64), v, float(step[1000]), float(step[60_000]), 2000)


def test_small_range_returns_raw_points(task):
    r, _, step, v, _ = task
    d = r.decimate("loss", x_min=float(step[399_990]), x_max=float(step[400_010]), points=2000)
    np.testing.assert_array_equal(d.index, np.arange(399_990, 400_011))
    assert d.level == 0 and d.bucket_edges is None
    np.testing.assert_array_equal(d.nonfinite_x, step[399_990:400_011][~np.isfinite(v[399_990:400_011])])
    assert len(r.decimate("loss", x_min=-100.0, x_max=-50.0).x) == 0


def test_live_reader_and_other_methods(task):
    r, live, step, v, t = task
    x = step.astype(np.float64)
    d = live.decimate("loss", points=300)
    check(d, x[: N - 1000], v[: N - 1000], None, None, 300)
    for method in ("minmax", "lttb", "minmaxlttb"):
        d = r.decimate("loss", points=400, method=method)
        assert len(d.x) <= 4 * 400 and np.all(np.diff(d.index) > 0)
        np.testing.assert_array_equal(d.y, v[d.index])
        check(d, x, v, None, None, 400, method=method)
        d = r.decimate("loss", x_min=x[5000], x_max=x[200_000], points=300, method=method)
        np.testing.assert_array_equal(d.y, v[d.index])


def test_bad_arguments_are_named(task):
    r = task[0]
    with pytest.raises(StoreValueError, match="method: must be one of"):
        r.decimate("loss", method="avg")
    with pytest.raises(StoreValueError, match="x: must be one of"):
        r.decimate("loss", x="epoch")
    with pytest.raises(StoreValueError, match="x_max: must be >= x_min"):
        r.decimate("loss", x_min=5, x_max=1)
    with pytest.raises(StoreValueError, match="points: must be between 4 and 50,000"):
        r.decimate("loss", points=2)
    with pytest.raises(StoreValueError, match="points: must be between"):
        r.decimate("loss", points=10**7)


def test_unsorted_steps_fall_back_to_sorting(store):
    rng = np.random.default_rng(5)
    n = 5000
    step = rng.permutation(n).astype(np.int64)  # iterations reported out of order
    v = rng.standard_normal(n)
    v[rng.integers(0, n, 20)] = np.nan
    w = store.create_task(project="p", name="unsorted")
    sid = w.series_id("y")
    w.append(sid, step, v, 1.7e9 + np.arange(n) * 0.01)
    w.close()
    r = store.task(w.id)
    np.testing.assert_array_equal(r.scalar("y").step, step)  # export keeps log order
    d = r.decimate("y", points=100, x="step")
    assert np.all(np.diff(d.x) >= 0) and d.raw_count == n
    np.testing.assert_array_equal(d.y, v[d.index])
    np.testing.assert_array_equal(d.x, step[d.index])
    order = np.argsort(step, kind="stable")
    xs, ys = step[order].astype(np.float64), v[order]
    edges = equal_width_edges(xs[0], xs[-1], 100)
    b = np.clip(np.searchsorted(edges, xs, "right") - 1, 0, 99)
    got = set(d.index.tolist())
    for j in range(100):
        seg = np.flatnonzero((b == j) & np.isfinite(ys))
        if len(seg):
            assert order[seg[np.argmin(ys[seg])]] in got and order[seg[np.argmax(ys[seg])]] in got
    d = r.decimate("y", points=100, x="time")  # time is still monotone: the pyramid path
    assert d.level >= 0 and d.raw_count == n


def test_scan_values_matches_reference():
    from ringlog.core import pyramid as pyr

    rng = np.random.default_rng(0)
    for n in (0, 1, 5, 1000):
        for kind in ("f32", "f64", "special", "allnan"):
            v = rng.standard_normal(n)
            if kind == "f32":
                v = v.astype(np.float32).astype(np.float64)
            elif kind == "special" and n:
                v = v.astype(np.float32).astype(np.float64)
                v[rng.integers(0, n, max(n // 3, 1))] = rng.choice([np.nan, np.inf, -np.inf, 1e300], max(n // 3, 1))
            elif kind == "allnan":
                v[:] = np.nan
            assert pyr.scan_values(v) == pyr.ref_scan_values(v)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 40_000), points=st.integers(4, 64), seed=st.integers(0, 2**31),
       kind=st.sampled_from(["step", "time", "wall"]), dups=st.booleans(), cut=st.integers(0, 3))
def test_envelope_property(store, n, points, seed, kind, dups, cut):
    """Small series + small budgets reach the pyramid path too (levels 1-3): the guarantees hold."""
    rng = np.random.default_rng(seed)
    step = np.cumsum(rng.integers(0 if dups else 1, 3, n)).astype(np.int64)
    v = rng.standard_normal(n)
    k = int(rng.integers(0, max(n // 20, 1)))
    v[rng.integers(0, n, k)] = rng.choice([np.nan, np.inf, -np.inf], k)
    t = 1.7e9 + np.cumsum(rng.integers(0, 4, n)) * 1e-3
    w = store.create_task(project="p", name="prop", created=1.7e9)
    sid = w.series_id("y", float64=True)
    w.append(sid, step[: n - cut * n // 4], v[: n - cut * n // 4], t[: n - cut * n // 4])
    w.sync()
    w.append(sid, step[n - cut * n // 4:], v[n - cut * n // 4:], t[n - cut * n // 4:])
    if cut % 2:
        w.sync()  # the last part only in the tail, not yet in any level
    else:
        w.close()
    r = store.task(w.id)
    x = _xs(kind, step, t)
    a, b = np.sort(rng.uniform(x[0] - 1, x[-1] + 1, 2))
    for x_min, x_max in ((None, None), (float(a), float(b))):
        d = r.decimate("y", x_min=x_min, x_max=x_max, points=points, x=kind)
        check(d, x, v, x_min, x_max, points)
