"""RunCore: the engine under both flavours (W&B ``Run`` and ClearML ``Task``).

Owns the id (uuid4 hex, known before anything touches the disk), the staging,
the clock and flusher threads, the metadata waiting to be written, and the
hooks other SDK modules use (``bad_input``, ``report_scalar``,
``console_write``, ``media_writer``, ``set_meta``). It never imports numba or
zarr on the caller's thread: the flusher does.
"""

from __future__ import annotations

import fnmatch
import os
import platform
import sys
import threading
import time
import uuid
from time import time as _now
import warnings
from typing import Any, Optional

import numpy as np

from . import lifecycle
from ..errors import LoggingError, LoggingWarning, RunFinishedError, type_error, value_error
from .flusher import Clock, Flusher, nonfinite_replace
from .settings import Settings
from .staging import SeriesStats, Staging
from .values import as_number, as_step, jsonable

CONSOLE_HOLD = 0.6  # seconds: a little over the console capture's pump period


class RunCore:
    """State shared by every handle on one task; see the module docstring."""

    def __init__(self, *, project: str, name: str, tags=(), settings: Settings, kind: str) -> None:
        self.id = uuid.uuid4().hex
        self.settings = settings
        self.strict = settings.is_strict
        self.project = project
        self.name = name
        self.tags: list[str] = list(tags)
        self.kind = kind  # "wandb" or "clearml", recorded in the metadata
        self.created = time.time()
        self.staging = Staging(settings.staging_limit, self.created)
        self.config: dict = {}
        self.user_summary: dict = {}
        self.metric_defs: dict[str, dict] = {}
        self.extra_meta: dict = {}
        self.meta_dirty = False
        self.nan_value: Optional[float] = None
        self.inf_value: Optional[float] = None
        self.console_records: list = []
        self.finished = False
        self._finishing = False
        self.status = "running"
        self.exit_status: Optional[str] = None  # set by lifecycle hooks (failed / aborted)
        self._warned: set = set()
        self._lock = threading.Lock()
        self._media = None
        self.media_destination = None  # set by ReportingMixin.set_default_upload_destination
        self.uploads = None  # sdk.uploads.Uploads, made by the first sample sent to a URI destination
        self.capture = None
        self.run_facade = None  # the Run / Task objects over this core, set by them
        self.task_facade = None
        self.logger_facade = None  # the ClearML Logger over this core (Logger.for_core)
        self.before_finish: list = []  # callables run (once) at the start of finish()
        self.flusher = Flusher(self)
        self.clock = Clock(self)

    def start(self) -> "RunCore":
        self.flusher.start()
        self.clock.start()
        lifecycle.register(self)
        return self

    # --- warnings and bad input -------------------------------------------------
    def warn_once(self, kind: str, message: str) -> None:
        """One warning per kind per run (a logging loop must not flood the console)."""
        with self._lock:
            if kind in self._warned:
                return
            self._warned.add(kind)
        if threading.current_thread().name.startswith("ringlog-"):
            # a warnings filter set to "error" must not kill the thread that writes the data
            try:
                warnings.warn(message, LoggingWarning, stacklevel=2)
            except Exception:
                print(f"ringlog warning: {message}", file=sys.stderr)
            return
        warnings.warn(message, LoggingWarning, stacklevel=_user_stacklevel())

    def bad_input(self, argument: str, message: str, kind: str = "value", key: Optional[str] = None) -> None:
        """Report bad input: raise in strict mode, else warn once per kind and return.

        ``kind`` picks the stdlib base of the raised error ("type" -> TypeError,
        anything else -> ValueError).
        """
        text = message if message.startswith(argument) else f"{argument}: {message}"
        if self.strict:
            from ..errors import LoggingTypeError, LoggingValueError

            raise (LoggingTypeError if kind == "type" else LoggingValueError)(text)
        dedupe = key or (argument + ":" + text.split("(given")[0])
        self.warn_once("bad:" + dedupe, text + "; the point was skipped (strict=True raises instead)")

    def closed_input(self, what: str) -> None:
        if getattr(self, "forked", False):
            self.warn_once("forked", f"{what}: run {self.id} belongs to the parent process; a forked child "
                                     "cannot log into it (start a run in the child instead)")
            return
        if self.strict:
            raise RunFinishedError(f"{what}: run {self.id} was finished; start a new run to log more")
        self.warn_once("finished", f"{what}: run {self.id} was finished; the value was not logged")

    # --- series and the checked path -------------------------------------------
    def series(self, title: Any, series: Any, title_arg: str = "title", series_arg: str = "series"):
        """The staging buffer for (title, series) after validating both names; None if rejected."""
        if self.finished:
            self.closed_input(title_arg)
            return None
        for arg, v in ((title_arg, title), (series_arg, series)):
            if not isinstance(v, str):
                self.bad_input(arg, str(type_error(arg, "must be a str", v)), kind="type")
                return None
            if not v or v.isspace():
                self.bad_input(arg, str(value_error(arg, "must be a non-empty string", v)))
                return None
        self.wait_for_room()
        return self.staging.series(title, series)

    def wait_for_room(self) -> None:
        """Block while the staging is full (``on_full="wait"``) or raise RingFullError."""
        st = self.staging
        if not st.blocked:
            return
        st.waits += 1
        self.flusher.wake()
        if self.settings.on_full == "raise":
            from ..errors import RingFullError

            raise RingFullError(f"{st.pending():,} points wait for the flusher (staging_limit="
                                f"{self.settings.staging_limit:,}); the point was not kept")
        while not st.room.wait(0.5):
            if not self.flusher.is_alive():  # never hang the training job
                st.unblock()
                break

    def append(self, buf, value: Any, step: Any, value_arg: str = "value", step_arg: str = "iteration") -> bool:
        """Validate and stage one point (thread-safe for distinct series). False if skipped."""
        x = value if type(value) is float else as_number(value)
        if x is None:
            self.bad_input(value_arg, str(type_error(value_arg, "must be a real number (int, float, numpy "
                                                                "scalar, 0-d array or tensor)", value)), kind="type")
            return False
        s = step if type(step) is int else as_step(step)
        if s is None:
            self.bad_input(step_arg, str(type_error(step_arg, "must be an integer", step)), kind="type")
            return False
        va, sa = buf.pair
        try:
            va(x)
            sa(s)
        except BaseException as exc:  # a step beyond int64, or Ctrl-C between the two appends
            self.staging.repair(buf.title, buf.series)
            if not isinstance(exc, OverflowError):
                raise
            self.bad_input(step_arg, str(value_error(step_arg, "must fit in a signed 64-bit integer", step)))
            return False
        return True

    def report_scalar(self, title: Any, series: Any, value: Any, iteration: Any) -> None:
        """Checked single point (any thread; used by capture, media and the slow paths)."""
        buf = self.series(title, series)
        if buf is not None:
            self.append(buf, value, iteration)

    def report_array(self, title, series, values, iterations, times=None) -> None:
        """Bulk path: validated numpy arrays queued in order behind staged points."""
        buf = self.series(title, series)
        if buf is None:
            return
        try:
            v = np.asarray(values)
            it = np.asarray(iterations)
        except Exception as exc:
            self.bad_input("values", f"values: must be array-like of numbers ({exc})", kind="type")
            return
        if v.ndim != 1 or v.dtype.kind not in "biuf":
            self.bad_input("values", str(type_error("values", "must be a 1-D array of real numbers",
                                                    f"{v.dtype} array of shape {v.shape}")), kind="type")
            return
        if it.ndim != 1 or it.dtype.kind not in "iub":
            if it.ndim == 1 and it.dtype.kind == "f" and np.all(np.mod(it, 1) == 0):
                it = it.astype(np.int64)
            else:
                self.bad_input("iterations", str(type_error("iterations", "must be a 1-D array of integers",
                                                            f"{it.dtype} array of shape {it.shape}")), kind="type")
                return
        if len(it) != len(v):
            self.bad_input("iterations", str(value_error("iterations", f"must have the same length as values "
                                                         f"({len(v)})", f"length {len(it)}")))
            return
        n = len(v)
        now = time.time()
        if times is None:
            tm = np.full(n, now)
        else:
            try:
                tm = np.asarray(times, dtype=np.float64)
            except (TypeError, ValueError):
                tm = np.empty(0)
            if tm.shape != (n,) or not np.all(np.isfinite(tm)):
                self.bad_input("times", str(value_error("times", f"must be None or 1-D of length {n} "
                                                        "holding finite unix seconds", times)))
                return
        # the store appends big arrays much faster than small ones: bulks move in >= 1M-point
        # chunks (24 MB), at most two queued at a time
        chunk = max(1 << 20, self.settings.staging_limit // 2)
        limit = 2 * chunk
        # bounded memory with overlap: up to ``limit`` points wait while the flusher writes the
        # previous harvest; the copy here runs while the store compresses there
        for at in range(0, n, chunk):
            while self.staging.bulk_pending >= limit and self.flusher.is_alive():
                self.staging.waits += 1
                self.flusher.wake()
                self.flusher.wait_harvest(0.5)
            self.wait_for_room()
            self.staging.add_bulk(buf, np.array(it[at:at + chunk], dtype=np.int64),
                                  np.array(v[at:at + chunk], dtype=np.float64), np.array(tm[at:at + chunk]), now)
            if self.staging.bulk_pending >= limit // 2:
                self.flusher.wake()

    # --- metadata ---------------------------------------------------------------
    def set_meta(self, **fields: Any) -> None:
        """Queue metadata (env=..., anything JSON-able) for the flusher's next cycle."""
        with self._lock:
            self.extra_meta.update(fields)
            self.meta_dirty = True

    def touch_meta(self) -> None:
        self.meta_dirty = True

    def meta_snapshot(self, summary: bool = False) -> dict:
        with self._lock:
            self.meta_dirty = False
            out = dict(self.extra_meta)
            out["config"] = jsonable(self.config)
            out["tags"] = list(self.tags)
            out["metrics"] = jsonable(self.metric_defs)
            out["flavour"] = self.kind
        if summary:
            out["summary"] = jsonable(self.summary_values(staged=False))
        return out

    def collect_environment(self) -> None:
        """Runs on the flusher thread: CAPTURE's environment.collect, else the basics."""
        env = {"argv": list(sys.argv), "host": platform.node(), "python": platform.python_version(),
               "pid": os.getpid(), "cwd": os.getcwd()}
        try:
            from .environment import collect
        except ImportError:
            collect = None
        if collect is not None:
            try:
                env = collect(git=self.settings.git)
            except Exception as exc:
                self.warn_once("env", f"ringlog could not collect the environment: {exc!r}")
        self.set_meta(env=env)

    # --- summaries --------------------------------------------------------------
    def summary_how(self, key: str) -> str:
        spec = self.metric_defs.get(key)
        if spec is None:
            for pattern, s in self.metric_defs.items():
                if any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(key, pattern):
                    spec = s
                    break
        return (spec or {}).get("summary") or "last"

    def summary_values(self, staged: bool = True) -> dict:
        """W&B-style summary: user-set values, else each key's last (or min/max/mean) value.

        Cost: O(keys), plus O(points not yet flushed) for min/max/mean keys.
        """
        out = {}
        for buf in list(self.staging.bufs):
            if buf.title == buf.series:
                value = self._summary_of(buf, staged)
                if value is not None:
                    out[buf.title] = value
        out.update(self.user_summary)
        return out

    def summary_value(self, key: str, staged: bool = True) -> Any:
        """One key of :meth:`summary_values` (KeyError if it has none)."""
        if key in self.user_summary:
            return self.user_summary[key]
        buf = self.staging.by_key.get((key, key))
        value = None if buf is None else self._summary_of(buf, staged)
        if value is None:
            raise KeyError(key)
        return value

    def _summary_of(self, buf, staged: bool) -> Optional[float]:
        how = self.summary_how(buf.title)
        if staged and how == "last":
            with self.staging.lock:  # O(1): the last staged value, if any
                n = len(buf.s)
                if n:
                    return float(buf.v[n - 1])
            return buf.stats.summary(how)
        stats = buf.stats
        if staged:
            st, va = self.staging.latest(buf)
            if len(st):
                stats = SeriesStats(**vars(buf.stats))
                stats.update(st, va)
        return stats.summary(how)

    # --- hooks for MEDIA and CAPTURE -----------------------------------------------
    def console_write(self, stream: str, text: str, level: str = "info", time: Optional[float] = None) -> None:
        """Queue a console record (any thread); ``time``: when it was printed (default now)."""
        self.console_records.append((_now() if time is None else float(time), stream, level, text))

    def media_writer(self):
        """The task's MediaWriter behind a lock (waits until the task exists on disk)."""
        if self._media is None:
            self.flusher.ready.wait(self.settings.finish_timeout)
            w = self.flusher.writer
            if w is None:
                raise RunFinishedError(f"run {self.id}: the store is not available "
                                       f"({self.flusher.store_error!r})")
            with self._lock:
                if self._media is None:
                    media = getattr(w, "media", None)
                    if media is None:
                        from ringlog.store.media import MediaWriter

                        media = MediaWriter(w.path)
                    self._media = _Locked(media, threading.RLock())
        return self._media

    def write_side_records(self, writer, final: bool = False) -> None:
        """Flusher thread: console records go to the media writer, in time order.

        Captured stdout reaches ``console_records`` up to one capture pump period
        (0.5 s) after it was printed, while ``report_text`` records arrive at once;
        so records younger than ``CONSOLE_HOLD`` seconds wait for the next cycle
        (all are written at the end) and each chunk is sorted by time (stable).
        """
        recs = self.console_records
        n = len(recs)
        if n:
            chunk = recs[:n]
            del recs[:n]
            chunk.sort(key=lambda r: r[0])
            if not final:
                cut = time.time() - CONSOLE_HOLD
                k = len(chunk)
                while k and chunk[k - 1][0] > cut:  # sorted: the young ones are a suffix
                    k -= 1
                if k < len(chunk):
                    recs[:0] = chunk[k:]  # one list operation: safe against concurrent appends
                    chunk = chunk[:k]
            if chunk:
                self.media_writer().add_console(chunk)
        if self._media is not None and self._media.dirty:
            self._media.dirty = False
            self._media.sync()

    def apply_nonfinite(self, batch) -> None:
        if self.nan_value is not None or self.inf_value is not None:
            batch.value = nonfinite_replace(batch.value, self.nan_value, self.inf_value)

    # --- capture ----------------------------------------------------------------
    # --- the end ----------------------------------------------------------------
    def upload(self, nbytes: int, what: str, job) -> None:
        """Queue ``job`` (stores one sample to the remote destination) on the uploads thread."""
        if self.uploads is None:
            from .uploads import Uploads

            with self._lock:
                if self.uploads is None:
                    self.uploads = Uploads(self)
        self.uploads.submit(nbytes, what, job)

    def flush(self, wait: bool = True, timeout: Optional[float] = None, uploads: bool = True) -> bool:
        """Write what is staged; with ``wait`` block until it is on disk and (``uploads``) until every
        queued remote sample is stored. Strict mode raises the first failed upload here."""
        if self.finished:
            return True
        timeout = self.settings.finish_timeout if timeout is None else timeout
        ok = True
        up = self.uploads
        if wait and uploads and up is not None:
            ok = up.drain(timeout)
            if self.strict and up.first_error is not None:
                exc, up.first_error = up.first_error, None
                raise LoggingError(f"upload: a debug sample could not be stored at {self.media_destination!r} "
                                   f"({type(exc).__name__}: {exc})") from exc
        return self.flusher.flush(wait=wait, timeout=timeout) and ok

    def finish(self, status: str = "completed") -> None:
        """Stop capture, write everything staged, close the task with ``status``; bounded wait."""
        with self._lock:
            again = self.finished or self._finishing
            self._finishing = True
        if again:
            # e.g. atexit after a signal interrupted the first finish(): let the last flush end
            if self.flusher.is_alive() and self.flusher.stopping:
                self.flusher.join(self.settings.finish_timeout)
            return
        for hook in self.before_finish:  # e.g. the W&B row still accumulating, connected dicts
            try:
                hook()
            except Exception as exc:
                self.warn_once("before-finish", f"ringlog: {exc!r} while finishing run {self.id}")
        self.finished = True
        status = self.exit_status or status
        self.status = status
        if self.capture is not None:
            try:
                self.capture.stop()
            except Exception as exc:
                self.warn_once("capture-stop", f"ringlog could not stop auto-capture cleanly: {exc!r}")
        if self.uploads is not None and not self.uploads.close(self.settings.finish_timeout):
            self.warn_once("upload-timeout", f"ringlog: run {self.id}: {self.uploads.pending()} debug samples were "
                           f"still uploading after {self.settings.finish_timeout:g} s (finish_timeout); the "
                           "uploads thread keeps going while the process lives")
        self.staging.close()
        self.flusher.stop(status)
        timeout = self.settings.finish_timeout
        if self.flusher.is_alive():
            self.flusher.join(timeout)
        self.clock.stop_event.set()
        if self.clock.is_alive():
            self.clock.join(1.0)
        lifecycle.unregister(self)
        if self.flusher.is_alive():
            f = self.flusher
            unwritten = self.staging.pending() + max(0, f.harvested - f.written - f.dropped)
            warnings.warn(f"ringlog: run {self.id} could not flush {unwritten:,} points within {timeout:g} s "
                          "(finish_timeout); the flusher keeps writing while the process lives, what is "
                          "left at exit is lost", LoggingWarning, stacklevel=3)
        elif self.flusher.dropped:
            warnings.warn(f"ringlog: run {self.id}: {self.flusher.dropped:,} points could not be written "
                          f"({self.flusher.store_error!r})", LoggingWarning, stacklevel=3)

    def detach_after_fork(self) -> None:
        """In a forked child: no thread, no lock can be trusted; refuse further points."""
        self._lock = threading.Lock()
        st = self.staging
        st.lock = threading.Lock()
        st.closed = True
        st.fast.clear()
        st.wfast.clear()
        self.finished = True
        self.forked = True

    def stats(self) -> dict:
        """Counters for tests and benchmarks."""
        return {"waits": self.staging.waits, "written": self.flusher.written, "dropped": self.flusher.dropped,
                "pending": self.staging.pending(), "cycles": self.flusher.cycles, "series": len(self.staging.bufs),
                "flusher_cpu_s": round(self.flusher.cpu_s, 4),
                **(self.uploads.stats() if self.uploads is not None else {})}


_SDK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the ringlog package


def _user_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside the SDK (the user's call)."""
    level, f = 1, sys._getframe(1)
    while f is not None and os.path.abspath(f.f_code.co_filename).startswith(_SDK_DIR + os.sep):
        f = f.f_back
        level += 1
    return level


class _Locked:
    """Proxy that runs every method of ``obj`` under ``lock`` (MediaWriter is not thread-safe)."""

    def __init__(self, obj, lock) -> None:
        self._obj, self._lk = obj, lock
        self.dirty = False  # something was written since the flusher's last sync

    def __getattr__(self, name):
        attr = getattr(self._obj, name)
        if not callable(attr):
            return attr
        writes = name != "sync" and not name.startswith(("read", "get"))

        def call(*a, **k):
            with self._lk:
                if writes:
                    self.dirty = True
                return attr(*a, **k)

        return call
