"""W&B's ``Artifact``: files, folders, Tables and references gathered, then logged as a version.

``add_file``/``add_dir`` with the default ``policy="mutable"`` store the content at once (into
the blob store of the current run's root, else the default root), as W&B copies it to its
staging area, so editing the file afterwards does not change what is logged; ``"immutable"``
reads it when the artifact is logged (as does ``"mutable"`` when the disk refused the early copy:
``log_artifact`` then warns once and returns None if it still cannot store it). ``add(table, name)`` stores a ``Table`` as
``<name>.table.json``; ``add_reference(uri)`` records the URI and never fetches it. Logging
(``run.log_artifact``) makes ``v0, v1, ...`` in the run's project, a new version only when the
content differs from every earlier one. A logged or used artifact is read back with
``download()``, ``get(name)``, ``get_entry(name).download()``, ``file()``, ``files()``.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

from .._engine import context
from .._engine.settings import Settings
from ..errors import LoggingTypeError, LoggingValueError
from ..media.plotdata import Table
from .access import artifact_store, store_module

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
TABLE_SUFFIX = ".table.json"


def _bad(argument: str, message: str, kind: str = "value") -> Exception:
    return (LoggingTypeError if kind == "type" else LoggingValueError)(f"{argument}: {message}")


def current_root() -> Path:
    core = context.current_core()
    return Path(core.settings.root if core is not None else Settings().resolved().root)


def split_ref(ref: str) -> tuple[Optional[str], str, str]:
    """``[entity/][project/]name[:alias]`` -> (project or None, name, alias or "latest")."""
    if not isinstance(ref, str) or not ref:
        raise _bad("artifact_or_name", f"must be 'name', 'name:alias' or 'project/name:v3', given {ref!r}", "type")
    path, alias = ref, "latest"
    if ":" in ref.rsplit("/", 1)[-1]:
        path, alias = ref.rsplit(":", 1)
    parts = path.split("/")
    if not parts[-1] or not _NAME.match(parts[-1]) or not alias:
        raise _bad("artifact_or_name", f"must be 'name', 'name:alias' or 'project/name:v3', given {ref!r}")
    return (parts[-2] if len(parts) >= 2 else None), parts[-1], alias


class ArtifactEntry:
    """One file of an artifact (``artifact.get_entry(name)``)."""

    def __init__(self, artifact: "Artifact", path: str, info: dict) -> None:
        self._artifact, self.path, self._info = artifact, path, info

    digest = property(lambda self: self._info.get("sha256"))
    size = property(lambda self: self._info.get("size"))
    ref = property(lambda self: self._info.get("uri"))

    def download(self, root: Optional[str] = None, skip_cache: Optional[bool] = None) -> str:
        if self.ref is not None:
            return self.ref  # a reference is never fetched
        m = self._artifact._require_logged("get_entry().download")
        dest = Path(root) if root is not None else self._artifact._default_dir()
        artifact_store(self._artifact._root).download(m, dest, only=self.path)
        return str(dest.joinpath(*self.path.split("/")))

    def __repr__(self) -> str:
        return f"<ArtifactEntry {self.path!r} {self.size} bytes>"


class Artifact:
    """A W&B artifact (see the module docstring)."""

    def __init__(self, name: str, type: str, description: Optional[str] = None, metadata: Optional[dict] = None,
                 incremental: bool = False, use_as: Optional[str] = None) -> None:
        if not isinstance(name, str) or not _NAME.match(name):
            raise _bad("name", f"must be 1-128 letters, digits, '_', '-' or '.', given {name!r}")
        if not isinstance(type, str) or not type.strip():
            raise _bad("type", f"must be a non-empty str such as 'dataset' or 'model', given {type!r}", "type")
        if metadata is not None and not isinstance(metadata, dict):
            raise _bad("metadata", f"must be a dict or None, given {metadata.__class__.__name__}", "type")
        self._name, self.type = name, type
        self.description = description or ""
        self.metadata = dict(metadata or {})
        self.aliases: list = []
        self._files: dict = {}   # path -> {"source": Path} or {"sha256", "size"}
        self._refs: dict = {}    # path -> {"uri", ...}
        self._root = current_root()
        self._manifest: Optional[dict] = None

    @classmethod
    def _from_manifest(cls, root: Path, manifest: dict) -> "Artifact":
        a = cls.__new__(cls)
        a._name, a.type = manifest["name"], manifest.get("type", "")
        a.description, a.metadata = manifest.get("description", ""), dict(manifest.get("metadata") or {})
        a.aliases = [x for x in manifest.get("aliases", ())]
        a._files = {f["path"]: {"sha256": f["sha256"], "size": f["size"]} for f in manifest.get("files", ())}
        a._refs = {r["path"]: dict(r) for r in manifest.get("references", ())}
        a._root, a._manifest = Path(root), manifest
        return a

    # --- identity -------------------------------------------------------------------
    @property
    def name(self) -> str:
        """``name:vN`` once logged or used (W&B's form), the bare name before."""
        return self._name if self._manifest is None else f"{self._name}:{self._manifest['version']}"

    source_name = name
    version = property(lambda self: None if self._manifest is None else self._manifest["version"])
    digest = property(lambda self: None if self._manifest is None else self._manifest["digest"])
    id = digest
    state = property(lambda self: "PENDING" if self._manifest is None else "COMMITTED")
    size = property(lambda self: sum(int(f.get("size") or 0) for f in self._files.values()))

    @property
    def qualified_name(self) -> str:
        project = (self._manifest or {}).get("project", "")
        return f"{project}/{self.name}" if project else self.name

    def logged_by(self) -> Optional[str]:
        """The id of the run that made this version."""
        return None if self._manifest is None else self._manifest.get("producer")

    def used_by(self) -> list:
        m = self._require_logged("used_by")
        return artifact_store(self._root).consumers(m["scope"], m["name"], m["version"])

    def wait(self, timeout: Optional[int] = None) -> "Artifact":
        return self

    # --- adding -----------------------------------------------------------------------
    def _check_open(self, what: str) -> None:
        if self._manifest is not None:
            raise _bad(what, f"artifact {self.name} is logged and cannot change; make a new Artifact")

    def _check_path(self, path: str, overwrite: bool) -> str:
        try:
            path = store_module().check_file_path(path)
        except ValueError as exc:
            raise _bad("name", str(exc).split(": ", 1)[-1]) from None
        if not overwrite and (path in self._files or path in self._refs):
            raise _bad("name", f"{path!r} is already in artifact {self._name!r} (overwrite=True replaces it)")
        return path

    def add_file(self, local_path: str, name: Optional[str] = None, is_tmp: Optional[bool] = False,
                 skip_cache: Optional[bool] = False, policy: str = "mutable", overwrite: bool = False) -> ArtifactEntry:
        self._check_open("add_file")
        if policy not in ("mutable", "immutable"):
            raise _bad("policy", f"must be 'mutable' or 'immutable', given {policy!r}")
        p = Path(os.fspath(local_path))
        if not p.is_file():
            raise _bad("local_path", f"{str(p)!r} is no existing file")
        path = self._check_path(name or p.name, overwrite)
        self._refs.pop(path, None)
        stored = None
        if policy == "mutable":
            try:
                digest, size = artifact_store(self._root).put(p)
                stored = {"sha256": digest, "size": size}
            except OSError:  # a full or failing disk: read it at log time instead (log_artifact reports it)
                stored = None
        self._files[path] = stored or {"source": p, "size": p.stat().st_size}
        return ArtifactEntry(self, path, self._files[path])

    def add_dir(self, local_path: str, name: Optional[str] = None, skip_cache: Optional[bool] = False,
                policy: str = "mutable", merge: bool = False) -> None:
        self._check_open("add_dir")
        p = Path(os.fspath(local_path))
        if not p.is_dir():
            raise _bad("local_path", f"{str(p)!r} is no existing folder")
        prefix = (name.strip("/") + "/") if name else ""
        for f in sorted(p.rglob("*")):
            if f.is_file():
                self.add_file(str(f), name=prefix + f.relative_to(p).as_posix(), policy=policy, overwrite=merge)

    def add(self, obj: Any, name: str, overwrite: bool = False) -> ArtifactEntry:
        """Add a ``Table`` (or a pandas DataFrame, as a Table) under ``name`` (``.table.json`` added)."""
        self._check_open("add")
        if hasattr(obj, "columns") and hasattr(obj, "itertuples") and not isinstance(obj, Table):
            obj = Table(dataframe=obj)
        if not isinstance(obj, Table):
            raise _bad("obj", f"must be a ringlog.Table (or a pandas DataFrame); for other objects save them to "
                              f"a file and use add_file, given {type(obj).__name__}", "type")
        path = self._check_path(name if name.endswith(TABLE_SUFFIX) else name + TABLE_SUFFIX, overwrite)
        data = json.dumps({"_type": "table", "columns": list(obj.columns), "data": obj.data}, default=str,
                          allow_nan=True).encode("utf-8")
        try:
            digest, size = artifact_store(self._root).put(data)
            self._files[path] = {"sha256": digest, "size": size}
        except OSError:  # a full or failing disk: kept in memory, stored (or reported) at log time
            self._files[path] = {"source": data, "size": len(data)}
        return ArtifactEntry(self, path, self._files[path])

    def add_reference(self, uri: str, name: Optional[str] = None, checksum: bool = True,
                      max_objects: Optional[int] = None) -> list:
        """Record ``uri`` (any scheme); it is never fetched, so ``checksum`` cannot be computed."""
        self._check_open("add_reference")
        if not isinstance(uri, str) or "://" not in uri:
            raise _bad("uri", f"must be a URI such as 's3://bucket/key' or 'file:///path', given {uri!r}")
        path = self._check_path(name or uri.rstrip("/").rsplit("/", 1)[-1] or "reference", False)
        self._files.pop(path, None)
        self._refs[path] = {"path": path, "uri": uri}
        return [ArtifactEntry(self, path, self._refs[path])]

    @contextmanager
    def new_file(self, name: str, mode: str = "x", encoding: Optional[str] = None) -> Iterator[Any]:
        """Write a new file of the artifact: ``with art.new_file("notes.txt") as f: f.write(...)``."""
        self._check_open("new_file")
        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / "f"
            with open(p, mode.replace("x", "w"), encoding=encoding if "b" not in mode else None) as f:
                yield f
            self.add_file(str(p), name=name)

    def remove(self, item: Any) -> None:
        path = item.path if isinstance(item, ArtifactEntry) else item
        self._check_open("remove")
        if self._files.pop(path, None) is None and self._refs.pop(path, None) is None:
            raise _bad("item", f"{path!r} is not in artifact {self._name!r}")

    # --- logging (called by the run) --------------------------------------------------------
    def _commit(self, root: Path, scope: str, producer: str, project: str, aliases: list) -> dict:
        files = [(p, info["source"] if "source" in info else {"sha256": info["sha256"]})
                 for p, info in self._files.items()]
        astore = artifact_store(root)
        if Path(root) != self._root:  # the content sits in another store root: read it from there
            src = artifact_store(self._root)
            files = [(p, src.blob_path(s["sha256"]) if isinstance(s, dict) else s) for p, s in files]
        m = astore.commit(scope, self._name, type=self.type, files=files, references=list(self._refs.values()),
                          metadata=json.loads(json.dumps(self.metadata, default=str)), aliases=aliases,
                          producer=producer, description=self.description,
                          extra={"kind": "wandb", "project": project,
                                 "preview": "\n".join(sorted([*self._files, *self._refs])[:200])})
        self._root = Path(root)
        self._adopt(m)
        return m

    def _adopt(self, m: dict) -> None:
        self._manifest = m
        self.aliases = list(m.get("aliases", ()))
        self._files = {f["path"]: {"sha256": f["sha256"], "size": f["size"]} for f in m.get("files", ())}

    # --- reading ----------------------------------------------------------------------
    def _require_logged(self, what: str) -> dict:
        if self._manifest is None:
            raise _bad(what, f"artifact {self._name!r} is not logged yet; call run.log_artifact(artifact) first")
        return self._manifest

    def _default_dir(self) -> Path:
        return Path.cwd() / "artifacts" / f"{self._name}:{self.version}"

    def download(self, root: Optional[str] = None, allow_missing_references: bool = False,
                 skip_cache: Optional[bool] = None, path_prefix: Optional[str] = None) -> str:
        """Copy every file (not the references) under ``root``, default ``./artifacts/<name>:<version>``."""
        m = self._require_logged("download")
        dest = Path(root) if root is not None else self._default_dir()
        if path_prefix:
            m = dict(m, files=[f for f in m["files"] if f["path"].startswith(path_prefix)])
        artifact_store(self._root).download(m, dest)
        return str(dest)

    def file(self, root: Optional[str] = None) -> str:
        m = self._require_logged("file")
        if len(m.get("files") or []) != 1:
            raise _bad("file", f"artifact {self.name} holds {len(m.get('files') or [])} files, not one; use download()")
        return str(Path(self.download(root)) / m["files"][0]["path"])

    def files(self) -> list:
        return [self.get_entry(p) for p in sorted([*self._files, *self._refs])]

    def get_entry(self, name: str) -> ArtifactEntry:
        info = self._files.get(name) or self._refs.get(name)
        if info is None:
            raise KeyError(f"artifact {self.name} has no entry {name!r} (it has: {sorted([*self._files, *self._refs])})")
        return ArtifactEntry(self, name, info)

    def get(self, name: str) -> Any:
        """The Table stored under ``name`` (with or without ``.table.json``), else None (as W&B)."""
        path = name if name in self._files else name + TABLE_SUFFIX
        info = self._files.get(path)
        if info is None or not path.endswith(TABLE_SUFFIX):
            return None
        m = self._require_logged("get")
        with artifact_store(self._root).open_file(m, path) as f:
            doc = json.loads(f.read())
        return Table(columns=doc["columns"], data=doc["data"])

    def __repr__(self) -> str:
        return f"<Artifact {self.name} type={self.type} files={len(self._files)} refs={len(self._refs)}>"
