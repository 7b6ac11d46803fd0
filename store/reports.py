"""Reports: Markdown documents kept beside the task data, one folder per report.

Layout (documented for other readers of the store)::

    <root>/.reports/<report id>/report.json     the document (see ``_FIELDS``)
    <root>/.reports/<report id>/assets/<name>   images uploaded into the report
    <root>/.reports/<report id>/.lock           advisory lock file (fcntl), never holds data

``report.json`` is replaced atomically (write a temp file in the same folder, fsync, ``os.replace``),
so a reader sees the old or the new document, never half of one. Every change bumps ``version``;
a caller that passes the version it last read gets :class:`ReportVersionConflictError` when someone
else changed the report meanwhile (optimistic concurrency: two browser tabs, or the viewer and a
training script, cannot silently overwrite each other). Read-modify-write runs under an exclusive
``fcntl`` lock on the report's ``.lock`` file, so the check and the write are one step across
processes too.

A *published* report is locked: its name, description, Markdown and images can no longer change
(:class:`ReportPublishedError`); tags, project, archived flag stay editable, as they only file the
report. Only an *archived* report can be deleted (:class:`ReportNotArchivedError`).

Costs: every call reads one small JSON file; :meth:`ReportStore.list` reads every report's
document (a few KB each), which is fine up to thousands of reports.

This file is over 400 lines: most of it is :class:`ReportStore`, whose every change goes through one
lock-check-version-write step (``_change``); splitting the class would spread that protocol.
"""

from __future__ import annotations

import getpass
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import urlencode

from ._fs import fsync_dir
from .errors import CorruptStoreError, StoreError, corrupt

try:  # POSIX advisory locks; on other systems writes are atomic but the version check is per call
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

FORMAT_VERSION = 1
STATUSES = ("draft", "published")
MAX_NAME = 256
MAX_TAG = 128
MAX_MARKDOWN = 5 * 1024 * 1024  # characters
MAX_IMAGE_BYTES = 10 * 1024 * 1024
IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}
_ID_RE = re.compile(r"^[0-9a-f]{32}$")
_ASSET_RE = re.compile(r"^[0-9a-f]{16,64}\.(png|jpg|gif|webp)$")
WIDGET_TYPES = ("scalar", "plot", "single", "sample", "parcoords")


class ReportError(StoreError):
    """Base class of every report error (a :class:`~ringlog.store.errors.StoreError`)."""


class ReportNotFoundError(ReportError, KeyError):
    """Raised when a report id names no report."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ReportValueError(ReportError, ValueError):
    """Raised when an argument breaks a rule (empty name, bad tag, image too large...)."""


class ReportVersionConflictError(ReportError, ValueError):
    """Raised when the caller's version is older than the stored one (someone else saved first)."""

    def __init__(self, message: str, current: dict[str, Any] | None = None):
        super().__init__(message)
        self.current = current


class ReportPublishedError(ReportError, PermissionError):
    """Raised when a change would alter the content of a published (locked) report."""


class ReportNotArchivedError(ReportError, PermissionError):
    """Raised when deleting a report that is not archived yet."""


def metric_id(name: str) -> str:
    """MD5 hex digest of a metric (title) or variant (series) name, as widget queries use it."""
    return hashlib.md5(str(name).encode("utf-8")).hexdigest()


def project_id(name: str) -> str:
    """A project's id in widget queries (``project=<id>``): the MD5 hex digest of its full name.

    Derived, never stored, so it is stable across restarts, machines and catalog rebuilds, and it
    has ClearML's id shape (32 hex digits). Renaming a project (moving its tasks) changes its id.
    """
    return metric_id(name)


def embed_code(type: str = "scalar", objects: Iterable[str] = (), *, metrics: Iterable[str] | str = (),
               variants: Iterable[str] | str = (), xaxis: str = "iter", light: bool = False,
               height: int = 400, **query: Any) -> str:
    """The ``<iframe>`` snippet that embeds a live widget in a report (relative ``/widgets/`` URL).

    ``query`` carries the dynamic-query keys (``project``, ``page_size``, ``order_by``...); names
    ending in ``[]`` are spelled with a trailing underscore pair, e.g. ``tags__=["__$or", "best"]``
    or passed via ``**{"tags[]": "__$or,best"}``.
    """
    if type not in WIDGET_TYPES:
        raise ReportValueError(f"type must be one of {WIDGET_TYPES}, got {type!r}")
    pairs: list[tuple[str, str]] = [("type", type), ("objectType", "task")]
    pairs += [("objects", str(o)) for o in ([objects] if isinstance(objects, str) else objects)]
    if xaxis:
        pairs.append(("xaxis", xaxis))
    for key, value in (("metrics", metrics), ("variants", variants)):
        pairs += [(key, str(v)) for v in ([value] if isinstance(value, str) else value)]
    for key, value in query.items():
        key = key[:-2] + "[]" if key.endswith("__") else key
        values = value if isinstance(value, (list, tuple)) else [value]
        if key.endswith("[]"):
            pairs.append((key, ",".join(str(v) for v in values)))
        else:
            pairs += [(key, str(v)) for v in values]
    if light:
        pairs.append(("light", "true"))
    src = "/widgets/?" + urlencode(pairs)
    return f'<iframe src="{src}" width="100%" height="{int(height)}"></iframe>'


