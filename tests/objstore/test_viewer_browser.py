"""The viewer over a bucket in a real browser: the task table lists a run written to ``s3://``,
its page draws the chart (data from the read cache of the bucket), and a debug sample loads."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import ringlog
from ringlog._engine import context, lifecycle
from ringlog.store import Store

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _pw():
    key = "ringlog_viewer_tests_pw"
    if key not in sys.modules:
        path = Path(__file__).parents[1] / "viewer" / "pw.py"
        spec = importlib.util.spec_from_file_location(key, path)
        sys.modules[key] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[key])
    return sys.modules[key]


def test_task_table_chart_and_sample_from_a_bucket(s3_url):
    from ringlog.viewer import create_app

    try:
        run = ringlog.init(project="team", name="bucket-run", dir=s3_url,
                           settings=ringlog.Settings(flush_interval=0.05, capture=False, handle_signals=False))
        for i in range(5000):
            ringlog.log({"loss": 1.0 / (i + 1)}, step=i)
        ringlog.log({"sample": ringlog.Image(np.full((8, 8, 3), 200, np.uint8))}, step=5000)
        ringlog.finish()
    finally:
        for core in lifecycle.open_runs():
            core.finish("aborted")
        context.set_current(None)
    app = create_app(config={"RINGLOG_STORE": Store(s3_url), "TESTING": True})
    with _pw().browser_page(app) as (srv, page, _):
        page.goto(f"{srv.url}/tasks")
        page.wait_for_selector("#tasks tbody a")
        assert "bucket-run" in page.locator("#tasks tbody").inner_text()
        page.goto(f"{srv.url}/tasks/{run.id}", wait_until="load")
        page.wait_for_function("() => { const b = document.querySelector('.chart-box[data-title=\"loss\"]');"
                               " return b && b.dataset.state === 'ready'; }", timeout=30_000)
        assert int(page.evaluate("() => +document.querySelector('.chart-box[data-title=\"loss\"]').dataset.raw")) \
            == 5000
        ok = page.evaluate("""async () => { const r = await fetch('/api/tasks/' + %r + '/media?title=sample');
                               const j = await r.json(); const u = j.groups[0].items[0].url;
                               const f = await fetch(u); return f.status; }""" % run.id)
        assert ok == 200
