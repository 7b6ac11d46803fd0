"""``ringlog.plot``: W&B-style preset charts, logged with ``ringlog.log``.

``line``, ``scatter``, ``bar``, ``histogram`` draw columns of a ``ringlog.Table``; ``line_series``
draws arrays; ``confusion_matrix``, ``roc_curve`` and ``pr_curve`` take class indices and
probabilities (one-vs-rest curves with a threshold at every distinct score; O(n log n) per class).

    table = ringlog.Table(columns=["x", "y"], data=[[0, 1.0], [1, 0.5]])
    ringlog.log({"curve": ringlog.plot.line(table, "x", "y", title="Loss curve")})

Each function returns a :class:`Chart` (a plotly figure plus the table it was drawn from); it is
not a dict on purpose, so ``ringlog.log`` does not flatten it into nested keys. Costs: O(rows).
"""

from __future__ import annotations

import functools
from typing import Any, Optional, Sequence

import numpy as np

from .._engine.lenient import absorbed
from ..errors import LoggingError, type_error, value_error
from .plotdata import Table

__all__ = ["Chart", "line", "scatter", "bar", "histogram", "line_series", "confusion_matrix", "roc_curve",
           "pr_curve"]


class Chart:
    """A plotly figure dict (``.figure``) and the ``Table`` behind it (``.table``, may be None).

    ``_invalid`` holds the message when a preset got bad input in lenient mode (logged as nothing).
    """

    def __init__(self, figure: dict, table: Optional[Table] = None, invalid: Optional[str] = None) -> None:
        self.figure = figure
        self.table = table
        self._invalid = invalid

    def to_plotly_json(self) -> dict:
        return self.figure

    def __repr__(self) -> str:
        kinds = ",".join(t.get("type", "?") for t in self.figure.get("data", []))
        return f"<ringlog.plot.Chart {kinds}>"


def _preset(fn):
    """Bad input raises (strict mode, or no run open) or becomes the run's warning and an empty Chart."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Chart:
        try:
            return fn(*args, **kwargs)
        except LoggingError as exc:
            if not absorbed(exc, f"ringlog.plot.{fn.__name__}"):
                raise
            return Chart({"data": [], "layout": {}}, None, str(exc))

    return wrapper


def _table(table: Any) -> Table:
    if not isinstance(table, Table):
        raise type_error("table", "must be a ringlog.Table", table)
    return table


def _col(table: Table, name: Any, argument: str) -> list:
    if name not in table.columns:
        raise value_error(argument, f"must name a column of the table ({', '.join(table.columns)})", name)
    return table.get_column(name)


def _layout(title: str, x: str, y: str) -> dict:
    return {"title": {"text": title}, "xaxis": {"title": {"text": x}}, "yaxis": {"title": {"text": y}}}


@_preset
def line(table: Table, x: str, y: str, stroke: Optional[str] = None, title: str = "", **_: Any) -> Chart:
    """One line of ``y`` against ``x``; with ``stroke`` (a column) one line per distinct stroke value."""
    t = _table(table)
    xs, ys = _col(t, x, "x"), _col(t, y, "y")
    if stroke is None:
        data = [{"type": "scatter", "mode": "lines", "x": xs, "y": ys, "name": y}]
    else:
        groups: dict = {}
        for k, a, b in zip(_col(t, stroke, "stroke"), xs, ys):
            g = groups.setdefault(k, ([], []))
            g[0].append(a)
            g[1].append(b)
        data = [{"type": "scatter", "mode": "lines", "x": a, "y": b, "name": str(k)} for k, (a, b) in groups.items()]
    return Chart({"data": data, "layout": _layout(title, x, y)}, t)


@_preset
def scatter(table: Table, x: str, y: str, title: str = "", **_: Any) -> Chart:
    t = _table(table)
    return Chart({"data": [{"type": "scatter", "mode": "markers", "x": _col(t, x, "x"), "y": _col(t, y, "y")}],
                  "layout": _layout(title, x, y)}, t)


@_preset
def bar(table: Table, label: str, value: str, title: str = "", **_: Any) -> Chart:
    t = _table(table)
    return Chart({"data": [{"type": "bar", "x": [str(v) for v in _col(t, label, "label")],
                            "y": _col(t, value, "value")}], "layout": _layout(title, label, value)}, t)


@_preset
def histogram(table: Table, value: str, title: str = "", **_: Any) -> Chart:
    """Plotly bins the column client-side (as W&B's preset does)."""
    t = _table(table)
    return Chart({"data": [{"type": "histogram", "x": _col(t, value, "value")}],
                  "layout": _layout(title, value, "count")}, t)


@_preset
def line_series(xs: Sequence[Any], ys: Sequence[Sequence[Any]], keys: Optional[Sequence[str]] = None,
                title: str = "", xname: str = "x", **_: Any) -> Chart:
    """Several lines over shared ``xs`` (or one ``xs`` per line); ``keys`` names them."""
    ys = [list(y) for y in ys]
    if keys is not None and len(keys) != len(ys):
        raise value_error("keys", f"must have one name per line ({len(ys)})", keys)
    multi_x = len(xs) == len(ys) and all(isinstance(x, (list, tuple)) or hasattr(x, "__len__") and
                                         not isinstance(x, str) for x in xs)
    data = []
    for i, y in enumerate(ys):
        x = list(xs[i]) if multi_x else list(xs)
        if len(x) != len(y):
            raise value_error("ys", f"line {i} must have as many points as xs ({len(x)})", len(y))
        data.append({"type": "scatter", "mode": "lines", "x": x, "y": y,
                     "name": str(keys[i]) if keys is not None else f"line_{i}"})
    return Chart({"data": data, "layout": _layout(title, xname, "")})


def _labels_and_classes(y_true: Any, class_names: Optional[Sequence[str]], n_hint: int, argument: str):
    y = np.asarray(y_true)
    if y.ndim != 1 or y.size == 0 or y.dtype.kind not in "iub":
        raise type_error(argument, "must be a non-empty 1-D sequence of integer class indices", y_true)
    n = len(class_names) if class_names is not None else max(int(y.max()) + 1, n_hint)
    if y.min() < 0 or y.max() >= n:
        raise value_error(argument, f"class indices must be in 0..{n - 1}", f"{int(y.min())}..{int(y.max())}")
    names = [str(c) for c in class_names] if class_names is not None else [str(i) for i in range(n)]
    return y.astype(np.int64), names


def _probas(probs: Any, n_rows: int):
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] != n_rows:
        raise value_error("probs", f"must be a 2-D array (samples, classes) with {n_rows} rows", f"shape {p.shape}")
    return p


