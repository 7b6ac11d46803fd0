"""System sampler: psutil series in a real run after a short sampling, the NVML path with a fake
pynvml, the no-GPU path, and failures reported once (never silently, never raised)."""

from __future__ import annotations

import logging
import threading
import time
import types

import pytest

from ringlog.capture.sysmetrics import TITLE, Nvml, SystemSampler


class NVMLError(Exception):
    """Stands for pynvml.NVMLError (e.g. NVML_ERROR_NOT_SUPPORTED)."""


def _fake_pynvml(n=2, fail_power=False, init_error=None, temperature_error=None):
    m = types.ModuleType("pynvml")
    m.NVMLError = NVMLError
    m.NVML_TEMPERATURE_GPU = 0
    calls = {"shutdown": []}  # the threads that shut NVML down (the engine reads the hardware too)

    def init():
        if init_error is not None:
            raise init_error

    m.nvmlInit = init
    m.nvmlShutdown = lambda: calls["shutdown"].append(threading.current_thread().name)
    m.nvmlDeviceGetCount = lambda: n
    m.nvmlDeviceGetHandleByIndex = lambda i: ("h", i)
    m.nvmlDeviceGetUtilizationRates = lambda h: types.SimpleNamespace(gpu=40 + h[1], memory=10)
    m.nvmlDeviceGetMemoryInfo = lambda h: types.SimpleNamespace(used=(h[1] + 1) << 30, total=8 << 30, free=0)
    def temperature(h, kind):
        if temperature_error is not None:
            raise temperature_error
        return 60 + h[1]

    m.nvmlDeviceGetTemperature = temperature

    def power(h):
        if fail_power:
            raise NVMLError("NVML_ERROR_NOT_SUPPORTED")
        return 150_000

    m.nvmlDeviceGetPowerUsage = power
    m.calls = calls
    return m


def _run_until(s, samples, limit=20.0):
    """Start ``s`` and stop it once it took ``samples`` samples (bounded: a loaded box is slow)."""
    s.start()
    deadline = time.monotonic() + limit
    while s.samples < samples and time.monotonic() < deadline and s.is_alive():
        s.stop_event.wait(0.05)  # never set here: a bounded wait between checks
    s.stop()


def test_sampler_series_after_short_run(run, tmp_path):
    s = SystemSampler(run.core, 0.1, nvml=False, disk_path=tmp_path / "not" / "yet")
    _run_until(s, 3)
    assert not s.is_alive()
    assert s.error is None
    names = {series for _, series in run.series(TITLE)}
    for want in ("cpu_percent", "cpu0_percent", "memory_used_gb", "memory_percent", "process_rss_gb",
                 "disk_used_gb", "disk_percent"):
        assert want in names, (want, names)
    assert any(n.startswith("net_") for n in names) or any(n.startswith("disk_read") for n in names)
    steps = [it for it, _ in run.points(TITLE, "cpu_percent")]
    assert steps == list(range(len(steps))) and len(steps) >= 3
    rss = run.points(TITLE, "process_rss_gb")[0][1]
    assert 0.001 < rss < 1024
    assert all(0 <= v <= 100 for _, v in run.points(TITLE, "memory_percent"))
    assert s.cpu_seconds > 0
    assert run.warnings == []


def test_nvml_path_with_fake_module(run, monkeypatch):
    fake = _fake_pynvml(n=2, fail_power=True)
    monkeypatch.setitem(__import__("sys").modules, "pynvml", fake)
    s = SystemSampler(run.core, 0.1)  # imports the (fake) pynvml lazily, on its own thread
    _run_until(s, 2)
    names = {series for _, series in run.series(TITLE)}
    for i in (0, 1):
        for suffix in ("utilization", "memory_used_gb", "memory_percent", "temperature_c"):
            assert f"gpu{i}/{suffix}" in names
        assert f"gpu{i}/power_w" not in names  # unsupported: dropped after its first failure
    assert run.points(TITLE, "gpu1/utilization")[0][1] == 41
    assert run.points(TITLE, "gpu0/memory_percent")[0][1] == pytest.approx(12.5)
    assert run.points(TITLE, "gpu0/memory_used_gb")[0][1] == pytest.approx(1.0)
    assert fake.calls["shutdown"].count("ringlog-sysmetrics") == 1
    assert run.warnings == []


def test_an_unexpected_gpu_error_is_reported_once_and_the_figure_dropped(run, monkeypatch):
    fake = _fake_pynvml(n=1, temperature_error=TypeError("bad handle"))
    monkeypatch.setitem(__import__("sys").modules, "pynvml", fake)
    s = SystemSampler(run.core, 0.1)
    _run_until(s, 3)
    names = {series for _, series in run.series(TITLE)}
    assert "gpu0/utilization" in names and "gpu0/temperature_c" not in names
    assert len(run.warnings) == 1 and "gpu0 temperature_c" in run.warnings[0] and "bad handle" in run.warnings[0]


def test_psutil_failing_at_start_is_reported_once(run, monkeypatch):
    import psutil

    def refused():
        raise PermissionError("/proc is not readable")

    monkeypatch.setattr(psutil, "Process", refused)
    s = SystemSampler(run.core, 0.05, nvml=False)
    s.start()
    s.join(10)
    assert not s.is_alive() and isinstance(s.error, PermissionError)
    assert len(run.warnings) == 1 and "/proc is not readable" in run.warnings[0]
    assert run.series(TITLE) == []


def test_power_in_watts():
    nv = Nvml(_fake_pynvml(n=1))
    got = dict(nv.sample())
    assert got["gpu0/power_w"] == pytest.approx(150.0)
    assert got["gpu0/temperature_c"] == 60


def test_no_driver_skips_gpu_with_one_debug_message(caplog):
    with caplog.at_level(logging.DEBUG, logger="ringlog.capture.sysmetrics"):
        nv = Nvml(_fake_pynvml(init_error=OSError("libnvidia-ml.so.1: cannot open shared object file")))
    assert nv.devices == 0 and nv.sample() == []
    msgs = [r for r in caplog.records if "GPU" in r.getMessage()]
    assert len(msgs) == 1 and msgs[0].levelno == logging.DEBUG


def test_bad_interval_is_named():
    with pytest.raises(ValueError, match="system_interval"):
        SystemSampler(object(), 0)


def test_real_nvml_module_never_raises():
    """The installed nvidia-ml-py: on a machine without a driver, no GPU and no error; with one,
    every GPU gives its utilisation (this session had no GPU: the first branch ran)."""
    pytest.importorskip("pynvml")
    nv = Nvml()
    try:
        figures = dict(nv.sample())
        if nv.devices == 0:
            assert figures == {}
        else:  # pragma: no cover - GPU machines only
            assert 0 <= figures["gpu0/utilization"] <= 100 and figures["gpu0/memory_used_gb"] >= 0
    finally:
        nv.close()
