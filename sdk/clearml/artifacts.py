"""ClearML's task artifacts: ``upload_artifact``, ``register_artifact``, ``task.artifacts[name]``.

Each artifact of a task is a versioned artifact of the task's own scope (``t-<task id>``) in the
store's artifact store (:mod:`ringlog.store.artifacts`); objects become files by the rules of
:mod:`ringlog.artifacts.serialize`. Uploading again under the same name makes a new version when
the content changed (ClearML replaces the artifact; ``task.artifacts[name]`` is the newest).

``upload_artifact`` stores synchronously on the caller's thread (streamed; a file already stored
by any task is hashed, not copied), so ``wait_on_upload`` has nothing to wait for. A registered
DataFrame is serialized again at ``task.flush()`` and at close (also an exit without ``close()``),
and a new version is made only if its content changed. Bad arguments raise in strict mode, else
warn once and return False; so does a failing disk.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from ..artifacts.access import artifact_store, failed, refuse, store_module
from ..artifacts.serialize import PackError, pack, unpack

# ClearML's Artifact.type names for our serialization kinds
_CLEARML_TYPE = {"pandas": "pandas", "numpy": "numpy", "json": "JSON", "image": "image", "pickle": "pickle",
                 "file": "custom", "folder": "archive", "files": "archive", "str": "str", "custom": "custom",
                 "reference": "custom"}


def json_safe(meta: Any) -> dict:
    """A metadata dict as JSON stores it (values that are not JSON become their ``str``)."""
    return json.loads(json.dumps(meta or {}, default=str, allow_nan=True))


class Artifact:
    """One artifact of a task as ClearML shows it: ``get()``, ``get_local_copy()``, ``preview``,
    ``metadata``, ``size``, ``hash``, ``timestamp``, ``type``; ``version`` and ``versions`` are ours."""

    def __init__(self, root: Path, manifest: dict) -> None:
        self._root = Path(root)
        self._m = manifest

    name = property(lambda self: self._m["name"])
    version = property(lambda self: self._m["version"])
    preview = property(lambda self: self._m.get("preview", ""))
    size = property(lambda self: int(self._m.get("size", 0)))
    hash = property(lambda self: self._m.get("digest", ""))
    mode = property(lambda self: "output")
    kind = property(lambda self: self._m.get("kind", ""))
    files = property(lambda self: [dict(f) for f in self._m.get("files", ())])
    producer = property(lambda self: self._m.get("producer"))

    @property
    def type(self) -> str:
        return _CLEARML_TYPE.get(self._m.get("kind", ""), self._m.get("type", "custom"))

    @property
    def metadata(self) -> dict:
        return dict(self._m.get("metadata") or {})

    @property
    def timestamp(self) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(self._m.get("created", 0.0))

    @property
    def url(self) -> str:
        refs = self._m.get("references") or []
        if self.kind == "reference" and refs:
            return refs[0]["uri"]
        return f"ringlog-artifact://{self._m['scope']}/{self.name}/{self.version}"

    @property
    def versions(self) -> list:
        """Every version of this artifact (oldest first), as Artifact objects."""
        return [Artifact(self._root, m) for m in artifact_store(self._root).versions(self._m["scope"], self.name)]

    def get_local_copy(self, extract_archive: Any = None, raise_on_error: bool = False,
                       force_download: bool = False) -> Optional[str]:
        """Path of a local copy: the file for a one-file artifact, else the folder (no archive to
        extract: folders are stored file by file). Shared between callers: do not edit it."""
        if self.kind == "reference":
            return self.url
        try:
            folder = artifact_store(self._root).local_copy(self._m)
        except (OSError, KeyError, ValueError) as exc:  # ClearML returns None unless raise_on_error
            if raise_on_error:
                raise
            warnings.warn(f"ringlog: artifact {self.name!r} could not be copied ({exc!r})", RuntimeWarning,
                          stacklevel=2)
            return None
        files = self._m.get("files") or []
        if len(files) == 1 and self.kind not in ("folder", "files"):
            return str(folder.joinpath(*files[0]["path"].split("/")))
        return str(folder)

    def get(self, force_download: bool = False, deserialization_function: Optional[Callable] = None) -> Any:
        """The stored object (DataFrame, array, dict, image, unpickled object), or the local path of
        a file/folder artifact, as ClearML's ``Artifact.get``."""
        if self.kind == "reference":
            return unpack(self._m, self._root)
        folder = artifact_store(self._root).local_copy(self._m)
        return unpack(self._m, folder, deserialization_function)

    def __repr__(self) -> str:
        return f"<Artifact {self.name!r} {self.version} {self.type} {self.size:,} bytes>"


