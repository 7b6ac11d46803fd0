"""Group charts (issue 16, part 4): what one ``/api/groups/scalar`` request costs for a group of three
runs, against the same-run baseline of the three task-chart requests it stands for
(``/api/tasks/<id>/scalar``, same series, same bucket budget, ``mean=1``).

A group answer is one store decimate per run on a common grid (plus one 4-point decimate per run
for the range at full view) and O(runs x buckets) numpy, so it should cost about what the three task
charts cost together, whatever the runs' lengths (the check allows 3x + 30 ms: single medians swing
with the load of a shared 2-core machine; reading raw chunks of a big range would cost 10x and more).

    .venv/bin/python -m benchmarks.bench_groups          # 3 runs of 1M points each
    .venv/bin/python -m benchmarks.bench_groups --quick  # 3 runs of 100k points
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._common import Row, check, median_of, print_table


def run(quick: bool = False) -> list[Row]:
    from ringlog.store.testing import loss_curve, make_store, write_task
    from ringlog.viewer import create_app

    n = 100_000 if quick else 1_000_000
    sizes = (n, n, n)
    points = 1200      # a chart about 1,200 px wide
    tmp = Path(tempfile.mkdtemp(prefix="bench-groups-"))
    try:
        st = make_store(tmp / "store")
        ids = []
        for i, m in enumerate(sizes):
            w = write_task(st, "p", f"rank{i}", close=False, scalars={"loss": loss_curve(m, seed=i)})
            w.set_meta(init_args={"group": "DDP"})
            w.close(status="completed")
            ids.append(w.id)
        client = create_app(st.root, config={"RINGLOG_STORE": st}).test_client()

        def get(url):
            r = client.get(url)
            assert r.status_code == 200, r.get_data(as_text=True)

        def singles(extra=""):
            for tid in ids:
                get(f"/api/tasks/{tid}/scalar?title=loss&points={points}&mean=1&enc=b64{extra}")

        group = f"/api/groups/scalar?project=p&group=DDP&title=loss&points={points}&enc=b64"
        zoom = f"&x_min={n // 3 + 17}&x_max={n // 3 + n // 20}"
        t0 = time.perf_counter()   # a fresh viewer process: numba loads its cached kernels once
        get(f"/api/tasks/{ids[0]}/scalar?title=loss&points={points}&mean=1&enc=b64")
        first_task = time.perf_counter() - t0
        t0 = time.perf_counter()
        get(group)                  # the group's runs are looked up (StatsCache) and opened once
        first = time.perf_counter() - t0
        rows = [Row("first task-chart request of a fresh viewer process (numba loads kernels)", first_task * 1e3, "ms"),
                Row("first group request after it (group looked up, runs opened)", first * 1e3, "ms")]
        for label, extra in (("full view", ""), (f"zoom to {n // 20 - 17:,} steps", zoom)):
            base = median_of(lambda: singles(extra), 11)
            g = median_of(lambda: get(group + extra), 11)
            rows += [Row(f"3 task-chart requests, {label} (baseline)", base * 1e3, "ms"),
                     Row(f"1 group request over the 3 runs, {label}", g * 1e3, "ms", "<= 3x baseline + 30 ms",
                         note=f"{g / base:.2f}x baseline")]
            check(g <= 3 * base + 0.030, f"group {label}: {g * 1e3:.1f} ms vs 3 task charts {base * 1e3:.1f} ms")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print_table(f"group chart, 3 runs of {n:,} points each, {points} buckets"
                + (" (quick)" if quick else ""), rows)
    return rows


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
