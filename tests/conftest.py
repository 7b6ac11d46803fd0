"""Shared fixtures. Each test gets its own store root under pytest's tmp_path.

With ``RINGLOG_NO_SKIP=1`` (set by ``.ci/run``) a skipped test fails the run: CI installs
everything the suite needs (test extras, chromium, git), so a skip there means a broken set-up
hiding tests, not an optional feature. Locally, skips stay skips (e.g. no chromium without root).
"""

from __future__ import annotations

import contextlib
import os
import sys
from array import array

import pytest

_skipped: list[str] = []


@pytest.fixture
def store_root(tmp_path):
    """A fresh, empty store root folder."""
    root = tmp_path / "store"
    return root


@pytest.fixture
def fast():
    """Settings for SDK tests: flush every 50 ms, no auto-capture, no signal handlers."""
    import ringlog

    return ringlog.Settings(flush_interval=0.05, capture=False, handle_signals=False, finish_timeout=30)


@pytest.fixture(autouse=True)
def _no_leftover_runs():
    """No run (or current-run context) outlives its test; a no-op where the SDK was never imported."""
    yield
    lifecycle = sys.modules.get("ringlog._engine.lifecycle")
    if lifecycle is None:
        return
    for core in lifecycle.open_runs():
        core.finish("aborted")
    sys.modules["ringlog._engine.context"].set_current(None)


@pytest.fixture
def interrupt_after_value_append():
    """A context manager: the first ``array('d').append`` inside it (a point's value) returns, then
    ``KeyboardInterrupt`` is raised at once - a Ctrl-C landing between a point's two appends, made
    deterministic with a profile hook (``c_return`` fires right after the C call)."""
    return _interrupt_after_value_append


@contextlib.contextmanager
def _interrupt_after_value_append():
    fired = []

    def prof(frame, event, arg):
        if event == "c_return" and getattr(arg, "__name__", "") == "append" and not fired:
            owner = getattr(arg, "__self__", None)
            if isinstance(owner, array) and owner.typecode == "d":
                fired.append(owner)
                sys.setprofile(None)
                raise KeyboardInterrupt

    sys.setprofile(prof)
    try:
        yield fired
    finally:
        sys.setprofile(None)
    assert fired, "no value append happened inside the block"


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
