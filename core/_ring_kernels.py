"""Numba kernels of the ring (private: call them through ring.py).

``group_ring`` groups the points a :class:`ringlog.core.ring.Ring` holds by series id (a
counting sort when the id span is small, else a stable argsort). Same rules as ``_kernels.py``:
``cache=True`` and ``nogil=True`` on every kernel, nothing compiled at import, arguments
assumed valid.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Counting sort is used when the span of series ids is at most this many times
# the number of points (plus a constant): its count array is then small.
_COUNTING_SPAN_FACTOR = 4
_COUNTING_SPAN_CONST = 1 << 16


@njit(cache=True, nogil=True)
def _id_range(sid, smin, smax):
    for i in range(sid.shape[0]):
        s = np.int64(sid[i])
        smin = min(smin, s)
        smax = max(smax, s)
    return smin, smax


@njit(cache=True, nogil=True)
def _count_ids(sid, smin, counts):
    for i in range(sid.shape[0]):
        counts[np.int64(sid[i]) - smin] += 1


_SCATTER_CHUNK = 2048


@njit(cache=True, nogil=True)
def _scatter(sid, step, value, time, smin, pos, dest, out_step, out_value, out_time):
    """Counting-sort scatter, a chunk at a time: first every point's destination
    (the only loop-carried dependency, through ``pos`` in L1), then one independent
    scatter loop per column — several times faster than one loop doing both."""
    n = sid.shape[0]
    for c in range(0, n, _SCATTER_CHUNK):
        m = min(_SCATTER_CHUNK, n - c)
        ids = sid[c:c + m]
        for i in range(m):
            j = np.int64(ids[i]) - smin
            p = pos[j]
            dest[i] = p
            pos[j] = p + 1
        src = step[c:c + m]
        for i in range(m):
            out_step[dest[i]] = src[i]
        srcv = value[c:c + m]
        for i in range(m):
            out_value[dest[i]] = srcv[i]
        srct = time[c:c + m]
        for i in range(m):
            out_time[dest[i]] = srct[i]


@njit(cache=True, nogil=True)
def group_ring(sid, step, value, time, head, size, out_step, out_value, out_time):
    """Group the ``size`` points held in a ring starting at ``head`` by series id.

    The ring is the four parallel arrays (capacity = ``sid.shape[0]``); logical
    point ``i`` lives at ``(head + i) % capacity``. Returns ``(sids, offsets,
    step, value, time)``: distinct ids ascending, and the points of ``sids[j]``
    at ``[offsets[j]:offsets[j+1]]`` in log order (the grouping is stable).
    ``out_*`` (length ``size``) are allocated by the caller: numpy's allocator asks
    for huge pages, so large outputs cost far fewer page faults than numba's.

    Cost: one pass for the id range, one counting pass, one scatter pass —
    O(size + id span) when the ids span at most ~4x the point count, else a
    stable merge argsort, O(size log size). The two ring segments are handled
    as slices (loops from 0 avoid numba's per-access wrap-around check).
    """
    cap = sid.shape[0]
    n1 = min(size, cap - head)
    n2 = size - n1
    if size == 0:
        return np.empty(0, np.int32), np.zeros(1, np.int64), out_step, out_value, out_time
    e1 = head + n1
    smin = np.int64(sid[head])
    smax = smin
    smin, smax = _id_range(sid[head:e1], smin, smax)
    smin, smax = _id_range(sid[:n2], smin, smax)
    span = smax - smin + 1
    if span <= _COUNTING_SPAN_FACTOR * size + _COUNTING_SPAN_CONST:
        counts = np.zeros(span, np.int64)
        _count_ids(sid[head:e1], smin, counts)
        _count_ids(sid[:n2], smin, counts)
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
        dest = np.empty(_SCATTER_CHUNK, np.int64)
        _scatter(sid[head:e1], step[head:e1], value[head:e1], time[head:e1], smin, pos, dest,
                 out_step, out_value, out_time)
        _scatter(sid[:n2], step[:n2], value[:n2], time[:n2], smin, pos, dest, out_step, out_value, out_time)
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
