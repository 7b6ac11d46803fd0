"""The decimate query: a few thousand points of any range of a series, envelope exact.

Algorithm (FORMAT.md, "Decimate"):

1. Locate the raw index range ``[lo, hi)`` of ``[x_min, x_max]`` by descending the
   pyramid (a binary search per level over at most FAN records, then one level-1
   bucket of raw x): O(levels) small reads, independent of the series length.
2. ``hi - lo <= points``: the raw points, exactly.
3. No level has ``points`` complete buckets inside the range (so the range holds
   fewer than ``(points + 2) * 256`` points): read the raw range and take each of
   ``points`` equal-width x buckets' first/last/min/max with ``bucket_extrema``.
4. Otherwise take the coarsest level L with at least ``points`` complete buckets
   inside the range. The range is covered by *pieces*: a raw run and finer-level
   buckets up to the first level-L boundary, the level-L buckets, then finer-level
   buckets and a raw run after the last boundary. Each piece goes to the
   equal-width x bucket holding its first x; pieces of one bucket are merged
   exactly (core.pyramid.combine). So output bucket j holds exactly the raw points
   of its pieces: its edges are the equal-width edges moved to piece boundaries
   (``bucket_edges``/``bucket_starts`` report them), and its first/last/min/max are
   the true ones of those points. Cost: O(points * FAN) records, independent of length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ringlog.core import pyramid as pyr
from ringlog.core.decimate import bucket_extrema, equal_width_edges, lttb, minmaxlttb

from .errors import bad_type, bad_value
from .layout import FAN, FAN1, MAX_LEVELS, TIME_RES, level_size

METHODS = ("m4", "minmax", "lttb", "minmaxlttb")
# the raw path may read up to (points + 2) * 256 points: this bounds its memory (~400 MB); use
# TaskReader.scalar() for full-resolution reads
MAX_POINTS = 50_000
X_KINDS = ("step", "time", "wall")


@dataclass
class Decimated:
    """Result of :meth:`TaskReader.decimate`. ``x`` is in the unit asked for (step, seconds since
    the task start, or unix seconds); ``index`` the raw index of each returned point.

    ``bucket_edges`` (len nb+1, x units) and ``bucket_starts`` (raw indices, len nb+1) delimit the
    buckets the envelope guarantee refers to (None when the raw points came back exactly);
    ``band_min``/``band_max`` are each bucket's finite min/max (NaN when it has none);
    ``band_x``/``band_lo``/``band_hi`` the same drawn as steps (two x per bucket: its first and last x).
    ``nonfinite_x``/``nonfinite_y`` mark NaN/+Inf/-Inf (y holds the kind): exact positions when
    answered from raw points, else one marker per kind at the first x of each bucket holding
    some, with ``nonfinite_count`` the number of such values there.
    ``bucket_sum``/``bucket_finite``: each bucket's sum and number of finite values (from the
    pyramid records, so a bucket mean costs nothing more); None when ``bucket_starts`` is.
    """

    x: np.ndarray
    y: np.ndarray
    index: np.ndarray
    level: int
    raw_count: int
    nonfinite_x: np.ndarray
    nonfinite_y: np.ndarray
    nonfinite_count: np.ndarray
    bucket_edges: np.ndarray | None
    bucket_starts: np.ndarray | None
    band_min: np.ndarray | None
    band_max: np.ndarray | None
    band_x: np.ndarray | None
    band_lo: np.ndarray | None
    band_hi: np.ndarray | None
    method: str = "m4"
    x_kind: str = "step"
    bucket_sum: np.ndarray | None = None
    bucket_finite: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.x.shape[0])


class _Axis:
    """Maps between user x units and the stored integer x (step, or ms since time_origin)."""

    def __init__(self, kind: str, origin: float, created: float):
        self.kind = kind
        self.field_first = pyr.FIRST_S if kind == "step" else pyr.FIRST_T
        self.field_last = pyr.LAST_S if kind == "step" else pyr.LAST_T
        self.field_min = pyr.MIN_S if kind == "step" else pyr.MIN_T
        self.field_max = pyr.MAX_S if kind == "step" else pyr.MAX_T
        self.raw_name = "step" if kind == "step" else "time"
        self.off = 0.0 if kind == "step" else (origin - created if kind == "time" else origin)
        self.scale = 1.0 if kind == "step" else TIME_RES

    def to_internal(self, v: float) -> float:
        return (v - self.off) / self.scale

    def to_user(self, a) -> np.ndarray:
        a = np.asarray(a, np.float64)
        return a if self.kind == "step" else a * self.scale + self.off


def _check(points, x, method, x_min, x_max):
    if isinstance(points, bool) or not isinstance(points, (int, np.integer)):
        raise bad_type("points", "must be an int", points)
    if not 4 <= points <= MAX_POINTS:
        raise bad_value("points", f"must be between 4 and {MAX_POINTS:,}", points)
    if x not in X_KINDS:
        raise bad_value("x", f"must be one of {X_KINDS}", x)
    if method not in METHODS:
        raise bad_value("method", f"must be one of {METHODS}", method)
    for name, v in (("x_min", x_min), ("x_max", x_max)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating))
                              or not np.isfinite(v)):
            raise bad_value(name, "must be None or a finite number", v)
    if x_min is not None and x_max is not None and x_max < x_min:
        raise bad_value("x_max", f"must be >= x_min={x_min}", x_max)


#: store roots (as str, with a trailing separator) whose raw chunks are objects of a bucket, fetched
#: whole on first read (store/objstore/mirror.py registers its read cache): there a decimated query
#: widens its range to whole level-1 buckets instead of reading raw points at its edges
COARSE_ROOTS: set = set()


def coarse(sr) -> bool:
    """Whether ``sr`` reads from an object store's read cache (see :data:`COARSE_ROOTS`)."""
    if not COARSE_ROOTS:
        return False
    p = str(getattr(sr, "task_path", ""))
    return any(p.startswith(r) for r in COARSE_ROOTS)


