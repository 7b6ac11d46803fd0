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

An image's overlays (W&B's ``Image(masks=, boxes=, classes=)``, kept in its record's ``extra``) are
listed with it as a stub (:func:`overlays_stub`: how many, and where to get them) and served by
``/media/<task>/<id>/overlays`` (:func:`overlays_payload`), checked and reshaped here since the
index is only as trustworthy as the script that wrote it; each mask's PNG of class ids is served
by ``/media/<task>/<id>/masks/<n>.png``. The page fetches an image's overlays when it shows that
image, so a listing of many iterations with thousands of boxes each stays small.
``viewer/static/overlays.js`` draws them.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import mimetypes
from urllib.parse import quote

import numpy as np
from flask import Blueprint, Response, send_file

from ringlog.store import MediaNotFoundError, MediaRecord, TaskReader
from ringlog.store.plotmerge import merge_series

from . import provider
from .security import HTML_SAMPLE_CSP, MEDIA_CSP, set_csp

bp = Blueprint("media", __name__)


def media_url(task_id: str, rec: MediaRecord) -> str:
    return f"/media/{quote(task_id)}/{rec.id}"


def media_impl(reader: TaskReader, title: str | None = None, series: str | None = None, *,
               inline_masks: bool = False) -> dict:
    """Kept debug samples grouped by (title, series), each group oldest iteration first.

    ``url`` is set for samples the store will serve, ``uri`` for remote ones; ``overlays`` is an
    image's :func:`overlays_stub`. ``inline_masks``: the whole :func:`overlays_payload` instead,
    masks' PNG (base64) included, for pages that cannot read the overlay routes (report widgets run
    in an opaque origin, and a task's data are not theirs to read cross-origin).
    Cost: one scan of the media index plus one ``stat`` per sample.
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
            "caption": rec.caption, "time": rec.time, "url": url, "source": rec.source,
            "uri": rec.uri if rec.uri and "://" in rec.uri and not rec.uri.startswith("file:") else None,
            "overlays": (overlays_payload(reader.id, rec, inline=True) if inline_masks else overlays_stub(reader.id, rec))
            if rec.kind == "image" else None,
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
        urls[(rec.title, rec.series, rec.iteration, rec.n)] = (
            media_url(reader.id, rec), rec.kind, rec.ext,
            overlays_stub(reader.id, rec) if rec.kind == "image" else None)
    for c in cells:
        found = urls.get((c.get("title"), c.get("series"), c.get("iteration"), c.get("n")))
        if found:
            c["url"], c["kind"], c["ext"], c["overlays"] = found


#: at most this many boxes per box group reach the page (a browser draws tens of thousands slowly)
MAX_BOXES = 5000


def overlays_stub(task_id: str, rec: MediaRecord) -> dict | None:
    """``{"detail": URL of the overlays, "masks": n, "boxes": n}`` for an image with overlays, else None.
    Cost: O(groups), no box is looked at."""
    extra = rec.extra
    if not isinstance(extra, dict):
        return None
    masks = extra.get("masks") if isinstance(extra.get("masks"), dict) else {}
    groups = extra.get("boxes") if isinstance(extra.get("boxes"), dict) else {}
    n_boxes = sum(len(g["box_data"]) for g in groups.values() if isinstance(g, dict) and isinstance(g.get("box_data"), list))
    if not (masks or groups):
        return None
    return {"detail": f"{media_url(task_id, rec)}/overlays", "masks": len(masks), "boxes": n_boxes}


def overlays_payload(task_id: str, rec: MediaRecord, *, inline: bool = False) -> dict | None:
    """The overlays of an image record for the page, or None when it has none (``inline``: each mask
    also carries ``png``, its PNG in base64, when it is one).

    ``{"masks": [{"name", "url", "labels": [[id, name], ...]}], "boxes": [{"name", "labels",
    "boxes": [{"x0", "x1", "y0", "y1", "pixel", "class_id", "caption", "scores": [[name, value]]}]}],
    "classes": [[id, name], ...]}``. Groups keep the order they were logged in; labels and scores are
    lists of pairs, never objects keyed by user strings. Anything malformed (a hand-edited or
    corrupt index) is left out, not an error: the image itself still shows. Cost: O(boxes).
    """
    extra = rec.extra
    if not isinstance(extra, dict):
        return None
    masks, boxes = [], []
    raw_masks = extra.get("masks")
    if isinstance(raw_masks, dict):
        for i, (name, m) in enumerate(raw_masks.items()):
            if isinstance(m, dict) and isinstance(m.get("png"), str):
                masks.append({"name": str(name), "url": f"{media_url(task_id, rec)}/masks/{i}.png",
                              "labels": _label_pairs(m.get("class_labels"))})
                if inline and _mask_png(m):
                    masks[-1]["png"] = m["png"]
    raw_boxes = extra.get("boxes")
    if isinstance(raw_boxes, dict):
        for name, g in raw_boxes.items():
            if not isinstance(g, dict) or not isinstance(g.get("box_data"), list):
                continue
            found = [b for b in map(_box, g["box_data"][:MAX_BOXES]) if b is not None]
            boxes.append({"name": str(name), "labels": _label_pairs(g.get("class_labels")), "boxes": found,
                          "truncated": len(g["box_data"]) > MAX_BOXES})
    classes = []
    if isinstance(extra.get("classes"), list):
        classes = [[c["id"], str(c.get("name", c["id"]))] for c in extra["classes"]
                   if isinstance(c, dict) and _is_int(c.get("id"))]
    if not (masks or boxes):
        return None
    return {"masks": masks, "boxes": boxes, "classes": classes}


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _finite(v) -> float | None:
    """``v`` as a finite float, else None (a JSON integer too large for a float included)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    try:
        f = float(v)
    except OverflowError:
        return None
    return f if math.isfinite(f) else None


