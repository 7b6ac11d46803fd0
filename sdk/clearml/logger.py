"""ClearML-style ``Logger``: ``task.get_logger().report_scalar(title, series, value, iteration)``.

``report_scalar`` is the intake's fast path itself (:meth:`ringlog._engine.intake.Intake.put`):
one dict lookup and two C appends per point; anything unusual (a new series, a bad value, a full
staging, a finished task) takes its checked path. The bulk path ``report_scalar_array`` takes
numpy arrays. Media, plots, text, NaN/Inf substitution and the upload destination come from
:class:`~ringlog.clearml.reporting.ReportingMixin`; the capture switches from
:class:`~ringlog.capture.options.CaptureLoggerMixin`.
"""

from __future__ import annotations

from typing import Any, Optional

from .._engine import context
from .._engine.runcore import RunCore
from .._engine.values import as_number
from ..capture.options import CaptureLoggerMixin
from ..errors import type_error
from .reporting import ReportingMixin


class Logger(ReportingMixin, CaptureLoggerMixin):
    """Reports scalars (and, through the mixin, media and plots) for one task."""

    def __init__(self, core: RunCore) -> None:
        self._run = core
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
        """A single number for the task (shown in its summary, e.g. a final accuracy)."""
        core = self._run
        if not isinstance(name, str) or not name.strip():
            core.bad_input("name", str(type_error("name", "must be a non-empty str", name)), kind="type")
            return
        x = as_number(value)
        if x is None:
            core.bad_input("value", str(type_error("value", "must be a real number", value)), kind="type")
            return
        core.state.set_summary(name, x)
        core.report_scalar("Summary", name, x, 0)

    def flush(self, wait: bool = True) -> bool:
        """Write everything reported so far; with ``wait`` block until it is on disk and every debug
        sample queued for a remote upload destination is stored."""
        return self._run.flush(wait=wait)

    def __repr__(self) -> str:
        return f"<ringlog.Logger task={self._run.id}>"
