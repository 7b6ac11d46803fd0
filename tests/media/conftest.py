"""Media test fixtures: real runs (the engine's ``RunCore`` writing a real store under ``tmp_path``)
and the real ClearML ``Logger`` over them; what a test checks is read back from the task folder.

``run`` / ``strict_run``: a started run (every capture off), finished at teardown; ``task_path`` /
``strict_task_path``: its task folder. Plot and sample records are on disk when the call returns;
console records are written by the flusher, so a test reads them after ``run.finish()``.
"""

from __future__ import annotations

import pytest

from ringlog._engine.runcore import RunCore
from ringlog._engine.settings import Settings
from ringlog.clearml.logger import Logger


def start_run(root, strict: bool = False) -> RunCore:
    settings = Settings(dir=str(root), strict=strict, flush_interval=0.05, handle_signals=False,
                        finish_timeout=10.0).with_capture(False)
    return RunCore(project="media", name="test", settings=settings, kind="clearml").start()


@pytest.fixture
def run(tmp_path):
    core = start_run(tmp_path / "store")
    yield core
    core.finish()


@pytest.fixture
def strict_run(tmp_path):
    core = start_run(tmp_path / "strict-store", strict=True)
    yield core
    core.finish()


@pytest.fixture
def task_path(run):
    return run.media_writer().path


@pytest.fixture
def strict_task_path(strict_run):
    return strict_run.media_writer().path


@pytest.fixture
def logger(run):
    return Logger.for_core(run)


@pytest.fixture
def strict_logger(strict_run):
    return Logger.for_core(strict_run)
