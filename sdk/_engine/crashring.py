"""The crash ring's copier: staged points into a memory-mapped file every clock period.

A ``kill -9`` loses what is not durable yet: up to half a flush interval of points (the flusher's
durable cadence, :mod:`.flusher`). The ring (``ringlog.store.crashring``, FORMAT.md "Crash ring")
shrinks that to about one copier period: this thread wakes every ``clock_period`` (10 ms) and copies
every point staged since its last pass into the ring; the OS keeps the file's pages when the process
dies, and the next writer of the task replays what the store lacks.

* The hot path is untouched: the copier reads the staging's per-series buffers under the staging's
  lock (which ``Intake.put`` never takes), as the clock's ``sample`` and the flusher's ``harvest``
  do; it copies list slices, so a concurrent ``append`` never fails (see :mod:`.staging`).
* Each series' points get a *sequence*: their position in the series' log order (staged points and
  ``report_scalar_array`` arrays interleaved as the flusher hands them to the store). The flusher
  harvests through :meth:`Copier.harvest` (under the copier's lock), which counts what left the
  staging per series and queues any harvested point the copier had not reached yet (the batches
  carry exact times) for the next pass, so no point slips between a pass and a harvest, and the
  flusher (whose throughput bounds the window) does no copying. A kill before that pass leaves a
  gap in the ring: the replay of that series stops before it (nothing wrong, less replayed).
* After each durable sync the flusher calls :meth:`Copier.synced`: each series' watermark becomes
  (points harvested, points the store holds), both exact then (nothing pending). The replay maps
  sequences to store indices with it.
* Staged points' times are interpolated between the clock marks (as the harvest does) and the pass's
  own time; a replayed point's time can thus differ from the one the flusher would have stored by
  up to a clock period. Steps and values are kept bit for bit. ClearML's ``set_reporting_nan_value``
  replacement is not applied to replayed points.
* When the ring wraps before a sync (more points between two syncs than it holds: ~2.8M with the
  default 64 MiB), the replay of a series stops at the first sequence it no longer holds, and the
  loss window is the flush interval's again.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Optional

import numpy as np

from .settings import _env_bytes

if TYPE_CHECKING:  # pragma: no cover
    from .runcore import RunCore


def attach(core: "RunCore") -> Optional["Copier"]:
    """On the caller's thread at ``init()``, once the task is open: create the ring beside the
    writer's files and start the copier. None when disabled (``Settings.crash_ring`` 0) or when the
    ring cannot be created (one warning; the run goes on with the flush interval's promise)."""
    size = core.settings.crash_ring
    if size is None:  # settings not resolved (init() resolves them): the environment, else the default
        size = _env_bytes("RINGLOG_CRASH_RING", 0)  # opt-in, as Settings.resolved() says
    writer = core.flusher.writer
    from ringlog.store import TaskWriter  # already loaded by startup.preload (store)
    from ringlog.store.crashring import RingWriter

    if not size or not isinstance(writer, TaskWriter):
        return None  # no task yet (the flusher retries the store), or a forked child's lazily opened namespace

    try:
        ring = RingWriter(writer.path, size)
    except Exception as exc:
        core.warn_once("crashring", f"ringlog could not create its crash ring in {writer.path}: {exc!r}; a kill -9 "
                                    "loses up to the flush interval")
        return None
    copier = Copier(core, ring)
    core.flusher.ring = copier
    copier.start()
    return copier


class Copier(threading.Thread):
    """Copies staged points into the ring; see the module docstring."""

    def __init__(self, core: "RunCore", ring) -> None:
        super().__init__(name=f"ringlog-ring-{core.id[:8]}", daemon=True)
        self.core = core
        self.ring = ring
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.harvested: list[int] = []  # per local series id: points harvested (sequence of the next)
        self.copied: list[int] = []  # per local series id: points copied into the ring
        self.marked: dict[int, tuple[int, int]] = {}
        self.dirty: set[int] = set()  # series harvested since the last watermark
        self.late: list = []  # harvested points no pass had copied: the next pass copies them
        self.named = 0
        self.cpu_s = 0.0
        self.passes = 0
        self.broken = False

    # --- the thread -------------------------------------------------------------------------------
    def run(self) -> None:
        base = period = self.core.settings.clock_period
        while not self.stop_event.wait(period):
            t0 = time.thread_time()
            try:
                self.copy_pass(time.time())
            except Exception as exc:  # never take the run down: fall back to the flush interval
                self._broken(exc)
                return
            self.cpu_s += time.thread_time() - t0
            # a pass costs O(series) plus the points it copies; only the first is stretched away (~2%
            # of a core with many series, as the clock does): a longer period would not copy fewer
            # points, only let more of them pile up between passes (and into the next harvest)
            period = max(base, 2e-5 * self.named)

    def copy_pass(self, now: float) -> None:
        """Copy every staged point not in the ring yet (all series)."""
        staging = self.core.staging
        with self.lock:
            if self.broken:
                return
            todo, self.late = self.late, []  # harvested before this pass reached them
            with staging.lock:
                bufs = staging.bufs
                self._grow(len(bufs))
                for buf in bufs:
                    n = len(buf.s)
                    if n or buf.bulks:
                        todo += self._take(buf, n, now)
            for lid, seq, steps, vals, tms in todo:
                self.ring.put(lid, seq, np.asarray(steps, np.int64), np.asarray(vals, np.float64),
                              np.asarray(tms, np.float64))
            self.passes += 1

    def _grow(self, nbufs: int) -> None:
        """Series first seen: their names, and a first watermark (sequence 0 is the store's next point:
        the writer has not written any of their points yet, which :meth:`harvest` guarantees)."""
        if nbufs <= self.named:
            return
        bufs, writer = self.core.staging.bufs, self.core.flusher.writer
        new = []
        for lid in range(self.named, nbufs):
            buf = bufs[lid]
            sid = writer._ids.get((buf.title, buf.series))
            n0 = writer._series[sid].stats.count if sid is not None else 0  # a resumed task's series go on
            self.ring.mark(lid, 0, n0)
            self.marked[lid] = (0, n0)
            new.append((lid, buf.title, buf.series))
        self.ring.name(new)
        self.harvested += [0] * (nbufs - self.named)
        self.copied += [0] * (nbufs - self.named)
        self.named = nbufs

    def _take(self, buf, n: int, now: float) -> list:
        """Under the staging's lock: the not yet copied part of ``buf``'s staged points and queued
        arrays, in the order the harvest will hand them on (see ``Staging._batches``)."""
        lid, base = buf.lid, buf.base
        pos, have, at, out = self.harvested[lid], self.copied[lid], 0, []
        segs = []
        for count_at, bs, bv, bt in buf.bulks:
            k = count_at - base
            if k > at:
                segs.append((pos, at, k, None))
                pos += k - at
            segs.append((pos, 0, len(bs), (bs, bv, bt)))
            pos += len(bs)
            at = k
        if n > at:
            segs.append((pos, at, n, None))
            pos += n - at
        marks = None
        for seq, a, b, bulk in segs:
            end = seq + (b - a)
            if end <= have:
                continue
            skip = max(0, have - seq)
            if bulk is not None:
                bs, bv, bt = bulk
                out.append((lid, seq + skip, bs[skip:], bv[skip:], bt[skip:]))
            else:
                if marks is None:
                    marks = list(buf.marks)
                    if marks[-1][0] != base + n:
                        marks.append((base + n, now))
                st = np.frombuffer(buf.s[a + skip:b], dtype=np.int64)
                va = np.frombuffer(buf.v[a + skip:b], dtype=np.float64)
                out.append((lid, seq + skip, st, va, _times(marks, base + a + skip, len(st))))
        self.copied[lid] = max(have, pos)
        return out

    # --- called by the flusher (its thread) --------------------------------------------------------
    def harvest(self, now: float) -> list:
        """The flusher's harvest: ``Staging.harvest`` under the copier's lock, then the harvested
        points the copier had not reached are copied from the batches, and the counts advance."""
        with self.lock:
            batches = self.core.staging.harvest(now)
            if self.broken:
                return batches
            try:
                self._grow(len(self.core.staging.bufs))
                for b in batches:
                    lid, k = b.buf.lid, len(b.step)
                    h, have = self.harvested[lid], self.copied[lid]
                    if have < h + k:  # copied by the copier's next pass, off the flusher's path
                        skip = max(0, have - h)
                        self.late.append((lid, h + skip, b.step[skip:], b.value[skip:], b.time[skip:]))
                        self.copied[lid] = h + k
                    self.harvested[lid] = h + k
                    self.dirty.add(lid)
            except Exception as exc:
                self._broken(exc)
            return batches

    def synced(self, flusher) -> None:
        """After a durable sync with nothing pending: each harvested series' watermark moves to
        (points harvested, points the store holds)."""
        if flusher._pending or self.broken:
            return
        writer, sids = flusher.writer, flusher._sids
        with self.lock:
            for lid in self.dirty:
                sid = sids[lid] if lid < len(sids) else -1
                if sid < 0:
                    continue  # every batch of it was refused before it had a store series: nothing stored
                wm = (self.harvested[lid], writer._series[sid].stats.count)
                if self.marked.get(lid) != wm:
                    self.ring.mark(lid, *wm)
                    self.marked[lid] = wm
            self.dirty.clear()

    def close(self, remove: bool) -> None:
        """Stop copying; ``remove`` the ring when the task closed cleanly (every point is stored)."""
        self.stop_event.set()
        if self.is_alive() and self is not threading.current_thread():
            self.join(1.0)
        with self.lock:
            self.broken = True
            self.ring.close(remove=remove)

    def _broken(self, exc: BaseException) -> None:
        self.broken = True
        self.core.warn_once("crashring", f"ringlog's crash ring stopped: {exc!r}; a kill -9 loses up to the flush "
                                         "interval from now on")

    def stats(self) -> dict:
        return {"ring_points": self.ring.written, "ring_wraps": self.ring.wraps, "ring_passes": self.passes,
                "ring_cpu_s": round(self.cpu_s, 4)}


def _times(marks: list, first: int, n: int) -> np.ndarray:
    """Unix times of staged points ``first .. first+n-1`` (counted from the run's start), interpolated
    between the clock marks as ``Staging._batches`` does."""
    mc = np.fromiter((m[0] for m in marks), dtype=np.float64, count=len(marks))
    mt = np.fromiter((m[1] for m in marks), dtype=np.float64, count=len(marks))
    return np.interp(np.arange(first + 1, first + n + 1, dtype=np.float64), mc, mt)
