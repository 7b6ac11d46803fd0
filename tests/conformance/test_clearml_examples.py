"""ClearML's ``examples/reporting/*.py`` (clearml/clearml), as scripts of our own that call the same
Logger/Task methods the same way and differ from a ClearML script only in the import line
(``from ringlog import Task, Logger``); they live in ``clearml_examples/`` with their small inputs
in ``clearml_examples/data_samples/`` (made for these tests, no third-party data).

Each script runs as a user runs it: its own process, default ``Task.init`` (auto-capture on), no
``close()`` (most end right after ``Logger.flush()``, which does not wait, as ClearML's), on a
fresh store. The test then reads what ClearML would show: scalars, single values, plots (several
series of one title and iteration combined into one graph), debug samples, the console log and
the configuration. The examples about artifacts and models are another issue's.
"""

from __future__ import annotations

import concurrent.futures
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ringlog.clearml.readapi import TaskView
from ringlog.store import Store

pytest.importorskip("matplotlib")
pytest.importorskip("pandas")
pytest.importorskip("plotly")
pytest.importorskip("yaml")

EXAMPLES = Path(__file__).parent / "clearml_examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """script name -> (completed process, TaskView of the one task it made); all scripts run at once."""
    base = tmp_path_factory.mktemp("clearml-examples")
    work = base / "examples"
    shutil.copytree(EXAMPLES, work)  # the scripts write next to themselves (html pages)

    def run(name: str):
        root = base / "stores" / name
        env = dict(os.environ, RINGLOG_DIR=str(root), PYTHONWARNINGS="default", MPLBACKEND="Agg")
        proc = subprocess.run([sys.executable, name], cwd=work, env=env, capture_output=True, text=True,
                              timeout=300)
        return name, proc, root

    with concurrent.futures.ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 2)) as pool:
        done = list(pool.map(run, SCRIPTS))
    out = {}
    for name, proc, root in done:
        assert proc.returncode == 0, f"{name} failed:\n{proc.stderr[-3000:]}"
        assert "could not be written" not in proc.stderr and "cannot write" not in proc.stderr, proc.stderr
        [row] = Store(root).tasks()
        out[name] = (proc, TaskView(Store(root).task(row["id"])))
    return out


def test_every_script_ran_and_completed(runs):
    assert sorted(runs) == SCRIPTS and len(SCRIPTS) == 13
    for name, (_, view) in runs.items():
        assert view.status == "completed", name


def test_scalar_reporting(runs):
    sc = runs["scalar_reporting.py"][1].get_reported_scalars()
    assert sc["unified graph"]["series A"]["x"] == list(range(10))
    assert sc["unified graph"]["series B"]["y"][:2] == [10.0, 5.0]
    assert sc["unified graph - 2"]["series A"]["y"] == [0.0, 2.0, 4.0, 6.0, 8.0]


def test_single_scalar_reporting(runs):
    sc = runs["single_scalar_reporting.py"][1].get_reported_scalars()["Summary"]
    assert {k: (v["x"], v["y"]) for k, v in sc.items()} == {"metric_A": ([-(2 ** 31)], [125.0]),
                                                              "metric_B": ([-(2 ** 31)], [305.95]),
                                                              "metric_C": ([-(2 ** 31)], [486.0])}


def test_image_reporting(runs):
    media = runs["image_reporting.py"][1].reader.media("image")
    assert sorted(m["series"] for m in media) == ["image PIL", "image color red", "image float", "image uint8",
                                                  "image with report media"]
    assert {m["kind"] for m in media} == {"image"} and {m["iteration"] for m in media} == {0}


def test_media_reporting(runs):
    media = {m["series"]: m for m in runs["media_reporting.py"][1].reader.media()}
    assert media["clip"]["kind"] == "video" and media["clip"]["uri"].endswith("clip.mp4")
    assert media["remote tune"]["kind"] == "audio" and media["remote tune"]["uri"].startswith("https://")
    assert media["tone"]["kind"] == "audio" and media["tone"]["ext"] == "wav" and media["tone"].get("path")


def test_html_reporting(runs):
    media = {m["series"]: m for m in runs["html_reporting.py"][1].reader.media("html")}
    assert media["squares_html"]["kind"] == "html" and media["squares_html"].get("path")
    assert media["url_html"]["uri"] == "https://docs.example.com/index.html"


def test_plotly_reporting(runs):
    [rec] = runs["plotly_reporting.py"][1].plots("iris")
    assert rec["series"] == "sepal" and {t["type"] for t in rec["figure"]["data"]} >= {"scatter", "violin", "box"}


def test_matplotlib_manual_reporting(runs):
    view = runs["matplotlib_manual_reporting.py"][1]
    plots = {p["series"]: p for p in view.reader.plots()}
    assert set(plots) == {"Just a plot", "Image plot"}  # no auto-captured "Figure N" (capture is off here)
    assert plots["Just a plot"]["figure"]["data"][0]["mode"] == "markers"
    assert plots["Image plot"]["figure"]["layout"]["images"][0]["source"].startswith("data:image/png")
    assert [(m["title"], m["series"], m["kind"]) for m in view.reader.media()] == [
        ("Manual Reporting", "Plot as an image", "image")]


def test_matplotlib_capture_with_an_explicit_report(runs):
    titles = [p["title"] for p in runs["matplotlib_reporting.py"][1].reader.plots()]
    assert sorted(titles) == ["cosine", "sine wave"]  # the explicit report was not captured a second time


def test_pandas_reporting(runs):
    proc, view = runs["pandas_reporting.py"]
    tables = {(p["title"], p["series"]): p for p in view.reader.plots()}
    assert set(tables) == {("table pd", "PD with index"), ("table - csv", "local csv"),
                           ("table - list of lists", "List of lists")}
    pd_table = tables["table pd", "PD with index"]["data"]
    assert pd_table["columns"][0] == "id" and pd_table["data"][0][:2] == ["falcon", 2]
    assert tables["table - csv", "local csv"]["data"]["data"][1][0] == "run-b"
    assert "url: must be a local path" in proc.stderr  # a remote CSV is refused (no network), with a warning


def test_text_reporting(runs):
    log = [(c["level"], c["text"]) for c in runs["text_reporting.py"][1].reader.console()]
    assert ("info", "This is an info message") in log and ("error", "This is an error message") in log
    assert ("warning", "This is a warning message") in log
    assert any("printed text goes to the console log too" in t for _, t in log)


def test_3d_plots_reporting(runs):
    plots = {p["title"]: p for p in runs["plots_3d_reporting.py"][1].plots()}
    assert plots["example_surface"]["figure"]["data"][0]["type"] == "surface"
    sc = plots["example_scatter_3d"]["figure"]
    assert sc["data"][0]["type"] == "scatter3d" and len(sc["data"][0]["x"]) == 10
    assert sc["layout"]["scene"]["zaxis"]["title"]["text"] == "title z"


def test_scatter_hist_confusion_reporting(runs):
    plots = {p["title"]: p for p in runs["scatter_hist_confusion_mat_reporting.py"][1].plots()}
    two = plots["two_histogram"]  # "two histograms on the same graph": one figure, a trace per series
    assert two["series_merged"] == ["series 1", "series 2"] and len(two["figure"]["data"]) == 2
    scatter = plots["example_scatter"]["figure"]["data"]
    assert [(t["name"], t["mode"]) for t in scatter] == [("series_xy", "lines"), ("series_markers", "markers"),
                                                         ("series_lines+markers", "lines+markers")]
    assert plots["example_confusion_0_0_at_top"]["figure"]["layout"]["yaxis"]["autorange"] == "reversed"
    assert len(plots["example_confusion"]["figure"]["data"][0]["z"]) == 10
    assert len(plots["single_histogram"]["figure"]["data"]) == 1


def test_config_files(runs):
    proc, view = runs["config_files.py"]
    conf = view.get_parameters_as_dict()
    assert '"optimizer": "adam"' in conf["json config file"]["text"]
    assert "batch_size: 32" in conf["yaml config file"]["text"]
    assert "'optimizer': 'adam'" in proc.stdout and "'batch_size': 32" in proc.stdout
