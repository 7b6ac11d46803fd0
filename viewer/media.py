"""Debug samples and plots: listing (pure ``*_impl``) and the file route ``/media/<id>/<path>``.

Files are served only from inside the task's folder (``werkzeug.security.safe_join``, so
``..``, absolute paths and drive letters are a 404) or, for files the task recorded in another
local folder (``set_default_upload_destination``), only by their index in the task's media list,
never by a client-supplied path. Remote URIs are listed but not fetched (no network).

Every media response carries a sandboxing Content-Security-Policy: an HTML or SVG sample opened
directly cannot run script with the viewer's origin. HTML samples are shown in a sandboxed
iframe (``allow-scripts`` only, opaque origin) whose document may not load anything remote.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import quote, urlparse

import numpy as np
from flask import Blueprint, send_file
from werkzeug.security import safe_join

from . import provider
from .errors import NotFoundError

bp = Blueprint("media", __name__)

MEDIA_CSP = ("sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; "
             "style-src 'unsafe-inline'")
HTML_CSP = ("sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; "
            "style-src 'unsafe-inline'; img-src data: blob:; media-src data: blob:; font-src data:")
_KINDS = {"png": "image", "jpg": "image", "jpeg": "image", "gif": "image", "webp": "image", "bmp": "image",
          "svg": "image", "wav": "audio", "mp3": "audio", "ogg": "audio", "flac": "audio", "m4a": "audio",
          "mp4": "video", "webm": "video", "mov": "video", "ogv": "video", "html": "html", "htm": "html"}


def _task_dir(reader) -> Path:
    return Path(reader.path).resolve()


def _local_path(rec: dict, task_dir: Path) -> Path | None:
    """The record's file on this machine, or None for a remote URI."""
    p = rec.get("path")
    if p:
        path = Path(p)
        return path if path.is_absolute() else task_dir / path
    uri = rec.get("uri")
    if uri:
        u = urlparse(uri)
        if u.scheme == "file":
            return Path(u.path)
        if u.scheme == "" and uri:
            return Path(uri)
    return None


def media_url(task_id: str, index: int, rec: dict, task_dir: Path) -> str | None:
    path = _local_path(rec, task_dir)
    if path is None:
        return None
    try:
        rel = path.resolve().relative_to(task_dir)
    except ValueError:
        return f"/media/{quote(task_id)}/_indexed/{index}"
    return f"/media/{quote(task_id)}/{quote(rel.as_posix())}"


def _kind(rec: dict) -> str:
    ext = str(rec.get("ext") or "").lower().lstrip(".")
    kind = rec.get("kind")
    if kind in ("image", "audio", "video", "html"):
        return kind
    return _KINDS.get(ext, "file")


def media_impl(reader, title: str | None = None, series: str | None = None) -> dict:
    """Kept debug samples grouped by (title, series), each group oldest iteration first."""
    task_dir = _task_dir(reader)
    records = list(reader.media(title, series))
    groups: dict[tuple[str, str], dict] = {}
    for i, rec in enumerate(records):
        key = (str(rec.get("title")), str(rec.get("series")))
        g = groups.setdefault(key, {"title": key[0], "series": key[1], "items": []})
        g["items"].append({
            "iteration": rec.get("iteration"), "kind": _kind(rec), "ext": rec.get("ext"),
            "caption": rec.get("caption"), "time": rec.get("time"),
            "url": media_url(reader.id, i, rec, task_dir),
            "uri": rec.get("uri") if _local_path(rec, task_dir) is None else None,
        })
    for g in groups.values():
        g["items"].sort(key=lambda it: (it["iteration"] is None, it["iteration"] or 0))
    return {"task": reader.id, "groups": sorted(groups.values(), key=lambda g: (g["title"], g["series"]))}


def plots_impl(reader, title: str | None = None, series: str | None = None, latest: bool = False) -> dict:
    """Stored figures grouped by (title, series): every iteration, or only the latest.

    Each item carries the plotly ``figure`` plus the store's ``kind`` and raw ``data`` (tables:
    columns and rows, drawn as an HTML table; histograms: bins and counts). A group of histograms
    over several iterations also gets ``over_steps``: the distributions resampled onto one common
    grid, for a heatmap of distribution against iteration (as TensorBoard shows them).
    """
    groups: dict[tuple[str, str], dict] = {}
    for rec in reader.plots(title, series):
        key = (str(rec.get("title")), str(rec.get("series")))
        g = groups.setdefault(key, {"title": key[0], "series": key[1], "items": []})
        g["items"].append({"iteration": rec.get("iteration"), "time": rec.get("time"),
                           "kind": rec.get("kind") or "plotly", "figure": rec.get("figure") or {},
                           "data": rec.get("data")})
    for g in groups.values():
        g["items"].sort(key=lambda it: (it["iteration"] is None, it["iteration"] or 0))
        g["histogram"] = _is_histogram_group(g["items"])
        g["over_steps"] = histogram_over_steps(g["items"]) if g["histogram"] else None
        if latest:
            g["items"] = g["items"][-1:]
    return {"task": reader.id, "groups": sorted(groups.values(), key=lambda g: (g["title"], g["series"]))}


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


def _send(path: Path):
    if not path.is_file():
        raise NotFoundError("media file not found")
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    resp = send_file(path, mimetype=mime, conditional=True, max_age=3600)
    resp.headers["Content-Security-Policy"] = HTML_CSP if mime == "text/html" else MEDIA_CSP
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.get("/media/<task_id>/_indexed/<int:index>")
def indexed_file(task_id: str, index: int):
    reader = provider.reader(task_id)
    records = list(reader.media())
    if not 0 <= index < len(records):
        raise NotFoundError(f"task {task_id!r} has no media record number {index}")
    path = _local_path(records[index], _task_dir(reader))
    if path is None:
        raise NotFoundError(f"media record {index} of task {task_id!r} is remote and not served")
    return _send(path)


@bp.get("/media/<task_id>/<path:relpath>")
def media_file(task_id: str, relpath: str):
    reader = provider.reader(task_id)
    task_dir = _task_dir(reader)
    joined = safe_join(str(task_dir), relpath)
    if joined is None:
        raise NotFoundError(f"media path {relpath!r} is outside the task folder")
    path = Path(joined)
    try:
        path.resolve().relative_to(task_dir)  # symlinks may not lead out of the task folder
    except ValueError:
        raise NotFoundError(f"media path {relpath!r} is outside the task folder") from None
    return _send(path)
