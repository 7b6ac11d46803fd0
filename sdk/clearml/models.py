"""ClearML's models: ``OutputModel(task).update_weights(path)``, ``InputModel(model_id)``, ``Model``.

A model is an artifact of type ``model`` in its project's scope (``p-<project folder>``), named by
the model's name (the task's name unless given): every ``update_weights`` whose file differs from
every earlier version makes a new version (``latest`` moves; ``publish()`` adds ``published``), so
a model trained again by another task continues the same version list, with each version's
producing task. ``model.id`` is stable per (task, name), as ClearML's id is per OutputModel.
What may change after weights are stored (labels, design, tags, metadata, comment, published)
lives in the artifact's mutable properties, keyed by the model id.

``register_uri=`` records a URI without fetching it; ``auto_delete_file`` deletes the local
weights file only when passed ``True`` explicitly (ClearML deletes its temporary upload copy by
default; ringlog never removes a file the user wrote unless told to). A model's ``report_*``
calls go to the producing task's Logger (Scalars/Plots of that task): ringlog has no per-model
metric store. Uploads are synchronous: ``wait_for_uploads`` returns at once.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Optional

from .._engine import context
from .._engine.settings import Settings
from ..artifacts.access import artifact_store, failed, refuse, store_module
from .artifacts import json_safe

MODEL_TYPE = "model"


def model_id_of(task_id: str, name: str) -> str:
    return hashlib.sha1(f"{task_id}\x00{name}".encode("utf-8")).hexdigest()


def _root_of(task: Any) -> Path:
    return Path(task._core.settings.root)


def _default_root() -> Path:
    core = context.current_core()
    return Path(core.settings.root if core is not None else Settings().resolved().root)


class Model:
    """A stored model (read-only): ``Model(model_id)``, ``Model.query_models(...)``."""

    def __init__(self, model_id: Optional[str] = None, *, _found: Optional[tuple] = None,
                 _root: Optional[Path] = None) -> None:
        self._root = Path(_root) if _root is not None else _default_root()
        if _found is None:
            if not isinstance(model_id, str) or not model_id:
                raise TypeError(f"model_id: must be a model id str, given {model_id!r}")
            _found = _find(self._root, model_id=model_id)
            if _found is None:
                raise ValueError(f"model_id: no model {model_id!r} under {self._root}")
        self._manifest, self._props = _found

    id = property(lambda self: self._manifest.get("model_id", ""))
    name = property(lambda self: self._manifest["name"])
    project = property(lambda self: self._manifest.get("project", ""))
    task = property(lambda self: self._manifest.get("producer"))
    version = property(lambda self: self._manifest["version"])
    framework = property(lambda self: self._props.get("framework") or self._manifest.get("framework"))
    comment = property(lambda self: self._props.get("comment", ""))
    labels = property(lambda self: dict(self._props.get("labels") or {}))
    config_dict = property(lambda self: dict(self._props.get("config_dict") or {}))
    config_text = property(lambda self: self._props.get("config_text", ""))
    tags = property(lambda self: list(self._props.get("tags") or []))
    published = property(lambda self: bool(self._props.get("published")))

    @property
    def url(self) -> str:
        refs = self._manifest.get("references") or []
        if refs:
            return refs[0]["uri"]
        return f"ringlog-artifact://{self._manifest['scope']}/{self.name}/{self.version}"

    def get_metadata(self, key: str) -> Optional[str]:
        v = (self._props.get("metadata") or {}).get(key)
        return None if v is None else v.get("value")

    def get_all_metadata(self) -> dict:
        return {k: dict(v) for k, v in (self._props.get("metadata") or {}).items()}

    def get_local_copy(self, extract_archive: Any = None, raise_on_error: bool = False,
                       force_download: bool = False) -> Optional[str]:
        """The weights file (one file) or folder (a package); a registered URI is returned as is."""
        files = self._manifest.get("files") or []
        if not files:
            return self.url if self._manifest.get("references") else None
        folder = artifact_store(self._root).local_copy(self._manifest)
        if len(files) == 1 and not self._manifest.get("package"):
            return str(folder.joinpath(*files[0]["path"].split("/")))
        return str(folder)

    get_weights = get_local_copy

    def get_weights_package(self, return_path: bool = False, raise_on_error: bool = False,
                            force_download: bool = False, extract_archive: bool = True) -> Optional[str]:
        files = self._manifest.get("files") or []
        return str(artifact_store(self._root).local_copy(self._manifest)) if files else None

    @classmethod
    def query_models(cls, project_name: Optional[str] = None, model_name: Optional[str] = None,
                     tags: Optional[list] = None, only_published: bool = False, include_archived: bool = False,
                     max_results: Optional[int] = None, metadata: Optional[dict] = None, *,
                     dir: Optional[str] = None) -> list:
        """Stored models, newest first, filtered as ClearML's ``Model.query_models``."""
        root = Path(dir) if dir is not None else _default_root()
        out = [cls(_found=f, _root=root) for f in _all(root, project_name)]
        if model_name is not None:
            out = [m for m in out if m.name == model_name]
        if tags:
            out = [m for m in out if set(tags) <= set(m.tags)]
        if only_published:
            out = [m for m in out if m.published]
        if metadata:
            out = [m for m in out if all(m.get_metadata(k) == str(v) for k, v in metadata.items())]
        out.sort(key=lambda m: m._manifest.get("created", 0), reverse=True)
        return out[:max_results] if max_results else out

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self.id[:8]} {self.version}>"


