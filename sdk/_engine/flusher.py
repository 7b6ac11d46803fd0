"""The two background threads of a run: a light clock and the flusher.

``Clock`` wakes every ``clock_period`` (10 ms), records time marks in the
staging (see :mod:`ringlog._engine.staging`), closes the fast path when too many points wait,
and wakes the flusher when half the staging limit is reached. It imports
nothing heavy, so it runs from the first microsecond of a run.

``Flusher`` does everything slow, off the user's thread. The task already exists when it starts
(``init()`` created it and imported every module the threads need: :mod:`.startup`); it never
imports a module itself. Every half ``flush_interval`` from ``init()`` on (a durable cycle), or
when woken (staging half full, a bulk queued, ``flush()``), it harvests the staging and hands each
series' batch straight to the ``TaskWriter`` (which also computes the series' summary figures,
once), and writes changed metadata and console records. A durable cycle ends with the fsync
(``TaskWriter.sync``); wake-ups in between never push it back, so a ``kill -9`` loses at most
about half an interval plus one cycle. Any failure of the store is reported once as a warning;
points are never allowed to crash or hang the training job, and every harvested point ends up
written or counted as dropped: a batch the store refuses (a bad value) is dropped (counted) at
once; a cycle that failed otherwise - an ``OSError`` from the disk, a task that could not be
created yet - keeps its batches, under the staging's bound, and is retried with backoff; after
``RETRIES`` failed cycles in a row its points are counted as dropped, a warning says so, and the
run ends ``failed`` (``finish()`` says it again).
"""

from __future__ import annotations

import threading
import time
import warnings
from collections import deque
from typing import TYPE_CHECKING, Optional

import numpy as np

from ..errors import LoggingWarning
from .startup import open_task

if TYPE_CHECKING:  # pragma: no cover
    from .runcore import RunCore

RETRIES = 5  # failed cycles in a row after which the points they kept are counted as dropped


class Clock(threading.Thread):
    """Reads the clock for point wall times; O(series) per period.

    The period stretches when a sample gets expensive (thousands of series), so
    the clock never takes more than ~2% of a core; the time resolution kept is
    then that longer period.
    """

    def __init__(self, core: "RunCore") -> None:
        super().__init__(name=f"ringlog-clock-{core.id[:8]}", daemon=True)
        self.core = core
        self.stop_event = threading.Event()

    def run(self) -> None:
        core = self.core
        staging, flusher = core.staging, core.flusher
        period = base = core.settings.clock_period
        half = core.settings.staging_limit // 2
        while not self.stop_event.wait(period):
            try:
                t0 = time.perf_counter()
                if staging.sample(time.time()) >= half:
                    flusher.wake()
                # with very many series a sample costs more: keep the clock under ~2% of a core
                period = max(base, 50.0 * (time.perf_counter() - t0))
            except Exception as exc:  # never die silently: the timestamps would freeze
                core.warn_once("clock", f"ringlog clock thread error: {exc!r}")


