"""Figures: plotly figure -> dict, matplotlib -> plotly where faithful, else None (PNG fallback)."""

from __future__ import annotations

import numpy as np
import pytest

from ringlog.errors import LoggingTypeError
from ringlog.media.figures import is_matplotlib_figure, figure_png, matplotlib_to_plotly, plotly_dict

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture
def fig():
    f, ax = plt.subplots()
    yield f, ax
    plt.close(f)


def test_plotly_figure_and_dict():
    go = pytest.importorskip("plotly.graph_objects")
    d = plotly_dict(go.Figure(go.Bar(x=["a"], y=[1]), layout={"title": {"text": "T"}}))
    assert d["data"][0]["type"] == "bar" and d["layout"]["title"]["text"] == "T"
    assert "template" not in d["layout"]  # the default template is not stored with every figure
    assert plotly_dict({"data": [{"y": [1]}]}) == {"data": [{"y": [1]}], "layout": {}}
    with pytest.raises(LoggingTypeError, match="figure: must be a plotly figure"):
        plotly_dict({"layout": {}})
    with pytest.raises(LoggingTypeError, match="figure"):
        plotly_dict(object())


def test_lines_scatter_bars_convert(fig):
    f, ax = fig
    ax.plot([0, 1, 2], [3.0, np.nan, 5.0], "r--o", label="loss")
    ax.scatter([1, 2], [4, 6], s=25, label="pts")
    ax.bar([0, 1], [2, 3], width=0.5)
    ax.set_xlabel("step")
    ax.set_ylabel("value")
    ax.set_yscale("log")
    ax.set_title("Training")
    ax.legend()
    out = matplotlib_to_plotly(f)
    assert out is not None
    line, pts, bars = out["data"]
    assert line["mode"] == "lines+markers" and line["y"] == [3.0, None, 5.0] and line["name"] == "loss"
    assert line["line"]["dash"] == "dash" and line["line"]["color"].startswith("rgba(255,0,0")
    assert pts["mode"] == "markers" and pts["x"] == [1.0, 2.0] and pts["name"] == "pts"
    assert bars["type"] == "bar" and bars["y"] == [2.0, 3.0] and bars["x"] == [0.0, 1.0]
    lay = out["layout"]
    assert lay["xaxis"]["title"]["text"] == "step" and lay["yaxis"]["type"] == "log"
    assert lay["annotations"][0]["text"] == "Training" and lay["showlegend"] is True


def test_subplots_become_domains():
    f, (a, b) = plt.subplots(1, 2)
    try:
        a.plot([1, 2])
        b.plot([3, 4])
        out = matplotlib_to_plotly(f)
        assert [t["xaxis"] for t in out["data"]] == ["x", "x2"]
        assert out["layout"]["xaxis"]["domain"][1] <= out["layout"]["xaxis2"]["domain"][0]
    finally:
        plt.close(f)


def test_unconvertible_returns_none_and_png_works(fig):
    f, ax = fig
    ax.imshow(np.zeros((3, 3)))
    assert is_matplotlib_figure(f)
    assert matplotlib_to_plotly(f) is None
    assert figure_png(f)[:8] == b"\x89PNG\r\n\x1a\n"


def test_annotations_and_3d_fall_back():
    f, ax = plt.subplots()
    ax.plot([1, 2])
    ax.text(1, 1, "note")
    assert matplotlib_to_plotly(f) is None
    plt.close(f)
    f3 = plt.figure()
    f3.add_subplot(projection="3d").plot([1], [2], [3])
    assert matplotlib_to_plotly(f3) is None
    plt.close(f3)


def test_steps_categories_and_twin_axes():
    f, ax = plt.subplots()
    try:
        ax.step([0, 1, 2], [1, 2, 3], where="post")
        ax.plot(["a", "b", "c"], [3, 1, 2])
        tw = ax.twinx()
        tw.plot([0, 1, 2], [100, 200, 300])
        out = matplotlib_to_plotly(f)
        step, cat, twin = out["data"]
        assert step["line"]["shape"] == "hv" and cat["line"]["shape"] == "linear"
        assert cat["x"] == [0.0, 1.0, 2.0] and out["layout"]["xaxis"]["ticktext"] == ["a", "b", "c"]
        assert twin["yaxis"] == "y2" and out["layout"]["yaxis2"]["overlaying"] == "y"
        assert out["layout"]["yaxis2"]["side"] == "right"
    finally:
        plt.close(f)
