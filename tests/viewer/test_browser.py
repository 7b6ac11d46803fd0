"""A real browser over a real server: the task page draws decimated plotly charts of a
multi-million-point task, a zoom fetches finer data, and a screenshot is saved to
tests/viewer/artifacts/ (gitignored)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from ringlog.store.testing import add_task, loss_curve, make_store

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HERE = Path(__file__).parent
ARTIFACTS = HERE / "artifacts"


def _browser():
    spec = importlib.util.spec_from_file_location("ringlog_viewer_tests_browser", HERE / "browser.py")
    mod = sys.modules.get(spec.name)
    if mod is None:
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        spec.loader.exec_module(mod)
    return mod


SPIKE = 10.0


@pytest.fixture(scope="module")
def big_store(tmp_path_factory):
    """One task of 3M points (a loss curve with one spike no chart may hide and one NaN) plus a few
    small charts, written through the real store."""
    store = make_store(tmp_path_factory.mktemp("big"))
    s = np.arange(500, dtype=np.int64)
    scalars = {"loss": loss_curve(3_000_000, spike=SPIKE)}
    scalars.update({f"train/acc_{k}": (s, np.sin(s / 30.0 + k), 1.7e9 + s * 1.0) for k in range(5)})
    r = add_task(store, "bench", "big", tags=("browser",), config={"lr": 0.1}, summary={"loss": 0.1},
                 scalars=scalars)
    return store, r.id


def test_task_page_draws_charts_and_zoom_fetches_finer_data(big_store):
    br = _browser()
    reason = br.chromium_or_skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    from ringlog.viewer import create_app
    from ringlog.viewer.serve import BackgroundServer

    store, task_id = big_store
    app = create_app(store.root, config={"RINGLOG_STORE": store})
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    with BackgroundServer(app) as srv, sync_playwright() as p:
        browser = br.launch(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("response", lambda r: r.status >= 400 and errors.append(f"{r.status} {r.url}"))
            page.goto(f"{srv.url}/tasks/{task_id}", wait_until="load")
            page.wait_for_function(
                "() => { const b = [...document.querySelectorAll('.chart-box')];"
                " return b.length > 0 && b.every(x => x.dataset.state === 'ready'); }", timeout=30_000)
            charts = page.evaluate("""() => [...document.querySelectorAll('.chart-box')].map(b => ({
                title: b.dataset.title, points: +b.dataset.points, raw: +b.dataset.raw, loads: +b.dataset.loads,
                traces: b.querySelector('.js-plotly-plot').data.length,
                xs: b.querySelector('.js-plotly-plot').data.reduce((n, t) => n + (t.x ? t.x.length : 0), 0)}))""")
            by_title = {c["title"]: c for c in charts}
            big = by_title["loss"]
            assert big["raw"] == 3_000_000 and 0 < big["points"] <= 8 * 1400, big
            assert all(c["xs"] > 0 and c["traces"] >= 1 for c in charts), charts
            # the spike at step 2,000,000 is in the drawn data even at full zoom-out
            ymax = page.evaluate("""() => { const d = document.querySelector('.chart-box[data-title="loss"] .js-plotly-plot').data;
                                            return Math.max(...d.filter(t => t.yaxis !== 'y2').flatMap(t => Array.from(t.y).filter(Number.isFinite))); }""")
            assert ymax == SPIKE
            page.screenshot(path=str(ARTIFACTS / "task_page.png"), full_page=True)
            # smoothing: a smoothed line over the faint raw one, inside the untouched min/max band
            page.fill("#smoothing", "0.95")
            page.dispatch_event("#smoothing", "input")
            page.wait_for_selector('.chart-box[data-title="loss"][data-state=ready]')  # re-asked with mean=1
            names = page.evaluate("""() => document.querySelector('.chart-box[data-title="loss"] .js-plotly-plot')
                                              .data.map(t => t.name)""")
            assert {"loss min", "loss max", "loss raw", "loss"} <= set(names), names
            page.screenshot(path=str(ARTIFACTS / "task_page_smoothed.png"), clip={"x": 0, "y": 0, "width": 1400, "height": 640})
            page.fill("#smoothing", "0")
            page.dispatch_event("#smoothing", "input")

            # zoom on the big chart: the page re-queries the visible range and finer data arrive
            loads = int(page.locator('.chart-box[data-title="loss"]').get_attribute("data-loads"))
            page.evaluate("""() => Plotly.relayout(document.querySelector('.chart-box[data-title="loss"] .js-plotly-plot'),
                                                   {'xaxis.range[0]': 1000000, 'xaxis.range[1]': 1000500})""")
            page.wait_for_function("""() => { const b = document.querySelector('.chart-box[data-title="loss"]');
                                              return +b.dataset.loads > %d && b.dataset.state === 'ready'; }""" % loads,
                                   timeout=15_000)
            zoomed = page.evaluate("""() => { const b = document.querySelector('.chart-box[data-title="loss"]');
                const t = b.querySelector('.js-plotly-plot').data.find(t => t.legendgroup === 'g0' && t.showlegend !== false);
                return {raw: +b.dataset.raw, level: +b.dataset.level, n: t.x.length, x0: t.x[0], x1: t.x[t.x.length - 1]}; }""")
            assert zoomed["raw"] == 501 and zoomed["n"] == 501, zoomed          # every raw point in range
            assert zoomed["x0"] == 1_000_000 and zoomed["x1"] == 1_000_500
            assert zoomed["level"] <= int(page.evaluate(
                "() => +document.querySelector('.chart-box[data-title=\"loss\"]').dataset.level"))
            page.screenshot(path=str(ARTIFACTS / "task_page_zoomed.png"))
        finally:
            browser.close()
    assert not errors, errors
