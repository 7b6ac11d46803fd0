"""Single values as a table, the system metrics section, plotly.js caching, the warm-up thread
of ``serve()`` and sorting by a nested hyperparameter (Flask test client, no browser)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from ringlog.store.testing import append_points

A, B = "a" * 32, "b" * 32


def _points(values, start=0):
    from ringlog.viewer import scalars  # noqa: F401  (the app package must import)

    values = np.asarray(values, np.float64)
    step = np.arange(start, start + len(values), dtype=np.int64)
    return step, values, 1.7e9 + step.astype(np.float64)


@pytest.fixture
def polished(live):
    w = live[A]
    append_points(w, ("Summary", "best_acc"), _points([0.93]), sync=False)
    append_points(w, ("Summary", "epochs"), _points([12.0]), sync=False)
    append_points(w, ("Summary", "logged_curve"), _points([1.0, 2.0, 3.0]), sync=False)
    for name in ("cpu_percent", "cpu0_percent", "cpu1_percent", "cpu10_percent", "cpu2_percent",
                 "memory_percent", "process_rss_gb", "gpu0/utilization", "gpu1/utilization", "gpu0/power_w"):
        append_points(w, ("system", name), _points(np.linspace(0, 50, 20)), sync=False)
    w.sync()
    return live["store"]


def test_single_values_are_listed_not_charted(client, polished):
    data = client.get(f"/api/tasks/{A}/series").get_json()
    assert data["single_values"] == [{"name": "best_acc", "value": 0.93, "step": 0},
                                     {"name": "epochs", "value": 12.0, "step": 0}]
    summary_series = [s["series"] for c in data["charts"] if c["title"] == "Summary" for s in c["series"]]
    assert summary_series == ["logged_curve"]     # a real curve under that title stays a chart


def test_task_without_single_values_has_an_empty_list(client):
    assert client.get(f"/api/tasks/{B}/series").get_json()["single_values"] == []


def test_system_metrics_get_a_chart_each_in_a_collapsed_last_section(client, polished):
    charts = client.get(f"/api/tasks/{A}/series").get_json()["charts"]
    system = [c for c in charts if c["section"] == "system"]
    assert charts[-len(system):] == system                       # after the model's charts
    assert all(c["collapsed"] and c["title"] == "system" for c in system)
    assert not any(c["collapsed"] for c in charts if c["section"] != "system")
    by_name = {c["name"]: [s["series"] for s in c["series"]] for c in system}
    assert by_name == {
        "cpu per core": ["cpu0_percent", "cpu1_percent", "cpu2_percent", "cpu10_percent"],
        "cpu_percent": ["cpu_percent"], "memory_percent": ["memory_percent"],
        "process_rss_gb": ["process_rss_gb"],
        "gpu utilization": ["gpu0/utilization", "gpu1/utilization"], "gpu power_w": ["gpu0/power_w"],
    }
    ids = [c["id"] for c in charts]
    assert len(ids) == len(set(ids))                              # the page keys charts by id
    ordinary = {c["id"]: c for c in charts}["loss"]
    assert ordinary["name"] == ordinary["title"] == "loss"


def test_system_chart_series_still_decimate_under_their_store_title(client, polished):
    r = client.get(f"/api/tasks/{A}/scalar", query_string={"title": "system", "series": "cpu10_percent"})
    assert r.status_code == 200 and r.get_json()["raw_count"] == 20


def test_pages_hold_the_single_values_holders(client, polished):
    task_html = client.get(f"/tasks/{A}").get_data(as_text=True)
    assert 'id="single-values"' in task_html
    compare_html = client.get(f"/compare?ids={A},{B}").get_data(as_text=True)
    assert 'id="single-values"' in compare_html


def test_gif_videos_are_images_in_the_samples_script(client):
    with client.get("/static/samples.js") as r:
        js = r.get_data(as_text=True)
    assert '"gif"' in js and "VIDEO_EXTS" in js and '"mp4", "webm", "ogg"' in js


# ---- plotly.js caching ---------------------------------------------------------------------

def _plotly_url(client) -> str:
    import re

    html = client.get(f"/tasks/{A}").get_data(as_text=True)
    # preloaded (quickdraw.js draws the first paint; RL.plotly() runs it afterwards)
    m = re.search(r'<link rel="preload" as="script" id="plotly-preload" href="(/static/plotly\.min\.js[^"]*)"', html)
    assert m, "task page does not load plotly.js"
    return m.group(1).replace("&amp;", "&")


def test_plotly_js_is_versioned_long_cached_and_revalidated_by_etag(client):
    import plotly

    url = _plotly_url(client)
    assert url == f"/static/plotly.min.js?v={plotly.__version__}"
    with client.get(url) as r:
        assert r.status_code == 200
        cc = r.cache_control
        assert cc.max_age >= 30 * 86400 and cc.immutable
        etag = r.headers["ETag"]
        assert plotly.__version__ in etag
    with client.get(url, headers={"If-None-Match": etag}) as r:
        assert r.status_code == 304 and r.data == b""
    with client.get("/static/plotly.min.js") as r:          # unversioned: shorter, still an ETag
        assert r.cache_control.max_age == 86400 and not r.cache_control.immutable
        assert r.headers["ETag"] == etag


# ---- serve(): kernel warm-up on a daemon thread --------------------------------------------

def test_serve_warms_kernels_on_a_daemon_thread_without_waiting(monkeypatch, tmp_path):
    import waitress

    import ringlog.core
    from ringlog.viewer import serve

    release, started = threading.Event(), threading.Event()
    calls, threads = [], []

    def slow_warmup(parts=("ring", "pyramid", "decimate")):
        calls.append(tuple(parts))
        threads.append(threading.current_thread())
        started.set()
        release.wait(10)        # a cold numba compile: serve() must not wait for it
        return 0.0

    served = []
    monkeypatch.setattr(ringlog.core, "warmup", slow_warmup)
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: served.append(started.wait(5)))
    try:
        serve(tmp_path, port=8123)
        assert served == [True]                     # waitress was started while warm-up still ran
        assert calls == [("decimate", "pyramid")]
        assert threads[0].daemon and threads[0] is not threading.main_thread()
    finally:
        release.set()
    threads[0].join(5)


def test_a_failing_warmup_is_logged_not_raised(monkeypatch, caplog):
    import ringlog.core
    from ringlog.viewer.serve import start_warmup

    def broken(parts):
        raise RuntimeError("no compiler")

    monkeypatch.setattr(ringlog.core, "warmup", broken)
    with caplog.at_level("WARNING", logger="ringlog.viewer"):
        start_warmup().join(5)
    assert "warm-up failed" in caplog.text


# ---- sorting by a nested hyperparameter (real catalog) -------------------------------------

def test_task_table_sorts_by_nested_config_key(tmp_path):
    import ringlog.store as store_mod
    from ringlog.viewer import create_app

    st = store_mod.Store(tmp_path)
    lrs = {"mid": 0.01, "high": 0.1, "low": 0.001}
    for name, lr in lrs.items():
        w = st.create_task(project="p", name=name)
        w.set_meta(config={"optim": {"lr": lr, "name": "sgd"}, "batch": 32})
        w.close()
    w = st.create_task(project="p", name="dotted")          # a top-level key with a dot wins
    w.set_meta(config={"optim.lr": 0.05})
    w.close()
    w = st.create_task(project="p", name="none")            # no such key: last either way
    w.set_meta(config={"batch": 8})
    w.close()
    client = create_app(tmp_path, config={"RINGLOG_STORE": st}).test_client()
    for order, want in (("asc", ["low", "mid", "dotted", "high", "none"]),
                        ("desc", ["high", "dotted", "mid", "low", "none"])):
        r = client.get("/api/tasks", query_string={"sort": "config.optim.lr", "order": order})
        assert r.status_code == 200, r.get_data(as_text=True)
        assert [t["name"] for t in r.get_json()["tasks"]] == want, order
