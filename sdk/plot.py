"""``ringlog.plot``: W&B-style preset charts over a ``ringlog.Table``, logged with ``ringlog.log``.

    table = ringlog.Table(columns=["x", "y"], data=[[0, 1.0], [1, 0.5]])
    ringlog.log({"curve": ringlog.plot.line(table, "x", "y", title="Loss curve")})

Each function returns a :class:`Chart` (a plotly figure plus the table it was drawn from); it is
not a dict on purpose, so ``ringlog.log`` does not flatten it into nested keys. Costs: O(rows).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import functools

from ._lenient import absorbed
from .errors import LoggingError, type_error, value_error
from .plotdata import Table

__all__ = ["Chart", "line", "scatter", "bar", "histogram", "line_series"]


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
