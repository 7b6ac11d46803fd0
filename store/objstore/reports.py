"""Reports of an object-store root: the bucket's ``.reports/`` is the document store.

A report is ``.reports/<id>/report.json`` plus its images ``.reports/<id>/assets/<name>``, the same
keys as under a local root (store/reports.py). :class:`BucketReports` keeps a local working copy in
the root's read cache (``$RINGLOG_CACHE``, the folder ``Store("s3://...")`` and the viewer read) and
writes through: every change is written locally and PUT before the call returns, so a report made by
a training script is on the viewer's page at its next read. Before a change the report is fetched
again, so the version check (optimistic concurrency) is against the bucket's copy; two machines
changing one report within the same ~10 ms can still both win (no conditional PUT: last PUT wins).
A PUT that fails raises :class:`~ringlog.store.reports.ReportError` naming the URL; the local copy is
put back to the bucket's, so nothing half-saved stays behind.

Reads: :meth:`list` does one LIST of ``.reports/`` and a GET of each ``report.json`` whose ETag
changed (at most once per ``ttl`` s); :meth:`get` one GET; an image is fetched when first shown.
With the bucket unreachable, reads answer from the local copy and changes raise ReportError.
"""

from __future__ import annotations

import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Optional

from .. import _fs
from ..reports import ReportError, ReportNotArchivedError, ReportNotFoundError, ReportStore, _check_id
from . import spool
from .client import Client, each, is_url

PREFIX = ".reports/"


def url_of(root) -> Optional[str]:
    """The bucket URL a root stands for: the URL itself, or the one a spool folder names (a local
    root that ``ringlog sync`` uploaded stays local)."""
    if is_url(root):
        return str(root).rstrip("/")
    return spool.remote_of(root) if root is not None and spool.is_spool(root) else None


def open_reports(root) -> ReportStore:
    """The report store of ``root``: :class:`BucketReports` for a URL or a spool, else the local one."""
    url = url_of(root)
    return BucketReports(url) if url else ReportStore(root)


