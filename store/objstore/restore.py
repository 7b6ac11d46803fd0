"""Fetching a task pruned from the spool (prune.py) back from the bucket, for a resume on this
machine: ``Store(spool).task(id)`` calls :func:`restore` when the id names no folder of the spool.
The task's objects are written under a temp folder, raw shards assembled from their segments, then
renamed in; the spool's upload state is kept, so the next upload pass PUTs only what changed (raw
shards none: their segments' CRC matches)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Optional

from ..layout import TASK_META
from . import segments, spool


def restore(root: Path, task_id: str) -> Optional[Path]:
    """Fetch pruned task ``task_id`` of spool ``root`` back from its bucket (for a resume); returns
    its folder, or None when the task was not pruned from this spool or the bucket lacks it."""
    root = Path(root)
    st = spool.load_state(root, task_id)
    url = spool.remote_of(root)
    if not st.get("pruned") or not isinstance(st.get("path"), str) or url is None or not spool.is_spool(root):
        return None
    from .client import Client

    client = Client(url)
    rel = st["path"]
    entries = list(client.list(rel + "/"))
    if not any(e.key == f"{rel}/{TASK_META}" for e in entries):
        return None
    tmp = root / f".restoring-{task_id}-{uuid.uuid4().hex[:8]}"
    parts: dict = {}
    keys = {e.key for e in entries}
    for e in entries:
        got = segments.parse(e.key)
        if got is not None:
            if got[0] not in keys:  # else the shard's whole object is there too
                parts.setdefault(got[0], []).append(got[1])
            continue
        target = tmp / e.key[len(rel) + 1:]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(client.get(e.key))
    for shard, offs in parts.items():
        target = tmp / shard[len(rel) + 1:]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(segments.assemble(client.get, shard, offs))
    dst = root / rel
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, dst)
    st["pruned"] = False
    spool.save_state(root, task_id, st)
    return dst

