"""The small interface media, capture and the ClearML reporting talk to: :class:`RunSink`.

Everything outside the engine that writes into a run goes through these members and nothing
else (no private lock, no staging internals). The engine's :class:`~.runcore.RunCore` implements
it; a test can check ``isinstance(core, RunSink)``. ``report_scalar`` is the intake's fast path
(:meth:`~.intake.Intake.put`): one dict lookup and two C appends, checked on any miss.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional, Protocol, runtime_checkable

if TYPE_CHECKING:  # pragma: no cover
    from ringlog.store.media_writer import MediaWriter

    from .settings import Settings


@runtime_checkable
class RunSink(Protocol):
    """Where a run's points, console lines and media go; see the module docstring."""

    id: str
    settings: "Settings"
    strict: bool
    finished: bool
    media_destination: Optional[str]  # a folder or fsspec URI for debug samples; None: the task's own
    nan_value: Optional[float]  # ClearML's set_reporting_nan_value: NaN stored as this (None: kept)
    inf_value: Optional[float]  # ... set_reporting_inf_value: +-Inf stored as +-this (None: kept)
    system_title: str  # where system metrics go: "system", or "system/<label>" for a process of a shared task

    def warn_once(self, kind: str, message: str) -> None:
        """One warning per ``kind`` per run."""

    def bad_input(self, argument: str, message: str, kind: str = "value", key: Optional[str] = None) -> None:
        """Bad input: raise in strict mode (``kind`` "type" -> TypeError, else ValueError), else warn once."""

    def closed_input(self, what: str) -> None:
        """Input for a finished run: raise in strict mode, else warn once."""

    def report_scalar(self, title: Any, series: Any, value: Any, iteration: Any) -> None:
        """One checked point (any thread)."""

    def report_array(self, title: Any, series: Any, values: Any, iterations: Any, times: Any = None) -> None:
        """Many checked points of one series (numpy arrays)."""

    def console_write(self, stream: str, text: str, level: str = "info", time: Optional[float] = None) -> None:
        """One console record; ``time`` is when it was printed (default now)."""

    def media_writer(self) -> "MediaWriter":
        """The task's media writer (a proxy taking a lock around every call, so thread-safe);
        waits until the task exists on disk."""

    def upload(self, nbytes: int, what: str, job: Callable[[], Any]) -> None:
        """Run ``job`` (stores one sample remotely) on the uploads thread (bounded wait: a sample that
        finds the queue full for ``settings.upload_timeout`` is dropped with one warning)."""

    def merge_config(self, section: str, values: dict) -> None:
        """Merge ``values`` into the config section ``section`` (TensorBoard's ``add_hparams``)."""
