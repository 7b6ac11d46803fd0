"""TaskWriter: appends series points and metadata of one task.

Durability model (FORMAT.md): whole chunks go straight into Zarr arrays; each
series' partial chunk lives in its tail file (the task's shared ``tails.bin`` while
the series has no whole chunk and few pending points), appended and fsynced at every
:meth:`TaskWriter.sync`; ``series.json`` and the task's ``zarr.json`` are
replaced atomically. A crash loses at most what was appended since the last
sync. One writer per task, enforced across processes by an exclusive ``flock`` on the
task's ``writer.lock`` (store/writer_lock.py: a second writer gets
:class:`~ringlog.store.errors.TaskLockedError` naming the holder); the lock file's mtime is
the heartbeat readers use to tell a crashed run from a running one, refreshed at every
sync. Methods are serialised by a lock (the SDK calls them from its flusher thread).
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
import threading
import time as _time
import warnings
from pathlib import Path

import numpy as np

from ringlog.core.stats import SeriesStats

from . import _fs, _kern, batch_append
from .errors import StoreValueError, TaskClosedError, bad_type, bad_value
from .objstore.attach import attach_uploader
from .layout import CHUNK, FORMAT_VERSION, SERIES_INDEX, TASK_META, TIME_RES
from .series_writer import TAIL_COMPACT, SeriesWriter
from .tail_writer import TailSet
from .writer_lock import TaskLock

SHARED_TAIL = "tails.bin"  # the tail records of every series without a whole chunk (FORMAT.md)
SHARED_MAX = 128  # pending points from which a series without a whole chunk moves to its own tail.bin
SYNCFS_MIN = 256  # files to fsync in one batch from which one syncfs(2) replaces the fsyncs
STATUSES = ("running", "completed", "failed", "aborted", "crashed")  # crashed: recorded by fsck --repair
_CORE_KEYS = ("id", "name", "project", "status", "created", "updated", "time_origin", "tags", "config",
              "summary", "env", "format")


def write_task_meta(path: Path, meta: dict, durable: bool = True) -> None:
    """Replace the task group's ``zarr.json`` (attributes = metadata) atomically."""
    _fs.write_json_atomic(path / TASK_META, {"zarr_format": 3, "node_type": "group", "attributes": meta}, durable)


