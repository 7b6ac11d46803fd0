"""The JSON API through Flask's test client: payloads, 400/404 paths, ETags, CSV, media safety."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import numpy as np
import pytest

from ringlog.store.testing import append_points

A = "a" * 32


def get_json(client, url, status=200):
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.data[:300])
    assert r.mimetype == "application/json"
    return json.loads(r.data)


def test_projects_lists_each_project_with_its_task_count(client):
    data = get_json(client, "/api/projects")
    assert data["projects"] == [
        {"name": "nlp", "id": hashlib.md5(b"nlp").hexdigest(), "tasks": 1, "updated": data["projects"][0]["updated"]},
        {"name": "vision", "id": hashlib.md5(b"vision").hexdigest(), "tasks": 2,
         "updated": data["projects"][1]["updated"]},
    ]


def test_tasks_filter_sort_and_page(client):
    data = get_json(client, "/api/tasks?sort=summary.loss&order=asc")
    assert [t["summary"]["loss"] for t in data["tasks"]] == [0.25, 0.5, 1.5]
    assert data["total"] == 3
    assert "loss" in data["columns"]["summary"] and "optim.name" in data["columns"]["config"]
    assert get_json(client, "/api/tasks?project=vision")["total"] == 2
    assert [t["name"] for t in get_json(client, "/api/tasks?status=failed")["tasks"]] == ["bert"]
    assert get_json(client, "/api/tasks?tag=baseline")["total"] == 2
    assert get_json(client, "/api/tasks?tag=baseline,gpu")["total"] == 1
    assert get_json(client, "/api/tasks?q=resn")["total"] == 1
    assert get_json(client, "/api/tasks?metric=summary.loss:0.3:")["total"] == 2
    assert get_json(client, "/api/tasks?metric=loss::0.3")["total"] == 1
    page = get_json(client, "/api/tasks?sort=summary.loss&order=desc&limit=2&offset=2")
    assert [t["name"] for t in page["tasks"]] == ["resnet <b>50</b>"] and page["total"] == 3


@pytest.mark.parametrize("query, param", [
    ("limit=0", "limit"), ("limit=abc", "limit"), ("offset=-1", "offset"), ("order=up", "order"),
    ("status=%3Cb%3E", "status"), ("sort=nope", "sort"), ("metric=loss:a:b", "metric"),
    ("metric=loss:2:1", "metric"), ("metric=:1:2", "metric"),
])
def test_tasks_bad_parameters_are_400_naming_the_parameter(client, query, param):
    data = get_json(client, f"/api/tasks?{query}", status=400)
    assert f"'{param}'" in data["error"]["message"]


def test_task_detail_and_unknown_ids(client):
    t = get_json(client, f"/api/tasks/{A}")
    assert t["name"] == "resnet <b>50</b>" and t["config_flat"]["optim.momentum"] == 0.9
    assert t["env"]["host"] == "box1" and t["duration"] == pytest.approx(60, abs=1)
    for url in ("/api/tasks/" + "f" * 32, "/api/tasks/..", "/api/tasks/x%00y/series",
                f"/api/tasks/{'f' * 32}/scalar?title=loss", f"/api/tasks/{'f' * 32}/media"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert "Traceback" not in r.get_data(as_text=True)


def test_series_groups_charts_by_title_and_sections_by_prefix(client):
    data = get_json(client, f"/api/tasks/{A}/series")
    charts = {c["title"]: c for c in data["charts"]}
    assert charts["train/acc"]["section"] == "train" and charts["loss"]["section"] == ""
    assert [s["series"] for s in charts["lr"]["series"]] == ["group0", "group1"]
    assert charts["loss"]["series"][0]["count"] == 50_000


def test_scalar_is_decimated_keeps_the_spike_and_marks_nonfinite(client):
    d = get_json(client, f"/api/tasks/{A}/scalar?title=loss&points=500")
    assert d["raw_count"] == 50_000 and not d["exact"]
    assert len(d["x"]) <= 4 * 500 and len(d["x"]) == len(d["y"])
    assert max(v for v in d["y"] if v is not None) == 1e6          # the spike survives decimation
    assert max(d["band"]["hi"]) == 1e6                              # and shows in the envelope band
    kinds = dict(zip(d["nonfinite"]["x"], d["nonfinite"]["kind"]))
    assert kinds == {100.0: "nan", 200.0: "+inf"}


def test_scalar_zoom_returns_finer_data_in_range(client):
    full = get_json(client, f"/api/tasks/{A}/scalar?title=loss&points=200")
    zoom = get_json(client, f"/api/tasks/{A}/scalar?title=loss&points=200&x_min=1000&x_max=1100")
    assert zoom["exact"] and zoom["raw_count"] == 101
    assert zoom["x"] == list(map(float, range(1000, 1101)))
    assert full["raw_count"] == 50_000


def test_scalar_other_x_axes(client, store):
    rel = get_json(client, f"/api/tasks/{A}/scalar?title=train/acc&x=time")
    assert rel["x"][0] == 0.0 and rel["exact"]
    wall = get_json(client, f"/api/tasks/{A}/scalar?title=train/acc&x=wall")
    assert wall["x"][0] == pytest.approx(1.7e9)
    vs = get_json(client, f"/api/tasks/{A}/scalar?title=lr&series=group0&x=metric:lr/group1")
    ref = store.task(A).scalar("lr", "group1").value
    assert vs["x_kind"] == "metric" and vs["x_metric"] == "lr/group1"
    assert sorted(vs["x"]) == pytest.approx(sorted(ref))


@pytest.mark.parametrize("query, param, status", [
    ("", "title", 400), ("title=loss&points=1", "points", 400), ("title=loss&points=10000000", "points", 400),
    ("title=loss&x_min=abc", "x_min", 400), ("title=loss&x_min=nan", "x_min", 400),
    ("title=loss&x_min=5&x_max=1", "x_max", 400), ("title=loss&method=avg", "method", 400),
    ("title=loss&x=epoch", "x", 400), ("title=loss&x=metric:nope", "x", 400),
])
def test_scalar_bad_parameters(client, query, param, status):
    data = get_json(client, f"/api/tasks/{A}/scalar?{query}", status=status)
    assert f"'{param}'" in data["error"]["message"]


def test_scalar_unknown_series_is_404(client):
    data = get_json(client, f"/api/tasks/{A}/scalar?title=loss&series=nope", status=404)
    assert "nope" in data["error"]["message"]


def test_etag_makes_unchanged_polls_free(client, live):
    url = f"/api/tasks/{A}/scalar?title=train/acc"
    r1 = client.get(url)
    etag = r1.headers["ETag"]
    r2 = client.get(url, headers={"If-None-Match": etag})
    assert r2.status_code == 304 and r2.data == b""
    append_points(live[A], "train/acc", ([300], [9.0], [2e9]))  # the run logs one more point
    r3 = client.get(url, headers={"If-None-Match": etag})
    assert r3.status_code == 200 and json.loads(r3.data)["raw_count"] == 301


def test_export_csv_is_full_resolution(client, store):
    r = client.get(f"/api/tasks/{A}/export.csv?title=loss")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert rows[0] == ["step", "value", "wall_time"] and len(rows) == 50_001
    ref = store.task(A).scalar("loss")
    assert [float(v) for _, v, _ in rows[1:]] == pytest.approx(ref.value.tolist(), nan_ok=True)
    assert rows[101][1] == "nan" and rows[201][1] == "inf"
    assert client.get(f"/api/tasks/{A}/export.csv?title=nope").status_code == 404
    assert client.get(f"/api/tasks/{A}/export.csv").status_code == 400


def test_console_cursor_returns_only_new_lines(client, live):
    first = get_json(client, f"/api/tasks/{A}/console?limit=4")
    assert [l["text"] for l in first["lines"]] == ["line 0", "line 1", "line 2", "line 3"] and first["more"]
    rest = get_json(client, f"/api/tasks/{A}/console?since={first['next']}")
    assert rest["lines"][0]["text"] == "line 4" and rest["next"] == 10 and not rest["more"]
    live[A].media.add_console([(0, "stderr", "error", "boom")])
    assert [l["text"] for l in get_json(client, f"/api/tasks/{A}/console?since=10")["lines"]] == ["boom"]
    assert "'since'" in get_json(client, f"/api/tasks/{A}/console?since=-1", 400)["error"]["message"]


def test_media_listing_and_files(client):
    data = get_json(client, f"/api/tasks/{A}/media")
    groups = {(g["title"], g["series"]): g for g in data["groups"]}
    img = groups[("samples", "input")]["items"][0]
    assert img["kind"] == "image" and img["iteration"] == 5 and img["caption"] == "a <cat>"
    assert img["url"] == f"/media/{A}/{img['id']}"   # by the record's stable id, never by a path
    with client.get(img["url"]) as r:
        assert r.status_code == 200 and r.data.startswith(b"\x89PNG")
        assert "sandbox" in r.headers["Content-Security-Policy"] and r.headers["X-Content-Type-Options"] == "nosniff"
    with client.get(groups[("samples", "page")]["items"][0]["url"]) as html:
        assert html.mimetype == "text/html" and "sandbox allow-scripts" in html.headers["Content-Security-Policy"]
    remote = groups[("remote", "x")]["items"][0]
    assert remote["url"] is None and remote["uri"] == "s3://bucket/a.png"


@pytest.mark.parametrize("path", ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "/etc/passwd",
                                  "media/../../" + "b" * 32 + "/x", "nope.png"])
def test_media_paths_cannot_escape_the_task_folder(client, path):
    r = client.get(f"/media/{A}/{path}", follow_redirects=True)  # "//" is merged by a 308 first
    assert r.status_code == 404
    assert b"root:" not in r.data


def test_plots_with_history_histograms_over_steps_and_tables(client):
    data = get_json(client, f"/api/tasks/{A}/plots")
    groups = {(g["title"], g["series"]): g for g in data["groups"]}
    bars = groups[("hist", "w")]
    assert [it["iteration"] for it in bars["items"]] == [0, 1, 2] and bars["histogram"]
    w = groups[("weights", "fc1")]
    over = w["over_steps"]
    assert over["y"] == [0, 1, 2, 3] and len(over["x"]) == 64
    assert [sum(row) for row in over["z"]] == pytest.approx([7, 7, 7, 7])   # totals kept on the common grid
    assert all(v > 0 for v in over["z"][0][:10])                             # no empty stripes
    assert over["x"][0] > 0 and over["x"][-1] < 5
    table = groups[("preds", "table")]
    assert table["items"][0]["kind"] == "table" and table["items"][0]["data"]["columns"] == ["id", "label <b>"]
    assert not table["histogram"] and table["over_steps"] is None
    latest = get_json(client, f"/api/tasks/{A}/plots?latest=1&title=hist")
    assert [it["iteration"] for it in latest["groups"][0]["items"]] == [2]
    assert "'latest'" in get_json(client, f"/api/tasks/{A}/plots?latest=maybe", 400)["error"]["message"]


def test_unexpected_errors_are_a_json_500_without_traceback(app, client, store, monkeypatch, caplog):
    def boom(*a, **k):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(type(store.task(A)), "series", boom)
    r = client.get(f"/api/tasks/{A}/series")
    assert r.status_code == 500
    body = r.get_data(as_text=True)
    assert "secret" not in body and "Traceback" not in body
    assert json.loads(body)["error"]["code"] == 500
    assert "secret internal detail" in caplog.text   # logged on the server


def test_store_errors_map_to_http_codes(client, store, monkeypatch):
    from ringlog.store import errors as se

    reader_type = type(store.task(A))
    for exc, code in ((se.SeriesNotFoundError("title: no series 'x'"), 404),
                      (se.bad_value("points", "must be >= 2", 1), 400),
                      (se.CorruptStoreError("chunk 3 of loss is damaged"), 500)):
        def boom(*a, _e=exc, **k):
            raise _e

        monkeypatch.setattr(reader_type, "decimate", boom)
        data = get_json(client, f"/api/tasks/{A}/scalar?title=loss", status=code)
        assert str(exc) in data["error"]["message"]


def test_scalar_base64_encoding_is_exact_including_nonfinite(client):
    import base64

    plain = get_json(client, f"/api/tasks/{A}/scalar?title=loss&points=300")
    packed = get_json(client, f"/api/tasks/{A}/scalar?title=loss&points=300&enc=b64")

    def unpack(v):
        assert v["dtype"] == "<f8"
        return np.frombuffer(base64.b64decode(v["b64"]), dtype="<f8")

    x, y = unpack(packed["x"]), unpack(packed["y"])
    assert x.tolist() == plain["x"] and all(isinstance(v, int) for v in plain["x"])   # steps as ints
    ref = np.array([np.nan if v is None else v for v in plain["y"]])
    np.testing.assert_array_equal(y, ref)
    assert unpack(packed["band"]["hi"]).max() == 1e6
    assert "'enc'" in get_json(client, f"/api/tasks/{A}/scalar?title=loss&enc=xml", 400)["error"]["message"]
