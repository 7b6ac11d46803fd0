"""start_capture on real runs: each switch, exact restore at stop, idempotence (a second run leaves
the patches to the first), a failing capture warns once and the run goes on."""

from __future__ import annotations

import os
import sys

import pytest

from ringlog._engine.settings import Settings
from ringlog.capture.manager import CaptureHandle, console_writer, start_capture


def _settings(tmp_path, **kw):
    base = dict(console=True, tensorboard=True, matplotlib=True, system_metrics=True, system_interval=0.05,
                git=False)
    base.update(kw)
    return Settings(dir=str(tmp_path), **base)


def _snapshot():
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure
    from torch.utils.tensorboard.writer import SummaryWriter

    st1, st2 = os.fstat(1), os.fstat(2)
    return {"stdout": sys.stdout, "stderr": sys.stderr, "fd1": (st1.st_dev, st1.st_ino),
            "fd2": (st2.st_dev, st2.st_ino), "meta_path": list(sys.meta_path), "plt.show": plt.show,
            "Figure.show": Figure.__dict__["show"], "Figure.savefig": Figure.__dict__["savefig"],
            "writer": {k: v for k, v in SummaryWriter.__dict__.items() if k.startswith("add_")}}


def test_everything_restored_after_stop(run, tmp_path):
    for optional in ("torch", "tensorboard", "matplotlib"):  # _snapshot looks at what each patch replaced
        pytest.importorskip(optional)
    before = _snapshot()
    h = start_capture(run.core, _settings(tmp_path))
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
    assert not h.sampler.is_alive()
    assert ("stdout", "captured line") in run.console()
    assert run.series("system")
    assert run.warnings == []


def test_switches_off(run, tmp_path):
    h = start_capture(run.core, _settings(tmp_path, console=False, tensorboard=False, matplotlib=False,
                                          system_metrics=False))
    assert h.parts == {}
    h.stop()


def test_attach_keeps_a_handle_on_every_run(run, make_run, tmp_path):
    """``attach`` gives every run a handle (with capture off it starts nothing but holds the run's
    ``watch`` registry); ``finish`` stops it."""
    assert isinstance(run.core.capture, CaptureHandle) and run.core.capture.parts == {}
    run.finish()
    assert run.core.capture.stopped


def test_a_second_run_does_not_capture_twice(run, make_run, tmp_path):
    other = make_run("other")
    h1 = start_capture(run.core, _settings(tmp_path, system_metrics=False, matplotlib=False))
    h2 = start_capture(other.core, _settings(tmp_path, system_metrics=False, matplotlib=False))
    assert "console" not in h2.parts and h2.tensorboard.patches == []
    print("once")
    h2.stop()
    h1.stop()
    assert run.console().count(("stdout", "once")) == 1 and ("stdout", "once") not in other.console()


def test_failing_capture_warns_once_and_the_rest_runs(run, tmp_path, monkeypatch):
    import ringlog.capture.tensorboard as tbc

    def broken(self):
        raise RuntimeError("patch refused")

    monkeypatch.setattr(tbc.TBCapture, "start", broken)
    h = start_capture(run.core, _settings(tmp_path, system_metrics=False, matplotlib=False))
    assert "tensorboard" in h.failed and "console" in h.parts
    h.stop()
    assert len(run.warnings) == 1
    assert "could not start tensorboard capture" in run.warnings[0] and "patch refused" in run.warnings[0]


def test_failing_stop_warns_once_and_the_others_stop(run, tmp_path, monkeypatch):
    import ringlog.capture.tensorboard as tbc

    def broken(self):
        raise RuntimeError("unpatch refused")

    real_stop = tbc.TBCapture.stop
    monkeypatch.setattr(tbc.TBCapture, "stop", broken)
    h = start_capture(run.core, _settings(tmp_path, system_metrics=False, matplotlib=False))
    try:
        h.stop()
    finally:
        real_stop(h.tensorboard)  # the patches this test kept in place
    assert h.console.started is False  # console stopped after the failing part
    assert len(run.warnings) == 1
    assert "could not stop tensorboard capture" in run.warnings[0] and "unpatch refused" in run.warnings[0]


def test_user_exception_inside_capture_is_not_swallowed(run, tmp_path):
    h = start_capture(run.core, _settings(tmp_path, system_metrics=False, tensorboard=False, matplotlib=False))
    try:
        with pytest.raises(ZeroDivisionError):
            print(1 / 0)
    finally:
        h.stop()


def test_console_writer_passes_the_line_time(run):
    console_writer(run.core)("stdout", "a", 12.5)
    console_writer(run.core)("stderr", "b", 13.5)
    got = [(r["time"], r["stream"], r["level"], r["text"]) for r in run.reader().console()]
    assert got == [(12.5, "stdout", "info", "a"), (13.5, "stderr", "info", "b")]