class TaskWriter:
    """Writes one task. Create through :meth:`ringlog.store.Store.create_task`."""

    def __init__(self, store, path: Path, meta: dict, durable: bool = True, existing: bool = False):
        self._store = store
        self.path = Path(path)
        self._meta = meta
        self._durable = durable
        self._lock = threading.RLock()
        self._series: list[SeriesWriter] = []
        self._ids: dict[tuple[str, str], int] = {}
        self._index_dirty = True
        self._closed = False
        self._media = None
        self._origin = float(meta["time_origin"])
        self.after_close: list = []  # callables run once the task is closed (an object-store root's final upload)
        self._lock_file = TaskLock(self.path, meta["id"])
        meta["writer"] = self._lock_file.acquire()  # TaskLockedError when another writer holds the task
        try:
            if not existing and (self.path / TASK_META).exists():
                raise StoreValueError(f"task_id: must be new; task {meta['id']!r} already exists in {self.path}")
            self._setup(store, meta, durable, existing)
        except BaseException:
            self._lock_file.release()
            raise
        self.uploader = attach_uploader(self)  # a spool root (s3://...): uploads as it goes, else None

    def _setup(self, store, meta: dict, durable: bool, existing: bool = False) -> None:
        # compresses the three arrays of a chunk in parallel (Blosc releases the GIL)
        self._pool = ThreadPoolExecutor(3, thread_name_prefix="ringlog-encode") if (os.cpu_count() or 1) > 1 \
            else None
        # overlaps the fsyncs of a sync (threads start on first use, so small tasks start none)
        self._fsync_pool = ThreadPoolExecutor(8, thread_name_prefix="ringlog-fsync") if durable else None
        self._tails = TailSet(self.path, durable, self._fsync_pool)  # the tail files (store/tail_writer.py)
        if existing:  # reopened: store/reopen.py loads the series, then writes the index and metadata
            return
        write_task_meta(self.path, meta, durable)
        self._write_index()
        store._catalog_upsert(self.path, meta)

    @property
    def id(self) -> str:
        return self._meta["id"]

    @property
    def project(self) -> str:
        return self._meta["project"]

    @property
    def name(self) -> str:
        return self._meta["name"]

    @property
    def meta(self) -> dict:
        """A copy of the current metadata (the group attributes)."""
        with self._lock:
            return dict(self._meta)

    @property
    def media(self):
        """MediaWriter for this task's folder (created on first use)."""
        if self._media is None:
            from .media import MediaWriter

            self._media = MediaWriter(self.path)
        return self._media

    # --- series ----------------------------------------------------------------
    def series_id(self, title: str, series: str | None = None, *, float64: bool = False) -> int:
        """Stable int id of (title, series) in this task; ``series=None`` means ``series == title``.

        ``float64=True`` stores values as float64 from the start (default: float32
        while every value is exactly a float32, float64 from the first that is not).
        """
        if not isinstance(title, str) or not title:
            raise bad_value("title", "must be a non-empty str", title)
        series = title if series is None else series
        if not isinstance(series, str) or not series:
            raise bad_value("series", "must be a non-empty str or None", series)
        key = (title, series)
        with self._lock:
            sid = self._ids.get(key)
            if sid is None:
                self._check_open()
                sid = len(self._series)
                self._series.append(SeriesWriter(self.path, sid, title, series, float64=float64,
                                                 pool=self._pool, fsync_pool=self._fsync_pool))
                self._ids[key] = sid
                self._index_dirty = True
            return sid

    def append(self, sid: int, step, value, time) -> None:
        """Append one series' points in log order.

        ``step``: integers; ``value``: real numbers; ``time``: unix seconds (an array of
        the same length, or one number for all). Times are kept at 1 ms resolution.
        Cost: O(n); whole chunks are compressed and written here, the rest at sync().
        """
        if isinstance(sid, bool) or not isinstance(sid, (int, np.integer)):
            raise bad_type("sid", "must be an int from series_id()", sid)
        step = np.asarray(step)
        value = np.asarray(value)
        if step.ndim != 1:
            raise bad_value("step", "must be a 1-D array", f"shape {step.shape}")
        n = step.shape[0]
        if n and step.dtype.kind not in "iu":
            raise bad_type("step", "must hold integers", f"dtype {step.dtype}")
        if value.shape != (n,):
            raise bad_value("value", f"must be 1-D with len(step)={n} items", f"shape {value.shape}")
        if n and value.dtype.kind not in "biuf":
            raise bad_type("value", "must hold real numbers", f"dtype {value.dtype}")
        t = np.asarray(time, dtype=np.float64)
        if t.ndim == 0:
            t = np.full(n, float(t))
        elif t.shape != (n,):
            raise bad_value("time", f"must be a number or 1-D with len(step)={n} items", f"shape {t.shape}")
        if n == 0:
            return
        tms, bad, tsorted = _kern.seconds_to_ms(t, self._origin, 1.0 / TIME_RES)  # one pass, checks finiteness
        if bad >= 0:
            raise bad_value("time", "must be finite unix seconds", t[~np.isfinite(t)][:3])
        with self._lock:
            self._check_open()
            if not 0 <= int(sid) < len(self._series):
                raise bad_value("sid", f"must be an id from series_id() (0..{len(self._series) - 1})", sid)
            self._series[int(sid)].append(step.astype(np.int64, copy=False),
                                          value.astype(np.float64, copy=False), tms, tms_sorted=tsorted)

    def append_many(self, items, outcome: list | None = None) -> list:
        """Append several series' points: ``items`` is a sequence of ``(sid, step, value, time)`` as
        :meth:`append` takes them, applied in order. The same result as one :meth:`append` per item,
        but small items (a few points each of many short series: a W&B row of thousands of keys)
        are checked and added together, vectorised (store/batch_append.py: ~2-3 us per item
        against ~15-30 us). Returns ``outcome`` (a new list when not given), which gets one entry
        per item taken: None, or the exception that refused it (a bad argument: the other items
        go on). An ``OSError`` (a full disk...) is raised; the items before it - as many as
        ``outcome`` holds - are taken, that one and the rest are not. An ``append`` replaced on the
        instance (a test's fault injection, someone's instrumentation) is called for every item."""
        outcome = [] if outcome is None else outcome
        with self._lock:
            self._check_open()
            batch_append.run(self, items, outcome, fast="append" not in self.__dict__)
        return outcome

    def series_stats(self, sid: int) -> SeriesStats:
        """The running figures (count, first/last, finite min/max/sum) of series ``sid``: the live
        object :meth:`append` updates, computed once per point while writing (no other copy). Read
        it from another thread through :meth:`SeriesStats.copy`."""
        with self._lock:
            if isinstance(sid, bool) or not isinstance(sid, (int, np.integer)) or not 0 <= int(sid) < len(self._series):
                raise bad_value("sid", f"must be an id from series_id() (0..{len(self._series) - 1})", sid)
            return self._series[int(sid)].stats

    def sync(self) -> None:
        """Make everything appended so far durable (see the module docstring for the order)."""
        with self._lock:
            if self._closed:
                return
            self._sync()

    def _sync(self, final: bool = False) -> None:
        changed = self._index_dirty
        durable = self._durable
        for s in self._series:
            if final:
                s.seal()
            if s.meta_dirty or s.structure_dirty() or (final and not s.short):
                changed = True
                if not s.short or s.pending >= CHUNK:  # a short series has no Zarr arrays or level files
                    s.sync_files(final)                # to write (unless failed chunk writes left some)
            if durable:
                s.fsync()
            else:
                s.forget_unsynced()
        if final:  # short series keep tail.bin as their storage: complete it before series.json says closed
            self._write_tails([s for s in self._series if s.in_tail])
        if changed:
            self._write_index()
        self._write_tails([s for s in self._series if not s.in_tail] if final else self._series)
        self._lock_file.heartbeat()

    def _write_tails(self, series) -> None:
        """Write each series' new tail record and fsync them as one batch (store/tail_writer.py),
        then remove float32 value arrays that a float64 migration replaced."""
        self._tails.write(series, self._series, TAIL_COMPACT, SHARED_MAX)
        for s in self._series:
            if s.migrated_from is not None:
                shutil.rmtree(s.migrated_from, ignore_errors=True)
                s.migrated_from = None

    def _write_index(self) -> None:
        entries = []
        for s in self._series:
            entries.append(s.entry_json())  # cached while unchanged (many-series tasks)
            s.meta_dirty = False
        text = f'{{"format":{FORMAT_VERSION},"shared_tail":"{SHARED_TAIL}","series":[{",".join(entries)}]}}'
        _fs.write_atomic(self.path / SERIES_INDEX, text.encode("utf-8"), self._durable)
        if self._durable:
            _fs.fsync_dir(self.path)
        self._index_dirty = False

    # --- metadata ------------------------------------------------------------------
    def set_meta(self, status=None, tags=None, config=None, summary=None, env=None, **extra) -> None:
        """Replace metadata fields (atomic rewrite of the group attributes) and update the catalog.

        ``None`` leaves a field unchanged. Extra keys (e.g. command, host, python) are
        stored as given (JSON-serialisable values). A catalog failure only warns.
        """
        if status is not None and status not in STATUSES:
            raise bad_value("status", f"must be one of {STATUSES}", status)
        if tags is not None:
            if isinstance(tags, str) or not all(isinstance(t, str) for t in tags):
                raise bad_type("tags", "must be a sequence of str", tags)
        for name, val in (("config", config), ("summary", summary), ("env", env)):
            if val is not None and not isinstance(val, dict):
                raise bad_type(name, "must be a dict", val)
        for k in extra:
            if k in ("id", "project", "created", "time_origin", "format"):
                raise bad_value(k, "is fixed at task creation", extra[k])
        with self._lock:
            m = dict(self._meta)
            for k, v in (("status", status), ("config", config), ("summary", summary), ("env", env)):
                if v is not None:
                    m[k] = v
            if tags is not None:
                m["tags"] = list(dict.fromkeys(tags))
            m.update(extra)
            m["updated"] = _time.time()
            write_task_meta(self.path, m, self._durable)
            self._meta = m
        self._store._catalog_upsert(self.path, m)

    def close(self, status: str = "completed") -> None:
        """Sync, set the final status and updated time. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._sync(final=True)
            if self._media is not None:
                try:
                    self._media.sync()
                except Exception as exc:  # media must never cost the scalars
                    warnings.warn(f"ringlog: media of task {self.id} could not be synced: {exc!r}", stacklevel=2)
            self.set_meta(status=status)
            self._closed = True
            self._lock_file.release()
            for pool in (self._pool, self._fsync_pool):
                if pool is not None:
                    pool.shutdown(wait=True)
            hooks, self.after_close = self.after_close, []
        for hook in hooks:  # outside the lock: an upload must not hold the writer
            hook()

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        self.close("completed" if et is None else "failed")

    def _check_open(self) -> None:
        if self._closed:
            raise TaskClosedError(f"task {self.id}: is closed; create a new task to write more")
