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

_BLOCK = 1024


@njit(cache=True, nogil=True)
def _block_size(n):
    """Block length for a bucket of ``n`` values: about n/8 (so the rescan of the block
    holding an extreme costs ~1/8 of a pass), a multiple of 64, within [256, 4096]."""
    return max(256, min(4096, (n // 8) & ~63))


@njit(cache=True, nogil=True)
def _block_keys_i32(blk):
    big = np.int32(0x7FFFFFFF)
    small = np.int32(-0x80000000)
    mag = np.int32(0x7FFFFFFF)
    expo = np.int32(0x7F800000)
    lmn = big
    lmx = small
    nf = np.int32(0)
    # numba widens int32 arithmetic to int64 (half the SIMD lanes): cast every step back
    for i in range(blk.shape[0]):
        u = blk[i]
        s = np.int32(u >> np.int32(31))
        k = np.int32(np.int32(u ^ np.int32(s & mag)) - s)
        fin = np.int32(u & expo) != expo
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


_SUB = 64


@njit(cache=True, nogil=True)
def _hits_i32(blk, key):
    mag = np.int32(0x7FFFFFFF)
    hits = np.int32(0)
    for i in range(blk.shape[0]):
        u = blk[i]
        s = np.int32(u >> np.int32(31))
        hits += np.int32(np.int32(np.int32(u ^ np.int32(s & mag)) - s) == key)
    return hits


@njit(cache=True, nogil=True)
def _first_key_i32(blk, key):
    """First i with key(blk[i]) == key: a vectorized hit count per 64 values, then a
    scalar scan of the one sub-block that holds it (a plain early-exit loop over the
    whole block does not vectorize and costs as much as the reduction itself)."""
    mag = np.int32(0x7FFFFFFF)
    n = blk.shape[0]
    for c in range(0, n, _SUB):
        e = min(c + _SUB, n)
        if _hits_i32(blk[c:e], key) > 0:
            for i in range(c, e):
                u = blk[i]
                s = np.int32(u >> np.int32(31))
                if np.int32(np.int32(u ^ np.int32(s & mag)) - s) == key:
                    return i
    return -1


@njit(cache=True, nogil=True)
def _hits_i64(blk, key):
    mag = np.int64(0x7FFFFFFFFFFFFFFF)
    hits = np.int64(0)
    for i in range(blk.shape[0]):
        u = blk[i]
        s = u >> 63
        hits += np.int64(((u ^ (s & mag)) - s) == key)
    return hits


@njit(cache=True, nogil=True)
def _first_key_i64(blk, key):
    """:func:`_first_key_i32` for int64 bit patterns."""
    mag = np.int64(0x7FFFFFFFFFFFFFFF)
    n = blk.shape[0]
    for c in range(0, n, _SUB):
        e = min(c + _SUB, n)
        if _hits_i64(blk[c:e], key) > 0:
            for i in range(c, e):
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
        blk = _block_size(e - a)
        for s in range(a, e, blk):
            t = min(s + blk, e)
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
            imin[j] = bmn + _first_key_i32(bits[bmn:min(bmn + blk, e)], mn)
            imax[j] = bmx + _first_key_i32(bits[bmx:min(bmx + blk, e)], mx)
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
        blk = _block_size(e - a)
        for s in range(a, e, blk):
            t = min(s + blk, e)
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
            imin[j] = bmn + _first_key_i64(bits[bmn:min(bmn + blk, e)], mn)
            imax[j] = bmx + _first_key_i64(bits[bmx:min(bmx + blk, e)], mx)
    return imin, imax, nnf


# LTTB sums: y (and float x) are summed in 8 interleaved lanes — element a + 8m + k
# goes to lane k, each lane in order, then 0.0 + s0 + ... + s7 — so the loop
# vectorizes and the NumPy reference reproduces the rounding exactly. Non-finite
# y add 0.0 (an exact no-op: a lane starting at +0.0 never holds -0.0).


@njit(cache=True, nogil=True)
def _lane_sum_y(y, a, e):
    """(sum, count) of the finite values of ``y[a:e]``, 8-lane order."""
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    c = np.int64(0)
    m = a + ((e - a) // 8) * 8
    for i in range(a, m, 8):
        v = np.float64(y[i + 0])
        f = v - v == 0.0
        s0 += v if f else 0.0
        c += f
        v = np.float64(y[i + 1])
        f = v - v == 0.0
        s1 += v if f else 0.0
        c += f
        v = np.float64(y[i + 2])
        f = v - v == 0.0
        s2 += v if f else 0.0
        c += f
        v = np.float64(y[i + 3])
        f = v - v == 0.0
        s3 += v if f else 0.0
        c += f
        v = np.float64(y[i + 4])
        f = v - v == 0.0
        s4 += v if f else 0.0
        c += f
        v = np.float64(y[i + 5])
        f = v - v == 0.0
        s5 += v if f else 0.0
        c += f
        v = np.float64(y[i + 6])
        f = v - v == 0.0
        s6 += v if f else 0.0
        c += f
        v = np.float64(y[i + 7])
        f = v - v == 0.0
        s7 += v if f else 0.0
        c += f
    if m + 0 < e:
        v = np.float64(y[m + 0])
        f = v - v == 0.0
        s0 += v if f else 0.0
        c += f
    if m + 1 < e:
        v = np.float64(y[m + 1])
        f = v - v == 0.0
        s1 += v if f else 0.0
        c += f
    if m + 2 < e:
        v = np.float64(y[m + 2])
        f = v - v == 0.0
        s2 += v if f else 0.0
        c += f
    if m + 3 < e:
        v = np.float64(y[m + 3])
        f = v - v == 0.0
        s3 += v if f else 0.0
        c += f
    if m + 4 < e:
        v = np.float64(y[m + 4])
        f = v - v == 0.0
        s4 += v if f else 0.0
        c += f
    if m + 5 < e:
        v = np.float64(y[m + 5])
        f = v - v == 0.0
        s5 += v if f else 0.0
        c += f
    if m + 6 < e:
        v = np.float64(y[m + 6])
        f = v - v == 0.0
        s6 += v if f else 0.0
        c += f
    return 0.0 + s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7, c


@njit(cache=True, nogil=True)
def _lane_sum_x(x, y, a, e, x0):
    """Sum of ``x[i] - x0`` over the finite y of ``[a, e)``, 8-lane order (float x)."""
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    m = a + ((e - a) // 8) * 8
    for i in range(a, m, 8):
        v = np.float64(y[i + 0])
        s0 += (np.float64(x[i + 0]) - x0) if v - v == 0.0 else 0.0
        v = np.float64(y[i + 1])
        s1 += (np.float64(x[i + 1]) - x0) if v - v == 0.0 else 0.0
        v = np.float64(y[i + 2])
        s2 += (np.float64(x[i + 2]) - x0) if v - v == 0.0 else 0.0
        v = np.float64(y[i + 3])
        s3 += (np.float64(x[i + 3]) - x0) if v - v == 0.0 else 0.0
        v = np.float64(y[i + 4])
        s4 += (np.float64(x[i + 4]) - x0) if v - v == 0.0 else 0.0
        v = np.float64(y[i + 5])
        s5 += (np.float64(x[i + 5]) - x0) if v - v == 0.0 else 0.0
        v = np.float64(y[i + 6])
        s6 += (np.float64(x[i + 6]) - x0) if v - v == 0.0 else 0.0
        v = np.float64(y[i + 7])
        s7 += (np.float64(x[i + 7]) - x0) if v - v == 0.0 else 0.0
    if m + 0 < e:
        v = np.float64(y[m + 0])
        s0 += (np.float64(x[m + 0]) - x0) if v - v == 0.0 else 0.0
    if m + 1 < e:
        v = np.float64(y[m + 1])
        s1 += (np.float64(x[m + 1]) - x0) if v - v == 0.0 else 0.0
    if m + 2 < e:
        v = np.float64(y[m + 2])
        s2 += (np.float64(x[m + 2]) - x0) if v - v == 0.0 else 0.0
    if m + 3 < e:
        v = np.float64(y[m + 3])
        s3 += (np.float64(x[m + 3]) - x0) if v - v == 0.0 else 0.0
    if m + 4 < e:
        v = np.float64(y[m + 4])
        s4 += (np.float64(x[m + 4]) - x0) if v - v == 0.0 else 0.0
    if m + 5 < e:
        v = np.float64(y[m + 5])
        s5 += (np.float64(x[m + 5]) - x0) if v - v == 0.0 else 0.0
    if m + 6 < e:
        v = np.float64(y[m + 6])
        s6 += (np.float64(x[m + 6]) - x0) if v - v == 0.0 else 0.0
    return 0.0 + s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7


@njit(cache=True, nogil=True)
def _int_sum_x(x, y, use_index, a, e, x0):
    """Exact int64 sum of ``x[i] - x0`` (``i - x0`` for the index) over the finite y of ``[a, e)``."""
    acc = np.int64(0)
    if use_index:
        for i in range(a, e):
            v = np.float64(y[i])
            acc += (i - x0) if v - v == 0.0 else 0
    else:
        for i in range(a, e):
            v = np.float64(y[i])
            acc += (np.int64(x[i]) - x0) if v - v == 0.0 else 0
    return acc


@njit(cache=True, nogil=True)
def _area_keys(x, y, use_index, a, e, ax, ay, dx, dy, out):
    """Write the triangle areas of ``[a, e)`` into ``out[:e-a]`` (float64 bits) and
    return their largest order key (see the extrema kernels). Area:
    |dx*(y-ay) - (ax-x)*dy|; a NaN area ranks as -1.0 (below any
    real area), a non-finite y as -2.0 (never chosen while a finite y exists)."""
    mag = np.int64(0x7FFFFFFFFFFFFFFF)
    fout = out.view(np.float64)
    for i in range(a, e):
        v = np.float64(y[i])
        xb = np.float64(i) if use_index else np.float64(x[i])
        area = abs(dx * (v - ay) - (ax - xb) * dy)
        area = area if area == area else -1.0
        fout[i - a] = area if v - v == 0.0 else -2.0
    n = e - a
    best = np.int64(-0x8000000000000000)
    for i in range(n):
        u = out[i]
        s = u >> 63
        best = max(best, (u ^ (s & mag)) - s)
    return best


@njit(cache=True, nogil=True)
def lttb_kernel(x, y, use_index, xsum_int, starts, p0, pl, n_out):
    """Largest-Triangle-Three-Buckets over the finite values of ``y``.

    ``p0``/``pl`` are the first/last finite points (always kept); the middle
    buckets are ``[starts[j], starts[j+1])`` (equal-width in x, computed by the
    caller). Non-finite y are skipped everywhere; empty buckets are skipped.
    When at most ``n_out`` finite points exist in ``[p0, pl]``, all of them are
    returned. x is ``float(i)`` when ``use_index``; ``xsum_int`` says x holds
    integers (bucket means of x are then computed from exact int64 sums).
    Per bucket the chosen point maximizes ``|(ax-cx)*(yb-ay) - (ax-xb)*(cy-ay)|``
    (first on ties), where a is the previous choice and c the mean of the next
    non-empty bucket (or the last point). Cost: two vectorized passes, O(n).
    """
    nb = starts.shape[0] - 1
    x0 = np.float64(p0) if use_index else np.float64(x[p0])
    x0i = np.int64(p0) if use_index else (np.int64(x[p0]) if xsum_int else np.int64(0))
    mx = np.zeros(nb, np.float64)
    my = np.zeros(nb, np.float64)
    cnt = np.zeros(nb, np.int64)
    total = 0
    for j in range(nb):
        a = starts[j]
        e = starts[j + 1]
        sy, c = _lane_sum_y(y, a, e)
        cnt[j] = c
        total += c
        if c == 0:
            continue
        if use_index or xsum_int:
            sx = np.float64(_int_sum_x(x, y, use_index, a, e, x0i))
        else:
            sx = _lane_sum_x(x, y, a, e, x0)
        mx[j] = x0 + sx / c
        my[j] = sy / c
    if total + 2 <= n_out or p0 == pl:
        out = np.empty(total + 2, np.int64)
        k = 0
        for i in range(p0, pl + 1):
            v = np.float64(y[i])
            if v - v == 0.0:
                out[k] = i
                k += 1
        return out[:k]
    buf = np.empty(_BLOCK, np.int64)
    out = np.empty(nb + 2, np.int64)
    out[0] = p0
    k = 1
    ax = x0
    ay = np.float64(y[p0])
    xl = np.float64(pl) if use_index else np.float64(x[pl])
    cx = xl
    cy = np.float64(y[pl])
    nxt = -1  # next non-empty bucket after j, found scanning backwards
    nexts = np.full(nb, -1, np.int64)
    for j in range(nb - 1, -1, -1):
        nexts[j] = nxt
        if cnt[j] > 0:
            nxt = j
    for j in range(nb):
        if cnt[j] == 0:
            continue
        j2 = nexts[j]
        if j2 >= 0:
            cx = mx[j2]
            cy = my[j2]
        else:
            cx = xl
            cy = np.float64(y[pl])
        dx = ax - cx
        dy = cy - ay
        a = starts[j]
        e = starts[j + 1]
        best = np.int64(-0x8000000000000000)
        bblk = a
        for s in range(a, e, _BLOCK):
            t = min(s + _BLOCK, e)
            kb = _area_keys(x, y, use_index, s, t, ax, ay, dx, dy, buf)
            if kb > best:
                best = kb
                bblk = s
        t = min(bblk + _BLOCK, e)
        _area_keys(x, y, use_index, bblk, t, ax, ay, dx, dy, buf)
        bi = bblk + _first_key_i64(buf[: t - bblk], best)
        out[k] = bi
        k += 1
        ax = np.float64(bi) if use_index else np.float64(x[bi])
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
