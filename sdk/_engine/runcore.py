"""RunCore: the engine under both flavours (W&B ``Run`` and ClearML ``Task``), composed of four parts.

=================  =========================================================================
``intake``         :class:`~.intake.Intake` - the fast path, the checked path, bad-input policy
``state``          :class:`~.runstate.RunState` - config, tags, user summary, metric definitions,
                   extra metadata, behind their own lock
``outputs``        :class:`~.outputs.SideOutputs` - console records, the media writer, uploads
the engine itself  the clock and flusher threads, the lifecycle hooks, ``flush``, ``finish``
=================  =========================================================================

It implements :class:`~.protocol.RunSink`, the only members media, capture and ClearML's reporting
use. The facades (``ringlog.wandb.run.Run``, ``ringlog.clearml.task.Task`` and ``Logger``) use
``intake``, ``state`` and the engine's methods; nothing outside the engine touches a lock or the
staging. The id (uuid4 hex) is known before anything touches the disk. It never imports numba or
zarr on the caller's thread: the flusher does.
"""

from __future__ import annotations

import os
import platform
import sys
import threading
import time
import uuid
import warnings
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional, Protocol

from . import crashring, lifecycle, shared, startup
from ..errors import LoggingWarning
from .environment import collect
from .flusher import Clock, Flusher, nonfinite_replace
from .intake import Intake
from .outputs import SideOutputs
from .runstate import RunState
from .settings import Settings
from .staging import Batch, Staging
from .uploads import Uploads
from .values import jsonable

if TYPE_CHECKING:  # pragma: no cover
    from ringlog.store import TaskWriter
    from ringlog.store.media_writer import MediaWriter


class Stoppable(Protocol):
    """What the auto-capture handle offers the engine (``finish`` stops it)."""

    def stop(self) -> None: ...


