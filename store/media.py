"""Debug samples, plots and the console log of one task: files beside the zarr group.

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

import hashlib
import json
import math
import operator
import os
import shutil
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Iterator, Optional, Union
from urllib.parse import quote

from .errors import MediaNotFoundError, StoreTypeError, StoreValueError

MEDIA_DIR = "media"
MEDIA_INDEX = "media.jsonl"
PLOTS_FILE = "plots.jsonl"
CONSOLE_FILE = "console.jsonl"
FORMAT_VERSION = 1
COMPACT_MIN = 256  # never compact an index with fewer tombstones than this

# extension -> kind; anything else is refused (bad input) so the viewer always knows how to show it
EXTENSIONS = {
    "png": "image", "jpg": "image", "jpeg": "image", "gif": "image", "webp": "image", "bmp": "image",
    "svg": "image",
    "wav": "audio", "mp3": "audio", "ogg": "audio", "flac": "audio", "m4a": "audio",
    "mp4": "video", "webm": "video", "mov": "video", "ogv": "video",
    "html": "html", "htm": "html",
}
KINDS = ("image", "audio", "video", "html")
STREAMS = ("stdout", "stderr", "log")


def safe_name(name: str) -> str:
    """A file-system-safe, collision-free folder name for a title or series.

    Percent-encodes everything but ``[A-Za-z0-9_-]`` (so "a/b" and "a_b" stay distinct and
    no name can climb out with ".."); names longer than 120 characters keep a prefix plus a hash.
    """
    s = quote(name, safe="-_").replace(".", "%2E")
    if not s:
        s = "%00empty"
    if len(s) > 120:
        s = s[:100] + "~" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:16]
    return s


def check_ext(ext: Any) -> str:
    """The extension lowercased and without a dot; ValueError naming the known ones otherwise."""
    if not isinstance(ext, str):
        raise StoreTypeError(f"ext: must be a str file extension such as 'png' (given: {ext!r} of type "
                        f"{type(ext).__name__})")
    e = ext.lower().lstrip(".")
    if e not in EXTENSIONS:
        raise StoreValueError(f"ext: must be one of {', '.join(sorted(EXTENSIONS))} (given: {ext!r})")
    return e


def check_history(max_history: Any, argument: str = "max_history") -> int:
    """A positive int history size; ValueError/TypeError naming ``argument`` otherwise."""
    if isinstance(max_history, bool) or not isinstance(max_history, int):
        try:
            import numpy as np

            ok = isinstance(max_history, np.integer)
        except ImportError:  # pragma: no cover - numpy is a dependency
            ok = False
        if not ok:
            raise StoreTypeError(f"{argument}: must be an int (given: {max_history!r} of type "
                            f"{type(max_history).__name__})")
    n = int(max_history)
    if n < 1:
        raise StoreValueError(f"{argument}: must be at least 1 (given: {n})")
    return n


def _check_iteration(iteration: Any) -> int:
    """A Python int from any integer (numpy ints included); StoreTypeError naming ``iteration`` else."""
    if not isinstance(iteration, bool):
        try:
            return operator.index(iteration)
        except TypeError:
            pass
    raise StoreTypeError(f"iteration: must be an int (given: {iteration!r} of type {type(iteration).__name__})")


# --- JSON ---------------------------------------------------------------------------------------
def _default(obj: Any) -> Any:
    """json.dumps hook: numpy arrays/scalars, dates, sets and plotly objects become plain JSON."""
    tolist = getattr(obj, "tolist", None)
    if tolist is not None and callable(tolist):  # numpy arrays and scalars
        return tolist()
    to_json = getattr(obj, "to_plotly_json", None)
    if to_json is not None:
        return to_json()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    iso = getattr(obj, "isoformat", None)
    if iso is not None:
        return iso()
    raise StoreTypeError(f"figure: value of type {type(obj).__name__} is not JSON serialisable")


def _finite(obj: Any) -> Any:
    """Replace NaN/Inf floats with None (plotly draws a gap) anywhere in a JSON-ready tree."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def dumps(record: dict) -> str:
    """One index line. NaN/Inf inside figures become null (strict JSON, readable by browsers)."""
    try:
        return json.dumps(record, default=_default, allow_nan=False, separators=(",", ":"))
    except ValueError:  # a non-finite float somewhere: take the slow path once
        plain = json.loads(json.dumps(record, default=_default))
        return json.dumps(_finite(plain), allow_nan=False, separators=(",", ":"))