def _now() -> float:
    return time.time()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers without passwd entry)
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def _check_text(argument: str, value: Any, *, limit: int, empty_ok: bool) -> str:
    if not isinstance(value, str):
        raise ReportValueError(f"{argument} must be a string, got {type(value).__name__} {value!r:.60}")
    value = value.strip() if argument != "markdown" else value
    if not value and not empty_ok:
        raise ReportValueError(f"{argument} must not be empty, got {value!r}")
    if len(value) > limit:
        raise ReportValueError(f"{argument} must be at most {limit} characters, got {len(value)}")
    return value


def _check_tags(argument: str, tags: Any) -> list[str]:
    if tags is None:
        return []
    if isinstance(tags, str):
        tags = [tags]
    try:
        tags = list(tags)
    except TypeError:
        raise ReportValueError(f"{argument} must be a list of strings, got {type(tags).__name__}") from None
    out: list[str] = []
    for tag in tags:
        tag = _check_text(f"{argument} item", tag, limit=MAX_TAG, empty_ok=False)
        if tag not in out:
            out.append(tag)
    return out


def _check_id(report_id: Any) -> str:
    if not isinstance(report_id, str) or not _ID_RE.match(report_id):
        raise ReportNotFoundError(f"report_id must be a 32-character hex report id, got {report_id!r:.80}")
    return report_id


