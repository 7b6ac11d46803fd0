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
replaced, in reverse order), idempotent, and a capture that fails to start
warns once and is skipped: the program goes on.

Two runs at once: stdout/stderr, ``SummaryWriter`` and matplotlib are
process-wide, so a second run started while the first is captured leaves the
patches to the first (console: said at debug level): what is printed, written
or shown goes to the first run's task. When the first run stops, its patches
go with it and the second run is not captured (nothing is handed over). Each
run has its own system-metrics sampler.
The libraries a capture patches (matplotlib, torch / tensorboardX, pynvml) are
imported by the capture itself, only when they are in use.

Every run gets a handle (:func:`attach`), also with capture off: it holds the
run's ``ringlog.watch`` registry.
"""

from __future__ import annotations

import logging
import sys
import weakref
from typing import TYPE_CHECKING, Callable, Optional, Union

from .console import ConsoleCapture
from .mpl import MplCapture
from .sysmetrics import SystemSampler
from .tensorboard import TBCapture

if TYPE_CHECKING:  # pragma: no cover
    from .._engine.protocol import RunSink
    from .._engine.runcore import RunCore
    from .._engine.settings import Settings

_log = logging.getLogger("ringlog.capture.manager")


Started = Union[ConsoleCapture, TBCapture, MplCapture, SystemSampler]  # each has stop()


class CaptureHandle:
    """What ``start_capture`` started; ``stop()`` undoes it (idempotent, never raises).

    ``watched`` is the run's ``ringlog.watch`` registry (model -> hooks, weak: a dropped model is
    forgotten, nothing is stored on the model); it lives here because the handle is the one object
    the run keeps for its captures (``core.capture``, set by :func:`attach`).
    """

    def __init__(self, run: "RunSink") -> None:
        self.run = run
        self.parts: dict[str, Started] = {}
        self.failed: dict[str, str] = {}
        self.watched: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
        self.stopped = False

    @property
    def console(self) -> Optional[ConsoleCapture]:
        return self.parts.get("console")

    @property
    def tensorboard(self) -> Optional[TBCapture]:
        return self.parts.get("tensorboard")

    @property
    def matplotlib(self) -> Optional[MplCapture]:
        return self.parts.get("matplotlib")

    @property
    def sampler(self) -> Optional[SystemSampler]:
        return self.parts.get("system")

    def echo(self, text: str) -> None:
        """Print ``text`` where the user sees stdout, without the console capture logging it again
        (ClearML's ``report_text(print_console=True)``: the record is already kept)."""
        data = text if text.endswith("\n") else text + "\n"
        try:
            console = self.console
            if console is None or not console.echo(data):
                out = sys.stdout
                if out is not None:
                    out.write(data)
        except (OSError, ValueError):  # a closed terminal must not break logging; the record is kept
            return

    def _start(self, name: str, factory: Callable[[], Optional[Started]]) -> None:
        try:
            part = factory()
        except Exception as exc:  # any capture failing to start: reported once, the run goes on
            self.failed[name] = repr(exc)
            self.run.warn_once("capture:" + name, f"ringlog could not start {name} capture ({exc!r}); "
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
            except Exception as exc:  # stop() never raises into finish(): reported once instead
                self.run.warn_once("capture-stop:" + name, f"ringlog could not stop {name} capture cleanly ({exc!r})")


def start_capture(run: "RunSink", settings: "Settings") -> CaptureHandle:
    """Start every capture ``settings`` switches on for ``run``; see the module docstring."""
    h = CaptureHandle(run)
    if settings.system_metrics:
        h._start("system", lambda: _started(SystemSampler(run, settings.system_interval, disk_path=settings.root)))
    if settings.tensorboard:
        h._start("tensorboard", lambda: TBCapture(run).start())
    if settings.matplotlib:
        h._start("matplotlib", lambda: MplCapture(run).start())
    if settings.console:
        h._start("console", lambda: _console(run))
    return h


def _started(sampler: SystemSampler) -> SystemSampler:
    sampler.start()
    return sampler


def _console(run: "RunSink") -> Optional[ConsoleCapture]:
    if ConsoleCapture.active():  # fds 1/2 are process-wide: the first run keeps them
        _log.debug("ringlog: console already captured by another run; not capturing it twice")
        return None
    return ConsoleCapture(console_writer(run), warn=run.warn_once).start()


def console_writer(run: "RunSink") -> Callable[[str, str, float], None]:
    """``write(stream, text, t)`` over ``run.console_write``, passing the line's own time ``t``."""
    cw = run.console_write

    def write(stream: str, text: str, t: float) -> None:
        cw(stream, text, "info", time=t)

    return write


def attach(core: "RunCore") -> CaptureHandle:
    """Start the captures ``core.settings`` switches on and keep the handle on the core as
    ``core.capture`` (its ``finish`` stops them); with ``capture`` off the handle starts nothing
    but still holds the run's ``watch`` registry. A capture that fails to start warns once (in
    :meth:`CaptureHandle._start`); the run goes on."""
    settings = core.settings
    core.capture = start_capture(core, settings) if settings.capture else CaptureHandle(core)
    return core.capture


def handle_of(core: "RunCore") -> CaptureHandle:
    """The capture handle :func:`attach` keeps on ``core`` (a bare one for a run started without
    it, so callers never test for None)."""
    cap = core.capture
    return cap if isinstance(cap, CaptureHandle) else CaptureHandle(core)
