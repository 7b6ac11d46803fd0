"""Retention of the artifact store: ``ringlog gc ROOT`` (:meth:`ArtifactStore.gc`).

1. The manifests of a task scope (``t-<id>``) whose task folder is gone are removed, with the
   task's lineage index: deleting a task deletes its own ClearML-style artifacts. Project-scope
   versions (W&B artifacts, models) outlive the task that produced them.
2. Every blob no remaining manifest names is removed, unless it is younger than ``grace`` seconds:
   a commit stores its blobs before its manifest, so a young unreferenced blob may belong to a
   manifest still being written (``put_file`` refreshes the mtime of a blob it reuses).
3. Temp files of interrupted writes and local copies (``get_local_copy``) older than ``grace``
   are removed.

A manifest that cannot be parsed stops the run before anything is removed (it may name blobs).
Cost: one read of every manifest and one ``stat`` per blob.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path

from . import _fs
from .artifacts_manifest import problem
from .errors import StoreValueError, corrupt


def task_exists(root: Path, task_id: str) -> bool:
    """Whether ``<root>/<project folder>/<task_id>/`` exists (a task being created counts)."""
    if not root.is_dir():
        return False
    return any((d / task_id).is_dir() for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))


def collect(store, *, grace: float = 3600.0, dry_run: bool = False) -> dict:
    """Run the three steps of the module docstring on an ``ArtifactStore``. Returns counts:
    ``manifests`` of deleted tasks removed, ``blobs`` and ``bytes`` removed, ``kept`` blobs,
    ``young`` unreferenced blobs spared by the grace period, ``tmp`` temp files removed.
    ``dry_run`` counts without removing anything."""
    if isinstance(grace, bool) or not isinstance(grace, (int, float)) or not grace >= 0:
        raise StoreValueError(f"grace: must be a number of seconds >= 0, given {grace!r}")
    mdir = store.base / "m"
    gone = [s for s in store.scopes() if s.startswith("t-") and not task_exists(store.root, s[2:])]
    stats = {"manifests": 0, "blobs": 0, "bytes": 0, "kept": 0, "young": 0, "tmp": 0}
    for s in gone:
        stats["manifests"] += sum(1 for _ in (mdir / s).glob("*/v*.json"))
        if not dry_run:
            trash = mdir / f".gone-{s}-{uuid.uuid4().hex[:8]}"  # renamed away first: never half listed
            os.replace(mdir / s, trash)
            shutil.rmtree(trash, ignore_errors=True)
            shutil.rmtree(store.base / "tasks" / s[2:], ignore_errors=True)
    referenced: set = set()
    for scope in store.scopes():
        if scope in gone:
            continue
        for p in (mdir / scope).glob("*/v*.json"):
            if not p.stem[1:].isdigit():
                continue  # not a manifest name (readers ignore it too)
            try:
                m = _fs.read_json(p)
            except FileNotFoundError:
                continue
            except (OSError, ValueError) as exc:
                raise corrupt(p, "artifact manifest unreadable; gc stopped, nothing more was removed", exc) from exc
            why = problem(m, p.stem)
            if why is not None:
                raise corrupt(p, f"artifact manifest {why}; gc stopped, nothing more was removed")
            referenced.update(f["sha256"] for f in m["files"])
    cutoff = time.time() - grace
    for digest, size, mtime in list(store.blobs.digests()):
        if digest in referenced:
            stats["kept"] += 1
        elif mtime > cutoff:
            stats["young"] += 1
        else:
            stats["blobs"] += 1
            stats["bytes"] += size
            if not dry_run:
                store.blobs.delete(digest)
    if not dry_run:
        stats["tmp"] = store.blobs.clean_tmp(grace)
        cache = store.base / "cache"
        if cache.is_dir():  # local copies (get_local_copy) are disposable: rebuilt on the next call
            for d in cache.iterdir():
                try:
                    if d.stat().st_mtime < cutoff:
                        shutil.rmtree(d, ignore_errors=True)
                except FileNotFoundError:
                    continue
    return stats