@_preset
def confusion_matrix(probs: Any = None, y_true: Any = None, preds: Any = None,
                     class_names: Optional[Sequence[str]] = None, title: str = "", **_: Any) -> Chart:
    """Counts of (actual, predicted) pairs as an annotated heatmap; ``preds`` or ``probs`` (argmax)."""
    if (preds is None) == (probs is None):
        raise value_error("preds", "give exactly one of preds or probs", "both" if preds is not None else None)
    if preds is None:
        yn = len(np.asarray(y_true).ravel()) if y_true is not None else 0
        preds = np.argmax(_probas(probs, yn), axis=1)
    y, names = _labels_and_classes(y_true, class_names, 0, "y_true")
    p = np.asarray(preds)
    if p.shape != y.shape or p.dtype.kind not in "iub":
        raise value_error("preds", f"must be {len(y)} integer class indices like y_true", f"shape {p.shape}")
    n = len(names)
    if p.min() < 0 or p.max() >= n:
        raise value_error("preds", f"class indices must be in 0..{n - 1}", f"{int(p.min())}..{int(p.max())}")
    m = np.zeros((n, n), dtype=np.int64)
    np.add.at(m, (y, p.astype(np.int64)), 1)
    fig = {"data": [{"type": "heatmap", "z": m.tolist(), "x": names, "y": names, "colorscale": "Blues",
                     "text": m.tolist(), "texttemplate": "%{text}"}],
           "layout": {**_layout(title, "Predicted", "Actual"),
                      "yaxis": {"title": {"text": "Actual"}, "autorange": "reversed", "type": "category"}}}
    fig["layout"]["xaxis"]["type"] = "category"
    return Chart(fig)


def _curve(y_true: Any, probs: Any, labels, classes_to_plot, kind: str, title: str) -> Chart:
    y, names = _labels_and_classes(y_true, labels, 0, "y_true")
    p = _probas(probs, len(y))
    if labels is None:
        names = [str(i) for i in range(p.shape[1])]
    if len(names) != p.shape[1]:
        raise value_error("labels", f"must name each of the {p.shape[1]} probability columns", names)
    wanted = range(p.shape[1]) if classes_to_plot is None else classes_to_plot
    data = []
    for c in wanted:
        if not isinstance(c, (int, np.integer)) or not 0 <= c < p.shape[1]:
            raise value_error("classes_to_plot", f"must hold column indices in 0..{p.shape[1] - 1}", c)
        pos = y == c
        if not pos.any():
            continue
        order = np.argsort(-p[:, c], kind="stable")
        tp = np.cumsum(pos[order])
        fp = np.cumsum(~pos[order])
        if kind == "roc":
            x = np.concatenate([[0.0], fp / max(1, int((~pos).sum()))])
            yv = np.concatenate([[0.0], tp / int(pos.sum())])
        else:
            x = np.concatenate([[0.0], tp / int(pos.sum())])
            yv = np.concatenate([[1.0], tp / (tp + fp)])
        data.append({"type": "scatter", "mode": "lines", "x": x.tolist(), "y": yv.tolist(), "name": names[c]})
    axes = ("False positive rate", "True positive rate") if kind == "roc" else ("Recall", "Precision")
    return Chart({"data": data, "layout": _layout(title, *axes)})


@_preset
def roc_curve(y_true: Any, y_probas: Any, labels: Optional[Sequence[str]] = None, classes_to_plot=None,
              title: str = "ROC", **_: Any) -> Chart:
    """One-vs-rest ROC curve per class from true class indices and (samples, classes) probabilities."""
    return _curve(y_true, y_probas, labels, classes_to_plot, "roc", title)


@_preset
def pr_curve(y_true: Any, y_probas: Any, labels: Optional[Sequence[str]] = None, classes_to_plot=None,
             title: str = "Precision v. Recall", **_: Any) -> Chart:
    """One-vs-rest precision-recall curve per class (thresholds at every distinct score)."""
    return _curve(y_true, y_probas, labels, classes_to_plot, "pr", title)