class RunCore:
    """One run's engine; see the module docstring."""

    def __init__(self, *, project: str, name: str, tags: Iterable[str] = (), settings: Settings,
                 kind: str) -> None:
        self.id = uuid.uuid4().hex
        self.settings = settings
        self.strict = settings.is_strict
        self.project = project
        self.name = name
        self.kind = kind  # "wandb" or "clearml", recorded in the metadata
        self.created = time.time()
        self.started = time.monotonic()  # the flusher's durable cadence counts from here
        self.status = "running"
        self.exit_status: Optional[str] = None  # set by the lifecycle hooks (failed / aborted)
        self.nan_value: Optional[float] = None  # ClearML's set_reporting_nan_value / inf_value
        self.inf_value: Optional[float] = None
        self.flusher = Flusher(self)
        self.clock = Clock(self)
        self.intake = Intake(run_id=self.id, settings=settings, staging=Staging(settings.staging_limit, self.created),
                             flusher=self.flusher)
        self.state = RunState(kind=kind, tags=tags)
        self.outputs = SideOutputs(run_id=self.id, settings=settings, flusher=self.flusher, warner=self.intake)
        # RunSink.report_scalar is the intake's own bound method: no extra call per point
        self.report_scalar: Callable[[Any, Any, Any, Any], None] = self.intake.put
        self.capture: Optional[Stoppable] = None  # set by ringlog.capture.manager.attach
        # the facades over this core (their packages make them; the engine never imports them)
        self.run_facade: Optional[object] = None
        self.task_facade: Optional[object] = None
        self.logger_facade: Optional[object] = None
        self.before_finish: list[Callable[[], None]] = []  # run (once) at the start of finish()
        self.after_fork: list[Callable[[], None]] = []  # run in a forked child that logs on (.shared)
        self._finishing = False
        self._finish_lock = threading.Lock()
        self.disabled = False  # mode="disabled" (.disabled.disable): no thread, no store, nothing written
        self.resumed: Optional[dict] = None  # set when init() continues a stored task (.resume)
        self.auto_resume_file: Optional[Any] = None  # W&B resume="auto": removed when the run completes
        # several processes, one task (.shared): this process's label, how its writer is opened, and
        # the title of its system metrics ("system/<label>" when shared)
        self.shared: Optional[str] = None
        self.opener: Optional[Callable[["RunCore"], Any]] = None
        self.system_title = "system"

    def start(self) -> "RunCore":
        """On the caller's thread: import what the threads need, create the task (so it exists when
        ``init()`` returns), then start the threads (see :mod:`.startup`). A store that cannot be
        written yet is not raised: the flusher retries it with backoff while the points stay staged."""
        self.started = time.monotonic()
        if self.disabled:
            return self
        try:
            startup.preload()
            self.flusher.writer = (self.opener or startup.open_task)(self)
        except Exception as exc:
            self.flusher.store_failed(exc)
        self.flusher.ready.set()
        crashring.attach(self)  # a kill -9 then loses ~a clock period, not up to the flush interval
        self.flusher.start()
        self.clock.start()
        lifecycle.register(self)
        shared.follow(self)  # forked children log into this task too
        env = threading.Thread(target=self._environment, name=f"ringlog-env-{self.id[:8]}", daemon=True)
        env.start()
        if self.flusher.writer is not None:
            warm = startup.start_warmup(self.id, self.warn_once)
            threading.Thread(target=self._warm_when, args=(warm,), name=f"ringlog-ready-{self.id[:8]}",
                             daemon=True).start()
        else:
            self.flusher.warm.set()
        return self

    def _environment(self) -> None:
        try:
            self.collect_environment()
        finally:
            self.flusher.env_done.set()

    def _warm_when(self, warm: threading.Thread) -> None:
        """Set ``flusher.warm`` once the kernels and the environment are ready (benchmarks wait on it)."""
        warm.join()
        self.flusher.env_done.wait()
        self.flusher.warm.set()

    # --- RunSink ---------------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        return self.intake.closed

    @property
    def media_destination(self) -> Optional[str]:
        return self.outputs.media_destination

    @media_destination.setter
    def media_destination(self, dest: Optional[str]) -> None:
        self.outputs.media_destination = dest

    def warn_once(self, kind: str, message: str) -> None:
        self.intake.warn_once(kind, message)

    def bad_input(self, argument: str, message: str, kind: str = "value", key: Optional[str] = None) -> None:
        self.intake.bad_input(argument, message, kind, key)

    def closed_input(self, what: str) -> None:
        self.intake.closed_input(what)

    def report_array(self, title: Any, series: Any, values: Any, iterations: Any, times: Any = None) -> None:
        self.intake.report_array(title, series, values, iterations, times)

    def console_write(self, stream: str, text: str, level: str = "info", time: Optional[float] = None) -> None:
        self.outputs.console_write(stream, text, level, time)

    def media_writer(self) -> "MediaWriter":
        return self.outputs.media_writer()

    def upload(self, nbytes: int, what: str, job: Callable[[], Any]) -> None:
        self.outputs.upload(nbytes, what, job)

    @property
    def uploads(self) -> Optional[Uploads]:
        """The queue of samples going to a remote destination (None until the first one)."""
        return self.outputs.uploads

    def merge_config(self, section: str, values: dict) -> None:
        self.state.merge_section(section, values)

    # --- summaries (the intake's running figures, overridden by what the user set) --------------
    def summary_values(self, staged: bool = True) -> dict:
        """W&B-style summary: each key's last value (or its define_metric ``{"max": v}``-style dict),
        logged strings, keys of nested dicts nested again, and the values the user set (they win).

        Cost: O(keys), plus O(points not yet flushed) for min/max/mean keys.
        """
        out = self.state.shape_summary(self.intake.summaries(self.state.summary_how, staged))
        if self.resumed and self.resumed.get("summary"):  # a resumed task keeps the keys not logged again
            out = {**self.resumed["summary"], **out}
        return out

    def summary_value(self, key: str, staged: bool = True) -> Any:
        """One key of :meth:`summary_values` (KeyError if it has none); O(1) for a plain logged key."""
        state = self.state
        if state.has_summary(key):
            return state.summary_get(key)
        if not state.has_shaped(key):
            value = self.intake.summary(key, state.summary_how(key), staged)
            if value is not None:
                return value
        return self.summary_values(staged)[key]

    # --- what the flusher asks -----------------------------------------------------------------
    @property
    def staging(self) -> Staging:
        return self.intake.staging

    @property
    def tags(self) -> list[str]:
        return self.state.tags()

    @property
    def meta_dirty(self) -> bool:
        return self.state.dirty

    def meta_snapshot(self, summary: bool = False) -> dict:
        out = self.state.snapshot()
        if summary:
            out["summary"] = jsonable(self.summary_values(staged=False))
        return out

    def collect_environment(self) -> None:
        """Runs on a flusher helper thread: the environment (git when ``settings.git``), else the basics."""
        try:
            env = collect(git=self.settings.git)
        except Exception as exc:
            self.warn_once("env", f"ringlog could not collect the environment: {exc!r}")
            env = {"argv": list(sys.argv), "host": platform.node(), "python": platform.python_version(),
                   "pid": os.getpid(), "cwd": os.getcwd()}
        self.state.set_meta(env=env)

    def write_side_records(self, writer: "TaskWriter", final: bool = False) -> None:
        """Flusher thread: console records to the media writer, then its sync."""
        self.outputs.write_records(final)

    def apply_nonfinite(self, batch: Batch) -> None:
        if self.nan_value is not None or self.inf_value is not None:
            batch.value = nonfinite_replace(batch.value, self.nan_value, self.inf_value)

    # --- flush and finish ----------------------------------------------------------------------
    def flush(self, wait: bool = True, timeout: Optional[float] = None, uploads: bool = True) -> bool:
        """Write what is staged; with ``wait`` block until it is on disk and (``uploads``) until every
        queued remote sample is stored. Strict mode raises the first failed upload here."""
        if self.finished or self.disabled:
            return True
        timeout = self.settings.finish_timeout if timeout is None else timeout
        ok = self.outputs.drain_uploads(timeout, self.strict) if wait and uploads else True
        return self.flusher.flush(wait=wait, timeout=timeout) and ok

    def finish(self, status: str = "completed") -> None:
        """Stop capture, write everything staged, close the task with ``status``; bounded wait."""
        with self._finish_lock:
            again = self.finished or self._finishing
            self._finishing = True
        if again:
            # e.g. atexit after a signal interrupted the first finish(): let the last flush end
            if self.flusher.is_alive() and self.flusher.stopping:
                self.flusher.join(self.settings.finish_timeout)
            return
        if self.disabled:  # nothing staged, no thread, no task: only the status changes
            self.status = self.exit_status or status
            self.intake.close()
            return
        for hook in self.before_finish:  # e.g. the W&B row still accumulating, connected dicts
            try:
                hook()
            except Exception as exc:
                self.warn_once("before-finish", f"ringlog: {exc!r} while finishing run {self.id}")
        status = self.exit_status or status
        self.status = status
        self.intake.close()  # the checked path refuses points; the fast path takes the captures' last ones
        if self.capture is not None:
            try:
                self.capture.stop()
            except Exception as exc:
                self.warn_once("capture-stop", f"ringlog could not stop auto-capture cleanly: {exc!r}")
        timeout = self.settings.finish_timeout
        self.outputs.close_uploads(timeout)
        self.intake.close_fast_path()
        self.flusher.stop(status)
        if self.flusher.is_alive():
            self.flusher.join(timeout)
        self.clock.stop_event.set()
        if self.clock.is_alive():
            self.clock.join(1.0)
        lifecycle.unregister(self)
        if self.auto_resume_file is not None and status == "completed":
            try:
                self.auto_resume_file.unlink()
            except OSError:
                pass
        f = self.flusher
        if f.is_alive():
            unwritten = self.staging.pending() + max(0, f.harvested - f.written - f.dropped)
            warnings.warn(f"ringlog: run {self.id} could not flush {unwritten:,} points within {timeout:g} s "
                          "(finish_timeout); the flusher keeps writing while the process lives, what is "
                          "left at exit is lost", LoggingWarning, stacklevel=3)
        elif f.writer is None:
            warnings.warn(f"ringlog: run {self.id}: NOTHING WAS STORED - its task could not be created in "
                          f"{self.settings.root} ({f.store_error!r}); {f.dropped:,} points could not be written",
                          LoggingWarning, stacklevel=3)
        elif f.dropped:
            how = " and the run is recorded as failed" if f.gave_up else ""
            warnings.warn(f"ringlog: run {self.id}: {f.dropped:,} points could not be written "
                          f"({f.store_error!r}){how}", LoggingWarning, stacklevel=3)

    def detach_after_fork(self) -> None:
        """In a forked child: no thread, no lock can be trusted; refuse further points."""
        self.intake.detach_after_fork()

    def stats(self) -> dict:
        """Counters for tests and benchmarks."""
        f = self.flusher
        return {**self.intake.stats(), "written": f.written, "dropped": f.dropped + self.intake.refused,
                "cycles": f.cycles, "syncs": f.syncs,
                "flusher_cpu_s": round(f.cpu_s, 4), **self.outputs.stats()}
