"""Process-exit handling: nothing logged is lost however the script ends.

* normal exit -> ``atexit`` finishes every open run as ``completed``; ``sys.exit(n)`` with ``n`` not
  0/None as ``failed`` (W&B wraps ``sys.exit`` the same way to learn the code: a ``sys.exit``
  wrapper records it, and is put back when the last run finishes);
* an unhandled exception -> a ``sys.excepthook`` wrapper marks open runs
  ``failed`` (``KeyboardInterrupt``: ``aborted``), finishes them, then calls the
  previous hook; when the last run finishes, the hook it replaced is put back (if
  ``sys.excepthook`` is still ours: a hook installed after it is left alone);
* SIGTERM -> a handler (installed only from the main thread, only over the
  default or a Python handler, restored when the last run finishes) marks open
  runs ``aborted`` and raises ``SystemExit(143)`` in the main thread, so the
  stack unwinds normally (no lock is held mid-update) and ``atexit`` writes the
  rest; a previous Python handler is called first.
* ``kill -9`` cannot be caught: the flusher's periodic sync bounds the loss to
  one ``flush_interval``, and the crash ring (:mod:`.crashring`) to about a copier period once the
  task is recovered (resumed, or ``ringlog fsck --repair``).

The registry of open runs is the only process-wide state besides the current-run
``ContextVar``; it exists because these hooks are process-wide too.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .runcore import RunCore

_open: list = []
_state: dict[str, Any] = {"atexit": False, "excepthook": None, "sigterm_prev": None, "sigterm": False,
                          "exit": None, "exit_code": None}
_lock = threading.Lock()
_SYS_EXIT = sys.exit  # what sys.exit was when the engine loaded (a fallback if ours was left installed)


def register(core: "RunCore") -> None:
    with _lock:
        _open.append(core)
        if not _state["atexit"]:
            # the store's writer imports ThreadPoolExecutor, whose module registers a threading exit
            # hook on import: imported for the first time inside _at_exit (a short script that ends
            # before the flusher opened the store) that raises and the task is never written
            import concurrent.futures.thread  # noqa: F401  # deferred: needed once a run starts

            atexit.register(_at_exit)
            if hasattr(os, "register_at_fork"):
                os.register_at_fork(after_in_child=_after_fork_in_child)
            _state["atexit"] = True
        if _state["excepthook"] is None:
            _state["excepthook"] = sys.excepthook
            sys.excepthook = _excepthook
        if _state["exit"] is None and sys.exit is not _exit:
            _state["exit"] = sys.exit
            sys.exit = _exit
    if core.settings.handle_signals:
        _install_sigterm()


def unregister(core: "RunCore") -> None:
    with _lock:
        if core in _open:
            _open.remove(core)
        last = not _open
    if last:
        _restore_sigterm()
        _restore_excepthook()
        _restore_exit()


def open_runs() -> list:
    with _lock:
        return list(_open)


def _after_fork_in_child() -> None:
    """A forked child (e.g. a DataLoader worker) has no flusher thread and may hold copies of
    locked locks: its copies of the parent's runs stop accepting points (a warning says so)
    and are never finished or written from the child."""
    global _lock
    _lock = threading.Lock()
    for core in list(_open):
        core.detach_after_fork()
    _open.clear()
    _state["sigterm_prev"] = None


def _finish_all(status: str) -> None:
    for core in reversed(open_runs()):
        try:
            core.finish(core.exit_status or status)
        except Exception as exc:  # one broken run must not keep the others from closing
            print(f"ringlog: could not finish run {core.id}: {exc!r}", file=sys.stderr)


def _at_exit() -> None:
    code = _state["exit_code"]
    _finish_all("aborted" if _state["sigterm"] else ("completed" if code in (None, 0) else "failed"))


def _exit(status: Any = None) -> None:
    """``sys.exit`` while a run is open: remember the code (``atexit`` cannot see it), then exit."""
    _state["exit_code"] = status
    (_state["exit"] or _SYS_EXIT)(status)


def _restore_exit() -> None:
    with _lock:
        prev = _state["exit"]
        if prev is None or sys.exit is not _exit:
            return  # wrapped again after us: ours stays under it
        sys.exit = prev
        _state["exit"] = None


def _excepthook(etype, value, tb) -> None:
    status = "aborted" if issubclass(etype, KeyboardInterrupt) else "failed"
    if issubclass(etype, SystemExit):
        status = "aborted" if _state["sigterm"] else ("completed" if value.code in (None, 0) else "failed")
    prev = _state["excepthook"] or sys.__excepthook__  # read first: finishing the last run restores it
    for core in open_runs():
        core.exit_status = core.exit_status or status
    _finish_all(status)
    prev(etype, value, tb)


def _restore_excepthook() -> None:
    with _lock:
        prev = _state["excepthook"]
        if prev is None or sys.excepthook is not _excepthook:
            return  # a hook installed after ours may chain to it: ours stays installed under it
        sys.excepthook = prev
        _state["excepthook"] = None


def _on_sigterm(signum, frame) -> None:
    _state["sigterm"] = True
    for core in open_runs():
        core.exit_status = "aborted"
    prev = _state["sigterm_prev"]
    if callable(prev) and prev is not _on_sigterm:
        prev(signum, frame)
        return  # the previous handler chose to keep running; atexit still marks the runs aborted
    raise SystemExit(128 + signal.SIGTERM)


def _install_sigterm() -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    with _lock:
        if _state["sigterm_prev"] is not None:
            return
        try:
            prev = signal.getsignal(signal.SIGTERM)
        except (ValueError, OSError):
            return
        if prev is signal.SIG_IGN or prev is None or prev is _on_sigterm:
            return  # ignored on purpose, or installed by C code we cannot chain
        try:
            signal.signal(signal.SIGTERM, _on_sigterm)
        except (ValueError, OSError):
            return
        _state["sigterm_prev"] = prev


def _restore_sigterm() -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    with _lock:
        prev = _state["sigterm_prev"]
        if prev is None:
            return
        try:
            if signal.getsignal(signal.SIGTERM) is _on_sigterm:
                signal.signal(signal.SIGTERM, prev)
        except (ValueError, OSError):
            return
        _state["sigterm_prev"] = None
