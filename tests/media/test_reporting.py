"""ReportingMixin (ClearML names) and log_value (W&B flavour) over a real run: each type round-trips."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from ringlog.errors import LoggingError, LoggingTypeError, LoggingValueError, LoggingWarning
from ringlog.media.types import Audio, Histogram, Html, Image, Table, Video, log_value
from ringlog.clearml.reporting import SeriesInfo
from ringlog.store.media import read_console, read_media, read_plots
import ringlog.media.plot as rplot


def _plot(path, title, series=None):
    [rec] = read_plots(path, title, series)
    return rec


def test_report_text_levels_and_echo(logger, run, capsys, task_path):
    logger.report_text("first")
    logger.report_text("careful", level=logging.WARNING, print_console=False)
    logger.report_text(42, level=logging.ERROR)
    run.finish()  # console records are written by the flusher; finish writes the last ones
    recs = read_console(task_path)
    assert [(r["stream"], r["level"], r["text"]) for r in recs] == [
        ("log", "info", "first"), ("log", "warning", "careful"), ("log", "error", "42")]
    assert capsys.readouterr().out == "first\n42\n"


def test_clearml_plots_round_trip(logger, run, task_path):
    p = task_path
    logger.report_histogram("hist", "s", [3, 1, 2], iteration=4, xlabels=["a", "b", "c"], xaxis="k", yaxis="n")
    h = _plot(p, "hist")
    assert h["iteration"] == 4 and h["figure"]["data"][0]["y"] == [3.0, 1.0, 2.0]
    assert h["figure"]["data"][0]["x"] == ["a", "b", "c"] and h["figure"]["layout"]["xaxis"]["title"]["text"] == "k"
    logger.report_vector("vec", "s", np.arange(3), iteration=1)
    assert _plot(p, "vec")["figure"]["data"][0]["x"] == [0, 1, 2]
    logger.report_line_plot("lines", [SeriesInfo("a", np.array([[0, 1], [1, 2]])), ("b", [[0, 5], [1, 6]])],
                            iteration=2, xaxis="x", yaxis="y", reverse_xaxis=True)
    lp = _plot(p, "lines")
    # ClearML stores a line plot per title (reporter.py report_line_plot: series="")
    assert lp["series"] == "" and [t["name"] for t in lp["figure"]["data"]] == ["a", "b"]
    assert lp["figure"]["layout"]["xaxis"]["autorange"] == "reversed"
    logger.report_line_plot("lines2", [("c", [[0, 1]])], "x axis", "y axis", "markers", 7)  # ClearML's order
    lp2 = _plot(p, "lines2")
    assert lp2["iteration"] == 7 and lp2["figure"]["data"][0]["mode"] == "markers"
    assert lp2["figure"]["layout"]["yaxis"]["title"]["text"] == "y axis"
    logger.report_scatter2d("sc", "s", [[0, 1], [2, 3]], iteration=3, mode="markers", labels=["p", "q"])
    sc = _plot(p, "sc")["figure"]["data"][0]
    assert sc["x"] == [0.0, 2.0] and sc["y"] == [1.0, 3.0] and sc["text"] == ["p", "q"]
    logger.report_scatter3d("s3", "s", np.ones((4, 3)), iteration=3, zaxis="z")
    s3 = _plot(p, "s3")["figure"]
    assert s3["data"][0]["type"] == "scatter3d" and s3["layout"]["scene"]["zaxis"]["title"]["text"] == "z"
    logger.report_confusion_matrix("cm", "s", np.array([[5, 1], [0, 7]]), iteration=9, xlabels=["n", "p"],
                                   ylabels=["n", "p"], yaxis_reversed=True)
    cm = _plot(p, "cm")["figure"]
    assert cm["data"][0]["z"] == [[5.0, 1.0], [0.0, 7.0]] and cm["layout"]["yaxis"]["autorange"] == "reversed"
    logger.report_surface("surf", "s", np.arange(6).reshape(2, 3), iteration=1, camera=(1, 1, 2))
    sf = _plot(p, "surf")["figure"]
    assert sf["data"][0]["type"] == "surface" and sf["layout"]["scene"]["camera"]["eye"]["z"] == 2.0
    logger.report_histogram("hist", "s", [1, 1, 1], extra_layout={"xaxis": {"type": "category"}})
    later = read_plots(p, "hist")
    assert [r["iteration"] for r in later] == [4, 0]  # history kept; iteration None means 0
    assert later[1]["figure"]["layout"]["xaxis"] == {"title": {"text": ""}, "type": "category"}


def test_report_table_sources(logger, run, tmp_path, task_path):
    pd = pytest.importorskip("pandas")
    logger.report_table("t", "df", iteration=1, table_plot=pd.DataFrame({"a": [1, 2]}, index=["r1", "r2"]))
    rec = _plot(task_path, "t", "df")
    assert rec["kind"] == "table" and rec["data"] == {"columns": ["index", "a"], "data": [["r1", 1], ["r2", 2]]}
    assert rec["figure"]["data"][0]["type"] == "table"
    csv = tmp_path / "t.csv"
    csv.write_text("name,score\nx,1.5\ny,2\n")
    logger.report_table("t", "csv", iteration=1, csv=str(csv))
    assert _plot(task_path, "t", "csv")["data"]["data"] == [["x", 1.5], ["y", 2]]
    logger.report_table("t", "rows", iteration=1, table_plot=[["k", "v"], ["a", 1]])
    assert _plot(task_path, "t", "rows")["data"] == {"columns": ["k", "v"], "data": [["a", 1]]}


def test_report_plotly_and_matplotlib(logger, run, task_path):
    go = pytest.importorskip("plotly.graph_objects")
    logger.report_plotly("pl", "s", go.Figure(go.Scatter(y=[1, 2])), iteration=5)
    assert _plot(task_path, "pl")["figure"]["data"][0]["y"] == [1, 2]
    logger.report_plotly("pl", "d", {"data": [{"type": "bar", "y": [1]}]})
    assert _plot(task_path, "pl", "d")["iteration"] == 0
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    f, ax = plt.subplots()
    ax.plot([1, 2, 3])
    logger.report_matplotlib_figure("mpl", "s", f, iteration=2)
    assert _plot(task_path, "mpl")["figure"]["data"][0]["y"] == [1.0, 2.0, 3.0]
    logger.report_matplotlib_figure("mpl", "img", f, iteration=2, report_image=True)
    [rec] = read_media(task_path, "mpl", "img")
    assert rec["kind"] == "image" and (task_path / rec["path"]).read_bytes()[:4] == b"\x89PNG"
    plt.close(f)


def test_report_image_retention_and_sources(logger, run, tmp_path, task_path):
    for i in range(8):
        rec = logger.report_image("img", "s", iteration=i, image=np.full((4, 4), i * 30, dtype=np.uint8),
                                  max_image_history=3)
    assert rec["iteration"] == 7
    kept = read_media(task_path, "img", "s")
    assert [r["iteration"] for r in kept] == [5, 6, 7]
    assert sorted(f.name for f in (task_path / "media" / "img" / "s").iterdir()) == ["5_0.png", "6_0.png", "7_0.png"]
    src = tmp_path / "pic.png"
    src.write_bytes((task_path / kept[0]["path"]).read_bytes())
    logger.report_image("img", "file", iteration=1, local_path=str(src), delete_after_upload=True)
    assert not src.exists() and read_media(task_path, "img", "file")[0]["ext"] == "png"
    logger.report_image("img", "matrix", iteration=1, matrix=np.zeros((2, 2, 3)))
    assert len(read_media(task_path, "img", "matrix")) == 1


def test_report_media_stream_and_file(logger, run, tmp_path, task_path):
    audio = Audio(np.zeros(100), sample_rate=1000)
    import io

    logger.report_media("m", "audio", iteration=3, stream=io.BytesIO(audio.data), file_extension=".wav")
    logger.report_media("m", "html", iteration=3, stream="<p>x</p>", file_extension="html")
    vid = tmp_path / "v.mp4"
    vid.write_bytes(b"....ftyp")
    logger.report_media("m", "video", iteration=4, local_path=str(vid), max_history=1)
    kinds = {(r["series"], r["kind"], r["ext"]) for r in read_media(task_path, "m")}
    assert kinds == {("audio", "audio", "wav"), ("html", "html", "html"), ("video", "video", "mp4")}


def test_url_references_are_recorded_not_copied(logger, run, tmp_path, task_path):
    local = tmp_path / "kept.png"
    local.write_bytes(b"png")
    for i in range(3):
        logger.report_image("ref", "s", iteration=i, url=f"https://cdn.example/{i}.png", max_image_history=2)
    logger.report_image("ref", "local", iteration=0, url=local.as_uri(), max_image_history=1)
    logger.report_image("ref", "local", iteration=1, url="https://cdn.example/x.jpg", max_image_history=1)
    logger.report_media("ref", "clip", iteration=0, url="s3://bucket/run/clip.mp4")
    recs = read_media(task_path, "ref", "s")
    assert [(r["uri"], r["external"]) for r in recs] == [("https://cdn.example/1.png", True),
                                                         ("https://cdn.example/2.png", True)]
    assert local.exists()  # retention never deletes a file it did not store
    assert read_media(task_path, "ref", "clip")[0]["kind"] == "video"
    assert not (task_path / "media").exists()


def test_upload_destination(logger, run, tmp_path, task_path):
    dest = tmp_path / "bucket"
    logger.set_default_upload_destination(str(dest))
    assert logger.get_default_upload_destination() == str(dest)
    rec = logger.report_image("img", "s", iteration=0, image=np.zeros((2, 2)))
    assert rec["path"].startswith(str(dest.resolve())) and read_media(task_path)[0]["path"] == rec["path"]
    pytest.importorskip("fsspec")
    logger.set_default_upload_destination("memory://ringlog-dest")
    rec = logger.report_image("img", "s", iteration=1, image=np.zeros((2, 2)))
    assert rec["queued"] and rec["uri"].startswith("memory://ringlog-dest/")
    run.flush()  # the uploads thread sends it, then lists it
    stored = read_media(task_path)[-1]
    assert stored["iteration"] == 1 and stored["uri"] == rec["uri"]


def test_nan_inf_settings(logger, run):
    assert run.nan_value is None and run.inf_value is None  # stored as logged by default
    logger.set_reporting_nan_value(-1)
    logger.set_reporting_inf_value(1e9)
    assert run.nan_value == -1.0 and run.inf_value == 1e9


BAD_CALLS = [
    ("report_image", dict(title="t", series="s", iteration=0, image=np.zeros((2, 3, 5))), LoggingValueError,
     "image: must have shape"),
    ("report_image", dict(title="t", series="s", iteration=0, local_path="nope.png"), LoggingValueError,
     "local_path: must be an existing file"),
    ("report_image", dict(title="t", series="s", iteration=0, image=np.zeros((2, 2)), max_image_history=-1),
     LoggingValueError, "max_image_history: must be at least 1"),
    ("report_image", dict(title="t", series="s", iteration=0), LoggingValueError, "give exactly one"),
    ("report_media", dict(title="t", series="s", iteration=0, stream=b"x", file_extension=".xyz"),
     LoggingValueError, "file_extension: file extension must be one of"),
    ("report_media", dict(title="t", series="s", iteration=0, stream=b"x"), LoggingValueError, "file_extension"),
    ("report_plotly", dict(title="t", series="s", figure=object()), LoggingTypeError, "figure: must be a plotly"),
    ("report_matplotlib_figure", dict(title="t", series="s", figure="nope"), LoggingTypeError,
     "figure: must be a matplotlib"),
    ("report_histogram", dict(title="t", series="s", values=["a"]), LoggingTypeError, "values: must"),
    ("report_scatter2d", dict(title="t", series="s", scatter=np.zeros((3, 3))), LoggingValueError,
     "scatter: must be a non-empty 2-D array with last dimension 2"),
    ("report_histogram", dict(title="", series="s", values=[1]), LoggingValueError, "title: must be a non-empty"),
    ("report_histogram", dict(title="t", series="s", values=[1], iteration="x"), LoggingTypeError, "iteration"),
    ("report_image", dict(title="t", series="s", url="https://host/picture"), LoggingValueError,
     "url: file extension must be one of"),
    ("report_image", dict(title="t", series="s", url="https://host/a.wav"), LoggingValueError,
     "url: must point to a file of kind image"),
    ("report_table", dict(title="t", series="s", url="https://example.com/x.csv"), LoggingValueError,
     "does not download"),
    ("set_default_upload_destination", dict(uri=5), LoggingTypeError, "uri"),
    ("set_default_upload_destination", dict(uri="nosuchproto://bucket"), LoggingValueError,
     "uri: must be a URI fsspec can open"),
]


@pytest.mark.parametrize("method, kwargs, exc, words", BAD_CALLS, ids=[f"{m}-{i}" for i, (m, *_r) in
                                                                        enumerate(BAD_CALLS)])
def test_bad_input_strict_raises(strict_logger, strict_run, method, kwargs, exc, words, strict_task_path):
    with pytest.raises(exc, match=words):
        getattr(strict_logger, method)(**kwargs)
    assert read_media(strict_task_path) == [] and read_plots(strict_task_path) == []


@pytest.mark.parametrize("method, kwargs, exc, words", BAD_CALLS, ids=[f"{m}-{i}" for i, (m, *_r) in
                                                                        enumerate(BAD_CALLS)])
def test_bad_input_lenient_warns_once_and_writes_nothing(logger, run, method, kwargs, exc, words, task_path):
    logger.report_histogram("good", "s", [1, 2], iteration=1)  # already logged data must not be harmed
    with pytest.warns(LoggingWarning, match=words):
        getattr(logger, method)(**kwargs)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(logger, method)(**kwargs)  # the same mistake again: silent
    assert read_media(task_path) == []
    assert [r["title"] for r in read_plots(task_path)] == ["good"]


def test_finished_run_refuses(strict_logger, strict_run):
    strict_run.finish()
    with pytest.raises(LoggingError):
        strict_logger.report_text("late")


# --- W&B flavour: log_value ----------------------------------------------------------------------------
def test_log_value_media_types(run, task_path):
    log_value(run, "imgs", [Image(np.zeros((4, 4))), Image(np.ones((4, 4, 3)), caption="second")], 3)
    log_value(run, "sound", Audio(np.zeros(50), sample_rate=100, caption="quiet"), 3)
    log_value(run, "clip", Video(np.zeros((2, 3, 4, 4), dtype=np.uint8)), 4)
    log_value(run, "page", Html("<i>x</i>"), 5)
    recs = read_media(task_path)
    assert [(r["title"], r["series"], r["iteration"], r["n"], r["kind"], r["caption"]) for r in recs] == [
        ("imgs", "imgs", 3, 0, "image", None), ("imgs", "imgs", 3, 1, "image", "second"),
        ("sound", "sound", 3, 0, "audio", "quiet"), ("clip", "clip", 4, 0, "video", None),
        ("page", "page", 5, 0, "html", None)]


def test_log_value_image_list_keeps_every_step(run, task_path):
    for step in range(102):  # W&B keeps every step of a media key (Settings.wandb_media_history bounds it)
        log_value(run, "grid", [Image(np.zeros((2, 2))), Image(np.zeros((2, 2)))], step)
    recs = read_media(task_path, "grid")
    assert len(recs) == 204 and recs[0]["iteration"] == 0


def test_log_value_plots(run, task_path):
    log_value(run, "dist", Histogram(np.arange(100), num_bins=10), 1)
    log_value(run, "dist", Histogram(np.arange(100) * 2, num_bins=10), 2)
    hs = read_plots(task_path, "dist")
    assert [h["iteration"] for h in hs] == [1, 2] and hs[1]["kind"] == "histogram"
    assert sum(hs[1]["data"]["counts"]) == 100 and len(hs[1]["data"]["bins"]) == 11
    t = Table(columns=["a", "b"], data=[[1, 2]])
    log_value(run, "tab", t, 1)
    log_value(run, "chart", rplot.line(t, "a", "b"), 1)
    log_value(run, "raw", np.array([1.0, 2.0, 2.0]), 1)  # a numeric array becomes a histogram, as W&B
    log_value(run, "note", "epoch done", 1)
    assert _plot(task_path, "tab")["data"] == {"columns": ["a", "b"], "data": [[1, 2]]}
    assert _plot(task_path, "chart")["figure"]["data"][0]["type"] == "scatter"
    assert _plot(task_path, "raw")["kind"] == "histogram"
    go = pytest.importorskip("plotly.graph_objects")
    log_value(run, "fig", go.Figure(go.Bar(y=[1])), 2)
    assert _plot(task_path, "fig")["figure"]["data"][0]["type"] == "bar"
    run.finish()
    assert _plot(task_path, "note")["data"] == {"columns": ["note"], "data": [["epoch done"]]}  # history, not console
    assert not read_console(task_path)


def test_log_value_unknown_type(run):
    with pytest.raises(LoggingTypeError, match=r"data\['thing'\]: must be a number, str"):
        log_value(run, "thing", object(), 0)
    with pytest.raises(LoggingTypeError, match="one type"):
        log_value(run, "mixed", [Image(np.zeros((2, 2))), Html("x")], 0)


class _Tee:
    """Stands in for the console capture's Python-level tee: everything written here would be logged."""

    def __init__(self, original):
        self._ringlog_original = original
        self.logged = []

    def write(self, s):
        self.logged.append(s)
        return self._ringlog_original.write(s)

    def flush(self):
        self._ringlog_original.flush()


