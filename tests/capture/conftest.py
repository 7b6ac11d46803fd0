"""Capture test fixtures: real runs (the engine's ``RunCore`` writing a real store under ``tmp_path``),
read back through ``ringlog.store``.

``run`` is a started run with every capture switched off (each test starts the capture it tests)
that is also the current run (``ringlog.watch`` looks it up); ``make_run(name)`` makes more.
``run.warnings`` lists the messages of every ``LoggingWarning`` issued during the test, from any
thread (``RunCore.warn_once`` issues one per kind per run), so "no warning" is checkable.
Reading (``points``, ``console``, ``plots``...) finishes the run first: what a test reads is
what a script leaves on disk. ``fake_run`` / ``make_fake_run`` (a recording stand-in) remain only
for ``test_tb.py`` until its rewrite moves it to ``run``.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import pytest

from ringlog._engine import context
from ringlog._engine.runcore import RunCore
from ringlog._engine.settings import Settings
from ringlog.capture import manager
from ringlog.errors import LoggingWarning
from ringlog.store import Store, TaskReader


class LiveRun:
    """One real run and what a test reads back from its store; see the module docstring."""

    def __init__(self, root: Path, name: str, seen: list) -> None:
        settings = Settings(dir=str(root), flush_interval=0.05, handle_signals=False,
                            finish_timeout=10.0).with_capture(False)
        self.root = root
        self.core = RunCore(project="capture", name=name, settings=settings, kind="wandb").start()
        manager.attach(self.core)
        self._seen = seen
        self._reader: TaskReader | None = None

    @property
    def warnings(self) -> list[str]:
        return [str(w.message) for w in self._seen if issubclass(w.category, LoggingWarning)]

    def finish(self) -> None:
        self.core.finish()

    def reader(self) -> TaskReader:
        """Finish the run (idempotent) and open its task in the store."""
        if self._reader is None:
            self.core.finish()
            self._reader = Store(self.root).task(self.core.id)
        return self._reader

    def points(self, title: str, series: str) -> list[tuple[int, float]]:
        tr = self.reader()
        if (title, series) not in tr.series():
            return []
        sc = tr.scalar(title, series)
        return list(zip(sc.step.tolist(), sc.value.tolist()))

    def series(self, title: str) -> list[tuple[str, str]]:
        return sorted(ts for ts in self.reader().series() if ts[0] == title)

    def console(self) -> list[tuple[str, str]]:
        return [(r["stream"], r["text"]) for r in self.reader().console()]

    def plots(self, title=None, series=None) -> list[dict]:
        return self.reader().plots(title, series)

    def media(self, title=None, series=None) -> list[dict]:
        return self.reader().media(title, series)


@pytest.fixture
def make_run(tmp_path):
    """Factory of real runs in one store under ``tmp_path``; every run is finished at teardown."""
    made: list[LiveRun] = []
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", LoggingWarning)  # recorded (any thread), not raised

        def make(name: str = "run") -> LiveRun:
            r = LiveRun(tmp_path / "store", name, seen)
            made.append(r)
            return r

        yield make
        for r in made:
            r.finish()
            context.clear_if_current(r.core)


@pytest.fixture
def run(make_run):
    """A real run, current for the test (as after ``ringlog.init``)."""
    r = make_run("main")
    context.set_current(r.core)
    return r


# --- the recording stand-in, kept for test_tb.py only (see the module docstring) -------------------

class FakeRun:
    """Records what the captures report; media goes to a real ``MediaWriter`` under ``path``."""

    def __init__(self, path) -> None:
        from ringlog.store.media import MediaWriter

        self.id = "fake"
        self.strict = False
        self.media_destination = None
        self.nan_value = self.inf_value = None
        self.path = path
        self.scalars: list = []
        self.console: list = []
        self.warnings: list = []
        self.config: dict = {}
        self.finished = False
        self.meta_touched = 0
        self._mw = MediaWriter(path)
        self._lock = threading.Lock()

    def report_scalar(self, title, series, value, iteration):
        v = value.item() if hasattr(value, "item") else float(value)
        self.scalars.append((title, series, float(v), int(iteration)))

    def report_array(self, title, series, values, iterations, times=None):
        for i, v in enumerate(values):
            self.scalars.append((title, series, float(v), int(iterations[i])))

    def console_write(self, stream, text, level="info", time=None):
        self.console.append((stream, text))

    def media_writer(self):
        return self._mw

    def warn_once(self, kind, message):
        self.warnings.append((kind, message))

    def merge_config(self, section, values):
        self.config.setdefault(section, {}).update(values)

    def touch_meta(self):
        self.meta_touched += 1

    def series(self, title=None):
        return sorted({(t, s) for t, s, _, _ in self.scalars if title is None or t == title})

    def points(self, title, series):
        return [(it, v) for t, s, v, it in self.scalars if (t, s) == (title, series)]


@pytest.fixture
def fake_run(tmp_path):
    return FakeRun(tmp_path / "task")
