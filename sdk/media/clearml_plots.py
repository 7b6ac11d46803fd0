"""Plotly figure builders for ClearML's ``Logger.report_*`` plots (pure functions, validated input).

Each builder checks its arrays (numbers only, the documented shape; errors name the argument, the
rule and what was given) and returns a plotly figure dict. Non-finite numbers are kept as NaN here;
the store writes them as JSON null, which plotly draws as a gap. Costs: O(values).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from ..errors import type_error, value_error
from .convert import to_numpy


def numeric(values: Any, argument: str, ndim: Sequence[int] = (1,), last: Optional[int] = None) -> np.ndarray:
    """float64 array of ``values`` with ``ndim`` in the allowed set (and last dimension ``last``)."""
    arr = to_numpy(values)
    if arr is None:
        try:
            arr = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise type_error(argument, "must be an array or sequence of real numbers", values) from None
    if arr.dtype.kind not in "biuf":
        raise type_error(argument, "must hold real numbers", f"array of dtype {arr.dtype}")
    if arr.ndim not in ndim or (last is not None and arr.shape[-1] != last) or arr.size == 0:
        want = " or ".join(f"{d}-D" for d in ndim) + " array" + (f" with last dimension {last}" if last else "")
        raise value_error(argument, f"must be a non-empty {want}", f"shape {arr.shape}")
    return arr.astype(np.float64)


def _labels(labels: Any, n: int, argument: str) -> Optional[list]:
    if labels is None:
        return None
    if isinstance(labels, str) or not hasattr(labels, "__len__"):
        raise type_error(argument, "must be a list of labels", labels)
    if len(labels) != n:
        raise value_error(argument, f"must have one label per value ({n})", f"{len(labels)} labels")
    return [str(x) for x in labels]


def _axis(title: Optional[str]) -> dict:
    return {"title": {"text": title or ""}}


def layout(title: str, xaxis: Optional[str] = None, yaxis: Optional[str] = None, comment: Optional[str] = None,
           extra_layout: Optional[dict] = None, **more: Any) -> dict:
    """Common layout; ``extra_layout`` (a dict) is merged on top, one level deep for nested dicts."""
    text = title if not comment else f"{title}<br><sup>{comment}</sup>"
    out: dict = {"title": {"text": text}, "xaxis": _axis(xaxis), "yaxis": _axis(yaxis), **more}
    if extra_layout is not None:
        if not isinstance(extra_layout, dict):
            raise type_error("extra_layout", "must be a dict of plotly layout settings", extra_layout)
        for k, v in extra_layout.items():
            out[k] = {**out[k], **v} if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def histogram(title: str, series: str, values: Any, labels=None, xlabels=None, xaxis=None, yaxis=None,
              mode=None, data_args=None, extra_layout=None) -> dict:
    """Bars of ``values``, as ClearML lays them out: each *row* is one bar trace (a 1-D array is one
    row), each column one bin. ``labels`` name the rows (the legend; default: every row is named
    ``series``), ``xlabels`` the bins (the x axis; default 0..n-1). ``mode``: group/stack/relative.
    (clearml/utilities/plotly_reporter.py, create_2d_histogram_plot: ``np_row_wise``.)"""
    arr = numeric(values, "values", (1, 2))
    if mode not in (None, "group", "stack", "relative"):
        raise value_error("mode", "must be one of group, stack, relative", mode)
    rows = np.atleast_2d(arr)
    n_rows, n_bins = rows.shape
    x = _labels(xlabels, n_bins, "xlabels") or list(range(n_bins))
    if labels is not None and xlabels is not None and not isinstance(labels, str) \
            and hasattr(labels, "__len__") and len(labels) == 1:
        labels = list(labels) * n_rows  # one legend name for every row, as ClearML does with xlabels
    if labels is not None and not isinstance(labels, str) and hasattr(labels, "__len__") \
            and len(labels) != n_rows:
        raise value_error("labels", f"must name each row of values ({n_rows} row(s); columns are the bins, "
                          "named by xlabels)", f"{len(labels)} labels")
    names = _labels(labels, n_rows, "labels") or [series] * n_rows
    if data_args is not None and not isinstance(data_args, dict):
        raise type_error("data_args", "must be a dict of plotly trace settings", data_args)
    data = []
    for name, row in zip(names, rows):
        tr = {"type": "bar", "x": x, "y": row.tolist(), "name": name}
        if data_args is not None:
            tr.update(data_args)
        data.append(tr)
    return {"data": data, "layout": layout(title, xaxis, yaxis, None, extra_layout, barmode=mode or "group")}


def _xy_trace(arr: np.ndarray, name: str, mode: str, labels: Any, argument: str) -> dict:
    tr = {"type": "scatter", "mode": mode, "x": arr[:, 0].tolist(), "y": arr[:, 1].tolist(), "name": name}
    hover = _labels(labels, len(arr), argument)
    if hover:
        tr["text"] = hover
    return tr


def _mode(mode: Any) -> str:
    ok = {"lines", "markers", "lines+markers", "markers+lines", "text", "lines+text", "markers+text",
          "lines+markers+text"}
    if mode not in ok:
        raise value_error("mode", "must be 'lines', 'markers' or 'lines+markers'", mode)
    return mode


def scatter2d(title: str, series: str, scatter: Any, xaxis=None, yaxis=None, labels=None, mode="lines",
              comment=None, extra_layout=None) -> dict:
    arr = numeric(scatter, "scatter", (2,), 2)
    return {"data": [_xy_trace(arr, series, _mode(mode), labels, "labels")],
            "layout": layout(title, xaxis, yaxis, comment, extra_layout)}


def line_plot(title: str, series: Any, xaxis=None, yaxis=None, mode="lines", reverse_xaxis=False, comment=None,
              extra_layout=None) -> dict:
    """``series``: a list of SeriesInfo / (name, data[, labels]) / {"name", "data", "labels"}; data is N x 2."""
    if not isinstance(series, (list, tuple)) or not series:
        raise type_error("series", "must be a non-empty list of SeriesInfo(name, data, labels)", series)
    data = []
    for i, s in enumerate(series):
        if isinstance(s, dict):
            name, d, lab = s.get("name"), s.get("data"), s.get("labels")
        elif hasattr(s, "name") and hasattr(s, "data"):
            name, d, lab = s.name, s.data, getattr(s, "labels", None)
        elif isinstance(s, (list, tuple)) and len(s) in (2, 3):
            name, d, lab = s[0], s[1], s[2] if len(s) == 3 else None
        else:
            raise type_error(f"series[{i}]", "must be SeriesInfo(name, data, labels)", s)
        arr = numeric(d, f"series[{i}].data", (2,), 2)
        data.append(_xy_trace(arr, str(name), _mode(mode), lab, f"series[{i}].labels"))
    lay = layout(title, xaxis, yaxis, comment, extra_layout)
    if reverse_xaxis:
        lay["xaxis"]["autorange"] = "reversed"
    return {"data": data, "layout": lay}


def _is_series_list(scatter: Any) -> bool:
    """ClearML's multi-series form of ``report_scatter3d``: a list whose items are point arrays
    (numpy arrays, or lists of (x, y, z) lists), one trace each."""
    if not isinstance(scatter, list) or not scatter:
        return False
    first = scatter[0]
    return isinstance(first, np.ndarray) or (isinstance(first, list) and bool(first) and isinstance(first[0], list))


def scatter3d(title: str, series: Any, scatter: Any, xaxis=None, yaxis=None, zaxis=None, labels=None,
              mode="markers", fill=False, comment=None, extra_layout=None) -> dict:
    """An N x 3 array of points, or a list of such arrays (one trace each; ``series`` may then be a
    list of trace names and ``labels`` a list of per-trace label lists), as ClearML's
    ``report_3d_scatter`` (clearml/backend_interface/metrics/reporter.py)."""
    many = _is_series_list(scatter)
    arrays = scatter if many else [scatter]
    names = series if isinstance(series, (list, tuple)) else [series] * len(arrays)
    if len(names) != len(arrays):
        raise value_error("series", f"must name each of the {len(arrays)} point arrays", f"{len(names)} names")
    lab_lists = labels if many and isinstance(labels, list) and labels and isinstance(labels[0], list) \
        else [labels] * len(arrays)
    data = []
    for i, pts in enumerate(arrays):
        arg = f"scatter[{i}]" if many else "scatter"
        arr = numeric(pts, arg, (2,), 3)
        tr = {"type": "scatter3d", "mode": _mode(mode), "x": arr[:, 0].tolist(), "y": arr[:, 1].tolist(),
              "z": arr[:, 2].tolist(), "name": str(names[i])}
        lab = lab_lists[i] if i < len(lab_lists) else lab_lists[-1]
        hover = _labels(lab, len(arr), "labels")
        if hover:
            tr["text"] = hover
        if fill:
            tr["surfaceaxis"] = 2
        data.append(tr)
    lay = layout(title, None, None, comment, extra_layout)
    lay.pop("xaxis"), lay.pop("yaxis")
    lay["scene"] = {"xaxis": _axis(xaxis), "yaxis": _axis(yaxis), "zaxis": _axis(zaxis),
                    **(lay.get("scene") or {})}
    return {"data": data, "layout": lay}


def confusion_matrix(title: str, series: str, matrix: Any, xaxis=None, yaxis=None, xlabels=None, ylabels=None,
                     yaxis_reversed=False, comment=None, extra_layout=None) -> dict:
    arr = numeric(matrix, "matrix", (2,))
    tr = {"type": "heatmap", "z": arr.tolist(), "name": series, "colorscale": "Blues",
          "x": _labels(xlabels, arr.shape[1], "xlabels") or list(range(arr.shape[1])),
          "y": _labels(ylabels, arr.shape[0], "ylabels") or list(range(arr.shape[0])),
          "text": arr.tolist(), "texttemplate": "%{text}"}
    lay = layout(title, xaxis, yaxis, comment, extra_layout)
    lay["xaxis"]["type"] = lay["yaxis"]["type"] = "category"
    if yaxis_reversed:
        lay["yaxis"]["autorange"] = "reversed"
    return {"data": [tr], "layout": lay}


def surface(title: str, series: str, matrix: Any, xaxis=None, yaxis=None, zaxis=None, xlabels=None, ylabels=None,
            camera=None, comment=None, extra_layout=None) -> dict:
    arr = numeric(matrix, "matrix", (2,))
    tr = {"type": "surface", "z": arr.tolist(), "name": series}
    if xlabels is not None:
        tr["x"] = _labels(xlabels, arr.shape[1], "xlabels")
    if ylabels is not None:
        tr["y"] = _labels(ylabels, arr.shape[0], "ylabels")
    lay = layout(title, None, None, comment, extra_layout)
    lay.pop("xaxis"), lay.pop("yaxis")
    scene = {"xaxis": _axis(xaxis), "yaxis": _axis(yaxis), "zaxis": _axis(zaxis)}
    if camera is not None:
        cam = numeric(camera, "camera", (1,))
        if cam.size != 3:
            raise value_error("camera", "must be an (x, y, z) eye position", camera)
        scene["camera"] = {"eye": {"x": cam[0], "y": cam[1], "z": cam[2]}}
    lay["scene"] = scene
    return {"data": [tr], "layout": lay}
