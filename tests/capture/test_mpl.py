"""matplotlib capture under Agg, into a real run: plt.show() reports figures as plots and behaves
as before. matplotlib is optional (the ``integrations`` extra): without it this module skips."""

from __future__ import annotations

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


def test_force_non_interactive_reports_png(run):
    cap = MplCapture(run.core).start()
    try:
        CaptureLoggerMixin.matplotlib_force_report_non_interactive(True)
        fig = plt.figure("confusion")
        fig.add_subplot().imshow([[1, 2], [3, 4]])
        plt.show()
    finally:
        CaptureLoggerMixin.matplotlib_force_report_non_interactive(False)
        cap.stop()
    media = run.media("confusion")
    assert [(m["series"], m["kind"], m["ext"]) for m in media] == [("plot", "image", "png")]
    assert run.plots() == []


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
    show, fshow, fsave = plt.show, Figure.__dict__["show"], Figure.__dict__["savefig"]
    first = MplCapture(run.core).start()
    second = MplCapture(other.core).start()
    assert second.patches == [] and len(first.patches) == 3
    plt.figure("shared").add_subplot().plot([0, 1], [1, 0])
    plt.show()
    second.stop()  # nothing of its own to undo: the first run's patches stay
    assert plt.show is not show
    first.stop()
    assert (plt.show, Figure.__dict__["show"], Figure.__dict__["savefig"]) == (show, fshow, fsave)
    assert [p["title"] for p in run.plots()] == ["shared"] and other.plots() == []
