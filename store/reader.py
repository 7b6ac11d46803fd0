"""TaskReader: the numpy read API of one task (metadata, series, full export, decimate).

A reader is a snapshot: series.json as it was when the reader was opened, and each
series' tail file as it was at that series' first read (``refresh()`` starts over). Reads never sample: ``scalar()`` returns
every point of the range exactly as logged (time at 1 ms resolution).

Damaged files never escape as raw errors: the reader opens with what is intact and lists each
damaged file in :attr:`TaskReader.problems` as a :class:`CorruptStoreError` naming it (FORMAT.md,
"Damaged files"): unreadable metadata gives a fallback (status ``unknown``), an unreadable
``series.json`` no series, a bad series entry that series only; a series reads its valid prefix
(the points before a damaged raw chunk or torn tail record); a damaged pyramid chunk is
recomputed from the raw points. The ``status`` in :attr:`TaskReader.info` is ``crashed`` for a
running task whose writer is gone (store/writer_lock.py), with ``heartbeat`` its last sign of life.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from . import _fs, tail
from .errors import CorruptStoreError, MediaNotFoundError, SeriesNotFoundError, bad_type, corrupt
from .layout import SERIES_INDEX, TIME_RES
from .media import MediaRecord, media_file, read_console, read_media, read_media_records, read_plots
from .namespaces import NS_DIR, Namespaces
from .query import Decimated, _Axis, _check, decimate
from .series_reader import ChunkCache, ChunkDamaged, SeriesReader, StaleIndex
from .taskmeta import read_meta
from .writer_lock import writer_status

_INFO_KEYS = ("id", "name", "project", "status", "tags", "created", "updated", "config", "env", "summary")


@dataclass
class Scalar:
    """Every point of one series (or a range of it): ``step`` int64, ``value`` float64,
    ``time`` float64 unix seconds (1 ms resolution)."""

    step: np.ndarray
    value: np.ndarray
    time: np.ndarray

    def __len__(self) -> int:
        return int(self.step.shape[0])


class TaskReader:
    """Read one task. Open through :meth:`ringlog.store.Store.task`."""

    def __init__(self, path: Path, cache: ChunkCache | None = None, fallback=None, own_only: bool = False):
        """``fallback``: None or a callable giving the catalog row of this task (used when its
        metadata file is unreadable). ``own_only``: this folder's own writer only, without the
        namespaces of other writers (fsck, reopen: store/multiwriter.py)."""
        self.path = Path(path)
        self._own_only = own_only
        self._cache = cache or ChunkCache()
        self._fallback = fallback
        self.refresh()

    def refresh(self) -> None:
        """Take a new snapshot of the task (a live task's newest synced points)."""
        #: every damaged file met so far, as a CorruptStoreError naming it (see the module docstring)
        self.problems: list[CorruptStoreError] = []
        fb = None
        if self._fallback is not None and not (self.path / "zarr.json").is_file():
            fb = self._fallback()
        self._meta, problems = read_meta(self.path, fb)
        if problems and fb is None and self._fallback is not None:
            self._meta, problems = read_meta(self.path, self._fallback())
        self.problems.extend(problems)
        self._entries = self._read_index()
        self._readers: dict = {}  # sid (or a namespace key) -> its series reader
        # several writers (store/multiwriter.py): their namespaces, merged into this reader's views
        self._ns = None
        if not self._own_only and (self.path / NS_DIR).is_dir():
            self._ns = Namespaces(self.path, self._cache, TaskReader)
        if self._ns is not None:
            self.problems.extend(self._ns.problems())

    def _problem(self, exc: CorruptStoreError) -> None:
        if all(str(p) != str(exc) for p in self.problems):
            self.problems.append(exc)

    def _shared(self):
        """The shared tail file (read and indexed once per snapshot)."""
        if self._shared_recs is None:
            self._shared_recs = tail.read_shared(self.path / self._shared_name)
        return self._shared_recs

    def _read_index(self) -> dict:
        self._shared_name, self._shared_recs = None, None
        p = self.path / SERIES_INDEX
        try:
            idx = _fs.read_json(p)
        except FileNotFoundError as exc:
            if (self.path / "tails.bin").exists() or any(self.path.glob("s[0-9]*")):
                self._problem(corrupt(p, "series index missing while series data exists; no series can be found",
                                      exc))
            return {}
        except (OSError, ValueError, RecursionError) as exc:
            self._problem(corrupt(p, "series index cannot be read; no series can be found", exc))
            return {}
        if not isinstance(idx, dict) or not isinstance(idx.get("series", []), list):
            self._problem(corrupt(p, "series index is not {'series': [...]}; no series can be found"))
            return {}
        name = idx.get("shared_tail")
        if isinstance(name, str) and name and "/" not in name and not name.startswith("."):
            self._shared_name = name
        out, sids = {}, set()
        for i, e in enumerate(idx.get("series", [])):
            why = _bad_entry(e)
            if why is None and e["sid"] in sids:
                why = f"sid {e['sid']} repeated"
            if why is not None:
                self._problem(corrupt(p, f"series entry {i}: {why}; that series is skipped"))
                continue
            sids.add(e["sid"])
            out[(e["title"], e["series"])] = e
        return out

    # --- metadata ----------------------------------------------------------------
    @property
    def id(self) -> str:
        return self._meta.get("id", self.path.name)

    @property
    def info(self) -> dict:
        """id, name, project, status, tags, created, updated, config, env, summary, plus extra keys."""
        m = dict(self._meta)
        for k in _INFO_KEYS:
            m.setdefault(k, {} if k in ("config", "env", "summary") else ([] if k == "tags" else None))
        m["status"], heartbeat = writer_status(self.path, self._meta)
        if heartbeat is not None:
            m["heartbeat"] = heartbeat
        if self.problems:
            m["problems"] = [str(p) for p in self.problems]
        if self._ns is not None and self._ns.readers:
            m["writers"] = self._ns.writers()
        return m

    @property
    def summary(self) -> dict:
        return dict(self._meta.get("summary") or {})

    def series(self) -> list[tuple[str, str]]:
        """Every (title, series) the task holds, sorted."""
        return sorted(set(self._entries) | set(self._ns.keys)) if self._ns is not None else sorted(self._entries)

    def last_metrics(self) -> dict:
        """``{(title, series): {"last", "min", "max", "count", "last_step"}}`` as of the last sync
        (min/max over finite values; None when there is none)."""
        own = {k: dict(e.get("stats") if isinstance(e.get("stats"), dict) else {})
               for k, e in sorted(self._entries.items())}
        return own if self._ns is None else self._ns.last_metrics(own)

    # --- series -------------------------------------------------------------------
    def _series_reader(self, title, series, own: bool = False) -> SeriesReader:
        if not isinstance(title, str):
            raise bad_type("title", "must be a str", title)
        if series is None:
            series = title
        elif not isinstance(series, str):
            raise bad_type("series", "must be a str or None (None: the same as title)", series)
        key = (title, series)
        if not own and self._ns is not None and key in self._ns.keys:  # written by another process too
            sr = self._readers.get(key)
            if sr is None:
                sr = self._readers[key] = self._ns.series_reader(self, key, key in self._entries)
            return sr
        e = self._entries.get(key)
        if e is None:
            raise SeriesNotFoundError(f"title={title!r}, series={series!r}: no such series in task {self.id} "
                                      f"(it has {len(self._entries)} series)")
        sr = self._readers.get(e["sid"])
        if sr is None:
            for attempt in range(6):
                try:
                    sr = SeriesReader(self.path, e, self._cache, self._shared if self._shared_name else None,
                                      tolerant=attempt == 5)
                    break
                except StaleIndex:  # the writer compacted the tail after we read series.json
                    self._entries = self._read_index()
                    e = self._entries.get(key, e)
                except (OSError, ValueError) as exc:  # a shared tail that cannot be read at all
                    self._problem(corrupt(self.path / (self._shared_name or "tails.bin"), "cannot be read", exc))
                    self._shared_name = None
            for p in sr.problems:
                self._problem(p)
            for c in sr.cuts:
                self._problem(corrupt(c.path, f"tail: {c.nbytes} bytes from offset {c.offset} are not read "
                                              f"({c.reason})"))
            self._readers[e["sid"]] = sr
        return sr

    def _tolerant(self, title, series, fn, own: bool = False):
        """``fn(series reader)``, narrowed to what is intact after each damaged chunk it meets."""
        sr = self._series_reader(title, series, own)
        for _ in range(256):
            try:
                return fn(sr)
            except ChunkDamaged as exc:
                self._problem(exc)
                sr.degrade(exc)
            finally:
                for p in sr.problems:
                    self._problem(p)
        raise CorruptStoreError(f"task {self.id}, series {(title, series)}: too many damaged chunks")

    def count(self, title: str, series: str | None = None) -> int:
        """Number of points of a series (its valid prefix when a damaged chunk was met)."""
        return self._series_reader(title, series).n

    def _own_scalar(self, title: str, series: str) -> Scalar:
        """Every point this folder's own writer stored (not its namespaces'; store/multiwriter.py)."""
        origin = float(self._meta.get("time_origin", 0.0))
        return self._tolerant(title, series, lambda sr: Scalar(*sr.export(0, sr.n, origin, TIME_RES)), own=True)

    def scalar(self, title: str, series: str | None = None, start: int | None = None,
               stop: int | None = None) -> Scalar:
        """Points ``[start, stop)`` (Python slice rules, negative counts from the end) of a series.

        Never sampled. Cost: decodes the chunks overlapping the range.
        """
        self._series_reader(title, series)
        for name, v in (("start", start), ("stop", stop)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer))):
                raise bad_type(name, "must be None or an int", v)
        origin = float(self._meta.get("time_origin", 0.0))

        def read(sr):
            lo, hi, _ = slice(start, stop).indices(sr.n)
            return Scalar(*sr.export(lo, max(hi, lo), origin, TIME_RES))
        return self._tolerant(title, series, read)

    def decimate(self, title: str, series: str | None = None, x_min=None, x_max=None, points: int = 2000,
                 x: str = "step", method: str = "m4") -> Decimated:
        """A few points of ``[x_min, x_max]`` that keep every bucket's true first/last/min/max.

        ``x``: "step", "time" (seconds since the task started) or "wall" (unix seconds).
        See :mod:`ringlog.store.query` and FORMAT.md for the bucket rules. x must be
        non-decreasing within the series (steps and times from one run are).
        Cost: independent of the series length (a few small pyramid reads).
        """
        _check(points, x, method, x_min, x_max)
        origin = float(self._meta.get("time_origin", 0.0))
        created = float(self._meta.get("created", origin))
        return self._tolerant(title, series,
                              lambda sr: decimate(sr, _Axis(x, origin, created), x_min, x_max, int(points), method))

    # --- media, plots, console (store/media.py) ------------------------------------------
    def _intact(self, what: str, fn, *args, **kw):
        """``fn(...)``, or ``[]`` with a problem recorded when its file is damaged beyond what
        store/media.py skips itself (its own readers skip a torn last line)."""
        try:
            return fn(*args, **kw)
        except (MediaNotFoundError, SeriesNotFoundError):
            raise
        except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
            self._problem(corrupt(self.path / what, "cannot be read", exc))
            return []

    def media(self, title=None, series=None) -> list[dict]:
        """Kept samples as raw index dicts (see :func:`ringlog.store.media.read_media`); with
        several writers, every writer's merged by time (FORMAT.md, "Several writers of one task")."""
        own = self._intact("media.jsonl", read_media, self.path, title=title, series=series)
        if self._ns is not None and self._ns.readers:
            return self._ns.media(own, title, series, self._meta.get("label"))
        return own

    def media_records(self, title: str | None = None, series: str | None = None) -> list[MediaRecord]:
        """Kept samples as typed :class:`MediaRecord` (each with its stable ``id``), oldest first."""
        own = self._intact("media.jsonl", read_media_records, self.path, title=title, series=series)
        if self._ns is not None and self._ns.readers:
            return self._ns.media(own, title, series, self._meta.get("label"), typed=True)
        return own

    def media_file(self, record_id: int | MediaRecord) -> Path:
        """The file of the kept sample ``record_id``, checked to lie inside ``<task>/media/``.

        :class:`MediaNotFoundError` when no kept sample has that id or its file may not be served
        (see :func:`ringlog.store.media.media_file`). Cost: one scan of the media index, none when
        given a :class:`MediaRecord` this reader listed (then only its path is checked).
        """
        if isinstance(record_id, MediaRecord):
            owner = self._ns.media_owner(record_id.id) if self._ns is not None else None
            if owner is not None:  # a sample another writer keeps in its namespace
                return owner[0].media_file(replace(record_id, id=owner[1], source=None))
            return media_file(self.path, record_id)
        if isinstance(record_id, bool) or not isinstance(record_id, (int, np.integer)):
            raise bad_type("record_id", "must be an int (a MediaRecord id)", record_id)
        owner = self._ns.media_owner(int(record_id)) if self._ns is not None else None
        if owner is not None:
            return owner[0].media_file(owner[1])
        for rec in self._intact("media.jsonl", read_media_records, self.path):
            if rec.id == record_id:
                return media_file(self.path, rec)
        raise MediaNotFoundError(f"record_id: task {self.id} keeps no media record {int(record_id)}")

    def plots(self, title=None, series=None) -> list[dict]:
        own = self._intact("plots.jsonl", read_plots, self.path, title=title, series=series)
        if self._ns is not None and self._ns.readers:  # several writers: merged by time
            return self._ns.plots(own, title, series, self._meta.get("label"))
        return own

    def console(self, since=0, limit: int | None = None) -> list[dict]:
        if self._ns is not None and self._ns.readers:  # several writers: merged by time
            return self._ns.console(self._intact("console.jsonl", read_console, self.path), since, limit,
                                    self._meta.get("label"))
        return self._intact("console.jsonl", read_console, self.path, since=since, limit=limit)

    def __repr__(self) -> str:
        return f"TaskReader({self.id!r}, project={self._meta.get('project')!r}, series={len(self._entries)})"



