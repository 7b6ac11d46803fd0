"""Pruning the spool: a finished task whose every file is in the bucket leaves the local spool.

After a run's final upload (:meth:`.uploader.Uploader.finish`) and after ``ringlog sync``, the
spool's settled tasks are removed except the newest ``$RINGLOG_SPOOL_KEEP`` (default 10; 0 keeps
none). Settled (:func:`.upload.settled`): the task is no longer running, every file was uploaded as
it is now, and so were its writer namespaces; a task with anything not yet uploaded always stays, and
one whose writer lock is held (a live writer, a resume starting) is skipped, and so is one closed by
another process less than :data:`GRACE` (60 s) ago (its uploader may be in its final pass). The folder is renamed
away under the task's lock, then deleted; its ``.spool/<task id>.json`` state stays, marked
``pruned``, so resuming the task on this machine fetches it back from the bucket first
(:func:`.restore.restore`, called by ``Store(spool).task()``) and its next upload sends only what changed.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Optional

from ..catalog import Catalog
from ..errors import TaskLockedError
from ..layout import TASK_META
from ..namespaces import namespace_dirs
from ..writer_lock import TaskLock
from . import spool
from .upload import is_namespace, settled, units

KEEP_ENV = "RINGLOG_SPOOL_KEEP"
DEFAULT_KEEP = 10


def keep_from_env() -> int:
    try:
        return max(0, int(os.environ.get(KEEP_ENV, DEFAULT_KEEP)))
    except ValueError:
        return DEFAULT_KEEP


def _mtime(d: Path) -> float:
    try:
        return os.stat(d / TASK_META).st_mtime
    except OSError:
        return 0.0


#: a task another process closed is left this long (s): its uploader may still be in its last pass
GRACE = 60.0
#: task folders whose uploader in this process finished with nothing left: no grace needed
finished_here: set = set()


def prune(root: Path, keep: Optional[int] = None, grace: float = GRACE) -> list[str]:
    """Remove the settled tasks of spool ``root`` beyond the newest ``keep``; returns their ids.
    A task not finished by this process is left for ``grace`` s after its last metadata change."""
    root = Path(root)
    now = time.time()
    if not spool.is_spool(root):  # a user's local root synced up keeps its tasks
        return []
    keep = keep_from_env() if keep is None else max(0, int(keep))
    done = []
    for d in units(root):
        if is_namespace(d) or not settled(root, d):
            continue
        if all(settled(root, q) for _, q in namespace_dirs(d)):
            done.append(d)
    done.sort(key=_mtime, reverse=True)
    out = []
    for d in done[keep:]:
        if d not in finished_here and now - _mtime(d) < grace:
            continue
        lock = TaskLock(d, d.name)
        try:
            lock.acquire(wait=0.0, record=False)
        except (TaskLockedError, OSError):
            continue
        try:
            if not settled(root, d):  # reopened between the scan and the lock
                continue
            trash = d.with_name(f".pruning-{d.name}-{uuid.uuid4().hex[:8]}")
            os.replace(d, trash)
        finally:
            lock.release()
        shutil.rmtree(trash, ignore_errors=True)
        st = spool.load_state(root, d.name)
        st["pruned"] = True
        spool.save_state(root, d.name, st)
        out.append(d.name)
    if out:
        try:
            cat = Catalog(root)
            for tid in out:
                cat.delete(tid)
        except Exception:  # noqa: BLE001 - a stale row only points at a folder that is gone
            pass
    return out
