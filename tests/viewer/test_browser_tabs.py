"""Every page and tab in a real browser, with no script error: task table (sort, filter, page),
Plots (iteration slider, histogram over steps), Debug samples (image, sandboxed HTML iframe,
remote note), Console, Summary, the compare page (overlaid lines, parallel coordinates), and
a live task whose new points arrive without a reload."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import numpy as np
import pytest

from ringlog.store.testing import Sample, add_samples, append_points

pytestmark = [pytest.mark.browser, pytest.mark.slow]
HERE = Path(__file__).parent
A, B = "a" * 32, "b" * 32


def _browser():
    key = "ringlog_viewer_tests_browser"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, HERE / "browser.py")
        sys.modules[key] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[key])
    return sys.modules[key]


@pytest.fixture
def served(app):
    br = _browser()
    reason = br.chromium_or_skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    from ringlog.viewer.serve import BackgroundServer

    errors: list[str] = []
    with BackgroundServer(app) as srv, sync_playwright() as p:
        browser = br.launch(p)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("dialog", lambda d: errors.append("dialog opened: " + d.message))
        try:
            yield srv, page, errors
        finally:
            browser.close()
    assert not errors, errors


def test_task_table_sorts_filters_and_links(served):
    srv, page, _ = served
    page.goto(f"{srv.url}/projects/vision")
    page.wait_for_selector("#tasks tbody a")
    assert page.locator("#tasks").get_attribute("data-total") == "2"
    names = page.locator("#tasks tbody td:nth-child(2)").all_inner_texts()
    assert "resnet <b>50</b>" in names          # shown as text, not markup
    page.locator("#tasks th", has_text="loss").click()
    page.wait_for_function("() => document.querySelector('#tasks th.desc') !== null")
    page.wait_for_function("() => document.querySelector('#tasks tbody td:nth-child(2)').innerText === 'other'")
    page.fill("input[name=metric]", "loss::0.3")
    page.click("button[type=submit]")
    page.wait_for_function("() => document.querySelector('#tasks').dataset.total === '1'")
    page.fill("input[name=metric]", "")
    page.select_option("select[name=status]", "running")
    page.click("button[type=submit]")
    page.wait_for_function("() => document.querySelector('#tasks tbody td:nth-child(2)').innerText === 'other'")
    # the filter state is in the URL: a reload shows the same page
    assert "status=running" in page.url
    page.reload()
    page.wait_for_function("() => document.querySelector('#tasks').dataset.total === '1'")
    assert page.locator("select[name=status]").input_value() == "running"
    page.goto(f"{srv.url}/")
    page.wait_for_selector("#projects a")
    assert page.locator("#projects a").all_inner_texts() == ["nlp", "vision"]


def test_task_tabs_show_every_kind_of_report(served):
    srv, page, _ = served
    page.goto(f"{srv.url}/tasks/{A}#plots")
    page.wait_for_selector("#plots .sample-card .js-plotly-plot")
    card = page.locator("#plots .sample-card").first
    assert card.locator(".iter").inner_text() == "iteration 2"
    card.locator("input[type=range]").fill("0")
    assert card.locator(".iter").inner_text() == "iteration 0"
    assert card.locator(".js-plotly-plot").count() == 2          # the figure + the over-steps heatmap
    heat = page.evaluate("() => document.querySelectorAll('#plots .js-plotly-plot')[1].data[0].type")
    assert heat == "heatmap"

    w = page.locator("#plots .sample-card[data-title=weights]")
    assert w.locator(".js-plotly-plot").count() == 2
    tbl = page.locator("#plots .sample-card[data-title=preds] table")
    assert tbl.locator("th").all_inner_texts() == ["id", "label <b>"]
    assert tbl.locator("td").all_inner_texts() == ["1", "<i>cat</i>", "2", "dog"]   # text, not markup

    page.click("nav.tabs button[data-tab=media]")
    page.wait_for_selector("#media img")
    assert page.locator("#media img").get_attribute("alt") == "a <cat>"
    frame = page.locator("#media iframe.html-sample")
    assert frame.get_attribute("sandbox") == "allow-scripts"
    assert "stored remotely: s3://bucket/a.png" in page.locator("#media").inner_text()

    page.click("nav.tabs button[data-tab=console]")
    page.wait_for_function("() => document.querySelectorAll('#console span.line').length === 10")
    page.fill("#console-filter", "line 3")
    assert page.locator("#console span.line:not([hidden])").count() == 1

    page.click("nav.tabs button[data-tab=summary]")
    page.wait_for_selector("#summary table")
    assert "0.91" in page.locator("#summary").inner_text()
    page.click("nav.tabs button[data-tab=scalars]")
    page.wait_for_function("() => [...document.querySelectorAll('.chart-box')].every(b => b.dataset.state === 'ready')")
    # smoothing and log-y only restyle; the x-axis selector offers every metric as x
    page.fill("#smoothing", "0.9")
    page.dispatch_event("#smoothing", "input")
    assert page.locator("#xaxis option[value='metric:lr/group1']").count() == 1
    # each chart offers a report embed snippet for exactly this task and chart
    snippet = page.evaluate("""async () => (await import("/static/embed.js")).ringlogEmbedCode(JSON.parse(
        document.querySelector('.chart-box[data-title="lr"] button.embed').dataset.ringlogEmbed))""")
    assert page.evaluate("() => typeof window.ringlogEmbedCode") == "undefined"   # a module: no globals
    assert "/widgets/?type=scalar" in snippet and A in snippet and "metrics=lr" in snippet


def test_compare_page_overlays_tasks_and_draws_parallel_coordinates(served, live, store):
    append_points(live[B], "loss", store.task(A).scalar("loss"))
    srv, page, _ = served
    page.goto(f"{srv.url}/compare?ids={A},{B}")
    page.wait_for_function("() => { const b = document.querySelector('.chart-box[data-title=\"loss\"]');"
                           " return b && b.dataset.state === 'ready'; }")
    names = page.evaluate("() => document.querySelector('.chart-box[data-title=\"loss\"] .js-plotly-plot').data"
                          ".filter(t => t.showlegend !== false).map(t => t.name)")
    assert names == ["resnet &lt;b&gt;50&lt;/b&gt;", "other"]
    sections = page.locator("#charts details.section > summary").all_inner_texts()
    assert sections == ["Charts", "train"]            # train/acc goes to its W&B section
    assert page.evaluate("() => document.querySelector('#parcoords').data[0].type") == "parcoords"
    page.wait_for_selector("#parcoords canvas")
    assert "WebGL is not supported" not in page.locator("#parcoords").inner_text()


def test_running_task_updates_live(served, live):
    srv, page, _ = served
    w = live[B]
    acc = (np.arange(20, dtype=np.int64), np.linspace(0, 1, 20), 1.7e9 + np.arange(20.0))
    append_points(w, "acc", tuple(a[:10] for a in acc))
    page.goto(f"{srv.url}/tasks/{B}")
    page.wait_for_function("() => document.querySelector('.chart-box[data-title=\"acc\"]')?.dataset.raw === '10'")
    append_points(w, "acc", tuple(a[10:] for a in acc))
    w.media.add_console([(1.7e9, "stdout", "info", "epoch 2")])
    page.wait_for_function("() => document.querySelector('.chart-box[data-title=\"acc\"]').dataset.raw === '20'",
                           timeout=10_000)
    append_points(w, "new_metric", acc)
    page.wait_for_selector(".chart-box[data-title=new_metric]", timeout=10_000)


def test_x_axis_modes_zoom_and_smoothing(served):
    srv, page, _ = served
    page.goto(f"{srv.url}/tasks/{A}")
    box = '.chart-box[data-title="loss"]'
    ready = f"() => document.querySelector('{box}').dataset.state === 'ready'"
    page.wait_for_function(ready)
    for mode in ("wall", "time", "metric:train/acc"):
        loads = int(page.locator(box).get_attribute("data-loads"))
        page.select_option("#xaxis", mode)
        page.wait_for_function(f"() => +document.querySelector('{box}').dataset.loads > {loads}"
                               f" && document.querySelector('{box}').dataset.state === 'ready'")
        xtype = page.evaluate(f"() => document.querySelector('{box} .js-plotly-plot').layout.xaxis.type")
        assert xtype == ("date" if mode == "wall" else "linear")
    # wall-clock zoom: plotly hands back date strings, the chart turns them into unix seconds
    page.select_option("#xaxis", "wall")
    page.wait_for_function(f"() => document.querySelector('{box} .js-plotly-plot').layout.xaxis.type === 'date'"
                           f" && document.querySelector('{box}').dataset.state === 'ready'")
    loads = int(page.locator(box).get_attribute("data-loads"))
    page.evaluate(f"""() => Plotly.relayout(document.querySelector('{box} .js-plotly-plot'),
        {{'xaxis.range[0]': new Date(1.7e12 + 100000).toISOString(), 'xaxis.range[1]': new Date(1.7e12 + 101000).toISOString()}})""")
    page.wait_for_function(f"() => +document.querySelector('{box}').dataset.loads > {loads}"
                           f" && document.querySelector('{box}').dataset.state === 'ready'")
    assert page.locator(box).get_attribute("data-raw") == "101"    # 1 s of points logged every 10 ms
    # smoothing adds a smoothed line over a faint raw line; the envelope band is untouched
    page.select_option("#xaxis", "step")
    page.wait_for_function(f"() => document.querySelector('{box} .js-plotly-plot').layout.xaxis.type === 'linear'"
                           f" && document.querySelector('{box}').dataset.state === 'ready'")
    before = page.evaluate(f"() => document.querySelector('{box} .js-plotly-plot').data.length")
    page.fill("#smoothing", "0.6")
    page.dispatch_event("#smoothing", "input")
    page.wait_for_function(ready)                 # smoothing re-asks with the bucket means (mean=1)
    after = page.evaluate(f"() => document.querySelector('{box} .js-plotly-plot').data.map(t => t.name)")
    assert len(after) == before + 1 and "loss raw" in after
    page.check("#logy")
    assert page.evaluate(f"() => document.querySelector('{box} .js-plotly-plot').layout.yaxis.type") == "log"


def _add_polish(live):
    """Single values, system metrics and GIF/mp4 videos on task A (single values on B too)."""
    a, b = live[A], live[B]

    def one(v):
        return np.zeros(1, np.int64), np.asarray([v], np.float64), np.asarray([1.7e9])

    append_points(a, ("Summary", "best_acc"), one(0.93))
    append_points(b, ("Summary", "best_acc"), one(0.81))
    append_points(b, ("Summary", "epochs"), one(12.0))
    steps = np.arange(30, dtype=np.int64)
    for name in ("cpu_percent", "cpu0_percent", "cpu1_percent", "memory_percent", "gpu0/utilization"):
        append_points(a, ("system", name), (steps, np.linspace(0, 90, 30), 1.7e9 + steps * 2.0), sync=False)
    a.sync()
    from PIL import Image

    gif = io.BytesIO()                       # a real 2-frame GIF the browser can decode
    frames = [Image.new("RGB", (8, 8), c) for c in ("red", "blue")]
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    add_samples(a, [Sample("video", "gif", 1, data=gif.getvalue(), ext="gif", kind="video", caption="anim"),
                    Sample("video", "mp4", 1, data=b"\x00\x00\x00\x18ftypmp42", ext="mp4")])


def test_single_values_system_section_and_gif_videos(served, live):
    _add_polish(live)
    srv, page, _ = served
    page.goto(f"{srv.url}/tasks/{A}")
    page.wait_for_selector("#single-values table")
    assert page.locator("#single-values th").all_inner_texts() == ["best_acc"]
    assert page.locator("#single-values td").all_inner_texts() == ["0.93"]
    assert page.locator('.chart-box[data-title="Summary"]').count() == 0      # no 1-point chart
    # the system section is collapsed and its charts are built only when it is opened
    system = page.locator('#charts details.section[data-section="system"]')
    assert system.get_attribute("open") is None
    assert system.locator(".chart-box").count() == 0
    assert page.locator("#charts details.section > summary").all_inner_texts()[-1] == "system"
    system.locator("summary").click()
    page.wait_for_function("""() => { const b = [...document.querySelectorAll(
        '#charts details[data-section="system"] .chart-box')];
        return b.length === 4 && b.every(x => x.dataset.state === 'ready'); }""")
    titles = system.locator(".chart-title").all_inner_texts()
    assert titles == ["cpu per core", "cpu_percent", "gpu utilization", "memory_percent"]
    per_core = page.evaluate("""() => document.querySelector('.chart-box[data-title="cpu per core"] .js-plotly-plot')
        .data.filter(t => t.showlegend !== false).map(t => t.name)""")
    assert per_core == ["cpu0_percent", "cpu1_percent"]
    # Summary tab: the single values table too
    page.click("nav.tabs button[data-tab=summary]")
    page.wait_for_selector("#summary .single-values")
    assert "best_acc" in page.locator("#summary .single-values").inner_text()
    # Debug samples: a GIF video is an <img>, an mp4 a <video>
    page.click("nav.tabs button[data-tab=media]")
    page.wait_for_selector('#media .sample-card[data-title="video"] img')
    card = '#media .sample-card[data-title="video"]'
    gif = page.locator(f'{card}[data-series="gif"] img')
    assert gif.count() == 1
    page.wait_for_function(f"() => document.querySelector('{card}[data-series=\"gif\"] img').naturalWidth === 8")
    assert page.locator(f'{card}[data-series="mp4"] video').count() == 1
    assert page.locator(f'{card}[data-series="gif"] video').count() == 0


def test_compare_page_lists_single_values_per_task(served, live):
    _add_polish(live)
    srv, page, _ = served
    page.goto(f"{srv.url}/compare?ids={A},{B}")
    page.wait_for_selector("#single-values table")
    assert page.locator("#single-values thead th").all_inner_texts() == ["task", "best_acc", "epochs"]
    rows = [page.locator("#single-values tbody tr").nth(i).locator("td").all_inner_texts() for i in range(2)]
    assert rows == [["resnet <b>50</b>", "0.93", ""], ["other", "0.81", "12"]]
    assert page.locator('.chart-box[data-title="Summary"]').count() == 0
    assert page.locator('#charts details.section[data-section="system"]').get_attribute("open") is None