class Flusher(threading.Thread):
    """Moves staged points to disk; the only thread that writes to the ``TaskWriter``."""

    def __init__(self, core: "RunCore") -> None:
        super().__init__(name=f"ringlog-flusher-{core.id[:8]}", daemon=True)
        self.core = core
        self.ready = threading.Event()  # the task exists on disk (or the store failed): set by start_run
        self.warm = threading.Event()  # kernels compiled/loaded and environment collected
        self.env_done = threading.Event()
        self._wake = threading.Event()
        self._stopping = False
        self._final_status: Optional[str] = None
        self._cond = threading.Condition()
        self._requested = 0
        self._done = 0
        self.writer = None
        self.store_error: Optional[BaseException] = None
        self.gave_up: Optional[str] = None  # why points were dropped after retries (the run ends "failed")
        self.written = 0
        self.dropped = 0
        self.cycles = 0
        self.syncs = 0  # durable syncs done (fsync)
        self.harvests = 0
        self.harvested = 0  # points taken out of the staging (written + dropped + still being written)
        self.cpu_s = 0.0  # CPU seconds this thread spent in flush cycles (benchmarks report it)
        self._sids: list[int] = []  # local series id -> store series id
        self._pending: deque = deque()  # harvested batches neither written nor counted as dropped
        self._failed = 0  # cycles in a row that ended in an error with points pending
        self._retry_at = 0.0  # monotonic time of the next try after a failure (backoff)
        self._last_summary = 0.0
        self._summary_every = 2.0  # seconds between summary rewrites while points arrive (see _cycle)
        self._big = 1024  # points of a cycle that make it durable though not due (see _cycle)
        self.ring = None  # the crash ring's copier (.crashring): harvests through it, told of each sync
        self.synced_mark = core.started  # monotonic start of the last completed durable cycle (see lag)

    # --- called from other threads -------------------------------------------------
    def wake(self) -> None:
        self._wake.set()

    def flush(self, wait: bool = True, timeout: Optional[float] = None) -> bool:
        """Ask for a full cycle; with ``wait`` block until it ran. Returns False on timeout."""
        with self._cond:
            self._requested += 1
            target = self._requested
        self._wake.set()
        if not wait:
            return True
        if not self.is_alive():
            return False
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._done < target and self.is_alive():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(0.25 if left is None else min(0.25, left))
        return self._done >= target

    @property
    def stopping(self) -> bool:
        return self._stopping

    def wait_harvest(self, timeout: float) -> None:
        """Block until the next harvest took the staging's points (or ``timeout``)."""
        with self._cond:
            seen = self.harvests
            self._cond.wait_for(lambda: self.harvests != seen, timeout)

    def lag(self) -> float:
        """Seconds since the start of the last completed durable cycle: every point acknowledged
        before that start is on disk, so no acknowledged point is older than this and not durable."""
        return time.monotonic() - self.synced_mark

    @property
    def healthy(self) -> bool:
        """Writing normally: alive, not stopping, a task open, and the last cycle did not fail."""
        return self.is_alive() and not self._stopping and self.writer is not None and not self._failed

    def wait_durable(self, horizon: float, timeout: float) -> bool:
        """Block until :meth:`lag` is at most ``horizon`` (a durable cycle ran), or ``timeout``."""
        self._wake.set()
        with self._cond:
            return self._cond.wait_for(lambda: self.lag() <= horizon or not self.is_alive(), timeout)

    def stop(self, status: str) -> None:
        self._final_status = status
        self._stopping = True
        self._wake.set()

    def store_failed(self, exc: BaseException) -> None:
        """The task could not be created at ``init()``: say so once; the thread retries with backoff."""
        self.store_error = exc
        self._failed = 1
        self._retry_at = time.monotonic() + _backoff(1)
        self.core.warn_once("store", f"ringlog cannot create its task in {self.core.settings.root}: {exc!r}; "
                                     "points stay staged and the store is retried")

    # --- the thread ------------------------------------------------------------
    def run(self) -> None:
        """Cycles until stopped. A durable cycle (harvest, write, fsync) starts half a
        ``flush_interval`` after the previous one started (counted from ``init()``; sooner, down
        to an eighth, when the last one took long), whatever wakes the thread in between: a wake
        because the staging is half full runs a cycle that only moves points on, and never pushes
        the next durable one back. A point acknowledged just after a harvest is then on disk
        within about half an interval plus one cycle (measured: ``benchmarks/bench_durability.py``),
        inside the promised ``flush_interval`` while the store's sync takes under half of it."""
        core = self.core
        period = core.settings.flush_interval / 2
        due = core.started + period
        last_sync = core.started
        self._big = max(1024, core.settings.staging_limit // 4)
        while True:
            nxt = due if not self._pending or self._retry_at <= 0 else min(due, self._retry_at)
            self._wake.wait(max(0.0, nxt - time.monotonic()))
            self._wake.clear()
            stopping = self._stopping
            if stopping and self.writer is not None:
                # a short run still gets its environment (git, packages) before the task closes
                self.env_done.wait(min(10.0, core.settings.finish_timeout))
            with self._cond:
                target = self._requested
            now = time.monotonic()
            durable = stopping or target > self._done or now >= due
            t0 = time.thread_time()
            synced = self._cycle(final=stopping, durable=durable, big=now - last_sync >= period / 4)
            while stopping and self._pending:  # no later cycle: retry now (bounded by RETRIES)
                self._wake.wait(_backoff(self._failed))
                self._cycle(final=True, durable=True)
            self.cpu_s += time.thread_time() - t0
            if synced:  # the next one starts sooner when a sync takes long (bounded: 1/8 interval)
                last_sync = self.synced_mark = now
                due = now + max(period / 4, period - (time.monotonic() - now))
            with self._cond:
                self._done = max(self._done, target)
                self._cond.notify_all()
            if stopping:
                break
        self._close()

    def _open(self) -> None:
        """No task yet (the store failed at ``init()``): create it now; raises what the store raises."""
        core = self.core
        self.writer = open_task(core)
        core.warn_once("store-ok", f"ringlog created task {core.id} in {core.settings.root} after a failure "
                                   f"({self.store_error!r}); logging to it now")

    def _cycle(self, final: bool, durable: bool = True, big: bool = False) -> bool:
        """One harvest and write; with ``durable`` (or, with ``big``, when it wrote at least a
        quarter of the staging limit: the fsync then costs little next to the write, and the many
        points it covers - a bulk, a full staging - do not wait for the next due sync) the fsync
        too. Returns whether it synced."""
        core = self.core
        synced = False
        try:
            batches = (self.ring.harvest if self.ring is not None else core.staging.harvest)(time.time())
            self._pending.extend(batches)  # after any kept by a failed cycle: log order holds
            self.harvested += sum(len(b.step) for b in batches)
            with self._cond:
                self.harvests += 1
                self._cond.notify_all()
            core.staging.unblock()
            wrote = bool(self._pending)
            durable = durable or (big and sum(len(b.step) for b in self._pending) >= self._big)
            if self._pending and not final and 0 < self._retry_at and time.monotonic() < self._retry_at:
                return  # backing off after a failure: the points stay staged (the staging bound holds)
            if self.writer is None:
                self._open()
            self._write()
            if durable and not final:  # the final cycle's close() syncs everything: one sync, not two (issue 18)
                self.writer.sync()
                self.syncs += 1
                if self.ring is not None:
                    self.ring.synced(self)
                synced = True
            self._failed = 0
            self._retry_at = 0.0
            core.write_side_records(self.writer, final=final)
            if final or core.meta_dirty or (wrote and time.monotonic() - self._last_summary > self._summary_every):
                self._last_summary = time.monotonic()
                c0 = time.thread_time()
                self.writer.set_meta(**core.meta_snapshot(summary=True))
                # every 2 s, or less often when the summary is big (100,000 keys: ~0.3 s of CPU for the
                # metadata file and the catalog's rows), so that it stays under ~5% of a core
                self._summary_every = max(2.0, 20.0 * (time.thread_time() - c0))
        except Exception as exc:
            self._cycle_failed(exc)
        finally:
            core.staging.carried = sum(len(b.step) for b in self._pending)
            self.cycles += 1
        return synced

    def _cycle_failed(self, exc: Exception) -> None:
        """A cycle raised outside the per-batch handling (or the store refused a write with an
        ``OSError``: a full disk, an I/O error): keep its unwritten batches and retry with backoff,
        or after ``RETRIES`` such cycles in a row count them as dropped, say which, and have the
        run end ``failed``."""
        core = self.core
        self.store_error = exc
        left = sum(len(b.step) for b in self._pending)
        if not left:
            if self.writer is None:  # said at init ("points stay staged and the store is retried")
                self._failed = min(self._failed + 1, 8)
                self._retry_at = time.monotonic() + _backoff(self._failed)
                return
            core.warn_once("flush", f"ringlog could not write to the store: {exc!r}; the next flush tries again")
            return
        self._failed += 1
        self._retry_at = time.monotonic() + _backoff(self._failed)
        if self._failed < RETRIES:
            core.warn_once("flush", f"ringlog could not write to the store: {exc!r}; {left:,} points are kept "
                                    "for the next flush")
            return
        self._failed = 0
        self._retry_at = 0.0
        self.dropped += left
        self.gave_up = f"{left:,} points dropped after {RETRIES} tries: {exc!r}"
        while self._pending:
            b = self._pending.popleft()
            if self.writer is None:
                b.buf.account(b)  # no store: the summaries' figures are computed here instead
            b.buf.landed()
        core.warn_once("flush-drop", f"ringlog could not write to the store: {exc!r} ({RETRIES} tries); "
                                     f"{left:,} points were dropped")

    def _write(self) -> None:
        """Hand the pending batches to the writer in order, together (``TaskWriter.append_many``:
        a W&B row of thousands of keys is added vectorised, not one call per key); a batch leaves
        ``_pending`` once it is written or counted as dropped, so an error raised here leaves the
        rest for a retry. An ``OSError`` (disk full, I/O error) keeps the batch for the retry; any
        other refusal of the store drops that batch alone (counted)."""
        core, writer, pending = self.core, self.writer, self._pending
        while pending:
            items, refused = [], None
            for b in pending:
                try:
                    core.apply_nonfinite(b)
                    items.append((self._sid(b.buf), b.step, b.value, b.time))
                except OSError:
                    if not items:
                        raise
                    break  # write the batches before it; the next round raises it again
                except Exception as exc:  # this batch is dropped once the ones before it are written
                    refused = exc
                    break
            outcome: list = []
            try:
                many = getattr(writer, "append_many", None)  # a forked child's LazyNamespace has append only
                many(items, outcome) if many is not None else _append_each(writer, items, outcome)
            finally:
                for exc in outcome:  # the batches taken (written or refused), even when an OSError stopped it
                    self._landed(pending.popleft(), exc)
            if refused is not None:
                self._landed(pending.popleft(), refused)

    def _landed(self, b, exc) -> None:
        """Batch ``b`` was written (``exc`` None) or refused by the store: count it, say so once."""
        n = len(b.step)
        if exc is None:
            self.written += n
        else:  # one bad batch must not take the others along
            self.dropped += n
            self.store_error = exc
            self.core.warn_once("write", f"ringlog could not write {n:,} points of {b.buf.title!r}/"
                                         f"{b.buf.series!r}: {exc!r}; logging goes on")
        b.buf.landed()

    def _sid(self, buf) -> int:
        sids = self._sids
        while len(sids) <= buf.lid:
            sids.append(-1)
        sid = sids[buf.lid]
        if sid < 0:
            sid = int(self.writer.series_id(buf.title, buf.series))
            buf.bind(self.writer.series_stats(sid))  # the store computes the series' figures from now on
            sids[buf.lid] = sid
        return sid

    def _close(self) -> None:
        core = self.core
        if self.writer is None:
            return
        status = self._final_status or "completed"
        if self.gave_up and status == "completed":
            status = "failed"  # points were lost: the run did not complete as logged
            try:
                self.writer.set_meta(store_error=self.gave_up)
            except Exception:
                pass
        core.status = status
        try:
            self.writer.close(status=status)
            if self.ring is not None:  # every point is stored: nothing for a replay
                self.ring.close(remove=True)
        except Exception as exc:
            core.warn_once("close", f"ringlog could not close task {core.id}: {exc!r}")


def _append_each(writer, items, outcome: list) -> None:
    """``TaskWriter.append_many``'s contract for a writer that has only ``append``."""
    for item in items:
        try:
            writer.append(*item)
        except OSError:
            raise
        except Exception as exc:  # refused: the caller drops that batch alone
            outcome.append(exc)
        else:
            outcome.append(None)


def _backoff(tries: int) -> float:
    """Seconds before retry number ``tries + 1`` after a store failure: 0.1 s doubling, at most 2 s."""
    return min(2.0, 0.1 * (1 << max(0, min(tries, 8) - 1)))


def nonfinite_replace(values: np.ndarray, nan_value: Optional[float], inf_value: Optional[float]) -> np.ndarray:
    """ClearML's ``set_reporting_nan_value``/``inf_value``: replace NaN / +-Inf (vectorised)."""
    if nan_value is not None:
        values = np.where(np.isnan(values), float(nan_value), values)
    if inf_value is not None:
        values = np.where(np.isinf(values), np.copysign(float(inf_value), values), values)
    return values


def warn(message: str) -> None:
    warnings.warn(message, LoggingWarning, stacklevel=3)
