"""What each widget type shows, as JSON for static/widget.js (pure functions over the Store).

* ``scalar``: one chart per metric (title); one trace per (task, variant); x is the iteration,
  seconds from the task's start, or wall time (epoch ms). Each trace comes from the task page's
  pipeline (``scalars.scalar_impl``): decimated by the store (min/max preserving, so a spike never
  disappears), with the min/max envelope ``band`` and the NaN/Inf ``nonfinite`` markers.
* ``plot``: the latest stored plotly figure of each (task, metric, variant).
* ``sample``: debug samples of each (task, metric, variant), every kept iteration (the widget
  shows the latest with an iteration slider).
* ``single``: a table, one row per task, one column per single value (``report_single_value``,
  stored as the scalar title ``Summary``).
* ``parcoords``: parallel coordinates of hyperparameters (``<section>.<name>``) against one
  metric (``<md5 metric>.<md5 variant>``) taking its last, min or max value.

``metrics``/``variants`` filter by name or by MD5 id. Costs: one store read per task and series
shown; scalar traces are capped at ``points`` points each.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .errors import BadRequestError
from .media import media_impl
from .provider import Provider
from .scalars import scalar_impl
from .widget_query import WidgetQuery, last_metrics_by_id, md5

SINGLE_TITLE = "Summary"
_STAT_OF = {"value": "last", "min_value": "min", "max_value": "max"}
CONFIG_SECTIONS = ("General", "Args", "config", "Config", "hyperparameters", "Hyperparameters")


def task_url(task_id: str) -> str:
    return f"/tasks/{task_id}"


def _matches(name: str, wanted: list[str]) -> bool:
    return not wanted or name in wanted or md5(name) in wanted


def _floats(a: Any) -> list[float | None]:
    arr = np.asarray(a, dtype=np.float64)
    return [None if not math.isfinite(v) else v for v in arr.tolist()]


#: widget x axes -> the scalar pipeline's (and the store's decimate) x kinds
_X_KIND = {"iter": "step", "timestamp": "time", "iso_time": "wall"}


def _trace_arrays(payload: dict, scale: float) -> dict[str, Any]:
    """x/y, the min/max envelope band and the NaN/Inf markers of one ``scalar_impl`` answer, as
    JSON lists (x times ``scale``: plotly date axes take epoch milliseconds)."""
    band = payload["band"]
    nf = payload["nonfinite"]
    return {"x": _floats(payload["x"] * scale), "y": _floats(payload["y"]),
            "band": None if band is None else {"x": _floats(band["x"] * scale), "lo": _floats(band["lo"]),
                                               "hi": _floats(band["hi"])},
            "nonfinite": {"x": _floats(np.asarray(nf["x"], np.float64) * scale), "kind": list(nf["kind"]),
                          "count": [int(c) for c in nf["count"]]},
            "raw_count": payload["raw_count"], "exact": payload["exact"], "level": payload["level"],
            "mean": None if not payload.get("mean") else {
                "x": _floats(np.asarray(payload["mean"]["x"], np.float64) * scale),
                "x_last": _floats(np.asarray(payload["mean"]["x_last"], np.float64) * scale),
                "y": _floats(payload["mean"]["y"]), "n": [int(n) for n in payload["mean"]["n"]]}}


def task_entry(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "name": row.get("name") or row["id"], "project": row.get("project"),
            "status": row.get("status"), "url": task_url(row["id"])}


def scalar_data(provider: Provider, rows: list[dict], q: WidgetQuery, points: int, *,
                x_min: float | None = None, x_max: float | None = None, mean: bool = False) -> dict[str, Any]:
    """One chart per metric, one trace per (task, variant): the task page's scalar pipeline
    (``scalars.scalar_impl``), so widgets draw the same envelope band and NaN/Inf markers.
    ``mean``: each trace also gets the bucket means (a widget with ``smoothing`` smooths those, as the
    task page does, so its smoothed line does not move with the zoom)."""
    charts: dict[str, dict[str, Any]] = {}
    multi = len(rows) > 1
    scale = 1000.0 if q.xaxis == "iso_time" else 1.0
    for row in rows:
        reader = provider.reader(task_id=row["id"])
        for title, series in reader.series():
            if title == SINGLE_TITLE or not _matches(title, q.metrics) or not _matches(series, q.variants):
                continue
            # M4 keeps up to 4 points per bucket: points // 4 buckets keep a trace within ``points``
            payload = scalar_impl(reader, title, series, x=_X_KIND[q.xaxis], points=max(points // 4, 4),
                                  x_min=x_min, x_max=x_max, mean=mean)
            label = f"{row.get('name') or row['id']} · {series}" if multi else series
            charts.setdefault(title, {"title": title, "traces": []})["traces"].append(
                {"task": row["id"], "series": series, "name": label, **_trace_arrays(payload, scale)})
    return {"charts": [charts[t] for t in sorted(charts)]}


def plot_data(provider: Provider, rows: list[dict], q: WidgetQuery) -> dict[str, Any]:
    plots = []
    for row in rows:
        latest: dict[tuple[str, str], dict] = {}
        for rec in provider.reader(task_id=row["id"]).plots():
            title, series = str(rec.get("title")), str(rec.get("series"))
            if not _matches(title, q.metrics) or not _matches(series, q.variants):
                continue
            key = (title, series)
            it = rec.get("iteration") or 0
            if key not in latest or it >= (latest[key].get("iteration") or 0):
                latest[key] = rec
        for (title, series), rec in sorted(latest.items()):
            plots.append({"task": row["id"], "task_name": row.get("name"), "title": title, "series": series,
                          "iteration": rec.get("iteration"), "figure": rec.get("figure") or {}})
    return {"plots": plots}


def sample_data(provider: Provider, rows: list[dict], q: WidgetQuery) -> dict[str, Any]:
    """Every kept sample, listed as the task page lists them (URLs by record id)."""
    groups = []
    for row in rows:
        for g in media_impl(provider.reader(task_id=row["id"]), inline_masks=True)["groups"]:
            if _matches(g["title"], q.metrics) and _matches(g["series"], q.variants):
                groups.append({**g, "task": row["id"], "task_name": row.get("name")})
    return {"samples": groups}


def single_data(provider: Provider, rows: list[dict], q: WidgetQuery) -> dict[str, Any]:
    columns: dict[str, None] = {}
    table = []
    for row in rows:
        values = {}
        for (title, series), stats in provider.reader(task_id=row["id"]).last_metrics().items():
            if title == SINGLE_TITLE and _matches(series, q.variants or q.metrics):
                values[series] = stats.get("last")
                columns.setdefault(series)
        table.append({"task": row["id"], "name": row.get("name"), "url": task_url(row["id"]),
                      "values": {k: (v if isinstance(v, (int, float)) and math.isfinite(v) else None)
                                 for k, v in values.items()}})
    return {"columns": sorted(columns), "rows": table}


def _flatten(d: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(d, Mapping):
        for k, v in d.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif prefix:
        out[prefix] = d
    return out


def config_value(config: Any, path: str) -> Any:
    """``<section>.<parameter>`` in a task's config: nested sections, ClearML ``Section/name`` keys,
    or a flat W&B config (where the section is one of CONFIG_SECTIONS)."""
    flat = _flatten(config or {})
    if path in flat:
        return flat[path]
    section, _, name = path.partition(".")
    for key in (f"{section}/{name}", f"{section}.{name}".replace("/", ".")):
        if key in flat:
            return flat[key]
    if section in CONFIG_SECTIONS and name in flat:
        return flat[name]
    return None


def parcoords_data(provider: Provider, rows: list[dict], q: WidgetQuery) -> dict[str, Any]:
    if len(q.metrics) != 1 or q.metrics[0].count(".") != 1:
        raise BadRequestError("metrics", "must be one '<md5 metric>.<md5 variant>' id for parcoords",
                              q.metrics or None)
    metric_id, variant_id = q.metrics[0].split(".")
    params = list(dict.fromkeys(q.variants))
    metric_name = None
    out_rows = []
    skipped = []
    for row in rows:
        reader = provider.reader(task_id=row["id"])
        stats = last_metrics_by_id(reader).get((metric_id, variant_id))
        value = stats.get(_STAT_OF[q.value_type]) if stats else None
        if value is None or not isinstance(value, (int, float)) or not math.isfinite(value):
            skipped.append(row["id"])
            continue
        metric_name = metric_name or f"{stats['title']}/{stats['series']}"
        config = reader.info["config"]
        out_rows.append({"task": row["id"], "name": row.get("name"), "value": float(value),
                         "params": {p: config_value(config, p) for p in params}})
    dims = []
    for p in params:
        vals = [r["params"][p] for r in out_rows]
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in vals)
        if numeric:
            dims.append({"label": p, "values": [float(v) for v in vals]})
        else:
            cats = sorted({str(v) for v in vals})
            dims.append({"label": p, "values": [cats.index(str(v)) for v in vals], "tickvals": list(range(len(cats))),
                         "ticktext": cats})
    return {"metric": metric_name or q.metrics[0], "value_type": q.value_type, "dimensions": dims,
            "values": [r["value"] for r in out_rows], "tasks": [{"id": r["task"], "name": r["name"]} for r in out_rows],
            "skipped": skipped}