def locate(sr, field: int, raw_name: str, v: float, side: str, last: int | None = None) -> int:
    """First raw index whose x is ``>= v`` (side 'left') or ``> v`` ('right'); x sorted.

    With ``last`` (the records' last-x field) on an object store (:func:`coarse`): the index widened
    to the level-1 bucket boundary (left: its start, right: its end), read from the pyramid alone."""
    n = sr.n
    if n == 0:
        return 0
    runs = _cover(sr, 0, n, top=MAX_LEVELS)
    wide = last is not None and coarse(sr)
    firsts = []
    for kind, k, a, b in runs:
        if kind == "L":
            firsts.append(sr.records(k, a, a + 1)[field, 0])
        elif wide and a > 0:  # the series' last partial bucket: after the last complete one's last x
            firsts.append(np.nextafter(sr.records(1, a // FAN1 - 1, a // FAN1)[last, 0], np.inf))
        else:
            firsts.append(float(sr.raw(raw_name, a, a + 1)[0]))
    j = int(np.searchsorted(np.asarray(firsts), v, side)) - 1
    if j < 0:
        return 0
    kind, k, a, b = runs[j]
    if wide and kind == "R":
        return a if side == "left" else n
    while kind == "L":
        fx = sr.records(k, a, b)[field]
        bb = a + int(np.searchsorted(fx, v, side)) - 1
        if k == 1 and wide:
            return bb * FAN1 if side == "left" else min(n, (bb + 1) * FAN1)
        if k == 1:
            kind, a, b = "R", bb * FAN1, (bb + 1) * FAN1
        else:
            k, a, b = k - 1, bb * FAN, (bb + 1) * FAN
    xr = sr.raw(raw_name, a, b)
    return a + int(np.searchsorted(xr, v, side))


def _cover(sr, lo: int, hi: int, top: int):
    """Runs ``(kind, level, b0, b1)`` covering raw ``[lo, hi)`` with few pieces, coarsest level
    ``<= top``; kind "R" is a raw run (level 0, raw indices), "L" whole level buckets."""
    runs = []
    p = lo
    k = 0
    while k < top:  # ascend: whole level-k units up to the next level-(k+1) boundary
        s = level_size(k) if k else 1
        nxt = level_size(k + 1)
        q = min(-(-p // nxt) * nxt, (hi // s) * s)
        if q > p:
            runs.append(("R", 0, p, q) if k == 0 else ("L", k, p // s, q // s))
            p = q
        if p % nxt or p + nxt > hi:
            break
        k += 1
    for kk in range(k, 0, -1):  # descend: the largest aligned runs that still fit
        s = level_size(kk)
        q = (hi // s) * s
        if q > p:
            runs.append(("L", kk, p // s, q // s))
            p = q
    if hi > p:
        runs.append(("R", 0, p, hi))
    return runs


def decimate(sr, axis: _Axis, x_min, x_max, points: int, method: str) -> Decimated:
    if getattr(sr, "in_memory", False) and sr.sorted.get(axis.raw_name, True):
        return _in_memory(sr, axis, x_min, x_max, points, method)
    if not sr.sorted.get(axis.raw_name, True):
        return _unsorted(sr, axis, x_min, x_max, points, method)
    f_first = axis.field_first
    wide = coarse(sr)  # an object store: whole level-1 buckets at the edges, no raw chunk fetched
    last = axis.field_last if wide else None
    lo = 0 if x_min is None else locate(sr, f_first, axis.raw_name, axis.to_internal(x_min), "left", last)
    hi = sr.n if x_max is None else locate(sr, f_first, axis.raw_name, axis.to_internal(x_max), "right", last)
    hi = max(hi, lo)
    count = hi - lo
    if count <= points:
        return _exact(sr, axis, lo, hi, method)
    L = 0
    for k in range(1, MAX_LEVELS + 1):
        s = level_size(k)
        if hi // s - (-(-lo // s)) >= points:
            L = k
        else:
            break
    if L == 0 and wide and hi // FAN1 - (-(-lo // FAN1)) >= points // 4:
        L = 1  # at least points/4 level-1 buckets: those, rather than the raw range's chunks
    if L == 0:
        return _from_raw(sr, axis, lo, hi, x_min, x_max, points, method)
    runs = _cover(sr, lo, hi, top=L)
    parts = [sr.records(k, a, b) if kind == "L" else sr.raw_record(a, b) for kind, k, a, b in runs]
    rec = np.concatenate(parts, axis=1)
    x0 = axis.to_internal(x_min) if x_min is not None else rec[f_first, 0]
    x1 = axis.to_internal(x_max) if x_max is not None else rec[axis.field_last, -1]
    edges = equal_width_edges(x0, x1, points)
    g = np.clip(np.searchsorted(edges, rec[f_first], "right") - 1, 0, points - 1)
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    comb = pyr.combine(rec, np.r_[starts, rec.shape[1]])
    return _from_records(comb, axis, L, count, lo, hi, method, points)


def _from_records(c, axis, level, count, lo, hi, method, points) -> Decimated:
    i0 = c[pyr.I0].astype(np.int64)
    ilast = i0 + c[pyr.COUNT].astype(np.int64) - 1
    has = c[pyr.IMIN] >= 0
    fx_first, fx_last = c[axis.field_first], c[axis.field_last]
    cand_i = [i0, ilast]
    cand_x = [fx_first, fx_last]
    cand_y = [c[pyr.FIRST_V], c[pyr.LAST_V]]
    if method == "minmax":
        cand_i, cand_x, cand_y = [i0[:1], ilast[-1:]], [fx_first[:1], fx_last[-1:]], \
            [c[pyr.FIRST_V, :1], c[pyr.LAST_V, -1:]]
    cand_i += [c[pyr.IMIN, has].astype(np.int64), c[pyr.IMAX, has].astype(np.int64)]
    cand_x += [c[axis.field_min, has], c[axis.field_max, has]]
    cand_y += [c[pyr.MIN_V, has], c[pyr.MAX_V, has]]
    idx = np.concatenate(cand_i)
    idx, pick = np.unique(idx, return_index=True)
    xs = np.concatenate(cand_x)[pick]
    ys = np.concatenate(cand_y)[pick]
    if method in ("lttb", "minmaxlttb") and len(idx) > points:
        keep = lttb(xs, ys, points, assume_sorted=True)
        idx, xs, ys = idx[keep], xs[keep], ys[keep]
    # non-finite markers: one per kind per bucket, at the bucket's first x
    nf_x, nf_y, nf_c = [], [], []
    for field, val in ((pyr.NNAN, np.nan), (pyr.NPINF, np.inf), (pyr.NNINF, -np.inf)):
        m = c[field] > 0
        nf_x.append(fx_first[m])
        nf_y.append(np.full(int(m.sum()), val))
        nf_c.append(c[field, m].astype(np.int64))
    nfx = np.concatenate(nf_x)
    order = np.argsort(nfx, kind="stable")
    edges_x = axis.to_user(np.r_[fx_first, fx_last[-1:]])
    bx = axis.to_user(np.stack([fx_first, fx_last], axis=1).ravel())
    return Decimated(
        x=axis.to_user(xs), y=ys.astype(np.float64), index=idx, level=level, raw_count=count,
        nonfinite_x=axis.to_user(nfx[order]), nonfinite_y=np.concatenate(nf_y)[order],
        nonfinite_count=np.concatenate(nf_c)[order],
        bucket_edges=edges_x, bucket_starts=np.r_[i0, hi].astype(np.int64),
        band_min=c[pyr.MIN_V].copy(), band_max=c[pyr.MAX_V].copy(), band_x=bx,
        band_lo=np.repeat(c[pyr.MIN_V], 2), band_hi=np.repeat(c[pyr.MAX_V], 2), method=method, x_kind=axis.kind,
        bucket_sum=c[pyr.SUM].astype(np.float64),
        bucket_finite=(c[pyr.COUNT] - c[pyr.NNAN] - c[pyr.NPINF] - c[pyr.NNINF]).astype(np.int64))


def _exact(sr, axis, lo, hi, method) -> Decimated:
    xr = sr.raw(axis.raw_name, lo, hi)
    y = sr.raw("value", lo, hi)
    bad = ~np.isfinite(y)
    xu = axis.to_user(xr)
    return Decimated(x=xu, y=y, index=np.arange(lo, hi, dtype=np.int64), level=0, raw_count=hi - lo,
                     nonfinite_x=xu[bad], nonfinite_y=y[bad], nonfinite_count=np.ones(int(bad.sum()), np.int64),
                     bucket_edges=None, bucket_starts=None, band_min=None, band_max=None, band_x=None,
                     band_lo=None, band_hi=None, method=method, x_kind=axis.kind)


def _from_raw(sr, axis, lo, hi, x_min, x_max, points, method) -> Decimated:
    xr = sr.raw(axis.raw_name, lo, hi)
    y = sr.raw("value", lo, hi)
    x0 = axis.to_internal(x_min) if x_min is not None else xr[0]
    x1 = axis.to_internal(x_max) if x_max is not None else xr[-1]
    edges = equal_width_edges(x0, x1, points)
    first, last, imin, imax, cnt, _ = bucket_extrema(xr, y, edges, assume_sorted=True)
    ne = cnt > 0
    # records of the non-empty buckets, so the output is built exactly like the level path
    starts = np.r_[first[ne], last[ne][-1] + 1] if ne.any() else np.array([0, len(y)])
    tm = sr.raw("time", lo, hi) if axis.raw_name == "step" else xr
    st = xr if axis.raw_name == "step" else sr.raw("step", lo, hi)
    c = pyr.raw_records(st, y, tm, starts, lo)
    out = _from_records(c, axis, 0, hi - lo, lo, hi, method, points)
    if method in ("lttb", "minmaxlttb"):
        fn = lttb if method == "lttb" else minmaxlttb
        keep = fn(xr, y, points if method == "lttb" else max(points - points % 4, 4), assume_sorted=True)
        out.index, out.x, out.y = keep + lo, axis.to_user(xr[keep]), y[keep]
    bad = ~np.isfinite(y)
    if int(bad.sum()) <= 4 * points:  # exact positions; more would swamp a chart: keep per-bucket markers
        out.nonfinite_x, out.nonfinite_y = axis.to_user(xr[bad]), y[bad]
        out.nonfinite_count = np.ones(int(bad.sum()), np.int64)
    return out


def _in_memory(sr, axis, x_min, x_max, points, method) -> Decimated:
    """A series held in memory with x sorted (a merged series of several writers on the step axis):
    the raw path over the query's range, O(points in range), no pyramid needed."""
    xr = sr.raw(axis.raw_name, 0, sr.n)
    lo = 0 if x_min is None else int(np.searchsorted(xr, axis.to_internal(x_min), "left"))
    hi = sr.n if x_max is None else int(np.searchsorted(xr, axis.to_internal(x_max), "right"))
    hi = max(hi, lo)
    if hi - lo <= points:
        return _exact(sr, axis, lo, hi, method)
    return _from_raw(sr, axis, lo, hi, x_min, x_max, points, method)


def _unsorted(sr, axis, x_min, x_max, points, method) -> Decimated:
    """x went backwards somewhere in this series: sort all of it by x (stable), then bucket raw.

    Exact like the raw path, but O(n log n) in the series length: the pyramid's index-aligned
    buckets do not describe x ranges when x is not monotone. ``bucket_starts`` is None.
    """
    xr = sr.raw(axis.raw_name, 0, sr.n)
    order = np.argsort(xr, kind="stable")
    xs = xr[order]
    lo = 0 if x_min is None else int(np.searchsorted(xs, axis.to_internal(x_min), "left"))
    hi = len(xs) if x_max is None else int(np.searchsorted(xs, axis.to_internal(x_max), "right"))
    hi = max(hi, lo)
    xs, idx = xs[lo:hi], order[lo:hi]
    ys = sr.raw("value", 0, sr.n)[idx]
    bad = ~np.isfinite(ys)
    if hi - lo <= points:
        pos = np.arange(hi - lo)
        edges = bmin = bmax = None
    else:
        x0 = axis.to_internal(x_min) if x_min is not None else xs[0]
        x1 = axis.to_internal(x_max) if x_max is not None else xs[-1]
        edges = equal_width_edges(x0, x1, points)
        first, last, imin, imax, cnt, _ = bucket_extrema(xs, ys, edges, assume_sorted=True)
        keep = cnt > 0
        if method in ("lttb", "minmaxlttb"):
            pos = lttb(xs, ys, points, assume_sorted=True)
        else:
            cand = [imin, imax] + ([first, last] if method == "m4" else [first[keep][:1], last[keep][-1:]])
            pos = np.unique(np.concatenate(cand))
            pos = pos[pos >= 0]
        bmin = np.where(imin[keep] >= 0, ys[np.maximum(imin[keep], 0)], np.nan)
        bmax = np.where(imax[keep] >= 0, ys[np.maximum(imax[keep], 0)], np.nan)
        edges = axis.to_user(edges)
    return Decimated(
        x=axis.to_user(xs[pos]), y=ys[pos], index=idx[pos].astype(np.int64), level=0, raw_count=hi - lo,
        nonfinite_x=axis.to_user(xs[bad]), nonfinite_y=ys[bad], nonfinite_count=np.ones(int(bad.sum()), np.int64),
        bucket_edges=edges, bucket_starts=None, band_min=bmin, band_max=bmax, band_x=None, band_lo=None,
        band_hi=None, method=method, x_kind=axis.kind)