class Artifacts(Mapping):
    """A task's artifacts by name (the newest version of each), read when accessed."""

    def __init__(self, root: Path, task_id: str) -> None:
        self._root = Path(root)
        self._task_id = task_id

    def _all(self) -> dict:
        scope = store_module().task_scope(self._task_id)
        return {m["name"]: m for m in artifact_store(self._root).latest(scope) if m.get("type") != "model"}

    def __getitem__(self, name: str) -> Artifact:
        found = self._all()
        if name not in found:
            raise KeyError(f"task {self._task_id} has no artifact {name!r} (it has: {sorted(found)})")
        return Artifact(self._root, found[name])

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._all()))

    def __len__(self) -> int:
        return len(self._all())

    def __repr__(self) -> str:
        return f"<Artifacts of {self._task_id}: {sorted(self._all())}>"


class TaskArtifacts:
    """The artifact side of one live task: uploads and the registered DataFrames."""

    def __init__(self, core: Any) -> None:
        self._core = core
        self._registered: dict[str, tuple[Any, dict]] = {}
        core.before_finish.append(self.sync)

    @property
    def root(self) -> Path:
        return Path(self._core.settings.root)

    def upload(self, name: Any, artifact_object: Any, metadata: Any = None, delete_after_upload: bool = False,
               auto_pickle: Optional[bool] = None, preview: Any = None, extension_name: Optional[str] = None,
               serialization_function: Optional[Callable] = None, sort_keys: bool = True) -> bool:
        core = self._core
        if not isinstance(name, str) or not name.strip() or len(name) > 256 or "\x00" in name:
            refuse(core, "name", f"must be a non-empty str of at most 256 characters, given {name!r}", "type")
            return False
        if metadata is not None and not isinstance(metadata, Mapping):
            refuse(core, "metadata", f"must be a dict or None, given {type(metadata).__name__}", "type")
            return False
        if preview is not None and not isinstance(preview, str):
            preview = str(preview)
        mod = store_module()
        try:
            astore = artifact_store(self.root)
            tmp_base = astore.base / "tmp"
            tmp_base.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=tmp_base, prefix="pack-") as tmp:
                try:
                    packed = pack(artifact_object, name, Path(tmp), auto_pickle=auto_pickle,
                                  extension_name=extension_name, serialization_function=serialization_function,
                                  sort_keys=sort_keys)
                except PackError as exc:
                    refuse(core, exc.argument, str(exc), exc.kind)
                    return False
                extra = {"kind": packed.kind, "preview": preview if preview is not None else packed.preview,
                         "project": core.project, "task_name": core.name} | packed.extra
                astore.commit(mod.task_scope(core.id), name, type=packed.kind, files=packed.files,
                              references=packed.references, metadata=json_safe(metadata), producer=core.id,
                              extra=extra)
        except (OSError, mod.StoreError) as exc:
            failed(core, f"artifact {name!r}", exc)
            return False
        if delete_after_upload and packed.kind in ("file", "folder", "files"):
            for _, src in packed.files:
                try:
                    os.unlink(src)
                except OSError:
                    pass
        return True

    def register(self, name: Any, artifact: Any, metadata: Any = None, uniqueness_columns: Any = True) -> None:
        """Watch a DataFrame: stored now, and again at flush/close when its content changed."""
        pd = sys.modules.get("pandas")
        if pd is None or not isinstance(artifact, pd.DataFrame):
            refuse(self._core, "artifact", f"must be a pandas DataFrame (ClearML registers only those), "
                                           f"given {type(artifact).__name__}", "type")
            return
        if self.upload(name, artifact, metadata=metadata):
            self._registered[name] = (artifact, dict(metadata or {}))

    def unregister(self, name: str) -> None:
        self._registered.pop(name, None)

    def registered(self) -> dict:
        return {k: df for k, (df, _) in self._registered.items()}

    def sync(self) -> None:
        """Store each registered DataFrame again; a new version only if its content changed."""
        for name, (df, meta) in list(self._registered.items()):
            self.upload(name, df, metadata=meta)