class ReportStore:
    """Reports of one store root. Creates nothing on disk until the first write."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        self.dir = self.root / ".reports"

    # ------------------------------------------------------------------ reading
    def _path(self, report_id: str) -> Path:
        return self.dir / _check_id(report_id)

    def _read(self, report_id: str) -> dict[str, Any]:
        path = self._path(report_id) / "report.json"
        try:
            with open(path, "rb") as fh:
                doc = json.load(fh)
        except FileNotFoundError:
            raise ReportNotFoundError(f"report_id {report_id!r} names no report under {self.dir}") from None
        except (OSError, ValueError, RecursionError) as exc:  # issue 13: damage is typed, names the file
            raise corrupt(path, "report document cannot be read", exc) from exc
        if not isinstance(doc, dict) or not all(isinstance(doc.get(k), str) for k in ("id", "name", "project")) \
                or not isinstance(doc.get("updated", 0), (int, float)) or not isinstance(doc.get("tags", []), list):
            raise corrupt(path, "report document is not a report (wrong JSON types)")
        return doc

    def get(self, report_id: str) -> dict[str, Any]:
        """The report document (a fresh dict: name, project, markdown, version, status, ...)."""
        return self._read(report_id)

    def exists(self, report_id: str) -> bool:
        try:
            return (self._path(report_id) / "report.json").is_file()
        except ReportNotFoundError:
            return False

    def list(self, project: str | None = None, *, archived: bool | None = False, text: str | None = None,
             tags: Iterable[str] = (), status: str | None = None,
             subprojects: bool = False) -> list[dict[str, Any]]:
        """Reports, most recently updated first.

        ``subprojects``: with ``project="a"`` also list reports of ``a/b``, ``a/b/c`` (nested projects
        are written with ``/``).
        ``archived``: False (default) active only, True archived only, None both. ``text`` matches
        name or description, case-insensitive. ``tags``: a report must carry every tag given.
        """
        if not self.dir.is_dir():
            return []
        wanted = set(tags or ())
        needle = (text or "").strip().lower()
        out = []
        for entry in self.dir.iterdir():
            if not _ID_RE.match(entry.name):
                continue
            try:
                doc = self._read(entry.name)
            except (ReportNotFoundError, ValueError, CorruptStoreError):  # being deleted, foreign or damaged
                continue
            if project is not None and doc["project"] != project and not (
                    subprojects and doc["project"].startswith(project.rstrip("/") + "/")):
                continue
            if archived is not None and bool(doc.get("archived")) != archived:
                continue
            if status is not None and doc.get("status") != status:
                continue
            if wanted and not wanted.issubset(doc.get("tags", ())):
                continue
            if needle and needle not in doc["name"].lower() and needle not in (doc.get("description") or "").lower():
                continue
            out.append(doc)
        out.sort(key=lambda d: (d.get("updated", 0), d["id"]), reverse=True)
        return out

    def projects(self, *, archived: bool | None = False, parent: str | None = None) -> list[dict[str, Any]]:
        """Project cards: name, count, published, last update, users; sorted by name.

        Top-level projects by default (a card for ``a`` counts the reports of ``a/b`` too); with
        ``parent="a"``, the projects one level below ``a``.
        """
        groups: dict[str, dict[str, Any]] = {}
        prefix = parent.rstrip("/") + "/" if parent else ""
        for doc in self.list(archived=archived):
            if prefix and not doc["project"].startswith(prefix):
                continue
            name = prefix + doc["project"][len(prefix):].split("/", 1)[0]
            g = groups.setdefault(name, {"project": name, "count": 0, "updated": 0.0, "users": set(),
                                         "published": 0})
            g["count"] += 1
            g["published"] += doc["status"] == "published"
            g["updated"] = max(g["updated"], doc.get("updated", 0.0))
            g["users"].add(doc.get("user", ""))
        return [{**g, "users": sorted(g["users"])} for _, g in sorted(groups.items())]

    def project_names(self, *, archived: bool | None = None) -> list[str]:
        """Every full project name that holds a report (for filters and pickers)."""
        return sorted({d["project"] for d in self.list(archived=archived)})

    def all_tags(self) -> list[str]:
        return sorted({t for d in self.list(archived=None) for t in d.get("tags", ())})

    # ------------------------------------------------------------------ writing
    @contextmanager
    def _locked(self, report_id: str) -> Iterator[Path]:
        folder = self._path(report_id)
        if not (folder / "report.json").is_file():
            raise ReportNotFoundError(f"report_id {report_id!r} names no report under {self.dir}")
        if fcntl is None:  # pragma: no cover
            yield folder
            return
        with open(folder / ".lock", "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield folder
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    @staticmethod
    def _write(folder: Path, doc: dict[str, Any]) -> None:
        data = json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
        fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, folder / "report.json")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        fsync_dir(folder)

    def create(self, name: str, project: str, markdown: str = "", description: str | None = None,
               tags: Iterable[str] | None = None, user: str | None = None) -> dict[str, Any]:
        """Create a draft report; returns its document (version 1)."""
        doc = {
            "format": FORMAT_VERSION,
            "id": uuid.uuid4().hex,
            "name": _check_text("name", name, limit=MAX_NAME, empty_ok=False),
            "project": _check_text("project", project, limit=MAX_NAME, empty_ok=False),
            "markdown": _check_text("markdown", markdown if markdown is not None else "", limit=MAX_MARKDOWN,
                                    empty_ok=True),
            "description": _check_text("description", description or "", limit=MAX_MARKDOWN, empty_ok=True),
            "tags": _check_tags("tags", tags),
            "status": "draft",
            "archived": False,
            "user": user if isinstance(user, str) and user else _os_user(),
            "created": _now(),
            "published": None,
            "version": 1,
        }
        doc["updated"] = doc["created"]
        folder = self.dir / doc["id"]
        folder.mkdir(parents=True, exist_ok=False)
        self._write(folder, doc)
        return doc

    def _change(self, report_id: str, version: int | None, content: bool, apply, *,
                bump: bool = True) -> dict[str, Any]:
        """Read-check-modify-write under the report's lock. ``content``: the change alters what the
        report says (refused once published). ``bump=False`` for bookkeeping that must not make an
        open editor's version stale (recording an uploaded image)."""
        if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
            raise ReportValueError(f"version must be an integer (the version last read), got {version!r}")
        with self._locked(report_id) as folder:
            doc = self._read(report_id)
            if version is not None and version != doc["version"]:
                raise ReportVersionConflictError(
                    f"report {doc['name']!r} was changed elsewhere: you edited version {version} but it is now "
                    f"at version {doc['version']} (updated by {doc.get('user')}); reload it and apply your "
                    "change again", current=doc)
            if content and doc["status"] == "published":
                raise ReportPublishedError(
                    f"report {doc['name']!r} is published and locked against edits; create a new report "
                    "(or copy its Markdown) to change it")
            changed = apply(doc)
            if changed is False:
                return doc
            if bump:
                doc["version"] += 1
                doc["updated"] = _now()
            self._write(folder, doc)
            return doc

    def update(self, report_id: str, *, version: int | None = None, markdown: str | None = None,
               name: str | None = None, description: str | None = None) -> dict[str, Any]:
        """Change the content fields given (None leaves a field as is)."""
        fields: dict[str, str] = {}
        if markdown is not None:
            fields["markdown"] = _check_text("markdown", markdown, limit=MAX_MARKDOWN, empty_ok=True)
        if name is not None:
            fields["name"] = _check_text("name", name, limit=MAX_NAME, empty_ok=False)
        if description is not None:
            fields["description"] = _check_text("description", description, limit=MAX_MARKDOWN, empty_ok=True)
        return self._change(report_id, version, True, lambda d: d.update(fields))

    def rename(self, report_id: str, name: str, *, version: int | None = None) -> dict[str, Any]:
        return self.update(report_id, name=name, version=version)

    def set_tags(self, report_id: str, tags: Iterable[str], *, version: int | None = None) -> dict[str, Any]:
        new = _check_tags("tags", tags)
        return self._change(report_id, version, False, lambda d: d.update(tags=new))

    def add_tags(self, report_id: str, tags: Iterable[str], *, version: int | None = None) -> dict[str, Any]:
        new = _check_tags("tags", tags)
        return self._change(report_id, version, False,
                            lambda d: d.update(tags=d["tags"] + [t for t in new if t not in d["tags"]]))

    def remove_tags(self, report_id: str, tags: Iterable[str], *, version: int | None = None) -> dict[str, Any]:
        gone = set(_check_tags("tags", tags))
        return self._change(report_id, version, False,
                            lambda d: d.update(tags=[t for t in d["tags"] if t not in gone]))

    def move(self, report_id: str, project: str, *, version: int | None = None) -> dict[str, Any]:
        """Move to another project; a project exists as soon as a report names it."""
        project = _check_text("project", project, limit=MAX_NAME, empty_ok=False)
        return self._change(report_id, version, False, lambda d: d.update(project=project))

    def publish(self, report_id: str, *, version: int | None = None) -> dict[str, Any]:
        """Lock the report's content for good (publishing twice is refused like any edit)."""
        return self._change(report_id, version, True, lambda d: d.update(status="published", published=_now()))

    def archive(self, report_id: str, *, version: int | None = None) -> dict[str, Any]:
        return self._change(report_id, version, False,
                            lambda d: False if d["archived"] else d.update(archived=True))

    def unarchive(self, report_id: str, *, version: int | None = None) -> dict[str, Any]:
        return self._change(report_id, version, False,
                            lambda d: d.update(archived=False) if d["archived"] else False)

    def delete(self, report_id: str) -> None:
        """Delete an archived report and its images."""
        with self._locked(report_id) as folder:
            doc = self._read(report_id)
            if not doc.get("archived"):
                raise ReportNotArchivedError(
                    f"report {doc['name']!r} must be archived before it can be deleted; archive it first")
            trash = folder.with_name(f".deleted-{report_id}-{uuid.uuid4().hex[:8]}")
            os.replace(folder, trash)  # readers stop seeing it at once
        shutil.rmtree(trash, ignore_errors=True)

    # ------------------------------------------------------------------ images
    def add_image(self, report_id: str, data: bytes, *, max_bytes: int = MAX_IMAGE_BYTES) -> str:
        """Store an uploaded image after checking it really is one; returns its asset name.

        The name is the content hash, so uploading the same picture twice stores it once.
        """
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ReportValueError(f"data must be bytes, got {type(data).__name__}")
        data = bytes(data)
        if len(data) > max_bytes:
            raise ReportValueError(f"image must be at most {max_bytes} bytes, got {len(data)} bytes")
        if not data:
            raise ReportValueError("image must not be empty, got 0 bytes")
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(data)) as img:
                fmt = img.format
                img.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise ReportValueError(f"image must be a valid PNG, JPEG, GIF or WebP file: {exc}") from None
        if fmt not in IMAGE_FORMATS:
            raise ReportValueError(f"image must be PNG, JPEG, GIF or WebP, got {fmt}")
        name = f"{hashlib.sha256(data).hexdigest()[:32]}.{IMAGE_FORMATS[fmt]}"

        def put(doc: dict[str, Any]) -> None:
            assets = self._path(report_id) / "assets"
            assets.mkdir(exist_ok=True)
            if not (assets / name).exists():
                fd, tmp = tempfile.mkstemp(prefix=".asset-", dir=assets)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, assets / name)
            doc.setdefault("assets", [])
            if name not in doc["assets"]:
                doc["assets"].append(name)

        self._change(report_id, None, True, put, bump=False)  # the editor inserts the link and saves next
        return name

    def image_path(self, report_id: str, name: str) -> Path:
        """Path of an uploaded image; ReportNotFoundError for names that are not assets of the report."""
        if not isinstance(name, str) or not _ASSET_RE.match(name):
            raise ReportNotFoundError(f"name must be an uploaded image name like '<hash>.png', got {name!r:.80}")
        path = self._path(report_id) / "assets" / name
        if not path.is_file():
            raise ReportNotFoundError(f"report {report_id!r} has no image {name!r}")
        return path
