"""Viewer benchmarks (issue 4 targets), all through the real HTTP server (waitress on a thread).

1. Decimated-series request, 2,000 points, random ranges of a long series (100M points; quick:
   1M): median end to end over HTTP, against ``TaskReader.decimate`` called directly in the same
   run (the HTTP layer's overhead = the ratio). Target <= 50 ms.
2. Task table: first page of N tasks (10,000; quick: 500) sorted by a summary metric, over HTTP,
   against ``catalog.query`` directly. Target <= 300 ms.
3. Task page with 20 charts in headless chromium: navigation until every chart is drawn (the
   SVG first paint of static/quickdraw.js counts: the data are on screen) and until every chart is
   an interactive plotly chart, on a fresh browser and on later visits. Target: drawn <= 2 s. Skipped (row says why) without chromium + playwright.

Data is written through ``ringlog.store``'s TaskWriter (``durable=False``: setup speed only) into
``bench_data/viewer`` (removed at the end). ``python -m benchmarks.run bench_viewer [--quick]``.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import statistics
import time
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

from benchmarks._common import Row, check, median_of, print_table

CHROMIUM = os.environ.get("RINGLOG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _write_long_series(st, n: int) -> str:
    w = st.create_task(project="bench-viewer", name="long", tags=("bench",))
    sid = w.series_id("loss", "loss")
    chunk = 1 << 22
    rng = np.random.default_rng(0)
    for i in range(0, n, chunk):
        m = min(chunk, n - i)
        step = np.arange(i, i + m, dtype=np.int64)
        value = np.cumsum(rng.standard_normal(m)) * 1e-3
        w.append(sid, step, value, 1.7e9 + step * 1e-3)
    for k in range(19):  # the 20-chart page: 19 small charts beside the long one
        sid = w.series_id(f"charts/c{k:02d}", f"charts/c{k:02d}")
        s = np.arange(20_000, dtype=np.int64)
        w.append(sid, s, np.sin(s / (50.0 + k)) + rng.standard_normal(len(s)) * 0.1, 1.7e9 + s * 0.1)
    w.close(status="completed")
    return w.id


def _write_tasks(st, n: int, real: int = 200) -> None:
    """``real`` tasks through TaskWriter, the rest as catalog rows in one transaction.

    The table route reads only the catalog (SQLite), so catalog rows are what the 10,000-task
    measurement needs; creating 10,000 task folders one by one would take minutes of setup.
    """
    rng = np.random.default_rng(1)

    def meta(i):
        return ({"lr": float(10 ** rng.uniform(-5, -1)), "batch": int(2 ** rng.integers(4, 10))},
                {"loss": float(rng.uniform(0, 2)), "acc": float(rng.uniform(0.5, 1))})

    for i in range(min(real, n)):
        w = st.create_task(project="bench-table", name=f"run-{i:05d}", tags=("sweep", f"g{i % 7}"))
        config, summary = meta(i)
        w.set_meta(config=config, summary=summary)
        w.close(status="completed")
    now = time.time()
    rows = []
    for i in range(real, n):
        config, summary = meta(i)
        tid = f"{i:032x}"
        rows.append(({"id": tid, "project": "bench-table", "name": f"run-{i:05d}", "status": "completed",
                      "tags": ["sweep", f"g{i % 7}"], "created": now - 3600 + i * 0.1, "updated": now + i * 0.1,
                      "summary": summary, "config": config}, st.root / "bench-table" / tid))
    if rows:
        st.catalog.upsert(rows)


class _Client:
    """One keep-alive HTTP connection, like a browser tab's."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path: str) -> bytes:
        self.conn.request("GET", path)
        resp = self.conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise AssertionError(f"GET {path} -> {resp.status}: {body[:200]!r}")
        return body


DRAWN = ("() => { const b = [...document.querySelectorAll('.chart-box')];"
         " return b.length >= 20 && b.every(x => x.dataset.drawn); }")
READY = ("() => { const b = [...document.querySelectorAll('.chart-box')];"
         " return b.length >= 20 && b.every(x => x.dataset.state === 'ready' && x.querySelector('.main-svg')); }")


