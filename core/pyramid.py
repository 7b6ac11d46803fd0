"""Pyramid roll-ups: per-bucket summaries of a series, combinable at any level.

A *record* summarises a run of consecutive raw points ``[i0, i1)`` of one series.
Records are stored column-wise: a float64 array of shape ``(NF, m)``, one row
per field below (integers are held exactly: every step, index and millisecond
time used by ringlog is far below 2**53).

Fields (row numbers are the constants below)::

    FIRST_V LAST_V   value of the first / last point (any value, NaN included)
    MIN_V MAX_V      finite minimum / maximum value; NaN when the run has no finite value
    IMIN IMAX        raw index of that min / max (first occurrence); -1 when none
    SUM              sum of the finite values
    NNAN NPINF NNINF counts of NaN / +Inf / -Inf values
    FIRST_S LAST_S MIN_S MAX_S   step of the first / last / min / max point (MIN_S/MAX_S = -1 when none)
    FIRST_T LAST_T MIN_T MAX_T   time (int ms) of the first / last / min / max point
    I0 COUNT         raw index of the first point, number of points

Two kernels build them: :func:`raw_records` from raw arrays split at explicit
starts, and :func:`combine` from consecutive records grouped at explicit starts.
Both are numba (``cache=True, nogil=True``: the store's flusher runs them) and
cost one pass over their input. :func:`ref_raw_records` and :func:`ref_combine`
are the plain NumPy references used by the tests.
"""

from __future__ import annotations

import numpy as np
from numba import njit

FIRST_V, LAST_V, MIN_V, MAX_V, IMIN, IMAX, SUM, NNAN, NPINF, NNINF = range(10)
FIRST_S, LAST_S, MIN_S, MAX_S, FIRST_T, LAST_T, MIN_T, MAX_T, I0, COUNT = range(10, 20)
NF = 20
FIELDS = ("first_v", "last_v", "min_v", "max_v", "imin", "imax", "sum", "nnan", "npinf", "nninf",
          "first_s", "last_s", "min_s", "max_s", "first_t", "last_t", "min_t", "max_t", "i0", "count")

__all__ = ["NF", "FIELDS", "raw_records", "combine", "scan_values", "scan_batch", "ref_raw_records", "ref_combine",
           "ref_scan_values", "ref_scan_batch", "empty_records", "undelta_seconds", "seconds_to_ms", "ready"]


def empty_records(m: int = 0) -> np.ndarray:
    """An ``(NF, m)`` float64 array (uninitialised content)."""
    return np.empty((NF, m), np.float64)


@njit(cache=True, nogil=True, inline="always")
def _no_finite(out, b):
    """Bucket ``b`` holds no finite value: min/max NaN, their positions, steps and times -1."""
    out[2, b] = np.nan
    out[3, b] = np.nan
    for f in (4, 5, 12, 13, 16, 17):
        out[f, b] = -1.0


@njit(cache=True, nogil=True)
def _raw_records(step, value, time, base, starts, out):
    nb = starts.shape[0] - 1
    inf = np.inf
    for b in range(nb):
        a = starts[b]
        e = starts[b + 1]
        mn = inf
        mx = -inf
        imn = -1
        imx = -1
        s = 0.0
        nnan = 0
        npinf = 0
        nninf = 0
        for i in range(a, e):
            v = value[i]
            if v != v:
                nnan += 1
            elif v == inf:
                npinf += 1
            elif v == -inf:
                nninf += 1
            else:
                s += v
                if v < mn:
                    mn = v
                    imn = i
                if v > mx:
                    mx = v
                    imx = i
        out[0, b] = value[a]
        out[1, b] = value[e - 1]
        out[6, b] = s
        out[7, b] = nnan
        out[8, b] = npinf
        out[9, b] = nninf
        out[10, b] = step[a]
        out[11, b] = step[e - 1]
        out[14, b] = time[a]
        out[15, b] = time[e - 1]
        out[18, b] = base + a
        out[19, b] = e - a
        if imn >= 0:
            out[2, b] = mn
            out[3, b] = mx
            out[4, b] = base + imn
            out[5, b] = base + imx
            out[12, b] = step[imn]
            out[13, b] = step[imx]
            out[16, b] = time[imn]
            out[17, b] = time[imx]
        else:
            _no_finite(out, b)


