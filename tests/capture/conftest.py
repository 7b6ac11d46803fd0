"""Capture test fixtures: a FakeRun with the SDK hooks the captures use (report_scalar,
report_array, console_write, media_writer, warn_once), backed by a real MediaWriter."""

from __future__ import annotations

import threading

import pytest


class FakeRun:
    """Records what the captures report; media goes to a real ``MediaWriter`` under ``path``."""

    def __init__(self, path) -> None:
        from ringlog.store.media import MediaWriter

        self.id = "fake"
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

    def touch_meta(self):
        self.meta_touched += 1

    def series(self, title=None):
        return sorted({(t, s) for t, s, _, _ in self.scalars if title is None or t == title})

    def points(self, title, series):
        return [(it, v) for t, s, v, it in self.scalars if (t, s) == (title, series)]


@pytest.fixture
def fake_run(tmp_path):
    return FakeRun(tmp_path / "task")


@pytest.fixture
def make_run(tmp_path):
    """Factory for more fake runs in one test."""
    return lambda name: FakeRun(tmp_path / name)
