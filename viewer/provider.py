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

from pathlib import Path

from flask import current_app

from ringlog.store import MediaRecord, Store, TaskNotFoundError, TaskReader
from ringlog.store.objstore.artifacts import open_artifacts
from ringlog.store.objstore.reports import open_reports
from ringlog.store.reports import ReportStore

_EXTENSION = "ringlog_provider"


class Provider:
    """Everything the viewer reads, from one store root. Safe to share between request threads
    (the Store is; the report store is built once, on first use)."""

    def __init__(self, store: Store):
        if not isinstance(store, Store):
            raise TypeError(f"store: must be a ringlog.store.Store (given: {type(store).__name__})")
        self._store = store
        self._reports: ReportStore | None = None
        self._artifacts = None

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
        """A fresh snapshot of one task; :class:`TaskNotFoundError` for unknown or malformed ids."""
        if not isinstance(task_id, str):
            raise TaskNotFoundError(f"task_id: must be a str (given: {task_id!r})")
        return self._store.task(task_id)

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


def install(app, store: Store) -> Provider:
    """Attach a provider over ``store`` to ``app`` (called once by ``create_app``)."""
    p = app.extensions[_EXTENSION] = Provider(store)
    return p


def current() -> Provider:
    """The provider of the app serving this request."""
    return current_app.extensions[_EXTENSION]