@njit(cache=True, nogil=True)
def _combine(rec, starts, out):
    nb = starts.shape[0] - 1
    for b in range(nb):
        a = starts[b]
        e = starts[b + 1]
        jmn = -1
        jmx = -1
        mn = np.inf
        mx = -np.inf
        s = 0.0
        c = 0.0
        nnan = 0.0
        npinf = 0.0
        nninf = 0.0
        for j in range(a, e):
            if rec[4, j] >= 0:
                if rec[2, j] < mn or jmn < 0:
                    mn = rec[2, j]
                    jmn = j
                if rec[3, j] > mx or jmx < 0:
                    mx = rec[3, j]
                    jmx = j
            s += rec[6, j]
            nnan += rec[7, j]
            npinf += rec[8, j]
            nninf += rec[9, j]
            c += rec[19, j]
        out[0, b] = rec[0, a]
        out[1, b] = rec[1, e - 1]
        out[6, b] = s
        out[7, b] = nnan
        out[8, b] = npinf
        out[9, b] = nninf
        out[10, b] = rec[10, a]
        out[11, b] = rec[11, e - 1]
        out[14, b] = rec[14, a]
        out[15, b] = rec[15, e - 1]
        out[18, b] = rec[18, a]
        out[19, b] = c
        if jmn >= 0:
            out[2, b] = rec[2, jmn]
            out[4, b] = rec[4, jmn]
            out[12, b] = rec[12, jmn]
            out[16, b] = rec[16, jmn]
            out[3, b] = rec[3, jmx]
            out[5, b] = rec[5, jmx]
            out[13, b] = rec[13, jmx]
            out[17, b] = rec[17, jmx]
        else:
            _no_finite(out, b)


def _check_starts(starts, n: int, name: str) -> np.ndarray:
    starts = np.ascontiguousarray(starts, dtype=np.int64)
    if starts.ndim != 1 or starts.shape[0] < 1:
        raise ValueError(f"{name}: must be a 1-D array of at least one boundary (given shape {starts.shape})")
    if starts.shape[0] > 1 and (starts[0] < 0 or starts[-1] > n or np.any(np.diff(starts) <= 0)):
        raise ValueError(f"{name}: must be strictly increasing within [0, {n}] (every group non-empty)")
    return starts


def raw_records(step, value, time, starts, base: int = 0) -> np.ndarray:
    """Records of raw points grouped ``[starts[j], starts[j+1])``; indices offset by ``base``.

    ``step`` int64, ``value`` float64, ``time`` int64 (ms), equal length. Every group
    must be non-empty. Cost: one pass over the points, O(len(starts)) memory.
    """
    step = np.ascontiguousarray(step, dtype=np.int64)
    value = np.ascontiguousarray(value, dtype=np.float64)
    time = np.ascontiguousarray(time, dtype=np.int64)
    starts = _check_starts(starts, value.shape[0], "starts")
    out = empty_records(starts.shape[0] - 1)
    if out.shape[1]:
        _raw_records(step, value, time, int(base), starts, out)
    return out


def combine(rec, starts) -> np.ndarray:
    """Merge consecutive records grouped ``[starts[j], starts[j+1])`` into one record each.

    The records of a group must cover consecutive raw runs in order. Ties on min/max
    keep the earlier record (so the first occurrence). Cost: one pass over ``rec``.
    """
    rec = np.ascontiguousarray(rec, dtype=np.float64)
    if rec.ndim != 2 or rec.shape[0] != NF:
        raise ValueError(f"rec: must have shape ({NF}, m) (given {rec.shape})")
    starts = _check_starts(starts, rec.shape[1], "starts")
    out = empty_records(starts.shape[0] - 1)
    if out.shape[1]:
        _combine(rec, starts, out)
    return out


# ---------------------------------------------------------------------------
# NumPy references (test oracles)
# ---------------------------------------------------------------------------


