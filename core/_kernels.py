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
def _block_keys_nc_i32(blk):
    """:func:`_block_keys_i32` without the non-finite count (about 25% faster)."""
    big = np.int32(0x7FFFFFFF)
    small = np.int32(-0x80000000)
    mag = np.int32(0x7FFFFFFF)
    expo = np.int32(0x7F800000)
    lmn = big
    lmx = small
    for i in range(blk.shape[0]):
        u = blk[i]
        s = np.int32(u >> np.int32(31))
        k = np.int32(np.int32(u ^ np.int32(s & mag)) - s)
        fin = np.int32(u & expo) != expo
        lmn = min(lmn, k if fin else big)
        lmx = max(lmx, k if fin else small)
    return lmn, lmx


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
def _block_keys_nc_i64(blk):
    """:func:`_block_keys_i64` without the non-finite count (about 25% faster)."""
    big = np.int64(0x7FFFFFFFFFFFFFFF)
    small = np.int64(-0x8000000000000000)
    mag = np.int64(0x7FFFFFFFFFFFFFFF)
    expo = np.int64(0x7FF0000000000000)
    lmn = big
    lmx = small
    for i in range(blk.shape[0]):
        u = blk[i]
        s = u >> 63
        k = (u ^ (s & mag)) - s
        fin = (u & expo) != expo
        lmn = min(lmn, k if fin else big)
        lmx = max(lmx, k if fin else small)
    return lmn, lmx


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
def extrema_f32(bits, starts, count):
    """Per bucket ``[starts[j], starts[j+1])`` of float32 data viewed as int32 ``bits``:
    return ``(imin, imax, n_nonfinite)`` int64 arrays; imin/imax are the first index
    of the finite minimum/maximum, -1 when the bucket has no finite value;
    n_nonfinite is counted only when ``count`` (else zeros).
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
            if count:
                lmn, lmx, nf = _block_keys_i32(bits[s:t])
                total_nf += nf
            else:
                lmn, lmx = _block_keys_nc_i32(bits[s:t])
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
def extrema_f64(bits, starts, count):
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
            if count:
                lmn, lmx, nf = _block_keys_i64(bits[s:t])
                total_nf += nf
            else:
                lmn, lmx = _block_keys_nc_i64(bits[s:t])
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


@njit(cache=True, nogil=True)
def _count_unsorted(cur, prev):
    """Number of i with ``cur[i] < prev[i]`` or ``cur[i]`` not finite (vectorizes)."""
    bad = 0
    for i in range(cur.shape[0]):
        v = np.float64(cur[i])
        bad += (cur[i] < prev[i]) | (not (v - v == 0.0))
    return bad


@njit(cache=True, nogil=True)
def first_unsorted(x):
    """Index of the first element of ``x`` that is not finite or is smaller than
    its predecessor, or -1 when ``x`` is sorted non-decreasing and finite.
    One vectorized pass per 4096-value block; a scalar scan only in a bad block."""
    n = x.shape[0]
    if n == 0:
        return -1
    v = np.float64(x[0])
    if not (v - v == 0.0):
        return 0
    for s in range(1, n, 4096):
        t = min(s + 4096, n)
        if _count_unsorted(x[s:t], x[s - 1:t - 1]) > 0:
            for i in range(s, t):
                v = np.float64(x[i])
                if not (v - v == 0.0) or x[i] < x[i - 1]:
                    return i
    return -1
