"""Debug samples and plots: listing (pure ``*_impl``) and the file route ``/media/<task>/<id>``.

A sample is named by its :class:`~ringlog.store.MediaRecord` id, the media index's own stable
record number: the listing and the file route use the same id whatever filter the listing used,
and the *store* resolves an id to its file (``TaskReader.media_file``), which must be a regular
file inside the task's ``media/`` folder. So nothing else of the task folder (``zarr.json``,
``tails.bin``, the indexes) can be served, and an index record holding an absolute path, ``..``
or a ``file://`` URI is listed without a URL, never served. Remote URIs and samples stored in
another local folder (``set_default_upload_destination``) are listed, not served (no network, no
file outside the task).

Every media response carries a sandboxing Content-Security-Policy (``security.py``): an HTML or
SVG sample opened directly cannot run script with the viewer's origin. HTML samples are shown
in a sandboxed iframe (``allow-scripts`` only, opaque origin) whose document may not load
anything remote.
"""

from __future__ import annotations

import mimetypes
from urllib.parse import quote

import numpy as np
from flask import Blueprint, send_file

from ringlog.store import MediaNotFoundError, MediaRecord, TaskReader
from ringlog.store.plotmerge import merge_series

from . import provider
from .security import HTML_SAMPLE_CSP, MEDIA_CSP, set_csp

bp = Blueprint("media", __name__)


def media_url(task_id: str, rec: MediaRecord) -> str:
    return f"/media/{quote(task_id)}/{rec.id}"


def media_impl(reader: TaskReader, title: str | None = None, series: str | None = None) -> dict:
    """Kept debug samples grouped by (title, series), each group oldest iteration first.

    ``url`` is set for samples the store will serve, ``uri`` for remote ones. Cost: one scan of
    the media index plus one ``stat`` per sample.
    """
    groups: dict[tuple[str, str], dict] = {}
    for rec in reader.media_records(title, series):
        g = groups.setdefault((rec.title, rec.series), {"title": rec.title, "series": rec.series, "items": []})
        try:
            reader.media_file(rec)
            url = media_url(reader.id, rec)
        except MediaNotFoundError:
            url = None
        g["items"].append({
            "id": rec.id, "iteration": rec.iteration, "kind": rec.kind, "ext": rec.ext,
            "caption": rec.caption, "time": rec.time, "url": url,
            "uri": rec.uri if rec.uri and "://" in rec.uri and not rec.uri.startswith("file:") else None,
        })
    for g in groups.values():
        g["items"].sort(key=lambda it: it["iteration"])
    return {"task": reader.id, "groups": sorted(groups.values(), key=lambda g: (g["title"], g["series"]))}


def plots_impl(reader: TaskReader, title: str | None = None, series: str | None = None, latest: bool = False) -> dict:
    """Stored figures grouped by (title, series): every iteration, or only the latest.

    Each item carries the plotly ``figure`` plus the store's ``kind`` and raw ``data`` (tables:
    columns and rows, drawn as an HTML table; histograms: bins and counts). A group of histograms
    over several iterations also gets ``over_steps``: the distributions resampled onto one common
    grid, for a heatmap of distribution against iteration (as TensorBoard shows them). Plots of
    several series under one title are one group per title (series ``""``, ``series_merged`` lists
    them), one graph per iteration with a trace per series, as ClearML draws them.
    """
    groups: dict[tuple[str, str], dict] = {}
    for rec in merge_series(reader.plots(title, series)):
        key = (str(rec.get("title")), str(rec.get("series")))
        g = groups.setdefault(key, {"title": key[0], "series": key[1], "items": []})
        if rec.get("series_merged"):  # several series of one title: one graph (store/plotmerge.py)
            g["series_merged"] = list(dict.fromkeys(g.get("series_merged", []) + rec["series_merged"]))
        g["items"].append({"iteration": rec.get("iteration"), "time": rec.get("time"),
                           "kind": rec.get("kind") or "plotly", "figure": rec.get("figure") or {},
                           "data": rec.get("data")})
    _link_table_media(reader, [it for g in groups.values() for it in g["items"] if it["kind"] == "table"])
    for g in groups.values():
        g["items"].sort(key=lambda it: (it["iteration"] is None, it["iteration"] or 0))
        g["histogram"] = _is_histogram_group(g["items"])
        g["over_steps"] = histogram_over_steps(g["items"]) if g["histogram"] else None
        if latest:
            g["items"] = g["items"][-1:]
    return {"task": reader.id, "groups": sorted(groups.values(), key=lambda g: (g["title"], g["series"]))}