def _int(v, lo: int = 0) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= lo


def _bad_entry(e) -> str | None:
    """Why a series.json entry cannot be used (None: it can)."""
    if not isinstance(e, dict):
        return "not a JSON object"
    if not _int(e.get("sid")) or e["sid"] > 1 << 31:
        return "'sid' is not a non-negative int"
    for k in ("title", "series"):
        if not isinstance(e.get(k), str) or not e[k]:
            return f"{k!r} is not a non-empty string"
    if e.get("dtype", "f8") not in ("f4", "f8"):
        return "'dtype' is not 'f4' or 'f8'"
    if not _int(e.get("chunks", 0)):
        return "'chunks' is not a non-negative int"
    levels = e.get("levels", [])
    if not isinstance(levels, list) or not all(_int(c) for c in levels):
        return "'levels' is not a list of non-negative ints"
    if e.get("shard") is not None and not _int(e["shard"], 1):
        return "'shard' is not a positive int"
    if e.get("count") is not None and not _int(e["count"]):
        return "'count' is not a non-negative int"
    op = e.get("open") or {}
    if not isinstance(op, dict) or not all(isinstance(v, list) and all(_int(x) for x in v) for v in op.values()):
        return "'open' is not {folder: [sizes]}"
    for k in ("stats", "sorted"):
        if e.get(k) is not None and not isinstance(e[k], dict):
            return f"{k!r} is not a JSON object"
    return None
