"""Bucket means for smoothing that does not move with the zoom (issue 19).

A chart's line is the M4 selection of each bucket (its first, last, min and max point): smoothing
those points averages extremes, so a spiky series smoothed at full view (buckets of thousands of
points) reads far above the same series smoothed zoomed in (buckets of one point). The pages
smooth the per-bucket *means* instead, each weighted by its number of finite points (see
``emaCounts`` in static/common.js and HTTP_API.md), so a bucket of ``n`` points weighs what its
``n`` raw points would.

The store's ``Decimated`` answer carries each bucket's sum and finite count
(``bucket_sum``/``bucket_finite``, straight from the pyramid records): the means then cost
O(buckets). Only when an answer lacks them are the means computed here from the raw values of
the buckets (``bucket_starts``): O(raw points in range), read in slices of ``SLICE`` points
(bounded memory), ~100 ms for a 3M-point full view; ranges above ``MAX_RAW`` points then get no
means (the page smooths the drawn line, as before).
"""

from __future__ import annotations

import numpy as np

from ringlog.store import Decimated, TaskReader

#: raw points read per slice (x 8 bytes per column the store's export returns)
SLICE = 1 << 21
#: beyond this many raw points in range no means are computed (about 1-2 s of reading)
MAX_RAW = 50_000_000


def bucket_means(reader: TaskReader, title: str, series: str, d: Decimated, xs: np.ndarray,
                 ys: np.ndarray, exact: bool) -> dict | None:
    """``{"x", "x_last", "y", "n"}`` per bucket: x = the middle of the bucket's first and last x,
    x_last = its last x, y = the mean of its finite values (NaN when it has none), n = how many
    finite values it holds. The pages draw a centred smoother (running average, Gaussian) at x and
    place the EMA, which lags, between x and x_last by its weight (``emaX`` in static/smoothers.js).

    ``exact`` (every raw point came back): each point is its own bucket. None when the store gave
    no bucket boundaries (x not monotone) or the range holds more than ``MAX_RAW`` points.
    """
    if exact:
        finite = np.isfinite(ys)
        return {"x": xs, "x_last": xs, "y": np.where(finite, ys, np.nan), "n": finite.astype(np.int64)}
    starts = d.bucket_starts
    if starts is None or d.band_x is None or len(starts) < 2:
        return None
    starts = np.asarray(starts, np.int64)
    bx = np.asarray(d.band_x, np.float64).reshape(-1, 2)
    if d.bucket_sum is not None and d.bucket_finite is not None and len(d.bucket_sum) == len(bx) == len(starts) - 1:
        counts = np.asarray(d.bucket_finite, np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(counts > 0, np.asarray(d.bucket_sum, np.float64) / np.maximum(counts, 1), np.nan)
        return {"x": bx.mean(axis=1), "x_last": bx[:, 1], "y": mean, "n": counts}
    lo, hi = int(starts[0]), int(starts[-1])
    if hi - lo > MAX_RAW:
        return None
    nb = len(starts) - 1
    sums = np.zeros(nb, np.float64)
    counts = np.zeros(nb, np.int64)
    for a in range(lo, hi, SLICE):
        b = min(hi, a + SLICE)
        v = np.asarray(reader.scalar(title, series, a, b).value, np.float64)
        finite = np.isfinite(v)
        inner = starts[(starts > a) & (starts < b)]
        cuts = np.r_[a, inner] - a                              # segment starts within this slice
        ids = np.searchsorted(starts, cuts + a, side="right") - 1  # the bucket of each segment
        np.add.at(sums, ids, np.add.reduceat(np.where(finite, v, 0.0), cuts))
        np.add.at(counts, ids, np.add.reduceat(finite.astype(np.int64), cuts))
    if len(bx) != nb:  # not the store's per-bucket pairs: no means rather than misplaced ones
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return {"x": bx.mean(axis=1), "x_last": bx[:, 1], "y": mean, "n": counts}
