"""Several processes writing one task: the writer side (FORMAT.md, "Several writers of one task").

The task's first writer owns the task folder as any single writer does. Every other process gets
its own *writer namespace* ``<task>/w/<label>/``: a folder laid out exactly like a task folder
(``zarr.json``, ``series.json``, ``tails.bin``, ``s<sid>/``, ``writer.lock``, console and media
files) that only that process writes. No file is written by two processes, so the one-writer rules
(tails, shards, sync order, crash safety, the heartbeat) hold per namespace unchanged, on one node
or many sharing a file system; readers merge them (:mod:`ringlog.store.namespaces`).
"""

from __future__ import annotations

import time

from . import _fs
from .errors import StoreValueError, TaskLockedError
from .layout import FORMAT_VERSION, SERIES_INDEX, TASK_META
from .namespaces import NS_DIR, check_label
from .reopen import open_task, reopen
from .taskmeta import read_meta
from .writer import TaskWriter


class _NsStore:
    """What a TaskWriter (and reopen) asks of its store, for a namespace: the store's settings, no
    catalog row (the task's row is its first writer's)."""

    def __init__(self, store):
        self.root = store.root
        self.durable = store.durable
        self.cache = store.cache

    def _catalog_upsert(self, path, meta) -> None:
        pass

    def _catalog_row(self, task_id):
        return None


def open_writer(store, task_id: str, label: str, wait: float = 5.0):
    """The writer of namespace ``label`` of stored task ``task_id``: created, or reopened (its
    series continue; a crashed namespace is repaired first, as a resume). A live process holding
    the namespace: :class:`TaskLockedError`. The task itself must exist (its metadata is awaited up
    to ``wait`` seconds while its first writer is creating it)."""
    check_label(label)
    deadline = time.monotonic() + wait
    while True:
        task_path = store.task(task_id).path
        root_meta, problems = read_meta(task_path)
        if not problems or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    if problems:
        raise StoreValueError(f"task_id: task {task_id!r} has no readable metadata ({problems[0]}); a writer "
                              "namespace needs it")
    path = task_path / NS_DIR / label
    ns_store = _NsStore(store)
    if any((path / n).exists() for n in (TASK_META, SERIES_INDEX)):
        return reopen(ns_store, path)
    _fs.makedirs(path)
    now = time.time()
    meta = {"format": FORMAT_VERSION, "id": label, "task": task_id, "label": label,
            "name": root_meta.get("name") or task_id, "project": root_meta.get("project") or "default",
            "status": "running", "created": now, "updated": now,
            "time_origin": float(root_meta.get("time_origin", now)),  # readers merge times without shifting
            "tags": [], "config": {}, "summary": {}, "env": {}}
    return TaskWriter(ns_store, path, meta, durable=store.durable)


def open_shared(store, project: str, name: str, task_id: str, label: str, tags=(), config=None):
    """``(writer, first)`` for a process joining task ``task_id`` under ``label``: the task's own
    writer when this process creates the task (``first``) or reopens it under the label it was
    created with; otherwise namespace ``label`` (:func:`open_writer`)."""
    check_label(label)
    try:
        w = store.create_task(project, name, tags=tags, task_id=task_id, config=config)
        w.set_meta(label=label)
        return w, True
    except TaskLockedError:
        pass  # another process is creating or writing it: join as a namespace
    except StoreValueError as exc:
        if "must be new" not in str(exc):
            raise
        meta, _ = read_meta(store.task(task_id).path)
        if meta.get("label") == label:
            try:
                return open_task(store, task_id), True
            except TaskLockedError:
                pass
    return open_writer(store, task_id, label), False