def _page_time(url: str, repeat: int) -> dict | str:
    """Seconds from navigation until every chart is drawn (its data on screen: the SVG first paint of
    static/quickdraw.js or the plotly chart) and until every chart is an interactive plotly chart, on
    a fresh browser's first visit and as the median of later visits; plus the baseline: plotly.js
    alone fetched, compiled and drawing one chart cold. Or why it was skipped. The browser is fresh
    and has seen only the projects page (as a user arriving at a task would), so the first visit
    also downloads plotly.min.js (4.6 MB) and compiles it cold; later visits run it from the
    browser's caches, as a returning user's do."""
    if not os.path.exists(CHROMIUM):
        return f"skipped: no chromium at {CHROMIUM}"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "skipped: playwright not installed"
    drawn, ready = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # baseline, same run: a fresh browser context fetches plotly.min.js cold and draws one
            # chart with it, nothing else (what any plotly page pays on a first visit)
            ctx = browser.new_context()
            blank = ctx.new_page()
            blank.goto(url.split("/tasks/")[0] + "/")
            t0 = time.perf_counter()
            blank.evaluate("""() => new Promise((ok, err) => {
                const s = document.createElement('script'); s.src = '/static/plotly.min.js';
                s.onload = () => { const d = document.createElement('div'); document.body.appendChild(d);
                                   Plotly.newPlot(d, [{y: [1, 3, 2]}]).then(() => ok()); };
                s.onerror = err; document.head.appendChild(s); })""")
            cold = time.perf_counter() - t0
            ctx.close()
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url.split("/tasks/")[0] + "/")   # the projects page: no plotly.js there
            for _ in range(repeat + 1):
                t0 = time.perf_counter()
                page.goto(url, wait_until="commit")
                page.wait_for_function(DRAWN, polling="raf", timeout=60_000)
                drawn.append(time.perf_counter() - t0)
                page.wait_for_function(READY, timeout=60_000)
                ready.append(time.perf_counter() - t0)
        finally:
            browser.close()
    return {"cold": cold, "first_drawn": drawn[0], "first_ready": ready[0],
            "drawn": statistics.median(drawn[1:]), "ready": statistics.median(ready[1:])}


