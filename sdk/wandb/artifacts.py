"""W&B's run-level artifact calls: ``log_artifact``, ``use_artifact``, ``save``, ``log_model``, ``use_model``.

Artifacts logged by a run live in its project's scope (``p-<project folder>``) with the run as
producer; ``use_artifact`` records the run as a consumer of the version it resolves to, so
lineage reads both ways. ``wandb.save(glob)`` keeps the matching files as the run's own
artifact ``run-files`` (type ``run_files``, in the run's task scope; the viewer's Artifacts tab
lists it): ``policy="now"`` stores them at once, ``"end"`` at finish, ``"live"`` (W&B's default)
both, so the version at finish holds their last content. Paths inside are relative to
``base_path`` (default: the folder of an absolute glob, else the current folder), as W&B's.
Bad arguments raise (they are programming errors in W&B too); a failing disk warns once and
returns None unless strict.
"""

from __future__ import annotations

import glob as _glob
import os
from pathlib import Path
from typing import Any, Optional

from ..artifacts.access import artifact_store, failed, store_module
from ..artifacts.wandb_artifact import Artifact, split_ref
from ..errors import LoggingTypeError, LoggingValueError

RUN_FILES = "run-files"
_POLICIES = ("live", "now", "end")


class RunArtifacts:
    """The artifact side of one run: the ``save`` globs, stored again at finish."""

    def __init__(self, core: Any) -> None:
        self._core = core
        self._globs: list = []  # (glob, base_path)
        self._now: dict = {}    # path inside -> {"sha256"} of content stored with policy "now"
        core.before_finish.append(self.store_files)

    @property
    def root(self) -> Path:
        return Path(self._core.settings.root)

    def scope(self, project: Optional[str] = None) -> str:
        return store_module().project_scope(project or self._core.project)

    # --- wandb.save -------------------------------------------------------------------
    def save(self, glob_str: Any, base_path: Any = None, policy: str = "live") -> list:
        if not isinstance(glob_str, (str, os.PathLike)) or not os.fspath(glob_str):
            raise LoggingTypeError(f"glob_str: must be a file path or glob str, given {glob_str!r}")
        if policy not in _POLICIES:
            raise LoggingValueError(f"policy: must be one of {list(_POLICIES)}, given {policy!r}")
        glob_str = os.fspath(glob_str)
        if base_path is None:
            base_path = os.path.dirname(glob_str) if os.path.isabs(glob_str) else "."
        entry = (glob_str, os.fspath(base_path))
        matched = self._match(*entry)
        if policy in ("live", "end") and entry not in self._globs:
            self._globs.append(entry)
        if policy in ("live", "now"):
            if policy == "now":  # the content as it is now: stored at once, not read again at the end
                try:
                    astore = artifact_store(self.root)
                    self._now.update({rel: {"sha256": astore.put(p)[0]} for rel, p in matched.items()})
                except OSError as exc:
                    failed(self._core, "wandb.save files", exc)
                    return sorted(matched)
            self.store_files()
        return sorted(matched)

    @staticmethod
    def _match(glob_str: str, base: str) -> dict:
        out = {}
        for f in _glob.glob(glob_str, recursive=True):
            if os.path.isfile(f):
                rel = os.path.relpath(f, base).replace(os.sep, "/")
                if rel.startswith("../"):
                    raise LoggingValueError(f"base_path: {f!r} is not inside base_path {base!r}")
                out[rel] = Path(f)
        return out

    def store_files(self) -> Optional[dict]:
        files = dict(self._now)
        for g in self._globs:
            files.update(self._match(*g))
        if not files:
            return None
        mod = store_module()
        try:
            return artifact_store(self.root).commit(
                mod.task_scope(self._core.id), RUN_FILES, type="run_files", files=sorted(files.items()),
                producer=self._core.id,
                extra={"kind": "folder", "project": self._core.project, "preview": "\n".join(sorted(files))[:65536]})
        except (OSError, mod.StoreError) as exc:
            failed(self._core, "wandb.save files", exc)
            return None

    # --- artifacts ------------------------------------------------------------------------
    def log_artifact(self, artifact_or_path: Any, name: Optional[str] = None, type: Optional[str] = None,
                     aliases: Optional[list] = None, tags: Optional[list] = None) -> Optional[Artifact]:
        art = artifact_or_path
        if not isinstance(art, Artifact):
            if not isinstance(art, (str, os.PathLike)):
                raise LoggingTypeError(f"artifact_or_path: must be an Artifact or a path, given {art!r}")
            p = Path(os.fspath(art))
            art = Artifact(name or p.name.replace(" ", "_"), type or "unspecified")
            if p.is_dir():
                art.add_dir(str(p))
            else:
                art.add_file(str(p))
        if isinstance(aliases, str):
            aliases = [aliases]
        wanted = list(dict.fromkeys([*(aliases or []), *art.aliases]))
        wanted = [a for a in wanted if a != "latest"]
        mod = store_module()
        try:
            art._commit(self.root, self.scope(), self._core.id, self._core.project, wanted)
        except mod.StoreValueError as exc:
            raise LoggingValueError(str(exc)) from None
        except (OSError, mod.StoreError) as exc:
            failed(self._core, f"artifact {art._name!r}", exc)
            return None
        return art

    def use_artifact(self, artifact_or_name: Any, type: Optional[str] = None, aliases: Optional[list] = None,
                     use_as: Optional[str] = None) -> Artifact:
        if isinstance(artifact_or_name, Artifact):
            if artifact_or_name.version is None:  # W&B logs an unlogged artifact as used: make it a version
                self.log_artifact(artifact_or_name, aliases=aliases)
            m = artifact_or_name._manifest
            project, name, ref = None, m["name"], m["version"]
            scope = m["scope"]
        else:
            project, name, ref = split_ref(artifact_or_name)
            scope = self.scope(project)
        mod = store_module()
        astore = artifact_store(self.root)
        try:
            m = astore.use(scope, name, ref, self._core.id)
        except mod.ArtifactNotFoundError as exc:
            raise LoggingValueError(f"artifact_or_name: {exc}") from None
        if type is not None and m.get("type") != type:
            raise LoggingValueError(f"type: artifact {name}:{m['version']} has type {m.get('type')!r}, not {type!r}")
        return Artifact._from_manifest(self.root, m)

    def log_model(self, path: Any, name: Optional[str] = None, aliases: Optional[list] = None) -> Optional[Artifact]:
        p = Path(os.fspath(path))
        if not p.exists():
            raise LoggingValueError(f"path: {str(p)!r} is no existing file or folder")
        art = Artifact(name or f"run-{self._core.id[:8]}-{p.name}".replace(" ", "_"), "model")
        if p.is_dir():
            art.add_dir(str(p))
        else:
            art.add_file(str(p))
        return self.log_artifact(art, aliases=aliases)

    def use_model(self, name: str) -> str:
        """Download a model artifact (``name``, ``name:alias`` or ``name:v3``) and return its local path
        (the file of a one-file model, else the folder)."""
        art = self.use_artifact(name)
        if art.type != "model":
            raise LoggingValueError(f"name: artifact {art.name} has type {art.type!r}, not 'model'")
        local = artifact_store(self.root).local_copy(art._manifest)
        files = art._manifest.get("files") or []
        return str(local / files[0]["path"]) if len(files) == 1 else str(local)
