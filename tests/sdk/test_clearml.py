"""ClearML flavour and the read API: Task.init, Logger, connect, tags, get_task round trips."""

from __future__ import annotations

import argparse
import time

import numpy as np
import pytest

import ringlog
from ringlog import Task


def test_report_scalar_and_read_back_with_clearml_shapes(store_root, fast):
    task = Task.init(project_name="cl", task_name="t1", tags=["a"], dir=store_root, settings=fast)
    assert Task.current_task() is task and len(task.id) == 32
    logger = task.get_logger()
    assert task.get_logger() is logger
    for i in range(100):
        logger.report_scalar("loss", "train", 1.0 / (i + 1), i)
        if i % 10 == 0:
            logger.report_scalar("loss", "val", 2.0 / (i + 1), i)
    logger.report_single_value("final_accuracy", 0.93)
    task.add_tags(["b", "a"])
    task.close()
    assert Task.current_task() is None

    view = Task.get_task(task_id=task.id, dir=store_root)
    assert view.status == "completed" and view.name == "t1" and view.project == "cl"
    assert view.tags == ["a", "b"]
    scalars = view.get_reported_scalars()
    assert scalars["loss"]["train"]["x"] == list(range(100))
    assert scalars["loss"]["train"]["y"] == [1.0 / (i + 1) for i in range(100)]
    assert scalars["loss"]["val"]["x"] == list(range(0, 100, 10))
    last = view.get_last_scalar_metrics()
    assert last["loss"]["train"] == {"last": 0.01, "min": 0.01, "max": 1.0}
    assert last["loss"]["val"]["max"] == 2.0
    assert view.summary["final_accuracy"] == 0.93
    by_name = Task.get_task(project_name="cl", task_name="t1", dir=store_root)
    assert by_name.id == task.id


def test_live_task_reads_its_own_scalars_and_max_samples(store_root, fast):
    task = Task.init(project_name="cl", task_name="live", dir=store_root, settings=fast)
    lg = task.get_logger()
    for i in range(1000):
        lg.report_scalar("m", "s", float(i), i)
    got = task.get_reported_scalars(max_samples=10)["m"]["s"]
    assert len(got["x"]) == 10 and got["x"][0] == 0 and got["x"][-1] == 999
    assert task.get_last_scalar_metrics()["m"]["s"]["last"] == 999.0
    task.close()


def test_connect_sections_and_later_edits_kept(store_root, fast):
    task = Task.init(project_name="cl", task_name="hp", dir=store_root, settings=fast)
    params = {"lr": 0.1, "layers": [64, 64]}
    assert task.connect(params) is params
    task.connect(argparse.Namespace(seed=3))
    task.connect({"momentum": 0.9}, name="optimizer")
    params["lr"] = 0.05  # edited after connect: ClearML keeps the final value
    task.close()
    cfg = Task.get_task(task_id=task.id, dir=store_root).info["config"]
    assert cfg == {"General": {"lr": 0.05, "layers": [64, 64]}, "Args": {"seed": 3},
                   "optimizer": {"momentum": 0.9}}


def test_bulk_array_keeps_log_order_with_single_points(store_root, fast):
    task = Task.init(project_name="cl", task_name="bulk", dir=store_root, settings=fast)
    lg = task.get_logger()
    lg.report_scalar("x", "y", -1.0, 0)
    lg.report_scalar_array("x", "y", np.arange(1, 5001, dtype=np.float32), np.arange(1, 5001))
    lg.report_scalar("x", "y", -2.0, 5001)
    t = np.linspace(1e9, 1e9 + 1, 3)
    lg.report_scalar_array("x", "z", [1.0, 2.0, 3.0], [0, 1, 2], times=t)
    task.close()
    from ringlog.store import Store

    r = Store(store_root).task(task.id)
    s = r.scalar("x", "y")
    assert s.step.tolist() == list(range(5002))
    assert s.value[0] == -1.0 and s.value[-1] == -2.0 and s.value[1:-1].tolist() == list(range(1, 5001))
    assert np.all(np.diff(s.time) >= 0)
    assert np.allclose(r.scalar("x", "z").time, t)


def test_reporting_nan_and_inf_values(store_root, fast):
    task = Task.init(project_name="cl", task_name="nan", dir=store_root, settings=fast)
    lg = task.get_logger()
    lg.report_scalar("a", "kept", float("nan"), 0)
    lg.flush(wait=True)
    lg.set_reporting_nan_value(0.0)
    lg.set_reporting_inf_value(1e6)
    lg.report_scalar("a", "replaced", float("nan"), 0)
    lg.report_scalar("a", "replaced", float("-inf"), 1)
    task.close()
    view = Task.get_task(task_id=task.id, dir=store_root)
    sc = view.get_reported_scalars()["a"]
    assert np.isnan(sc["kept"]["y"][0])
    assert sc["replaced"]["y"] == [0.0, -1e6]