def run(quick: bool = False) -> list[Row]:
    from ringlog.store import Store
    from ringlog.viewer import create_app
    from ringlog.viewer.serve import BackgroundServer

    n_points = 1_000_000 if quick else 100_000_000
    n_tasks = 500 if quick else 10_000
    root = Path("bench_data") / "viewer"
    shutil.rmtree(root, ignore_errors=True)
    rows: list[Row] = []
    try:
        st = Store(root, durable=False)      # setup only: fsync does not change what the viewer reads
        t0 = time.perf_counter()
        task_id = _write_long_series(st, n_points)
        write_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        _write_tasks(st, n_tasks)
        tasks_s = time.perf_counter() - t0
        st = Store(root)                     # a fresh reader, as the viewer process would have
        reader = st.task(task_id)
        app = create_app(root, config={"RINGLOG_STORE": st})
        rng = np.random.default_rng(7)
        ranges = []
        for _ in range(64):
            a, b = np.sort(rng.uniform(0, n_points - 1, 2))
            ranges.append((float(a), float(b)) if b - a > 10 else (None, None))
        ranges[0] = (None, None)
        with BackgroundServer(app) as srv:   # 8 threads, as `ringlog view` runs
            client = _Client(srv.port)
            it = iter(range(10 ** 9))

            def direct():
                lo, hi = ranges[next(it) % len(ranges)]
                reader.decimate("loss", "loss", x_min=lo, x_max=hi, points=2000)

            def over_http():
                lo, hi = ranges[next(it) % len(ranges)]
                q = {"title": "loss", "points": 2000, "enc": "b64"}   # as the viewer's pages ask
                if lo is not None:
                    q.update(x_min=lo, x_max=hi)
                json.loads(client.get(f"/api/tasks/{task_id}/scalar?{urlencode(q)}"))

            over_http(); direct()            # warm caches and numba
            d_direct = median_of(direct, 41)
            d_http = median_of(over_http, 41)
            rows += [Row(f"decimate direct ({n_points:,} pts, 2,000 buckets)", d_direct * 1e3, "ms"),
                     Row("decimate over HTTP (waitress, enc=b64 JSON)", d_http * 1e3, "ms", "<= 50 ms",
                         f"{d_http / d_direct:.1f}x direct")]

            q = urlencode({"project": "bench-table", "sort": "summary.loss", "order": "asc", "limit": 50})
            client.get(f"/api/tasks?{q}")
            t_direct = median_of(lambda: st.catalog.query(project="bench-table", sort="summary.loss",
                                                          descending=False, limit=50), 21)
            t_http = median_of(lambda: client.get(f"/api/tasks?{q}"), 21)
            rows += [Row(f"task table direct ({n_tasks:,} tasks, by summary.loss)", t_direct * 1e3, "ms"),
                     Row("task table over HTTP, first page of 50", t_http * 1e3, "ms", "<= 300 ms",
                         f"{t_http / t_direct:.1f}x direct")]

            page_s = _page_time(f"{srv.url}/tasks/{task_id}", 3 if quick else 5)
            if isinstance(page_s, str):
                rows.append(Row("20-chart task page in headless chromium", float("nan"), "s", "<= 2 s", page_s))
            else:
                pt = page_s
                rows += [Row("plotly.js fetched + compiled cold, one chart (baseline)", pt["cold"], "s"),
                         Row("20-chart task page, fresh browser: every chart drawn", pt["first_drawn"], "s", "<= 2 s",
                             "first visit; SVG first paint, plotly.js not run yet"),
                         Row("20-chart task page, fresh browser: every chart interactive (plotly)", pt["first_ready"], "s",
                             "", "plotly.js fetched + compiled cold"),
                         Row("20-chart task page, later visits: every chart drawn", pt["drawn"], "s", "<= 2 s", "median"),
                         Row("20-chart task page, later visits: every chart interactive", pt["ready"], "s", "", "median")]
        rows.append(Row("setup: write long series", write_s, "s", note=f"{n_points:,} points"))
        rows.append(Row("setup: write tasks", tasks_s, "s", note=f"{n_tasks:,} tasks"))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print_table("viewer" + (" (quick)" if quick else ""), rows)
    # ratios vs the same-run baselines, with generous absolute floors (2 shared cores)
    check(d_http <= max(0.050, d_direct * 3 + 0.020),
          f"decimated request over HTTP {d_http * 1e3:.1f} ms vs direct {d_direct * 1e3:.1f} ms")
    check(t_http <= max(0.300, t_direct * 3 + 0.050),
          f"task table over HTTP {t_http * 1e3:.1f} ms vs catalog {t_direct * 1e3:.1f} ms")
    if not isinstance(page_s, str):
        # a returning visit: 20 interactive charts in about what plotly.js alone takes cold for one (0.75x
        # quiet, 0.5-0.92x at load 10-25); the absolute floor is the issue-4 target with room for 2 cores
        check(pt["ready"] <= max(2.0 * (2 if quick else 1.5), 1.25 * pt["cold"]),
              f"20-chart page interactive in {pt['ready']:.2f} s (later visits); plotly.js alone cold {pt['cold']:.2f} s")
        # a fresh browser draws the page without waiting for plotly.js: about what a later visit takes
        # (not a later visit plus plotly.js cold, as before the SVG first paint: 2.5-2.6 s quiet)
        check(pt["first_drawn"] <= max(2.0, 2.0 * pt["drawn"]),
              f"20-chart page drawn on a fresh browser in {pt['first_drawn']:.2f} s; later visits {pt['drawn']:.2f} s")
        # interactive: plotly.js cold (the baseline) plus one drawing of the page
        check(pt["first_ready"] <= max(2.0, 2.0 * (pt["cold"] + pt["ready"])),
              f"20-chart page interactive on a fresh browser in {pt['first_ready']:.2f} s; plotly.js alone cold"
              f" {pt['cold']:.2f} s, a later visit {pt['ready']:.2f} s")
    return rows


if __name__ == "__main__":
    run(quick=True)
