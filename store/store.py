"""Store: the root folder holding every task, and the catalog that indexes them.

Layout (FORMAT.md): ``<root>/<project dir>/<task id>/`` is a Zarr v3 group per
task; ``<root>/catalog.sqlite`` indexes their metadata. Nothing is created until
the first write. A Store may be shared by threads; several processes may write
different tasks of one root at the same time.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import time
import uuid
import warnings
from pathlib import Path

from . import _fs
from .catalog import Catalog
from .errors import StoreValueError, TaskNotFoundError, bad_type, bad_value
from .layout import FORMAT_VERSION, SERIES_INDEX, TASK_META
from .reader import TaskReader
from .series_reader import ChunkCache
from .writer import TaskWriter
from .taskmeta import read_meta
from .writer_lock import LOCK_FILE, TaskLock

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class Store:
    """A ringlog store rooted at ``root`` (str or Path).

    ``durable=False`` skips fsync (tests, benchmarks of the compressor); ``cache_bytes``
    bounds the decoded-chunk cache shared by this store's readers.
    """

    #: the class of ``Store("s3://...")`` (objstore/remote.py's RemoteStore; set by ``ringlog.store``)
    url_store: type | None = None

    def __new__(cls, root=None, *args, **kwargs):
        if cls is Store and isinstance(root, str) and "://" in root and Store.url_store is not None:
            return object.__new__(Store.url_store)
        return object.__new__(cls)

    def __init__(self, root, *, durable: bool = True, cache_bytes: int = 256 << 20):
        if not isinstance(root, (str, Path)):
            raise bad_type("root", "must be a str or pathlib.Path", root)
        self.root = Path(root).expanduser()
        self.durable = durable
        self.catalog = Catalog(self.root)
        self.catalog.rebuild = self.rebuild_catalog  # a damaged catalog is moved aside and rebuilt
        self.cache = ChunkCache(cache_bytes)
        self._warned = False

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    # --- writing ------------------------------------------------------------------
    def create_task(self, project: str, name: str, tags=(), task_id: str | None = None, *,
                    config: dict | None = None, created: float | None = None) -> TaskWriter:
        """Create a task folder and return its writer (status "running")."""
        for arg, v in (("project", project), ("name", name)):
            if not isinstance(v, str) or not v.strip():
                raise bad_value(arg, "must be a non-empty str", v)
        if isinstance(tags, str) or not all(isinstance(t, str) for t in tags or ()):
            raise bad_type("tags", "must be a sequence of str", tags)
        if task_id is None:
            task_id = uuid.uuid4().hex
        elif not isinstance(task_id, str) or not _ID.match(task_id):
            raise bad_value("task_id", "must be 1-64 letters, digits, '_' or '-'", task_id)
        if config is not None and not isinstance(config, dict):
            raise bad_type("config", "must be a dict", config)
        path = self.root / _fs.project_dir_name(project) / task_id
        found = self._find(task_id)
        if found is not None and not (found / TASK_META).exists() and not (found / SERIES_INDEX).exists():
            probe = TaskLock(found, task_id)  # a creation that failed before its metadata (a full disk):
            probe.acquire(wait=0.0, record=False)  # retrying it is allowed, unless a writer holds it
            probe.release()
            path, found = found, None
        if found is not None:
            probe = TaskLock(found, task_id)
            probe.acquire(wait=0.0, record=False)  # TaskLockedError (naming the holder) while another writer has it open
            probe.release()
            raise StoreValueError(f"task_id: must be new; task {task_id!r} already exists under {self.root}")
        _fs.makedirs(path)
        now = time.time() if created is None else float(created)
        meta = {"format": FORMAT_VERSION, "id": task_id, "name": name, "project": project, "status": "running",
                "created": now, "updated": now, "time_origin": now, "tags": list(dict.fromkeys(tags or ())),
                "config": config or {}, "summary": {}, "env": {}}
        return TaskWriter(self, path, meta, durable=self.durable)

    def _catalog_upsert(self, path: Path, meta: dict) -> None:
        try:
            self.catalog.upsert([(meta, path)])
        except Exception as exc:  # the catalog is an index: the task's own files hold the truth
            if not self._warned:
                self._warned = True
                warnings.warn(f"ringlog: catalog {self.catalog.path} not updated ({exc!r}); the task data is "
                              "safe, run Store.rebuild_catalog() later", RuntimeWarning, stacklevel=3)

    # --- reading ------------------------------------------------------------------
    def _find(self, task_id: str) -> Path | None:
        try:
            p = self.catalog.path_of(task_id)
        except sqlite3.Error:  # a damaged index never hides a task: fall back to the folders
            p = None
        if p is not None and is_task_dir(Path(p)) and Path(p).name == task_id:
            return Path(p)
        for q in self.task_dirs():
            if q.name == task_id:
                return q
        if (self.root / ".spool-root").is_file():  # the spool of an s3:// root: a pruned task comes back
            from .objstore.restore import restore

            return restore(self.root, task_id)
        return None

    def task_dirs(self) -> list[Path]:
        """Every task folder under the root (``<project dir>/<task id>/`` holding a task file),
        whether or not its metadata can be read."""
        out = []
        try:
            projects = [d for d in self.root.iterdir() if not d.name.startswith(".") and d.is_dir()]
        except OSError:
            return out
        for d in sorted(projects):
            try:
                out.extend(q for q in sorted(d.iterdir()) if _ID.match(q.name) and is_task_dir(q))
            except OSError:
                continue
        return out

    def _catalog_row(self, task_id: str) -> dict | None:
        try:
            rows, _ = self.catalog._query(text=task_id, limit=None)
        except Exception:  # noqa: BLE001 - a fallback only
            return None
        return next((r for r in rows if r["id"] == task_id), None)

    def task(self, task_id: str) -> TaskReader:
        """Reader of a task; :class:`TaskNotFoundError` (a KeyError) when there is none. A task
        with damaged files still opens: see :attr:`TaskReader.problems`."""
        if not isinstance(task_id, str) or not _ID.match(task_id):
            raise TaskNotFoundError(f"task_id: must be 1-64 letters, digits, '_' or '-' (given: {task_id!r})")
        path = self._find(task_id)
        if path is None:
            raise TaskNotFoundError(f"task_id: no task {task_id!r} under {self.root}")
        return TaskReader(path, self.cache, fallback=lambda: self._catalog_row(task_id))

    def delete_task(self, task_id: str) -> None:
        """Delete a task: its folder (renamed away first, so readers never see half of it) and its
        catalog row. :class:`TaskNotFoundError` when there is none. Do not delete a running task."""
        path = self.task(task_id).path
        trash = path.with_name(f".deleting-{task_id}-{uuid.uuid4().hex[:8]}")
        os.replace(path, trash)
        try:
            self.catalog.delete(task_id)
        finally:
            shutil.rmtree(trash, ignore_errors=True)

    def refresh(self, force: bool = False) -> int:
        """Catch the catalog up with the root; returns the tasks changed. A local root's writers keep
        it current (0); an object-store root lists its bucket (objstore/remote.py)."""
        return 0

    def _ensure_catalog(self) -> None:
        if not self.catalog.path.exists() and self.root.is_dir():
            self.rebuild_catalog()

    def tasks(self, project: str | None = None) -> list[dict]:
        """Every task (catalog rows: id, name, project, status, tags, created, updated, summary,
        config, path), most recently updated first."""
        self._ensure_catalog()
        rows, _ = self.catalog.query(project=project, limit=None)
        return rows

    def projects(self) -> list[str]:
        self._ensure_catalog()
        return self.catalog.projects()

    def rebuild_catalog(self) -> int:
        """Rebuild the catalog from every task folder; returns the number of tasks.

        Works on a damaged catalog file (moved aside first, see store/catalog.py). A task whose
        metadata cannot be read keeps its old row when the catalog still has one, else gets a
        row from its folder (status ``unknown``)."""
        why = self.catalog.check()
        if why is not None:
            self.catalog.set_aside(why)
        old = {}
        try:
            old = {r["id"]: r for r in self.catalog._query(limit=None)[0]}
        except Exception:  # noqa: BLE001 - the old rows only help tasks with damaged metadata
            pass
        rows = []
        for d in self.task_dirs():
            meta, problems = read_meta(d, old.get(d.name))
            rows.append((meta, d))
        self.catalog._healing = True  # the rebuild is the healing: no recursion
        try:
            self.catalog.upsert(rows)
            self.catalog.remove_missing([m["id"] for m, _ in rows])
        finally:
            self.catalog._healing = False
        return len(rows)


def is_task_dir(p: Path) -> bool:
    """Whether folder ``p`` is a task folder (holds its metadata, series index or writer lock)."""
    return any((p / name).exists() for name in (TASK_META, SERIES_INDEX, LOCK_FILE))