def test_wandb_log_inside_a_clearml_task_writes_the_same_task(store_root, fast):
    task = Task.init(project_name="cl", task_name="mix", dir=store_root, settings=fast)
    ringlog.log({"acc": 0.5})
    task.get_logger().report_scalar("acc", "acc", 0.7, 1)
    assert ringlog.run.id == task.id
    task.close()
    sc = Task.get_task(task_id=task.id, dir=store_root).get_reported_scalars()
    assert sc["acc"]["acc"] == {"x": [0, 1], "y": [0.5, 0.7]}


def test_get_task_errors_name_the_arguments(store_root, fast):
    with pytest.raises(ValueError, match="task_name"):
        Task.get_task(project_name="none", task_name="missing", dir=store_root)
    with pytest.raises(ValueError, match="task_id"):
        Task.get_task(dir=store_root)
    with pytest.raises(KeyError):
        Task.get_task(task_id="0" * 32, dir=store_root)


def test_task_init_returns_the_open_task_and_times_are_plausible(store_root, fast):
    t0 = time.time()
    task = Task.init(project_name="cl", task_name="again", dir=store_root, settings=fast)
    assert Task.init(project_name="cl", task_name="other", dir=store_root) is task
    lg = task.get_logger()
    for i in range(2000):
        lg.report_scalar("t", "t", float(i), i)
    task.close()
    t1 = time.time()
    from ringlog.store import Store

    tm = Store(store_root).task(task.id).scalar("t", "t").time
    assert np.all(np.diff(tm) >= 0) and tm[0] >= t0 - 0.05 and tm[-1] <= t1 + 0.05


def test_console_records_reach_the_media_store(store_root, fast):
    from ringlog.store.media import read_console

    task = Task.init(project_name="cl", task_name="console", dir=store_root, settings=fast)
    core = task._core
    core.console_write("stdout", "hello\n")
    core.console_write("stderr", "oops\n", level="error")
    task.close()
    recs = read_console(core.flusher.writer.path)
    assert [(r["stream"], r["level"], r["text"]) for r in recs] == [("stdout", "info", "hello\n"),
                                                                    ("stderr", "error", "oops\n")]
    assert recs[0]["time"] <= recs[1]["time"]


def test_console_records_are_written_in_time_order(store_root, fast):
    from ringlog.store.media import read_console

    task = Task.init(project_name="cl", task_name="order", dir=store_root, settings=fast)
    core = task._core
    now = time.time()
    core.console_write("log", "reported second", "info")  # arrives first ...
    core.console_write("stdout", "printed first\n", "info", time=now - 0.2)  # ... captured later
    task.close()
    texts = [r["text"] for r in read_console(core.flusher.writer.path)]
    assert texts == ["printed first\n", "reported second"]


def test_current_logger_classmethod(store_root, fast):
    from ringlog import Logger

    assert Logger.current_logger() is None
    task = Task.init(project_name="cl", task_name="cur", dir=store_root, settings=fast)
    assert Logger.current_logger() is task.get_logger()
    Logger.current_logger().report_scalar("a", "b", 1.0, 0)
    task.close()
    assert Logger.current_logger() is None
    assert Task.get_task(task_id=task.id, dir=store_root).get_reported_scalars()["a"]["b"]["y"] == [1.0]


def test_report_scalar_takes_clearml_keywords(store_root, fast):
    task = Task.init(project_name="cl", task_name="kw", dir=store_root, settings=fast)
    lg = task.get_logger()
    lg.report_scalar(title="a", series="b", value=1.0, iteration=0)
    lg.report_scalar("a", "b", value=2.0, iteration=1)
    task.get_logger().report_scalar("a", "b", 3.0, iteration=2)
    task.close()
    assert Task.get_task(task_id=task.id, dir=store_root).get_reported_scalars()["a"]["b"] == {
        "x": [0, 1, 2], "y": [1.0, 2.0, 3.0]}


# --- issue 15: ClearML Logger fidelity (each checked against clearml/logger.py) ----------------------
def test_nan_inf_values_are_class_methods_that_apply_from_the_call_on(store_root, fast):
    from ringlog import Logger

    task = Task.init(project_name="cl", task_name="nan-from-now", dir=store_root, settings=fast)
    lg = task.get_logger()
    lg.report_scalar("m", "s", float("nan"), 0)  # staged, not yet written: must stay NaN
    lg.report_scalar("m", "s", float("inf"), 1)
    Logger.set_reporting_nan_value(0)  # a class method in ClearML (MetricsEventAdapter.default_nan_value)
    Logger.set_reporting_inf_value(7.5, warn_period=10)
    lg.report_scalar("m", "s", float("nan"), 2)
    lg.report_scalar("m", "s", float("-inf"), 3)
    task.close()
    y = Task.get_task(task_id=task.id, dir=store_root).get_reported_scalars()["m"]["s"]["y"]
    assert np.isnan(y[0]) and y[1] == float("inf") and y[2:] == [0.0, -7.5]

    later = Task.init(project_name="cl", task_name="later", dir=store_root, settings=fast)  # process-wide
    later.get_logger().report_scalar("m", "s", float("nan"), 0)
    later.close()
    assert Task.get_task(task_id=later.id, dir=store_root).get_reported_scalars()["m"]["s"]["y"] == [0.0]