class BucketReports(ReportStore):
    """Reports of bucket ``url`` (see the module docstring)."""

    def __init__(self, url: str, *, local=None, ttl: float = 1.0, client=None):
        self.url = url.rstrip("/")
        self.client = client or Client(self.url)
        super().__init__(Path(local) if local is not None else spool.cache_for(self.url))
        self.ttl = float(ttl)
        self._etags: dict = {}
        self._at = -1e9
        self._mu = threading.Lock()

    def __repr__(self) -> str:
        return f"BucketReports({self.url!r})"

    # --- from the bucket ---------------------------------------------------------------------
    def _fetch(self, key: str) -> Optional[bytes]:
        try:
            r = self.client.store.get(self.client._k(key))
        except FileNotFoundError:
            return None
        data = bytes(r.bytes())
        with self._mu:
            self._etags[key] = str(r.meta.get("e_tag") or "").strip('"')
        return data

    def _store_local(self, key: str, data: bytes) -> None:
        p = self.root / key
        _fs.makedirs(p.parent)
        _fs.write_atomic(p, data, durable=False)

    def _forget(self, report_id: str) -> None:
        shutil.rmtree(self.dir / report_id, ignore_errors=True)
        with self._mu:
            for k in [k for k in self._etags if k.startswith(f"{PREFIX}{report_id}/")]:
                del self._etags[k]

    def _pull_one(self, report_id: str, strict: bool = False) -> None:
        """Fetch one report document. The bucket unreachable: a read answers from the local copy
        (``strict=False``), a change raises :class:`ReportError` (nothing changed)."""
        key = f"{PREFIX}{_check_id(report_id)}/report.json"
        try:
            data = self._fetch(key)
        except Exception as exc:  # noqa: BLE001 - network, server, credentials
            if strict:
                raise ReportError(f"report: {self.url} cannot be read ({type(exc).__name__}: {str(exc)[:200]}); "
                                  "nothing changed") from exc
            return
        if data is None:
            self._forget(report_id)
        else:
            self._store_local(key, data)

    def pull(self, force: bool = False) -> int:
        """Bring every report document up to date (at most once per ``ttl`` s); returns how many
        were fetched."""
        now = time.monotonic()
        if not force and now - self._at < self.ttl:
            return 0
        self._at = now
        try:
            docs = {e.key: e.etag for e in self.client.list(PREFIX) if e.key.endswith("/report.json")}
        except Exception:  # noqa: BLE001 - the bucket unreachable: the local copy answers
            return 0
        todo = [k for k, tag in docs.items() if self._etags.get(k) != tag or not (self.root / k).exists()]

        def one(key):
            data = self._fetch(key)
            if data is not None:
                self._store_local(key, data)

        each(one, todo)
        listed = {k.split("/")[1] for k in docs}
        if self.dir.is_dir():
            for d in self.dir.iterdir():  # deleted in the bucket (by another machine's viewer)
                if d.is_dir() and not d.name.startswith(".") and d.name not in listed:
                    self._forget(d.name)
        return len(todo)

    # --- reading -----------------------------------------------------------------------------
    def get(self, report_id: str) -> dict[str, Any]:
        self._pull_one(report_id)
        return super().get(report_id)

    def exists(self, report_id: str) -> bool:
        try:
            self._pull_one(report_id)
        except ReportNotFoundError:
            return False
        return super().exists(report_id)

    def list(self, *args, **kwargs) -> list[dict[str, Any]]:
        self.pull()
        return super().list(*args, **kwargs)

    def image_path(self, report_id: str, name: str) -> Path:
        try:
            return super().image_path(report_id, name)
        except ReportNotFoundError:
            try:
                data = self._fetch(f"{PREFIX}{_check_id(report_id)}/assets/{name}")
            except Exception:  # noqa: BLE001 - the bucket unreachable: not shown this time
                data = None
            if data is None:
                raise
            self._store_local(f"{PREFIX}{report_id}/assets/{name}", data)
            return super().image_path(report_id, name)

    # --- writing: through to the bucket ------------------------------------------------------
    @contextmanager
    def _locked(self, report_id: str):
        self._pull_one(report_id, strict=True)  # the version check below is against the bucket's copy
        with super()._locked(report_id) as folder:
            yield folder

    def _put(self, key: str, data) -> None:
        try:
            self.client.put(key, data)
        except Exception as exc:  # noqa: BLE001 - network, server, credentials
            raise ReportError(f"report: could not be saved to {self.url} ({type(exc).__name__}: "
                              f"{str(exc)[:200]}); the bucket keeps its earlier version") from exc

    def _write(self, folder: Path, doc: dict[str, Any]) -> None:
        rid = folder.name
        existed = (folder / "report.json").exists()
        ReportStore._write(folder, doc)
        try:
            for name in doc.get("assets") or ():  # images first: the document names them
                key = f"{PREFIX}{rid}/assets/{name}"
                if key not in self._etags and (folder / "assets" / name).is_file():
                    self._put(key, (folder / "assets" / name).read_bytes())
                    self._etags[key] = ""
            self._put(f"{PREFIX}{rid}/report.json", (folder / "report.json").read_bytes())
        except ReportError:
            if existed:
                self._pull_one(rid)
            else:
                self._forget(rid)
            raise
        self._etags.pop(f"{PREFIX}{rid}/report.json", None)  # the next read fetches the PUT's ETag

    def delete(self, report_id: str) -> None:
        """Delete an archived report from the bucket (its document first: readers stop seeing it),
        then the local copy."""
        with self._locked(report_id):
            doc = self._read(report_id)
            if not doc.get("archived"):
                raise ReportNotArchivedError(
                    f"report {doc['name']!r} must be archived before it can be deleted; archive it first")
            try:
                self.client.delete(f"{PREFIX}{report_id}/report.json")
                for e in list(self.client.list(f"{PREFIX}{report_id}/")):
                    self.client.delete(e.key)
            except Exception as exc:  # noqa: BLE001 - network, server, credentials
                raise ReportError(f"report: could not be deleted from {self.url} ({type(exc).__name__}: "
                                  f"{str(exc)[:200]}); delete it again") from exc
        self._forget(report_id)
