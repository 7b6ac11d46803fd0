"""Reports over the real SDK and the real store: a run logs, its report embeds live widgets.

This is the path a user takes: train with ringlog (W&B and ClearML flavours), then write a report
from Python at the end of the run, and read it in the viewer with widgets drawing the run's data.
"""

from __future__ import annotations

import hashlib

import pytest


def md5(s: str) -> str:
    return hashlib.md5(s.encode("utf-8")).hexdigest()


@pytest.fixture
def logged(store_root):
    import ringlog
    from ringlog import Task

    ids = []
    for lr, width in ((0.1, "narrow"), (0.01, "wide")):
        run = ringlog.init(project="vision", name=f"lr{lr}", config={"lr": lr, "width": width}, tags=["sweep"],
                           dir=str(store_root), capture=False)
        for step in range(50):
            ringlog.log({"train/loss": 1.0 / (1 + step * lr)}, step=step)
        ids.append(run.id)
        ringlog.finish()
    task = Task.init(project_name="vision", task_name="clearml", tags=["best"], dir=str(store_root),
                     auto_connect_frameworks=False, auto_resource_monitoring=False, auto_connect_streams=False)
    task.get_logger().report_single_value("accuracy", 0.97)
    task.get_logger().report_scalar("val", "loss", 0.5, iteration=3)
    ids.append(task.id)
    task.close()
    return ids


def test_report_from_python_embeds_widgets_over_real_runs(logged, store_root, app_factory):
    from ringlog import Report
    from ringlog.store import Store

    first, second, clearml = logged
    md = "# Sweep\n\n" + Report.embed("scalar", [first, second], metrics="train/loss")
    report = Report.create(name="Sweep", project="vision", markdown=md, root=store_root)
    client = app_factory(Store(store_root)).test_client()
    page = client.get(report.url).get_data(as_text=True)
    assert "<h1>Sweep</h1>" in page and 'src="/widgets/?type=scalar&amp;objectType=task' in page

    d = client.get(f"/widgets/data?type=scalar&objects={first}&objects={second}&metrics=train/loss").get_json()
    (chart,) = d["charts"]
    assert chart["title"] == "train/loss" and len(chart["traces"]) == 2
    assert chart["traces"][0]["x"][:3] == [0, 1, 2] and chart["traces"][0]["y"][0] == 1.0

    single = client.get(f"/widgets/data?type=single&objects={clearml}").get_json()
    assert single["columns"] == ["accuracy"] and single["rows"][0]["values"]["accuracy"] == pytest.approx(0.97)

    best = client.get("/widgets/data?type=scalar&project=vision&tags[]=sweep&page_size=1"
                      f"&order_by[]=-last_metrics.{md5('train/loss')}.{md5('train/loss')}.value").get_json()
    assert [t["id"] for t in best["tasks"]] == [second]  # lr=0.01 decays slower: the highest last loss
    pc = client.get(f"/widgets/data?type=parcoords&project=vision&tags[]=sweep&metrics={md5('train/loss')}."
                    f"{md5('train/loss')}&variants=General.lr&variants=General.width&value_type=min_value").get_json()
    assert sorted(pc["values"]) == pytest.approx(sorted([1 / (1 + 49 * 0.1), 1 / (1 + 49 * 0.01)]))
    assert {d["label"] for d in pc["dimensions"]} == {"General.lr", "General.width"}
    tagged = client.get("/widgets/data?type=single&tags[]=-sweep").get_json()
    assert [r["task"] for r in tagged["rows"]] == [clearml]


@pytest.mark.parametrize("xaxis", ["iter", "timestamp", "iso_time"])
def test_scalar_widget_x_axes_over_the_real_store(store_root, xaxis):
    import numpy as np
    from werkzeug.datastructures import MultiDict

    from ringlog.store import Store
    from ringlog.viewer.provider import Provider
    from ringlog.viewer.widgets import widget_impl

    st = Store(store_root)
    w = st.create_task(project="p", name="n", task_id="tx")
    created = st.task("tx").info["created"]
    steps = np.arange(100, dtype=np.int64)
    w.append(w.series_id("loss", "loss"), steps, np.linspace(1, 0, 100), created + 10.0 + steps)
    w.close()
    (trace,) = widget_impl(Provider(st), MultiDict([("objects", "tx"), ("xaxis", xaxis)]))["charts"][0]["traces"]
    first, last = trace["x"][0], trace["x"][-1]
    expected = {"iter": (0, 99), "timestamp": (10.0, 109.0),
                "iso_time": ((created + 10.0) * 1000, (created + 109.0) * 1000)}[xaxis]
    assert (first, last) == pytest.approx(expected, abs=1e-3 if xaxis != "iso_time" else 1.0)
    assert trace["y"][0] == 1.0 and trace["y"][-1] == 0.0


def test_plot_and_sample_widgets_over_the_real_store(store_root, app_factory):
    import io

    from PIL import Image

    from ringlog.store import Store

    st = Store(store_root)
    w = st.create_task(project="p", name="media run", task_id="tm")
    for it in (1, 2):
        buf = io.BytesIO()
        Image.new("RGB", (4, 4), (it * 100, 0, 0)).save(buf, format="PNG")
        w.media.add_media("preds", "val", it, buf.getvalue(), ext="png")
        w.media.add_plot("confusion", "val", it, {"data": [{"type": "heatmap", "z": [[it]]}], "layout": {}})
    w.media.sync()
    w.close()
    client = app_factory(st).test_client()
    plot = client.get("/widgets/data?type=plot&objects=tm&metrics=confusion").get_json()
    assert [(p["iteration"], p["figure"]["data"][0]["z"]) for p in plot["plots"]] == [(2, [[2]])]
    sample = client.get("/widgets/data?type=sample&objects=tm&metrics=preds&variants=val").get_json()
    (group,) = sample["samples"]
    assert [it["iteration"] for it in group["items"]] == [1, 2]
    with client.get(group["items"][-1]["url"]) as img:
        assert img.status_code == 200 and img.mimetype == "image/png"
        assert Image.open(io.BytesIO(img.data)).getpixel((0, 0)) == (200, 0, 0)
