"""The viewer's store calls see a shared task's merged view without viewer changes (a series of
several writers, a series of one namespace, the console and debug samples of all writers)."""

from __future__ import annotations

import time

import numpy as np

from ringlog.store import Store
from ringlog.store.multiwriter import open_shared


def test_viewer_api_reads_the_merged_task(tmp_path):
    from ringlog.viewer import create_app

    st = Store(tmp_path / "store")
    w0, _ = open_shared(st, "p", "n", "t1", "rank0")
    w1, _ = open_shared(st, "p", "n", "t1", "rank1")
    t = time.time()
    for w, off in ((w0, 0), (w1, 1)):
        w.append(w.series_id("loss"), np.arange(10), np.full(10, float(off)), t + np.arange(10))
        w.media.add_console([(t + off, "stdout", "info", f"hello from rank{off}")])
        w.media.add_media("samples", "img", off, f"png of rank{off}".encode(), ext="png")
    w1.append(w1.series_id("rank1/loss"), np.arange(5), np.ones(5), t)
    w1.close()
    w0.close()
    client = create_app(st.root, config={"RINGLOG_STORE": st, "TESTING": True}).test_client()
    listing = client.get("/api/tasks/t1/series").get_data(as_text=True)
    assert "rank1/loss" in listing and '"loss"' in listing
    got = client.get("/api/tasks/t1/scalar?title=loss&series=loss&points=100").get_json()
    assert sorted(got["y"]) == [0.0] * 10 + [1.0] * 10  # both writers' points in one series
    got = client.get("/api/tasks/t1/scalar?title=rank1/loss&series=rank1/loss&points=100").get_json()
    assert got["y"] == [1.0] * 5
    lines = client.get("/api/tasks/t1/console").get_data(as_text=True)
    assert "hello from rank0" in lines and "hello from rank1" in lines
    [group] = client.get("/api/tasks/t1/media").get_json()["groups"]
    items = group["items"]
    assert [(it["iteration"], it["source"]) for it in items] == [(0, "rank0"), (1, "rank1")]
    for it, want in zip(items, (b"png of rank0", b"png of rank1")):
        with client.get(it["url"]) as resp:  # the file of each writer's folder, by its merged id
            assert resp.data == want
