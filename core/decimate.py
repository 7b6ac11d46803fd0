"""Decimation: pick a few thousand indices of a long series without hiding a spike.

Every function validates its arguments once, then dispatches to a numba kernel
(``_kernels.py``; plain NumPy oracles in ``_reference.py``). Each returns sorted,
unique int64 indices into the input, so one selection gathers step, value and
time alike.

Buckets. ``x`` is the sort key (``None`` means the index ``0..n-1``); it must be
finite and sorted non-decreasing (checked in one O(n) pass unless
``assume_sorted=True``). Buckets are equal-width in x over ``[x[0], x[-1]]``,
each half-open ``[e_j, e_{j+1})`` except the last, which is closed. With
tsdownsample's conventions: MinMax uses ``n_out // 2`` buckets (``n_out`` even),
M4 ``n_out // 4`` (``n_out`` a multiple of 4), LTTB ``n_out - 2`` middle buckets
plus the first and last point (``n_out >= 3``). When ``n_out >= len(y)`` every
index is returned; empty input gives an empty result.

Non-finite values. NaN and ±Inf are never chosen as a bucket's minimum or
maximum; a bucket without a finite value contributes no min/max (M4 still keeps
its first and last point, whatever their value). LTTB skips non-finite values
entirely (it runs on the finite points; first/last mean first/last finite).
:func:`bucket_extrema` reports the number of non-finite values per bucket.

LTTB details. The first and last finite points are kept; the ``n_out - 2``
middle buckets split ``[x[p0], x[pl]]`` (p0/pl = first/last finite point); each
non-empty bucket contributes the point of largest triangle area with the previous
pick and the mean of the next non-empty bucket (the last point after the final
one). Empty buckets are skipped, so fewer than ``n_out`` points may come back. A
NaN area (inf - inf with huge values) ranks below every real area. Bucket means
use a fixed summation order (see ``_lttb.py``) so the reference reproduces them
exactly. ``minmaxlttb`` runs LTTB on the MinMax preselection with the selected
points' own x (their indices when x is None).

Dtypes. y float32/float64 are used in place; other real dtypes are converted to
float64 (a copy). x int64/float64 in place; other integer/float dtypes are
converted (a copy). Bucket edges are float64, so integer x beyond 2**53 is
bucketed at float64 precision. Ties pick the first occurrence; -0.0 equals +0.0.

Costs (this 2-core machine, float32 y, 2,000 points out): MinMax/M4 about
4-5 G points/s and LTTB about 0.8 G points/s on 10M points, within 1.5x of
tsdownsample or faster (``benchmarks/bench_core.py``); the sortedness check adds
one pass (~4 G points/s for int64 x). Indices are computed without copying y.
"""

from __future__ import annotations

import numpy as np

from .errors import bad_type, bad_value

__all__ = ["minmax", "m4", "lttb", "minmaxlttb", "bucket_extrema", "equal_width_edges"]


def equal_width_edges(x0, x1, n_buckets: int) -> np.ndarray:
    """``n_buckets + 1`` float64 edges splitting ``[x0, x1]`` equally; ends exact."""
    x0 = float(x0)
    x1 = float(x1)
    edges = x0 + (x1 - x0) * (np.arange(n_buckets + 1, dtype=np.float64) / n_buckets)
    edges[0] = x0
    edges[-1] = x1
    return edges


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------


def _check_y(y) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise bad_value("y", "must be a 1-D array", f"shape {y.shape}")
    if y.dtype.kind not in "biuf":
        raise bad_type("y", "must hold real numbers", f"dtype {y.dtype}")
    if y.dtype == np.float32 or y.dtype == np.float64:
        return np.ascontiguousarray(y)
    return np.ascontiguousarray(y, dtype=np.float32 if y.dtype == np.float16 else np.float64)


def _check_x(x, n: int, assume_sorted: bool):
    if x is None:
        return None
    x = np.asarray(x)
    if x.ndim != 1 or x.shape[0] != n:
        raise bad_value("x", f"must be None or a 1-D array with len(y)={n} items", f"shape {x.shape}")
    if x.dtype.kind in "iu":
        x = np.ascontiguousarray(x, dtype=np.int64)
    elif x.dtype.kind == "f":
        x = np.ascontiguousarray(x, dtype=np.float64)
    else:
        raise bad_type("x", "must hold integers or floats (e.g. step or unix time)", f"dtype {x.dtype}")
    if not assume_sorted and n:
        from ._kernels import first_unsorted

        bad = int(first_unsorted(x))
        if bad >= 0:
            what = f"x[{bad}]={x[bad]!r}" + (f" after x[{bad - 1}]={x[bad - 1]!r}" if bad else "")
            raise bad_value("x", "must be finite and sorted non-decreasing", what)
    return x


def _check_n_out(n_out, minimum: int, multiple: int, name: str) -> int:
    if isinstance(n_out, bool) or not isinstance(n_out, (int, np.integer)):
        raise bad_type("n_out", "must be an int", n_out)
    n_out = int(n_out)
    if n_out < minimum or n_out % multiple:
        rule = f"must be >= {minimum}" + (f" and a multiple of {multiple}" if multiple > 1 else "")
        raise bad_value("n_out", f"{rule} for {name}", n_out)
    return n_out


