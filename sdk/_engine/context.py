"""The current run's engine, held in one typed ``ContextVar`` (the only module-level state).

The context holds the :class:`~ringlog._engine.runcore.RunCore`, not a facade: the W&B ``Run``
and the ClearML ``Task``/``Logger`` over it are found (or made) by their own packages, so the
engine never imports either flavour. ``ringlog.run`` / ``ringlog.config`` / ``ringlog.summary``
and ``Task.current_task()`` resolve through :func:`current_core` at access time. A ``ContextVar``
set in the main thread is not seen by threads (``threading`` copies no context), so a fallback to
the process-wide latest run keeps worker threads working.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:  # pragma: no cover
    from .runcore import RunCore

_current: ContextVar[Optional["RunCore"]] = ContextVar("ringlog_current_core", default=None)
# threads started before/after init do not inherit the ContextVar; they see the process-wide one
_process: list[Optional["RunCore"]] = [None]


def current_core() -> Optional["RunCore"]:
    """The engine of the run started last in this context (or process), or None when none is open."""
    core = _current.get()
    if core is None:
        core = _process[0]
    if core is not None and core.finished:
        return None
    return core


def set_current(core: Optional["RunCore"]) -> None:
    """Make ``core`` the current run (None clears it)."""
    _current.set(core)
    _process[0] = core


def clear_if_current(core: "RunCore") -> None:
    """Forget ``core`` if it is the current one (called by finish)."""
    if _current.get() is core:
        _current.set(None)
    if _process[0] is core:
        _process[0] = None
