"""Cost of reopening a stored task for writing (resume, store/reopen.py) against writing it.

A task of ``--series`` series of ``--points`` points each (noisy float32 values, as a loss) is written
and closed (the baseline: create, append, close, durable), then reopened and closed again with
nothing new (open_task: read every point, replay the pyramid, rewrite tails and series.json), then
killed-style (the writer's lock dropped without a close) and reopened (the fsck recovery runs first).
Median of ``--repeat``; asserts a reopen costs at most 3x (4x after a dead writer) writing the task
(measured 0.64-0.94x). Run: ``python -m benchmarks.run [--quick] bench_resume``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import numpy as np

from ringlog.store import Store
from ringlog.store.reopen import open_task

from ._common import Row, check, print_table


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


def run(quick: bool = False, repeat: int = 3) -> list[Row]:
    shapes = [(10, 100_000), (100, 10_000)] if quick else [(10, 1_000_000), (1000, 1_000)]
    rows, problems = [], []
    for series, points in shapes:
        runs = [_once(series, points) for _ in range(repeat)]
        w, r, c = (statistics.median(x[i] for x in runs) for i in range(3))
        shape = f"{series:,} series x {points:,} points"
        rows += [Row(f"{shape}: write + close (baseline)", w, "s"),
                 Row(f"{shape}: reopen + close", r, "s", "<= 3x baseline", f"x{r / w:.2f}"),
                 Row(f"{shape}: reopen after a dead writer", c, "s", "<= 4x baseline", f"x{c / w:.2f}")]
        if r > 3 * w + 0.1:
            problems.append(f"{shape}: reopen + close {r:.2f} s > 3x writing it ({w:.2f} s)")
        if c > 4 * w + 0.1:
            problems.append(f"{shape}: reopen after a dead writer {c:.2f} s > 4x writing it ({w:.2f} s)")
    print_table(f"resume: reopening a task ({'quick' if quick else 'full'}, median of {repeat})", rows)
    check(not problems, "; ".join(problems))
    return rows


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    run(quick=a.quick, repeat=a.repeat)