def _iter_lines(path: Path, prefix: Optional[bytes] = None) -> Iterator[dict]:
    """Parsed records of a JSONL file; a torn or corrupt line is skipped. ``prefix`` filters raw lines."""
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return
    with f:
        for raw in f:
            if prefix is not None and not raw.startswith(prefix):
                continue
            if not raw.endswith(b"\n"):
                break  # being written right now, or torn by a crash: not a record yet
            try:
                rec = json.loads(raw)
            except ValueError:
                continue
            if isinstance(rec, dict):
                yield rec


def _append(path: Path, lines: Iterable[str]) -> None:
    data = "".join(line + "\n" for line in lines)
    if not data:
        return
    with open(path, "a", encoding="utf-8") as f:
        f.write(data)
        f.flush()


def _head(**fields: Any) -> bytes:
    """The raw byte prefix a record with these leading fields starts with (see ``dumps``)."""
    return json.dumps(fields, separators=(",", ":")).encode("utf-8")[:-1] + b","


# --- destinations ----------------------------------------------------------------------------------
def _is_uri(dest: str) -> bool:
    return "://" in dest and not dest.startswith("file://")


def _local_dest(dest: str) -> Path:
    return Path(dest[len("file://"):] if dest.startswith("file://") else dest).expanduser()


def _fs(uri: str):
    try:
        import fsspec
    except ImportError as exc:
        raise StoreValueError(f"destination: {uri!r} is a URI and needs the optional package fsspec "
                         "(pip install fsspec), or use a local folder") from exc
    fs, path = fsspec.core.url_to_fs(uri)
    return fs, path


