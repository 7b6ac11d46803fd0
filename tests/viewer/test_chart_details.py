"""Issue 19, charts: the chart filter applies to charts built later (a collapsed section opened after
typing), wall time is drawn in the browser's local time zone, and NaN/Inf markers sit in a strip
above the data in a neutral ink (real chromium)."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from ringlog.store.testing import append_points

pytestmark = [pytest.mark.browser, pytest.mark.slow]
A, B = "a" * 32, "b" * 32
LOSS = '.chart-box[data-title="loss"]'
READY = f"() => document.querySelector('{LOSS}') && document.querySelector('{LOSS}').dataset.state === 'ready'"


def test_filter_applies_to_charts_of_a_section_opened_later(live, app, pw):
    w = live[A]
    step = np.arange(20, dtype=np.int64)
    for name in ("cpu_percent", "cpu0_percent", "memory_percent", "gpu0/utilization"):
        append_points(w, ("system", name), (step, np.linspace(0, 50, 20), 1.7e9 + step), sync=False)
    w.sync()
    with pw.browser_page(app) as (srv, page, _):
        for url in (f"/tasks/{A}", f"/compare?ids={A},{B}"):
            page.goto(srv.url + url)
            page.wait_for_function(READY)
            page.fill("#chart-filter", "cpu")
            page.dispatch_event("#chart-filter", "input")
            page.click("details[data-section=system] > summary")
            page.wait_for_selector("details[data-section=system] .chart-box")
            shown = page.evaluate("() => [...document.querySelectorAll('details[data-section=system] .chart-box')]"
                                  ".map(b => [b.dataset.title, !b.hidden])")
            # charts the filter leaves out are not built (sections page the matching charts only)
            assert {t for t, visible in shown if visible} == {"cpu per core", "cpu_percent"}, (url, shown)
            assert page.locator(LOSS).is_hidden()


def test_wall_time_axis_is_local_time_with_its_zone(app, store, pw):
    s = store.task(A).scalar("loss")
    t0 = float(s.time[0])
    tokyo = datetime.fromtimestamp(t0, timezone.utc).astimezone(ZoneInfo("Asia/Tokyo"))
    with pw.browser_page(app, timezone="Asia/Tokyo") as (srv, page, _):
        page.goto(f"{srv.url}/tasks/{A}")
        page.wait_for_function(READY)
        loads = int(page.locator(LOSS).get_attribute("data-loads"))
        page.select_option("#xaxis", "wall")
        page.wait_for_function(f"() => +document.querySelector('{LOSS}').dataset.loads > {loads} && ({READY})()")
        x0, title = page.evaluate(f"""() => {{ const p = document.querySelector('{LOSS} .js-plotly-plot');
            const t = p.data.find(t => t.name === 'loss'); return [t.x[0], p.layout.xaxis.title.text]; }}""")
        assert x0.startswith(tokyo.strftime("%Y-%m-%d %H:%M:%S")), (x0, tokyo)
        assert "UTC+09:00" in title
        # a zoom hands back local wall-clock strings: the query covers exactly that second
        a, b = (datetime.fromtimestamp(t0 + d, ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M:%S") for d in (100, 101))
        loads = int(page.locator(LOSS).get_attribute("data-loads"))
        page.evaluate(f"""() => Plotly.relayout(document.querySelector('{LOSS} .js-plotly-plot'),
                                                {{'xaxis.range[0]': '{a}', 'xaxis.range[1]': '{b}'}})""")
        page.wait_for_function(f"() => +document.querySelector('{LOSS}').dataset.loads > {loads} && ({READY})()")
        inside = int(((s.time >= t0 + 100) & (s.time <= t0 + 101)).sum())
        assert page.locator(LOSS).get_attribute("data-raw") == str(inside)


def test_nonfinite_markers_sit_in_a_strip_above_the_data_in_a_neutral_ink(app, pw):
    with pw.browser_page(app) as (srv, page, _):
        for url in (f"/tasks/{A}", f"/compare?ids={A},{B}"):
            page.goto(srv.url + url)
            page.wait_for_function(READY)
            got = page.evaluate(f"""() => {{ const p = document.querySelector('{LOSS} .js-plotly-plot');
                const m = p.data.find(t => t.yaxis === 'y2');
                const lines = p.data.filter(t => t.yaxis !== 'y2' && t.line).map(t => t.line.color);
                return {{color: m.marker.color, kinds: m.text, y: p.layout.yaxis.domain,
                         y2: p.layout.yaxis2.domain, lines}}; }}""")
            assert set(got["kinds"]) == {"nan", "+inf"}
            assert got["y2"][0] > got["y"][1], got                  # above the data area, not on it
            assert got["color"] not in got["lines"] and got["color"].lower() not in (
                "#d62728", "#1f77b4", "#ff7f0e"), got
            # the markers are drawn above the data area's top pixel
            top, bottom = page.evaluate(f"""() => {{ const p = document.querySelector('{LOSS} .js-plotly-plot');
                const data = p._fullLayout.yaxis._offset;
                const pts = [...p.querySelectorAll('.scatterlayer .point')].filter(e => e.closest('.subplot.xy2, .xy2'))
                    .map(e => e.getBoundingClientRect().bottom - p.getBoundingClientRect().top);
                return [data, pts.length ? Math.max(...pts) : null]; }}""")
            assert bottom is not None and bottom <= top, (top, bottom)


def test_no_chart_offers_a_cloud_upload(app, pw):
    """Plotly's "Edit in Chart Studio"/"Share" (an upload to plotly's cloud) and its logo link are off on
    the task page, compare (line charts and parallel coordinates) and report widgets."""
    with pw.browser_page(app) as (srv, page, _):
        titles = []
        for url, sel in ((f"/tasks/{A}", f"{LOSS} .js-plotly-plot"), (f"/compare?ids={A},{B}", "#parcoords"),
                         (f"/widgets/?type=scalar&objects={A}&metrics=loss", ".rl-w-chart")):
            page.goto(srv.url + url)
            page.wait_for_selector(f"{sel} .modebar-btn", state="attached")
            titles += page.evaluate(f"""() => [...document.querySelectorAll('{sel} .modebar-btn, {sel} .modebar a')]
                .map(b => (b.getAttribute('data-title') || '') + '|' + (b.getAttribute('href') || ''))""")
            assert page.locator(f"{sel} a[href*='plotly.com'], {sel} a[href*='plot.ly']").count() == 0
        assert titles and not [t for t in titles if any(w in t.lower() for w in ("cloud", "studio", "share", "plotly"))], titles
