"""Debug samples, plots and the console log of one task: files beside the zarr group.

This module reads them; :mod:`ringlog.store.media_writer` appends them and
:mod:`ringlog.store.media_index` holds the record format both share (all three names are
re-exported here).

Layout inside the task folder (written down in ``store/MEDIA_FORMAT.md``)::

    media/<title>/<series>/<iteration>_<n>.<ext>   sample files (names made safe, see ``safe_name``)
    media.jsonl     append-only index of samples: "add" records and "del" tombstones
    plots.jsonl     append-only plot records: title, series, iteration, time, kind, figure (plotly JSON)
    console.jsonl   append-only console records: time, stream, level, text

Assumptions: one writer per task (the SDK serialises calls with a lock); any number of readers,
which never see a half-written record because a torn last line (a crash mid-write) is skipped.
Every index line is one ``write`` of one complete JSON object ending in ``\\n``.

Retention: only the last ``max_history`` samples per (title, series) are kept; a tombstone is
appended for an older sample, then its file is deleted (local disk or fsspec URI); a crash between
the two leaves an unlisted file behind, never a listed file that is missing. When tombstones outnumber live records
(and there are more than ``COMPACT_MIN``), the index is rewritten to a temp file and renamed over
the old one, so readers see either the old or the new index, never a mix.

Costs: ``add_media`` is one file write plus one index line (O(1) amortised; compaction is O(live)).
``read_plots`` filters by title/series on the raw line prefix before parsing JSON, so reading one
title from a large file costs a scan but parses only the matching figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterator, Optional, Union

from .errors import MediaNotFoundError
from .media_index import (CONSOLE_FILE, EXTENSIONS, KINDS, MEDIA_DIR, MEDIA_INDEX, PLOTS_FILE, STREAMS, _head,
                          _iter_lines, _public, check_ext, check_history, dumps, is_uri, safe_name)
from .media_writer import MediaWriter, delete_sample_files, upload_sample

# the writer and the format helpers are re-exported: ``ringlog.store.media`` stays the one name
# callers import for a task's media
__all__ = ["CONSOLE_FILE", "EXTENSIONS", "KINDS", "MEDIA_DIR", "MEDIA_INDEX", "PLOTS_FILE", "STREAMS", "MediaRecord",
           "MediaWriter", "check_ext", "check_history", "delete_sample_files", "dumps", "is_uri", "media_file", "read_console",
           "read_media", "read_media_records", "read_plots", "safe_name", "upload_sample"]


# --- readers --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MediaRecord:
    """One kept debug sample as the index lists it.

    ``id`` is the index's own record number: stable for the record's whole life (retention and
    compaction never renumber), whatever filter a listing used, so a viewer names a sample by
    ``id`` and asks :func:`media_file` (or :meth:`TaskReader.media_file`) for its file. ``path``
    is the stored path as written (relative to the task folder, or absolute for a sample stored in
    another local folder), ``uri`` a remote or registered location; at most one of them is set.
    """

    id: int
    title: str
    series: str
    iteration: int
    kind: str
    ext: str
    n: int = 0
    caption: str | None = None
    time: float | None = None
    size: int | None = None
    path: str | None = None
    uri: str | None = None
    external: bool = False
    extra: dict | None = None
    source: str | None = None  # the writer namespace that keeps it (a task read with several writers)

    @classmethod
    def from_index(cls, rec: dict) -> "MediaRecord":
        ext = str(rec.get("ext") or "").lower()
        kind = rec.get("kind") if rec.get("kind") in KINDS else EXTENSIONS.get(ext, "file")
        path, uri = rec.get("path"), rec.get("uri")
        return cls(id=int(rec["id"]), title=str(rec.get("title")), series=str(rec.get("series")),
                   iteration=int(rec.get("iteration") or 0), kind=kind, ext=ext, n=int(rec.get("n") or 0),
                   caption=rec.get("caption"), time=rec.get("time"), size=rec.get("size"),
                   path=path if isinstance(path, str) and path else None,
                   uri=uri if isinstance(uri, str) and uri else None,
                   external=bool(rec.get("external")), extra=rec.get("extra"))


def _live_index(task_path: Path, title: Optional[str], series: Optional[str]) -> dict:
    """Live "add" records of the index by id (tombstoned ones dropped), filtered by title/series."""
    by_id: dict = {}
    for rec in _iter_lines(Path(task_path) / MEDIA_INDEX):
        op = rec.get("op")
        if op == "del":
            by_id.pop(rec.get("id"), None)
        elif op == "add" and (title is None or rec.get("title") == title) and \
                (series is None or rec.get("series") == series):
            by_id[rec.get("id")] = rec
    return by_id


def read_media_records(task_path: Union[str, Path], title: Optional[str] = None,
                       series: Optional[str] = None) -> list[MediaRecord]:
    """Kept samples as :class:`MediaRecord`, oldest first (records without an int id are skipped)."""
    return [MediaRecord.from_index(r) for r in _live_index(Path(task_path), title, series).values()
            if isinstance(r.get("id"), int) and not isinstance(r.get("id"), bool)]


def media_file(task_path: Union[str, Path], record: MediaRecord) -> Path:
    """The file of ``record`` if it may be served: a regular file inside ``<task>/media/``.

    Raises :class:`MediaNotFoundError` for a remote or registered sample (``uri``), a path that is
    absolute, holds ``..``, is a ``file://`` URI, or resolves (symlinks followed) outside the task's
    media folder, and for a missing file. The index is data, not trust: a record edited to point
    at ``zarr.json`` or ``/etc/passwd`` is never handed out.
    """
    where = f"media record {record.id} ({record.title!r}/{record.series!r})"
    p = record.path
    if p is None:
        raise MediaNotFoundError(f"{where}: is stored at a URI, not a file of the task")
    rel = PurePosixPath(p.replace("\\", "/"))
    if ":" in p or rel.is_absolute() or ".." in rel.parts or not rel.parts or rel.parts[0] != MEDIA_DIR:
        raise MediaNotFoundError(f"{where}: path must be relative and inside {MEDIA_DIR}/ (given: {p!r})")
    root = (Path(task_path) / MEDIA_DIR).resolve()
    full = (Path(task_path) / rel).resolve()
    if not full.is_relative_to(root):
        raise MediaNotFoundError(f"{where}: path leads out of the task's {MEDIA_DIR}/ folder (given: {p!r})")
    if not full.is_file():
        raise MediaNotFoundError(f"{where}: file {p!r} is missing")
    return full


def read_media(task_path: Union[str, Path], title: Optional[str] = None,
               series: Optional[str] = None) -> list[dict]:
    """Kept samples, oldest first: title, series, iteration, n, kind, ext, caption, time, size and
    ``path`` (relative to the task folder, or absolute for another local folder) or ``uri``."""
    return [_public(r) for r in _live_index(Path(task_path), title, series).values()]


def read_plots(task_path: Union[str, Path], title: Optional[str] = None, series: Optional[str] = None,
               *, last: Optional[int] = None) -> list[dict]:
    """Plot records in the order written: title, series, iteration, time, kind, figure (+ data).

    ``last=N`` keeps only the newest N records of each (title, series) (N=1: the latest figure).
    """
    prefix = None
    if title is not None:
        prefix = _head(title=title) if series is None else _head(title=title, series=series)
    out = [r for r in _iter_lines(Path(task_path) / PLOTS_FILE, prefix)
           if (series is None or r.get("series") == series)]
    if last is not None:
        seen: dict = {}
        keep = []
        for r in reversed(out):
            k = (r.get("title"), r.get("series"))
            if seen.get(k, 0) < last:
                seen[k] = seen.get(k, 0) + 1
                keep.append(r)
        out = keep[::-1]
    return out


def read_console(task_path: Union[str, Path], since: int = 0, limit: Optional[int] = None) -> list[dict]:
    """Console records number ``since`` onward (a cursor for polling), in order; at most ``limit``.

    Record numbers are line numbers of complete lines. Lines before ``since`` are counted with
    ``bytes.count`` in 1 MiB blocks, not parsed, so polling the end of a 32 MiB log stays cheap.
    """
    path = Path(task_path) / CONSOLE_FILE
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return []
    out: list = []
    with f:
        seen = 0
        rest = b""
        while seen < since:
            block = f.read(1 << 20)
            if not block:
                return []
            n = block.count(b"\n")
            if seen + n < since:
                seen += n
                continue
            cut = -1
            for _ in range(since - seen):  # position just after the since-th newline
                cut = block.index(b"\n", cut + 1)
            rest = block[cut + 1:]
            seen = since
        for raw in _chain_lines(rest, f) if rest else f:
            if limit is not None and len(out) >= limit:
                break
            if not raw.endswith(b"\n"):
                break  # being written right now, or torn by a crash
            try:
                rec = json.loads(raw)
            except ValueError:  # keep numbering aligned with lines, so cursors stay valid
                rec = {"time": 0.0, "stream": "log", "level": "error", "text": "<unreadable console record>"}
            out.append(rec)
    return out


def _chain_lines(head: bytes, f) -> Iterator[bytes]:
    """Lines of ``head`` (bytes already read) followed by the rest of file ``f``."""
    parts = head.split(b"\n")
    tail = parts.pop()
    for p in parts:
        yield p + b"\n"
    if tail:
        yield tail + f.readline()  # the line the block cut in two (no newline yet if torn)
    yield from f
