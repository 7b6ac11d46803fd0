"""The S3 server stopped mid-run: training goes on, nothing is lost once it is back. The viewer
serves the task table, a chart and a debug sample from a bucket."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

import ringlog
from ringlog._engine import context, lifecycle
from ringlog.store import Store
from ringlog.store.objstore.testing import RcloneS3


@pytest.fixture
def own_server(tmp_path, monkeypatch):
    """A server of this test's own (it is stopped mid-test); the shared one stays up."""
    if os.environ.get("RINGLOG_TEST_S3_URL"):
        pytest.skip("stopping the server needs the local rclone server (RINGLOG_TEST_S3_URL is set)")
    srv = RcloneS3(tmp_path / "s3").start()
    for k, v in srv.env().items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("RINGLOG_SPOOL", str(tmp_path / "spool"))
    monkeypatch.setenv("RINGLOG_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("RINGLOG_UPLOAD_INTERVAL", "0.2")
    yield srv
    srv.stop()
    for core in lifecycle.open_runs():
        core.finish("aborted")
    context.set_current(None)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:ringlog. uploading task:RuntimeWarning")  # the outage, said once
def test_server_down_mid_run_training_goes_on(own_server):
    url = own_server.url("outage")
    run = ringlog.init(project="team", name="outage", dir=url, settings=ringlog.Settings(
        flush_interval=0.05, capture=False, handle_signals=False, finish_timeout=60))
    i = 0
    for _ in range(2000):
        ringlog.log({"x": i * 0.5}, step=i)
        i += 1
    time.sleep(0.5)  # an upload pass or two while the server is up
    own_server.stop()
    outage = float(os.environ.get("RINGLOG_S3_OUTAGE", "3"))  # the 10 s: RINGLOG_S3_OUTAGE=10
    slowest, end = 0.0, time.monotonic() + outage
    while time.monotonic() < end:
        t = time.perf_counter()
        ringlog.log({"x": i * 0.5}, step=i)
        slowest = max(slowest, time.perf_counter() - t)
        i += 1
        if i % 1000 == 0:
            time.sleep(0.01)
    assert slowest < 0.5  # log() never waited for the dead server
    uploader = run._core.flusher.writer.uploader
    assert uploader.failures > 0  # the outage was met (and retried)
    own_server.start()
    ringlog.finish()
    sc = Store(url).task(run.id).scalar("x")
    np.testing.assert_array_equal(sc.step, np.arange(i))
    np.testing.assert_array_equal(sc.value, np.arange(i) * 0.5)


@pytest.mark.slow
def test_viewer_serves_a_bucket(s3_url):
    from ringlog.viewer import create_app

    run = ringlog.init(project="team", name="view", dir=s3_url,
                       settings=ringlog.Settings(flush_interval=0.05, capture=False, handle_signals=False))
    for i in range(3000):
        ringlog.log({"loss": 1.0 / (i + 1)}, step=i)
    ringlog.log({"img": ringlog.Image(np.full((4, 4, 3), 9, np.uint8))}, step=3000)
    ringlog.finish()
    store = Store(s3_url)
    client = create_app(config={"RINGLOG_STORE": store, "TESTING": True}).test_client()
    r = client.get("/api/tasks")
    assert r.status_code == 200
    rows = r.get_json()["tasks"]
    assert [t["id"] for t in rows] == [run.id]
    r = client.get(f"/api/tasks/{run.id}/scalar?title=loss&points=100")
    assert r.status_code == 200
    body = r.get_json()
    assert max(body["y"]) == 1.0 and min(body["y"]) == pytest.approx(1 / 3000)
    media = client.get(f"/api/tasks/{run.id}/media?title=img").get_json()
    item = media["groups"][0]["items"][0]
    with client.get(item["url"]) as r:
        assert r.status_code == 200 and r.data[:4] == b"\x89PNG"
    assert client.get("/").status_code == 200


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:ringlog. uploading task:RuntimeWarning")
def test_finish_with_the_server_down_is_bounded_and_names_the_spool(own_server, monkeypatch):
    from ringlog.cli import main as cli
    from ringlog.store.objstore.spool import spool_for

    monkeypatch.setenv("RINGLOG_UPLOAD_FINISH_TIMEOUT", "1")
    url = own_server.url("down-at-finish")
    run = ringlog.init(project="team", name="late", dir=url, settings=ringlog.Settings(
        flush_interval=0.05, capture=False, handle_signals=False, finish_timeout=30))
    own_server.stop()
    for i in range(1000):
        ringlog.log({"x": i * 0.5}, step=i)
    t0 = time.monotonic()
    with pytest.warns(RuntimeWarning, match="still only in the spool") as rec:
        ringlog.finish()
    assert time.monotonic() - t0 < 15  # bounded: 1 s of upload retries (+ a request in flight)
    assert any("ringlog sync" in str(w.message) for w in rec)
    own_server.start()
    assert cli(["sync", str(spool_for(url))]) == 0
    sc = Store(url).task(run.id).scalar("x")
    np.testing.assert_array_equal(sc.value, np.arange(1000) * 0.5)