# ---------------------------------------------------------------------------
# buckets and extrema
# ---------------------------------------------------------------------------


def _starts(x, lo: int, hi: int, edges: np.ndarray) -> np.ndarray:
    """Boundaries of the buckets of ``edges`` among points ``lo..hi-1`` (x sorted).

    ``starts[j]`` is the first point with ``x >= edges[j]`` (j < nb); the last
    entry is one past the last point with ``x <= edges[-1]`` (closed last bucket).
    O(nb log n): a binary search per edge, never a pass over the data.
    """
    left = edges[:-1]
    right = edges[-1:]
    if x is None:  # x[i] == i
        with np.errstate(invalid="ignore"):
            a = np.ceil(np.clip(left, lo - 1, hi + 1))
            b = np.floor(np.clip(right, lo - 1, hi + 1)) + 1
        starts = np.concatenate([a, b]).astype(np.int64)
        return np.clip(starts, lo, hi)
    seg = x[lo:hi]
    if x.dtype == np.int64:
        # x >= e  <=>  x >= ceil(e);  x <= e  <=>  x <= floor(e)  (exact for integers)
        info = np.iinfo(np.int64)
        lim = (float(info.min), float(2**62))
        a = np.ceil(np.clip(left, *lim)).astype(np.int64)
        b = np.floor(np.clip(right, *lim)).astype(np.int64)
        starts = np.concatenate([np.searchsorted(seg, a, "left"), np.searchsorted(seg, b, "right")])
    else:
        starts = np.concatenate([np.searchsorted(seg, left, "left"), np.searchsorted(seg, right, "right")])
    starts = starts.astype(np.int64) + lo
    # a non-decreasing edge list gives non-decreasing starts; keep the last >= the others
    np.maximum.accumulate(starts, out=starts)
    return starts


def _extrema(y: np.ndarray, starts: np.ndarray, count: bool = False):
    from ._kernels import extrema_f32, extrema_f64

    if y.dtype == np.float32:
        return extrema_f32(y.view(np.int32), starts, count)
    return extrema_f64(y.view(np.int64), starts, count)


def _even_starts(x, n: int, nb: int) -> np.ndarray:
    if x is None:
        edges = equal_width_edges(0, n - 1, nb)
    else:
        edges = equal_width_edges(x[0], x[-1], nb)
    return _starts(x, 0, n, edges)


def bucket_extrema(x, y, edges, *, assume_sorted: bool = False):
    """Per explicit bucket ``[edges[j], edges[j+1])`` (last closed): extrema and counts.

    Returns int64 arrays ``(first, last, imin, imax, count, n_nonfinite)`` of length
    ``len(edges) - 1``: first/last raw index in the bucket (any value), imin/imax the
    first index of the finite min/max, -1 where the bucket is empty or has no finite
    value. Points outside ``[edges[0], edges[-1]]`` belong to no bucket. ``edges``
    must be finite and non-decreasing. Cost: a binary search per edge plus one
    vectorized pass over the points inside the edges.
    """
    y = _check_y(y)
    n = y.shape[0]
    x = _check_x(x, n, assume_sorted)
    edges = np.asarray(edges)
    if edges.ndim != 1 or edges.dtype.kind not in "iuf":
        raise bad_value("edges", "must be a 1-D array of real numbers", f"shape {edges.shape} dtype {edges.dtype}")
    edges = edges.astype(np.float64)
    if edges.size and (not np.all(np.isfinite(edges)) or np.any(edges[1:] < edges[:-1])):
        raise bad_value("edges", "must be finite and sorted non-decreasing", edges)
    nb = max(edges.shape[0] - 1, 0)
    if nb == 0:
        e = np.zeros(0, np.int64)
        return e, e.copy(), e.copy(), e.copy(), e.copy(), e.copy()
    starts = _starts(x, 0, n, edges)
    count = np.diff(starts)
    nonempty = count > 0
    first = np.where(nonempty, starts[:-1], -1)
    last = np.where(nonempty, starts[1:] - 1, -1)
    imin, imax, nnf = _extrema(y, starts, count=True)
    return first, last, imin, imax, count, nnf


