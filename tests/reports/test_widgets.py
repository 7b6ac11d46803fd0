"""Every widget type, over exact hand-made task data in a real store, and the /widgets/ routes."""

from __future__ import annotations

import hashlib
import io
from urllib.parse import parse_qsl

import numpy as np
import pytest
from PIL import Image
from werkzeug.datastructures import MultiDict

from ringlog.store.testing import Plot, add_task, image, make_store
from ringlog.viewer.errors import BadRequestError
from ringlog.viewer.provider import Provider
from ringlog.viewer.widgets import widget_impl


def md5(s: str) -> str:
    return hashlib.md5(s.encode("utf-8")).hexdigest()


def _png(it: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (2, 2), (it * 40, 0, 0)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def store(tmp_path):
    st = make_store(tmp_path / "store")
    n = 5000
    steps = np.arange(n)
    values = np.sin(steps / 100.0)
    values[1234] = 50.0  # a spike decimation must keep
    add_task(st, "p", "baseline", task_id="t1", status="running", tags=("best",), created=1000.0, updated=30,
             config={"General": {"lr": 0.1, "opt": "adam"}},
             scalars={("loss", "train"): (steps, values, 1000.0 + steps * 0.5),
                      ("loss", "val"): ([0, 10], [1.0, float("nan")], [1000.0, 1005.0]),
                      ("Summary", "best_acc"): ([0], [0.93], [1010.0])},
             plots=[Plot("conf", "matrix", 1, {"data": [{"type": "heatmap", "z": [[1]]}]}),
                    Plot("conf", "matrix", 7, {"data": [{"type": "heatmap", "z": [[7]]}]})],
             media=[image("images", "pred", it, _png(it)) for it in (0, 5)])
    add_task(st, "p", "wider", task_id="t2", tags=("best",), created=0.0, updated=20,
             config={"General": {"lr": 0.01, "opt": "sgd"}},
             scalars={("loss", "train"): ([0, 1], [2.0, 1.5], [1.0, 2.0]), ("Summary", "best_acc"): ([0], [0.95], [3.0])})
    return st


def data(store, qs):
    return widget_impl(Provider(store), MultiDict(parse_qsl(qs, keep_blank_values=True)))


def test_scalar_widget_one_chart_per_metric_keeps_spikes(store):
    d = data(store, "type=scalar&objectType=task&objects=t1&metrics=loss&xaxis=iter")
    assert d["live"] is True and d["source"] == "/tasks/t1" and [t["name"] for t in d["tasks"]] == ["baseline"]
    assert [c["title"] for c in d["charts"]] == ["loss"]
    traces = {t["series"]: t for t in d["charts"][0]["traces"]}
    assert set(traces) == {"train", "val"}
    train = traces["train"]
    assert len(train["x"]) <= 1500 and max(train["y"]) == 50.0 and 1234 in train["x"]
    assert traces["val"]["y"] == [1.0, None]  # NaN travels as null
    # the task page's pipeline: the min/max envelope band and the NaN/Inf markers come along
    assert train["band"] is not None and max(train["band"]["hi"]) == 50.0 and not train["exact"]
    assert traces["val"]["band"] is None and traces["val"]["exact"]
    assert traces["val"]["nonfinite"] == {"x": [10.0], "kind": ["nan"], "count": [1]}
    assert all(c["title"] != "Summary" for c in d["charts"])


def test_scalar_widget_variants_md5_and_x_axes(store):
    d = data(store, f"type=scalar&objects=t1&objects=t2&metrics={md5('loss')}&variants=train&xaxis=timestamp")
    traces = d["charts"][0]["traces"]
    assert [t["name"] for t in traces] == ["baseline · train", "wider · train"]
    assert traces[0]["x"][0] == 0.0 and traces[0]["x"][-1] == pytest.approx(4999 * 0.5)  # seconds from the start
    assert d["source"] == "/compare?ids=t1,t2"
    iso = data(store, "type=scalar&objects=t2&metrics=loss&xaxis=iso_time")
    assert iso["charts"][0]["traces"][0]["x"] == [1000.0, 2000.0]  # epoch milliseconds


def test_plot_widget_shows_latest_figure(store):
    d = data(store, "type=plot&objects=t1&metrics=conf&variants=matrix")
    assert len(d["plots"]) == 1 and d["plots"][0]["iteration"] == 7
    assert d["plots"][0]["figure"]["data"][0]["z"] == [[7]]
    assert data(store, "type=plot&objects=t1&metrics=nothing")["plots"] == []


def test_sample_widget_lists_every_kept_iteration_with_urls(store):
    d = data(store, "type=sample&objects=t1&metrics=images&variants=pred")
    (group,) = d["samples"]
    assert [it["iteration"] for it in group["items"]] == [0, 5]
    assert group["items"][-1]["url"] == f"/media/t1/{group['items'][-1]['id']}" and group["task"] == "t1"
    assert len({it["url"] for it in group["items"]}) == 2


def test_single_widget_table(store):
    d = data(store, "type=single&tags[]=best&order_by[]=name")
    assert d["columns"] == ["best_acc"]
    assert [(r["name"], r["values"]["best_acc"]) for r in d["rows"]] == [("baseline", 0.93), ("wider", 0.95)]
    assert d["rows"][0]["url"] == "/tasks/t1"


def test_parcoords_widget(store):
    mv = f"{md5('loss')}.{md5('train')}"
    d = data(store, f"type=parcoords&objects=t1&objects=t2&metrics={mv}&variants=General.lr&variants=General.opt"
                    "&value_type=min_value")
    assert d["metric"] == "loss/train" and d["values"] == [pytest.approx(np.sin(np.arange(5000) / 100).min()), 1.5]
    lr, opt = d["dimensions"]
    assert lr == {"label": "General.lr", "values": [0.1, 0.01]}
    assert opt["ticktext"] == ["adam", "sgd"] and opt["values"] == [0, 1]
    with pytest.raises(BadRequestError, match="metrics"):
        data(store, "type=parcoords&objects=t1&metrics=loss")


def test_dynamic_queries_through_the_routes(app_factory, store):
    client = app_factory(store).test_client()
    mid, vid = md5("Summary"), md5("best_acc")
    resp = client.get(f"/widgets/data?type=single&tags[]=__$or,best&order_by[]=-last_metrics.{mid}.{vid}.value&page_size=1")
    assert resp.status_code == 200
    assert [r["name"] for r in resp.get_json()["rows"]] == ["wider"]
    page = client.get("/widgets/?type=scalar&objectType=task&objects=t1&metrics=loss&light")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "rl-light" in html and "/static/plotly.min.js" in html
    assert 'data-query="type=scalar&amp;objectType=task&amp;objects=t1&amp;metrics=loss&amp;light"' in html
    assert "<script>" not in html
    # 'unsafe-eval' only for the types that may draw plotly's WebGL traces (regl), issue 14
    assert "'unsafe-eval'" not in page.headers["Content-Security-Policy"]
    webgl = client.get("/widgets/?type=parcoords&objects=t1")
    assert "script-src 'self' 'unsafe-eval'" in webgl.headers["Content-Security-Policy"]
    bad = client.get("/widgets/?type=nope")
    assert bad.status_code == 400 and "type" in bad.get_data(as_text=True)
    assert client.get("/widgets/data?type=scalar&xaxis=bad").get_json()["error"]["code"] == 400