def _console_handle(run, pipes=(), tees=None):
    """The run's real capture handle holding a real (not started) ConsoleCapture whose streams are
    the ones given, marked started so that ``echo`` uses them."""
    from ringlog.capture.console import ConsoleCapture
    from ringlog.capture.manager import CaptureHandle

    console = ConsoleCapture(lambda *a: None)
    console.pipes, console.tees, console.started = list(pipes), dict(tees or {}), True
    handle = CaptureHandle(run)
    handle.parts["console"] = console
    return handle, console


def test_report_text_echo_bypasses_python_tee(logger, run, capsys, monkeypatch, task_path):
    import sys

    tee = _Tee(sys.stdout)
    monkeypatch.setattr(sys, "stdout", tee)
    run.capture, console = _console_handle(run, tees={"stdout": tee})
    logger.report_text("once")
    console.started = False  # the streams above are the test's: nothing to restore at finish
    assert tee.logged == []  # the capture did not see it: no second console record
    assert capsys.readouterr().out == "once\n"  # but the user still sees it
    run.finish()
    assert [r["text"] for r in read_console(task_path)] == ["once"]


def test_report_text_echo_bypasses_fd_capture(logger, run):
    import os
    from types import SimpleNamespace

    r, w = os.pipe()
    try:
        pipe = SimpleNamespace(name="stdout", restored=False, saved=w)
        run.capture, console = _console_handle(run, pipes=[pipe])
        logger.report_text("to the terminal")
        console.started = False
        os.close(w)
        w = None
        assert os.read(r, 100) == b"to the terminal\n"
    finally:
        os.close(r)
        if w is not None:
            os.close(w)


