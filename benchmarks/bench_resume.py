"""Cost of reopening a stored task for writing (resume, store/reopen.py) against writing it.

A task of ``--series`` series of ``--points`` points each (noisy float32 values, as a loss) is written
and closed (the baseline: create, append, close, durable), then reopened and closed again with
nothing new (open_task: read every point, replay the pyramid, rewrite tails and series.json), then
killed-style (the writer's lock dropped without a close) and reopened (the fsck recovery runs first).
Median of ``--repeat``. Run: ``.venv/bin/python benchmarks/bench_resume.py [--quick]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import numpy as np

from ringlog.store import Store
from ringlog.store.reopen import open_task


def _once(series: int, points: int) -> tuple[float, float, float]:
    rng = np.random.default_rng(0)
    step = np.arange(points, dtype=np.int64)
    t = 1.7e9 + step * 0.01
    with tempfile.TemporaryDirectory() as d:
        st = Store(d)
        t0 = time.perf_counter()
        w = st.create_task("bench", "resume", task_id="t")
        for k in range(series):
            v = (np.exp(-step / points) + 0.05 * rng.standard_normal(points)).astype(np.float32).astype(np.float64)
            w.append(w.series_id(f"s{k}"), step, v, t)
        w.close()
        write = time.perf_counter() - t0
        t0 = time.perf_counter()
        open_task(Store(d), "t").close()
        reopen = time.perf_counter() - t0
        w = open_task(Store(d), "t")
        w.sync()
        w._lock_file.release()  # as if killed: the next open finds a dead writer's task
        t0 = time.perf_counter()
        open_task(Store(d), "t").close()
        crashed = time.perf_counter() - t0
    return write, reopen, crashed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    shapes = [(10, 100_000), (100, 10_000)] if a.quick else [(10, 1_000_000), (1000, 1_000)]
    for series, points in shapes:
        runs = [_once(series, points) for _ in range(a.repeat)]
        w, r, c = (statistics.median(x[i] for x in runs) for i in range(3))
        print(f"{series:5d} series x {points:9,d} points: write+close {w:6.2f} s | reopen+close {r:6.2f} s "
              f"(x{r / w:.2f}) | reopen after a dead writer {c:6.2f} s (x{c / w:.2f})")


if __name__ == "__main__":
    main()
