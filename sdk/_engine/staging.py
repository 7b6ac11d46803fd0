"""Python-side staging in front of the store's writer: what a logging call touches.

Cost model (the reason for this design): a numba call costs ~0.5-1 us to
dispatch and ``time.time()`` ~45 ns, while the whole budget of a per-call
``report_scalar`` is ~2x a bare ``list.append``. So the hot path is one dict
lookup plus two C-level appends and nothing else::

    va, sa = fast[title, series]   # bound array('d').append / array('q').append
    va(value); sa(iteration)       # C type checks double as validation

* Each series has its own buffer (``SeriesBuf``: ``array('d')`` values,
  ``array('q')`` steps). ``array.append`` rejects a str/None value or a float
  iteration with ``TypeError``, so bad input costs nothing until it happens.
* Wall times are not read per call. A light clock thread (``flusher.Clock``)
  records, every ``clock_period`` (10 ms), a mark ``(points so far, time)`` for
  each series that grew; a point's time is interpolated between the marks
  around it. Kept resolution: one clock period (plus GIL latency, usually
  < 5 ms); exact ordering is kept. Bulk arrays carry their own times.
* Only the flusher thread moves points out (``harvest``): it copies the first
  ``n = len(steps)`` points with a slice (no buffer export, so a concurrent
  ``append`` never fails) and deletes them with ``del a[:n]``; each of those is
  one atomic operation under the GIL and appends only add at the end, so the
  hot path needs no lock. Signals and Ctrl-C run in the main thread and never
  interrupt a harvest.
* When more than ``limit`` points wait (the flusher cannot keep up), the clock
  thread empties the fast dicts: the next call misses, takes the slow path and
  waits for the flusher (or raises ``RingFullError``), then the flusher refills
  them. So fullness costs the hot path nothing either. Bulk arrays queue behind
  the staged points of their series (order kept, no copy at harvest) under
  their own bound: ``report_array`` keeps at most two 1M-point chunks queued.
* The flusher hands each harvested batch straight to the store's ``TaskWriter``
  (no second copy). Summary figures (count, first/last, finite min/max/sum:
  ``ringlog.core.stats.SeriesStats``) are computed once per point, by the
  store's series writer as it writes the batch; a ``SeriesBuf`` reads those
  live figures and adds its batches still in flight (:meth:`Staging.summary`).

Assumption: one series is logged from one thread at a time (the usual case;
other threads logging *other* series is fine). Two threads appending to the
same series at the same instant may pair one thread's step with the other's
value.
"""

from __future__ import annotations

import threading
from array import array
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ringlog.core.stats import SeriesStats

__all__ = ["Batch", "SeriesBuf", "SeriesStats", "Staging"]  # SeriesStats: the summaries' type, from core


class SeriesBuf:
    """Points of one (title, series) waiting for the flusher, with clock marks."""

    __slots__ = ("lid", "title", "series", "v", "s", "base", "marks", "bulks", "pair", "_stats", "inflight")

    def __init__(self, lid: int, title: str, series: str, t0: float) -> None:
        self.lid = lid
        self.title = title
        self.series = series
        self.v = array("d")
        self.s = array("q")
        self.base = 0  # points already harvested
        self.marks = [(0, t0)]  # (points appended so far, wall time); first is the anchor
        self.bulks: list = []  # (count_at, steps, values, times) queued by report_scalar_array
        self.pair = (self.v.append, self.s.append)
        self._stats = SeriesStats()  # the store's figures once the series is bound to it (bind)
        self.inflight: tuple = ()  # harvested batches the flusher has not written (or dropped) yet

    @property
    def stats(self) -> SeriesStats:
        """Figures over every harvested point: the store's running figures (computed once, when
        written) plus the batches harvested but not written yet. O(1) unless a read lands while
        the flusher writes this series (then O(its in-flight points), on a copy)."""
        fl = self.inflight
        st = self._stats
        if not fl:
            return st
        # a read racing the write of a batch may count it twice for a few bytecodes (count and
        # mean only): the flusher drops a batch from ``inflight`` right after the store took it
        st = st.copy()
        for b in fl:
            st.update(b.step, b.value)
        return st

    def bind(self, stats: SeriesStats) -> None:
        """The store's live figures of this series (``TaskWriter.series_stats``) become its figures."""
        self._stats = stats

    def account(self, batch: "Batch") -> None:
        """No store: the figures of a batch are computed here (once) so summaries still hold it."""
        self._stats.update(batch.step, batch.value)

    def landed(self) -> None:
        """The oldest in-flight batch was written or dropped (the flusher handles them in order)."""
        self.inflight = self.inflight[1:]


