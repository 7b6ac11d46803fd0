"""The viewer over the real store: tasks written through ringlog.store's TaskWriter and
MediaWriter, read back through the HTTP API. The envelope check is the issue's promise: for
every one of the requested buckets, the bucket's true min and max are in the answer."""

from __future__ import annotations

import json

import numpy as np
import pytest


N = 200_000


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    from ringlog.store import Store

    root = tmp_path_factory.mktemp("real")
    st = Store(root)
    w = st.create_task(project="p", name="<script>alert(1)</script>", tags=("t1",))
    rng = np.random.default_rng(3)
    step = np.arange(N, dtype=np.int64)
    value = np.cumsum(rng.standard_normal(N)) * 1e-2
    value[[1234, 150_000]] = [1e9, -1e9]
    value[777] = np.nan
    value[888] = np.inf
    sid = w.series_id("loss", "loss", float64=True)   # exact values for the CSV comparison
    w.append(sid, step[: N // 2], value[: N // 2], 1.7e9 + step[: N // 2] * 0.01)
    w.sync()
    w.append(sid, step[N // 2:], value[N // 2:], 1.7e9 + step[N // 2:] * 0.01)
    sid2 = w.series_id("train/acc", "train/acc")
    w.append(sid2, np.arange(100, dtype=np.int64), np.linspace(0, 1, 100), 1.7e9 + np.arange(100.0))
    w.media.add_media("samples", "img", 3, b"\x89PNG\r\n\x1a\nxx", ext="png", caption="c")
    w.media.add_plot("conf", "m", 1, {"data": [{"type": "heatmap", "z": [[1, 2], [3, 4]]}], "layout": {}})
    w.media.add_console([(1.7e9, "stdout", "info", "hello"), (1.7e9 + 1, "stderr", "error", "oops")])
    w.set_meta(config={"lr": 0.01}, summary={"loss": 0.5})
    w.close(status="completed")
    for i in range(5):
        t = st.create_task(project="p", name=f"sweep-{i}")
        t.set_meta(summary={"loss": float(i)}, config={"lr": 10.0 ** -i})
        t.close()
    return st, w.id, step, value


@pytest.fixture
def rclient(real):
    from ringlog.viewer import create_app

    st = real[0]
    return create_app(st.root if hasattr(st, "root") else None, config={"RINGLOG_STORE": st}).test_client()


def test_envelope_is_exact_for_every_bucket(real, rclient):
    st, tid, step, value = real
    for lo, hi in ((None, None), (1000, 5000), (100_000, 199_999), (149_990, 150_010)):
        q = "title=loss&points=500" + ("" if lo is None else f"&x_min={lo}&x_max={hi}")
        d = json.loads(rclient.get(f"/api/tasks/{tid}/scalar?{q}").data)
        x = np.asarray(d["x"], dtype=np.float64)
        y = np.asarray([np.nan if v is None else v for v in d["y"]])
        a = 0 if lo is None else lo
        b = N - 1 if hi is None else hi
        assert d["raw_count"] == b - a + 1
        if d["exact"]:
            assert x.tolist() == list(map(float, range(a, b + 1)))
            continue
        # the band holds each bucket as (first x, last x): buckets tile the range, and each
        # bucket's band must be the true finite min/max of the raw points it spans
        band = d["band"]
        bx = np.asarray(band["x"], np.float64).reshape(-1, 2)
        assert 400 <= len(bx) <= 500 + 2 and bx[0, 0] == a and bx[-1, 1] == b
        assert np.all(bx[1:, 0] > bx[:-1, 1])
        finite_y = set(y[np.isfinite(y)].tolist())
        for (x0, x1), lo_v, hi_v in zip(bx, band["lo"][::2], band["hi"][::2]):
            seg = value[int(x0):int(x1) + 1]
            fin = seg[np.isfinite(seg)]
            assert (lo_v, hi_v) == (fin.min(), fin.max()), (lo, hi, x0, x1)
            assert lo_v in finite_y and hi_v in finite_y          # the line itself passes through them
    full = json.loads(rclient.get(f"/api/tasks/{tid}/scalar?title=loss&points=300").data)
    assert max(v for v in full["y"] if v is not None) == 1e9
    assert min(v for v in full["y"] if v is not None) == -1e9
    # at a coarse level one marker per kind sits at the first x of the bucket holding them
    marks = set(zip(full["nonfinite"]["x"], full["nonfinite"]["kind"]))
    assert {k for _, k in marks} == {"nan", "+inf"} and all(x <= 777 for x, _ in marks)
    zoom = json.loads(rclient.get(f"/api/tasks/{tid}/scalar?title=loss&points=300&x_min=700&x_max=900").data)
    assert set(zip(zoom["nonfinite"]["x"], zoom["nonfinite"]["kind"])) == {(777.0, "nan"), (888.0, "+inf")}


def test_csv_export_is_every_point(real, rclient):
    st, tid, step, value = real
    text = rclient.get(f"/api/tasks/{tid}/export.csv?title=loss").get_data(as_text=True)
    lines = text.splitlines()
    assert len(lines) == N + 1
    vals = np.array([float(l.split(",")[1]) for l in lines[1:]])
    np.testing.assert_array_equal(vals, value)


def test_task_table_and_detail_over_catalog(real, rclient):
    st, tid, _, _ = real
    d = json.loads(rclient.get("/api/tasks?project=p&sort=summary.loss&order=asc&limit=3").data)
    assert d["total"] == 6
    assert [t["summary"]["loss"] for t in d["tasks"]] == [0.0, 0.5, 1.0]
    t = json.loads(rclient.get(f"/api/tasks/{tid}").data)
    assert t["config"] == {"lr": 0.01} and t["status"] == "completed"
    html = rclient.get(f"/tasks/{tid}").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_media_plots_console_from_the_media_store(real, rclient):
    st, tid, _, _ = real
    m = json.loads(rclient.get(f"/api/tasks/{tid}/media").data)
    item = m["groups"][0]["items"][0]
    assert item["iteration"] == 3 and item["caption"] == "c" and item["kind"] == "image"
    with rclient.get(item["url"]) as r:
        assert r.status_code == 200 and r.data.startswith(b"\x89PNG")
    p = json.loads(rclient.get(f"/api/tasks/{tid}/plots").data)
    assert p["groups"][0]["items"][0]["figure"]["data"][0]["type"] == "heatmap"
    c = json.loads(rclient.get(f"/api/tasks/{tid}/console?since=1").data)
    assert [l["text"] for l in c["lines"]] == ["oops"] and c["next"] == 2


def test_a_deleted_catalog_is_rebuilt_for_the_table(tmp_path):
    from ringlog.store import Store
    from ringlog.viewer import create_app

    st = Store(tmp_path)
    st.create_task(project="p", name="kept").close()
    st.catalog.path.unlink()
    client = create_app(tmp_path).test_client()
    d = json.loads(client.get("/api/tasks").data)
    assert [t["name"] for t in d["tasks"]] == ["kept"]


def test_running_task_polls_see_new_synced_points(tmp_path):
    from ringlog.store import Store
    from ringlog.viewer import create_app

    st = Store(tmp_path)
    w = st.create_task(project="live", name="run")
    sid = w.series_id("acc")
    w.append(sid, np.arange(10, dtype=np.int64), np.linspace(0, 1, 10), 1.7e9 + np.arange(10.0))
    w.media.add_console([(1.7e9, "stdout", "info", "epoch 1")])
    w.sync()
    client = create_app(tmp_path).test_client()
    url = f"/api/tasks/{w.id}/scalar?title=acc"
    first = client.get(url)
    assert json.loads(first.data)["raw_count"] == 10
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert json.loads(client.get(f"/api/tasks/{w.id}").data)["status"] == "running"
    w.append(sid, np.arange(10, 25, dtype=np.int64), np.linspace(1, 2, 15), 1.7e9 + np.arange(10.0, 25.0))
    w.media.add_console([(1.7e9 + 1, "stdout", "info", "epoch 2")])
    w.set_meta(summary={"acc": 2.0})
    w.sync()
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and json.loads(again.data)["raw_count"] == 25
    assert [l["text"] for l in json.loads(client.get(f"/api/tasks/{w.id}/console?since=1").data)["lines"]] == ["epoch 2"]
    assert json.loads(client.get(f"/api/tasks/{w.id}").data)["summary"] == {"acc": 2.0}
    w.close()
    assert json.loads(client.get(f"/api/tasks/{w.id}").data)["status"] == "completed"