# --- issue 15: plots as ClearML lays them out -------------------------------------------------------
def test_2d_histogram_rows_are_series_and_columns_are_bins(logger, task_path):
    # clearml/utilities/plotly_reporter.py create_2d_histogram_plot: one trace per row, named by labels
    logger.report_histogram("h", "s", np.array([[1, 2, 3], [4, 5, 6]]), iteration=0, labels=["A", "B"],
                            xlabels=["x", "y", "z"])
    data = _plot(task_path, "h")["figure"]["data"]
    assert [(t["name"], t["x"], t["y"]) for t in data] == [("A", ["x", "y", "z"], [1.0, 2.0, 3.0]),
                                                          ("B", ["x", "y", "z"], [4.0, 5.0, 6.0])]
    logger.report_vector("v", "s", [[1, 2], [3, 4], [5, 6]], iteration=0)  # no labels: every row is "s"
    data = _plot(task_path, "v")["figure"]["data"]
    assert [t["name"] for t in data] == ["s"] * 3 and data[2]["y"] == [5.0, 6.0] and data[0]["x"] == [0, 1]
    logger.report_histogram("one", "s", [3, 1], iteration=0)  # 1-D: one row, one trace of two bins
    assert [t["y"] for t in _plot(task_path, "one")["figure"]["data"]] == [[3.0, 1.0]]


