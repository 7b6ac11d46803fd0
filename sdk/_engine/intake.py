"""Intake: where every point enters a run - the fast path, the checked path and the bad-input policy.

The fast path (cost model in :mod:`.staging`) is one dict lookup and two C appends per point.
The append-and-repair step - append the value, append the step, and on any ``BaseException``
drop a value appended without its step, so values and steps stay paired even when Ctrl-C lands
between the two appends - is written in :meth:`Intake.put` (one point of a (title, series)) and
once more in :meth:`Intake.put_row` (a W&B row: key -> (key, key)); see ``put_row`` for the
measurement that keeps the second copy. Every facade and capture goes through these two:
``Logger.report_scalar`` and ``RunSink.report_scalar`` *are* ``put``, ``Run.log`` and
``ringlog.log`` call ``put_row``.

Anything unusual - a new series, a bad value or name, a full staging, a finished run - misses the
fast dicts and takes the checked path (:meth:`Intake.checked`): it validates, reports bad input
(:meth:`bad_input`: raise in strict mode, else one warning per kind and the point is skipped),
waits for room, registers the series (which refills the fast dicts) and appends through ``put``.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import warnings
from typing import TYPE_CHECKING, Any, Callable, Optional

import numpy as np

from ..errors import (LoggingTypeError, LoggingValueError, LoggingWarning, RingFullError, RunFinishedError,
                      type_error, value_error)
from .settings import Settings
from .staging import Staging
from .values import as_number, as_step, number_problem

if TYPE_CHECKING:  # pragma: no cover
    from .flusher import Flusher

#: ``put_row``'s answer when ``row.items()`` itself failed (no key was reached)
MISSING = object()

_INT64 = (-(1 << 63), 1 << 63)


class Intake:
    """The points of one run on their way into the staging; see the module docstring.

    Thread-safe for distinct series (the staging's assumption: one series, one thread at a time).
    """

    def __init__(self, *, run_id: str, settings: Settings, staging: Staging, flusher: "Flusher") -> None:
        self.run_id = run_id
        self.settings = settings
        self.strict = settings.is_strict
        self.staging = staging
        self._flusher = flusher
        self._fast = staging.fast
        self._wfast = staging.wfast
        self.closed = False  # finished (or a forked child's copy): every point is refused
        self.forked = False
        self._warned: set = set()
        self._warn_lock = threading.Lock()
        self.refused = 0  # points (or calls) skipped as bad input, counted in stats()["dropped"]

    # --- the fast paths (the only places that append a point) ---------------------------------
    def put(self, title: Any, series: Any, value: Any, iteration: Any) -> None:
        """One point of (``title``, ``series``) at step ``iteration`` (ClearML's names: this is
        ``Logger.report_scalar`` itself); checked on any miss (any thread)."""
        try:
            va, sa = self._fast[title, series]
            va(value)
            sa(iteration)
        except BaseException as exc:
            self._unpair(title, series)
            if not isinstance(exc, Exception):  # Ctrl-C / a signal: the point is not kept
                raise
            self.checked(title, series, value, iteration)

    def put_row(self, row: Any, step: int) -> Any:
        """A W&B row ``{key: value}`` at ``step``: None when every key went in, else the key the
        caller continues from on its checked path (:data:`MISSING` when ``row`` is no mapping).

        A second copy of ``put``'s loop, kept for speed: calling ``put(k, k, v, step)`` per key
        instead measured 690 vs 500 ns of CPU per ``ringlog.log({"loss": v})`` and 313 vs 215 ns
        per key of a 500-key row (Python 3.11, thread CPU time, best of 15 x 200k calls).
        """
        wfast = self._wfast
        k = MISSING
        try:
            for k, v in row.items():
                va, sa = wfast[k]
                va(v)
                sa(step)
        except KeyError:  # the lookup missed (a new key, a nested dict, a full staging): nothing appended
            return k
        except BaseException as exc:
            if k is not MISSING:
                self._unpair(k, k)
            if not isinstance(exc, Exception):
                raise
            return k
        return None

    def put_mapped(self, row: Any, names: dict, step: int) -> Any:
        """``put_row`` for a row whose keys are stored under other names (``names[key]``: a W&B nested
        dict's inner keys under "outer.inner"): None when every key went in, else the key of ``row``
        the caller continues from on its checked path (a key without a name, a new or refused one)."""
        wfast = self._wfast
        k = MISSING
        try:
            for k, v in row.items():
                va, sa = wfast[names[k]]
                va(v)
                sa(step)
        except KeyError:
            return k
        except BaseException as exc:
            flat = names.get(k) if isinstance(k, str) else None
            if flat is not None:
                self._unpair(flat, flat)
            if not isinstance(exc, Exception):
                raise
            return k
        return None

    def _unpair(self, title: Any, series: Any) -> None:
        """Drop a value appended without its step (no-op when both or neither went in)."""
        try:
            self.staging.repair(title, series)
        except TypeError:  # unhashable names: the lookup failed before anything was appended
            pass

    # --- the checked path --------------------------------------------------------------------
    def checked(self, title: Any, series: Any, value: Any, step: Any, *, title_arg: str = "title",
                series_arg: str = "series", value_arg: str = "value", step_arg: str = "iteration") -> bool:
        """Validate one point, report bad input, wait for room and append it; False if skipped."""
        if self.closed:
            self.closed_input(title_arg)
            return False
        if not self._names_ok(title, series, title_arg, series_arg):
            return False
        x = value if type(value) is float else as_number(value)
        if x is None:
            self.bad_number(value_arg, value)
            return False
        s = step if type(step) is int else as_step(step)
        if s is None:
            self.bad_input(step_arg, str(type_error(step_arg, "must be an integer", step)), kind="type")
            return False
        if not _INT64[0] <= s < _INT64[1]:
            self.bad_input(step_arg, str(value_error(step_arg, "must fit in a signed 64-bit integer", step)))
            return False
        if not self.register(title, series):
            self.closed_input(title_arg)
            return False
        self.put(title, series, x, s)  # valid now, and its pair is in the fast dict
        return True

    def bad_number(self, argument: str, value: Any) -> None:
        """Report a value :func:`~.values.as_number` refused: a TypeError-kind for a non-number, a
        ValueError-kind for a real number too big for a float64 (``10**400``)."""
        kind, rule = number_problem(value)
        err = type_error(argument, rule, value) if kind == "type" else value_error(argument, rule, value)
        self.bad_input(argument, str(err), kind=kind, key=f"{argument}:{rule}")

    def _names_ok(self, title: Any, series: Any, title_arg: str, series_arg: str) -> bool:
        for arg, v in ((title_arg, title), (series_arg, series)):
            if not isinstance(v, str):
                self.bad_input(arg, str(type_error(arg, "must be a str", v)), kind="type")
                return False
            if not v or v.isspace():
                self.bad_input(arg, str(value_error(arg, "must be a non-empty string", v)))
                return False
        return True

    def register(self, title: str, series: str) -> bool:
        """Wait for room, then make sure (title, series) exists with its pair in the fast dict (the
        clock may close the fast path again in between: then wait again). False if the run closed."""
        st = self.staging
        while True:
            self.wait_for_room()
            st.series(title, series)
            if (title, series) in self._fast:
                return True
            if st.closed:
                return False

    def wait_for_room(self) -> None:
        """Block while the staging is full (``on_full="wait"``) or raise RingFullError."""
        st = self.staging
        if not st.blocked:
            return
        st.waits += 1
        self._flusher.wake()
        if self.settings.on_full == "raise":
            raise RingFullError(f"{st.pending():,} points wait for the flusher (staging_limit="
                                f"{self.settings.staging_limit:,}); the point was not kept")
        while not st.room.wait(0.5):
            if not self._flusher.is_alive():  # never hang the training job
                st.unblock()
                break

    def report_array(self, title: Any, series: Any, values: Any, iterations: Any, times: Any = None) -> None:
        """Bulk path: validated numpy arrays queued in order behind the staged points of the series."""
        if self.closed:
            self.closed_input("title")
            return
        if not self._names_ok(title, series, "title", "series"):
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
        if it.ndim == 1 and len(it) and ((it.dtype.kind == "u" and int(it.max()) >= _INT64[1]) or (
                it.dtype.kind == "f" and not (np.all(it >= -2.0 ** 63) and np.all(it < 2.0 ** 63)))):
            self.bad_input("iterations", str(value_error("iterations", "must fit in a signed 64-bit integer",
                                                         f"{it.dtype} array from {it.min()} to {it.max()}")))
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
        self._wait_durable()
        n = len(v)
        now = time.time()  # after any wait: the staged points before this bulk are stamped no later
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
        self.wait_for_room()
        buf = self.staging.series(title, series)
        # the store appends big arrays much faster than small ones: bulks move in >= 1M-point
        # chunks (24 MB), at most two queued at a time; the copy here runs while the flusher writes
        chunk = max(1 << 20, self.settings.staging_limit // 2)
        limit = 2 * chunk
        st, flusher = self.staging, self._flusher
        for at in range(0, n, chunk):
            while st.bulk_pending >= limit and flusher.is_alive():
                st.waits += 1
                flusher.wake()
                flusher.wait_harvest(0.5)
            self.wait_for_room()
            st.add_bulk(buf, np.array(it[at:at + chunk], dtype=np.int64),
                        np.array(v[at:at + chunk], dtype=np.float64), np.array(tm[at:at + chunk]), now)
            if st.bulk_pending >= limit // 2:
                flusher.wake()

    def _wait_durable(self) -> None:
        """A bulk is acknowledged when queued: while the store has made nothing durable for most of
        a flush interval (a slow disk, a starved box, kernels still compiling), wait for it, so a
        ``kill -9`` loses about the promised interval of bulks, not the whole queue. Bounded: a store
        that fails has its own rules (retries, then drops), and no call waits here over two intervals."""
        flusher = self._flusher
        horizon = 0.75 * self.settings.flush_interval
        give_up = time.monotonic() + 2 * self.settings.flush_interval
        while flusher.lag() > horizon and flusher.healthy and time.monotonic() < give_up:
            self.staging.waits += 1
            flusher.wait_durable(horizon, min(0.5, max(0.0, give_up - time.monotonic())))

    # --- the bad-input policy ----------------------------------------------------------------
    def warn_once(self, kind: str, message: str) -> None:
        """One warning per kind per run (a logging loop must not flood the console)."""
        with self._warn_lock:
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

        ``kind`` picks the stdlib base of the raised error ("type" -> TypeError, else ValueError).
        """
        text = message if message.startswith(argument) else f"{argument}: {message}"
        if self.strict:
            raise (LoggingTypeError if kind == "type" else LoggingValueError)(text)
        self.refused += 1
        dedupe = key or (argument + ":" + text.split("(given")[0])
        self.warn_once("bad:" + dedupe, text + "; the point was skipped (strict=True raises instead)")

    def closed_input(self, what: str) -> None:
        """Input for a finished run (or a forked child's copy of one): raise in strict mode, else warn once."""
        if self.forked:
            self.warn_once("forked", f"{what}: run {self.run_id} belongs to the parent process; a forked child "
                                     "cannot log into it (start a run in the child instead)")
            return
        if self.strict:
            raise RunFinishedError(f"{what}: run {self.run_id} was finished; start a new run to log more")
        self.warn_once("finished", f"{what}: run {self.run_id} was finished; the value was not logged")

    # --- summaries of what went in ------------------------------------------------------------
    def summaries(self, how: Callable[[str], Optional[tuple]], staged: bool = True) -> dict:
        """W&B-style default summary of every ``key`` (title == series). ``how(key)`` is
        :meth:`RunState.summary_how`: None -> the last value; else ``{name: aggregate}`` for its
        (name, aggregate) pairs, as W&B's handler keeps ``summary="max"`` as ``{"max": v}``
        (wandb/sdk/internal/handler.py, ``_update_summary_metrics``); () -> no key ("none").
        Cost: O(keys), plus O(points not yet flushed) per min/max/mean key when ``staged``."""
        out = {}
        for buf in list(self.staging.bufs):
            if buf.title == buf.series:
                value = self._summary_of(buf, how(buf.title), staged)
                if value is not None:
                    out[buf.title] = value
        return out

    def summary(self, key: str, how: Optional[tuple], staged: bool = True) -> Any:
        """One key of :meth:`summaries` (None if it has no point or no summary)."""
        buf = self.staging.by_key.get((key, key))
        return None if buf is None else self._summary_of(buf, how, staged)

    def _summary_of(self, buf: Any, how: Optional[tuple], staged: bool) -> Any:
        st = self.staging
        if how is None:
            return st.summary(buf, "last", staged)
        out = {}
        for name, agg in how:
            v = st.summary(buf, agg, staged)
            if v is not None:
                out[name] = v
        return out or None

    # --- the end -------------------------------------------------------------------------------
    def close(self) -> None:
        """The run is finishing: the checked path refuses points from now on (and says so)."""
        self.closed = True

    def close_fast_path(self) -> None:
        """After the captures stopped: the fast dicts miss from now on, so every point is refused."""
        self.staging.close()

    def detach_after_fork(self) -> None:
        """In a forked child no lock can be trusted: fresh locks, every point refused."""
        self._warn_lock = threading.Lock()
        st = self.staging
        st.lock = threading.Lock()
        st.closed = True
        st.fast.clear()
        st.wfast.clear()
        self.closed = True
        self.forked = True

    def stats(self) -> dict:
        st = self.staging
        return {"waits": st.waits, "pending": st.pending(), "series": len(st.bufs), "refused": self.refused}


_SDK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the ringlog package


def _user_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside the SDK (the user's call)."""
    level, f = 1, sys._getframe(1)
    while f is not None and os.path.abspath(f.f_code.co_filename).startswith(_SDK_DIR + os.sep):
        f = f.f_back
        level += 1
    return level
