"""One series aggregated across the runs of a group: mean line and min-max band (issue 16, part 4).

W&B draws a group as the mean of its runs with a band from the lowest to the highest run. Here
the band stays exact per bucket, as a task chart's envelope does, and the work per request stays
bounded by the bucket count, never by the runs' lengths.

The common bucket grid. ``[x0, x1]`` (the asked range, else the first to the last step of any run)
is split into ``points`` equal-width buckets (``ringlog.core.decimate.equal_width_edges``). Every
run is decimated by the store over exactly that range with that budget
(:meth:`ringlog.store.TaskReader.decimate`), so each of its buckets is the equal-width bucket
holding the bucket's first x: the store builds bucket ``j`` from whole pyramid pieces whose first x
lies in ``[e_j, e_{j+1})`` (store/query.py), or, for short ranges, from the raw points themselves.
A run's bucket ``j`` therefore carries its exact finite min, max, sum and finite count; the group's
bucket ``j`` combines them:

* ``band``: min over runs of each run's bucket min, max over runs of each run's bucket max (exact:
  the true extremes of every raw point of the group in that bucket);
* ``y`` (the mean line): the mean over runs of each run's bucket mean (sum / finite count), over the
  runs with at least one finite value in the bucket (``n_runs``). Runs weigh equally whatever their
  logging rate, as W&B's group mean does; a run that ended earlier simply stops counting.
* ``spread``: the lowest and the highest run *mean* per bucket (what W&B's band shows when it bins
  runs by averaging), drawn like the band; narrower than ``band`` when buckets hold many points.
* NaN and +-Inf are left out of band and means, as in task charts, and reported per bucket in
  ``nonfinite`` (a marker per kind at the bucket's first x, ``count`` summed over runs).

Cost: one decimate query per run (plus, at full view, one of 4 points the first time a run is
seen: :class:`FirstSteps`),
O(points * FAN) pyramid records each, plus O(runs * points) numpy work. A run whose steps go
backwards (the store cannot bucket it from its pyramid) is read raw, up to ``MAX_RAW_RUN`` points,
else left out and named in ``skipped``.
"""

from __future__ import annotations

import threading

import numpy as np

from ringlog.core.decimate import equal_width_edges
from ringlog.store import TaskReader

from .errors import NotFoundError
from .scalars import series_key

#: a run whose steps are not sorted is bucketed from its raw points, at most this many
MAX_RAW_RUN = 5_000_000
_KINDS = ("nan", "+inf", "-inf")


def _bucket_raw(x: np.ndarray, y: np.ndarray, edges: np.ndarray) -> dict:
    """Per-bucket aggregates of raw points on the grid (half-open buckets, the last one closed)."""
    n = len(edges) - 1
    j = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, n - 1)
    fin = np.isfinite(y)
    out = _empty(n)
    np.fmin.at(out["min"], j[fin], y[fin])
    np.fmax.at(out["max"], j[fin], y[fin])
    np.fmin.at(out["first"], j, x)
    np.fmax.at(out["last"], j, x)
    out["sum"] = np.bincount(j[fin], weights=y[fin], minlength=n)
    out["finite"] = np.bincount(j[fin], minlength=n)
    out["count"] = np.bincount(j, minlength=n)
    for k, m in zip(_KINDS, (np.isnan(y), y == np.inf, y == -np.inf)):
        out[k] = np.bincount(j[m], minlength=n)
    return out


def _empty(n: int) -> dict:
    nan = np.full(n, np.nan)
    zero = np.zeros(n, np.int64)
    return {"min": nan.copy(), "max": nan.copy(), "first": nan.copy(), "last": nan.copy(),
            "sum": np.zeros(n), "finite": zero.copy(), "count": zero.copy(),
            "nan": zero.copy(), "+inf": zero.copy(), "-inf": zero.copy()}


