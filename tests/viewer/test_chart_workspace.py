"""Issue 19, items 6 and 8: the chart workspace. Sections paged (the filter applied first), a regex
filter that marks a bad pattern instead of throwing, a chart's own log y / smoothing kept in the URL,
full screen, the chart-size control, system metrics against wall time, plain chart footers with the
jargon in a details disclosure, and the batched first loads (/api/tasks/<id>/scalars)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import numpy as np
import pytest

from ringlog.store.testing import add_task, make_store

HERE = Path(__file__).parent
LOSS = '.chart-box[data-title="loss"]'
SECTION = 'details[data-section="layers"]'


@pytest.fixture
def wide(tmp_path):
    from ringlog.viewer import create_app

    rng = np.random.default_rng(0)
    step = np.arange(20, dtype=np.int64)
    scalars = {f"layers/c{i:03d}": (step, rng.standard_normal(20), 1.7e9 + step) for i in range(30)}
    s = np.arange(5000, dtype=np.int64)
    scalars["loss"] = (s, 1.0 / (1 + s) + 0.01 * rng.standard_normal(5000), 1.7e9 + s * 0.5)
    scalars[("system", "cpu_percent")] = (step, rng.uniform(0, 100, 20), 1.7e9 + step * 2.0)
    st = make_store(tmp_path / "s")
    t = add_task(st, "p", "wide", scalars=scalars)
    return create_app(st.root, config={"RINGLOG_STORE": st}), t.id


def test_scalars_batch_answers_each_query_as_scalar_does(wide):
    app, tid = wide
    c = app.test_client()
    qs = [urlencode({"title": "loss", "points": 100}), urlencode({"title": "nope"}),
          urlencode({"title": "layers/c003", "points": 50, "mean": 1}), "title=loss&points=zero"]
    d = c.get(f"/api/tasks/{tid}/scalars?" + urlencode([("q", q) for q in qs])).get_json()
    a = d["answers"]
    assert a[0] == c.get(f"/api/tasks/{tid}/scalar?{qs[0]}").get_json()
    assert a[2] == c.get(f"/api/tasks/{tid}/scalar?{qs[2]}").get_json()
    assert a[1]["status"] == 404 and "nope" in a[1]["error"]["message"]
    assert a[3]["status"] == 400 and "points" in a[3]["error"]["message"]
    r = c.get(f"/api/tasks/{tid}/scalars")
    assert r.status_code == 400 and "q" in r.get_json()["error"]["message"]
    r = c.get(f"/api/tasks/{tid}/scalars?" + urlencode([("q", qs[0])] * 97))
    assert r.status_code == 400 and "96" in r.get_json()["error"]["message"]
    assert c.get("/api/tasks/" + "f" * 32 + "/scalars?q=title%3Dloss").status_code == 404


def _titles(page):
    return page.eval_on_selector_all(f"{SECTION} .chart-box", "bs => bs.map(b => b.dataset.title)")


@pytest.mark.browser
@pytest.mark.slow
def test_chart_workspace(wide, pw):
    app, tid = wide
    with pw.browser_page(app, width=1300, height=900) as (srv, page, _):
        asked = []
        page.on("request", lambda r: asked.append(r.url) if "/api/tasks/" in r.url else None)
        page.goto(f"{srv.url}/tasks/{tid}")
        page.wait_for_selector(f"{LOSS}[data-state=ready]")
        # a page of 24 charts out of 30, the first loads batched
        assert _titles(page) == [f"layers/c{i:03d}" for i in range(24)]
        assert page.get_attribute(SECTION, "data-count") == "30"
        # the section's title shows the count (attr() reads the summary's own attribute)
        assert page.evaluate(f"() => getComputedStyle(document.querySelector('{SECTION} > summary'), '::after').content") == '" (30)"'
        # 25 charts (24 + loss), 4 queries a request (scalar_batch.js), none asked one by one
        assert sum("/scalars?" in u for u in asked) == 7 and not any("/scalar?" in u for u in asked), asked
        page.click(f"{SECTION} .page-next")
        page.wait_for_function(f"() => document.querySelector('{SECTION} .chart-box').dataset.title === 'layers/c024'")
        assert _titles(page) == [f"layers/c{i:03d}" for i in range(24, 30)]
        assert "charts 25–30 of 30" in page.inner_text(f"{SECTION} .section-pager")

        # the footer speaks plain words; the pyramid level is in its details
        foot = page.inner_text(f"{LOSS} .chart-foot > span.muted")
        assert "level" not in foot and "points" in foot, foot
        assert "pyramid level" in page.eval_on_selector(f"{LOSS} .chart-how", "e => e.textContent")

        # regex filter; a bad pattern is marked, filters nothing, throws nothing (pw fails on page errors)
        page.check("#chart-regex")
        page.fill("#chart-filter", r"c00[0-3]$")
        page.wait_for_function(f"() => document.querySelectorAll('{SECTION} .chart-box').length === 4")
        assert page.get_attribute(SECTION, "data-count") == "4" and page.locator(LOSS).count() == 0
        page.fill("#chart-filter", "c0[")
        page.wait_for_selector("#chart-filter[aria-invalid=true]")
        assert "invalid regular expression" in page.inner_text("#chart-filter-msg")
        assert page.get_attribute(SECTION, "data-count") == "30"
        # the section's title shows the count (attr() reads the summary's own attribute)
        assert page.evaluate(f"() => getComputedStyle(document.querySelector('{SECTION} > summary'), '::after').content") == '" (30)"'
        page.fill("#chart-filter", "")
        page.wait_for_selector(f"{LOSS}[data-state=ready]")
        assert page.get_attribute("#chart-filter", "aria-invalid") is None

        # the loss chart's own log y and smoothing; the others follow the page
        page.click(f"{LOSS} .chart-menu > summary")
        page.select_option(f"{LOSS} select.pin-logy", "1")
        page.select_option(f"{LOSS} select.pin-smoother", "gauss")
        page.wait_for_function(f"() => document.querySelector('{LOSS} .js-plotly-plot').data.some(t => t.name === 'loss raw')")
        ytype = "(sel) => document.querySelector(sel + ' .js-plotly-plot').layout.yaxis.type"
        assert page.evaluate(ytype, LOSS) == "log"
        assert page.evaluate(ytype, f'{SECTION} .chart-box[data-title="layers/c000"]') == "linear"
        q = parse_qs(urlparse(page.url).query)
        assert q["pin"] == ["loss~logy:1~smooth:gauss:0.6"], q
        page.check("#logy")                              # the page's log y: the pinned chart keeps its own
        page.uncheck("#logy")
        assert page.evaluate(ytype, LOSS) == "log"

        # full screen, Escape leaves it
        page.click(f"{LOSS} .chart-fs")
        page.wait_for_function(f"() => document.querySelector('{LOSS}').classList.contains('fullscreen')")
        page.wait_for_function(f"() => document.querySelector('{LOSS} .js-plotly-plot').layout.height > 700")
        page.keyboard.press("Escape")
        page.wait_for_function(f"() => !document.querySelector('{LOSS}').classList.contains('fullscreen')")

        # chart size, kept in the URL with the rest
        page.select_option("#chart-size", "l")
        page.wait_for_function(f"() => document.querySelector('{LOSS} .js-plotly-plot').layout.height === 460")
        assert "size=l" in page.url

        # system metrics against wall time while the page's x is the step
        page.click('details[data-section="system"] > summary')
        page.wait_for_selector('.chart-box[data-title="cpu_percent"][data-state=ready]')
        assert page.evaluate("() => document.querySelector('.chart-box[data-title=\"cpu_percent\"] .js-plotly-plot')"
                             ".layout.xaxis.type") == "date"

        # a reload shows the same view
        page.reload()
        page.wait_for_selector(f"{LOSS}[data-state=ready]")
        page.wait_for_function(f"() => document.querySelector('{LOSS} .js-plotly-plot').layout.yaxis.type === 'log'")
        assert page.input_value(f"{LOSS} select.pin-smoother") == "gauss" and page.input_value("#chart-size") == "l"
        assert page.is_checked("#chart-regex")


def test_task_page_preloads_every_module_task_js_imports():
    """The modulepreload list in task.html is the import closure of task.js (a module missing from it
    loads one import level later; one no longer imported is a wasted request)."""
    import re

    static = HERE.parents[1] / "viewer" / "static"
    seen, todo = set(), ["task.js"]
    while todo:
        f = todo.pop()
        if f not in seen:
            seen.add(f)
            todo += re.findall(r'(?:from|import) "\./([\w.-]+\.js)"', (static / f).read_text())
    html = (HERE.parents[1] / "viewer" / "templates" / "task.html").read_text()
    listed = re.search(r'\{% for m in \[(.*?)\] %\}\s*<link rel="modulepreload"', html, re.S).group(1)
    assert set(re.findall(r'"([\w.-]+\.js)"', listed)) == seen - {"task.js"}


@pytest.mark.browser
@pytest.mark.slow
def test_a_live_run_logging_a_new_key_keeps_the_section_page(tmp_path, pw):
    from ringlog.store.testing import append_points, write_task
    from ringlog.viewer import create_app

    st = make_store(tmp_path / "s")
    step = np.arange(20, dtype=np.int64)
    scalars = {f"layers/c{i:03d}": (step, np.sin(step + i), 1.7e9 + step) for i in range(30)}
    w = write_task(st, "p", "live", status="running", close=False, scalars=scalars)
    app = create_app(st.root, config={"RINGLOG_STORE": st, "RINGLOG_POLL_MS": 300})
    try:
        with pw.browser_page(app) as (srv, page, _):
            page.goto(f"{srv.url}/tasks/{w.id}")
            page.wait_for_selector(f"{SECTION} .chart-box[data-state=ready]")
            page.click(f"{SECTION} .page-next")
            page.wait_for_function(f"() => document.querySelector('{SECTION}').dataset.page === '1'")
            append_points(w, "layers/c999", (step, np.cos(step), 1.7e9 + step))     # a new key: sections rebuilt
            page.wait_for_function(f"() => document.querySelector('{SECTION}').dataset.count === '31'")
            assert page.get_attribute(SECTION, "data-page") == "1"
            assert _titles(page)[0] == "layers/c024"
    finally:
        w.close(status="completed")


@pytest.mark.browser
def test_an_embedded_widget_ignores_outliers_when_its_embed_says_so(wide, pw):
    app, tid = wide
    with pw.browser_page(app, width=900, height=500) as (srv, page, _):
        ranges = {}
        for flag in ("", "&outliers=1"):
            page.goto(f"{srv.url}/widgets/?type=scalar&objects={tid}&metrics=loss{flag}")
            page.wait_for_selector(".rl-w-chart .main-svg")
            ranges[flag] = page.evaluate("() => document.querySelector('.rl-w-chart').layout.yaxis.range")
    # the loss starts at 1.0 and settles near 0: the first points are the outliers the range leaves out
    assert ranges[""] is None or ranges[""][1] >= 1.0
    assert ranges["&outliers=1"][1] < 0.5, ranges