def _all(root: Path, project: Optional[str] = None) -> list:
    """(manifest, props) of the newest version of every model id under ``root``."""
    mod = store_module()
    astore = artifact_store(root)
    scopes = [mod.project_scope(project)] if project else [s for s in astore.scopes() if s.startswith("p-")]
    out = []
    for scope in scopes:
        for latest in astore.latest(scope):
            if latest.get("type") != MODEL_TYPE:
                continue
            newest: dict = {}
            for m in astore.versions(scope, latest["name"]):
                newest[m.get("model_id") or m["version"]] = m
            for mid, m in newest.items():
                out.append((m, astore.props(scope, m["name"], mid)))
    return out


def _find(root: Path, model_id: Optional[str] = None, name: Optional[str] = None,
          project: Optional[str] = None) -> Optional[tuple]:
    found = [f for f in _all(root, project)
             if (model_id is None or f[0].get("model_id") == model_id) and (name is None or f[0]["name"] == name)]
    found.sort(key=lambda f: f[0].get("created", 0))
    return found[-1] if found else None


class InputModel(Model):
    """A stored model used by a task: ``InputModel(model_id=...)`` or ``(name=, project=)``;
    ``connect(task)`` records the use (lineage: the model's page lists the task as a consumer)."""

    def __init__(self, model_id: Optional[str] = None, name: Optional[str] = None, project: Optional[str] = None,
                 tags: Optional[list] = None, only_published: bool = False, *, dir: Optional[str] = None) -> None:
        root = Path(dir) if dir is not None else _default_root()
        if model_id is not None:
            super().__init__(model_id, _root=root)
            return
        if name is None and project is None:
            raise ValueError("model_id: give a model id, or name= and/or project= to find one")
        cands = Model.query_models(project_name=project, model_name=name, tags=tags, only_published=only_published,
                                   dir=str(root))
        if not cands:
            raise ValueError(f"name: no model named {name!r} in project {project!r} under {root}")
        super().__init__(_found=(cands[0]._manifest, cands[0]._props), _root=root)

    def connect(self, task: Any, name: Optional[str] = None, ignore_remote_overrides: bool = False) -> None:
        m = self._manifest
        artifact_store(self._root).use(m["scope"], m["name"], m["version"], task.id)


