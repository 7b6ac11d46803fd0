"""System metrics: a background sampler logging machine and GPU figures as ordinary scalars.

Every ``interval`` seconds (default 2) the sampler thread reads psutil and, when
an NVIDIA driver is present, NVML, and reports each figure with
``run.report_scalar("system", <series>, value, <sample number>)`` so system
series chart and decimate like any other. The thread waits on an ``Event``
with a timeout (no sleep loop) and stops within one wait at ``stop()``.

Series (title ``"system"``; rates are averaged over the last interval):

=========================  ===================================================
``cpu_percent``            all cores, 0-100
``cpu{i}_percent``         core i, 0-100
``memory_used_gb``         used RAM (GiB), ``memory_percent`` (0-100)
``process_rss_gb``         resident memory of this process (GiB)
``process_cpu_percent``    this process (100 = one full core)
``disk_read_mbps``         MB/s (10^6 bytes) read, ``disk_write_mbps`` written
``disk_used_gb``           used space of the file system holding the store
                           root (GiB), ``disk_percent``
``net_sent_mbps``          MB/s (10^6 bytes) sent, ``net_recv_mbps`` received
``gpu{i}/utilization``     NVML GPU utilisation, 0-100
``gpu{i}/memory_used_gb``  GiB, ``gpu{i}/memory_percent`` (0-100)
``gpu{i}/temperature_c``   degrees C
``gpu{i}/power_w``         watts
=========================  ===================================================

NVML comes from ``nvidia-ml-py`` (module ``pynvml``), imported lazily on the
sampler thread. No module, no driver or no GPU: the GPU part is skipped with one
``logging`` debug message (a machine without a GPU is not an error); a figure a GPU
does not support (an ``NVMLError``) is dropped for that GPU after its first failure.
Anything unexpected is reported once through the run's ``warn_once`` and never
stops the training job: psutil failing at start (no system metrics for the run), a
failing sample (the sampler goes on), a GPU figure failing with another error (that
figure is dropped). Cost: about 1 ms of CPU per sample on a
many-core machine (a few /proc reads); ``cpu_seconds`` counts the thread's own
CPU time (``time.thread_time``) so the benchmark can check it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:  # pragma: no cover
    from .._engine.protocol import RunSink

TITLE = "system"
_log = logging.getLogger("ringlog.capture.sysmetrics")
_GIB = float(1 << 30)
_MB = 1e6


class Nvml:
    """Thin reader over a ``pynvml``-like module; ``devices == 0`` when unusable.

    ``failures`` collects "gpu<i> <figure>: <error>" for figures dropped on an unexpected error
    (not an ``NVMLError``); the sampler reports them and empties the list.
    """

    def __init__(self, module: Any = None) -> None:
        self.nv = None
        self.handles: list = []
        self.unsupported: set = set()
        self.failures: list[str] = []
        try:
            if module is None:
                import pynvml as module  # deferred: nvidia-ml-py loads the NVML library
            module.nvmlInit()
            n = int(module.nvmlDeviceGetCount())
            self.handles = [module.nvmlDeviceGetHandleByIndex(i) for i in range(n)]
            self.nv = module
        except (ImportError, OSError, _nvml_error(module)) as exc:  # no module, driver or GPU: expected
            _log.debug("ringlog: no NVIDIA GPU metrics (%r)", exc)
            self.handles = []
        if self.nv is not None and not self.handles:
            _log.debug("ringlog: NVML found no GPU")

    @property
    def devices(self) -> int:
        return len(self.handles)

    def sample(self) -> list[tuple[str, float]]:
        nv = self.nv
        out: list[tuple[str, float]] = []
        for i, h in enumerate(self.handles):
            p = f"gpu{i}/"
            for name, read in (("utilization", _gpu_util), ("memory", _gpu_mem), ("temperature_c", _gpu_temp),
                               ("power_w", _gpu_power)):
                if (i, name) in self.unsupported:
                    continue
                try:
                    for series, value in read(nv, h):
                        out.append((p + series, value))
                except nv.NVMLError:  # e.g. NOT_SUPPORTED on this GPU: expected, drop the figure
                    self.unsupported.add((i, name))
                except Exception as exc:  # unexpected: drop the figure too, the sampler reports it
                    self.unsupported.add((i, name))
                    self.failures.append(f"gpu{i} {name}: {exc!r}")
        return out

    def close(self) -> None:
        if self.nv is not None:
            try:
                self.nv.nvmlShutdown()
            except self.nv.NVMLError as exc:  # the driver went away meanwhile: nothing left to release
                _log.debug("ringlog: nvmlShutdown failed (%r)", exc)
            self.nv = None


def _nvml_error(module: Any) -> type:
    """``module.NVMLError`` (what NVML calls raise), or ``OSError`` when there is no module yet."""
    return OSError if module is None else module.NVMLError


def _gpu_util(nv, h):
    return [("utilization", float(nv.nvmlDeviceGetUtilizationRates(h).gpu))]


def _gpu_mem(nv, h):
    m = nv.nvmlDeviceGetMemoryInfo(h)
    pct = 100.0 * m.used / m.total if m.total else 0.0
    return [("memory_used_gb", m.used / _GIB), ("memory_percent", pct)]


def _gpu_temp(nv, h):
    return [("temperature_c", float(nv.nvmlDeviceGetTemperature(h, nv.NVML_TEMPERATURE_GPU)))]


def _gpu_power(nv, h):
    return [("power_w", nv.nvmlDeviceGetPowerUsage(h) / 1000.0)]  # NVML reports milliwatts


class SystemSampler(threading.Thread):
    """Samples every ``interval`` seconds into ``run.report_scalar``; see the module docstring.

    ``nvml``: a ``pynvml``-like module to use instead of importing it (tests), or
    ``False`` to skip GPUs. ``disk_path``: the file system whose usage is reported.
    """

    def __init__(self, run: "RunSink", interval: float = 2.0, *, nvml: Any = None, disk_path: Any = None) -> None:
        super().__init__(name="ringlog-sysmetrics", daemon=True)
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not interval > 0:
            raise ValueError(f"system_interval: must be a positive number of seconds (given: {interval!r})")
        self.run_ = run
        self.interval = float(interval)
        self._nvml_arg = nvml
        self.disk_path = _existing(disk_path)
        self.stop_event = threading.Event()
        self.samples = 0
        self.cpu_seconds = 0.0
        self.error: Optional[BaseException] = None
        self.gpu: Optional[Nvml] = None

    def run(self) -> None:
        t0 = time.thread_time()
        try:
            import psutil  # deferred: loaded on the sampler thread, not by init()

            self._ps = psutil
            self._proc = psutil.Process()
            self._proc.cpu_percent(None)
            psutil.cpu_percent(None, percpu=True)  # primes the deltas
            self._prev = (time.monotonic(), _disk(psutil), _net(psutil))
        except Exception as exc:  # the run goes on without system metrics: said once
            self.error = exc
            self.run_.warn_once("sysmetrics-start", f"ringlog system metrics are off for this run: psutil "
                                                    f"could not start ({exc!r})")
            return
        if self._nvml_arg is not False:
            try:
                self.gpu = Nvml(self._nvml_arg)
            except Exception as exc:  # an unexpected NVML error: machine figures go on without GPUs
                self.run_.warn_once("sysmetrics-gpu", f"ringlog system metrics: no GPU figures ({exc!r})")
        self.cpu_seconds += time.thread_time() - t0
        try:
            while not self.stop_event.wait(self.interval):
                t0 = time.thread_time()
                try:
                    self.sample_once()
                except Exception as exc:  # keep sampling; say it once
                    if self.error is None:
                        self.error = exc
                    self.run_.warn_once("sysmetrics", f"ringlog system metrics: a sample failed ({exc!r}); "
                                                      f"sampling goes on")
                self.cpu_seconds += time.thread_time() - t0
        finally:
            if self.gpu is not None:
                self.gpu.close()

    def sample_once(self) -> int:
        """Read every figure and report it at step ``samples``; returns how many were reported."""
        ps = self._ps
        figures: list[tuple[str, float]] = []
        per = ps.cpu_percent(None, percpu=True)
        if per:
            figures.append(("cpu_percent", sum(per) / len(per)))
            figures.extend((f"cpu{i}_percent", float(v)) for i, v in enumerate(per))
        vm = ps.virtual_memory()
        figures.append(("memory_used_gb", (vm.total - vm.available) / _GIB))
        figures.append(("memory_percent", float(vm.percent)))
        try:
            figures.append(("process_rss_gb", self._proc.memory_info().rss / _GIB))
            figures.append(("process_cpu_percent", float(self._proc.cpu_percent(None))))
        except ps.Error:  # AccessDenied in some sandboxes: the process figures are left out
            pass
        now = time.monotonic()
        disk, net = _disk(ps), _net(ps)
        t_prev, disk_prev, net_prev = self._prev
        dt = now - t_prev
        if dt > 0:
            if disk is not None and disk_prev is not None:
                figures.append(("disk_read_mbps", max(0, disk[0] - disk_prev[0]) / _MB / dt))
                figures.append(("disk_write_mbps", max(0, disk[1] - disk_prev[1]) / _MB / dt))
            if net is not None and net_prev is not None:
                figures.append(("net_sent_mbps", max(0, net[0] - net_prev[0]) / _MB / dt))
                figures.append(("net_recv_mbps", max(0, net[1] - net_prev[1]) / _MB / dt))
        self._prev = (now, disk, net)
        try:
            du = ps.disk_usage(self.disk_path)
            figures.append(("disk_used_gb", du.used / _GIB))
            figures.append(("disk_percent", float(du.percent)))
        except OSError:  # the folder went away (a removed tmp root): the disk figures are left out
            pass
        if self.gpu is not None and self.gpu.devices:
            figures.extend(self.gpu.sample())
            if self.gpu.failures:
                self.run_.warn_once("sysmetrics-gpu", f"ringlog system metrics: dropped {self.gpu.failures[0]} "
                                                      f"(later figures dropped the same way are not reported)")
                self.gpu.failures.clear()
        step = self.samples
        report = self.run_.report_scalar
        title = self.run_.system_title  # "system", or "system/<label>" for a process of a shared task
        for series, value in figures:
            report(title, series, value, step)
        self.samples += 1
        return len(figures)

    def stop(self, timeout: float = 2.0) -> None:
        self.stop_event.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)


def _disk(ps):
    """(read, written) bytes, or None where the machine has no counters: psutil returns None or
    raises RuntimeError ("couldn't find any physical disk") in containers; OSError on a /proc
    that cannot be read."""
    try:
        c = ps.disk_io_counters()
    except (OSError, RuntimeError):
        return None
    return None if c is None else (c.read_bytes, c.write_bytes)


def _net(ps):
    """(sent, received) bytes, or None where the counters cannot be read (as :func:`_disk`)."""
    try:
        c = ps.net_io_counters()
    except (OSError, RuntimeError):
        return None
    return None if c is None else (c.bytes_sent, c.bytes_recv)


def _existing(path: Any) -> str:
    """The nearest existing folder at or above ``path`` (the store root may not exist yet)."""
    p = Path(path) if path is not None else Path.cwd()
    try:
        p = p.resolve()
    except OSError:
        return os.getcwd()
    while not p.exists() and p.parent != p:
        p = p.parent
    return str(p)
