"""ClearML-style ``Logger``: ``task.get_logger().report_scalar(title, series, value, iteration)``.

``report_scalar`` is the intake's fast path itself (:meth:`ringlog._engine.intake.Intake.put`):
one dict lookup and two C appends per point; anything unusual (a new series, a bad value, a full
staging, a finished task) takes its checked path. The bulk path ``report_scalar_array`` takes
numpy arrays. Media, plots, text and the upload destination come from
:class:`~ringlog.clearml.reporting.ReportingMixin`; the capture switches from
:class:`~ringlog.capture.options.CaptureLoggerMixin`.

Process-wide settings are class methods, as in ClearML (clearml/logger.py):
``set_reporting_nan_value`` / ``set_reporting_inf_value`` apply to every task's scalars reported
after the call (the current task's staged points are flushed first, under the old rule: a point
reported before the call keeps the value it had); ``tensorboard_single_series_per_graph`` is kept
for old scripts and changes nothing (ClearML deprecated it: the UI decides).
"""

from __future__ import annotations

import functools
import logging
import math
import numbers
from typing import Any, Optional

from .._engine import context
from .._engine.runcore import RunCore
from .._engine.values import as_number
from ..capture.options import CaptureLoggerMixin
from ..errors import type_error, value_error
from .reporting import ReportingMixin, SeriesInfo, _history

class _class_or_instance:
    """A method callable on the class (ClearML's class methods) or on an instance; the function gets
    ``(cls, instance or None, *args)``."""

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        self.__doc__ = fn.__doc__

    def __get__(self, obj: Any, cls: Any) -> Any:
        return functools.partial(self.fn, cls, obj)


#: ClearML's iteration for ``report_single_value`` (clearml/logger.py: ``iteration=-(2**31)``)
SINGLE_VALUE_ITERATION = -(2 ** 31)


class Logger(ReportingMixin, CaptureLoggerMixin):
    """Reports scalars (and, through the mixin, media and plots) for one task."""

    SeriesInfo = SeriesInfo
    # process-wide, as ClearML's MetricsEventAdapter.default_nan_value / default_inf_value
    _nan_value: Optional[float] = None
    _inf_value: Optional[float] = None
    _nan_warn_period = 1000
    _inf_warn_period = 1000
    _tensorboard_single_series_per_graph = False

    def __init__(self, core: RunCore) -> None:
        self._run = core
        core.nan_value, core.inf_value = Logger._nan_value, Logger._inf_value
        # the instance attribute shadows the documented method below: a call is the intake's own
        # bound method, one Python call per point (a forwarding method measured ~+70 ns of ~260)
        self.report_scalar = core.report_scalar

    @classmethod
    def for_core(cls, core: RunCore) -> "Logger":
        """The one Logger of the task run by ``core`` (made on first use)."""
        if core.logger_facade is None:
            core.logger_facade = cls(core)
        return core.logger_facade  # type: ignore[return-value]

    @classmethod
    def current_logger(cls) -> Optional["Logger"]:
        """The Logger of the current task (ClearML's ``Logger.current_logger()``), or None."""
        core = context.current_core()
        return None if core is None else cls.for_core(core)

    def report_scalar(self, title: str, series: str, value: float, iteration: int) -> None:  # type: ignore[no-redef]
        """One point of series ``series`` in graph ``title`` at ``iteration``."""
        self._run.report_scalar(title, series, value, iteration)

    def report_scalar_array(self, title: str, series: str, values: Any, iterations: Any,
                            times: Optional[Any] = None) -> None:
        """Many points of one series at once (numpy arrays; ``times`` in unix seconds, default now)."""
        self._run.report_array(title, series, values, iterations, times)

    def report_single_value(self, name: str, value: float) -> None:
        """A single number for the task (a final accuracy): title ``"Summary"``, series ``name``, at
        iteration -2**31 as ClearML stores it; reporting the same name again updates the value (readers
        take the last point; the viewer lists it as one value, not a chart)."""
        core = self._run
        if not isinstance(name, str) or not name.strip():
            core.bad_input("name", str(type_error("name", "must be a non-empty str", name)), kind="type")
            return
        x = as_number(value)
        if x is None:
            core.bad_input("value", str(type_error("value", "must be a real number", value)), kind="type")
            return
        core.state.set_summary(name, x)
        core.report_scalar("Summary", name, x, SINGLE_VALUE_ITERATION)

    def flush(self, wait: bool = False) -> bool:
        """Write everything reported so far (ClearML's default: don't wait); with ``wait`` block until
        it is on disk and every debug sample queued for a remote upload destination is stored."""
        return self._run.flush(wait=wait)

    # --- settings ------------------------------------------------------------------------------
    @_class_or_instance
    def set_reporting_nan_value(cls, logger: Optional["Logger"], value: float, warn_period: int = 1000) -> None:
        """Store NaN scalars as ``value`` (by default ringlog keeps NaN as logged; ClearML writes 0),
        from this call on: in the current task (and the one of ``logger`` when called on an instance)
        and in tasks started later. Points reported before the call keep what they had."""
        Logger._nan_value = _finite_setting(value, "value")
        Logger._nan_warn_period = _period(warn_period)
        _apply_from_now(logger)

    @_class_or_instance
    def set_reporting_inf_value(cls, logger: Optional["Logger"], value: float, warn_period: int = 1000) -> None:
        """Store +Inf scalars as ``value`` and -Inf as ``-value`` (default: kept as logged), from this
        call on, as :meth:`set_reporting_nan_value`."""
        Logger._inf_value = _finite_setting(value, "value")
        Logger._inf_warn_period = _period(warn_period)
        _apply_from_now(logger)

    @classmethod
    def tensorboard_single_series_per_graph(cls, single_series: bool = False) -> None:
        """Accepted for old ClearML scripts; ClearML deprecated it (its UI groups series now) and so it
        changes nothing here: the viewer draws one chart per title."""
        Logger._tensorboard_single_series_per_graph = bool(single_series)

    def set_default_debug_sample_history(self, max_history: int) -> None:
        """Samples kept per title/series when ``report_image`` / ``report_media`` / ... give no
        ``max_image_history`` / ``max_history`` (default 100)."""
        self._guarded("set_default_debug_sample_history", self._set_history, max_history)

    def _set_history(self, max_history: Any) -> None:
        self._sample_history = _history(max_history, "max_history")

    def get_default_debug_sample_history(self) -> int:
        """The number of samples kept per title/series when a call gives none."""
        return _history(None, "max_history", self._sample_history)

    def set_flush_period(self, period: Optional[float]) -> None:
        """Accepted for old ClearML scripts (deprecated there, and a no-op since): the flush period is
        ``Settings(flush_interval=...)``, fixed for the task's life."""
        if period is not None and (isinstance(period, bool) or not isinstance(period, numbers.Real)
                                   or period < 0):
            self._run.bad_input("period", str(type_error("period", "must be None or seconds >= 0", period)),
                                kind="type")

    def get_flush_period(self) -> Optional[float]:
        """Seconds between the task's flushes to disk (``Settings.flush_interval``)."""
        return float(self._run.settings.flush_interval)

    def capture_logging(self) -> "_LoggingCapture":
        """A context manager: while inside it, records of Python's ``logging`` (root logger, at the
        levels the loggers let through) go into the task's console log with their level. (Records a
        handler also prints to a captured stderr appear there as well, as printed text.)"""
        return _LoggingCapture(self._run)

    def __repr__(self) -> str:
        return f"<ringlog.Logger task={self._run.id}>"


