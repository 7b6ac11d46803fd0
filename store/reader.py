"""TaskReader: the numpy read API of one task (metadata, series, full export, decimate).

A reader is a snapshot: series.json as it was when the reader was opened, and each
series' tail file as it was at that series' first read (``refresh()`` starts over). Reads never sample: ``scalar()`` returns
every point of the range exactly as logged (time at 1 ms resolution).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import _fs, tail
from .errors import CorruptStoreError, MediaNotFoundError, SeriesNotFoundError, bad_type
from .layout import SERIES_INDEX, TASK_META, TIME_RES
from .media import MediaRecord, media_file, read_console, read_media, read_media_records, read_plots
from .query import Decimated, _Axis, _check, decimate
from .series_reader import ChunkCache, SeriesReader, StaleIndex

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

    def __init__(self, path: Path, cache: ChunkCache | None = None):
        self.path = Path(path)
        self._cache = cache or ChunkCache()
        self.refresh()

    def refresh(self) -> None:
        """Take a new snapshot of the task (a live task's newest synced points)."""
        try:
            self._meta = _fs.read_json(self.path / TASK_META).get("attributes", {})
        except (OSError, ValueError) as exc:
            raise CorruptStoreError(f"task folder {self.path}: metadata cannot be read ({exc})") from exc
        self._entries = self._read_index()
        self._readers: dict[int, SeriesReader] = {}

    def _shared(self):
        """The shared tail file (read and indexed once per snapshot)."""
        if self._shared_recs is None:
            self._shared_recs = tail.read_shared(self.path / self._shared_name)
        return self._shared_recs

    def _read_index(self) -> dict:
        self._shared_name, self._shared_recs = None, None
        try:
            idx = _fs.read_json(self.path / SERIES_INDEX)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise CorruptStoreError(f"task folder {self.path}: series.json cannot be read ({exc})") from exc
        name = idx.get("shared_tail")
        if isinstance(name, str) and name and "/" not in name and not name.startswith("."):
            self._shared_name = name
        return {(e["title"], e["series"]): e for e in idx.get("series", [])}

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
        return m

    @property
    def summary(self) -> dict:
        return dict(self._meta.get("summary") or {})

    def series(self) -> list[tuple[str, str]]:
        """Every (title, series) the task holds, sorted."""
        return sorted(self._entries)

    def last_metrics(self) -> dict:
        """``{(title, series): {"last", "min", "max", "count", "last_step"}}`` as of the last sync
        (min/max over finite values; None when there is none)."""
        return {k: dict(e.get("stats") or {}) for k, e in sorted(self._entries.items())}

    # --- series -------------------------------------------------------------------
    def _series_reader(self, title, series) -> SeriesReader:
        if not isinstance(title, str):
            raise bad_type("title", "must be a str", title)
        if series is None:
            series = title
        elif not isinstance(series, str):
            raise bad_type("series", "must be a str or None (None: the same as title)", series)
        key = (title, series)
        e = self._entries.get(key)
        if e is None:
            raise SeriesNotFoundError(f"title={title!r}, series={series!r}: no such series in task {self.id} "
                                      f"(it has {len(self._entries)} series)")
        sr = self._readers.get(e["sid"])
        if sr is None:
            for _ in range(5):
                try:
                    sr = SeriesReader(self.path, e, self._cache, self._shared if self._shared_name else None)
                    break
                except StaleIndex:  # the writer compacted the tail after we read series.json
                    self._entries = self._read_index()
                    e = self._entries[key]
            else:
                raise CorruptStoreError(f"series {key} of task {self.id}: tail and series.json disagree")
            self._readers[e["sid"]] = sr
        return sr

    def count(self, title: str, series: str | None = None) -> int:
        """Number of points of a series."""
        return self._series_reader(title, series).n

    def scalar(self, title: str, series: str | None = None, start: int | None = None,
               stop: int | None = None) -> Scalar:
        """Points ``[start, stop)`` (Python slice rules, negative counts from the end) of a series.

        Never sampled. Cost: decodes the chunks overlapping the range.
        """
        sr = self._series_reader(title, series)
        for name, v in (("start", start), ("stop", stop)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer))):
                raise bad_type(name, "must be None or an int", v)
        lo, hi, _ = slice(start, stop).indices(sr.n)
        hi = max(hi, lo)
        origin = float(self._meta.get("time_origin", 0.0))
        return Scalar(*sr.export(lo, hi, origin, TIME_RES))

    def decimate(self, title: str, series: str | None = None, x_min=None, x_max=None, points: int = 2000,
                 x: str = "step", method: str = "m4") -> Decimated:
        """A few points of ``[x_min, x_max]`` that keep every bucket's true first/last/min/max.

        ``x``: "step", "time" (seconds since the task started) or "wall" (unix seconds).
        See :mod:`ringlog.store.query` and FORMAT.md for the bucket rules. x must be
        non-decreasing within the series (steps and times from one run are).
        Cost: independent of the series length (a few small pyramid reads).
        """
        _check(points, x, method, x_min, x_max)
        sr = self._series_reader(title, series)
        origin = float(self._meta.get("time_origin", 0.0))
        created = float(self._meta.get("created", origin))
        return decimate(sr, _Axis(x, origin, created), x_min, x_max, int(points), method)

    # --- media, plots, console (store/media.py) ------------------------------------------
    def media(self, title=None, series=None) -> list[dict]:
        """Kept samples as raw index dicts (see :func:`ringlog.store.media.read_media`)."""
        return read_media(self.path, title=title, series=series)

    def media_records(self, title: str | None = None, series: str | None = None) -> list[MediaRecord]:
        """Kept samples as typed :class:`MediaRecord` (each with its stable ``id``), oldest first."""
        return read_media_records(self.path, title=title, series=series)

    def media_file(self, record_id: int | MediaRecord) -> Path:
        """The file of the kept sample ``record_id``, checked to lie inside ``<task>/media/``.

        :class:`MediaNotFoundError` when no kept sample has that id or its file may not be served
        (see :func:`ringlog.store.media.media_file`). Cost: one scan of the media index, none when
        given a :class:`MediaRecord` this reader listed (then only its path is checked).
        """
        if isinstance(record_id, MediaRecord):
            return media_file(self.path, record_id)
        if isinstance(record_id, bool) or not isinstance(record_id, (int, np.integer)):
            raise bad_type("record_id", "must be an int (a MediaRecord id)", record_id)
        for rec in self.media_records():
            if rec.id == record_id:
                return media_file(self.path, rec)
        raise MediaNotFoundError(f"record_id: task {self.id} keeps no media record {int(record_id)}")

    def plots(self, title=None, series=None) -> list[dict]:
        return read_plots(self.path, title=title, series=series)

    def console(self, since=0, limit: int | None = None) -> list[dict]:
        return read_console(self.path, since=since, limit=limit)

    def __repr__(self) -> str:
        return f"TaskReader({self.id!r}, project={self._meta.get('project')!r}, series={len(self._entries)})"

