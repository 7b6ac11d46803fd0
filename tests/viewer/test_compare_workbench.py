"""Issue 19, items 1 and 4: compare as a workbench (select four runs on the table, one tooltip with
every run's value at the hovered step, a colour per run derived from its id on every page, hide a
run in every chart, add/remove runs, the hyperparameters that differ, parallel coordinates with a
log axis and a run axis) and the view in the URL (a reload and a shared link show the same view; the
embed snippet carries it; report widgets follow the report's light theme)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from ringlog.store.testing import add_task, make_store

IDS = [f"run{i}" for i in range(4)]
NAMES = ["alpha", "beta", "gamma", "delta <b>"]
LOSS = '.chart-box[data-title="loss"]'
READY = f"() => document.querySelector('{LOSS}[data-state=ready] .js-plotly-plot') !== null"
LEGEND = f"""() => document.querySelector('{LOSS} .js-plotly-plot').data
    .filter(t => t.showlegend !== false && t.yaxis !== 'y2').map(t => [t.name, t.line.color])"""


@pytest.fixture
def four(tmp_path):
    from ringlog.viewer import create_app

    st = make_store(tmp_path / "s")
    step = np.arange(2000, dtype=np.int64)
    for i, (tid, name) in enumerate(zip(IDS, NAMES)):
        loss = np.exp(-step / 500.0) * (1 + i) + 0.01 * np.random.default_rng(i).standard_normal(len(step))
        add_task(st, "sweep", name, task_id=tid, created=1.7e9 + i, updated=1.7e9 + 60 + i,
                 config={"lr": 10.0 ** -(i + 1), "seed": 7, "optim": "adam" if i % 2 else "sgd"},
                 summary={"loss": float(loss[-1])},
                 scalars={"loss": (step, loss, 1.7e9 + step * 0.1),
                          ("acc", "train"): (step, 1 - loss / 5, 1.7e9 + step * 0.1),
                          ("acc", "val"): (step, 1 - loss / 4, 1.7e9 + step * 0.1)})
    return create_app(st.root, config={"RINGLOG_STORE": st})


def test_report_widgets_follow_the_report_theme():
    from ringlog.viewer.markdown import sanitize

    out = sanitize('<iframe src="/widgets/?type=scalar&objects=a"></iframe>'
                   '<iframe src="/widgets/?type=scalar&light=false"></iframe>')
    assert 'src="/widgets/?type=scalar&amp;objects=a&amp;light=true"' in out
    assert 'src="/widgets/?type=scalar&amp;light=false"' in out and "light=false&amp;light" not in out


def _run_colors(page):
    return page.evaluate(f"() => import('/static/chart.js').then(m => {json.dumps(IDS)}.map(m.runColor))")


@pytest.mark.browser
@pytest.mark.slow
def test_select_four_compare_hover_hide_reload_embed(four, pw):
    with pw.browser_page(four, width=1300, height=1000) as (srv, page, _):
        # select four runs on the table and compare them
        page.goto(f"{srv.url}/projects/sweep")
        page.wait_for_selector("#tasks tbody input.row-select")
        for name in NAMES:
            page.check(f'#tasks tbody input.row-select[aria-label="select {name}"]')
        # the selected runs' swatches take the colours compare gives them (colors.js: none shared)
        table_swatch = page.evaluate("() => getComputedStyle(document.querySelector('#tasks tbody .swatch[data-task=run2]')).backgroundColor")
        page.click("#compare-btn")
        page.wait_for_url("**/compare?ids=*")
        page.wait_for_function(READY)
        colors = _run_colors(page)
        assert len(set(colors)) == 4
        legend = page.evaluate(LEGEND)
        assert sorted(c for _, c in legend) == sorted(colors), (legend, colors)
        # the same colour for a run on compare's swatch and the table's
        swatch = page.evaluate("() => getComputedStyle(document.querySelector('#run-list .swatch[data-task=run2]')).backgroundColor")
        assert swatch == table_swatch == "rgb({}, {}, {})".format(*(int(colors[2][k:k + 2], 16) for k in (1, 3, 5)))
        # series of one run: its colour, a dash each
        acc = page.evaluate("""() => document.querySelector('.chart-box[data-title="acc"] .js-plotly-plot').data
            .filter(t => t.showlegend !== false && t.yaxis !== 'y2' && t.legendgroup).map(t => [t.name, t.line.color, t.line.dash])""")
        run0 = [a for a in acc if a[0].startswith("alpha")]
        assert len(run0) == 2 and run0[0][1] == run0[1][1] == colors[0] and run0[0][2] != run0[1][2], acc

        # one tooltip with every run's value at the hovered step
        page.locator(f"{LOSS} .nsewdrag").first.scroll_into_view_if_needed()
        box = page.locator(f"{LOSS} .nsewdrag").first.bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
        page.wait_for_function(f"() => document.querySelector('{LOSS} .hoverlayer').textContent.includes('gamma')")
        tip = page.evaluate(f"() => document.querySelector('{LOSS} .hoverlayer').textContent")
        assert all(n in tip for n in NAMES), tip

        # the hyperparameters that differ (lr, optim), not the equal seed; parallel coordinates
        keys = page.eval_on_selector_all("#hp-diff tbody tr", "rs => rs.map(r => r.dataset.key)")
        assert keys == ["lr", "optim"], keys
        dims = page.evaluate("() => document.querySelector('#parcoords').data[0].dimensions.map(d => [d.label, d.ticktext || null])")
        assert dims[0][0] == "run" and [t.replace("&lt;", "<").replace("&gt;", ">") for t in dims[0][1]] == NAMES
        lr = [d for d in dims if d[0].startswith("lr")][0]
        assert lr[0] == "lr (log)" and "1e-4" in lr[1] and "1e-1" in lr[1], dims

        # hide delta in every chart, change the view, zoom the loss chart
        page.uncheck("#run-list input.run-show[data-task=run3]")
        page.wait_for_function(f"() => ({LEGEND})().length === 3")
        assert page.evaluate("""() => document.querySelector('.chart-box[data-title="acc"] .js-plotly-plot').data
            .filter(t => t.showlegend !== false && t.legendgroup).length""") == 6
        page.evaluate("() => { const s = document.getElementById('smoothing'); s.value = '0.6'; s.dispatchEvent(new Event('input')); }")
        page.check("#logy")
        loads = int(page.locator(LOSS).get_attribute("data-loads"))
        page.evaluate(f"""() => Plotly.relayout(document.querySelector('{LOSS} .js-plotly-plot'),
                                                {{'xaxis.range[0]': 200, 'xaxis.range[1]': 700}})""")
        page.wait_for_function(f"() => +document.querySelector('{LOSS}').dataset.loads > {loads}")
        page.fill("#chart-filter", "los")
        q = parse_qs(urlparse(page.evaluate("location.href")).query)
        assert q["hide"] == ["run3"] and q["smooth"] == ["0.6"] and q["logy"] == ["1"] and q["filter"] == ["los"]
        assert q["zoom"] == ["loss~200~700"], q

        # reload: the same view
        page.reload()
        page.wait_for_function(READY)
        assert page.input_value("#smoothing") == "0.6" and page.is_checked("#logy") and page.input_value("#chart-filter") == "los"
        assert not page.is_checked("#run-list input.run-show[data-task=run3]")
        assert page.locator('.chart-box[data-title="acc"]').is_hidden()
        view = page.evaluate(f"""() => {{ const p = document.querySelector('{LOSS} .js-plotly-plot');
            return {{range: p.layout.xaxis.range, type: p.layout.yaxis.type, n: ({LEGEND})().length}}; }}""")
        assert view == {"range": [200, 700], "type": "log", "n": 3}, view
        assert page.locator(LOSS).get_attribute("data-raw") == str(4 * 501)   # the zoomed range re-asked (hidden runs too)

        # the embed snippet carries the view, and the widget opens on it
        spec = json.loads(page.get_attribute(f"{LOSS} button.embed", "data-ringlog-embed"))
        assert spec["smoothing"] == 0.6 and spec["logy"] == 1 and spec["zoom"] == "200,700", spec
        snippet = page.evaluate(f"(s) => import('/static/embed.js').then(m => m.ringlogEmbedCode(s))", spec)
        src = snippet.split('src="')[1].split('"')[0].replace("&amp;", "&")
        page.goto(srv.url + src)
        page.wait_for_function("() => { const d = document.querySelector('.rl-w-chart'); return d && d.dataset.zoomed === '1'; }")
        w = page.evaluate("""() => { const p = document.querySelector('.rl-w-chart');
            return {range: p.layout.xaxis.range, type: p.layout.yaxis.type, colors: [...new Set(p.data.filter(t => t.legendgroup && t.showlegend !== false).map(t => t.line.color))]}; }""")
        assert w["range"] == [200, 700] and w["type"] == "log" and sorted(w["colors"]) == sorted(colors), w

        # remove a run (the view kept), then add it back from the run list's box
        page.go_back()
        page.wait_for_function(READY)
        page.click("#run-list li[data-task=run1] a.run-remove")
        page.wait_for_function(READY)
        q = parse_qs(urlparse(page.evaluate("location.href")).query)
        assert q["ids"] == ["run0,run2,run3"] and q["smooth"] == ["0.6"], q
        page.wait_for_selector("#add-run-list option", state="attached")
        label = page.evaluate("() => [...document.querySelectorAll('#add-run-list option')].map(o => o.value).find(v => v.startsWith('beta'))")
        page.fill("#add-run", label)
        page.press("#add-run", "Enter")
        page.wait_for_url("**ids=run0%2Crun2%2Crun3%2Crun1*")
        page.wait_for_function(READY)


@pytest.mark.browser
@pytest.mark.slow
def test_task_page_view_survives_a_reload(four, pw):
    with pw.browser_page(four, width=1300, height=1000) as (srv, page, _):
        page.goto(f"{srv.url}/tasks/run1")
        page.wait_for_function(READY)
        color = _run_colors(page)[1]
        assert {c for _, c in page.evaluate(LEGEND)} == {color}           # the run's colour, as on compare
        page.evaluate("() => { const s = document.getElementById('smoothing'); s.value = '0.3'; s.dispatchEvent(new Event('input')); }")
        page.select_option("#xaxis", "time")
        page.wait_for_function(f"() => document.querySelector('{LOSS} .js-plotly-plot').layout.xaxis.title.text.includes('seconds')")
        page.wait_for_function(READY)
        page.evaluate(f"""() => Plotly.relayout(document.querySelector('{LOSS} .js-plotly-plot'),
                                                {{'xaxis.range[0]': 10, 'xaxis.range[1]': 50}})""")
        page.wait_for_function("() => location.search.includes('zoom=')")
        page.evaluate("() => { document.querySelector('details[data-section]').open = false; }")
        page.wait_for_function("() => location.search.includes('shut=')")
        url = page.url
        page.goto(url)                                      # a shared link: a fresh load of the same URL
        page.wait_for_selector("details[data-section]")
        assert page.input_value("#smoothing") == "0.3" and page.input_value("#xaxis") == "time"
        assert page.evaluate("() => document.querySelector('details[data-section]').open") is False
        page.evaluate("() => { document.querySelector('details[data-section]').open = true; }")
        page.wait_for_function(READY)
        r = page.evaluate(f"() => document.querySelector('{LOSS} .js-plotly-plot').layout.xaxis.range")
        assert r == [10, 50], r
        assert "#scalars" in page.url


@pytest.mark.browser
@pytest.mark.slow
def test_compare_shows_images_and_plots_side_by_side(app, pw):
    a, b = "a" * 32, "b" * 32                           # conftest: A logged images and plots, B none
    with pw.browser_page(app, width=1300, height=1000) as (srv, page, _):
        page.goto(f"{srv.url}/compare?ids={a},{b}")
        page.wait_for_selector("#run-list .swatch")
        assert page.evaluate("() => document.querySelectorAll('#side-by-side *').length") == 0   # nothing before opened
        page.click("#side-details summary")
        page.wait_for_selector("#side-by-side[data-ready='1']")
        row = page.locator('#side-by-side .side-media tr[data-key=\'["samples","input"]\']')
        cells = row.locator("td")
        assert cells.count() == 2
        assert cells.nth(0).locator("img").get_attribute("src").startswith(f"/media/{a}/")
        assert "iteration 5" in cells.nth(0).inner_text() and "a <cat>" in cells.nth(0).inner_text()
        assert cells.nth(1).inner_text().strip() == "—"
        assert page.locator("#side-by-side .side-plots .js-plotly-plot").count() >= 2
        heads = page.eval_on_selector_all("#side-by-side .side-media thead th[data-task]", "hs => hs.map(h => h.textContent)")
        assert heads == ["resnet <b>50</b>", "other"]


@pytest.mark.browser
@pytest.mark.slow
def test_report_editor_widget_picker_inserts_a_widget_in_the_report_theme(four, pw):
    from ringlog.store.reports import ReportStore

    doc = ReportStore(four.config["RINGLOG_STORE"].root).create(name="Sweep", project="sweep", markdown="# Sweep\n")
    with pw.browser_page(four, width=1300, height=1000) as (srv, page, _):
        page.goto(f"{srv.url}/reports/{doc['id']}/edit")
        page.click("#rl-widget-picker summary")
        page.wait_for_selector("#rl-pick-runs[data-ready='1']")
        page.select_option("#rl-pick-runs", ["run0", "run3"])
        page.wait_for_selector("#rl-pick-metric[data-ready='1']")
        assert page.eval_on_selector_all("#rl-pick-metric option", "os => os.map(o => o.value)") == ["acc", "loss"]
        page.select_option("#rl-pick-metric", "loss")
        page.click("#rl-pick-insert")
        src = page.input_value("#rl-source")
        assert src.startswith("# Sweep\n") and '<iframe src="/widgets/?type=scalar&amp;objectType=task&amp;' in src, src
        assert "objects=run0" in src and "objects=run3" in src and "metrics=loss" in src
        page.wait_for_selector("#rl-preview iframe")
        assert "light=true" in page.get_attribute("#rl-preview iframe", "src")        # the report's light theme
        frame = page.frame_locator("#rl-preview iframe")
        frame.locator(".rl-w-chart .main-svg").first.wait_for()
        assert "rl-light" in frame.locator("body").get_attribute("class")


def test_a_smoothed_widget_gets_the_bucket_means(four):
    import re

    c = four.test_client()
    q = "type=scalar&objects=run0&metrics=loss&smoothing=0.6"
    sig = re.search(r'data-sig="([^"]+)"', c.get(f"/widgets/?{q}").get_data(as_text=True)).group(1)
    tr = c.get(f"/widgets/data?{q}&sig={sig}&points=200").get_json()["charts"][0]["traces"][0]
    assert tr["mean"] and sum(tr["mean"]["n"]) == tr["raw_count"] == 2000      # every point in one bucket
    assert len(tr["mean"]["x"]) == len(tr["mean"]["y"]) < 2000
    plain = "type=scalar&objects=run0&metrics=loss"
    sig = re.search(r'data-sig="([^"]+)"', c.get(f"/widgets/?{plain}").get_data(as_text=True)).group(1)
    assert c.get(f"/widgets/data?{plain}&sig={sig}").get_json()["charts"][0]["traces"][0]["mean"] is None
    bad = c.get(f"/widgets/data?{plain}&smoothing=x&sig={sig}")
    assert bad.status_code == 400 and "smoothing" in bad.get_json()["error"]["message"]