def minmax(x, y, n_out: int, *, assume_sorted: bool = False) -> np.ndarray:
    """Indices of the finite min and max of each of ``n_out // 2`` equal-width x buckets."""
    y = _check_y(y)
    n_out = _check_n_out(n_out, 2, 2, "minmax")
    n = y.shape[0]
    x = _check_x(x, n, assume_sorted)
    if n_out >= n:
        return np.arange(n, dtype=np.int64)
    imin, imax, _ = _extrema(y, _even_starts(x, n, n_out // 2))
    return _merge(np.minimum(imin, imax), np.maximum(imin, imax))


def m4(x, y, n_out: int, *, assume_sorted: bool = False) -> np.ndarray:
    """Indices of first, last, finite min and max of each of ``n_out // 4`` equal-width x buckets."""
    y = _check_y(y)
    n_out = _check_n_out(n_out, 4, 4, "m4")
    n = y.shape[0]
    x = _check_x(x, n, assume_sorted)
    if n_out >= n:
        return np.arange(n, dtype=np.int64)
    starts = _even_starts(x, n, n_out // 4)
    imin, imax, _ = _extrema(y, starts)
    nonempty = starts[1:] > starts[:-1]
    # first <= min(imin, imax) <= max(imin, imax) <= last within a bucket
    lo, hi = np.minimum(imin, imax), np.maximum(imin, imax)
    return _merge(np.where(nonempty, starts[:-1], -1), lo, hi, np.where(nonempty, starts[1:] - 1, -1))


def _merge(*cols) -> np.ndarray:
    """Sorted unique indices from per-bucket columns (-1 = none) whose non-negative
    entries are already in order within each row. Buckets are ordered and disjoint,
    so the row-major flattening is sorted: O(buckets), no sort."""
    rows = np.empty((cols[0].shape[0], len(cols)), np.int64)
    for k, c in enumerate(cols):
        rows[:, k] = c
    flat = rows.ravel()
    flat = flat[flat >= 0]
    if flat.size > 1:
        keep = np.empty(flat.size, bool)
        keep[0] = True
        np.not_equal(flat[1:], flat[:-1], out=keep[1:])
        flat = flat[keep]
    return flat


def _first_last_finite(y: np.ndarray) -> tuple[int, int]:
    """First and last index of a finite value (-1, -1 if none); scans from both ends."""
    n = y.shape[0]
    p0 = -1
    step = 1024
    for a in range(0, n, step):
        f = np.flatnonzero(np.isfinite(y[a:a + step]))
        if f.size:
            p0 = a + int(f[0])
            break
    if p0 < 0:
        return -1, -1
    pl = p0
    for b in range(n, p0, -step):
        a = max(b - step, p0)
        f = np.flatnonzero(np.isfinite(y[a:b]))
        if f.size:
            pl = a + int(f[-1])
            break
    return p0, pl


def _lttb(x, y, n_out: int) -> np.ndarray:
    from ._lttb import lttb_kernel

    p0, pl = _first_last_finite(y)
    if p0 < 0:
        return np.zeros(0, np.int64)
    xp0, xpl = (p0, pl) if x is None else (x[p0], x[pl])
    starts = _starts(x, p0 + 1, max(pl, p0 + 1), equal_width_edges(xp0, xpl, n_out - 2))
    xk = np.zeros(0, np.int64) if x is None else x
    return lttb_kernel(xk, y, x is None, x is not None and x.dtype == np.int64, starts, p0, pl, n_out)


def lttb(x, y, n_out: int, *, assume_sorted: bool = False) -> np.ndarray:
    """Largest-Triangle-Three-Buckets over the finite points: first, last and one per
    non-empty bucket of ``n_out - 2`` equal-width x buckets (at most ``n_out``)."""
    y = _check_y(y)
    n_out = _check_n_out(n_out, 3, 1, "lttb")
    n = y.shape[0]
    x = _check_x(x, n, assume_sorted)
    if n_out >= n:
        return np.arange(n, dtype=np.int64)
    return _lttb(x, y, n_out)


def minmaxlttb(x, y, n_out: int, minmax_ratio: int = 4, *, assume_sorted: bool = False) -> np.ndarray:
    """MinMax preselection of about ``n_out * minmax_ratio`` points (plus the first and
    last finite point), then LTTB on them: LTTB's look at a fraction of its cost."""
    y = _check_y(y)
    n_out = _check_n_out(n_out, 3, 1, "minmaxlttb")
    if isinstance(minmax_ratio, bool) or not isinstance(minmax_ratio, (int, np.integer)) or minmax_ratio < 1:
        raise bad_value("minmax_ratio", "must be an int >= 1", minmax_ratio)
    n = y.shape[0]
    x = _check_x(x, n, assume_sorted)
    if n_out >= n:
        return np.arange(n, dtype=np.int64)
    pre_n = 2 * ((n_out * int(minmax_ratio) + 1) // 2)
    if pre_n >= n:  # the preselection would keep every point
        return _lttb(x, y, n_out)
    pre = minmax(x, y, pre_n, assume_sorted=True)
    p0, pl = _first_last_finite(y)
    if p0 >= 0:  # pre is sorted and holds only finite points, so p0 <= pre[0], pre[-1] <= pl
        head = [p0] if not pre.size or pre[0] != p0 else []
        tail = [pl] if pl != p0 and (not pre.size or pre[-1] != pl) else []
        if head or tail:
            pre = np.concatenate([np.asarray(head, np.int64), pre, np.asarray(tail, np.int64)])
    if pre.shape[0] <= n_out:
        return pre
    xs = pre if x is None else x[pre]
    return pre[_lttb(xs, y[pre], n_out)]
