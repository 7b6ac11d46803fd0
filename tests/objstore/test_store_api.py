"""``Store("s3://...")`` with the store's own API: a writer through the spool, a reader through the
read cache; an open shard goes up as appended segments and is assembled again by readers when it
grew."""

from __future__ import annotations

import time

import numpy as np
import pytest

from ringlog.store import Store
from ringlog.store.objstore.client import Client
from ringlog.store.objstore.remote import RemoteStore
from ringlog.store.objstore.sync import sync_down


def _wait_for(fn, want, timeout=15.0):
    end = time.monotonic() + timeout
    got = None
    while time.monotonic() < end:
        got = fn()
        if got == want:
            return got
        time.sleep(0.1)
    return got


def test_growing_open_shard_is_fetched_again(s3_url, monkeypatch, tmp_path):
    monkeypatch.setenv("RINGLOG_UPLOAD_INTERVAL", "0.1")
    s = Store(s3_url)
    assert isinstance(s, RemoteStore) and repr(s) == f"Store({s3_url!r})"
    w = s.create_task("team", "api")
    sid = w.series_id("x")
    n1 = 70_000  # one whole chunk: the first shard is open with one inner chunk
    w.append(sid, np.arange(n1), np.arange(n1) * 0.25, 1.7e9)
    w.sync()

    def count():
        try:
            return len(s.task(w.id).scalar("x").step)
        except KeyError:
            return 0

    assert _wait_for(count, n1) == n1
    assert s.mirror.gets > 0
    n2 = 140_000  # a second inner chunk in the same shard object
    w.append(sid, np.arange(n1, n2), np.arange(n1, n2) * 0.25, 1.7e9)
    w.sync()
    assert _wait_for(count, n2) == n2
    sc = s.task(w.id).scalar("x")
    np.testing.assert_array_equal(sc.value, np.arange(n2) * 0.25)
    keys = [e.key for e in Client(s3_url).list()]
    assert any(".seg/" in k for k in keys)  # the open shard went up as appended segments
    sync_down(s3_url, tmp_path / "copy")  # assembled from its segments
    np.testing.assert_array_equal(Store(tmp_path / "copy").task(w.id).scalar("x").value, np.arange(n2) * 0.25)
    w.close()
    assert [r["status"] for r in s.tasks() if r["id"] == w.id] == ["completed"]
    assert len(Store(s3_url).task(w.id).scalar("x").step) == n2  # a new reader, the sealed shard's segments


def test_a_damaged_read_cache_catalog_is_rebuilt_from_the_bucket(s3_url):
    s = Store(s3_url)
    ids = []
    for k in range(3):
        w = s.create_task("team", f"t{k}")
        w.append(w.series_id("x"), np.arange(10), np.arange(10.0), 1.7e9)
        w.close()
        ids.append(w.id)
    assert sorted(r["id"] for r in s.tasks()) == sorted(ids)
    s.catalog.path.write_bytes(b"not a database" * 100)
    s.mirror._tasks_at = -1e9  # past the refresh TTL
    with pytest.warns(RuntimeWarning, match="catalog"):
        rows = s.tasks()
    assert sorted(r["id"] for r in rows) == sorted(ids)
    assert {r["status"] for r in rows} == {"completed"}


def test_ringlog_view_root_may_be_a_bucket(s3_url, monkeypatch, capsys):
    import waitress

    from ringlog import cli

    calls = []
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: calls.append(app))  # serve() would block
    w = Store(s3_url).create_task("team", "viewed")
    w.close()
    assert cli.main(["view", "--root", s3_url]) == 0
    (app,) = calls
    store = app.config["RINGLOG_STORE"]
    assert isinstance(store, RemoteStore) and store.url == s3_url
    assert [r["id"] for r in store.tasks()] == [w.id]
    capsys.readouterr()