def test_scatter3d_takes_a_list_of_arrays(logger, task_path):
    a, b = np.zeros((3, 3)), np.ones((2, 3))
    logger.report_scatter3d("cloud", ["near", "far"], [a, b], iteration=1)  # reporter.report_3d_scatter
    rec = _plot(task_path, "cloud")
    assert rec["series"] == "" and [(t["name"], len(t["x"])) for t in rec["figure"]["data"]] == [("near", 3),
                                                                                                 ("far", 2)]
    logger.report_scatter3d("cloud2", "pts", [b.tolist(), a.tolist()], iteration=1)
    assert [len(t["z"]) for t in _plot(task_path, "cloud2", "pts")["figure"]["data"]] == [2, 3]


def test_several_series_of_one_title_draw_as_one_graph(logger, run, task_path):
    from ringlog.clearml.readapi import TaskView
    from ringlog.store import Store
    from ringlog.viewer.media import plots_impl

    # the guide's "two histograms on the same graph", and a multi-series 2-D scatter
    logger.report_histogram("two", "first", [1, 2, 3], iteration=3)
    logger.report_histogram("two", "second", [3, 2, 1], iteration=3)
    logger.report_scatter2d("sc", "a", [[0, 1], [1, 2]], iteration=0)
    logger.report_scatter2d("sc", "b", [[0, 5], [1, 6]], iteration=0)
    logger.report_confusion_matrix("cm", "one", np.eye(2), iteration=0)  # heatmaps stay apart
    logger.report_confusion_matrix("cm", "two", np.eye(2), iteration=0)
    reader = Store(task_path.parent.parent).task(run.id)
    groups = {(g["title"], g["series"]): g for g in plots_impl(reader)["groups"]}
    assert set(groups) == {("two", ""), ("sc", ""), ("cm", "one"), ("cm", "two")}
    assert [t["name"] for t in groups["two", ""]["items"][0]["figure"]["data"]] == ["first", "second"]
    assert groups["sc", ""]["series_merged"] == ["a", "b"]
    recs = TaskView(reader).plots()
    two = [r for r in recs if r["title"] == "two"]
    assert len(two) == 1 and [t["y"] for t in two[0]["figure"]["data"]] == [[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]
