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


def test_the_spool_is_pruned_of_uploaded_finished_tasks(s3_url, monkeypatch):
    from ringlog.store.objstore import spool
    from ringlog.store.objstore.prune import prune

    monkeypatch.setenv("RINGLOG_SPOOL_KEEP", "1")
    s = Store(s3_url)
    live = s.create_task("team", "live")  # running: never pruned
    live.append(live.series_id("x"), np.arange(5), np.arange(5.0), 1.7e9)
    live.sync()
    done = []
    for k in range(3):
        w = s.create_task("team", f"d{k}")
        w.append(w.series_id("x"), np.arange(100), np.arange(100.0) * k, 1.7e9)
        w.close()  # its uploader's finish uploads it, then prunes all but the newest settled task
        done.append(w)
    root = spool.spool_for(s3_url)
    left = {p.name for p in root.glob("*/*") if p.is_dir()}
    assert left == {live.id, done[-1].id}
    assert prune(root, keep=0) == [done[-1].id]
    np.testing.assert_array_equal(s.task(done[0].id).scalar("x").value, np.zeros(100))  # the bucket has it
    resumed = Store(root).task(done[1].id)  # a resume on this machine: fetched back from the bucket
    np.testing.assert_array_equal(resumed.scalar("x").value, np.arange(100.0))
    assert (root / resumed.path.relative_to(root)).is_dir()
    live.close()


def test_fsck_of_a_bucket_reports_and_re_uploads_from_the_spool(s3_url, capsys):
    from ringlog import cli

    w = Store(s3_url).create_task("team", "checked")
    w.append(w.series_id("x"), np.arange(50), np.arange(50.0), 1.7e9)
    w.close()
    assert cli.main(["fsck", s3_url]) == 0
    c = Client(s3_url)
    lost = [e.key for e in c.list(f"team/{w.id}/")] + [f".tasks/{w.id}.json"]
    for k in lost:  # the bucket lost the task's objects (a lifecycle rule, a mistaken delete)
        c.delete(k)
    assert cli.main(["fsck", s3_url]) == 4
    out = capsys.readouterr().out
    assert "missing from the bucket" in out and "catalog object" in out
    assert cli.main(["fsck", s3_url, "--repair"]) == 1
    assert "re-uploaded from the spool" in capsys.readouterr().out
    assert cli.main(["fsck", s3_url]) == 0
    np.testing.assert_array_equal(Store(s3_url).task(w.id).scalar("x").value, np.arange(50.0))
    assert cli.main(["gc", s3_url]) == 2
    assert "not collected" in capsys.readouterr().err


def test_a_decimated_query_reads_the_pyramid_not_the_raw_chunks(s3_url, tmp_path):
    from ringlog.store.objstore.segments import is_raw
    from ringlog.store.objstore.sync import sync_up

    n = 2400 * 256  # whole level-1 buckets: the series' end needs no raw point either
    local = Store(tmp_path / "local", durable=False)
    w = local.create_task("team", "long")
    step = np.arange(n)
    w.append(w.series_id("loss"), step, np.sin(step / 5000.0), 1.7e9 + step * 1e-3)
    tail = np.arange(n + 100)  # ends inside a level-1 bucket: those raw points are in the last shard
    w.append(w.series_id("tail"), tail, np.cos(tail / 5000.0), 1.7e9 + tail * 1e-3)
    w.close()
    sync_up(tmp_path / "local", s3_url)
    s = RemoteStore(s3_url)
    keys = []
    get = s.mirror._get
    s.mirror._get = lambda key: keys.append(key) or get(key)
    full = s.task(w.id).decimate("loss", points=2000)
    want = local.task(w.id).decimate("loss", points=2000)
    np.testing.assert_array_equal(full.y, want.y)  # the same answer as the local store's
    zoom = s.task(w.id).decimate("loss", x_min=n * 0.3 + 17, x_max=n * 0.7 + 123, points=500)
    assert zoom.level >= 1 and zoom.x[0] <= n * 0.3 + 17 and zoom.x[-1] >= n * 0.7 - 256
    lazy = [k for k in keys if "/c/" in k]
    assert lazy and not [k for k in lazy if is_raw(k.split("/", 2)[2])], lazy  # level chunks only
    assert len(lazy) <= 8 and s.mirror.get_bytes < 1_000_000
    keys.clear()
    got = s.task(w.id).decimate("tail", points=2000)
    np.testing.assert_array_equal(got.y, local.task(w.id).decimate("tail", points=2000).y)
    raw = [k for k in keys if is_raw(k.split("/", 2)[2].split(".seg/")[0])]
    assert all(".seg/" in k for k in raw) and len(raw) <= 6, raw  # per array: the index, the last inner chunk


def test_a_slow_catalog_refresh_goes_to_the_background(s3_url):
    s = Store(s3_url)
    a = s.create_task("team", "a")
    a.close()
    assert [r["id"] for r in s.tasks()] == [a.id]
    s._cost = 5.0  # as after a refresh of 10,000 tasks: the table must not wait for the next one
    b = s.create_task("team", "b")
    b.close()
    s.mirror._tasks_at = -1e9  # a refresh is due
    assert s.refresh() == 0 and s._bg is not None  # answered at once, refreshed on a thread
    s._bg.join(15)
    assert sorted(r["id"] for r in s.tasks()) == sorted([a.id, b.id])
    assert s.refresh(force=True) == 0  # force waits (nothing changed since)
