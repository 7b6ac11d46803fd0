"""Capture test fixtures: real runs (the engine's ``RunCore`` writing a real store under ``tmp_path``),
read back through ``ringlog.store``.

``run`` is a started run with every capture switched off (each test starts the capture it tests)
that is also the current run (``ringlog.watch`` looks it up); ``make_run(name)`` makes more.
``run.warnings`` lists the messages of every ``LoggingWarning`` issued during the test, from any
thread (``RunCore.warn_once`` issues one per kind per run), so "no warning" is checkable.
Reading (``points``, ``console``, ``plots``...) finishes the run first: what a test reads is
what a script leaves on disk.
"""

from __future__ import annotations

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
