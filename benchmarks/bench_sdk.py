"""SDK benchmarks: per-call and bulk logging to disk, bytes per point, read-back, memory, startup.

``python -m benchmarks.run [--quick] bench_sdk``. Every throughput figure includes
the final flush to disk (``finish``/``close`` returns only when the data is synced).
Baselines are measured in the same run: a bare ``list.append((step, value))`` loop
for per-call logging, a numpy copy of the same bytes (step + value + time) for
bulk logging and read-back. Peak memory and startup are measured in fresh
subprocesses so nothing else in this process counts.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

from ._common import Row, best_of, check, print_table

HERE = Path(__file__).resolve().parent


def _settings():
    import ringlog

    return ringlog.Settings(capture=False, handle_signals=False, finish_timeout=600)


def _timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this whole process: every thread, the flusher included)."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def _rates(n: int, runs: list[tuple[float, float]]) -> tuple[float, float]:
    """Best wall rate and best CPU rate (points per second of wall / of process CPU time)."""
    return n / min(w for w, _ in runs), n / min(c for _, c in runs)


def _flusher_ns(core, n: int) -> float:
    """CPU time the run's flusher thread spent in its cycles (harvest, hand-off to the store, the
    store's work), per point, in ns: what moving a point to disk costs off the caller's thread.
    Thread CPU time, so it holds better than wall time on a loaded machine."""
    return core.stats()["flusher_cpu_s"] / n * 1e9


def _list_append_rate(n: int) -> tuple[float, float]:
    def loop():
        lst = []
        v = 0.5
        for i in range(n):
            lst.append((i, v))

    return _rates(n, [_timed(loop) for _ in range(3)])


def _per_call_report_scalar(root: Path, n: int) -> tuple[float, float, float]:
    from ringlog import Task

    flusher = []

    def once():
        task = Task.init(project_name="bench", task_name="per-call", dir=str(root), settings=_settings())
        logger = task.get_logger()
        task._core.flusher.warm.wait(120)  # steady state: startup is measured on its own below
        v = 0.5

        def body():
            for i in range(n):
                logger.report_scalar("loss", "train", v, i)
            task.close()

        out = _timed(body)
        flusher.append(_flusher_ns(task._core, n))
        return out

    return (*_rates(n, [once() for _ in range(3)]), min(flusher))


def _per_call_log(root: Path, n: int) -> tuple[float, float, float]:
    import ringlog

    flusher = []

    def once():
        run = ringlog.init(project="bench", name="per-call-log", dir=str(root), settings=_settings())
        run._core.flusher.warm.wait(120)
        v = 0.5

        def body():
            for _ in range(n):
                ringlog.log({"loss": v})
            run.finish()

        out = _timed(body)
        flusher.append(_flusher_ns(run._core, n))
        return out

    return (*_rates(n, [once() for _ in range(3)]), min(flusher))


def _wide(root: Path, keys: int, steps: int) -> tuple[float, float, float]:
    """(log time, finish time, the same points under one key: log + finish) for W&B rows of
    ``keys`` metrics (e.g. a grad norm per layer), ``steps`` times; durable, as users run."""
    import ringlog

    rows = [{f"layer{i:04d}/grad_norm": float(step + i) for i in range(keys)} for step in range(steps)]
    run = ringlog.init(project="bench", name="wide", dir=str(root / "wide"), settings=_settings())
    run._core.flusher.warm.wait(120)
    t0 = time.perf_counter()
    for row in rows:
        ringlog.log(row)
    t1 = time.perf_counter()
    run.finish()
    t2 = time.perf_counter()
    run = ringlog.init(project="bench", name="narrow", dir=str(root / "narrow"), settings=_settings())
    run._core.flusher.warm.wait(120)
    t3 = time.perf_counter()
    for _ in range(keys * steps):
        ringlog.log({"loss": 0.5})
    run.finish()
    return t1 - t0, t2 - t1, time.perf_counter() - t3


def _bulk(root: Path, n: int, chunk: int = 1 << 20) -> tuple[float, float, float, float]:
    from ringlog import Task

    steps = np.arange(n, dtype=np.int64)
    values = np.random.default_rng(0).standard_normal(n)
    times = 1.7e9 + np.arange(n) * 1e-3

    flusher = []

    def once():
        task = Task.init(project_name="bench", task_name="bulk", dir=str(root), settings=_settings())
        lg = task.get_logger()
        task._core.flusher.warm.wait(120)
        t0 = time.perf_counter()
        for a in range(0, n, chunk):
            lg.report_scalar_array("bulk", "v", values[a:a + chunk], steps[a:a + chunk], times[a:a + chunk])
        task.close()
        dt = time.perf_counter() - t0
        flusher.append(_flusher_ns(task._core, n))
        return dt

    rate = n / min(once() for _ in range(2))

    def direct():  # the store alone, same chunks: what the SDK's bulk path adds is the difference
        from ringlog.store import Store

        w = Store(root).create_task(project="bench", name="bulk-direct")
        sid = w.series_id("bulk", "v")
        t0 = time.perf_counter()
        for a in range(0, n, chunk):
            w.append(sid, steps[a:a + chunk], values[a:a + chunk], times[a:a + chunk])
        w.close()
        return time.perf_counter() - t0

    store_rate = n / min(direct() for _ in range(2))
    buf = np.empty(n * 3, np.float64)

    def copy():
        buf[:n] = steps
        buf[n:2 * n] = values
        buf[2 * n:] = times

    return rate, n / best_of(copy, 3), store_rate, min(flusher)


def _loss_curve(root: Path, n: int) -> tuple[float, str]:
    """Noisy decaying loss from float32 tensors, logged every step per call; bytes on disk per point."""
    from ringlog import Task

    rng = np.random.default_rng(1)
    x = np.arange(n)
    loss = (2.0 * np.exp(-x / (n / 5)) + 0.1 + 0.05 * rng.standard_normal(n)).astype(np.float32)
    values = loss.astype(np.float64).tolist()  # what float(tensor.item()) gives
    task = Task.init(project_name="bench", task_name="loss-curve", dir=str(root), settings=_settings())
    lg = task.get_logger()
    for i, v in enumerate(values):
        lg.report_scalar("loss", "train", v, i)
    task.close()
    path = Path(root) / "bench"
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and task.id in str(p))
    return size / n, task.id


def _read_back(root: Path, task_id: str, n: int) -> tuple[float, float]:
    from ringlog.store import Store

    r = Store(root).task(task_id)

    def read():
        s = r.scalar("loss", "train")
        assert len(s.value) == n

    rate = n / best_of(read, 3)
    a, b, c = np.zeros(n, np.int64), np.zeros(n), np.zeros(n)
    out = [np.empty(n, np.int64), np.empty(n), np.empty(n)]

    def copy():
        out[0][:] = a
        out[1][:] = b
        out[2][:] = c

    return rate, n / best_of(copy, 3)


PEAK_CHILD = textwrap.dedent(
    """
    import resource, sys, time
    import ringlog
    from ringlog import Task

    def peak_mb():
        # VmHWM: this process's own high-water mark. ru_maxrss is not usable here: Linux carries
        # the parent's peak into a child started with vfork+exec (what subprocess does)
        try:
            for line in open("/proc/self/status"):
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    n, root = int(sys.argv[1]), sys.argv[2]
    s = ringlog.Settings(capture=False, handle_signals=False, finish_timeout=600)
    task = Task.init(project_name="bench", task_name="rss", dir=root, settings=s)
    task._core.flusher.warm.wait(300)
    warm = peak_mb()  # imports + kernels (+ a cold compile)
    lg = task.get_logger()
    t0 = time.perf_counter()
    for i in range(n):
        lg.report_scalar("loss", "train", 0.5, i)
    task.close()
    dt = time.perf_counter() - t0
    print(peak_mb(), n / dt, task._core.stats()["waits"], warm)
    """
)

STARTUP_CHILD = textwrap.dedent(
    """
    import sys, time
    t0 = time.perf_counter()
    import ringlog
    t1 = time.perf_counter()
    run = ringlog.init(project="bench", dir=sys.argv[1], capture=False)
    t2 = time.perf_counter()
    ringlog.log({"x": 1.0})
    t3 = time.perf_counter()
    run.finish()
    print(t1 - t0, t2 - t1, t3 - t2, "numba.core" in sys.modules and "zarr" in sys.modules)
    """
)


def _child(code: str, *args: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True,
                         timeout=1800)
    return out.stdout.split()


def run(quick: bool) -> list[Row]:
    n_call = 200_000 if quick else 2_000_000
    n_bulk = 2_000_000 if quick else 20_000_000
    n_curve = 200_000 if quick else 10_000_000
    n_rss = 2_000_000 if quick else 100_000_000
    n_keys = 500 if quick else 5_000
    tmp = Path(tempfile.mkdtemp(prefix="ringlog-bench-sdk-"))
    rows: list[Row] = []
    try:
        base, base_cpu = _list_append_rate(n_call)
        rs, rs_cpu, rs_fl = _per_call_report_scalar(tmp / "a", n_call)
        lg, lg_cpu, lg_fl = _per_call_log(tmp / "b", n_call)
        rows += [Row("list.append((step, value)) baseline", base, "calls/s", "",
                     f"{base_cpu:,.0f} per CPU-second"),
                 Row("report_scalar per call, incl. final flush", rs, "points/s", ">= 2,000,000",
                     f"{rs / base:.2f}x baseline (wall); {rs_cpu / base_cpu:.2f}x per CPU-second, all threads"),
                 Row("log({k: v}) per call, incl. final flush", lg, "points/s", ">= 2,000,000",
                     f"{lg / base:.2f}x baseline (wall); {lg_cpu / base_cpu:.2f}x per CPU-second, all threads"),
                 Row("flusher thread CPU per point, report_scalar per call", rs_fl, "ns", "",
                     "harvest + hand-off + the store's work (best run)"),
                 Row("flusher thread CPU per point, log({k: v}) per call", lg_fl, "ns", "", "best run")]
        w_log, w_finish, w_base = _wide(tmp / "w", n_keys, 20)
        rows += [Row(f"log() of {n_keys:,} keys x 20 steps: the log calls", w_log, "s"),
                 Row(f"log() of {n_keys:,} keys x 20 steps: finish()", w_finish, "s", "",
                     f"{n_keys:,} series created, written, synced"),
                 Row(f"same {n_keys * 20:,} points under one key, log + finish (baseline)", w_base, "s", "",
                     f"wide run total {(w_log + w_finish) / w_base:.1f}x this")]
        bulk, copy, direct, bulk_fl = _bulk(tmp / "c", n_bulk)
        rows += [Row("numpy copy of step+value+time baseline", copy, "points/s"),
                 Row("TaskWriter.append + close (store alone)", direct, "points/s"),
                 Row("report_scalar_array to disk", bulk, "points/s", ">= 20,000,000",
                     f"{bulk / copy:.3f}x numpy copy, {bulk / direct:.2f}x store alone"),
                 Row("flusher thread CPU per point, report_scalar_array", bulk_fl, "ns", "", "best run")]
        bpp, task_id = _loss_curve(tmp / "d", n_curve)
        rows.append(Row(f"bytes on disk per point, float32 loss curve ({n_curve:,} steps)", bpp, "bytes",
                        "<= 4"))
        rd, rcopy = _read_back(tmp / "d", task_id, n_curve)
        rows += [Row(f"read back one series ({n_curve:,} points)", rd, "points/s", ">= 100,000,000",
                     f"{rd / rcopy:.2f}x numpy copy")]
        rss, rate, waits, warm = _child(PEAK_CHILD, str(n_rss), str(tmp / "e"))
        rows.append(Row(f"peak RSS logging {n_rss:,} points per call", float(rss), "MB", "< 300",
                        f"{float(warm):.0f} MB of it before the first point (numpy, numba, zarr, kernels); "
                        f"{float(rate):,.0f} points/s, {waits} waits"))
        t_imp, t_init, t_log, heavy = _child(STARTUP_CHILD, str(tmp / "f"))
        rows += [Row("import ringlog (fresh process)", float(t_imp) * 1e3, "ms", "< 500"),
                 Row("ringlog.init (fresh process)", float(t_init) * 1e3, "ms"),
                 Row("first log call", float(t_log) * 1e6, "us", "", "no compile on the caller")]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print_table("SDK logging" + (" (quick)" if quick else ""), rows)
    # CPU-time ratios hold on a shared machine (wall ratios drop when other processes take the
    # cores the flusher needs); generous floors, the table shows the measured figures
    check(rs_cpu >= 0.25 * base_cpu and lg_cpu >= 0.15 * base_cpu,
          f"per-call logging CPU cost vs list.append: report_scalar {rs_cpu:,.0f}, log {lg_cpu:,.0f}, "
          f"base {base_cpu:,.0f} points per CPU-second")
    check(rs >= 0.1 * base, f"report_scalar wall rate {rs:,.0f}/s vs list.append {base:,.0f}/s")
    check(rs >= 300_000, f"report_scalar per call below the 300k points/s floor: {rs:,.0f}")
    check(bulk >= 0.3 * direct and bulk >= 1_000_000,
          f"bulk logging {bulk:,.0f} points/s vs the store alone {direct:,.0f} (copy {copy:,.0f})")
    check(w_log + w_finish <= max(10.0, 30 * w_base),
          f"{n_keys:,} series x 20 steps took {w_log + w_finish:.1f} s (one series, same points: {w_base:.2f} s)")
    check(float(rss) < 600, f"peak RSS {rss} MB")
    check(float(t_imp) < 2.0, f"import ringlog took {float(t_imp):.2f} s")
    check(float(t_log) < 0.05, f"first log call took {float(t_log) * 1e3:.1f} ms")
    return rows


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