def _link_table_media(reader: TaskReader, items: list[dict]) -> None:
    """Give each media cell of a table (``{"_type", "title", "series", "iteration", "n"}``, written by
    the SDK's ``table_with_media``) the ``url`` of its sample, when the store still keeps and serves
    it. Cost: one scan of the media index, only when some table holds media."""
    cells = [c for it in items if isinstance(it.get("data"), dict)
             for row in it["data"].get("data") or [] if isinstance(row, list)
             for c in row if isinstance(c, dict) and "_type" in c]
    if not cells:
        return
    urls = {}
    for rec in reader.media_records():
        try:
            reader.media_file(rec)
        except MediaNotFoundError:
            continue
        urls[(rec.title, rec.series, rec.iteration, rec.n)] = (media_url(reader.id, rec), rec.kind, rec.ext)
    for c in cells:
        found = urls.get((c.get("title"), c.get("series"), c.get("iteration"), c.get("n")))
        if found:
            c["url"], c["kind"], c["ext"] = found


def _hist_arrays(it: dict) -> tuple[np.ndarray, np.ndarray] | None:
    """(bin edges, counts) of a histogram item: the store's raw data, else a single bar trace."""
    data = it.get("data")
    if it.get("kind") == "histogram" and isinstance(data, dict):
        try:
            edges = np.asarray(data.get("bins"), dtype=np.float64)
            counts = np.asarray(data.get("counts"), dtype=np.float64)
        except (TypeError, ValueError):
            return None
        if edges.ndim == 1 and counts.ndim == 1 and len(edges) == len(counts) + 1 and len(counts):
            return edges, counts
        return None
    traces = (it.get("figure") or {}).get("data") or []
    if len(traces) == 1 and traces[0].get("type") == "bar":
        try:
            x = np.asarray(traces[0].get("x"), dtype=np.float64)
            y = np.asarray(traces[0].get("y"), dtype=np.float64)
        except (TypeError, ValueError):
            return None
        if x.ndim == 1 and len(x) == len(y) and len(x) >= 1:
            half = (np.diff(x).min() / 2) if len(x) > 1 else 0.5
            return np.r_[x - half, x[-1] + half], y
    return None


def _is_histogram_group(items: list[dict]) -> bool:
    """Several iterations of one histogram (store kind "histogram", or single bar traces)."""
    return len(items) >= 2 and all(_hist_arrays(it) is not None for it in items)


def histogram_over_steps(items: list[dict], bins: int = 64) -> dict | None:
    """Resample every iteration's histogram onto ``bins`` common bins.

    Counts are spread over the common bins in proportion to overlap (uniform within a source
    bin), through the piecewise-linear cumulative count, so no grid bin is left artificially empty
    and totals are kept. Cost: O(iterations x (source bins + bins)).
    Returns {"x": centres, "y": iterations, "z": counts[y][x]}.
    """
    arrays = [_hist_arrays(it) for it in items]
    if any(a is None for a in arrays):
        return None
    lo = min(float(e[0]) for e, _ in arrays)
    hi = max(float(e[-1]) for e, _ in arrays)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return None
    if hi <= lo:
        hi = lo + 1.0
    grid = np.linspace(lo, hi, bins + 1)
    z = []
    for edges, counts in arrays:
        order = np.argsort(edges, kind="stable")
        cum = np.r_[0.0, np.cumsum(np.nan_to_num(counts))]
        z.append(np.diff(np.interp(grid, edges[order], cum[order])))
    return {"x": (grid[:-1] + grid[1:]) / 2, "y": [it["iteration"] for it in items], "z": np.asarray(z)}


@bp.get("/media/<task_id>/<int:record_id>")
def media_record_file(task_id: str, record_id: int):
    """The file of one kept sample, by record id (the store checks it lies in the task's media/)."""
    path = provider.current().media_file(task_id=task_id, record_id=record_id)
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    resp = send_file(path, mimetype=mime, conditional=True, max_age=3600)
    return set_csp(resp, HTML_SAMPLE_CSP if mime == "text/html" else MEDIA_CSP)
