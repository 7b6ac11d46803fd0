"""SDK test fixtures: fast flush settings, and no run or thread left behind by a test."""

from __future__ import annotations

import pytest

import ringlog
from ringlog._engine import context, lifecycle


@pytest.fixture
def fast():
    """Settings for tests: flush every 50 ms, no auto-capture, no signal handlers."""
    return ringlog.Settings(flush_interval=0.05, capture=False, handle_signals=False, finish_timeout=30)


@pytest.fixture(autouse=True)
def _no_leftover_runs():
    yield
    for core in lifecycle.open_runs():
        core.finish("aborted")
    context.set_current(None)
