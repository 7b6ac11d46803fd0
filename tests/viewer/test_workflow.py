"""Issue 19, "done means": one workflow end to end in chromium, as a W&B user would run it.

Find runs by tag and metric on the project table, sort them, select four, compare them with the
one tooltip, hide one, smooth (Gaussian) and check the smoothed value at a step does not move when
zoomed in (within 1%), reload and get the same view, embed the chart into a report and zoom there."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ringlog.store.testing import add_task, make_store

pytestmark = [pytest.mark.browser, pytest.mark.slow]
N = 60_000
AT = 32_500                       # 2,500 steps after a spike, 2,500 before the next
LOSS = '.chart-box[data-title="loss"]'
IDS = [f"wf{i}" for i in range(7)]
ROWS = "() => [...document.querySelectorAll('#tasks tbody tr[data-id]')].map(r => r.dataset.id)"
SMOOTHED = f"""(name) => {{ const d = document.querySelector('{LOSS} .js-plotly-plot').data;
  const t = d.find(t => t.name === name && t.yaxis !== 'y2' && t.showlegend !== false); let v = null;
  for (let i = 0; i < t.x.length; i++) if (t.x[i] <= {AT} && t.y[i] !== null) v = t.y[i];
  return v; }}"""


@pytest.fixture
def sweep(tmp_path):
    from ringlog.viewer import create_app

    st = make_store(tmp_path / "s")
    rng = np.random.default_rng(0)
    step = np.arange(N, dtype=np.int64)
    for i, tid in enumerate(IDS):
        v = 0.3 + 0.05 * i + 0.01 * rng.standard_normal(N)
        v[::5000] = 50.0                                    # rare spikes, as diverging batches
        # five runs tagged "keep", one of them with a loss outside the metric filter; two others
        add_task(st, "sweep", f"run{i}", task_id=tid, tags=("keep",) if i < 5 else ("other",),
                 summary={"loss": 0.9 if i == 4 else 0.3 + 0.05 * i}, config={"lr": 10.0 ** -(i + 1)},
                 scalars={"loss": (step, v, 1.7e9 + step * 0.01)}, created=1.7e9 + i, updated=1.7e9 + 60 + i)
    return create_app(st.root, config={"RINGLOG_STORE": st})


def _zoom(page, lo, hi):
    loads = page.locator(LOSS).get_attribute("data-loads")
    page.evaluate(f"""() => Plotly.relayout(document.querySelector('{LOSS} .js-plotly-plot'),
                                            {{'xaxis.range[0]': {lo}, 'xaxis.range[1]': {hi}}})""")
    page.wait_for_function(f"() => +document.querySelector('{LOSS}').dataset.loads > {loads}")
    page.wait_for_selector(f"{LOSS}[data-state=ready]")


def test_find_compare_smooth_reload_embed(sweep, pw):
    with pw.browser_page(sweep, width=1300, height=1000) as (srv, page, _):
        # find by tag and metric, sort by name (descending), select the four, compare
        page.goto(f"{srv.url}/projects/sweep")
        page.wait_for_selector("#tasks tbody tr")
        page.fill("input[name=tag]", "keep")
        page.fill("input[name=metric]", "loss::0.5")
        page.press("input[name=metric]", "Enter")
        page.wait_for_function("() => document.querySelectorAll('#tasks tbody tr[data-id]').length === 4")
        page.click("#tasks th[data-col=name] button")
        page.wait_for_selector("#tasks th[data-col=name][aria-sort=descending]")
        assert page.evaluate(ROWS) == ["wf3", "wf2", "wf1", "wf0"]
        page.check("#select-all")
        page.click("#compare-btn")
        page.wait_for_url("**/compare?ids=*")
        page.wait_for_selector(f"{LOSS}[data-state=ready] .main-svg")

        # one tooltip with the four runs' values at the hovered step
        page.locator(f"{LOSS} .nsewdrag").first.scroll_into_view_if_needed()
        box = page.locator(f"{LOSS} .nsewdrag").first.bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
        page.wait_for_function(f"() => document.querySelector('{LOSS} .hoverlayer').textContent.includes('run2')")
        tip = page.evaluate(f"() => document.querySelector('{LOSS} .hoverlayer').textContent")
        assert all(f"run{i}" in tip for i in range(4)), tip

        # hide one run, Gaussian smoothing: the value at a step is the same at full view and zoomed in
        page.uncheck("#run-list input.run-show[data-task=wf3]")
        page.select_option("#smoother", "gauss")
        page.fill("#smoothing", "0.99")
        page.dispatch_event("#smoothing", "input")
        page.wait_for_function(f"() => document.querySelector('{LOSS} .js-plotly-plot').data.some(t => t.name === 'run0 raw')")
        page.wait_for_selector(f"{LOSS}[data-state=ready]")
        assert page.evaluate(f"() => document.querySelector('{LOSS} .js-plotly-plot').data.every(t => !t.name.startsWith('run3'))")
        full = page.evaluate(SMOOTHED, "run0")
        _zoom(page, AT - 2000, AT + 500)
        zoomed = page.evaluate(SMOOTHED, "run0")
        assert zoomed == pytest.approx(full, rel=0.01) and full == pytest.approx(0.3, rel=0.02), (full, zoomed)

        # reload: the same view
        page.reload()
        page.wait_for_selector(f"{LOSS}[data-state=ready] .main-svg")
        page.wait_for_function(f"() => document.querySelector('{LOSS} .js-plotly-plot').data.some(t => t.name === 'run0 raw')")
        view = page.evaluate(f"""() => {{ const p = document.querySelector('{LOSS} .js-plotly-plot');
            return [p.layout.xaxis.range, p.data.some(t => t.name.startsWith('run3'))]; }}""")
        assert view == [[AT - 2000, AT + 500], False], view
        assert page.input_value("#smoother") == "gauss" and page.input_value("#smoothing") == "0.99"
        assert page.evaluate(SMOOTHED, "run0") == pytest.approx(zoomed, rel=1e-9)

        # embed the chart into a report, open it, zoom the widget there
        spec = json.loads(page.get_attribute(f"{LOSS} button.embed", "data-ringlog-embed"))
        assert spec["smoother"] == "gauss" and spec["zoom"] == f"{AT - 2000},{AT + 500}", spec
        snippet = page.evaluate("(s) => import('/static/embed.js').then(m => m.ringlogEmbedCode(s))", spec)
        from ringlog.store.reports import ReportStore

        doc = ReportStore(sweep.config["RINGLOG_STORE"].root).create(name="Sweep", project="sweep",
                                                                     markdown="# Sweep\n\n" + snippet + "\n")
        page.goto(f"{srv.url}/reports/{doc['id']}")
        frame = page.frame_locator("iframe").first
        chart = frame.locator(".rl-w-chart")
        chart.wait_for()
        frame.locator(".rl-w-chart[data-zoomed='1']").wait_for()        # opens on the embedded zoom
        assert chart.evaluate("p => p.layout.xaxis.range") == [AT - 2000, AT + 500]
        chart.evaluate(f"p => Plotly.relayout(p, {{'xaxis.range[0]': {AT - 300}, 'xaxis.range[1]': {AT}}})")
        frame.locator(f".rl-w-chart[data-raw='{301 * 4}']").wait_for(timeout=15_000)   # every raw point, 4 runs
        names = chart.evaluate("p => p.data.map(t => t.name)")
        assert any(n.endswith(" raw") for n in names), names
