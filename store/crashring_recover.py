"""Recovering a killed writer's crash ring without resuming its run: ``ringlog fsck --repair`` and
:func:`recover` (FORMAT.md, "Crash ring"). Each folder (task or writer namespace) whose ring was left
by a writer that is gone is reopened for writing - fsck's repairs, then the replay of
:mod:`.crashring_replay`, then its sync - and closed again with status ``crashed``. Kept apart from
the replay itself because it reopens tasks (store/reopen.py imports the replay, and fsck the check).
"""

from __future__ import annotations

from pathlib import Path

from . import crashring
from .multiwriter import _NsStore
from .namespaces import NS_DIR, namespace_dirs
from .reopen import reopen
from .taskmeta import read_meta
from .writer_lock import writer_status


def recover_task(store, folder: Path) -> list[str]:
    """Replay the ring of a task (or writer namespace) folder whose writer is gone: reopen it
    (fsck's repairs, then the replay), record ``crashed`` again and close it. Returns report lines
    (empty when there was nothing to do)."""
    folder = Path(folder)
    if not (folder / crashring.RING_FILE).exists():
        return []
    meta, _ = read_meta(folder)
    status, heartbeat = writer_status(folder, meta)
    if status not in ("crashed", "running", None):
        crashring.retire(folder)  # closed after its last sync: the store has every point
        return []
    ns = folder.parent.name == NS_DIR
    writer = reopen(_NsStore(store) if ns else store, folder)
    lines = list((writer.meta.get("resumes") or [{}])[-1].get("recovered") or [])
    m = writer._meta
    resumes = list(m.get("resumes") or [])
    if resumes:
        resumes[-1] = dict(resumes[-1], by="recover")
    writer.set_meta(crashed_at=heartbeat if heartbeat is not None else m.get("crashed_at"), resumes=resumes)
    writer.close(status="crashed")
    return lines


def recover(root) -> list[str]:
    """``ringlog.recover(root)`` / ``ringlog recover ROOT``: replay every crash ring left in the store
    at ``root`` by a writer that is gone (task folders and writer namespaces); a live writer's ring
    is left alone. Returns one line per replayed series."""
    from .errors import TaskLockedError
    from .store import Store

    store = Store(root)
    out = []
    for d in store.task_dirs():
        for folder in [d] + [ns for _, ns in namespace_dirs(d)]:
            if not (folder / crashring.RING_FILE).exists():
                continue
            try:
                out += [f"{d.name}: {line}" for line in recover_task(store, folder)]
            except TaskLockedError:
                continue  # a live writer: its ring is its own
    return out
