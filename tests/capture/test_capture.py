"""start_capture: each switch, exact restore at stop, idempotence, a failing capture warns and goes on."""

from __future__ import annotations

import os
import sys
import types

import pytest

from ringlog.capture.manager import start_capture


def _settings(**kw):
    base = dict(console=True, tensorboard=True, matplotlib=True, system_metrics=True, system_interval=0.05,
                git=False, root=None)
    base.update(kw)
    return types.SimpleNamespace(**base)


def _snapshot():
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure
    from torch.utils.tensorboard.writer import SummaryWriter

    st1, st2 = os.fstat(1), os.fstat(2)
    return {"stdout": sys.stdout, "stderr": sys.stderr, "fd1": (st1.st_dev, st1.st_ino),
            "fd2": (st2.st_dev, st2.st_ino), "meta_path": list(sys.meta_path), "plt.show": plt.show,
            "Figure.show": Figure.__dict__["show"], "Figure.savefig": Figure.__dict__["savefig"],
            "writer": {k: v for k, v in SummaryWriter.__dict__.items() if k.startswith("add_")}}


def test_everything_restored_after_stop(fake_run):
    pytest.importorskip("torch")
    before = _snapshot()
    h = start_capture(fake_run, _settings())
    assert set(h.parts) == {"console", "tensorboard", "matplotlib", "system"} and h.failed == {}
    assert _snapshot() != before
    for _ in range(400):  # bounded wait for a first system sample
        if h.sampler.samples:
            break
        h.sampler.stop_event.wait(0.05)
    print("captured line")
    h.stop()
    h.stop()  # idempotent
    assert _snapshot() == before
    assert ("stdout", "captured line") in fake_run.console
    assert fake_run.series("system")
    assert not h.sampler.is_alive()


def test_switches_off(fake_run):
    h = start_capture(fake_run, _settings(console=False, tensorboard=False, matplotlib=False, system_metrics=False))
    assert h.parts == {}
    h.stop()


def test_a_second_run_does_not_capture_twice(fake_run, make_run):
    other = make_run("other")
    h1 = start_capture(fake_run, _settings(system_metrics=False, matplotlib=False))
    h2 = start_capture(other, _settings(system_metrics=False, matplotlib=False))
    assert "console" not in h2.parts and h2.tensorboard.patches == []
    print("once")
    h2.stop()
    h1.stop()
    assert fake_run.console.count(("stdout", "once")) == 1 and ("stdout", "once") not in other.console


def test_failing_capture_warns_once_and_the_rest_runs(fake_run, monkeypatch):
    import ringlog.capture.tensorboard as tbc

    def broken(self):
        raise RuntimeError("patch refused")

    monkeypatch.setattr(tbc.TBCapture, "start", broken)
    h = start_capture(fake_run, _settings(system_metrics=False, matplotlib=False))
    assert "tensorboard" in h.failed and "console" in h.parts
    assert [k for k, _ in fake_run.warnings] == ["capture:tensorboard"]
    assert "patch refused" in fake_run.warnings[0][1]
    h.stop()


def test_user_exception_inside_capture_is_not_swallowed(fake_run):
    h = start_capture(fake_run, _settings(system_metrics=False, tensorboard=False, matplotlib=False))
    try:
        with pytest.raises(ZeroDivisionError):
            print(1 / 0)
    finally:
        h.stop()


def test_console_writer_passes_the_line_time_when_the_sdk_takes_it():
    from ringlog.capture.manager import console_writer

    got = []

    class WithTime:
        def console_write(self, stream, text, level="info", time=None):
            got.append((stream, text, level, time))

    class Without:
        def console_write(self, stream, text, level="info"):
            got.append((stream, text, level))

    console_writer(WithTime())("stdout", "a", 12.5)
    console_writer(Without())("stderr", "b", 13.5)
    assert got == [("stdout", "a", "info", 12.5), ("stderr", "b", "info")]
