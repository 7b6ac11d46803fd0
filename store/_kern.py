"""The write path's numeric steps, with NumPy versions for while the numba kernels compile.

A first run after install (an empty numba cache) compiles the pyramid kernels for seconds (~3 s
for these four, ~20 s for all of core's on this machine); nothing logged may wait for that
(issue 13). So each function here calls the compiled kernel when
:func:`ringlog.core.pyramid.ready` says it is compiled in this process, and otherwise a NumPy
version that returns the same bits (tested against the kernels in
``tests/store/test_tail_cold.py``; sums are sequential, as the kernels add). Cost of the NumPy
versions: a few passes with temporaries instead of one (measured ~5-10x slower per point, still
tens of millions of points per second for the roll-ups' regular groups).
"""

from __future__ import annotations

import math
import struct

import numpy as np

from ringlog.core import pyramid as pyr

NF = pyr.NF
SMALL = 16  # batches up to this many points take a plain-Python path (numpy's per-call overhead dominates)
_F32 = struct.Struct("<f")


_latch = [False]  # kernels never un-compile: once ready, skip the dispatcher check (~10 us a call)


def _ready() -> bool:
    if _latch[0]:
        return True
    _latch[0] = pyr.ready()
    return _latch[0]


def scan_batch(value):
    """:func:`ringlog.core.pyramid.scan_batch`: ``(exact, n_finite, finite_sum, finite_min, finite_max)``."""
    if _ready():
        return pyr.scan_batch(value)
    v = np.ascontiguousarray(value, dtype=np.float64)
    if v.shape[0] <= SMALL:
        return _scan_small(v.tolist())
    with np.errstate(over="ignore", invalid="ignore"):
        exact = bool(np.all((v.astype(np.float32).astype(np.float64) == v) | (v != v)))
    fin = v[np.isfinite(v)]
    if not fin.size:
        return exact, 0, 0.0, float(np.inf), float(-np.inf)
    total = float(np.cumsum(np.concatenate([[0.0], fin]))[-1])  # sequential, from +0.0, as the kernel adds
    return exact, int(fin.size), total, float(fin.min()), float(fin.max())


def _scan_small(vals):
    exact, n_fin, total, mn, mx = True, 0, 0.0, math.inf, -math.inf
    for x in vals:
        if x != x:
            continue
        if exact:
            try:
                exact = _F32.unpack(_F32.pack(x))[0] == x
            except OverflowError:  # beyond float32's range: float32(x) is inf, not x
                exact = False
        if x != math.inf and x != -math.inf:
            n_fin += 1
            total += x
            if x < mn:
                mn = x
            if x > mx:
                mx = x
    return exact, n_fin, total, mn, mx


def seconds_to_ms(t, origin: float, inv_res: float):
    """:func:`ringlog.core.pyramid.seconds_to_ms`: ``(out, bad, sorted)``."""
    if _ready():
        return pyr.seconds_to_ms(t, origin, inv_res)
    t = np.ascontiguousarray(t, dtype=np.float64)
    if t.shape[0] <= SMALL:
        out, o, r = [], float(origin), float(inv_res)
        for i, x in enumerate(t.tolist()):
            if not (x - x == 0.0):  # NaN or +-Inf
                return np.zeros(t.shape[0], np.int64), i, False
            out.append(round((x - o) * r))  # round half to even, as np.rint
        if all(-(1 << 62) < x < 1 << 62 for x in out):  # else numpy's conversion below, as the kernel's
            return np.array(out, np.int64), -1, all(a1 <= b1 for a1, b1 in zip(out, out[1:]))
    fin = np.isfinite(t)
    if not fin.all():
        bad = int(np.argmin(fin))
        out = np.zeros(t.shape[0], np.int64)
        return out, bad, False
    with np.errstate(invalid="ignore"):  # a time beyond int64 ms converts as the kernel's does (garbage in, out)
        out = np.rint((t - float(origin)) * float(inv_res)).astype(np.int64)
    return out, -1, bool(np.all(out[1:] >= out[:-1]))


def _regular(starts):
    """Group size when ``starts`` splits into equal groups, else 0."""
    starts = np.asarray(starts, np.int64)
    if starts.shape[0] < 2:
        return 0
    d = np.diff(starts)
    return int(d[0]) if d[0] > 0 and np.all(d == d[0]) else 0


def _seqsum(x):
    """Row sums of a 2-D array added left to right from +0.0 (the kernels' order)."""
    z = np.zeros((x.shape[0], 1))
    return np.cumsum(np.concatenate([z, x], axis=1), axis=1)[:, -1]