def _ref_one(idx, step, value, time):
    v = value[idx]
    fin = np.isfinite(v)
    r = np.full(NF, -1.0)
    r[FIRST_V], r[LAST_V] = v[0], v[-1]
    r[SUM] = float(np.cumsum(v[fin])[-1]) if fin.any() else 0.0  # sequential, as the kernel adds
    r[NNAN] = np.isnan(v).sum()
    r[NPINF] = (v == np.inf).sum()
    r[NNINF] = (v == -np.inf).sum()
    r[FIRST_S], r[LAST_S] = step[idx[0]], step[idx[-1]]
    r[FIRST_T], r[LAST_T] = time[idx[0]], time[idx[-1]]
    r[I0], r[COUNT] = idx[0], len(idx)
    r[MIN_V] = r[MAX_V] = np.nan
    if fin.any():
        fi = idx[fin]
        i_mn = fi[int(np.argmin(v[fin]))]
        i_mx = fi[int(np.argmax(v[fin]))]
        r[MIN_V], r[MAX_V] = value[i_mn], value[i_mx]
        r[IMIN], r[IMAX] = i_mn, i_mx
        r[MIN_S], r[MAX_S] = step[i_mn], step[i_mx]
        r[MIN_T], r[MAX_T] = time[i_mn], time[i_mx]
    return r


def ref_raw_records(step, value, time, starts, base: int = 0) -> np.ndarray:
    """Slow reference of :func:`raw_records` (python loop over groups)."""
    step = np.asarray(step, np.int64)
    value = np.asarray(value, np.float64)
    time = np.asarray(time, np.int64)
    cols = []
    for a, e in zip(starts[:-1], starts[1:]):
        r = _ref_one(np.arange(a, e), step, value, time)
        for f in (IMIN, IMAX, I0):
            if r[f] >= 0:
                r[f] += base
        cols.append(r)
    return np.stack(cols, axis=1) if cols else empty_records(0)


def ref_combine(rec, starts) -> np.ndarray:
    """Reference of :func:`combine` defined through the raw points the records stand for.

    Rebuilds, for each group, the min/max candidates from the records' fields with
    NumPy and picks the first occurrence, independently of the kernel's loop.
    """
    cols = []
    for a, e in zip(starts[:-1], starts[1:]):
        g = rec[:, a:e]
        r = np.empty(NF)
        r[FIRST_V], r[LAST_V] = g[FIRST_V, 0], g[LAST_V, -1]
        r[FIRST_S], r[LAST_S] = g[FIRST_S, 0], g[LAST_S, -1]
        r[FIRST_T], r[LAST_T] = g[FIRST_T, 0], g[LAST_T, -1]
        r[I0], r[COUNT] = g[I0, 0], g[COUNT].sum()
        r[SUM] = np.cumsum(g[SUM])[-1]
        r[NNAN], r[NPINF], r[NNINF] = g[NNAN].sum(), g[NPINF].sum(), g[NNINF].sum()
        has = g[IMIN] >= 0
        if has.any():
            jn = np.flatnonzero(has)[int(np.argmin(g[MIN_V, has]))]
            jx = np.flatnonzero(has)[int(np.argmax(g[MAX_V, has]))]
            for f_v, f_i, f_s, f_t, j in ((MIN_V, IMIN, MIN_S, MIN_T, jn), (MAX_V, IMAX, MAX_S, MAX_T, jx)):
                r[f_v], r[f_i], r[f_s], r[f_t] = g[f_v, j], g[f_i, j], g[f_s, j], g[f_t, j]
        else:
            r[MIN_V] = r[MAX_V] = np.nan
            r[IMIN] = r[IMAX] = r[MIN_S] = r[MAX_S] = r[MIN_T] = r[MAX_T] = -1.0
        cols.append(r)
    return np.stack(cols, axis=1) if cols else empty_records(0)


def ready() -> bool:
    """Whether the kernels the store's write path calls (scan, time conversion, roll-ups) are
    compiled in this process, so a call would not wait for numba. Stateless: it asks the
    dispatchers. Until then the store uses NumPy versions (``ringlog.store._kern``); the SDK's
    warm-up thread compiles them (:func:`ringlog.core.warmup`)."""
    return all(k.signatures for k in (_scan_values, _seconds_to_ms, _raw_records, _combine))


def warm() -> None:
    """Compile (or load from cache) both kernels on tiny inputs."""
    s = np.arange(4, dtype=np.int64)
    rec = raw_records(s, np.array([1.0, np.nan, 3.0, 0.5]), s, np.array([0, 2, 4]))
    combine(rec, np.array([0, 2]))
    scan_values(np.array([1.0, np.nan]))
    undelta_seconds(np.array([5, 1], np.int64), 0, 2, 1.0, 1e-3, np.empty(2))
    seconds_to_ms(np.array([1.0, 2.0]), 0.0, 1e3)