def _run_buckets(reader: TaskReader, title: str, series: str, edges: np.ndarray) -> tuple[dict | None, dict]:
    """(aggregates on the grid or None when skipped, what answered: level, raw_count, exact)."""
    n = len(edges) - 1
    x0, x1 = float(edges[0]), float(edges[-1])
    d = reader.decimate(title, series, x_min=x0, x_max=x1, points=n, x="step")
    info = {"level": int(d.level), "raw_count": int(d.raw_count), "exact": d.raw_count <= len(d.x)}
    if d.bucket_starts is None:
        if info["exact"]:  # every raw point of the range came back
            return _bucket_raw(np.asarray(d.x, np.float64), np.asarray(d.y, np.float64), edges), info
        total = reader.count(title, series)  # steps went backwards: no pyramid buckets
        if total > MAX_RAW_RUN:
            return None, info
        s = reader.scalar(title, series)
        x = s.step.astype(np.float64)
        keep = (x >= x0) & (x <= x1)
        return _bucket_raw(x[keep], np.asarray(s.value, np.float64)[keep], edges), info
    bx = np.asarray(d.band_x, np.float64).reshape(-1, 2)
    j = np.clip(np.searchsorted(edges, bx[:, 0], side="right") - 1, 0, n - 1)
    out = _empty(n)
    out["first"][j], out["last"][j] = bx[:, 0], bx[:, 1]
    out["min"][j], out["max"][j] = d.band_min, d.band_max
    out["sum"][j] = d.bucket_sum
    out["finite"][j] = d.bucket_finite
    out["count"][j] = np.diff(np.asarray(d.bucket_starts, np.int64))
    # non-finite markers: one per kind at a bucket's first x (counted), or exact positions
    mj = np.clip(np.searchsorted(edges, np.asarray(d.nonfinite_x, np.float64), side="right") - 1, 0, n - 1)
    my = np.asarray(d.nonfinite_y, np.float64)
    mc = np.asarray(d.nonfinite_count, np.int64)
    for k, m in zip(_KINDS, (np.isnan(my), my == np.inf, my == -np.inf)):
        np.add.at(out[k], mj[m], mc[m])
    return out, info


class FirstSteps:
    """``(task id, title, series) -> first step`` of series whose steps are sorted, kept per app: a
    series only grows at its end, so its first step never changes, and the range of a full view then
    costs no store query (the last step comes from the series index). Thread-safe; bounded."""

    MAX = 100_000

    def __init__(self):
        self._d: dict = {}
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            return self._d.get(key)

    def put(self, key, v: float) -> None:
        with self._lock:
            if len(self._d) >= self.MAX:
                self._d.clear()
            self._d[key] = v


def _x_range(readers: list[TaskReader], title: str, series: str, firsts: FirstSteps | None) -> tuple[float, float]:
    """The first and the last step of any run: the cached first step and the index's last step of a
    sorted series, else a 4-point decimate (its first and last point)."""
    lo, hi = np.inf, -np.inf
    for r in readers:
        key = (r.id, title, series)
        first = firsts.get(key) if firsts is not None else None
        last = r.last_metrics().get((title, series), {}).get("last_step")
        if first is not None and isinstance(last, int) and not isinstance(last, bool):
            lo, hi = min(lo, first), max(hi, float(last))
            continue
        d = r.decimate(title, series, points=4, x="step")
        xs = np.asarray(d.x, np.float64)
        if len(xs):
            lo, hi = min(lo, float(xs.min())), max(hi, float(xs.max()))
            if firsts is not None and d.bucket_starts is not None:   # the pyramid path: steps sorted
                firsts.put(key, float(xs[0]))
    return (lo, hi) if lo <= hi else (0.0, 0.0)


