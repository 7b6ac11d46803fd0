"""matplotlib capture under Agg, into a real run: plt.show() reports figures as plots and behaves
as before. matplotlib is optional (the ``integrations`` extra): without it this module skips."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from ringlog.capture.mpl import MplCapture, figure_title
from ringlog.capture.options import CaptureLoggerMixin

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_show_reports_a_plotly_plot_and_restores(run):
    show, fshow = plt.show, Figure.__dict__["show"]
    cap = MplCapture(run.core).start()
    assert plt.show is not show
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [4, 1, 9], label="loss")
    ax.set_title("training curve")
    plt.show()
    plt.show()  # unchanged since: not reported again
    ax.plot([1, 2, 3], [1, 1, 1])
    plt.show()  # changed: a second iteration
    cap.stop()
    assert plt.show is show and Figure.__dict__["show"] is fshow
    plots = run.plots("training curve")
    assert [p["iteration"] for p in plots] == [0, 1] and {p["series"] for p in plots} == {"plot"}
    trace = plots[0]["figure"]["data"][0]
    assert list(trace["y"]) == [4, 1, 9]
    assert run.warnings == []
    plt.show()  # after stop: nothing reported
    assert len(run.plots()) == 2


def _is_image_plot(plot: dict) -> bool:
    layout = plot["figure"]["layout"]
    return plot["figure"]["data"] == [] and layout["images"][0]["source"].startswith("data:image/png;base64,")


def test_force_non_interactive_reports_a_picture_in_plots(run):
    # clearml/binding/matplotlib_bind.py _report_figure: _force_report_as_image sets force_save_as_image,
    # which ends in logger._report_image_plot_and_upload (the Plots tab), series "plot image"
    cap = MplCapture(run.core).start()
    try:
        CaptureLoggerMixin.matplotlib_force_report_non_interactive(True)
        fig = plt.figure("curve")
        fig.add_subplot().plot([0, 1, 2], [2, 0, 1])  # would convert: forced to a picture all the same
        plt.show()
    finally:
        CaptureLoggerMixin.matplotlib_force_report_non_interactive(False)
        cap.stop()
    (plot,) = run.plots("curve")
    assert plot["series"] == "plot image" and _is_image_plot(plot)
    assert run.media() == []


def test_a_figure_that_does_not_convert_is_a_picture_in_plots_not_a_debug_sample(run):
    # matplotlib_bind.py: a failed plotly conversion (plotly_dict None) and no imshow mark ->
    # _report_image_plot_and_upload, i.e. Plots; whatever the backend (this module runs under Agg)
    cap = MplCapture(run.core).start()
    try:
        fig, ax = plt.subplots()
        ax.imshow(np.arange(16).reshape(4, 4))  # Axes.imshow: no plotly trace for it
        ax.set_title("heat")
        plt.show()
    finally:
        cap.stop()
    (plot,) = run.plots("heat")
    assert plot["series"] == "plot image" and _is_image_plot(plot)
    assert run.media() == []


def test_pyplot_imshow_then_show_is_a_debug_sample_as_in_clearml(run):
    # matplotlib_bind.py patched_imshow marks the active figure (_trains_is_imshow); plt.show then
    # reports it with report_as_debug_sample=True (logger.report_image, series "plot image"). The mark
    # is used up by that report: the same figure changed and shown again without plt.imshow is a plot.
    cap = MplCapture(run.core).start()
    try:
        plt.figure("digits")
        plt.imshow(np.eye(8))
        plt.show()
        plt.gca().plot([0, 7], [0, 7])
        plt.show()
    finally:
        cap.stop()
    media = run.media("digits")
    assert [(m["series"], m["kind"], m["ext"], m["iteration"]) for m in media] == [("plot image", "image", "png", 0)]
    (plot,) = run.plots("digits")
    assert plot["iteration"] == 1 and plot["series"] == "plot image" and _is_image_plot(plot)
    assert plt.imshow.__name__ == "imshow"


def test_figure_titles():
    fig = plt.figure()
    assert figure_title(fig, fig.number) == f"Figure {fig.number}"
    fig.suptitle("Sup")
    assert figure_title(fig) == "Sup"
    assert figure_title(plt.figure("named")) == "named"


def test_conversion_failure_warns_and_show_still_runs(run, monkeypatch):
    import ringlog.media.capture_media as cm

    def broken(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(cm, "report_payload", broken)
    called = []
    monkeypatch.setattr(plt, "show", lambda *a, **k: called.append(1))
    cap = MplCapture(run.core).start()
    plt.figure()
    plt.show()
    cap.stop()
    assert called == [1] and len(run.warnings) == 1 and "disk full" in run.warnings[0]


def test_savefig_reports_changed_figures_named_after_the_file(run, tmp_path):
    cap = MplCapture(run.core).start()
    try:
        fig, ax = plt.subplots()
        ax.plot([0, 1], [1, 0])
        plt.savefig(tmp_path / "loss_curve.png")
        fig.savefig(tmp_path / "loss_curve.png")  # unchanged: saved, not reported again
        ax.plot([0, 1], [0, 1])
        fig.savefig(str(tmp_path / "loss_curve.pdf"))
        with pytest.raises(Exception):
            fig.savefig(tmp_path / "x.not-a-format")  # the user's error reaches the user
        plt.show()  # nothing changed since the last save
    finally:
        cap.stop()
    plots = run.plots()
    assert [(p["title"], p["iteration"]) for p in plots] == [("loss_curve", 0), ("loss_curve", 1)]
    assert (tmp_path / "loss_curve.png").stat().st_size > 0 and (tmp_path / "loss_curve.pdf").exists()
    assert Figure.savefig.__name__ == "savefig" and not hasattr(Figure.savefig, "__ringlog_original__")
    assert run.warnings == []


def test_a_second_run_leaves_the_patches_to_the_first(run, make_run):
    other = make_run("other")
    show, imshow, fshow, fsave = plt.show, plt.imshow, Figure.__dict__["show"], Figure.__dict__["savefig"]
    first = MplCapture(run.core).start()
    second = MplCapture(other.core).start()
    assert second.patches == [] and len(first.patches) == 4
    plt.figure("shared").add_subplot().plot([0, 1], [1, 0])
    plt.show()
    second.stop()  # nothing of its own to undo: the first run's patches stay
    assert plt.show is not show
    first.stop()
    assert (plt.show, plt.imshow, Figure.__dict__["show"], Figure.__dict__["savefig"]) == (show, imshow, fshow, fsave)
    assert [p["title"] for p in run.plots()] == ["shared"] and other.plots() == []


def test_a_script_forcing_agg_gets_its_figures_in_plots(tmp_path):
    """As users run it: capture on by default, matplotlib.use("Agg") forced, no finish()."""
    script = tmp_path / "train.py"
    script.write_text(
        "import matplotlib\n"
        "matplotlib.use('Agg')\n"
        "import matplotlib.pyplot as plt\n"
        "import numpy as np\n"
        "from ringlog import Task\n"
        "Task.init(project_name='mpl', task_name='agg')\n"
        "plt.plot([0, 1, 2], [3, 1, 2]); plt.title('loss'); plt.show()\n"
        "fig, ax = plt.subplots(); ax.imshow(np.eye(4)); ax.set_title('weights'); plt.show()\n")
    root = tmp_path / "store"
    env = {k: v for k, v in __import__("os").environ.items() if k != "MPLBACKEND"}
    env["RINGLOG_DIR"] = str(root)
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    from ringlog.store import Store

    (row,) = Store(root).tasks()
    task = Store(root).task(row["id"])
    plots = {(p["title"], p["series"]): p for p in task.plots()}
    assert set(plots) == {("loss", "plot"), ("weights", "plot image")}
    assert list(plots["loss", "plot"]["figure"]["data"][0]["y"]) == [3, 1, 2]
    assert _is_image_plot(plots["weights", "plot image"])
    assert task.media() == []
