"""ClearML-style ``Logger``: ``task.get_logger().report_scalar(title, series, value, iteration)``.

The per-call path is one dict lookup and two C appends (see :mod:`ringlog._engine.staging`);
anything unusual (a new series, a bad value, a full staging, a finished task)
takes the checked path in :class:`~ringlog._engine.runcore.RunCore`. The bulk path
``report_scalar_array`` takes numpy arrays. Media, plots and text reporting
come from :class:`~ringlog.clearml.reporting.ReportingMixin`; the capture switches from
:class:`~ringlog.capture.options.CaptureLoggerMixin`.

NaN and Inf are stored as logged (the viewer shows them); ClearML's
``set_reporting_nan_value`` / ``set_reporting_inf_value`` replace them instead.
"""

from __future__ import annotations

from typing import Any, Optional

from .._engine import context
from .._engine.runcore import RunCore
from ..capture.options import CaptureLoggerMixin
from .reporting import ReportingMixin


class Logger(ReportingMixin, CaptureLoggerMixin):
    """Reports scalars (and, through the mixin, media and plots) for one task."""

    def __init__(self, core: RunCore) -> None:
        self._run = core
        self._fast = core.staging.fast

    @classmethod
    def for_core(cls, core: RunCore) -> "Logger":
        """The one Logger of the task run by ``core`` (made on first use)."""
        if core.logger_facade is None:
            core.logger_facade = cls(core)
        return core.logger_facade

    @classmethod
    def current_logger(cls) -> Optional["Logger"]:
        """The Logger of the current task (ClearML's ``Logger.current_logger()``), or None."""
        core = context.current_core()
        return None if core is None else cls.for_core(core)

    def report_scalar(self, title: str, series: str, value: float, iteration: int) -> None:
        """One point of series ``series`` in graph ``title`` at ``iteration``."""
        try:
            va, sa = self._fast[title, series]
        except Exception:
            return self._checked(title, series, value, iteration)
        try:
            va(value)
            sa(iteration)
        except BaseException as exc:
            # a bad iteration, or Ctrl-C / a signal landing between the two appends:
            # drop the half-appended point so values and steps stay paired
            self._run.staging.repair(title, series)
            if not isinstance(exc, Exception):
                raise
            self._checked(title, series, value, iteration)

    def _checked(self, title: Any, series: Any, value: Any, iteration: Any) -> None:
        self._run.report_scalar(title, series, value, iteration)

    def report_scalar_array(self, title: str, series: str, values: Any, iterations: Any,
                            times: Optional[Any] = None) -> None:
        """Many points of one series at once (numpy arrays; ``times`` in unix seconds, default now)."""
        self._run.report_array(title, series, values, iterations, times)

    def report_single_value(self, name: str, value: float) -> None:
        """A single number for the task (shown in its summary, e.g. a final accuracy)."""
        core = self._run
        if not isinstance(name, str) or not name.strip():
            from ..errors import type_error

            core.bad_input("name", str(type_error("name", "must be a non-empty str", name)), kind="type")
            return
        from .._engine.values import as_number

        x = as_number(value)
        if x is None:
            from ..errors import type_error

            core.bad_input("value", str(type_error("value", "must be a real number", value)), kind="type")
            return
        with core._lock:
            core.user_summary[name] = x
            core.meta_dirty = True
        core.report_scalar("Summary", name, x, 0)

    def set_reporting_nan_value(self, value: float, warn_period: int = 1000) -> None:
        """Store NaN values as ``value`` from now on (ClearML's default is to keep them here)."""
        self._run.nan_value = float(value)

    def set_reporting_inf_value(self, value: float, warn_period: int = 1000) -> None:
        """Store +Inf as ``value`` and -Inf as ``-value`` from now on."""
        self._run.inf_value = float(value)

    def flush(self, wait: bool = True) -> bool:
        """Write everything reported so far; with ``wait`` block until it is on disk and every debug
        sample queued for a remote upload destination is stored."""
        return self._run.flush(wait=wait)

    def __repr__(self) -> str:
        return f"<ringlog.Logger task={self._run.id}>"
