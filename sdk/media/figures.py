"""Figures to plotly JSON: plotly figures/dicts as they are, matplotlib figures converted or rasterised.

``plotly_dict(obj)`` accepts a plotly ``Figure`` (anything with ``to_plotly_json``/``to_dict``) or a
dict with a "data" list; returns a plain dict with "data" and "layout".

``matplotlib_to_plotly(fig)`` converts what maps faithfully onto plotly: per axes, lines
(``Line2D``, with colour, width, dash, step style and markers), scatter collections, bar containers,
axis labels and limits, log scales, fixed or categorical tick labels, titles and legend labels;
several axes become subplots placed where matplotlib put them (domains from the axes' positions),
and twin axes overlay their partner with the axis on the other side.
Anything else (images, contours, 3-D axes, patches outside bars, annotations) returns None, so
the caller stores a PNG instead (``figure_png``); :func:`figure_payload` makes that choice for every
caller (W&B ``log``, ClearML ``report_matplotlib_figure``, the matplotlib and TensorBoard captures).
Matplotlib is imported only to classify artists, and only if the figure came from it.
"""

from __future__ import annotations

import io
import types
import warnings
from typing import Any, Optional

import numpy as np

from ..errors import type_error

_DASH = {"--": "dash", ":": "dot", "-.": "dashdot", "-": "solid"}
_STEPS = {"steps": "vh", "steps-pre": "vh", "steps-post": "hv", "steps-mid": "hvh"}
_MARKER = {"o": "circle", "s": "square", "^": "triangle-up", "v": "triangle-down", "x": "x", "+": "cross",
           "D": "diamond", "d": "diamond", "*": "star", ".": "circle", "<": "triangle-left",
           ">": "triangle-right", "p": "pentagon", "h": "hexagon"}


def is_pyplot(obj: Any) -> bool:
    """``matplotlib.pyplot`` itself, which ClearML's ``report_matplotlib_figure(figure=plt)`` and W&B's
    ``log({"chart": plt})`` accept for "the current figure"."""
    return isinstance(obj, types.ModuleType) and obj.__name__ == "matplotlib.pyplot"


def is_matplotlib_figure(obj: Any) -> bool:
    """A matplotlib Figure, or the pyplot module (its current figure; see :func:`as_figure`)."""
    if is_pyplot(obj):
        return True
    mod = type(obj).__module__
    return mod.startswith("matplotlib.") and hasattr(obj, "savefig")


def as_figure(obj: Any) -> Any:
    """The Figure meant by ``obj``: the pyplot module stands for its current figure (``plt.gcf()``)."""
    return obj.gcf() if is_pyplot(obj) else obj


def image_plot(png: bytes, title: str = "") -> dict:
    """A plotly figure showing a PNG as a static picture (no axes): ClearML's "non-interactive"
    matplotlib plot, kept in Plots rather than Debug samples. The picture is inlined as a data URI
    (the viewer's CSP allows ``data:`` images), so the plot record is self-contained. Cost: base64
    of the PNG (+33 % of its size) in the plot record."""
    import base64  # deferred: only for a non-interactive figure

    width, height = _png_size(png)
    return {"data": [], "layout": {
        "title": {"text": title},
        "xaxis": {"visible": False, "range": [0, width]},
        "yaxis": {"visible": False, "range": [0, height], "scaleanchor": "x"},
        "images": [{"source": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
                    "xref": "x", "yref": "y", "x": 0, "y": height, "sizex": width, "sizey": height,
                    "sizing": "contain", "layer": "below"}],
        "showlegend": False}}


