"""Numba kernels of ringlog.core (private: call them through ring.py / decimate.py).

Every kernel is ``cache=True`` (compiled once per machine, then loaded from
numba's on-disk cache) and ``nogil=True`` (the SDK's flusher thread runs them
while the training loop keeps logging). Nothing here compiles at import time:
numba compiles lazily on the first call, or in :func:`ringlog.core.warmup`.

Arguments are assumed valid (the dispatch layers check them once); kernels do
not re-check shapes or dtypes.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Counting sort is used when the span of series ids is at most this many times
# the number of points (plus a constant): its count array is then small.
_COUNTING_SPAN_FACTOR = 4
_COUNTING_SPAN_CONST = 1 << 16


@njit(cache=True, nogil=True)
def group_ring(sid, step, value, time, head, size):
    """Group the ``size`` points held in a ring starting at ``head`` by series id.

    The ring is the four parallel arrays (capacity = ``sid.shape[0]``); logical
    point ``i`` lives at ``(head + i) % capacity``. Returns ``(sids, offsets,
    step, value, time)``: distinct ids ascending, and the points of ``sids[j]``
    at ``[offsets[j]:offsets[j+1]]`` in log order (the grouping is stable).

    Cost: one pass for the id range, one counting pass, one scatter pass —
    O(size + id span) when the ids span at most ~4x the point count, else a
    stable merge argsort, O(size log size).
    """
    cap = sid.shape[0]
    n1 = min(size, cap - head)
    n2 = size - n1
    out_step = np.empty(size, np.int64)
    out_value = np.empty(size, np.float64)
    out_time = np.empty(size, np.float64)
    if size == 0:
        return np.empty(0, np.int32), np.zeros(1, np.int64), out_step, out_value, out_time
    smin = np.int64(sid[head])
    smax = smin
    for i in range(head, head + n1):
        s = np.int64(sid[i])
        smin = min(smin, s)
        smax = max(smax, s)
    for i in range(n2):
        s = np.int64(sid[i])
        smin = min(smin, s)
        smax = max(smax, s)
    span = smax - smin + 1
    if span <= _COUNTING_SPAN_FACTOR * size + _COUNTING_SPAN_CONST:
        counts = np.zeros(span, np.int64)
        for i in range(head, head + n1):
            counts[np.int64(sid[i]) - smin] += 1
        for i in range(n2):
            counts[np.int64(sid[i]) - smin] += 1
        k = 0
        for j in range(span):
            if counts[j] > 0:
                k += 1
        sids = np.empty(k, np.int32)
        offsets = np.empty(k + 1, np.int64)
        pos = counts  # reused in place: count -> start position of each id
        acc = 0
        g = 0
        for j in range(span):
            c = pos[j]
            if c > 0:
                sids[g] = np.int32(j + smin)
                offsets[g] = acc
                g += 1
            pos[j] = acc
            acc += c
        offsets[k] = acc
        for i in range(head, head + n1):
            j = np.int64(sid[i]) - smin
            p = pos[j]
            out_step[p] = step[i]
            out_value[p] = value[i]
            out_time[p] = time[i]
            pos[j] = p + 1
        for i in range(n2):
            j = np.int64(sid[i]) - smin
            p = pos[j]
            out_step[p] = step[i]
            out_value[p] = value[i]
            out_time[p] = time[i]
            pos[j] = p + 1
        return sids, offsets, out_step, out_value, out_time
    # Sparse ids: stable merge argsort of the logical sequence.
    logical = np.empty(size, np.int64)
    for i in range(size):
        logical[i] = sid[(head + i) % cap]
    order = np.argsort(logical, kind="mergesort")
    k = 1
    for i in range(1, size):
        if logical[order[i]] != logical[order[i - 1]]:
            k += 1
    sids = np.empty(k, np.int32)
    offsets = np.empty(k + 1, np.int64)
    g = 0
    for i in range(size):
        o = order[i]
        if i == 0 or logical[o] != logical[order[i - 1]]:
            sids[g] = np.int32(logical[o])
            offsets[g] = i
            g += 1
        r = (head + o) % cap
        out_step[i] = step[r]
        out_value[i] = value[r]
        out_time[i] = time[r]
    offsets[k] = size
    return sids, offsets, out_step, out_value, out_time


# ---------------------------------------------------------------------------
# Per-bucket extrema over finite values.
#
# LLVM does not vectorize a float min/max loop without fast-math "no NaNs",
# and with that flag it may also delete our NaN checks. So the kernels work
# on the IEEE bit patterns as integers: for a finite float, the key
# ``(u ^ (s & MAG)) - s`` (s = sign mask) orders exactly like the float and
# maps -0.0 and +0.0 both to 0; integer min/max/select vectorize well.
# Each bucket is scanned in blocks of _BLOCK values (a branch-free, vectorized
# reduction per block); only the block that first produced the bucket's
# min (max) is scanned again to find the index of its first occurrence.
# ---------------------------------------------------------------------------

_BLOCK = 4096


@njit(cache=True, nogil=True)
def _block_keys_i32(blk):
    big = np.int32(0x7FFFFFFF)
    small = np.int32(-0x80000000)
    mag = np.int32(0x7FFFFFFF)
    expo = np.int32(0x7F800000)
    lmn = big
    lmx = small
    nf = np.int32(0)
    for i in range(blk.shape[0]):
        u = blk[i]
        s = u >> 31
        k = (u ^ (s & mag)) - s
        fin = (u & expo) != expo
        lmn = min(lmn, k if fin else big)
        lmx = max(lmx, k if fin else small)
        nf += np.int32(not fin)
    return lmn, lmx, nf


@njit(cache=True, nogil=True)
def _block_keys_i64(blk):
    big = np.int64(0x7FFFFFFFFFFFFFFF)
    small = np.int64(-0x8000000000000000)
    mag = np.int64(0x7FFFFFFFFFFFFFFF)
    expo = np.int64(0x7FF0000000000000)
    lmn = big
    lmx = small
    nf = np.int64(0)
    for i in range(blk.shape[0]):
        u = blk[i]
        s = u >> 63
        k = (u ^ (s & mag)) - s
        fin = (u & expo) != expo
        lmn = min(lmn, k if fin else big)
        lmx = max(lmx, k if fin else small)
        nf += np.int64(not fin)
    return lmn, lmx, nf


@njit(cache=True, nogil=True)
def _first_key_i32(blk, key):
    mag = np.int32(0x7FFFFFFF)
    for i in range(blk.shape[0]):
        u = blk[i]
        s = u >> 31
        if (u ^ (s & mag)) - s == key:
            return i
    return -1


@njit(cache=True, nogil=True)
def _first_key_i64(blk, key):
    mag = np.int64(0x7FFFFFFFFFFFFFFF)
    for i in range(blk.shape[0]):
        u = blk[i]
        s = u >> 63
        if (u ^ (s & mag)) - s == key:
            return i
    return -1


@njit(cache=True, nogil=True)
def extrema_f32(bits, starts):
    """Per bucket ``[starts[j], starts[j+1])`` of float32 data viewed as int32 ``bits``:
    return ``(imin, imax, n_nonfinite)`` int64 arrays; imin/imax are the first index
    of the finite minimum/maximum, -1 when the bucket has no finite value.
    Cost: one vectorized pass over the data, plus one block per bucket and extreme.
    """
    nb = starts.shape[0] - 1
    imin = np.full(nb, -1, np.int64)
    imax = np.full(nb, -1, np.int64)
    nnf = np.zeros(nb, np.int64)
    big = np.int32(0x7FFFFFFF)
    small = np.int32(-0x80000000)
    for j in range(nb):
        a = starts[j]
        e = starts[j + 1]
        mn = big
        mx = small
        bmn = -1
        bmx = -1
        total_nf = 0
        for s in range(a, e, _BLOCK):
            t = min(s + _BLOCK, e)
            lmn, lmx, nf = _block_keys_i32(bits[s:t])
            total_nf += nf
            if lmn < mn:
                mn = lmn
                bmn = s
            if lmx > mx:
                mx = lmx
                bmx = s
        nnf[j] = total_nf
        # A block of only non-finite values leaves mn == big (never "<" big).
        if bmn >= 0:
            imin[j] = bmn + _first_key_i32(bits[bmn:min(bmn + _BLOCK, e)], mn)
            imax[j] = bmx + _first_key_i32(bits[bmx:min(bmx + _BLOCK, e)], mx)
    return imin, imax, nnf


@njit(cache=True, nogil=True)
def extrema_f64(bits, starts):
    """:func:`extrema_f32` for float64 data viewed as int64 ``bits``."""
    nb = starts.shape[0] - 1
    imin = np.full(nb, -1, np.int64)
    imax = np.full(nb, -1, np.int64)
    nnf = np.zeros(nb, np.int64)
    big = np.int64(0x7FFFFFFFFFFFFFFF)
    small = np.int64(-0x8000000000000000)
    for j in range(nb):
        a = starts[j]
        e = starts[j + 1]
        mn = big
        mx = small
        bmn = -1
        bmx = -1
        total_nf = 0
        for s in range(a, e, _BLOCK):
            t = min(s + _BLOCK, e)
            lmn, lmx, nf = _block_keys_i64(bits[s:t])
            total_nf += nf
            if lmn < mn:
                mn = lmn
                bmn = s
            if lmx > mx:
                mx = lmx
                bmx = s
        nnf[j] = total_nf
        if bmn >= 0:
            imin[j] = bmn + _first_key_i64(bits[bmn:min(bmn + _BLOCK, e)], mn)
            imax[j] = bmx + _first_key_i64(bits[bmx:min(bmx + _BLOCK, e)], mx)
    return imin, imax, nnf


@njit(cache=True, nogil=True)
def _xval(x, use_index, i):
    if use_index:
        return np.float64(i)
    return np.float64(x[i])


@njit(cache=True, nogil=True)
def lttb_kernel(x, y, use_index, starts, p0, pl, n_out):
    """Largest-Triangle-Three-Buckets over the finite values of ``y``.

    ``p0``/``pl`` are the first/last finite points (always kept); the middle
    buckets are ``[starts[j], starts[j+1])`` (equal-width in x, computed by the
    caller). Non-finite y are skipped everywhere; empty buckets are skipped.
    When at most ``n_out`` finite points exist in ``[p0, pl]``, all of them are
    returned. x is ``float(i)`` when ``use_index``. Per bucket the chosen point
    maximizes ``|(ax-cx)*(yb-ay) - (ax-xb)*(cy-ay)|`` (first on ties), where a
    is the previous choice and c the mean of the next non-empty bucket (or the
    last point). Cost: two passes over the data, O(n).
    """
    nb = starts.shape[0] - 1
    sx = np.zeros(nb, np.float64)
    sy = np.zeros(nb, np.float64)
    cnt = np.zeros(nb, np.int64)
    total = 0
    for j in range(nb):
        for i in range(starts[j], starts[j + 1]):
            v = np.float64(y[i])
            if v - v == 0.0:
                sx[j] += _xval(x, use_index, i)
                sy[j] += v
                cnt[j] += 1
        total += cnt[j]
    if total + 2 <= n_out or p0 == pl:
        out = np.empty(total + 2, np.int64)
        k = 0
        for i in range(p0, pl + 1):
            v = np.float64(y[i])
            if v - v == 0.0:
                out[k] = i
                k += 1
        return out[:k]
    nxt = np.full(nb, -1, np.int64)
    after = -1
    for j in range(nb - 1, -1, -1):
        nxt[j] = after
        if cnt[j] > 0:
            after = j
    out = np.empty(nb + 2, np.int64)
    out[0] = p0
    k = 1
    ax = _xval(x, use_index, p0)
    ay = np.float64(y[p0])
    for j in range(nb):
        if cnt[j] == 0:
            continue
        j2 = nxt[j]
        if j2 >= 0:
            cx = sx[j2] / cnt[j2]
            cy = sy[j2] / cnt[j2]
        else:
            cx = _xval(x, use_index, pl)
            cy = np.float64(y[pl])
        best = -1.0
        bi = -1
        first = -1
        for i in range(starts[j], starts[j + 1]):
            v = np.float64(y[i])
            if not (v - v == 0.0):
                continue
            if first < 0:
                first = i
            xb = _xval(x, use_index, i)
            area = abs((ax - cx) * (v - ay) - (ax - xb) * (cy - ay))
            if area > best:  # NaN areas (inf - inf) never win
                best = area
                bi = i
        if bi < 0:
            bi = first
        out[k] = bi
        k += 1
        ax = _xval(x, use_index, bi)
        ay = np.float64(y[bi])
    out[k] = pl
    return out[: k + 1]


@njit(cache=True, nogil=True)
def first_unsorted(x):
    """Index of the first element of ``x`` that is not finite or is smaller than
    its predecessor, or -1 when ``x`` is sorted non-decreasing and finite. O(n)."""
    n = x.shape[0]
    for i in range(n):
        v = np.float64(x[i])
        if not (v - v == 0.0):
            return i
        if i > 0 and x[i] < x[i - 1]:
            return i
    return -1
