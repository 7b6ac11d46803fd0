"""Issue 19, live pages: the task table and the compare page re-ask while a shown run is running, show
a finished run's new status and a killed run as ``crashed``, then stop polling (real chromium)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ringlog.store import Store
from ringlog.store.testing import noisy_series, write_task


def _load_pw():
    key = "ringlog_viewer_tests_pw"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, Path(__file__).with_name("pw.py"))
        sys.modules[key] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[key])
    return sys.modules[key]


browser_page = _load_pw().browser_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RUN = textwrap.dedent("""
    import sys, time
    from ringlog.store import Store
    w = Store(sys.argv[1]).create_task("vision", "killed run", task_id="killed")
    sid = w.series_id("loss")
    w.append(sid, [0, 1, 2], [1.0, 0.5, 0.25], time.time())
    w.sync()
    print("ready", flush=True)
    sys.stdin.readline()
""")


@pytest.fixture
def runs(tmp_path):
    root = tmp_path / "root"
    st = Store(root, durable=False)
    live = write_task(st, "vision", "finishing run", task_id="finishing", status="running", close=False,
                      scalars={"loss": noisy_series(100)})
    write_task(st, "vision", "done run", task_id="done", scalars={"loss": noisy_series(100)})
    p = subprocess.Popen([sys.executable, "-c", RUN, str(root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    assert p.stdout.readline().strip() == "ready"
    yield st, live, p
    p.kill()
    p.wait(10)
    p.stdin.close()
    p.stdout.close()
    live.close()


def _status(page, name):
    return page.evaluate("""name => { const r = [...document.querySelectorAll('#tasks tbody tr')]
        .find(tr => tr.innerText.includes(name)); return r ? r.querySelector('.status').innerText : null; }""", name)


def test_table_and_compare_follow_finished_and_killed_runs_then_stop_polling(runs):
    from ringlog.viewer import create_app

    st, live, proc = runs
    app = create_app(st.root, config={"RINGLOG_STORE": st, "RINGLOG_POLL_MS": 250})
    with browser_page(app) as (srv, page, errors):
        cmp = page.context.new_page()
        page.goto(f"{srv.url}/tasks")
        page.wait_for_selector("#tasks tbody a")
        assert _status(page, "finishing run") == "running" and _status(page, "killed run") == "running"
        cmp.goto(f"{srv.url}/compare?ids=finishing,killed,done")
        cmp.wait_for_selector(".chart-box[data-state=ready]")
        badge = "id => document.querySelector(`#run-list .status[data-task='${id}']`).innerText"
        assert cmp.evaluate(badge, "killed") == "running"

        live.close(status="completed")
        page.wait_for_function("() => [...document.querySelectorAll('#tasks tbody tr')].some(tr => "
                               "tr.innerText.includes('finishing run') && tr.innerText.includes('completed'))",
                               timeout=10_000)
        cmp.wait_for_function(f"() => ({badge})('finishing') === 'completed'", timeout=10_000)
        assert page.locator("#tasks").get_attribute("data-live") == "1"   # the killed run still runs

        proc.kill()
        proc.wait(10)
        page.wait_for_function("() => document.querySelector('#tasks').dataset.live === '0'", timeout=10_000)
        assert _status(page, "killed run") == "crashed"
        cmp.wait_for_function(f"() => ({badge})('killed') === 'crashed'", timeout=10_000)
        cmp.wait_for_function("() => document.querySelector('#run-list').dataset.live === '0'", timeout=5_000)
        # nothing shown runs any more: no further requests
        polls = page.locator("#tasks").get_attribute("data-polls")
        cpolls = cmp.locator("#run-list").get_attribute("data-polls")
        page.wait_for_timeout(1000)
        assert page.locator("#tasks").get_attribute("data-polls") == polls
        assert cmp.locator("#run-list").get_attribute("data-polls") == cpolls
