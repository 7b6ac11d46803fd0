"""``Store("s3://bucket/prefix")``: a store whose root is a bucket.

Reading goes through the local read cache (:mod:`.mirror`, ``$RINGLOG_CACHE``): ``tasks()`` and
``projects()`` refresh the catalog from the bucket (at most once per ``ttl`` second; in the
background once a refresh takes more than ``SLOW``, 0.5 s: a bucket of thousands of tasks), ``task(id)``
brings the task's small files up to date and leaves chunk objects to be fetched when read.
Writing (``create_task``) goes to the local spool and an uploader thread (:mod:`.uploader`).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from ..errors import StoreValueError
from ..store import Store
from . import spool
from .client import Client
from .mirror import Mirror

#: a catalog refresh slower than this (s) is done in the background from then on (see refresh)
SLOW = 0.5


class RemoteStore(Store):
    """A :class:`~ringlog.store.Store` over ``url``; see the module docstring. ``cache_bytes``
    bounds decoded chunks in memory (as for a local store), ``mirror_bytes`` the chunk objects
    kept on disk."""

    def __init__(self, root, *, durable: bool = True, cache_bytes: int = 256 << 20, mirror_bytes: int = 1 << 30,
                 ttl: float = 1.0):
        self.url = str(root).rstrip("/")
        self.client = Client(self.url)
        super().__init__(spool.cache_for(self.url), durable=False, cache_bytes=cache_bytes)
        self.mirror = Mirror(self.client, self.root, mirror_bytes, ttl)
        self._write_durable = durable
        self._refresh_mu = threading.RLock()  # a damaged catalog rebuilds (refresh(force)) inside a refresh
        self._bg_mu = threading.Lock()
        self._bg: threading.Thread | None = None
        self._cost, self._refreshed = 0.0, False

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def create_task(self, *args, **kwargs):
        """Create the task in the local spool and upload it from there."""
        return Store(spool.spool_root(self.url), durable=self._write_durable).create_task(*args, **kwargs)

    def refresh(self, force: bool = False) -> int:
        """Bring the local catalog up to date with the bucket; returns how many tasks changed.

        When the last refresh took longer than :data:`SLOW` (a bucket of thousands of tasks: its
        LIST alone takes seconds), a due refresh runs on a background thread (one at a time) and
        this call answers from the catalog as it is (0), so the task table never waits for the
        bucket; ``force`` (and the first refresh) always waits."""
        if not force and self._cost > SLOW and self._refreshed:
            if time.monotonic() - self.mirror._tasks_at >= self.mirror.ttl:
                with self._bg_mu:
                    if self._bg is None or not self._bg.is_alive():
                        self._bg = threading.Thread(target=self._refresh_quietly, name="ringlog-s3-catalog",
                                                    daemon=True)
                        self._bg.start()
            return 0
        return self._refresh(force)

    def _refresh_quietly(self) -> None:
        try:
            self._refresh(False)
        except Exception:  # noqa: BLE001 - the next call retries; the catalog keeps its rows
            pass

    def _refresh(self, force: bool) -> int:
        with self._refresh_mu:
            t0 = time.monotonic()
            rows, ids = self.mirror.refresh_tasks(force)
            if ids is None:
                return 0
            if rows:  # a damaged local catalog is moved aside and rebuilt (rebuild_catalog) by the catalog itself
                self.catalog.upsert(rows)
            self.catalog.remove_missing(list(ids))
            self._cost, self._refreshed = time.monotonic() - t0, True
            return len(rows)

    def tasks(self, project=None):
        self.refresh()
        return super().tasks(project)

    def projects(self):
        self.refresh()
        return super().projects()

    def _ensure_catalog(self) -> None:
        self.refresh()

    def _find(self, task_id: str):
        """The task's folder in the read cache, from its catalog row (the refresh writes no file of
        a task; :meth:`task` fetches them), else from the folders."""
        try:
            p = self.catalog.path_of(task_id)
        except sqlite3.Error:
            p = None
        if p is not None and Path(p).name == task_id and Path(p).is_relative_to(self.root):
            return Path(p)
        return super()._find(task_id)

    def task(self, task_id: str):
        path = self._find(task_id)
        if path is None:
            self.refresh(force=True)
            path = self._find(task_id)
        if path is not None:
            self.mirror.sync_task(Path(path).relative_to(self.root).as_posix())
        return super().task(task_id)

    def delete_task(self, task_id: str) -> None:
        raise StoreValueError("task_id: deleting a task of an object-store root is not supported here")

    def rebuild_catalog(self) -> int:
        """Rebuild the local catalog (a damaged file is moved aside first) from every task object
        of the bucket, fetched again."""
        super().rebuild_catalog()
        self.mirror.forget_tasks()
        self.refresh(force=True)
        return len(self.catalog._query(limit=None)[0])
