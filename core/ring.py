"""A bounded struct-of-arrays ring buffer of logged scalar points.

Each point is (series id int32, step int64, value float64, wall time float64
unix seconds). A producer pushes batches with :meth:`Ring.push` (plain numpy
slice copies, so it works before any kernel has compiled) and a consumer
empties it with :meth:`Ring.drain`, which groups points by series with a numba
kernel that releases the GIL.

What it is for now: nothing on the write path. A single process does not need
it: the SDK's staging already groups points per series, and the flusher hands
those batches straight to the store (issue 12 removed the push-and-regroup
copy that sat on the path of every point). The ring is kept, with its tests and
benchmark, for the two jobs where points must cross a boundary in one
interleaved stream: a crash-persistent memory-mapped ring that staged points
are copied into every few milliseconds (durability, issue 13), and the channel
through which other processes of a task hand it their points (issue 16).

Not thread-safe: the caller holds one lock around ``push`` and ``drain``.
Memory: 24 bytes per slot, allocated once (``capacity=1<<20`` is 24 MiB).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from .errors import bad_type, bad_value

_INT32_MIN = -(2**31)
_INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class Drained:
    """Points removed from a ring, grouped by series (log order kept within each).

    ``sids``: int32 distinct series ids, ascending. ``offsets``: int64, length
    ``len(sids) + 1``; the points of ``sids[j]`` are ``step[offsets[j]:offsets[j+1]]``
    (likewise ``value`` and ``time``).
    """

    sids: np.ndarray
    offsets: np.ndarray
    step: np.ndarray
    value: np.ndarray
    time: np.ndarray

    def __len__(self) -> int:
        return int(self.step.shape[0])

    def series(self) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
        """Yield ``(sid, step, value, time)`` per series (views, no copies)."""
        o = self.offsets
        for j in range(self.sids.shape[0]):
            a, b = int(o[j]), int(o[j + 1])
            yield int(self.sids[j]), self.step[a:b], self.value[a:b], self.time[a:b]


class Ring:
    """Bounded FIFO of points, stored as four parallel numpy arrays.

    ``push`` copies as many points as fit and returns that count (the caller
    decides whether to wait for the flusher or raise; nothing is dropped
    silently). ``drain`` removes everything held.
    """

    __slots__ = ("_sid", "_step", "_value", "_time", "_cap", "_head", "_size")

    def __init__(self, capacity: int = 1 << 20) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, (int, np.integer)):
            raise bad_type("capacity", "must be an int", capacity)
        if capacity < 1:
            raise bad_value("capacity", "must be >= 1", capacity)
        cap = int(capacity)
        self._cap = cap
        self._sid = np.zeros(cap, np.int32)
        self._step = np.zeros(cap, np.int64)
        self._value = np.zeros(cap, np.float64)
        self._time = np.zeros(cap, np.float64)
        self._head = 0  # index of the oldest point
        self._size = 0

    @property
    def capacity(self) -> int:
        return self._cap

    @property
    def size(self) -> int:
        return self._size

    @property
    def free(self) -> int:
        return self._cap - self._size

    def __len__(self) -> int:
        return self._size

    def push(self, sid, step, value, time) -> int:
        """Append points; return how many were accepted (``min(len, free)``).

        ``step`` (integers), ``value`` (real numbers) are 1-D arrays of equal
        length; ``sid`` (int32 range) and ``time`` may each be a scalar that
        applies to every point, or such an array. Points beyond ``free`` are
        not copied: push the rest (``[accepted:]``) after a drain.
        Cost: O(accepted) numpy slice copies, no numba.
        """
        step = np.asarray(step)
        value = np.asarray(value)
        if step.ndim != 1:
            raise bad_value("step", "must be a 1-D array", f"shape {step.shape}")
        if step.dtype.kind not in "iu" and step.size:  # np.asarray([]) is float64: allow it
            raise bad_type("step", "must hold integers", f"dtype {step.dtype}")
        n = step.shape[0]
        if value.shape != (n,):
            raise bad_value("value", f"must be 1-D with len(step)={n} items", f"shape {value.shape}")
        if value.dtype.kind not in "biuf":
            raise bad_type("value", "must hold real numbers", f"dtype {value.dtype}")
        sid = self._check_sid(sid, n)
        time = self._check_time(time, n)
        k = min(n, self._cap - self._size)
        if k <= 0:
            return 0
        tail = (self._head + self._size) % self._cap
        first = min(k, self._cap - tail)
        self._copy(tail, 0, first, sid, step, value, time)
        if first < k:
            self._copy(0, first, k, sid, step, value, time)
        self._size += k
        return k

    def _copy(self, dst: int, a: int, b: int, sid, step, value, time) -> None:
        end = dst + (b - a)
        self._sid[dst:end] = sid if np.ndim(sid) == 0 else sid[a:b]
        self._step[dst:end] = step[a:b]
        self._value[dst:end] = value[a:b]
        self._time[dst:end] = time if np.ndim(time) == 0 else time[a:b]

    @staticmethod
    def _check_sid(sid, n: int):
        if np.ndim(sid) == 0:
            if isinstance(sid, (bool, np.bool_)) or not isinstance(sid, (int, np.integer)):
                raise bad_type("sid", "must be an int or an integer array", sid)
            if not _INT32_MIN <= int(sid) <= _INT32_MAX:
                raise bad_value("sid", "must fit in int32", sid)
            return int(sid)
        sid = np.asarray(sid)
        if sid.shape != (n,):
            raise bad_value("sid", f"must be a scalar or 1-D with len(step)={n} items", f"shape {sid.shape}")
        if sid.dtype.kind not in "iu":
            raise bad_type("sid", "must hold integers", f"dtype {sid.dtype}")
        if sid.dtype.itemsize > 4 or sid.dtype == np.uint32:
            if n and (int(sid.min()) < _INT32_MIN or int(sid.max()) > _INT32_MAX):
                raise bad_value("sid", "must fit in int32", f"range [{sid.min()}, {sid.max()}]")
        return sid

    @staticmethod
    def _check_time(time, n: int):
        if np.ndim(time) == 0:
            if isinstance(time, (bool, np.bool_)) or not isinstance(time, (int, float, np.integer, np.floating)):
                raise bad_type("time", "must be a real number or a 1-D array", time)
            return float(time)
        time = np.asarray(time)
        if time.shape != (n,):
            raise bad_value("time", f"must be a scalar or 1-D with len(step)={n} items", f"shape {time.shape}")
        if time.dtype.kind not in "iuf":
            raise bad_type("time", "must hold real numbers (unix seconds)", f"dtype {time.dtype}")
        return time

    def drain(self, use_kernel: bool = True) -> Drained:
        """Remove every point held and return them grouped by series (stable).

        ``use_kernel=True`` runs the numba counting-sort kernel (nogil; compiles
        on first use unless :func:`ringlog.core.warmup` ran). ``use_kernel=False``
        uses a numpy stable argsort instead, for use before warmup finishes;
        both return identical results. Cost: O(size) (kernel) or O(size log size).
        """
        head, size = self._head, self._size
        if use_kernel:
            from ._ring_kernels import group_ring

            out = group_ring(self._sid, self._step, self._value, self._time, head, size,
                             np.empty(size, np.int64), np.empty(size, np.float64), np.empty(size, np.float64))
        else:
            out = _group_numpy(self._sid, self._step, self._value, self._time, head, size)
        self._head = 0
        self._size = 0
        return Drained(*out)

    def drain_numpy(self) -> Drained:
        """:meth:`drain` without numba (for use before kernels are compiled)."""
        return self.drain(use_kernel=False)


def _group_numpy(sid, step, value, time, head: int, size: int):
    cap = sid.shape[0]
    idx = (np.arange(head, head + size, dtype=np.int64)) % cap
    s = sid[idx]
    order = np.argsort(s, kind="stable")
    gathered = idx[order]
    s_sorted = s[order]
    if size:
        starts = np.flatnonzero(np.r_[True, s_sorted[1:] != s_sorted[:-1]])
    else:
        starts = np.zeros(0, np.int64)
    sids = s_sorted[starts].astype(np.int32)
    offsets = np.append(starts, size).astype(np.int64)
    return sids, offsets, step[gathered], value[gathered], time[gathered]