def _png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; (640, 480) for anything else."""
    if len(png) >= 24 and png[:8] == b"\x89PNG\r\n\x1a\n":
        return int.from_bytes(png[16:20], "big") or 640, int.from_bytes(png[20:24], "big") or 480
    return 640, 480


def is_plotly(obj: Any) -> bool:
    if isinstance(obj, dict):
        return isinstance(obj.get("data"), (list, tuple))
    return hasattr(obj, "to_plotly_json") or (type(obj).__module__.startswith("plotly.") and hasattr(obj, "to_dict"))


def plotly_dict(obj: Any, argument: str = "figure") -> dict:
    """Plain plotly JSON dict of a plotly figure or figure dict; TypeError naming ``argument`` otherwise."""
    if isinstance(obj, dict):
        if not isinstance(obj.get("data"), (list, tuple)):
            raise type_error(argument, "must be a plotly figure or a dict with a 'data' list of traces", obj)
        out = dict(obj)
        out["data"] = list(obj["data"])
        out.setdefault("layout", {})
        return out
    if hasattr(obj, "to_plotly_json"):
        d = obj.to_plotly_json()
    elif type(obj).__module__.startswith("plotly.") and hasattr(obj, "to_dict"):
        d = obj.to_dict()
    else:
        raise type_error(argument, "must be a plotly figure, a plotly figure dict or a matplotlib figure", obj)
    if not isinstance(d, dict) or not isinstance(d.get("data"), (list, tuple)):
        raise type_error(argument, "must convert to a dict with a 'data' list of traces", obj)
    lay = dict(d.get("layout") or {})
    if "template" in lay and _is_default_template(lay["template"]):
        del lay["template"]  # plotly's default template: ~10 KB per figure the viewer re-applies anyway
    d = {**d, "layout": lay}
    return {"data": list(d["data"]), "layout": d.get("layout") or {}, **({"frames": d["frames"]}
                                                                     if d.get("frames") else {})}


def _is_default_template(tpl: Any) -> bool:
    try:
        import plotly.io as pio  # deferred: plotly is optional, asked only for a plotly figure

        default = pio.templates[pio.templates.default]
        return tpl == default.to_plotly_json()
    except Exception:  # plotly missing or an odd template: keep it
        return False


def figure_png(fig: Any, dpi: Optional[float] = None, tight: bool = True) -> bytes:
    """PNG of a matplotlib figure (one render). ``dpi`` None: matplotlib's ``savefig.dpi``;
    ``tight``: crop to the drawn content (``bbox_inches="tight"``), else the figure's own size."""
    buf = io.BytesIO()
    fig = as_figure(fig)
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    return buf.getvalue()


def figure_payload(fig: Any, *, interactive: bool = True, dpi: Optional[float] = None, tight: bool = True,
                   lenient: bool = False) -> tuple[str, Any]:
    """("plotly", figure dict) when ``interactive`` and the figure converts (:func:`matplotlib_to_plotly`),
    else ("png", bytes) from :func:`figure_png`. ``lenient`` (the captures' mode, where the user never
    asked for a plot): the converter's warnings are silenced, and a figure it fails on or that gives
    no trace is stored as the PNG instead of raising or storing an empty plot."""
    fig = as_figure(fig)
    if interactive:
        try:
            if lenient:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # a converter warning is not the user's concern here
                    out = matplotlib_to_plotly(fig)
            else:
                out = matplotlib_to_plotly(fig)
        except Exception:  # lenient only: any converter failure falls back to the PNG below
            if not lenient:
                raise
            out = None
        if out is not None and (out.get("data") or not lenient):
            return "plotly", out
    return "png", figure_png(fig, dpi, tight)


def _color(c: Any) -> Optional[str]:
    try:
        from matplotlib.colors import to_rgba  # deferred: matplotlib only for a matplotlib figure

        r, g, b, a = to_rgba(c)
    except (ValueError, TypeError):
        return None
    return f"rgba({round(r * 255)},{round(g * 255)},{round(b * 255)},{a:.3g})"


def _label(artist: Any) -> Optional[str]:
    lab = artist.get_label()
    return None if not lab or lab.startswith("_") else str(lab)


