"""ClearML-style ``Logger``: ``task.get_logger().report_scalar(title, series, value, iteration)``.

The per-call path is one dict lookup and two C appends (see ``staging.py``);
anything unusual (a new series, a bad value, a full staging, a finished task)
takes the checked path in :class:`~ringlog.runcore.RunCore`. The bulk path
``report_scalar_array`` takes numpy arrays. Media, plots and text reporting
come from :class:`~ringlog.reporting.ReportingMixin` when that module is present.

NaN and Inf are stored as logged (the viewer shows them); ClearML's
``set_reporting_nan_value`` / ``set_reporting_inf_value`` replace them instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

try:  # MEDIA's mixin: report_image, report_plotly, report_text, ...
    from .reporting import ReportingMixin as _Reporting
except ImportError:  # media support not present: scalars still work
    _Reporting = object
try:  # CAPTURE's mixin: tensorboard_auto_group_scalars, matplotlib_force_report_non_interactive
    from .capture import CaptureLoggerMixin as _Capture
except ImportError:
    _Capture = object
_BASES = tuple(dict.fromkeys(b for b in (_Reporting, _Capture) if b is not object)) or (object,)

if TYPE_CHECKING:  # pragma: no cover
    from .task import Task


class Logger(*_BASES):
    """Reports scalars (and, through the mixin, media and plots) for one task."""

    def __init__(self, task: "Task") -> None:
        self._task = task
        self._run = task._core
        self._fast = task._core.staging.fast

    @classmethod
    def current_logger(cls) -> Optional["Logger"]:
        """The Logger of the current task (ClearML's ``Logger.current_logger()``), or None."""
        from .task import Task

        task = Task.current_task()
        return None if task is None else task.get_logger()

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
            from .errors import type_error

            core.bad_input("name", str(type_error("name", "must be a non-empty str", name)), kind="type")
            return
        from .values import as_number

        x = as_number(value)
        if x is None:
            from .errors import type_error

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
