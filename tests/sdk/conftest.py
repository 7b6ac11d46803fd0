"""SDK test fixtures: fast flush settings, and no run or thread left behind by a test."""

from __future__ import annotations

import contextlib
import sys
from array import array

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