class _TaskLogHandler(logging.Handler):
    """A ``logging`` handler writing each record into a task's console log."""

    def __init__(self, run: RunCore) -> None:
        super().__init__()
        self._run = run

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # logging's own policy for a record that fails to format
            self.handleError(record)
            return
        self._run.console_write("log", text, record.levelname.lower())


class _LoggingCapture:
    """:meth:`Logger.capture_logging`'s context: a handler on the root logger while inside."""

    def __init__(self, run: RunCore) -> None:
        self._handler = _TaskLogHandler(run)

    def __enter__(self) -> "_LoggingCapture":
        logging.getLogger().addHandler(self._handler)
        return self

    def __exit__(self, *exc: Any) -> None:
        logging.getLogger().removeHandler(self._handler)


def _finite_setting(value: Any, argument: str) -> float:
    x = as_number(value)
    if x is None:
        raise type_error(argument, "must be a real number", value)
    if not math.isfinite(x):
        raise value_error(argument, "must be a finite number (what NaN / Inf are stored as)", value)
    return x


def _period(warn_period: Any) -> int:
    if isinstance(warn_period, bool) or not isinstance(warn_period, numbers.Integral) or warn_period < 1:
        raise type_error("warn_period", "must be a positive int", warn_period)
    return int(warn_period)


def _apply_from_now(logger: Optional[Logger]) -> None:
    """Give the current task (and ``logger``'s) the new replacement values for points reported from
    now on: what a task staged before the call is flushed first, under the rule it was reported with
    (the engine applies the replacement when it writes a batch)."""
    cores = {id(c): c for c in (context.current_core(), None if logger is None else logger._run)
             if c is not None and not c.finished}
    for core in cores.values():
        if (core.nan_value, core.inf_value) != (Logger._nan_value, Logger._inf_value):
            core.flush(wait=True, uploads=False)
            core.nan_value, core.inf_value = Logger._nan_value, Logger._inf_value