def _label_pairs(labels) -> list:
    """``{"1": "cat"}`` (the SDK's form) -> ``[[1, "cat"]]``, sorted by id; bad entries dropped."""
    if not isinstance(labels, dict):
        return []
    out = []
    for k, v in labels.items():
        try:
            out.append([int(k), str(v)])
        except (TypeError, ValueError):
            continue
    return sorted(out)


def _box(b) -> dict | None:
    """One stored box (corners, in fractions of the image or pixels) for the page, or None."""
    if not isinstance(b, dict) or not isinstance(b.get("position"), dict):
        return None
    corners = [_finite(b["position"].get(k)) for k in ("minX", "maxX", "minY", "maxY")]
    if any(c is None for c in corners):
        return None
    x0, x1, y0, y1 = corners
    scores = b.get("scores") if isinstance(b.get("scores"), dict) else {}
    return {"x0": min(x0, x1), "x1": max(x0, x1), "y0": min(y0, y1), "y1": max(y0, y1),
            "pixel": b.get("domain") == "pixel",
            "class_id": b["class_id"] if _is_int(b.get("class_id")) else None,
            "caption": str(b["box_caption"]) if b.get("box_caption") is not None else None,
            "scores": [[str(k), f] for k, v in scores.items() if (f := _finite(v)) is not None]}


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


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _mask_png(m) -> bytes | None:
    """The PNG bytes of a stored mask (``{"png": base64}``), or None if they are not a PNG."""
    try:
        data = base64.b64decode(m.get("png", ""), validate=True) if isinstance(m, dict) else b""
    except (binascii.Error, ValueError, TypeError):
        return None
    return data if data.startswith(PNG_SIGNATURE) else None


def _record(task_id: str, record_id: int) -> MediaRecord:
    rec = next((r for r in provider.current().reader(task_id=task_id).media_records() if r.id == record_id), None)
    if rec is None:
        raise MediaNotFoundError(f"no media record {record_id} in task {task_id}")
    return rec


@bp.get("/media/<task_id>/<int:record_id>/overlays")
def media_overlays(task_id: str, record_id: int):
    """The :func:`overlays_payload` of image record ``record_id`` (404 when it has none). A record
    never changes once written, so the answer is cacheable."""
    rec = _record(task_id, record_id)
    payload = overlays_payload(task_id, rec) if rec.kind == "image" else None
    if payload is None:
        raise MediaNotFoundError(f"media record {record_id} of task {task_id} has no overlays")
    resp = Response(json.dumps(payload, allow_nan=False, separators=(",", ":")), mimetype="application/json")
    resp.headers["Cache-Control"] = "private, max-age=3600"
    return set_csp(resp, MEDIA_CSP)


@bp.get("/media/<task_id>/<int:record_id>/masks/<name>")
def media_mask(task_id: str, record_id: int, name: str):
    """Mask ``<n>.png`` (n: logging order) of image record ``record_id``: the PNG of class ids kept in
    the record's ``extra`` (decoded from base64; anything but a PNG is a 404)."""
    digits = name[:-4] if name.endswith(".png") else ""
    if not (digits.isascii() and digits.isdigit() and len(digits) < 6):
        raise MediaNotFoundError(f"no mask {name!r} for media record {record_id} of task {task_id}")
    index = int(digits)
    rec = _record(task_id, record_id)
    masks = rec.extra.get("masks") if isinstance(rec.extra, dict) else None
    if not isinstance(masks, dict) or not 0 <= index < len(masks):
        raise MediaNotFoundError(f"no mask {index} for media record {record_id} of task {task_id}")
    data = _mask_png(list(masks.values())[index])
    if data is None:
        raise MediaNotFoundError(f"mask {index} of media record {record_id} is not a PNG")
    resp = Response(data, mimetype="image/png")
    resp.headers["Cache-Control"] = "private, max-age=3600"
    return set_csp(resp, MEDIA_CSP)