@njit(cache=True, nogil=True)
def _scan_values(value):
    exact = True
    n_fin = 0
    total = 0.0
    mn = np.inf
    mx = -np.inf
    for i in range(value.shape[0]):
        v = value[i]
        if v != v:
            continue
        if exact and np.float64(np.float32(v)) != v:
            exact = False
        if v != np.inf and v != -np.inf:
            n_fin += 1
            total += v
            if v < mn:
                mn = v
            if v > mx:
                mx = v
    return exact, n_fin, total, mn, mx


def scan_values(value) -> tuple[bool, int, float, float]:
    """One pass over float64 values: (every value exactly a float32 (NaN counts as exact),
    number of finite values, finite min, finite max). Min/max are +inf/-inf when none is finite."""
    exact, n_fin, _, mn, mx = _scan_values(np.ascontiguousarray(value, dtype=np.float64))
    return bool(exact), int(n_fin), float(mn), float(mx)


def scan_batch(value) -> tuple[bool, int, float, float, float]:
    """:func:`scan_values` plus the sum of the finite values (added in order), in the same single
    pass: ``(exact, n_finite, finite_sum, finite_min, finite_max)``. The store's series writer runs
    it once per batch it writes; the result feeds :class:`ringlog.core.stats.SeriesStats`."""
    exact, n_fin, total, mn, mx = _scan_values(np.ascontiguousarray(value, dtype=np.float64))
    return bool(exact), int(n_fin), float(total), float(mn), float(mx)


def ref_scan_values(value) -> tuple[bool, int, float, float]:
    """NumPy reference of :func:`scan_values`."""
    v = np.asarray(value, np.float64)
    with np.errstate(over="ignore"):
        exact = bool(np.array_equal(v.astype(np.float32).astype(np.float64), v, equal_nan=True))
    fin = v[np.isfinite(v)]
    return exact, int(fin.size), float(fin.min()) if fin.size else np.inf, float(fin.max()) if fin.size else -np.inf


def ref_scan_batch(value) -> tuple[bool, int, float, float, float]:
    """NumPy reference of :func:`scan_batch` (the sum sequential, as the kernel adds)."""
    exact, n_fin, mn, mx = ref_scan_values(value)
    fin = np.asarray(value, np.float64)
    fin = fin[np.isfinite(fin)]
    return exact, n_fin, float(np.cumsum(fin)[-1]) if fin.size else 0.0, mn, mx


@njit(cache=True, nogil=True)
def _undelta_seconds(deltas, k, m, origin, res, out):
    acc = 0
    for i in range(k):
        acc += deltas[i]
    for i in range(m):
        acc += deltas[k + i]
        out[i] = origin + acc * res
    return acc


def undelta_seconds(deltas, k: int, m: int, origin: float, res: float, out) -> None:
    """``out[i] = origin + res * cumsum(deltas)[k + i]`` for ``i < m``: a delta-encoded int time
    chunk straight to float seconds in one pass (instead of cumsum, multiply, add)."""
    _undelta_seconds(deltas, int(k), int(m), float(origin), float(res), out)


@njit(cache=True, nogil=True)
def _seconds_to_ms(t, origin, inv_res, out):
    srt = True
    for i in range(t.shape[0]):
        x = t[i]
        if not (x - x == 0.0):  # NaN or +-Inf
            return i, srt
        out[i] = np.int64(np.rint((x - origin) * inv_res))
        if i and out[i] < out[i - 1]:
            srt = False
    return -1, srt


def seconds_to_ms(t, origin: float, inv_res: float):
    """``rint((t - origin) * inv_res)`` as int64 in one pass (NumPy takes four, with temporaries).

    Returns ``(out, bad, sorted)``: ``bad`` is the index of the first non-finite time
    (``out`` is then incomplete) or -1; ``sorted`` whether ``out`` is non-decreasing."""
    t = np.ascontiguousarray(t, dtype=np.float64)
    out = np.empty(t.shape[0], np.int64)
    bad, srt = _seconds_to_ms(t, float(origin), float(inv_res), out)
    return out, int(bad), bool(srt)
