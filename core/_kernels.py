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
