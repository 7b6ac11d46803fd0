"""Artifacts: versioned, content-addressed files that tasks produce and consume (FORMAT.md, "Artifacts").

An artifact is a named collection of files in a *scope*: ``t-<task id>`` for ClearML's per-task
artifacts (``task.upload_artifact``), ``p-<project folder>`` for W&B's per-project artifacts and
models (``run.log_artifact``). Each commit with content that differs from every earlier version
of the name creates ``v0``, ``v1``, ...: a manifest (JSON) listing each file's path, sha256 and
size, the references (URIs recorded, not fetched), metadata, type, the producing task. The
content lives once in the blob store (:mod:`ringlog.store.artifacts_blobs`), so the same file
logged by ten tasks takes its size once. Committing content equal to an existing version adds the
aliases to that version and records the task as a producer; no version is made.

Crash safety: blobs are written and fsynced first, the manifest last (temp file + fsync + rename +
folder fsync), so a version is visible only once every byte it names is durable; a kill during an
upload leaves temp files (removed by :meth:`ArtifactStore.gc`) and no version. Versions are
numbered and aliases moved under an ``flock`` per artifact name, so two processes committing the
same name get distinct versions. Lineage: ``used/v<N>/<task>.json`` per consumer beside the
manifests, and ``tasks/<task>/`` holds one small file per version a task produced or used, so a
task's artifacts are found without scanning every manifest.

Retention: :meth:`ArtifactStore.gc` (:mod:`ringlog.store.artifacts_gc`). Blob I/O goes through :class:`~ringlog.store.artifacts_blobs.BlobBackend`; manifests use local
rename and ``flock`` (an object-store root will need conditional PUTs instead: issue 17).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import time
import uuid
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Iterable, Optional, Union

from . import _fs
from .artifacts_blobs import LocalBlobs, check_digest
from .artifacts_files import download, local_copy
from .artifacts_gc import collect
from .artifacts_manifest import problem
from .errors import CorruptStoreError, StoreError, StoreValueError, corrupt

ARTIFACTS_DIR = ".artifacts"
MANIFEST_FORMAT = 1
_SCOPE = re.compile(r"^[tp]-[A-Za-z0-9._-]{1,80}$")
_VERSION = re.compile(r"^v(\d{1,9})$")
_ALIAS = re.compile(r"^[A-Za-z0-9_.:-][A-Za-z0-9_.:@/ -]{0,63}$")
_TASK = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
LATEST = "latest"


class ArtifactNotFoundError(StoreError, KeyError):
    """Raised when an artifact name, version or alias, or a file inside a version, does not exist."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def task_scope(task_id: str) -> str:
    if not isinstance(task_id, str) or not _TASK.match(task_id):
        raise StoreValueError(f"task_id: must be 1-64 letters, digits, '_' or '-', given {task_id!r}")
    return f"t-{task_id}"


def project_scope(project: str) -> str:
    if not isinstance(project, str) or not project.strip():
        raise StoreValueError(f"project: must be a non-empty str, given {project!r}")
    return f"p-{_fs.project_dir_name(project)}"


def check_name(name) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 256 or "\x00" in name:
        raise StoreValueError(f"name: must be a non-empty str of at most 256 characters, given {name!r}")
    return name


def check_file_path(path) -> str:
    """A file's path inside an artifact: relative, '/'-separated, no '..', no empty part."""
    if not isinstance(path, str) or not path or "\x00" in path or "\\" in path or len(path) > 1024:
        raise StoreValueError(f"path: must be a relative '/'-separated path, given {path!r}")
    parts = PurePosixPath(path).parts
    if path.startswith("/") or any(p in ("", ".", "..") for p in parts) or "//" in path:
        raise StoreValueError(f"path: must be relative without '.' or '..' parts, given {path!r}")
    return "/".join(parts)


def content_digest(files: Iterable[dict], references: Iterable[dict]) -> str:
    """The version digest: sha256 over the sorted (path, sha256, size) and (path, uri) entries."""
    canon = {"files": sorted([f["path"], f["sha256"], f["size"]] for f in files),
             "references": sorted([r["path"], r["uri"]] for r in references)}
    return hashlib.sha256(json.dumps(canon, separators=(",", ":")).encode()).hexdigest()


FileSource = Union[Path, str, bytes, dict]


