"""First paint without plotly.js (issue 19: a fresh browser's 20-chart page, the 5,000-series run).

The task page only preloads plotly.js; charts whose data arrive first draw them as an SVG chart
(static/quickdraw.js) and become plotly charts once plotly.js has run. Here plotly.js is held back
(its request is not answered), so the preview must stand on its own: the run's line, the min/max
band, NaN/Inf markers, axes with ticks; then plotly.js is let through and the same charts become
interactive plotly charts; one of them is then resized by dragging its corner grip (issue 19's
"resizable panels", in the same page to keep the browser tests few)."""

from __future__ import annotations

import pytest

from tests.viewer.conftest import A

pytestmark = pytest.mark.browser
LOSS = '.chart-box[data-title="loss"]'


def test_charts_draw_before_plotly_js_has_run_then_become_plotly_charts_that_resize_by_drag(app, pw):
    held = []
    with pw.browser_page(app) as (srv, page, _):
        page.route("**/plotly.min.js*", lambda route: held.append(route))
        series = []
        page.on("request", lambda r: r.url.endswith("/series") and series.append(r.url))
        page.goto(f"{srv.url}/tasks/{A}")
        page.wait_for_selector(f"{LOSS}[data-drawn=preview] svg.quick-svg")
        got = page.evaluate(f"""() => {{ const b = document.querySelector('{LOSS}'), s = b.querySelector('svg.quick-svg');
            const line = s.querySelector('path.quick-line'), n = line.getAttribute('d').split('L').length;
            return {{state: b.dataset.state, plotly: !!window.Plotly || !!b.querySelector('.main-svg'),
                    color: line.getAttribute('stroke'), segments: n, band: s.querySelectorAll('path.quick-band').length,
                    xt: [...s.querySelectorAll('.xtick')].map(t => t.textContent),
                    yt: [...s.querySelectorAll('.ytick')].map(t => t.textContent),
                    title: s.querySelector('.xtitle').textContent,
                    nonfinite: [...s.querySelectorAll('.quick-nonfinite')].map(t => t.textContent)}}; }}""")
        assert held and got["state"] == "loading" and not got["plotly"], got
        # the series list is preloaded with the page (<link rel=preload>) and that answer is used: one request
        assert page.get_attribute("#series-preload", "href") == f"/api/tasks/{A}/series" and len(series) == 1
        color = page.evaluate("() => import('/static/colors.js').then(m => m.runColor(%r))" % A)
        assert got["color"] == color and got["segments"] > 100 and got["band"] == 1, got
        assert "0" in got["xt"] and len(got["xt"]) >= 3 and len(got["yt"]) >= 3 and got["title"] == "step", got
        assert "×" in got["nonfinite"] and "▲" in got["nonfinite"], got          # NaN at step 100, +Inf at 200
        held[0].continue_()
        page.unroute("**/plotly.min.js*")
        page.wait_for_function(f"() => document.querySelector('{LOSS}').dataset.state === 'ready'")
        assert page.locator(f"{LOSS} .main-svg").count() >= 1 and page.locator(f"{LOSS} svg.quick-svg").count() == 0
        assert page.get_attribute(LOSS, "data-drawn") == "plotly"

        # "resizable panels": dragging the corner grip makes the chart taller and two columns wide; the
        # plot follows, and the size is in the URL (a reload keeps it)
        w0 = page.locator(LOSS).bounding_box()["width"]
        g = page.locator(f"{LOSS} .panel-grip").bounding_box()
        loads = int(page.get_attribute(LOSS, "data-loads"))
        page.mouse.move(g["x"] + 7, g["y"] + 7)
        page.mouse.down()
        page.mouse.move(g["x"] + 7 + w0 * 0.8, g["y"] + 7 + 150, steps=4)
        page.mouse.up()
        page.wait_for_function(f"() => +document.querySelector('{LOSS}').dataset.loads > {loads} &&"
                               f" document.querySelector('{LOSS}').dataset.state === 'ready'")
        h, span = map(int, page.get_attribute(LOSS, "data-panel").split("x"))
        assert span == 2 and 400 <= h <= 500 and page.locator(LOSS).bounding_box()["width"] > 1.9 * w0, (h, span)
        assert f"panel=loss%7E{h}%7E2" in page.url, page.url
        svg_h = lambda: float(page.get_attribute(f"{LOSS} .main-svg", "height"))  # noqa: E731
        assert svg_h() == h
        page.reload()
        page.wait_for_function(f"() => document.querySelector('{LOSS}').dataset.state === 'ready'")
        assert page.get_attribute(LOSS, "data-panel") == f"{h}x2" and svg_h() == h
