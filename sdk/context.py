"""The current run, held in one typed ``ContextVar`` (the only module-level state).

``ringlog.run`` / ``ringlog.config`` / ``ringlog.summary`` and ``Task.current_task()``
resolve through :func:`current_run` at access time. A ``ContextVar`` set in the
main thread is what new threads see by default too (``threading`` copies no
context, so a fallback to the process-wide latest run keeps worker threads working).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:  # pragma: no cover
    from .wandb_run import Run

_current: ContextVar[Optional["Run"]] = ContextVar("ringlog_current_run", default=None)
# threads started before/after init do not inherit the ContextVar; they see the process-wide one
_process: list = [None]


def current_run() -> Optional["Run"]:
    """The run started last in this context (or process), or None when none is open."""
    run = _current.get()
    if run is None:
        run = _process[0]
    if run is not None and run._core.finished:
        return None
    return run


def set_current(run: Optional["Run"]) -> None:
    """Make ``run`` the current run (None clears it)."""
    _current.set(run)
    _process[0] = run


def clear_if_current(run: "Run") -> None:
    """Forget ``run`` if it is the current one (called by finish)."""
    if _current.get() is run:
        _current.set(None)
    if _process[0] is run:
        _process[0] = None
