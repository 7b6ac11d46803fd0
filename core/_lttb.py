"""LTTB kernel (numba, ``cache=True``, ``nogil=True``); see ``decimate.lttb`` for semantics.

Speed notes. Every inner loop runs over a slice from index 0: numba cannot prove a
loop index ``range(a, e)`` is non-negative, so each access carries a wrap-around
check that stops LLVM from vectorizing; a slice's ``range(len)`` does not.
Bucket means use a fixed summation order (8 interleaved lanes, each in order, then
``0.0 + s0 + ... + s7``; integer x summed exactly as int64 offsets) so the NumPy
reference in ``_reference.py`` reproduces the rounding bit for bit while the 8
independent chains still run at several points per cycle. Areas are ranked by
their IEEE bits as integers (as in the extrema kernels), which vectorizes where a
float max reduction would not.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._kernels import _BLOCK, _first_key_i64

_SMALL_BUCKET = 64


@njit(cache=True, nogil=True)
def _count_finite(ys):
    c = np.int64(0)
    for i in range(ys.shape[0]):
        v = np.float64(ys[i])
        c += v - v == 0.0
    return c


@njit(cache=True, nogil=True)
def _lane_sum(vs, off):
    """Sum of ``vs[i] - off`` in the 8-lane order (every value finite)."""
    n = vs.shape[0]
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    m = (n // 8) * 8
    for i in range(0, m, 8):
        s0 += np.float64(vs[i + 0]) - off
        s1 += np.float64(vs[i + 1]) - off
        s2 += np.float64(vs[i + 2]) - off
        s3 += np.float64(vs[i + 3]) - off
        s4 += np.float64(vs[i + 4]) - off
        s5 += np.float64(vs[i + 5]) - off
        s6 += np.float64(vs[i + 6]) - off
        s7 += np.float64(vs[i + 7]) - off
    if m + 0 < n:
        s0 += np.float64(vs[m + 0]) - off
    if m + 1 < n:
        s1 += np.float64(vs[m + 1]) - off
    if m + 2 < n:
        s2 += np.float64(vs[m + 2]) - off
    if m + 3 < n:
        s3 += np.float64(vs[m + 3]) - off
    if m + 4 < n:
        s4 += np.float64(vs[m + 4]) - off
    if m + 5 < n:
        s5 += np.float64(vs[m + 5]) - off
    if m + 6 < n:
        s6 += np.float64(vs[m + 6]) - off
    return 0.0 + s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7


@njit(cache=True, nogil=True)
def _lane_sum_sel(vs, ys, off):
    """Sum of ``vs[i] - off`` over the i where ``ys[i]`` is finite, 8-lane order;
    the others add 0.0 (an exact no-op: a lane starting at +0.0 never holds -0.0)."""
    n = vs.shape[0]
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    m = (n // 8) * 8
    for i in range(0, m, 8):
        v = np.float64(ys[i + 0])
        s0 += (np.float64(vs[i + 0]) - off) if v - v == 0.0 else 0.0
        v = np.float64(ys[i + 1])
        s1 += (np.float64(vs[i + 1]) - off) if v - v == 0.0 else 0.0
        v = np.float64(ys[i + 2])
        s2 += (np.float64(vs[i + 2]) - off) if v - v == 0.0 else 0.0
        v = np.float64(ys[i + 3])
        s3 += (np.float64(vs[i + 3]) - off) if v - v == 0.0 else 0.0
        v = np.float64(ys[i + 4])
        s4 += (np.float64(vs[i + 4]) - off) if v - v == 0.0 else 0.0
        v = np.float64(ys[i + 5])
        s5 += (np.float64(vs[i + 5]) - off) if v - v == 0.0 else 0.0
        v = np.float64(ys[i + 6])
        s6 += (np.float64(vs[i + 6]) - off) if v - v == 0.0 else 0.0
        v = np.float64(ys[i + 7])
        s7 += (np.float64(vs[i + 7]) - off) if v - v == 0.0 else 0.0
    if m + 0 < n:
        v = np.float64(ys[m + 0])
        s0 += (np.float64(vs[m + 0]) - off) if v - v == 0.0 else 0.0
    if m + 1 < n:
        v = np.float64(ys[m + 1])
        s1 += (np.float64(vs[m + 1]) - off) if v - v == 0.0 else 0.0
    if m + 2 < n:
        v = np.float64(ys[m + 2])
        s2 += (np.float64(vs[m + 2]) - off) if v - v == 0.0 else 0.0
    if m + 3 < n:
        v = np.float64(ys[m + 3])
        s3 += (np.float64(vs[m + 3]) - off) if v - v == 0.0 else 0.0
    if m + 4 < n:
        v = np.float64(ys[m + 4])
        s4 += (np.float64(vs[m + 4]) - off) if v - v == 0.0 else 0.0
    if m + 5 < n:
        v = np.float64(ys[m + 5])
        s5 += (np.float64(vs[m + 5]) - off) if v - v == 0.0 else 0.0
    if m + 6 < n:
        v = np.float64(ys[m + 6])
        s6 += (np.float64(vs[m + 6]) - off) if v - v == 0.0 else 0.0
    return 0.0 + s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7


@njit(cache=True, nogil=True)
def _int_sum(xs, ys, off, select):
    """Exact int64 sum of ``xs[i] - off`` (over finite ``ys[i]`` only when ``select``)."""
    acc = np.int64(0)
    if select:
        for i in range(xs.shape[0]):
            v = np.float64(ys[i])
            acc += (np.int64(xs[i]) - off) if v - v == 0.0 else 0
    else:
        for i in range(xs.shape[0]):
            acc += np.int64(xs[i]) - off
    return acc


@njit(cache=True, nogil=True)
def _area(v, xb, ax, ay, dx, dy):
    """Triangle area rank value: the area; a NaN area ranks as -1.0 (below any real
    area), a non-finite y as -2.0 (never chosen while a finite y exists)."""
    area = abs(dx * (v - ay) - (ax - xb) * dy)
    area = area if area == area else -1.0
    return area if v - v == 0.0 else -2.0


@njit(cache=True, nogil=True)
def _area_keys(xs, ys, use_index, base, ax, ay, dx, dy, out):
    """Areas of the points of a block (x = ``base + i`` when ``use_index``) into
    ``out[:len]`` as float64 bits; return their largest order key."""
    n = ys.shape[0]
    fout = out.view(np.float64)
    if use_index:
        for i in range(n):
            fout[i] = _area(np.float64(ys[i]), np.float64(base + i), ax, ay, dx, dy)
    else:
        for i in range(n):
            fout[i] = _area(np.float64(ys[i]), np.float64(xs[i]), ax, ay, dx, dy)
    mag = np.int64(0x7FFFFFFFFFFFFFFF)
    best = np.int64(-0x8000000000000000)
    for i in range(n):
        u = out[i]
        s = u >> 63
        best = max(best, (u ^ (s & mag)) - s)
    return best


@njit(cache=True, nogil=True)
def _bucket_mean(x, y, use_index, xsum_int, a, e, x0, x0i):
    """(count of finite y, mean x, mean y) over ``[a, e)``; means are 0 when count is 0."""
    ys = y[a:e]
    c = _count_finite(ys)
    if c == 0:
        return c, 0.0, 0.0
    n = e - a
    if c == n:  # the common case: no non-finite value, so no selects
        sy = _lane_sum(ys, 0.0)
        if use_index:  # exact: sum of i - x0 over [a, e)
            sx = np.float64((a + e - 1 - 2 * x0i) * n // 2)
        elif xsum_int:
            sx = np.float64(_int_sum(x[a:e], ys, x0i, False))
        else:
            sx = _lane_sum(x[a:e], x0)
    else:
        sy = _lane_sum_sel(ys, ys, 0.0)
        if use_index:
            idx = np.arange(a, e)
            sx = np.float64(_int_sum(idx, ys, x0i, True))
        elif xsum_int:
            sx = np.float64(_int_sum(x[a:e], ys, x0i, True))
        else:
            sx = _lane_sum_sel(x[a:e], ys, x0)
    return c, x0 + sx / c, sy / c


@njit(cache=True, nogil=True)
def lttb_kernel(x, y, use_index, xsum_int, starts, p0, pl, n_out):
    """Largest-Triangle-Three-Buckets over the finite values of ``y``.

    ``p0``/``pl`` are the first/last finite points (always kept); the middle
    buckets are ``[starts[j], starts[j+1])`` (equal-width in x, computed by the
    caller). Non-finite y are skipped everywhere; empty buckets are skipped.
    When at most ``n_out`` finite points exist in ``[p0, pl]``, all of them are
    returned. x is ``float(i)`` when ``use_index``; ``xsum_int`` says x holds
    integers (bucket means of x then come from exact int64 sums).
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
        c, mxj, myj = _bucket_mean(x, y, use_index, xsum_int, starts[j], starts[j + 1], x0, x0i)
        cnt[j] = c
        mx[j] = mxj
        my[j] = myj
        total += c
    if total + 2 <= n_out or p0 == pl:
        out = np.empty(total + 2, np.int64)
        k = 0
        for i in range(p0, pl + 1):
            v = np.float64(y[i])
            if v - v == 0.0:
                out[k] = i
                k += 1
        return out[:k]
    nexts = np.full(nb, -1, np.int64)  # next non-empty bucket after j
    nxt = -1
    for j in range(nb - 1, -1, -1):
        nexts[j] = nxt
        if cnt[j] > 0:
            nxt = j
    buf = np.empty(_BLOCK, np.int64)
    out = np.empty(nb + 2, np.int64)
    out[0] = p0
    k = 1
    ax = x0
    ay = np.float64(y[p0])
    xl = np.float64(pl) if use_index else np.float64(x[pl])
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
        if e - a <= _SMALL_BUCKET:  # a scalar loop beats the block machinery; same ranking
            fbest = -3.0
            bi = a
            for i in range(a, e):
                xb = np.float64(i) if use_index else np.float64(x[i])
                r = _area(np.float64(y[i]), xb, ax, ay, dx, dy)
                if r > fbest:
                    fbest = r
                    bi = i
        else:
            best = np.int64(-0x8000000000000000)
            bblk = a
            last = a
            for s in range(a, e, _BLOCK):
                t = min(s + _BLOCK, e)
                kb = _area_keys(x[s:t] if not use_index else x, y[s:t], use_index, s, ax, ay, dx, dy, buf)
                last = s
                if kb > best:
                    best = kb
                    bblk = s
            t = min(bblk + _BLOCK, e)
            if bblk != last:  # the buffer holds the last block only
                _area_keys(x[bblk:t] if not use_index else x, y[bblk:t], use_index, bblk, ax, ay, dx, dy, buf)
            bi = bblk + _first_key_i64(buf[: t - bblk], best)
        out[k] = bi
        k += 1
        ax = np.float64(bi) if use_index else np.float64(x[bi])
        ay = np.float64(y[bi])
    out[k] = pl
    return out[: k + 1]