def raw_records(step, value, time, starts, base: int = 0) -> np.ndarray:
    """:func:`ringlog.core.pyramid.raw_records` (the write path's groups are equal: vectorised)."""
    g = _regular(starts)
    if _ready() or not g:
        return pyr.raw_records(step, value, time, starts, base) if _ready() else \
            pyr.ref_raw_records(step, value, time, np.asarray(starts, np.int64), base)
    a0, e = int(starts[0]), int(starts[-1])
    nb = (e - a0) // g
    st = np.asarray(step, np.int64)[a0:e].reshape(nb, g)
    v = np.asarray(value, np.float64)[a0:e].reshape(nb, g)
    tm = np.asarray(time, np.int64)[a0:e].reshape(nb, g)
    out = np.empty((NF, nb), np.float64)
    fin = np.isfinite(v)
    rows = np.arange(nb)
    imn = np.argmin(np.where(fin, v, np.inf), axis=1)
    imx = np.argmax(np.where(fin, v, -np.inf), axis=1)
    has = fin.any(axis=1)
    out[pyr.FIRST_V], out[pyr.LAST_V] = v[:, 0], v[:, -1]
    out[pyr.SUM] = _seqsum(np.where(fin, v, 0.0))
    out[pyr.NNAN] = np.isnan(v).sum(axis=1)
    out[pyr.NPINF] = (v == np.inf).sum(axis=1)
    out[pyr.NNINF] = (v == -np.inf).sum(axis=1)
    out[pyr.FIRST_S], out[pyr.LAST_S] = st[:, 0], st[:, -1]
    out[pyr.FIRST_T], out[pyr.LAST_T] = tm[:, 0], tm[:, -1]
    first = base + a0 + rows * g
    out[pyr.I0], out[pyr.COUNT] = first, g
    for f_v, f_i, f_s, f_t, i in ((pyr.MIN_V, pyr.IMIN, pyr.MIN_S, pyr.MIN_T, imn),
                                  (pyr.MAX_V, pyr.IMAX, pyr.MAX_S, pyr.MAX_T, imx)):
        out[f_v] = np.where(has, v[rows, i], np.nan)
        out[f_i] = np.where(has, first + i, -1.0)
        out[f_s] = np.where(has, st[rows, i], -1.0)
        out[f_t] = np.where(has, tm[rows, i], -1.0)
    return out


def combine(rec, starts) -> np.ndarray:
    """:func:`ringlog.core.pyramid.combine` (the write path's groups are equal: vectorised)."""
    g = _regular(starts)
    if _ready() or not g:
        return pyr.combine(rec, starts) if _ready() else pyr.ref_combine(rec, np.asarray(starts, np.int64))
    a0, e = int(starts[0]), int(starts[-1])
    nb = (e - a0) // g
    r = np.asarray(rec, np.float64)[:, a0:e].reshape(NF, nb, g)
    out = np.empty((NF, nb), np.float64)
    rows = np.arange(nb)
    valid = r[pyr.IMIN] >= 0
    has = valid.any(axis=1)
    jmn = np.argmin(np.where(valid, r[pyr.MIN_V], np.inf), axis=1)
    jmx = np.argmax(np.where(valid, r[pyr.MAX_V], -np.inf), axis=1)
    out[pyr.FIRST_V], out[pyr.LAST_V] = r[pyr.FIRST_V, :, 0], r[pyr.LAST_V, :, -1]
    out[pyr.SUM] = _seqsum(r[pyr.SUM])
    for f in (pyr.NNAN, pyr.NPINF, pyr.NNINF):
        out[f] = _seqsum(r[f])
    out[pyr.COUNT] = _seqsum(r[pyr.COUNT])
    for f_first, f_last in ((pyr.FIRST_S, pyr.LAST_S), (pyr.FIRST_T, pyr.LAST_T)):
        out[f_first], out[f_last] = r[f_first, :, 0], r[f_last, :, -1]
    out[pyr.I0] = r[pyr.I0, :, 0]
    for fields, j, none in (((pyr.MIN_V, pyr.IMIN, pyr.MIN_S, pyr.MIN_T), jmn, (np.nan, -1.0, -1.0, -1.0)),
                            ((pyr.MAX_V, pyr.IMAX, pyr.MAX_S, pyr.MAX_T), jmx, (np.nan, -1.0, -1.0, -1.0))):
        for f, fill in zip(fields, none):
            out[f] = np.where(has, r[f, rows, j], fill)
    return out
