"""Auto-capture for a run: ``start_capture(run, settings) -> CaptureHandle``; ``handle.stop()``.

The SDK calls ``start_capture`` when a run starts and ``stop()`` when it
finishes (before the final flush). Each capture is switched by ``settings``:

* ``console`` - stdout/stderr tee into the console log (``console``);
* ``tensorboard`` - ``SummaryWriter`` mirroring (``tensorboard``; ``tb_import`` reads old
  event files);
* ``matplotlib`` - figures shown (``plt.show()``) or saved (``savefig``) are reported
  (``mpl``);
* ``system_metrics`` every ``system_interval`` s - CPU/memory/disk/network/GPU
  scalars under the title ``"system"`` (``sysmetrics``).

(``git`` is read by the SDK when it calls :func:`ringlog._engine.environment.collect`.)

Every capture is opt-out, reversible (``stop()`` restores exactly what it
replaced, in reverse order), idempotent (a second run started while one is
captured leaves the patches to the first and says so at debug level), and a
capture that fails to start warns once and is skipped: the program goes on.
This module imports only the standard library; each capture's module is
imported when its switch is on.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

_log = logging.getLogger("ringlog.capture.manager")


class CaptureHandle:
    """What ``start_capture`` started; ``stop()`` undoes it (idempotent, never raises)."""

    def __init__(self, run: Any) -> None:
        self.run = run
        self.parts: dict[str, Any] = {}
        self.failed: dict[str, str] = {}
        self.stopped = False

    @property
    def console(self):
        return self.parts.get("console")

    @property
    def tensorboard(self):
        return self.parts.get("tensorboard")

    @property
    def matplotlib(self):
        return self.parts.get("matplotlib")

    @property
    def sampler(self):
        return self.parts.get("system")

    def _start(self, name: str, factory) -> None:
        try:
            part = factory()
        except Exception as exc:
            self.failed[name] = repr(exc)
            _warn(self.run, "capture:" + name, f"ringlog could not start {name} capture ({exc!r}); "
                                               f"the run goes on without it")
            return
        if part is not None:
            self.parts[name] = part

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        for name in ("system", "matplotlib", "tensorboard", "console"):  # console last: it sees the others' notes
            part = self.parts.get(name)
            if part is None:
                continue
            try:
                part.stop()
            except Exception as exc:
                _warn(self.run, "capture-stop:" + name, f"ringlog could not stop {name} capture cleanly ({exc!r})")


def start_capture(run: Any, settings: Any) -> CaptureHandle:
    """Start every capture ``settings`` switches on for ``run``; see the module docstring."""
    h = CaptureHandle(run)
    if getattr(settings, "system_metrics", False):
        def sampler():
            from .sysmetrics import SystemSampler

            root = getattr(settings, "root", None)
            s = SystemSampler(run, getattr(settings, "system_interval", 2.0), disk_path=root)
            s.start()
            return s

        h._start("system", sampler)
    if getattr(settings, "tensorboard", False):
        def tb():
            from .tensorboard import TBCapture

            return TBCapture(run).start()

        h._start("tensorboard", tb)
    if getattr(settings, "matplotlib", False):
        def mpl():
            from .mpl import MplCapture

            return MplCapture(run).start()

        h._start("matplotlib", mpl)
    if getattr(settings, "console", False):
        def console():
            from .console import ConsoleCapture

            if ConsoleCapture.active():
                _log.debug("ringlog: console already captured by another run; not capturing it twice")
                return None
            return ConsoleCapture(console_writer(run)).start()

        h._start("console", console)
    return h


def console_writer(run: Any):
    """``write(stream, text, t)`` over ``run.console_write``, passing the line's own time when the
    SDK accepts ``time=`` (else the SDK stamps it when it receives the line)."""
    cw = run.console_write
    try:
        takes_time = "time" in inspect.signature(cw).parameters
    except (TypeError, ValueError):
        takes_time = False
    if takes_time:
        def write(stream: str, text: str, t: float) -> None:
            cw(stream, text, "info", time=t)
    else:
        def write(stream: str, text: str, t: float) -> None:
            cw(stream, text, "info")
    return write


def _warn(run: Any, kind: str, message: str) -> None:
    warn = getattr(run, "warn_once", None)
    if warn is not None:
        warn(kind, message)
    else:
        import warnings

        warnings.warn(message, RuntimeWarning, stacklevel=3)


def attach(core: Any) -> None:
    """Start the captures ``core.settings`` switches on and keep the handle on the core (its
    ``finish`` stops them). A capture that fails to start warns once; the run goes on."""
    if not core.settings.capture:
        return
    try:
        core.capture = start_capture(core, core.settings)
    except Exception as exc:
        core.warn_once("capture", f"ringlog could not start auto-capture: {exc!r}")
