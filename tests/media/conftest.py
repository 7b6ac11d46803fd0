"""Media test fixtures: a small stand-in for the SDK's RunCore with exactly the hooks that
ReportingMixin and log_value use, so store/media.py and the conversions are tested without the SDK."""

from __future__ import annotations

import time

import pytest
import warnings

from ringlog.errors import LoggingTypeError, LoggingValueError, LoggingWarning, RunFinishedError
from ringlog.clearml.reporting import ReportingMixin
from ringlog.store.media import MediaWriter


class FakeRun:
    def __init__(self, path, strict: bool = False) -> None:
        self.path = path
        self.strict = strict
        self.finished = False
        self.capture = None
        self.nan_value = None
        self.inf_value = None
        self.id = "fake"
        self._mw = MediaWriter(path)
        self._warned: set = set()

    def media_writer(self):
        return self._mw

    def warn_once(self, kind, message):
        if kind not in self._warned:
            self._warned.add(kind)
            warnings.warn(message, LoggingWarning, stacklevel=3)

    def bad_input(self, argument, message, kind="value", key=None):
        if self.strict:
            raise (LoggingTypeError if kind == "type" else LoggingValueError)(message)
        self.warn_once("bad:" + (key or argument), message)

    def closed_input(self, what):
        if self.strict:
            raise RunFinishedError(what)
        self.warn_once("finished", what)

    def upload(self, nbytes, what, job):
        job()  # the real RunCore queues it for its uploads thread (tests/media/test_uploads.py)

    def console_write(self, stream, text, level="info"):
        self._mw.add_console([(time.time(), stream, level, text)])


class FakeLogger(ReportingMixin):
    def __init__(self, run: FakeRun) -> None:
        self._run = run


@pytest.fixture
def task_path(tmp_path):
    return tmp_path / "proj" / "0123456789abcdef0123456789abcdef"


@pytest.fixture
def run(task_path):
    return FakeRun(task_path)


@pytest.fixture
def strict_run(task_path):
    return FakeRun(task_path, strict=True)


@pytest.fixture
def logger(run):
    return FakeLogger(run)


@pytest.fixture
def strict_logger(strict_run):
    return FakeLogger(strict_run)