class MediaWriter:
    """Appends samples, plots and console records to one task folder (not thread-safe: lock outside)."""

    def __init__(self, task_path: Union[str, Path]) -> None:
        self.path = Path(task_path)
        self.task_id = self.path.name
        self._live: Optional[dict] = None  # (title, series) -> deque of live add records
        self._tombstones = 0
        self._nlive = 0
        self._seq = 0
        self._names: dict = {}       # (title, series, iteration) -> (live samples, highest n)
        self._reserved: set = set()  # (title, series, iteration, n) prepared but not committed yet
        self._keep: dict = {}        # the same keys -> max_history given at prepare time

    # --- samples --------------------------------------------------------------------------------
    def _load(self) -> dict:
        """Rebuild the live records per (title, series) from the index (resume after a restart)."""
        if self._live is None:
            live: dict = {}
            by_id: dict = {}
            tomb = 0
            for rec in _iter_lines(self.path / MEDIA_INDEX):
                if rec.get("op") == "del":
                    tomb += 1
                    by_id.pop(rec.get("id"), None)
                elif rec.get("op") == "add":
                    by_id[rec.get("id")] = rec
                    self._seq = max(self._seq, int(rec.get("id", 0)) + 1)
            self._names = {}
            for rec in by_id.values():
                live.setdefault((rec["title"], rec["series"]), deque()).append(rec)
                self._name_taken(rec)
            self._live, self._tombstones, self._nlive = live, tomb, len(by_id)
        return self._live

    def _name_taken(self, rec: dict) -> None:
        key = (rec["title"], rec["series"], rec["iteration"])
        count, top = self._names.get(key, (0, -1))
        self._names[key] = (count + 1, max(top, int(rec.get("n", 0))))

    def _name_freed(self, rec: dict) -> None:
        key = (rec["title"], rec["series"], rec["iteration"])
        count, top = self._names.get(key, (1, -1))
        if count <= 1:
            self._names.pop(key, None)
        else:
            self._names[key] = (count - 1, top)

    def add_media(self, title: str, series: str, iteration: int, data: Optional[bytes] = None,
                  src_path: Union[str, Path, None] = None, ext: str = "png", kind: Optional[str] = None,
                  caption: Optional[str] = None, max_history: int = 100,
                  destination: Optional[str] = None, extra: Optional[dict] = None,
                  uri: Optional[str] = None) -> dict:
        """Store one sample (bytes ``data`` or a copy of ``src_path``) and return its index record.

        The file goes to ``<task>/media/...`` or, with ``destination`` (a folder or an fsspec URI),
        to ``<destination>/<task id>/<title>/<series>/...``; the record holds ``path`` (relative to
        the task folder when inside it, else absolute) or ``uri``. Afterwards only the newest
        ``max_history`` samples of (title, series) remain. ``extra`` (JSON-able) is kept in the record.
        ``uri`` instead of data registers a file stored elsewhere already (ClearML's ``url=``): it is
        recorded as ``uri`` with ``external: true`` and never copied or deleted by retention.

        A caller that holds a lock around this writer and sends samples to a remote destination
        can split this call so the network transfer runs outside its lock: :meth:`prepare_media`
        (under the lock), :func:`upload_sample` (outside), :meth:`commit_media` (under the lock),
        then :func:`delete_sample_files` on what retention dropped (outside).
        """
        if sum(x is not None for x in (data, src_path, uri)) != 1:
            raise StoreValueError("data/src_path/uri: give exactly one of bytes data, a source file path or a uri")
        if data is not None and not isinstance(data, (bytes, bytearray, memoryview)):
            raise StoreTypeError(f"data: must be bytes (given: {type(data).__name__})")
        if src_path is not None and not Path(src_path).is_file():
            raise FileNotFoundError(f"src_path: no such file {str(src_path)!r}")
        rec = self.prepare_media(title, series, iteration, ext=ext, kind=kind, caption=caption,
                                 max_history=max_history, destination=destination, extra=extra, uri=uri)
        try:
            if uri is None:
                if "uri" in rec:
                    upload_sample(rec["uri"], data, src_path)
                else:
                    path = Path(rec["path"])
                    self._write_local(path if path.is_absolute() else self.path / path, data, src_path)
                rec["size"] = len(data) if data is not None else Path(src_path).stat().st_size
        except BaseException:
            self.abandon_media(rec)
            raise
        public, dropped = self.commit_media(rec)
        delete_sample_files(self.path, dropped)
        return public

    def prepare_media(self, title: str, series: str, iteration: int, *, ext: str = "png",
                      kind: Optional[str] = None, caption: Optional[str] = None, max_history: int = 100,
                      destination: Optional[str] = None, extra: Optional[dict] = None,
                      uri: Optional[str] = None) -> dict:
        """Check the arguments and name the sample's file: the record to store the file at (its
        ``path`` or ``uri``) and then to pass to :meth:`commit_media` (or :meth:`abandon_media`).
        The name is reserved until then, so samples prepared meanwhile never share it."""
        for arg, v in (("title", title), ("series", series)):
            if not isinstance(v, str) or not v:
                raise StoreTypeError(f"{arg}: must be a non-empty str (given: {v!r})")
        iteration = _check_iteration(iteration)
        ext = check_ext(ext)
        kind = kind or EXTENSIONS[ext]
        if kind not in KINDS:
            raise StoreValueError(f"kind: must be one of {', '.join(KINDS)} (given: {kind!r})")
        keep = check_history(max_history)
        if uri is not None and (not isinstance(uri, str) or not uri):
            raise StoreTypeError(f"uri: must be a non-empty str (given: {uri!r})")
        self._load()  # reads the index once: the live samples and their name counters
        # O(1): the highest n among live samples of this iteration (never reused while one is live)
        top = self._names.get((title, series, iteration), (0, -1))[1]
        if self._reserved:
            top = max([top] + [n for (t, s, i, n) in self._reserved if (t, s, i) == (title, series, iteration)])
        n = top + 1
        fname = f"{iteration}_{n}.{ext}"
        rel = f"{safe_name(title)}/{safe_name(series)}/{fname}"
        rec: dict[str, Any] = {"op": "add", "id": None, "title": title, "series": series,
                               "iteration": iteration, "n": n, "kind": kind, "ext": ext,
                               "caption": caption, "time": time.time()}
        if uri is not None:
            rec["uri"], rec["external"] = uri, True
        elif destination is None:
            rec["path"] = f"{MEDIA_DIR}/{rel}"
        elif _is_uri(destination):
            _fs(destination)  # a clear error now if fsspec (or the protocol) is missing
            rec["uri"] = destination.rstrip("/") + f"/{self.task_id}/{rel}"
        else:
            rec["path"] = str((_local_dest(destination) / self.task_id / rel).resolve())
        if extra:
            rec["extra"] = extra
        self._reserved.add((title, series, iteration, n))
        self._keep[(title, series, iteration, n)] = keep
        return rec

    def abandon_media(self, rec: dict) -> None:
        """Give up a prepared sample (its file could not be stored): frees its name."""
        key = (rec["title"], rec["series"], rec["iteration"], rec["n"])
        self._reserved.discard(key)
        self._keep.pop(key, None)

    def commit_media(self, rec: dict) -> tuple[dict, list[dict]]:
        """List a prepared sample whose file is stored: append its index line, then apply retention.

        Returns (the public record, the records retention dropped): their tombstones are written,
        so readers no longer list them; delete their files with :func:`delete_sample_files`."""
        key = (rec["title"], rec["series"], rec["iteration"], rec["n"])
        self._reserved.discard(key)
        keep = self._keep.pop(key, 100)
        live = self._load()
        q = live.setdefault((rec["title"], rec["series"]), deque())
        rec["id"] = self._seq
        self._seq += 1
        lines = [dumps(rec)]
        q.append(rec)
        self._name_taken(rec)
        self._nlive += 1
        dropped = []
        while len(q) > keep:
            old = q.popleft()
            self._name_freed(old)
            dropped.append(old)
            lines.append(dumps({"op": "del", "id": old["id"], "time": rec["time"]}))
            self._tombstones += 1
            self._nlive -= 1
        self.path.mkdir(parents=True, exist_ok=True)
        _append(self.path / MEDIA_INDEX, lines)
        if self._tombstones >= COMPACT_MIN and self._tombstones > self._nlive:
            self.compact()
        return _public(rec), dropped

    @staticmethod
    def _write_local(target: Path, data: Optional[bytes], src_path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        if data is not None:
            with open(tmp, "wb") as f:
                f.write(data)
        else:
            shutil.copyfile(src_path, tmp)
        os.replace(tmp, target)  # a reader never sees a half-written sample

    def compact(self) -> None:
        """Rewrite the index with live records only (temp file + rename: readers never see a mix)."""
        live = self._load()
        recs = sorted((r for q in live.values() for r in q), key=lambda r: r["id"])
        tmp = self.path / (MEDIA_INDEX + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("".join(dumps(r) + "\n" for r in recs))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path / MEDIA_INDEX)
        self._tombstones = 0

    # --- plots and console ----------------------------------------------------------------------
    def add_plot(self, title: str, series: str, iteration: int, figure: dict, *, kind: str = "plotly",
                 data: Optional[dict] = None) -> None:
        """Append one plotly figure dict for (title, series, iteration).

        ``kind`` is "plotly" (any figure), "histogram" (``data`` = {"bins", "counts"}) or "table"
        (``data`` = {"columns", "data"}); the raw ``data`` lets the viewer draw distributions or
        tables natively while ``figure`` always renders as a plain plotly chart.
        """
        # series may be "": ClearML reports line plots (and named multi-trace 3-D scatters) per title only
        if not isinstance(title, str) or not title:
            raise StoreTypeError(f"title: must be a non-empty str (given: {title!r})")
        if not isinstance(series, str):
            raise StoreTypeError(f"series: must be a str (given: {series!r})")
        iteration = _check_iteration(iteration)
        if not isinstance(figure, dict):
            raise StoreTypeError(f"figure: must be a plotly figure dict (given: {type(figure).__name__})")
        rec: dict[str, Any] = {"title": title, "series": series, "iteration": iteration, "time": time.time(),
                               "kind": kind, "figure": figure}
        if data is not None:
            rec["data"] = data
        line = dumps(rec)
        self.path.mkdir(parents=True, exist_ok=True)
        _append(self.path / PLOTS_FILE, [line])

    def add_console(self, records: Iterable[tuple]) -> None:
        """Append (unix time, stream, level, text) records in order."""
        lines = []
        for t, stream, level, text in records:
            lines.append(dumps({"time": float(t), "stream": str(stream), "level": str(level), "text": str(text)}))
        if lines:
            self.path.mkdir(parents=True, exist_ok=True)
            _append(self.path / CONSOLE_FILE, lines)

    def sync(self) -> None:
        """Make every index durable (fsync); sample files were renamed into place already."""
        for name in (MEDIA_INDEX, PLOTS_FILE, CONSOLE_FILE):
            p = self.path / name
            try:
                fd = os.open(p, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def upload_sample(uri: str, data: Optional[bytes], src_path: Union[str, Path, None] = None) -> None:
    """Store a sample's bytes (or a copy of ``src_path``) at an fsspec ``uri`` (no writer state:
    callers run it outside their writer lock)."""
    fs, rpath = _fs(uri)
    fs.makedirs(rpath.rsplit("/", 1)[0], exist_ok=True)
    if data is not None:
        with fs.open(rpath, "wb") as f:
            f.write(bytes(data))
    else:
        fs.put_file(str(src_path), rpath)


def delete_sample_files(task_path: Union[str, Path], records: Iterable[dict]) -> None:
    """Delete the files of samples retention dropped (after their tombstones: a reader never lists
    a file that is gone). Registered references (``external``) are not ours and stay."""
    for rec in records:
        if rec.get("external"):
            continue
        try:
            if "uri" in rec:
                fs, p = _fs(rec["uri"])
                fs.rm(p)
            else:
                p = Path(rec["path"])
                (p if p.is_absolute() else Path(task_path) / p).unlink()
        except (FileNotFoundError, OSError, ValueError):
            pass  # already gone (or unreachable): the tombstone still hides it


def _public(rec: dict) -> dict:
    """An index record as readers get it (without the index's own ``op`` and ``id``)."""
    return {k: v for k, v in rec.items() if k not in ("op", "id")}


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