def test_logger_flush_does_not_wait_by_default(store_root, fast):
    import inspect

    from ringlog import Logger

    assert inspect.signature(Logger.flush).parameters["wait"].default is False  # ClearML: flush(wait=False)
    task = Task.init(project_name="cl", task_name="flush", dir=store_root, settings=fast)
    assert task.get_logger().flush() is True and task.get_logger().flush(wait=True) is True
    task.close()


def test_single_value_is_stored_at_min_int32_and_a_repeat_updates_it(store_root, fast):
    from ringlog.store import Store
    from ringlog.viewer.scalars import series_impl

    task = Task.init(project_name="cl", task_name="single", dir=store_root, settings=fast)
    lg = task.get_logger()
    lg.report_single_value("acc", 0.5)
    lg.report_single_value("acc", 0.9)  # ClearML: report_scalar("Summary", name, value, -2**31)
    task.close()
    got = Task.get_task(task_id=task.id, dir=store_root).get_reported_scalars()["Summary"]["acc"]
    assert got == {"x": [-(2 ** 31)] * 2, "y": [0.5, 0.9]}
    view = series_impl(Store(store_root).task(task.id))
    assert [(v["name"], v["value"]) for v in view["single_values"]] == [("acc", 0.9)]
    assert all(c["title"] != "Summary" for c in view["charts"])


def test_missing_logger_methods_exist_and_work(store_root, fast):
    import logging

    from ringlog import Logger
    from ringlog.store import Store

    task = Task.init(project_name="cl", task_name="methods", dir=store_root, settings=fast)
    lg = task.get_logger()
    assert Logger.SeriesInfo("a", np.zeros((1, 2))).name == "a"
    assert lg.get_default_debug_sample_history() == 100
    lg.set_default_debug_sample_history(2)
    assert lg.get_default_debug_sample_history() == 2
    for i in range(5):
        lg.report_image("img", "s", iteration=i, image=np.zeros((2, 2)))
    assert lg.get_flush_period() == fast.flush_interval
    lg.set_flush_period(30)  # deprecated no-op in ClearML too
    Logger.tensorboard_single_series_per_graph(True)  # deprecated, still callable
    Logger.tensorboard_single_series_per_graph()
    log = logging.getLogger("ringlog-test-capture")
    log.setLevel(logging.INFO)
    with lg.capture_logging():
        log.warning("inside %d", 1)
    log.warning("outside")
    task.close()
    r = Store(store_root).task(task.id)
    assert [m["iteration"] for m in r.media("img", "s")] == [3, 4]
    texts = [(c["level"], c["text"]) for c in r.console()]
    assert ("warning", "inside 1") in texts and not any("outside" in t for _, t in texts)


def test_explicit_matplotlib_report_is_not_captured_again(store_root):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ringlog.store import Store

    s = ringlog.Settings(flush_interval=0.05, handle_signals=False, console=False, tensorboard=False,
                         system_metrics=False, git=False)
    task = Task.init(project_name="cl", task_name="mpl", dir=store_root, settings=s)
    lg = task.get_logger()
    try:
        plt.figure()
        plt.plot([1, 2, 3], [3, 1, 2])
        lg.report_matplotlib_figure("curve", "pyplot", figure=plt, iteration=0)  # the guide passes plt itself
        plt.show()  # Agg: shows nothing; the capture must not add a "Figure N" copy
        fig, ax = plt.subplots()
        ax.imshow(np.eye(4))  # does not convert to plotly: a static picture, still in Plots
        lg.report_matplotlib_figure("picture", "static", figure=fig, iteration=0)
        lg.report_matplotlib_figure("as sample", "png", figure=fig, iteration=0, report_image=True)
        plt.savefig(store_root.parent / "x.png")  # reported already and unchanged: no copy either
    finally:
        plt.close("all")
        task.close()
    r = Store(store_root).task(task.id)
    assert sorted({p["title"] for p in r.plots()}) == ["curve", "picture"]
    assert r.plots("curve")[0]["figure"]["data"][0]["y"] == [3, 1, 2]
    img = r.plots("picture")[0]["figure"]["layout"]["images"][0]
    assert img["source"].startswith("data:image/png;base64,")
    assert [(m["title"], m["kind"]) for m in r.media()] == [("as sample", "image")]
