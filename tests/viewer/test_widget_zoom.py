"""Issue 19, report widgets: a zoomed scalar widget re-asks its visible x range and draws finer data
(as the task page does); the zoom bounds stay outside the widget's signature, which still covers
everything else of its query."""

from __future__ import annotations

import re

import numpy as np
import pytest

from ringlog.store.testing import add_task, make_store

Q = "type=scalar&objects=zoom1&metrics=loss"


@pytest.fixture
def zoom_app(tmp_path):
    from ringlog.viewer import create_app

    st = make_store(tmp_path / "s")
    step = np.arange(300_000, dtype=np.int64)
    value = np.sin(step / 5000.0) + 0.01 * np.random.default_rng(0).standard_normal(len(step))
    add_task(st, "p", "zoomed", task_id="zoom1", scalars={"loss": (step, value, 1.7e9 + step * 0.01)})
    return create_app(st.root, config={"RINGLOG_STORE": st})


def test_zoom_bounds_ride_outside_the_signature(zoom_app):
    c = zoom_app.test_client()
    sig = re.search(r'data-sig="([^"]+)"', c.get(f"/widgets/?{Q}").get_data(as_text=True)).group(1)
    base = c.get(f"/widgets/data?{Q}&sig={sig}", headers={"Origin": "null"})
    zoom = c.get(f"/widgets/data?{Q}&x_min=1000&x_max=1999&sig={sig}", headers={"Origin": "null"})
    assert base.headers.get("Access-Control-Allow-Origin") == zoom.headers.get("Access-Control-Allow-Origin") == "null"
    full, part = base.get_json()["charts"][0]["traces"][0], zoom.get_json()["charts"][0]["traces"][0]
    assert full["raw_count"] == 300_000 and part["raw_count"] == 1000
    assert part["x"][0] == 1000 and part["x"][-1] == 1999
    forged = c.get(f"/widgets/data?type=scalar&objects=zoom1&metrics=other&x_min=1&sig={sig}", headers={"Origin": "null"})
    assert "Access-Control-Allow-Origin" not in forged.headers
    bad = c.get(f"/widgets/data?{Q}&x_min=5&x_max=1&sig={sig}", headers={"Origin": "null"})
    assert bad.status_code == 400 and "x_max" in bad.get_json()["error"]["message"]


@pytest.mark.browser
@pytest.mark.slow
def test_a_zoomed_widget_draws_every_raw_point_of_its_range(zoom_app, pw):
    chart = ".rl-w-chart"
    with pw.browser_page(zoom_app, width=900, height=500) as (srv, page, _):
        page.goto(f"{srv.url}/widgets/?{Q}")
        page.wait_for_selector(f"{chart}[data-raw]")
        before = int(page.locator(chart).get_attribute("data-points"))
        assert page.locator(chart).get_attribute("data-raw") == "300000"
        page.evaluate(f"() => Plotly.relayout(document.querySelector('{chart}'), "
                      "{'xaxis.range[0]': 100000, 'xaxis.range[1]': 100300})")
        page.wait_for_function(f"() => document.querySelector('{chart}').dataset.zoomed === '1'", timeout=10_000)
        assert page.locator(chart).get_attribute("data-raw") == "301"
        xs = page.evaluate(f"() => document.querySelector('{chart}').data.find(t => t.name === 'loss').x")
        assert len(xs) == 301 and xs[0] == 100000 and xs[-1] == 100300 and before < 1600
        page.evaluate(f"() => Plotly.relayout(document.querySelector('{chart}'), {{'xaxis.autorange': true}})")
        page.wait_for_function(f"() => document.querySelector('{chart}').dataset.zoomed === '0'", timeout=10_000)
        assert page.locator(chart).get_attribute("data-raw") == "300000"
