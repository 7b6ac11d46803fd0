"""Shared fixtures. Each test gets its own store root under pytest's tmp_path.

With ``RINGLOG_NO_SKIP=1`` (set by ``.ci/run``) a skipped test fails the run: CI installs
everything the suite needs (test extras, chromium, git), so a skip there means a broken set-up
hiding tests, not an optional feature. Locally, skips stay skips (e.g. no chromium without root).
"""

from __future__ import annotations

import os
import sys

import pytest

_skipped: list[str] = []


@pytest.fixture
def store_root(tmp_path):
    """A fresh, empty store root folder."""
    root = tmp_path / "store"
    return root


@pytest.fixture(autouse=True)
def _clearml_process_settings():
    """``Logger.set_reporting_nan_value`` / ``inf_value`` are process-wide (class attributes, as in
    ClearML): a test that sets them must not change the tasks of the tests after it."""
    yield
    mod = sys.modules.get("ringlog.clearml.logger")
    if mod is not None:
        mod.Logger._nan_value = mod.Logger._inf_value = None


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _skipped.append(f"{report.nodeid}: {reason}")


def pytest_collectreport(report):
    if report.skipped:  # a module skipped as a whole
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _skipped.append(f"{report.nodeid}: {reason}")


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("RINGLOG_NO_SKIP") and _skipped and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if os.environ.get("RINGLOG_NO_SKIP") and _skipped:
        terminalreporter.write_line(f"RINGLOG_NO_SKIP: {len(_skipped)} skipped test(s) fail this run:", red=True)
        for line in _skipped:
            terminalreporter.write_line("  " + line)
