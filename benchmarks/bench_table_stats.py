"""Task table with series figures (issue 19, item 5): what ``stats=1`` and a ``min./max./last.`` sort cost.

The catalog indexes only the summary; a series' last/min/max come from each task's series index,
read once per task version and kept in memory (viewer/series_stats.py). Measured: the first page of
50 with ``stats=1`` (cold: 50 task reads), the same warm (the page's polls), against the plain
catalog page as the same-run baseline; a sort by ``min.loss`` over every task cold and warm.

    .venv/bin/python -m benchmarks.bench_table_stats          # 2,000 tasks
    .venv/bin/python -m benchmarks.bench_table_stats --quick  # 200 tasks
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._common import Row, check, median_of, print_table


def run(quick: bool = False) -> list[Row]:
    from ringlog.store.testing import make_store, noisy_series, write_task
    from ringlog.viewer import create_app

    n = 200 if quick else 2000
    tmp = Path(tempfile.mkdtemp(prefix="bench-table-stats-"))
    try:
        st = make_store(tmp / "store")
        for i in range(n):
            write_task(st, "p", f"r{i}", summary={"loss": 0.001 * i},
                       scalars={"loss": noisy_series(200, seed=i), ("lr", "g0"): noisy_series(50, seed=i),
                                "acc": noisy_series(50, seed=i + 1)})
        client = create_app(st.root, config={"RINGLOG_STORE": st}).test_client()
        page = "/api/tasks?project=p&sort=summary.loss&limit=50"

        def get(url):
            r = client.get(url)
            assert r.status_code == 200, r.get_data(as_text=True)

        base = median_of(lambda: get(page), 21)
        t0 = time.perf_counter()
        get(page + "&stats=1")
        cold = time.perf_counter() - t0
        warm = median_of(lambda: get(page + "&stats=1"), 21)
        t0 = time.perf_counter()
        get("/api/tasks?project=p&sort=min.loss&limit=50")   # 50 tasks cached, the rest read now
        sort_cold = time.perf_counter() - t0
        sort_warm = median_of(lambda: get("/api/tasks?project=p&sort=min.loss&limit=50"), 11)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rows = [Row("table page of 50, catalog only (baseline)", base * 1e3, "ms"),
            Row("table page of 50 with stats=1, first (50 task reads)", cold * 1e3, "ms",
                note=f"{cold / 50 * 1e3:.2f} ms per task read"),
            Row("table page of 50 with stats=1, warm (polls)", warm * 1e3, "ms", "<= 3x baseline + 10 ms"),
            Row(f"sort by min.loss over {n:,} tasks, first ({n - 50:,} task reads)", sort_cold * 1e3, "ms"),
            Row(f"sort by min.loss over {n:,} tasks, warm", sort_warm * 1e3, "ms")]
    print_table("task table series figures" + (" (quick)" if quick else ""), rows)
    check(warm <= base * 3 + 0.010, f"warm stats page {warm * 1e3:.1f} ms vs catalog page {base * 1e3:.1f} ms")
    return rows


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
