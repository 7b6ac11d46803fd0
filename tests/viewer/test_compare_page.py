"""Issue 19, compare: one colour per run and a dash per series of a run, parallel coordinates keep runs
lacking a hyperparameter or the metric, more than 20 runs get a page that offers a way on, and the
legend is not under plotly's toolbar."""

from __future__ import annotations


import pytest

from ringlog.store.testing import write_task

A, B, C = "a" * 32, "b" * 32, "c" * 32
LR = '.chart-box[data-title="lr"]'


def test_more_than_20_tasks_get_a_page_offering_the_first_20(client):
    ids = [f"t{i:02d}<x>" for i in range(23)]
    r = client.get("/compare", query_string={"ids": ",".join(ids)}, headers={"Accept": "text/html"})
    assert r.status_code == 400 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert "Compare draws at most 20 tasks" in html and "23 tasks were selected" in html
    first = html.split('id="compare-first" href="')[1].split('"')[0]
    assert first == "/compare?ids=" + ",".join(i.replace("<", "%3C").replace(">", "%3E") for i in ids[:20])
    assert "<x>" not in html and "t05&lt;x&gt;" in html                # ids shown escaped
    assert client.get("/compare?ids=" + ",".join([A] * 20)).status_code == 200


@pytest.mark.browser
@pytest.mark.slow
def test_compare_colours_dashes_parcoords_and_legend(store, app, pw):
    # D lacks lr and the summary metric acc: it must keep its line in the parallel coordinates
    write_task(store, "vision", "no lr", task_id="d" * 32, config={"optim": {"name": "adam"}}, summary={"loss": 0.7})
    ids = ",".join([A, B, C, "d" * 32])
    with pw.browser_page(app) as (srv, page, _):
        page.goto(f"{srv.url}/compare?ids={A},{B}")
        page.wait_for_selector(f"{LR}[data-state=ready]")
        lines = page.evaluate(f"""() => document.querySelector('{LR} .js-plotly-plot').data
            .filter(t => t.showlegend !== false).map(t => [t.name, t.line.color, t.line.dash])""")
        # task A logged lr/group0 and lr/group1: same colour (the run), different dashes (the series)
        assert len(lines) == 2 and lines[0][1] == lines[1][1] and lines[0][2] != lines[1][2], lines
        # the legend sits clear of plotly's toolbar
        page.hover(f"{LR} .js-plotly-plot")
        boxes = page.evaluate(f"""() => {{ const p = document.querySelector('{LR} .js-plotly-plot');
            const r = e => {{ const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; }};
            return {{bar: r(p.querySelector('.modebar')), items: [...p.querySelectorAll('.legend .traces')].map(r)}}; }}""")
        bar = boxes["bar"]
        assert boxes["items"]
        for it in boxes["items"]:
            assert it[2] <= bar[0] or it[0] >= bar[2] or it[3] <= bar[1] or it[1] >= bar[3], boxes

        page.goto(f"{srv.url}/compare?ids={ids}")
        page.wait_for_function("() => { const p = document.querySelector('#parcoords'); return p.data && p.data.length; }")
        page.select_option("#pc-metric", "acc")
        dims = page.evaluate("""() => document.querySelector('#parcoords').data[0].dimensions
            .map(d => [d.label, Array.from(d.values), d.ticktext || null])""")
        by = {d[0]: d for d in dims}
        assert all(isinstance(v, (int, float)) and v == v for d in dims for v in d[1]), dims   # no NaN: no run dropped
        assert len(by["lr"][1]) == 4 and "missing" in by["lr"][2]
        assert "missing" in by["acc"][2]
        # the drawn lines: one per run (plotly draws none for a run with a NaN anywhere)
        assert page.evaluate("() => document.querySelector('#parcoords')._fullData[0].dimensions[0].values.length") == 4
