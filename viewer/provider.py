"""The viewer's one door to the data: a :class:`Provider` over a :class:`ringlog.store.Store`.

Routes never touch files and never build a file path from a URL: they ask the app's provider
(:func:`current`), whose methods take keyword-only arguments and answer the store's typed results
(:class:`~ringlog.store.TaskReader`, :class:`~ringlog.store.Scalar`,
:class:`~ringlog.store.Decimated`, :class:`~ringlog.store.MediaRecord`). The pure ``*_impl``
functions of the other modules take a TaskReader the provider handed out, so tests call them
without HTTP on stores built with :mod:`ringlog.store.testing`.

Unknown or malformed task ids are :class:`~ringlog.store.TaskNotFoundError` (a 404 in
``errors.py``); a media record id the store will not serve is a
:class:`~ringlog.store.MediaNotFoundError` (also a 404).
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections import OrderedDict
from pathlib import Path

from flask import current_app

from ringlog.store import MediaRecord, Store, TaskNotFoundError, TaskReader
from ringlog.store.layout import SERIES_INDEX, TASK_META
from ringlog.store.namespaces import NS_DIR
from ringlog.store.objstore.artifacts import open_artifacts
from ringlog.store.objstore.reports import open_reports
from ringlog.store.reports import ReportStore

_EXTENSION = "ringlog_provider"
_MISSING = object()


class Provider:
    """Everything the viewer reads, from one store root. Safe to share between request threads
    (the Store is; the report store is built once, on first use)."""

    def __init__(self, store: Store):
        if not isinstance(store, Store):
            raise TypeError(f"store: must be a ringlog.store.Store (given: {type(store).__name__})")
        self._store = store
        self._reports: ReportStore | None = None
        self._artifacts = None
        # a local root only: an s3:// root's task() also fetches what the bucket has new
        self._finished = _FinishedReaders(store) if type(store) is Store else None
        self._memo: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._memo_lock = threading.Lock()

    @property
    def root(self) -> Path:
        return self._store.root

    # --- tasks ---------------------------------------------------------------------------
    def projects(self) -> list[str]:
        return self._store.projects()

    def task_rows(self, *, project: str | None = None) -> list[dict]:
        """Every task's catalog row (id, name, project, status, tags, created, updated, summary, config)."""
        return self._store.tasks(project)

    def query_tasks(self, *, project: str | None = None, text: str | None = None, tags: tuple[str, ...] = (),
                    status: str | None = None, sort: str = "updated", descending: bool = True,
                    offset: int = 0, limit: int | None = 50,
                    metric_filters: tuple = ()) -> tuple[list[dict], int]:
        """One page of catalog rows and the total count (the catalog is rebuilt first if missing)."""
        self._store.refresh()  # an s3:// root: the local catalog catches up with the bucket (cheap, TTL)
        if not self._store.catalog.path.exists():
            self._store.projects()  # rebuilds a missing catalog from the task folders
        return self._store.catalog.query(project=project, text=text, tags=tuple(tags), status=status, sort=sort,
                                         descending=descending, offset=offset, limit=limit,
                                         metric_filters=tuple(metric_filters))

    def reader(self, *, task_id: str) -> TaskReader:
        """A snapshot of one task; :class:`TaskNotFoundError` for unknown or malformed ids.

        A finished task's snapshot is shared by the requests that follow while its files are
        unchanged (:class:`_FinishedReaders`): a page of a 5,000-series run asks for the task three
        times at once, and each fresh snapshot parsed and checked its series index again (~90 ms).
        A running task gets a fresh snapshot per request."""
        if not isinstance(task_id, str):
            raise TaskNotFoundError(f"task_id: must be a str (given: {task_id!r})")
        if self._finished is None:
            return self._store.task(task_id)
        return self._finished.get(task_id)

    def memo(self, reader: TaskReader, name: str, compute):
        """``compute()``, kept with ``reader`` while it lives: a finished task's snapshot is shared by
        later requests (:meth:`reader`), so what is derived from it alone (its series listing) is
        worked out once. A running task's fresh snapshot computes it again."""
        with self._memo_lock:
            got = self._memo.get(reader, {}).get(name, _MISSING)
        if got is _MISSING:
            got = compute()
            with self._memo_lock:
                self._memo.setdefault(reader, {})[name] = got
        return got

    # --- media -----------------------------------------------------------------------------
    def media(self, *, task_id: str, title: str | None = None, series: str | None = None) -> list[MediaRecord]:
        return self.reader(task_id=task_id).media_records(title, series)

    def media_file(self, *, task_id: str, record_id: int) -> Path:
        """The file of media record ``record_id``, resolved and checked by the store."""
        return self.reader(task_id=task_id).media_file(record_id)

    # --- reports -----------------------------------------------------------------------------
    @property
    def reports(self) -> ReportStore:
        """The reports under ``<root>/.reports`` (built once; an ``s3://`` root's are its bucket's)."""
        if self._reports is None:
            self._reports = open_reports(getattr(self._store, "url", None) or self._store.root)
        return self._reports

    @property
    def artifacts(self):
        """The artifact store of the root (built once; an ``s3://`` root's is read from its bucket)."""
        if self._artifacts is None:
            self._artifacts = open_artifacts(getattr(self._store, "url", None) or self._store.root)
        return self._artifacts


class _FinishedReaders:
    """Snapshots of finished tasks, reused while the task's metadata, series index and writer
    namespaces folder keep their (mtime, size, inode): a resume, an fsck repair or an edit of the
    task rewrites one of them, and the next request opens a fresh snapshot. A snapshot is kept only
    when none of those files changed from 10 ms before its open on (one changed during the open
    could be half seen)."""

    FINISHED = ("completed", "failed", "aborted")
    SIZE = 8  # snapshots kept (least recently used dropped): a 5,000-series one holds a few MB

    def __init__(self, store: Store):
        self._store = store
        self._lock = threading.Lock()
        self._d: OrderedDict[str, tuple[tuple, TaskReader]] = OrderedDict()

    @staticmethod
    def _signature(path: Path) -> tuple:
        out = []
        for name in (TASK_META, SERIES_INDEX, NS_DIR):
            try:
                st = os.stat(path / name)
                out.append((st.st_mtime_ns, st.st_size, st.st_ino))
            except OSError:
                out.append(None)
        return tuple(out)

    def get(self, task_id: str) -> TaskReader:
        with self._lock:
            hit = self._d.get(task_id)
        if hit is not None and self._signature(hit[1].path) == hit[0]:
            with self._lock:
                if task_id in self._d:
                    self._d.move_to_end(task_id)
            return hit[1]
        opened = time.time_ns()
        reader = self._store.task(task_id)
        sig = self._signature(reader.path)
        # a file changed within 10 ms of the open may have changed during it: not reused
        settled = all(x is None or x[0] < opened - 10_000_000 for x in sig)
        if settled and reader.info.get("status") in self.FINISHED and not reader.problems:
            with self._lock:
                self._d[task_id] = (sig, reader)
                self._d.move_to_end(task_id)
                while len(self._d) > self.SIZE:
                    self._d.popitem(last=False)
        else:
            with self._lock:
                self._d.pop(task_id, None)
        return reader


def install(app, store: Store) -> Provider:
    """Attach a provider over ``store`` to ``app`` (called once by ``create_app``)."""
    p = app.extensions[_EXTENSION] = Provider(store)
    return p


def current() -> Provider:
    """The provider of the app serving this request."""
    return current_app.extensions[_EXTENSION]
