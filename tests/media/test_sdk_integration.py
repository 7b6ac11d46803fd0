"""End to end: both SDK flavours write media, plots and text; Store(root).task(id) reads them back."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import ringlog


def _reader(root, task_id):
    from ringlog.store import Store

    return Store(root).task(task_id)


def test_wandb_flavour_round_trip(store_root, fast):
    run = ringlog.init(project="media", name="wandb", dir=str(store_root), settings=fast)
    table = ringlog.Table(columns=["x", "y"], data=[[0, 1.0], [1, 0.5]])
    for step in range(3):
        ringlog.log({
            "loss": 1.0 / (step + 1),
            "samples": [ringlog.Image(np.full((4, 5, 3), step * 50, dtype=np.uint8), caption=f"s{step}"),
                        ringlog.Image(np.zeros((4, 5)))],
            "weights": ringlog.Histogram(np.arange(10) * (step + 1), num_bins=4),
            "beep": ringlog.Audio(np.zeros(80), sample_rate=800),
        })
    ringlog.log({"curve": ringlog.plot.line(table, "x", "y", title="curve"), "page": ringlog.Html("<p>hi</p>"),
                 "table": table})
    task_id = run.id
    ringlog.finish()
    r = _reader(store_root, task_id)
    imgs = r.media("samples")
    assert [(m["iteration"], m["n"], m["caption"]) for m in imgs] == [
        (0, 0, "s0"), (0, 1, None), (1, 0, "s1"), (1, 1, None), (2, 0, "s2"), (2, 1, None)]
    assert all((r.path / m["path"]).is_file() for m in imgs)
    hist = r.plots("weights")
    assert [h["iteration"] for h in hist] == [0, 1, 2] and hist[2]["kind"] == "histogram"
    assert hist[2]["data"]["bins"][-1] == 27.0
    assert r.media("beep")[0]["kind"] == "audio" and r.media("page")[0]["kind"] == "html"
    assert r.plots("curve")[0]["iteration"] == 3 and r.plots("table")[0]["kind"] == "table"
    assert list(r.scalar("loss").value) == [1.0, 0.5, 1.0 / 3]


def test_clearml_flavour_round_trip(store_root, fast):
    from ringlog import Task

    task = Task.init(project_name="media", task_name="clearml", dir=str(store_root), settings=fast)
    lg = task.get_logger()
    lg.report_text("starting", level=logging.WARNING, print_console=False)
    for i in range(6):
        lg.report_image("debug", "input", iteration=i, image=np.zeros((3, 3, 3)), max_image_history=4)
    lg.report_confusion_matrix("cm", "val", np.eye(2), iteration=5)
    lg.report_scalar("loss", "train", float("nan"), 0)
    lg.report_scalar("loss", "train", float("inf"), 1)
    task_id = task.id
    task.close()
    r = _reader(store_root, task_id)
    assert [m["iteration"] for m in r.media("debug", "input")] == [2, 3, 4, 5]
    assert len(list((r.path / "media" / "debug" / "input").iterdir())) == 4
    assert r.plots("cm", "val")[0]["figure"]["data"][0]["z"] == [[1.0, 0.0], [0.0, 1.0]]
    texts = [(c["level"], c["text"]) for c in r.console()]
    assert ("warning", "starting") in texts
    v = r.scalar("loss", "train").value
    assert np.isnan(v[0]) and np.isinf(v[1])  # NaN/Inf kept as logged by default


def test_nan_inf_replacement_settings(store_root, fast):
    from ringlog import Task

    task = Task.init(project_name="media", task_name="nan", dir=str(store_root), settings=fast)
    lg = task.get_logger()
    lg.set_reporting_nan_value(-1.0)
    lg.set_reporting_inf_value(1e6)
    lg.report_scalar("m", "s", float("nan"), 0)
    lg.report_scalar("m", "s", float("-inf"), 1)
    task_id = task.id
    task.close()
    assert list(_reader(store_root, task_id).scalar("m", "s").value) == [-1.0, -1e6]


def test_lenient_bad_media_does_not_harm_the_run(store_root, fast):
    run = ringlog.init(project="media", name="bad", dir=str(store_root), settings=fast)
    from ringlog.errors import LoggingWarning

    with pytest.warns(LoggingWarning, match="weird"):
        ringlog.log({"weird": object(), "ok": 1.0})
    task_id = run.id
    ringlog.finish()
    r = _reader(store_root, task_id)
    assert list(r.scalar("ok").value) == [1.0] and r.media() == [] and r.plots() == []


def test_upload_destination_through_task(store_root, fast, tmp_path):
    from ringlog import Task

    task = Task.init(project_name="media", task_name="dest", dir=str(store_root), settings=fast)
    lg = task.get_logger()
    dest = tmp_path / "shared-samples"
    lg.set_default_upload_destination(str(dest))
    lg.report_image("img", "s", iteration=1, image=np.zeros((2, 2)))
    ringlog_id = task.id
    task.close()
    [rec] = _reader(store_root, ringlog_id).media("img")
    assert rec["path"] == str((dest / ringlog_id / "img" / "s" / "1_0.png").resolve())
    assert (dest / ringlog_id / "img" / "s" / "1_0.png").is_file()


def test_bad_media_constructor_follows_the_run_mode(store_root, fast):
    from ringlog.errors import LoggingValueError, LoggingWarning

    run = ringlog.init(project="media", name="lenient", dir=str(store_root), settings=fast)
    with pytest.warns(LoggingWarning, match="data_or_path: must have shape"):
        bad = ringlog.Image(np.zeros((2, 3, 5)))
    with pytest.warns(LoggingWarning, match="num_bins"):
        bad_hist = ringlog.Histogram([1, 2], num_bins=0)
    table = ringlog.Table(columns=["a"], data=[[1]])
    with pytest.warns(LoggingWarning, match="x: must name a column"):
        chart = ringlog.plot.line(table, "nope", "a")
    with pytest.warns(LoggingWarning, match="row: must have 1 cells"):
        table.add_data(1, 2)
    ringlog.log({"img": bad, "imgs": [bad, ringlog.Image(np.zeros((2, 2)))], "h": bad_hist, "c": chart,
                 "t": table})
    task_id = run.id
    ringlog.finish()
    r = _reader(store_root, task_id)
    assert [m["title"] for m in r.media()] == ["imgs"]  # only the good image of the list
    assert [p["title"] for p in r.plots()] == ["t"] and r.plots("t")[0]["data"]["data"] == [[1]]
    strict = ringlog.Settings(flush_interval=0.05, capture=False, handle_signals=False, finish_timeout=30,
                              strict=True)
    ringlog.init(project="media", name="strict", dir=str(store_root), settings=strict)
    with pytest.raises(LoggingValueError, match="data_or_path: must have shape"):
        ringlog.Image(np.zeros((2, 3, 5)))
    ringlog.finish()
    with pytest.raises(LoggingValueError):  # no run open: W&B raises too
        ringlog.Image(np.zeros((2, 3, 5)))


def test_wandb_media_keep_every_step_unless_a_setting_bounds_it(store_root, fast):
    # W&B keeps every step of a media key; ClearML's last-100 applies to the ClearML Logger only
    img = np.zeros((2, 2), dtype=np.uint8)
    run = ringlog.init(project="media", dir=str(store_root), settings=fast)
    for step in range(130):
        ringlog.log({"img": ringlog.Image(img), "pair": [ringlog.Image(img), ringlog.Image(img)]})
    run.finish()
    r = _reader(store_root, run.id)
    assert len([m for m in r.media() if m["title"] == "img"]) == 130
    assert len([m for m in r.media() if m["title"] == "pair"]) == 260
    run = ringlog.init(project="media", dir=str(store_root), settings=fast.updated(wandb_media_history=5))
    for step in range(12):
        ringlog.log({"img": ringlog.Image(img)})
    run.finish()
    assert [m["iteration"] for m in _reader(store_root, run.id).media()] == [7, 8, 9, 10, 11]
    with pytest.raises(ValueError, match="wandb_media_history"):
        ringlog.Settings(wandb_media_history=0)


def test_a_dataframe_logged_directly_becomes_a_table(store_root, fast):
    pd = pytest.importorskip("pandas")
    # wandb/sdk/data_types/utils.py (val_to_json) wraps a pandas DataFrame in wandb.Table
    run = ringlog.init(project="media", dir=str(store_root), settings=fast)
    ringlog.log({"df": pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})})
    run.finish()
    (rec,) = [p for p in _reader(store_root, run.id).plots() if p["title"] == "df"]
    assert rec["kind"] == "table" and rec["data"] == {"columns": ["a", "b"], "data": [[1, "x"], [2, "y"]]}


def test_media_in_a_table_are_stored_as_media_and_referenced_by_the_table(store_root, fast):
    run = ringlog.init(project="media", dir=str(store_root), settings=fast)
    table = ringlog.Table(columns=["id", "img"])
    table.add_data(0, ringlog.Image(np.zeros((3, 3), dtype=np.uint8), caption="zero"))
    table.add_data(1, ringlog.Image(np.full((3, 3), 255, dtype=np.uint8)))
    ringlog.log({"preds": table})
    run.finish()
    r = _reader(store_root, run.id)
    (rec,) = [p for p in r.plots() if p["title"] == "preds"]
    cells = [row[1] for row in rec["data"]["data"]]
    assert [(c["_type"], c["series"], c["n"], c["caption"]) for c in cells] == [("image", "img", 0, "zero"),
                                                                                 ("image", "img", 1, None)]
    files = [m for m in r.media() if m["title"] == "preds"]
    assert [(m["series"], m["n"], m["kind"]) for m in files] == [("img", 0, "image"), ("img", 1, "image")]
    assert rec["figure"]["data"][0]["cells"]["values"][1] == ["[image: zero]", "[image]"]


def test_image_masks_boxes_and_classes_are_stored_with_the_sample(store_root, fast):
    import base64
    import io

    from PIL import Image as PILImage

    mask = np.zeros((4, 6), dtype=np.uint8)
    mask[1:3, 2:5] = 1
    img = ringlog.Image(np.zeros((4, 6, 3), dtype=np.uint8), caption="cat", classes=[{"id": 1, "name": "cat"}],
                        masks={"predictions": {"mask_data": mask, "class_labels": {0: "bg", 1: "cat"}}},
                        boxes={"predictions": {"box_data": [
                            {"position": {"minX": 0.1, "maxX": 0.5, "minY": 0.2, "maxY": 0.9}, "class_id": 1,
                             "box_caption": "cat 0.9", "scores": {"acc": 0.9}},
                            {"position": {"middle": [3, 2], "width": 2, "height": 2}, "domain": "pixel",
                             "class_id": 1}], "class_labels": {1: "cat"}}})
    run = ringlog.init(project="media", dir=str(store_root), settings=fast)
    ringlog.log({"seg": img})
    run.finish()
    (rec,) = _reader(store_root, run.id).media_records("seg")
    extra = rec.extra
    m = extra["masks"]["predictions"]
    assert m["class_labels"] == {"0": "bg", "1": "cat"} and m["shape"] == [4, 6]
    assert np.array_equal(np.asarray(PILImage.open(io.BytesIO(base64.b64decode(m["png"])))), mask)
    b0, b1 = extra["boxes"]["predictions"]["box_data"]
    assert b0 == {"position": {"minX": 0.1, "maxX": 0.5, "minY": 0.2, "maxY": 0.9}, "domain": None, "class_id": 1,
                  "box_caption": "cat 0.9", "scores": {"acc": 0.9}}
    assert b1["position"] == {"minX": 2.0, "maxX": 4.0, "minY": 1.0, "maxY": 3.0} and b1["domain"] == "pixel"
    assert extra["classes"] == [{"id": 1, "name": "cat"}]
    with pytest.raises(TypeError, match="mask_data"):
        ringlog.Image(np.zeros((2, 2)), masks={"p": {"mask_data": np.zeros(3)}})
