"""A wide run's task page (issue 19, item 6): 5,000 series (a W&B row of 5,000 keys, one per layer,
20 steps each; 4,999 of them in one ``grads/`` section), first paint in headless chromium.

First paint = from the start of the navigation until the first chart's data are drawn (the SVG
chart static/quickdraw.js draws before plotly.js has run, or the plotly chart), polled every
animation frame; the first interactive (plotly) chart is timed too. Measured on a fresh browser
(arriving from the projects page, so plotly.min.js is fetched and compiled cold) and on later visits
(median), against a same-run baseline: the same page of a run with one series. Also the ``/series`` listing the page
asks first (5,000 series, cold and warm). Target: first paint <= 1 s.
``python -m benchmarks.run bench_viewer_wide [--quick]`` (quick: 1,000 series, 3 visits).
"""

from __future__ import annotations

import shutil
import statistics
import time
from pathlib import Path

import numpy as np

from benchmarks._common import Row, check, print_table
from benchmarks.bench_viewer import CHROMIUM, CHROMIUM_ARGS

#: first paint: a chart's data on screen, as the SVG of static/quickdraw.js (drawn before plotly.js
#: has run) or as a plotly chart
FIRST_CHART = "() => !!document.querySelector('.chart-box[data-drawn] svg')"
#: the first chart interactive: a plotly chart
FIRST_PLOTLY = ("() => { const b = document.querySelector('.chart-box[data-state=ready]');"
                " return !!(b && b.querySelector('.main-svg')); }")


def _write(st, n_series: int) -> tuple[str, str]:
    from ringlog.store.testing import append_points

    rng = np.random.default_rng(0)
    step = np.arange(20, dtype=np.int64)
    wide = st.create_task("bench-wide", f"{n_series} keys")
    for i in range(n_series):
        key = "train/loss" if i == 0 else f"grads/layer{i:04d}"
        append_points(wide, key, (step, rng.standard_normal(20), 1.7e9 + step), sync=False)
    wide.close(status="completed")
    one = st.create_task("bench-wide", "one key")
    append_points(one, "train/loss", (step, rng.standard_normal(20), 1.7e9 + step), sync=False)
    one.close(status="completed")
    return wide.id, one.id


def _paint_times(base: str, paths: list[str], repeat: int) -> dict | str:
    """{path: (first paint on a fresh browser's first visit, median of later visits, first plotly chart
    on the first visit, median of later visits)} in seconds, or why skipped."""
    import os
    if not os.path.exists(CHROMIUM):
        return f"skipped: no chromium at {CHROMIUM}"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "skipped: playwright not installed"
    out = {}
    with sync_playwright() as p:
        for path in paths:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(base + "/")                 # the projects page: no plotly.js there
                times, plotly = [], []
                for _ in range(repeat + 1):
                    t0 = time.perf_counter()
                    page.goto(base + path, wait_until="commit")
                    page.wait_for_function(FIRST_CHART, polling="raf", timeout=60_000)
                    times.append(time.perf_counter() - t0)
                    page.wait_for_function(FIRST_PLOTLY, polling="raf", timeout=60_000)
                    plotly.append(time.perf_counter() - t0)
                out[path] = (times[0], statistics.median(times[1:]), plotly[0], statistics.median(plotly[1:]))
            finally:
                browser.close()
    return out


def run(quick: bool = False) -> list[Row]:
    from ringlog.store import Store
    from ringlog.store.testing import make_store
    from ringlog.viewer import create_app
    from ringlog.viewer.scalars import series_impl
    from ringlog.viewer.serve import BackgroundServer

    n = 1000 if quick else 5000
    root = Path("bench_data") / "viewer_wide"
    shutil.rmtree(root, ignore_errors=True)
    rows: list[Row] = []
    try:
        t0 = time.perf_counter()
        wide, one = _write(make_store(root), n)
        rows.append(Row("setup: write the wide run", time.perf_counter() - t0, "s", note=f"{n:,} series x 20 points"))
        st = Store(root)
        t0 = time.perf_counter()
        series_impl(st.task(wide))
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        series_impl(st.task(wide))
        warm = time.perf_counter() - t0
        rows += [Row(f"series listing, {n:,} series (first read)", cold * 1e3, "ms"),
                 Row(f"series listing, {n:,} series (again)", warm * 1e3, "ms")]
        app = create_app(root, config={"RINGLOG_STORE": st})
        with BackgroundServer(app) as srv:
            times = _paint_times(srv.url, [f"/tasks/{one}", f"/tasks/{wide}"], 3 if quick else 5)
        if isinstance(times, str):
            rows.append(Row(f"{n:,}-series task page, first paint", float("nan"), "s", "<= 1 s", times))
        else:
            b_first, b_later, b_pf, b_pl = times[f"/tasks/{one}"]
            w_first, w_later, w_pf, w_pl = times[f"/tasks/{wide}"]
            rows += [Row("1-series task page, first paint, fresh browser (baseline)", b_first, "s"),
                     Row("1-series task page, first paint, later visits (baseline)", b_later, "s", note="median"),
                     Row(f"{n:,}-series task page, first paint, fresh browser", w_first, "s", "<= 1 s",
                         f"{w_first / b_first:.2f}x baseline; SVG first paint, plotly.js not run yet"),
                     Row(f"{n:,}-series task page, first paint, later visits", w_later, "s", "<= 1 s",
                         f"median; {w_later / b_later:.2f}x baseline"),
                     Row(f"{n:,}-series task page, first plotly chart, fresh browser", w_pf, "s", "",
                         f"plotly.js fetched + compiled cold; one series: {b_pf:.2f} s"),
                     Row(f"{n:,}-series task page, first plotly chart, later visits", w_pl, "s", "",
                         f"median; one series: {b_pl:.2f} s")]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print_table("viewer, a wide run" + (" (quick)" if quick else ""), rows)
    if not isinstance(times, str):
        # ratio to the same-run one-series page, with a floor: before sections were paged and first loads
        # batched this was 13x (8.7 s against 0.67 s); 2-4x since, measured on 2 cores under load
        check(w_later <= max(1.0, 5 * b_later), f"{n}-series first paint {w_later:.2f} s vs one series {b_later:.2f} s")
        # a fresh browser's first paint no longer waits for plotly.js: within reach of a later visit's, or
        # of the same run's fresh one-series page (one fresh visit is one sample: CI's quick run read
        # 1.12 s against 0.52 s later visits and a 0.64 s fresh one-series page, on a quiet machine)
        check(w_first <= max(1.0, 2 * w_later, 2 * b_first),
              f"{n}-series first paint on a fresh browser {w_first:.2f} s vs later visits {w_later:.2f} s and a "
              f"fresh one-series page {b_first:.2f} s")
    return rows


if __name__ == "__main__":
    run(quick=True)
