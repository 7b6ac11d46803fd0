"""First paint without plotly.js (issue 19: a fresh browser's 20-chart page, the 5,000-series run).

The task page only preloads plotly.js; charts whose data arrive first draw them as an SVG chart
(static/quickdraw.js) and become plotly charts once plotly.js has run. Here plotly.js is held back
(its request is not answered), so the preview must stand on its own: the run's line, the min/max
band, NaN/Inf markers, axes with ticks; then plotly.js is let through and the same charts become
interactive plotly charts."""

from __future__ import annotations

import pytest

from tests.viewer.conftest import A

pytestmark = pytest.mark.browser
LOSS = '.chart-box[data-title="loss"]'


def test_charts_draw_before_plotly_js_has_run_and_become_plotly_charts_after(app, pw):
    held = []
    with pw.browser_page(app) as (srv, page, _):
        page.route("**/plotly.min.js*", lambda route: held.append(route))
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
        color = page.evaluate("() => import('/static/colors.js').then(m => m.runColor(%r))" % A)
        assert got["color"] == color and got["segments"] > 100 and got["band"] == 1, got
        assert "0" in got["xt"] and len(got["xt"]) >= 3 and len(got["yt"]) >= 3 and got["title"] == "step", got
        assert "×" in got["nonfinite"] and "▲" in got["nonfinite"], got          # NaN at step 100, +Inf at 200
        held[0].continue_()
        page.wait_for_function(f"() => document.querySelector('{LOSS}').dataset.state === 'ready'")
        assert page.locator(f"{LOSS} .main-svg").count() >= 1 and page.locator(f"{LOSS} svg.quick-svg").count() == 0
        assert page.get_attribute(LOSS, "data-drawn") == "plotly"
