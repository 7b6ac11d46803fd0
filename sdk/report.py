"""``ringlog.Report``: write and manage Markdown reports from Python (e.g. at the end of a run).

    report = ringlog.Report.create(name="Sweep results", project="vision",
                                   markdown="# Results\\n" + ringlog.Report.embed("scalar", [run.id], metrics="loss"))
    report.update(markdown=report.markdown + "\\n## Notes\\n...")
    report.publish()

Reports live in the same store as the tasks (``<root>/.reports/<id>/``); the viewer shows one
at ``/reports/<id>``. Where the store is: the ``root`` argument, else the current run's store,
else :func:`ringlog.store.default_root` (``$RINGLOG_DIR``, else ``./ringlog_data``). On an object-store
root (``s3://...``, or a run writing to one) reports are read from and written to the bucket
(store/objstore/reports.py).

Edits are checked against the version this object last read, so a script cannot silently
overwrite a change made meanwhile in the viewer: it gets
:class:`~ringlog.store.reports.ReportVersionConflictError` (call :meth:`Report.reload` and apply
the change again, or pass ``force=True``). Published reports refuse content edits
(:class:`~ringlog.store.reports.ReportPublishedError`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

from ringlog.store import default_root
from ringlog.store.objstore.reports import open_reports
from ringlog.store.reports import ReportStore, embed_code, metric_id

from ._engine import context


def _resolve_root(root: str | os.PathLike[str] | None) -> Path | str:
    if root is not None:
        if not isinstance(root, (str, os.PathLike)):
            raise TypeError(f"root must be a str or os.PathLike folder, got {type(root).__name__}")
        return root if isinstance(root, str) and "://" in root else Path(root)  # s3://...: the bucket
    core = context.current_core()
    if core is not None:  # the store root the current run writes under
        return Path(core.settings.root)
    return default_root()


class Report:
    """One report. Attributes mirror the stored document; methods change it and refresh them."""

    def __init__(self, store: ReportStore, doc: dict[str, Any]):
        self._store = store
        self._doc = doc

    # ---------------------------------------------------------------- class-level API
    @classmethod
    def create(cls, name: str, project: str, markdown: str = "", description: str | None = None,
               tags: Iterable[str] | None = None, *, root: str | os.PathLike[str] | None = None) -> "Report":
        """Create a draft report and return it (``.id`` names it; ``.url`` is its viewer path)."""
        store = open_reports(_resolve_root(root))
        return cls(store, store.create(name=name, project=project, markdown=markdown, description=description,
                                       tags=tags))

    @classmethod
    def get(cls, report_id: str, *, root: str | os.PathLike[str] | None = None) -> "Report":
        store = open_reports(_resolve_root(root))
        return cls(store, store.get(report_id))

    @classmethod
    def list(cls, project: str | None = None, *, archived: bool | None = False, tags: Iterable[str] = (),
             root: str | os.PathLike[str] | None = None) -> list["Report"]:
        """Reports (most recently updated first); ``archived=None`` lists active and archived."""
        store = open_reports(_resolve_root(root))
        return [cls(store, d) for d in store.list(project, archived=archived, tags=tags)]

    embed = staticmethod(embed_code)
    metric_id = staticmethod(metric_id)

    # ---------------------------------------------------------------- attributes
    def __getattr__(self, name: str) -> Any:
        doc = self.__dict__.get("_doc")
        if doc is not None and name in doc and not name.startswith("_"):
            return doc[name]
        raise AttributeError(f"'Report' object has no attribute {name!r}")

    @property
    def url(self) -> str:
        """Path of the report page in the viewer (prefix with the viewer's address)."""
        return f"/reports/{self._doc['id']}"

    def to_dict(self) -> dict[str, Any]:
        return dict(self._doc)

    def __repr__(self) -> str:
        d = self._doc
        return f"<Report {d['id']} {d['name']!r} project={d['project']!r} {d['status']} v{d['version']}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Report) and other._doc["id"] == self._doc["id"]

    def __hash__(self) -> int:
        return hash(self._doc["id"])

    # ---------------------------------------------------------------- changes
    def _apply(self, doc: dict[str, Any]) -> "Report":
        self._doc = doc
        return self

    def _v(self, force: bool) -> int | None:
        return None if force else self._doc["version"]

    def reload(self) -> "Report":
        return self._apply(self._store.get(self.id))

    def update(self, markdown: str | None = None, *, name: str | None = None, description: str | None = None,
               force: bool = False) -> "Report":
        """Replace the Markdown (and/or name, description). Refused if changed elsewhere since read."""
        return self._apply(self._store.update(self.id, version=self._v(force), markdown=markdown, name=name,
                                              description=description))

    def append(self, markdown: str) -> "Report":
        """Add Markdown at the end (re-reads first, so it never conflicts)."""
        self.reload()
        sep = "" if not self.markdown or self.markdown.endswith("\n") else "\n"
        return self.update(self.markdown + sep + markdown)

    def rename(self, name: str) -> "Report":
        return self._apply(self._store.rename(self.id, name))

    def add_tags(self, *tags: str) -> "Report":
        return self._apply(self._store.add_tags(self.id, tags))

    def remove_tags(self, *tags: str) -> "Report":
        return self._apply(self._store.remove_tags(self.id, tags))

    def set_tags(self, tags: Iterable[str]) -> "Report":
        return self._apply(self._store.set_tags(self.id, tags))

    def move(self, project: str) -> "Report":
        """Move to ``project`` (it exists as soon as a report names it)."""
        return self._apply(self._store.move(self.id, project))

    def publish(self) -> "Report":
        """Lock the report against further content edits."""
        return self._apply(self._store.publish(self.id))

    def archive(self) -> "Report":
        return self._apply(self._store.archive(self.id))

    def unarchive(self) -> "Report":
        return self._apply(self._store.unarchive(self.id))

    def delete(self) -> None:
        """Delete the report for good; it must be archived first."""
        self._store.delete(self.id)

    def add_image(self, image: str | os.PathLike[str] | bytes, alt: str = "image") -> str:
        """Store an image (PNG/JPEG/GIF/WebP file path or bytes) in the report; returns the Markdown
        that shows it, to put into :meth:`update` or :meth:`append`."""
        data = image if isinstance(image, (bytes, bytearray)) else Path(image).read_bytes()
        name = self._store.add_image(self.id, bytes(data))
        self.reload()
        safe_alt = str(alt).replace("[", "").replace("]", "")
        return f"![{safe_alt}](/api/reports/{self.id}/assets/{name})"
