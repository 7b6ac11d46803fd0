"""Several series of one plot title at one iteration, drawn as ONE graph (ClearML's Plots rule).

ClearML stores a plot per (title, series, iteration) and its web app draws the plots that share a
title and an iteration as one graph with one trace per series: the guide's "two histograms on the
same graph" (two ``report_histogram`` calls, one title) and a multi-series ``report_scatter2d``.
:func:`merge_series` applies that rule to plot records as :func:`ringlog.store.media.read_plots`
returns them, for both readers of plots (the viewer's plots provider and the SDK's
``TaskView.plots()``), so the two cannot disagree.

Only figures whose traces all live on the same kind of axes merge: 2-D cartesian traces (scatter,
bar, ...) with each other, ``scatter3d`` with each other. Tables, heatmaps, surfaces, static images
(``layout.images``) and the store's ``histogram``/``table`` kinds stay apart, and so does every
title with a single series. A series reported twice at one iteration counts once (the later).
Pure function; cost O(records + traces).
"""

from __future__ import annotations

from typing import Any, Optional

_XY = {"scatter", "scattergl", "bar"}


def _family(rec: dict) -> Optional[str]:
    """"xy" or "3d" for a figure that may share a graph, else None."""
    if (rec.get("kind") or "plotly") != "plotly":
        return None
    fig = rec.get("figure") or {}
    traces = fig.get("data") or []
    if not traces or (fig.get("layout") or {}).get("images"):
        return None
    kinds = {str(t.get("type") or "scatter") if isinstance(t, dict) else None for t in traces}
    if kinds <= _XY:
        return "xy"
    if kinds == {"scatter3d"}:
        return "3d"
    return None


def merge_series(records: list[dict]) -> list[dict]:
    """``records`` (in write order) with the plots of each mergeable title combined per iteration.

    A combined record has ``series`` ``""``, ``series_merged`` (the series in first-report order),
    the traces of every series (an unnamed trace is named after its series) and the first series'
    layout with the legend shown; it stands where the title's first record of that iteration stood.
    """
    seen: dict[str, tuple[set, set]] = {}
    for r in records:
        series, fams = seen.setdefault(str(r.get("title")), (set(), set()))
        series.add(r.get("series"))
        fams.add(_family(r))
    merging = {t for t, (series, fams) in seen.items() if len(series) >= 2 and len(fams) == 1 and None not in fams}
    if not merging:
        return list(records)
    out: list[Any] = []
    slots: dict[tuple, dict] = {}
    for r in records:
        title = str(r.get("title"))
        if title not in merging:
            out.append(r)
            continue
        key = (title, r.get("iteration"))
        if key not in slots:
            slots[key] = {}
            out.append(key)
        slots[key][r.get("series")] = r  # insertion order = first report; a re-report replaces
    return [_combine(slots[x]) if isinstance(x, tuple) else x for x in out]


def _combine(by_series: dict) -> dict:
    recs = list(by_series.items())
    first = recs[0][1]
    data = []
    for series, r in recs:
        for t in (r.get("figure") or {}).get("data") or []:
            data.append(t if t.get("name") else {**t, "name": series})
    layout = {**((first.get("figure") or {}).get("layout") or {}), "showlegend": True}
    return {"title": first.get("title"), "series": "", "series_merged": [s for s, _ in recs],
            "iteration": first.get("iteration"), "time": max(r.get("time") or 0 for _, r in recs),
            "kind": "plotly", "figure": {"data": data, "layout": layout}}
