"""A resumed task's charts mark where it continued: a dotted vertical line on the x axis at the step
it went on from (issue 16, part 1), and at its time on the time axes; none on a task never resumed."""

from __future__ import annotations

import ringlog
from ringlog.viewer import create_app
from ringlog.viewer.pages import resume_markers

from .pw import browser_page

SHAPES = """() => { const p = document.querySelector('.chart-box[data-chart=loss] .js-plotly-plot');
  return (p.layout.shapes || []).filter(s => s.type === 'line').map(s => s.x0); }"""


def _resumed(tmp_path):
    s = ringlog.Settings(capture=False, handle_signals=False, flush_interval=0.05)
    for _ in range(2):
        run = ringlog.init(project="p", id="resumed", resume="allow", dir=tmp_path, settings=s)
        for _ in range(20):
            ringlog.log({"loss": 1.0 / (run.step + 1)})
        run.finish()
    plain = ringlog.init(project="p", id="plain", dir=tmp_path, settings=s)
    plain.log({"loss": 1.0})
    plain.finish()


def test_resume_markers_from_the_metadata(tmp_path):
    _resumed(tmp_path)
    client = create_app(tmp_path, config={"TESTING": True}).test_client()
    extra = client.get("/api/tasks/resumed").get_json()["extra"]
    (m,) = resume_markers(extra)
    assert m["step"] == 20 and m["from"] == "completed" and m["t"] > 0
    assert resume_markers({"resumes": [{"time": "x"}, 3, {"time": 5.0, "step": True}]}) == [
        {"time": 5.0, "step": None, "t": None, "from": ""}]


def test_the_chart_draws_the_resume(tmp_path):
    _resumed(tmp_path)
    app = create_app(tmp_path, config={"TESTING": True})
    with browser_page(app) as (srv, page, _errors):
        page.goto(f"{srv.url}/tasks/resumed")
        page.wait_for_selector(".chart-box[data-chart=loss][data-state=ready]")
        assert page.evaluate(SHAPES) == [20]
        assert page.get_attribute(".chart-box[data-chart=loss]", "data-markers") == "1"
        page.select_option("#xaxis", "time")
        page.wait_for_function("() => document.querySelector('.chart-box[data-chart=loss]').dataset.loads > 1")
        page.wait_for_selector(".chart-box[data-chart=loss][data-state=ready]")
        (t,) = page.evaluate(SHAPES)
        assert t > 0
        page.goto(f"{srv.url}/tasks/plain")
        page.wait_for_selector(".chart-box[data-chart=loss][data-state=ready]")
        assert page.evaluate(SHAPES) == []