def _floats(a: Any) -> list:
    """Numbers as floats (NaN/Inf/masked -> None); categorical data (strings) as str."""
    try:
        arr = np.ma.filled(np.ma.asarray(a, dtype=np.float64), np.nan).ravel()
    except (TypeError, ValueError):
        return [str(v) for v in np.asarray(a, dtype=object).ravel()]
    return [None if not np.isfinite(v) else float(v) for v in arr]


def _ticks(axis: Any) -> dict:
    """Fixed or categorical tick labels as plotly tickvals/ticktext (numeric ticks are left to plotly)."""
    fmt = axis.get_major_formatter()
    if type(fmt).__name__ not in ("FixedFormatter", "StrCategoryFormatter"):
        return {}
    locs = list(axis.get_majorticklocs())
    try:
        text = [str(fmt(v, i)) for i, v in enumerate(locs)]
    except Exception:  # a formatter that needs a drawn figure: keep plotly's numeric ticks
        return {}
    return {"tickmode": "array", "tickvals": [float(v) for v in locs], "ticktext": text}


def matplotlib_to_plotly(fig: Any) -> Optional[dict]:
    """Plotly dict for simple 2-D matplotlib figures, or None when something would be lost."""
    from matplotlib.axes import Axes  # deferred (these five): matplotlib only for a matplotlib figure
    from matplotlib.collections import PathCollection
    from matplotlib.container import BarContainer
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    fig = as_figure(fig)
    traces: list = []
    layout: dict = {"showlegend": False}
    axes = [ax for ax in fig.get_axes() if ax.get_visible()]
    if not axes:
        return None
    suptitle = getattr(fig, "_suptitle", None)
    if suptitle is not None and suptitle.get_text():
        layout["title"] = {"text": suptitle.get_text()}
    annotations = []
    for i, ax in enumerate(axes):
        if type(ax) is not Axes and type(ax).__name__ != "Axes":
            return None  # 3-D, polar, geo axes
        if ax.images or ax.tables or ax.texts:
            return None  # images, tables and free text do not map onto plotly faithfully
        bar_patches = {id(p) for c in ax.containers if isinstance(c, BarContainer) for p in c.patches}
        if any(id(p) not in bar_patches for p in ax.patches):
            return None
        if any(not isinstance(c, PathCollection) for c in ax.collections):
            return None
        suffix = "" if i == 0 else str(i + 1)
        xref, yref = "x" + suffix, "y" + suffix
        box = ax.get_position()
        xa = {"domain": [max(0.0, box.x0), min(1.0, box.x1)], "anchor": yref,
              "title": {"text": ax.get_xlabel()}, "type": "log" if ax.get_xscale() == "log" else "linear",
              "showgrid": any(gl.get_visible() for gl in ax.xaxis.get_gridlines())}
        ya = {"domain": [max(0.0, box.y0), min(1.0, box.y1)], "anchor": xref,
              "title": {"text": ax.get_ylabel()}, "type": "log" if ax.get_yscale() == "log" else "linear",
              "showgrid": any(gl.get_visible() for gl in ax.yaxis.get_gridlines())}
        if ax.get_xscale() not in ("linear", "log") or ax.get_yscale() not in ("linear", "log"):
            return None
        if ax.get_xscale() == "linear":
            xa["range"] = [float(v) for v in ax.get_xlim()]
        if ax.get_yscale() == "linear":
            ya["range"] = [float(v) for v in ax.get_ylim()]
        xa.update(_ticks(ax.xaxis))
        ya.update(_ticks(ax.yaxis))
        for j in range(i):  # twinx/twiny: same box as an earlier axes -> overlay it, axis on the other side
            if axes[j].get_position().bounds == box.bounds:
                other = "" if j == 0 else str(j + 1)
                if ax.get_shared_x_axes().joined(ax, axes[j]):
                    ya.update({"overlaying": "y" + other, "side": "right", "anchor": "x" + suffix})
                    xa.update({"overlaying": "x" + other, "visible": False})
                else:
                    xa.update({"overlaying": "x" + other, "side": "top", "anchor": "y" + suffix})
                    ya.update({"overlaying": "y" + other, "visible": False})
                break
        layout["xaxis" + suffix], layout["yaxis" + suffix] = xa, ya
        if ax.get_title():
            annotations.append({"text": ax.get_title(), "xref": "paper", "yref": "paper", "showarrow": False,
                                "x": (box.x0 + box.x1) / 2, "y": min(1.0, box.y1), "yanchor": "bottom",
                                "xanchor": "center"})
        for line in ax.get_lines():
            if not isinstance(line, Line2D) or not line.get_visible():
                continue
            ls = line.get_linestyle()
            mk = line.get_marker()
            has_line = ls not in ("None", " ", "", "none")
            has_marker = mk not in (None, "None", " ", "", "none")
            mode = "+".join([m for m, on in (("lines", has_line), ("markers", has_marker)) if on]) or "lines"
            tr = {"type": "scatter", "mode": mode, "x": _floats(line.get_xdata(orig=False)),
                  "y": _floats(line.get_ydata(orig=False)),
                  "xaxis": xref, "yaxis": yref, "name": _label(line) or "", "showlegend": _label(line) is not None,
                  "line": {"color": _color(line.get_color()), "width": line.get_linewidth() * 1.33,
                           "dash": _DASH.get(ls, "solid"), "shape": _STEPS.get(line.get_drawstyle(), "linear")}}
            if has_marker:
                tr["marker"] = {"symbol": _MARKER.get(str(mk), "circle"),
                                "size": line.get_markersize() * 1.33, "color": _color(line.get_markerfacecolor())}
            traces.append(tr)
        for coll in ax.collections:
            off = np.asarray(coll.get_offsets())
            if off.ndim != 2 or off.shape[1] != 2:
                return None
            fc = coll.get_facecolors()
            sizes = coll.get_sizes()
            tr = {"type": "scatter", "mode": "markers", "x": _floats(off[:, 0]), "y": _floats(off[:, 1]),
                  "xaxis": xref, "yaxis": yref, "name": _label(coll) or "", "showlegend": _label(coll) is not None,
                  "marker": {}}
            if len(fc) == 1:
                tr["marker"]["color"] = _color(fc[0])
            elif len(fc) == len(off):
                tr["marker"]["color"] = [_color(c) for c in fc]
            if len(sizes):
                tr["marker"]["size"] = float(np.sqrt(sizes[0])) * 1.33 if len(sizes) == 1 else \
                    [float(s) for s in np.sqrt(sizes) * 1.33]
            traces.append(tr)
        for cont in ax.containers:
            if not isinstance(cont, BarContainer) or not cont.patches:
                continue
            rects = [p for p in cont.patches if isinstance(p, Rectangle)]
            horizontal = getattr(cont, "orientation", "vertical") == "horizontal"
            if horizontal:
                pos = [r.get_y() + r.get_height() / 2 for r in rects]
                val = [r.get_width() for r in rects]
                width = [r.get_height() for r in rects]
                base = [r.get_x() for r in rects]
            else:
                pos = [r.get_x() + r.get_width() / 2 for r in rects]
                val = [r.get_height() for r in rects]
                width = [r.get_width() for r in rects]
                base = [r.get_y() for r in rects]
            label = _label(cont)
            tr = {"type": "bar", "orientation": "h" if horizontal else "v", "xaxis": xref, "yaxis": yref,
                  "x": val if horizontal else pos, "y": pos if horizontal else val, "width": width, "base": base,
                  "name": label or "", "showlegend": label is not None,
                  "marker": {"color": _color(rects[0].get_facecolor())}}
            traces.append(tr)
        if ax.get_legend() is not None:
            layout["showlegend"] = True
    if annotations:
        layout["annotations"] = annotations
    layout["barmode"] = "overlay"
    w, h = fig.get_size_inches() * fig.dpi
    layout["width"], layout["height"] = int(w), int(h)
    return {"data": traces, "layout": layout}