class ArtifactStore:
    """The artifacts of the store rooted at ``root`` (see the module docstring)."""

    def __init__(self, root, *, durable: bool = True, blobs: Optional[LocalBlobs] = None) -> None:
        self.root = Path(root).expanduser()
        self.base = self.root / ARTIFACTS_DIR
        self.blobs = blobs if blobs is not None else LocalBlobs(self.base, durable=durable)
        self.durable = durable

    # --- paths ----------------------------------------------------------------------
    def _dir(self, scope: str, name: str) -> Path:
        if not isinstance(scope, str) or not _SCOPE.match(scope):
            raise StoreValueError(f"scope: must look like 't-<task id>' or 'p-<project folder>', given {scope!r}")
        return self.base / "m" / scope / _fs.project_dir_name(check_name(name))

    @contextmanager
    def _lock(self, d: Path):
        _fs.makedirs(d)
        fd = os.open(d / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _write_json(self, path: Path, obj) -> None:
        _fs.makedirs(path.parent)
        data = json.dumps(obj, separators=(",", ":"), default=str).encode("utf-8")
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        fd = _fs.open_write(tmp, os.O_EXCL)
        try:
            try:
                _fs.write_all(fd, data, tmp)
                if self.durable:
                    _fs.fsync_fd(fd, tmp)
            finally:
                os.close(fd)
            _fs.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        if self.durable:
            _fs.fsync_dir(path.parent)

    # --- writing --------------------------------------------------------------------
    def put(self, source: FileSource) -> tuple[str, int]:
        """Store one file's content (a path is streamed; bytes are written as they are); a dict
        ``{"sha256", "size"}`` names content already stored by an earlier ``put``."""
        if isinstance(source, dict):
            digest = check_digest(source.get("sha256"))
            if not self.blobs.has(digest):
                raise StoreValueError(f"source: blob {digest} is not stored (removed by gc?)")
            self.blobs.touch(digest)
            return digest, self.blobs.size(digest)
        if isinstance(source, (bytes, bytearray, memoryview)):
            return self.blobs.put_bytes(bytes(source))
        p = Path(source)
        if not p.is_file():
            raise StoreValueError(f"source: must be an existing file or bytes, given {str(source)!r}")
        return self.blobs.put_file(p)

    def commit(self, scope: str, name: str, *, type: str = "", files: Iterable[tuple[str, FileSource]] = (),
               references: Iterable[dict] = (), metadata: Optional[dict] = None, aliases: Iterable[str] = (),
               producer: Optional[str] = None, description: str = "", extra: Optional[dict] = None) -> dict:
        """Store the files, then make a new version unless one with the same content exists.

        ``files``: (path inside the artifact, file path or bytes) pairs; ``references``: dicts with
        ``path`` and ``uri`` (recorded, never fetched). Returns the version's manifest with its
        ``aliases`` and ``created_version`` (False when the content matched an existing version).
        """
        d = self._dir(scope, name)
        if not isinstance(type, str):
            raise StoreValueError(f"type: must be a str, given {type!r}")
        aliases = [check_alias(a) for a in aliases]
        if producer is not None:
            task_scope(producer)
        entries, seen = [], set()
        for path, source in files:
            path = check_file_path(path)
            if path in seen:
                raise StoreValueError(f"path: {path!r} is added twice to artifact {name!r}")
            seen.add(path)
            digest, size = self.put(source)
            entries.append({"path": path, "sha256": digest, "size": size})
        refs = []
        for r in references:
            path = check_file_path(r.get("path"))
            if path in seen:
                raise StoreValueError(f"path: {path!r} is added twice to artifact {name!r}")
            seen.add(path)
            refs.append({k: v for k, v in r.items() if k in ("path", "uri", "size", "checksum")} | {"path": path})
        entries.sort(key=lambda e: e["path"])
        refs.sort(key=lambda e: e["path"])
        digest = content_digest(entries, refs)
        with self._lock(d):
            existing = self._versions(d)
            same = next((m for m in existing if m.get("digest") == digest), None)
            if same is not None:
                manifest, created = same, False
            else:
                index = 1 + max((m["index"] for m in existing), default=-1)
                manifest = {"format": MANIFEST_FORMAT, "scope": scope, "name": name, "type": type,
                            "version": f"v{index}", "index": index, "digest": digest, "created": time.time(),
                            "producer": producer, "description": description or "", "metadata": metadata or {},
                            "files": entries, "references": refs,
                            "size": sum(e["size"] for e in entries)} | (extra or {})
                self._write_json(d / f"v{index}.json", manifest)
                created = True
            table = self._aliases(d)
            for a in aliases:
                table[a] = manifest["version"]
            if created:
                table[LATEST] = manifest["version"]
            self._write_json(d / "aliases.json", table)
        if producer is not None:
            self._index(producer, "produced", scope, name, manifest["version"])
        return self._decorate(manifest, table) | {"created_version": created}

    def set_aliases(self, scope: str, name: str, version: str, aliases: Iterable[str]) -> None:
        """Point each alias at ``version`` (moving it from another version)."""
        d = self._dir(scope, name)
        with self._lock(d):
            self._read_version(d, version, name)
            table = self._aliases(d)
            for a in aliases:
                table[check_alias(a)] = version
            self._write_json(d / "aliases.json", table)

    def use(self, scope: str, name: str, ref: str, task_id: str) -> dict:
        """Record that ``task_id`` consumed the version ``ref`` resolves to; returns its manifest."""
        m = self.get(scope, name, ref)
        task_scope(task_id)
        d = self._dir(scope, name)
        self._write_json(d / "used" / m["version"] / f"{task_id}.json", {"task": task_id, "time": time.time()})
        self._index(task_id, "used", scope, name, m["version"])
        return m

    def _index(self, task_id: str, kind: str, scope: str, name: str, version: str) -> None:
        key = hashlib.sha1(f"{scope}\x00{name}\x00{version}".encode()).hexdigest()[:20]
        self._write_json(self.base / "tasks" / task_id / f"{kind}-{key}.json",
                         {"kind": kind, "scope": scope, "name": name, "version": version, "time": time.time()})

    # --- reading --------------------------------------------------------------------
    def _aliases(self, d: Path) -> dict:
        try:
            table = _fs.read_json(d / "aliases.json")
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}  # rebuilt from the versions: 'latest' is recomputed below
        return {k: v for k, v in table.items() if isinstance(k, str) and isinstance(v, str)} \
            if isinstance(table, dict) else {}

    def _versions(self, d: Path) -> list[dict]:
        out = []
        if d.is_dir():
            for p in d.glob("v*.json"):
                if _VERSION.match(p.stem):
                    try:
                        m = _fs.read_json(p)
                    except (OSError, ValueError):
                        continue  # a damaged manifest hides only its own version
                    if problem(m, p.stem) is None:
                        out.append(m)
        out.sort(key=lambda m: m["index"])
        return out

    def _read_version(self, d: Path, version: str, name: str) -> dict:
        if not _VERSION.match(version or ""):
            raise ArtifactNotFoundError(f"version: {version!r} is not v<N>")
        p = d / f"{version}.json"
        try:
            m = _fs.read_json(p)
        except FileNotFoundError:
            raise ArtifactNotFoundError(f"artifact {name!r} has no version {version!r}") from None
        except (OSError, ValueError) as exc:
            raise corrupt(p, "artifact manifest unreadable", exc) from exc
        if problem(m, version) is not None:
            raise CorruptStoreError(f"{p}: artifact manifest {problem(m, version)}")
        return m

    def _decorate(self, m: dict, table: dict) -> dict:
        return dict(m) | {"aliases": sorted(a for a, v in table.items() if v == m["version"])}

    def get(self, scope: str, name: str, ref: str = LATEST) -> dict:
        """The manifest of version ``ref`` (``v3``, an alias, or ``latest``) with its ``aliases``."""
        d = self._dir(scope, name)
        if not isinstance(ref, str) or not ref:
            raise StoreValueError(f"ref: must be a version 'v<N>' or an alias, given {ref!r}")
        table = self._aliases(d)
        if _VERSION.match(ref):
            version = ref
        elif ref in table:
            version = table[ref]
        elif ref == LATEST:
            vs = self._versions(d)
            if not vs:
                raise ArtifactNotFoundError(f"no artifact {name!r} in {scope}")
            return self._decorate(vs[-1], table)
        else:
            if not d.is_dir():
                raise ArtifactNotFoundError(f"no artifact {name!r} in {scope}")
            raise ArtifactNotFoundError(f"artifact {name!r} has no alias {ref!r} (aliases: {sorted(table)})")
        return self._decorate(self._read_version(d, version, name), table)

    def versions(self, scope: str, name: str) -> list[dict]:
        """Every readable version of ``name``, oldest first, each with its aliases and consumers."""
        d = self._dir(scope, name)
        table = self._aliases(d)
        return [self._decorate(m, table) | {"consumers": self._consumers(d, m["version"])}
                for m in self._versions(d)]

    def _consumers(self, d: Path, version: str) -> list[str]:
        u = d / "used" / version
        return sorted(p.stem for p in u.glob("*.json")) if u.is_dir() else []

    def consumers(self, scope: str, name: str, version: str) -> list[str]:
        return self._consumers(self._dir(scope, name), version)

    def latest(self, scope: str) -> list[dict]:
        """The newest version of every artifact name in ``scope``, sorted by name."""
        if not isinstance(scope, str) or not _SCOPE.match(scope):
            raise StoreValueError(f"scope: must look like 't-<task id>' or 'p-<project folder>', given {scope!r}")
        base = self.base / "m" / scope
        out = []
        if base.is_dir():
            for d in base.iterdir():
                vs = self._versions(d) if d.is_dir() else []
                if vs:
                    out.append(self._decorate(vs[-1], self._aliases(d)) | {"versions": len(vs)})
        out.sort(key=lambda m: m["name"])
        return out

    def scopes(self) -> list[str]:
        base = self.base / "m"
        return sorted(p.name for p in base.iterdir() if _SCOPE.match(p.name)) if base.is_dir() else []

    def task_lineage(self, task_id: str) -> dict:
        """{"produced": [...], "used": [...]}: (scope, name, version, time) dicts, oldest first."""
        task_scope(task_id)
        out: dict = {"produced": [], "used": []}
        d = self.base / "tasks" / task_id
        if d.is_dir():
            for p in d.glob("*.json"):
                try:
                    rec = _fs.read_json(p)
                except (OSError, ValueError):
                    continue
                if isinstance(rec, dict) and rec.get("kind") in out:
                    out[rec["kind"]].append({k: rec.get(k) for k in ("scope", "name", "version", "time")})
        for v in out.values():
            v.sort(key=lambda r: (r["time"] or 0, r["name"] or ""))
        return out

    def file_entry(self, manifest: dict, path: str) -> dict:
        for f in manifest.get("files", ()):
            if f.get("path") == path:
                return f
        raise ArtifactNotFoundError(f"artifact {manifest.get('name')!r} {manifest.get('version')} has no file {path!r}")

    def open_file(self, manifest: dict, path: str) -> BinaryIO:
        """The content of one file of a version (a binary file object; close it)."""
        return self.blobs.open(check_digest(self.file_entry(manifest, path)["sha256"]))

    def blob_path(self, digest: str) -> Path:
        """The local path of a blob (always inside ``<root>/.artifacts/blobs``)."""
        return self.blobs.local_path(check_digest(digest))

    def download(self, manifest: dict, dest, only: Optional[str] = None) -> Path:
        """Copy a version's files under folder ``dest``; see :func:`ringlog.store.artifacts_files.download`."""
        return download(self.blobs, manifest, dest, only)

    def local_copy(self, manifest: dict) -> Path:
        """A cached folder with a version's files; see :func:`ringlog.store.artifacts_files.local_copy`."""
        return local_copy(self.blobs, self.base / "cache", manifest)

    def props(self, scope: str, name: str, key: str) -> dict:
        """The mutable properties stored under ``key`` beside an artifact's versions ({} if none):
        what may change after a version is made (a ClearML model's labels, tags, published flag)."""
        p = self._dir(scope, name) / "props" / f"{_fs.project_dir_name(key)}.json"
        try:
            out = _fs.read_json(p)
        except (OSError, ValueError):
            return {}
        return out if isinstance(out, dict) else {}

    def set_props(self, scope: str, name: str, key: str, props: dict) -> None:
        self._write_json(self._dir(scope, name) / "props" / f"{_fs.project_dir_name(key)}.json", dict(props))

    # --- retention ------------------------------------------------------------------
    def gc(self, *, grace: float = 3600.0, dry_run: bool = False) -> dict:
        """Remove what nothing references; see :func:`ringlog.store.artifacts_gc.collect`."""
        return collect(self, grace=grace, dry_run=dry_run)


def check_alias(alias) -> str:
    if not isinstance(alias, str) or not _ALIAS.match(alias) or _VERSION.match(alias):
        raise StoreValueError(f"aliases: each must be 1-64 letters, digits or '_.:-@/ ' and not look like "
                              f"a version 'v<N>', given {alias!r}")
    return alias