def group_scalar_impl(readers: list[TaskReader], title: str, series: str | None = None, *,
                      x_min: float | None = None, x_max: float | None = None, points: int = 1000,
                      names: dict | None = None, firsts: FirstSteps | None = None) -> dict:
    """Mean line, exact min-max band and each run's bucket means of one series over a group's runs.

    ``readers``: the group's runs (those without the series are left out); ``names``: id -> run
    name for the answer; ``firsts``: the app's :class:`FirstSteps`. Raises NotFoundError when no run
    has the series.
    """
    series = title if series is None else series
    have = [r for r in readers if (title, series) in set(map(tuple, r.series()))]
    if not have:
        raise NotFoundError(f"no run of this group has the scalar series title={title!r} series={series!r}")
    if x_min is None or x_max is None:
        lo, hi = _x_range(have, title, series, firsts)
        x0 = lo if x_min is None else x_min
        x1 = max(hi, x0) if x_max is None else x_max
        x0 = min(x0, x1)
    else:
        x0, x1 = x_min, x_max
    edges = equal_width_edges(x0, x1, points)
    runs, per, answered = [], [], []
    for r in have:
        agg, info = _run_buckets(r, title, series, edges)
        row = {"id": r.id, "name": (names or {}).get(r.id, r.info.get("name")), **info, "mean": None, "n": None}
        if agg is None:
            row["skipped"] = f"steps not sorted and more than {MAX_RAW_RUN:,} points"
        else:
            per.append(agg)
            answered.append(row)
        runs.append(row)
    stack = {k: np.stack([a[k] for a in per]) if per else np.zeros((0, points)) for k in _empty(0)}
    keep = (stack["count"] > 0).any(axis=0) if per else np.zeros(points, bool)
    finite = stack["finite"]
    with np.errstate(invalid="ignore", divide="ignore"):
        run_mean = np.where(finite > 0, stack["sum"] / np.maximum(finite, 1), np.nan)
        n_runs = (finite > 0).sum(axis=0)
        mean = np.where(n_runs > 0, np.where(finite > 0, run_mean, 0.0).sum(axis=0) / np.maximum(n_runs, 1), np.nan)
    lo = np.fmin.reduce(stack["min"], axis=0) if per else np.full(points, np.nan)
    hi = np.fmax.reduce(stack["max"], axis=0) if per else np.full(points, np.nan)
    first = np.fmin.reduce(stack["first"], axis=0) if per else np.full(points, np.nan)
    last = np.fmax.reduce(stack["last"], axis=0) if per else np.full(points, np.nan)
    with np.errstate(invalid="ignore"):
        s_lo = np.fmin.reduce(run_mean, axis=0)[keep] if per else np.zeros(0)
        s_hi = np.fmax.reduce(run_mean, axis=0)[keep] if per else np.zeros(0)
    first, last, lo, hi = first[keep], last[keep], lo[keep], hi[keep]
    for i, row in enumerate(answered):
        row["mean"], row["n"] = run_mean[i][keep], finite[i][keep].astype(np.int64)
    nf_x, nf_k, nf_c = [], [], []
    for k in _KINDS:
        c = stack[k].sum(axis=0)[keep] if per else np.zeros(0, np.int64)
        m = c > 0
        nf_x.append(first[m])
        nf_k += [k] * int(m.sum())
        nf_c.append(c[m])
    nfx = np.concatenate(nf_x)
    order = np.argsort(nfx, kind="stable")
    return {
        "title": title, "series": series, "key": series_key(title, series), "x_kind": "step",
        "points": points, "range": {"x_min": x_min, "x_max": x_max}, "grid": {"x0": float(x0), "x1": float(x1)},
        "runs": runs, "level": max((r["level"] for r in answered), default=0),
        "raw_count": sum(r["raw_count"] for r in answered),
        "exact": all(r["exact"] for r in answered),
        "x": (first + last) / 2, "y": mean[keep], "n_runs": n_runs[keep].astype(np.int64),
        "n": finite.sum(axis=0)[keep].astype(np.int64) if per else np.zeros(0, np.int64),
        "band": {"x": np.stack([first, last], axis=1).ravel(), "lo": np.repeat(lo, 2), "hi": np.repeat(hi, 2)},
        "spread": {"x": np.stack([first, last], axis=1).ravel(), "lo": np.repeat(s_lo, 2), "hi": np.repeat(s_hi, 2)},
        "nonfinite": {"x": nfx[order], "kind": [nf_k[i] for i in order], "count": np.concatenate(nf_c)[order]},
    }
