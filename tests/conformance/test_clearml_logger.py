"""Conformance with the ClearML Logger seed documents (../shared/seeds/clearml-logger.md and
clearml-logger-page.txt): each element they name, called as they show it, read back and compared
with what ClearML stores (values, iterations, titles/series). Behaviour was checked in
clearml/clearml's clearml/logger.py, backend_interface/metrics/reporter.py and
utilities/plotly_reporter.py; where ringlog differs on purpose the test says so.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

import ringlog
from ringlog import Logger, Task
from ringlog.store import Store


@pytest.fixture
def task(store_root, fast):
    t = Task.init(project_name="seed", task_name="logger", dir=store_root, settings=fast)
    yield t
    t.close()


def _reader(store_root, task):
    task.close()
    return Store(store_root).task(task.id)


def test_logger_is_obtained_from_the_task(task):
    logger = task.get_logger()  # the seed's one way to get it
    assert logger is task.get_logger() is Logger.current_logger() is task.logger


def test_the_four_kinds_of_reports(store_root, task):
    logger = task.get_logger()
    logger.report_text("a manual text line", level=logging.WARNING, print_console=False)  # Text
    for i in range(3):
        logger.report_scalar("loss", "train", value=1.0 / (i + 1), iteration=i)  # Scalars: x is the iteration
    logger.report_histogram("hist", "h", values=[1, 2, 3], iteration=0)  # Plots
    logger.report_confusion_matrix("cm", "val", matrix=np.eye(2), iteration=0)
    logger.report_line_plot("lines", [Logger.SeriesInfo("a", np.array([[0, 1], [1, 2]]))], "x", "y", iteration=0)
    logger.report_image("img", "s", iteration=1, image=np.zeros((4, 4), np.uint8))  # Debug samples per iteration
    r = _reader(store_root, task)
    assert ("warning", "a manual text line") in [(c["level"], c["text"]) for c in r.console()]
    s = r.scalar("loss", "train")
    assert s.step.tolist() == [0, 1, 2] and s.value.tolist() == [1.0, 0.5, 1 / 3]
    titles = {(p["title"], p["series"]) for p in r.plots()}
    assert titles == {("hist", "h"), ("cm", "val"), ("lines", "")}  # reporter.report_line_plot: series=""
    assert [(m["title"], m["series"], m["iteration"], m["kind"]) for m in r.media()] == [("img", "s", 1, "image")]


def test_media_keeps_the_last_results_per_title_series(store_root, task):
    logger = task.get_logger()
    for i in range(6):
        logger.report_media("audio", "tone", iteration=i, stream=b"RIFF....WAVE", file_extension=".wav",
                            max_history=3)
    r = _reader(store_root, task)
    assert [m["iteration"] for m in r.media("audio", "tone")] == [3, 4, 5]


def test_upload_destination(store_root, task, tmp_path):
    logger = task.get_logger()
    dest = tmp_path / "samples"
    logger.set_default_upload_destination(str(dest))
    assert logger.get_default_upload_destination() == str(dest)
    rec = logger.report_image("img", "s", iteration=0, image=np.zeros((2, 2), np.uint8))
    assert str(dest) in (rec.get("path") or rec.get("uri") or "")


def test_automatic_logging_switches_are_class_methods():
    Logger.matplotlib_force_report_non_interactive(True)
    Logger.tensorboard_auto_group_scalars(True)
    try:
        assert Logger._matplotlib_force_image and Logger._tensorboard_auto_group
    finally:
        Logger.matplotlib_force_report_non_interactive(False)
        Logger.tensorboard_auto_group_scalars(False)


def test_nan_and_inf_values_are_class_methods(store_root, task):
    logger = task.get_logger()
    logger.report_scalar("m", "s", float("nan"), 0)  # ringlog keeps NaN by default (ClearML writes 0): on purpose
    Logger.set_reporting_nan_value(0.0)  # from here on, as ClearML's MetricsEventAdapter.default_nan_value
    Logger.set_reporting_inf_value(1e3, warn_period=5)
    logger.report_scalar("m", "s", float("nan"), 1)
    logger.report_scalar("m", "s", float("-inf"), 2)
    v = _reader(store_root, task).scalar("m", "s").value
    assert np.isnan(v[0]) and v[1:].tolist() == [0.0, -1e3]


def test_automatic_capture_of_stdout(store_root):
    s = ringlog.Settings(flush_interval=0.05, handle_signals=False, tensorboard=False, matplotlib=False,
                         system_metrics=False, git=False)
    task = Task.init(project_name="seed", task_name="stdout", dir=store_root, settings=s)
    print("captured line from the script")
    r = _reader(store_root, task)
    assert any("captured line from the script" in c["text"] for c in r.console())