class OutputModel:
    """The model a task produces (see the module docstring)."""

    def __init__(self, task: Any = None, config_text: Optional[str] = None, config_dict: Optional[dict] = None,
                 label_enumeration: Optional[dict] = None, name: Optional[str] = None, tags: Optional[list] = None,
                 comment: Optional[str] = None, framework: Optional[str] = None, base_model_id: Optional[str] = None,
                 **_ignored: Any) -> None:
        if task is None:
            core = context.current_core()
            task = None if core is None else core.task_facade
            if task is None:
                raise ValueError("task: OutputModel needs a task; call Task.init() first or pass task=")
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise TypeError(f"name: must be a non-empty str or None, given {name!r}")
        self._task = task
        self._name = name or task.name
        self._props: dict = {"framework": framework, "comment": comment or "", "tags": list(tags or []),
                             "labels": dict(label_enumeration or {}), "config_dict": json_safe(config_dict),
                             "config_text": config_text or "", "metadata": {}, "published": False,
                             "base_model_id": base_model_id}
        self._manifest: Optional[dict] = None
        self._scope = store_module().project_scope(task.project)

    id = property(lambda self: model_id_of(self._task.id, self._name))
    name = property(lambda self: self._name)
    task = property(lambda self: self._task.id)
    labels = property(lambda self: dict(self._props["labels"]))
    config_dict = property(lambda self: dict(self._props["config_dict"]))
    published = property(lambda self: bool(self._props["published"]))
    framework = property(lambda self: self._props["framework"])
    version = property(lambda self: None if self._manifest is None else self._manifest["version"])

    @property
    def tags(self) -> list:
        return list(self._props["tags"])

    @tags.setter
    def tags(self, tags: list) -> None:
        self._set(tags=list(tags))

    @property
    def comment(self) -> str:
        return self._props["comment"]

    @comment.setter
    def comment(self, text: str) -> None:
        self._set(comment=str(text))

    @property
    def url(self) -> Optional[str]:
        if self._manifest is None:
            return None
        return Model(_found=(self._manifest, self._props), _root=_root_of(self._task)).url

    def _set(self, **props: Any) -> None:
        self._props.update(props)
        if self._manifest is not None:
            self._save_props()

    def _save_props(self) -> None:
        try:
            artifact_store(_root_of(self._task)).set_props(self._scope, self._name, self.id, self._props)
        except OSError as exc:
            failed(self._task._core, f"model {self._name!r} properties", exc)

    def update_labels(self, labels: dict) -> None:
        if not isinstance(labels, dict):
            refuse(self._task._core, "labels", f"must be a dict of label -> int, given {type(labels).__name__}", "type")
            return
        self._set(labels=dict(labels))

    def update_design(self, config_text: Optional[str] = None, config_dict: Optional[dict] = None) -> bool:
        self._set(config_text=config_text or "", config_dict=json_safe(config_dict))
        return True

    def set_metadata(self, key: str, value: Any, v_type: Optional[str] = None) -> bool:
        meta = dict(self._props["metadata"])
        meta[str(key)] = {"key": str(key), "value": str(value), "type": v_type or type(value).__name__}
        self._set(metadata=meta)
        return True

    def set_all_metadata(self, metadata: dict, replace: bool = True) -> bool:
        base = {} if replace else dict(self._props["metadata"])
        for k, v in metadata.items():
            base[str(k)] = {"key": str(k), "value": str(v), "type": type(v).__name__}
        self._set(metadata=base)
        return True

    def get_metadata(self, key: str) -> Optional[str]:
        v = self._props["metadata"].get(key)
        return None if v is None else v["value"]

    def get_all_metadata(self) -> dict:
        return {k: dict(v) for k, v in self._props["metadata"].items()}

    def publish(self) -> None:
        self._set(published=True)
        if self._manifest is not None:
            artifact_store(_root_of(self._task)).set_aliases(self._scope, self._name, self._manifest["version"],
                                                             ["published"])

    def set_upload_destination(self, uri: str) -> None:
        """Recorded only: ringlog stores weights in its own store (object-store roots: issue 17)."""
        self._set(upload_destination=str(uri))

    def update_weights(self, weights_filename: Optional[str] = None, upload_uri: Optional[str] = None,
                       target_filename: Optional[str] = None, auto_delete_file: Optional[bool] = None,
                       register_uri: Optional[str] = None, iteration: Optional[int] = None,
                       update_comment: bool = True, is_package: bool = False, async_enable: bool = True) -> Optional[str]:
        """Store a weights file (or record ``register_uri``); returns the model's URL, None on failure."""
        core = self._task._core
        if (weights_filename is None) == (register_uri is None):
            refuse(core, "weights_filename", "give exactly one of weights_filename and register_uri")
            return None
        files: list = []
        refs: list = []
        if register_uri is not None:
            if not isinstance(register_uri, str) or not register_uri:
                refuse(core, "register_uri", f"must be a URI str, given {register_uri!r}", "type")
                return None
            refs = [{"path": target_filename or os.path.basename(register_uri.rstrip("/")) or "weights",
                     "uri": register_uri}]
        else:
            p = Path(os.fspath(weights_filename))
            if is_package or p.is_dir():
                if not p.is_dir():
                    refuse(core, "weights_filename", f"{str(p)!r} is not a folder")
                    return None
                files = [(f.relative_to(p).as_posix(), f) for f in sorted(p.rglob("*")) if f.is_file()]
                is_package = True
            elif p.is_file():
                files = [(target_filename or p.name, p)]
            else:
                refuse(core, "weights_filename", f"{str(p)!r} is no existing file")
                return None
        return self._commit(files, refs, iteration, is_package,
                            weights_filename if auto_delete_file is True else None)

    def update_weights_package(self, weights_filenames: Optional[list] = None, weights_path: Optional[str] = None,
                               upload_uri: Optional[str] = None, target_filename: Optional[str] = None,
                               auto_delete_file: Optional[bool] = None, iteration: Optional[int] = None,
                               async_enable: bool = True) -> Optional[str]:
        if weights_path is not None:
            return self.update_weights(weights_path, is_package=True, iteration=iteration,
                                       auto_delete_file=auto_delete_file)
        if not weights_filenames:
            refuse(self._task._core, "weights_filenames", "give weights_filenames (a list of files) or weights_path")
            return None
        paths = [Path(os.fspath(f)) for f in weights_filenames]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            refuse(self._task._core, "weights_filenames", f"no such file(s): {missing}")
            return None
        return self._commit([(p.name, p) for p in paths], [], iteration, True, None)

    def _commit(self, files: list, refs: list, iteration: Any, package: bool, delete: Any) -> Optional[str]:
        core = self._task._core
        mod = store_module()
        try:
            m = artifact_store(_root_of(self._task)).commit(
                self._scope, self._name, type=MODEL_TYPE, files=files, references=refs, producer=self._task.id,
                metadata={"iteration": iteration} if iteration is not None else {},
                aliases=["published"] if self._props["published"] else (),
                extra={"kind": "model", "model_id": self.id, "framework": self._props["framework"],
                       "project": self._task.project, "task_name": self._task.name, "package": package,
                       "preview": "\n".join(f for f, _ in files) or "\n".join(r["uri"] for r in refs)})
        except (OSError, mod.StoreError) as exc:
            failed(core, f"model {self._name!r}", exc)
            return None
        self._manifest = m
        self._save_props()
        if delete is not None:
            try:
                os.unlink(delete)
            except OSError:
                pass
        return self.url

    @classmethod
    def wait_for_uploads(cls, timeout: Optional[float] = None, max_num_uploads: Optional[int] = None) -> None:
        """Nothing to wait for: ringlog stores weights synchronously."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("report_"):  # a model's report_* goes to its task's Logger (module docstring)
            return getattr(self._task.get_logger(), name)
        raise AttributeError(f"'OutputModel' object has no attribute {name!r}")

    def __repr__(self) -> str:
        return f"<OutputModel {self._name!r} {self.id[:8]} {self.version}>"


def task_models(root: Path, task_id: str) -> dict:
    """ClearML's ``task.models``: {"input": [...], "output": [...]} (Model objects, oldest first)."""
    astore = artifact_store(root)
    out: dict = {"input": [], "output": []}
    lineage = astore.task_lineage(task_id)
    for kind, key in (("used", "input"), ("produced", "output")):
        seen = set()
        for rec in lineage[kind]:
            if not rec["scope"].startswith("p-"):
                continue
            try:
                m = astore.get(rec["scope"], rec["name"], rec["version"])
            except KeyError:
                continue
            if m.get("type") != MODEL_TYPE or (m["name"], m["version"]) in seen:
                continue
            seen.add((m["name"], m["version"]))
            out[key].append(Model(_found=(m, astore.props(m["scope"], m["name"], m.get("model_id", ""))), _root=root))
    return out
