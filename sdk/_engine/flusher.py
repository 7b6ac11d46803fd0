"""The two background threads of a run: a light clock and the flusher.

``Clock`` wakes every ``clock_period`` (10 ms), records time marks in the
staging (see :mod:`ringlog._engine.staging`), closes the fast path when too many points wait,
and wakes the flusher when half the staging limit is reached. It imports
nothing heavy, so it runs from the first microsecond of a run.

``Flusher`` does everything slow, off the user's thread: it imports the store
and the core (so ``init()`` returns fast and no logging call ever waits for a
compile) and creates the task; two short-lived helper threads compile/load the
store's numba kernels and collect the environment. Then, every
``flush_interval`` or when woken (staging half full, a bulk queued,
``flush()``), it harvests the staging and hands each series' batch straight to
the ``TaskWriter`` (which also computes the series' summary figures, once), and
writes changed metadata and console records. The fsync (``TaskWriter.sync``)
runs once per interval, on request and at the end, so a ``kill -9`` loses at
most one interval. Any failure of the store is reported once as a warning;
points are never allowed to crash or hang the training job, and every harvested
point ends up written or counted as dropped: a batch the store refuses is
dropped (counted) at once, while the batches of a cycle that failed elsewhere
are kept for the next cycles, under the staging's bound, and counted as dropped
only after ``RETRIES`` failed cycles in a row.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections import deque
from typing import TYPE_CHECKING, Optional

import numpy as np

from ..errors import LoggingWarning

if TYPE_CHECKING:  # pragma: no cover
    from .runcore import RunCore

RETRIES = 3  # failed cycles in a row after which the points they kept are counted as dropped


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
        self.ready = threading.Event()  # the task exists on disk (or the store failed)
        self.warm = threading.Event()  # kernels compiled/loaded and environment collected
        self.env_done = threading.Event()
        self._warm_parts: list = []
        self._wake = threading.Event()
        self._stopping = False
        self._final_status: Optional[str] = None
        self._cond = threading.Condition()
        self._requested = 0
        self._done = 0
        self.writer = None
        self.store_error: Optional[BaseException] = None
        self.written = 0
        self.dropped = 0
        self.cycles = 0
        self.harvests = 0
        self.harvested = 0  # points taken out of the staging (written + dropped + still being written)
        self.cpu_s = 0.0  # CPU seconds this thread spent in flush cycles (benchmarks report it)
        self._sids: list[int] = []  # local series id -> store series id
        self._pending: deque = deque()  # harvested batches neither written nor counted as dropped
        self._failed = 0  # cycles in a row that ended in an error with points pending
        self._last_summary = 0.0

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

    def stop(self, status: str) -> None:
        self._final_status = status
        self._stopping = True
        self._wake.set()

    # --- the thread ------------------------------------------------------------
    def run(self) -> None:
        core = self.core
        self._setup()
        interval = core.settings.flush_interval
        due = time.monotonic() + interval
        while True:
            self._wake.wait(max(0.0, due - time.monotonic()))
            self._wake.clear()
            stopping = self._stopping
            if stopping and self.writer is not None:
                # a short run still gets its environment (git, packages) before the task closes
                self.env_done.wait(min(10.0, core.settings.finish_timeout))
            with self._cond:
                target = self._requested
            # a wake because the staging is half full moves points on; the sync that makes them
            # durable (fsync) runs once per interval, on request, and at the end
            durable = stopping or target > self._done or time.monotonic() >= due
            t0 = time.thread_time()
            self._cycle(final=stopping, durable=durable)
            while stopping and self._pending:  # no later cycle: retry now (bounded by RETRIES)
                self._wake.wait(min(0.2, interval))
                self._cycle(final=True, durable=True)
            self.cpu_s += time.thread_time() - t0
            if durable:
                due = time.monotonic() + interval
            with self._cond:
                self._done = max(self._done, target)
                self._cond.notify_all()
            if stopping:
                break
        self._close()

    def _setup(self) -> None:
        core = self.core
        try:
            from ringlog.store import Store  # deferred: zarr and numba, off the user's thread

            store = Store(core.settings.root)
            self.writer = store.create_task(project=core.project, name=core.name, tags=tuple(core.tags),
                                            task_id=core.id)
            self.writer.set_meta(status="running", **core.meta_snapshot())
        except Exception as exc:
            self.store_error = exc
            core.warn_once("store", f"ringlog cannot write to {core.settings.root}: {exc!r}; "
                                    "logging goes on but nothing is stored")
        finally:
            self.ready.set()
        if self.writer is None:
            self.warm.set()
            return
        # compiling kernels (seconds when numba's cache is cold) and collecting the environment
        # (git, package list) must not hold up the task: two helper threads do them
        threading.Thread(target=self._warm_up, name=f"ringlog-warmup-{core.id[:8]}", daemon=True).start()
        threading.Thread(target=self._environment, name=f"ringlog-env-{core.id[:8]}", daemon=True).start()

    def _warm_up(self) -> None:
        try:
            from ringlog.core import warmup  # deferred: numba

            warmup(("pyramid",))  # the store's scans and roll-ups at each flush; decimation is the readers'
        except Exception as exc:
            self.core.warn_once("warmup", f"ringlog could not precompile its kernels: {exc!r}")
        finally:
            self._warm_parts.append("kernels")
            if len(self._warm_parts) == 2:
                self.warm.set()

    def _environment(self) -> None:
        try:
            self.core.collect_environment()
        finally:
            self.env_done.set()
            self._warm_parts.append("env")
            if len(self._warm_parts) == 2:
                self.warm.set()

    def _cycle(self, final: bool, durable: bool = True) -> None:
        core = self.core
        try:
            batches = core.staging.harvest(time.time())
            self._pending.extend(batches)  # after any kept by a failed cycle: log order holds
            self.harvested += sum(len(b.step) for b in batches)
            with self._cond:
                self.harvests += 1
                self._cond.notify_all()
            core.staging.unblock()
            wrote = bool(self._pending)
            self._write()
            self._failed = 0
            if self.writer is not None and durable:
                self.writer.sync()
            if self.writer is not None:
                core.write_side_records(self.writer, final=final)
                if final or core.meta_dirty or (wrote and time.monotonic() - self._last_summary > 2.0):
                    self._last_summary = time.monotonic()
                    self.writer.set_meta(**core.meta_snapshot(summary=True))
        except Exception as exc:
            self._cycle_failed(exc)
        core.staging.carried = sum(len(b.step) for b in self._pending)
        self.cycles += 1

    def _cycle_failed(self, exc: Exception) -> None:
        """A cycle raised outside the per-batch handling: keep its unwritten batches for the next
        cycle, or after ``RETRIES`` such cycles in a row count them as dropped; say which."""
        core = self.core
        left = sum(len(b.step) for b in self._pending)
        if not left:
            core.warn_once("flush", f"ringlog could not write to the store: {exc!r}; the next flush tries again")
            return
        self._failed += 1
        if self._failed < RETRIES:
            core.warn_once("flush", f"ringlog could not write to the store: {exc!r}; {left:,} points are kept "
                                    "for the next flush")
            return
        self._failed = 0
        self.dropped += left
        self.store_error = exc
        while self._pending:
            self._pending.popleft().buf.landed()
        core.warn_once("flush-drop", f"ringlog could not write to the store: {exc!r} ({RETRIES} tries); "
                                     f"{left:,} points were dropped")

    def _write(self) -> None:
        """Hand each pending batch to the writer, in order; a batch leaves ``_pending`` once it is
        written or counted as dropped, so an error raised here leaves the rest for a retry."""
        core, writer, pending = self.core, self.writer, self._pending
        while pending:
            b = pending[0]
            n = len(b.step)
            try:
                core.apply_nonfinite(b)
                if writer is None:
                    b.buf.account(b)  # no store: the summaries' figures are computed here instead
                    self.dropped += n
                else:
                    writer.append(self._sid(b.buf), b.step, b.value, b.time)
                    self.written += n
            except Exception as exc:  # one bad batch (or a full disk) must not take the others along
                self.dropped += n
                self.store_error = exc
                core.warn_once("write", f"ringlog could not write {n:,} points of {b.buf.title!r}/"
                                        f"{b.buf.series!r}: {exc!r}; logging goes on")
            pending.popleft()
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
        try:
            self.writer.close(status=self._final_status or "completed")
        except Exception as exc:
            core.warn_once("close", f"ringlog could not close task {core.id}: {exc!r}")


def nonfinite_replace(values: np.ndarray, nan_value: Optional[float], inf_value: Optional[float]) -> np.ndarray:
    """ClearML's ``set_reporting_nan_value``/``inf_value``: replace NaN / +-Inf (vectorised)."""
    if nan_value is not None:
        values = np.where(np.isnan(values), float(nan_value), values)
    if inf_value is not None:
        values = np.where(np.isinf(values), np.copysign(float(inf_value), values), values)
    return values


def warn(message: str) -> None:
    warnings.warn(message, LoggingWarning, stacklevel=3)