@dataclass(eq=False)
class Batch:
    """One series' harvested points, in log order."""

    buf: SeriesBuf
    step: np.ndarray
    value: np.ndarray
    time: np.ndarray


class Staging:
    """All series buffers of one run, the fast-path dicts, and the fullness gate."""

    def __init__(self, limit: int, t0: float) -> None:
        self.lock = threading.Lock()
        self.limit = limit
        self.t0 = t0
        self.bufs: list[SeriesBuf] = []
        self.by_key: dict[tuple[str, str], SeriesBuf] = {}
        self.fast: dict = {}   # (title, series) -> (values.append, steps.append)
        self.wfast: dict = {}  # W&B key -> same pair (title == series == key)
        self.blocked = False
        self.closed = False
        self.room = threading.Event()
        self.room.set()
        self.waits = 0  # logging calls that found the staging full
        self.bulk_pending = 0
        # harvested points the flusher keeps for a retry after a failed cycle: they count against
        # ``limit`` like staged points, so a store that keeps failing makes callers wait (bounded)
        self.carried = 0

    # --- registration (slow path, any thread) --------------------------------
    def series(self, title: str, series: str) -> SeriesBuf:
        """The buffer of (title, series), created on first use; refills the fast dicts."""
        with self.lock:
            buf = self.by_key.get((title, series))
            if buf is None:
                buf = SeriesBuf(len(self.bufs), title, series, self.t0)
                self.bufs.append(buf)
                self.by_key[(title, series)] = buf
            if not self.blocked and not self.closed:
                self.fast[(title, series)] = buf.pair
                if title == series:
                    self.wfast[title] = buf.pair
            return buf

    def repair(self, title: str, series: str) -> None:
        """Drop a value appended without its step (the call was interrupted between the two)."""
        buf = self.by_key.get((title, series))
        if buf is not None:
            with self.lock:
                n = len(buf.s)
                if len(buf.v) > n:
                    del buf.v[n:]

    def add_bulk(self, buf: SeriesBuf, steps: np.ndarray, values: np.ndarray, times: np.ndarray,
                 now: float) -> None:
        """Queue arrays for ``buf`` after the points staged so far (order kept); ``now`` also
        becomes a clock mark, so staged points before the bulk are not stamped later than it."""
        with self.lock:
            c = buf.base + len(buf.s)
            if buf.marks[-1][0] != c:
                buf.marks.append((c, now))
            buf.bulks.append((c, steps, values, times))
            self.bulk_pending += len(steps)

    # --- clock thread -----------------------------------------------------------
    def sample(self, now: float) -> int:
        """Record a clock mark for every series that grew; return the points waiting.

        Cost: O(number of series) under the lock, every clock period.
        """
        total = 0  # bulks have their own bound (report_array waits for the harvest)
        with self.lock:
            for buf in self.bufs:
                n = len(buf.s)
                if n:
                    total += n
                    c = buf.base + n
                    if buf.marks[-1][0] != c:
                        buf.marks.append((c, now))
            if total + self.carried >= self.limit and not self.blocked and not self.closed:
                self.blocked = True
                self.room.clear()
                self.fast.clear()
                self.wfast.clear()
        return total + self.bulk_pending

    # --- flusher thread ---------------------------------------------------------
    def harvest(self, now: float) -> list[Batch]:
        """Take every complete point (and queued bulk) out of the staging, in log order."""
        out = []
        with self.lock:
            for buf in self.bufs:
                s = buf.s
                n = len(s)
                if n == 0 and not buf.bulks:
                    continue
                steps = s[:n]
                del s[:n]
                vals = buf.v[:n]
                del buf.v[:n]
                marks = buf.marks
                end = buf.base + n
                if marks[-1][0] != end:
                    marks.append((end, now))
                base = buf.base
                buf.base = end
                buf.marks = [(end, now)]  # later points were appended after this harvest
                bulks = buf.bulks
                buf.bulks = []
                out.append((buf, base, steps, vals, marks, bulks))
            self.bulk_pending = 0
        batches: list[Batch] = []
        for item in out:
            mine = self._batches(*item)
            buf = item[0]
            buf.inflight = buf.inflight + tuple(mine)  # after any kept from a failed cycle
            batches += mine
        return batches

    @staticmethod
    def _batches(buf: SeriesBuf, base: int, steps, vals, marks, bulks) -> list[Batch]:
        """Staged points (times interpolated between clock marks) and queued bulks, in log order.

        Bulk arrays are passed through without a copy; a series yields several
        batches when bulks sit between staged points.
        """
        st = np.frombuffer(steps, dtype=np.int64)
        va = np.frombuffer(vals, dtype=np.float64)
        n = len(st)
        if n:
            mc = np.fromiter((m[0] for m in marks), dtype=np.float64, count=len(marks))
            mt = np.fromiter((m[1] for m in marks), dtype=np.float64, count=len(marks))
            tm = np.interp(np.arange(base + 1, base + n + 1, dtype=np.float64), mc, mt)
        else:
            tm = np.empty(0, np.float64)
        if not bulks:
            return [Batch(buf, st, va, tm)]
        out = []
        at = 0
        floor = -np.inf  # staged points after a bulk are not stamped before it
        for count_at, bs, bv, bt in bulks:
            k = count_at - base
            if k > at:
                out.append(Batch(buf, st[at:k], va[at:k], np.maximum(tm[at:k], floor)))
            out.append(Batch(buf, bs, bv, bt))
            if len(bt):
                floor = max(floor, float(bt[-1]))
            at = k
        if n > at:
            out.append(Batch(buf, st[at:], va[at:], np.maximum(tm[at:], floor)))
        return out

    def unblock(self) -> None:
        """After a harvest: refill the fast dicts and release waiting callers (unless the points
        the flusher keeps for a retry fill the staging on their own)."""
        with self.lock:
            if self.carried >= self.limit and not self.closed:
                return
            if self.blocked and not self.closed:
                self.blocked = False
                self._refill()
            self.room.set()

    def _refill(self) -> None:
        for buf in self.bufs:
            self.fast[(buf.title, buf.series)] = buf.pair
            if buf.title == buf.series:
                self.wfast[buf.title] = buf.pair

    def close(self) -> None:
        """No more logging: the fast dicts miss from now on (the slow path reports it)."""
        with self.lock:
            self.closed = True
            self.fast.clear()
            self.wfast.clear()
            self.room.set()

    def pending(self) -> int:
        """Points still waiting in the staging (approximate while others log)."""
        return sum(len(b.s) for b in self.bufs) + self.bulk_pending

    # --- summary peek (any thread) ------------------------------------------------
    def summary(self, buf: SeriesBuf, how: str, staged: bool = True) -> Optional[float]:
        """``buf``'s W&B summary value (``how``: min/max/mean/first/last; see ``SeriesStats.summary``)
        over every harvested point, plus (``staged``) the points still staged. None when there is
        none. Cost: O(1) for "last"; O(staged points) for the others when ``staged``."""
        if staged and how == "last":
            with self.lock:  # O(1): the last staged value, if any
                n = len(buf.s)
                if n:
                    return float(buf.v[n - 1])
            return buf.stats.summary(how)
        stats = buf.stats
        if staged:
            st, va = self.latest(buf)
            if len(st):
                stats = stats.copy()
                stats.update(st, va)
        return stats.summary(how)

    def latest(self, buf: SeriesBuf) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the staged (not yet harvested) steps and values of ``buf``."""
        with self.lock:
            n = len(buf.s)
            return (np.frombuffer(buf.s[:n], dtype=np.int64), np.frombuffer(buf.v[:n], dtype=np.float64))
