"""``ringlog sync SRC DST``: a local store root to a bucket, or a bucket to a local root.

Up (local -> ``s3://``): every task folder of SRC (and each writer namespace in it) gets upload passes (:mod:`.upload`) until nothing
is pending; a task whose writer is dead (its lock is free) is uploaded holding its lock, one a live
writer holds is uploaded from consistent snapshots (the live uploader does the same). What was
uploaded is recorded in SRC's ``.spool/`` state, so an interrupted sync resumes and a repeated one
PUTs nothing. The spool's artifacts and models (``.artifacts/``) go up too (objstore/artifacts.py). Down (``s3://`` -> local): every object whose ETag differs from the one recorded in
DST's ``.spool/down.json`` is fetched (temp file + rename), then DST's catalog is rebuilt.
"""

from __future__ import annotations

import json
from pathlib import Path

from .. import _fs
from ..errors import TaskLockedError
from ..writer_lock import TaskLock
from . import segments, spool
from .artifacts import upload_tree
from .client import Client, is_url
from .prune import prune
from .upload import TASKS, pending, units, upload_pass


def upload_task(client, root: Path, task_dir: Path, passes: int = 3) -> dict:
    """Upload one task folder; holds its writer lock when free. Returns the pass counters summed."""
    total = {"objects": 0, "bytes": 0, "deleted": 0}
    lock = TaskLock(task_dir, task_dir.name)
    held = False
    try:
        lock.acquire(wait=0.0, record=False)
        held = True
    except TaskLockedError:
        pass
    try:
        for _ in range(passes):
            st = upload_pass(client, root, task_dir)
            for k in total:
                total[k] += st[k]
            if not pending(root, task_dir):
                break
    finally:
        if held:
            lock.release()
    return total


def sync_up(src: Path, url: str) -> dict:
    client = Client(url)
    src = Path(src)
    if spool.remote_of(src) is None:
        spool.mark(src, url)
    out = {"tasks": 0, "objects": 0, "bytes": 0, "deleted": 0}
    for d in units(src):
        st = upload_task(client, src, d)
        out["tasks"] += d.parent.name != "w"
        for k in ("objects", "bytes", "deleted"):
            out[k] += st[k]
    st = upload_tree(client, src)  # artifacts and models (reports are written to the bucket directly)
    out["objects"] += st["objects"]
    out["bytes"] += st["bytes"]
    if spool.is_spool(src) and spool.remote_of(src) == client.url:
        out["pruned"] = len(prune(src))  # a spool: what is wholly in the bucket leaves it (prune.py)
    return out


def sync_down(url: str, dst: Path) -> dict:
    client = Client(url)
    dst = Path(dst)
    state_file = dst / spool.STATE_DIR / "down.json"
    try:
        seen = json.loads(state_file.read_text())
    except (OSError, ValueError):
        seen = {}
    out = {"tasks": 0, "objects": 0, "bytes": 0, "deleted": 0}
    entries = list(client.list())
    keys = {e.key for e in entries}
    parts: dict = {}  # open shards uploaded as segments (segments.py): assembled below
    for e in entries:
        got = segments.parse(e.key)
        if got is not None and got[0] not in keys:
            parts.setdefault(got[0], []).append((got[1], e.etag))
    try:
        for shard, segs in parts.items():
            tag = "segs:" + ",".join(f"{o}:{t}" for o, t in sorted(segs))
            target = dst / shard
            if seen.get(shard) == tag and target.exists():
                continue
            data = segments.assemble(client.get, shard, [o for o, _ in segs])
            _fs.makedirs(target.parent)
            _fs.write_atomic(target, data, durable=False)
            seen[shard] = tag
            out["objects"] += 1
            out["bytes"] += len(data)
        for e in entries:
            if e.key.startswith((TASKS + "/", spool.STATE_DIR + "/")) or e.key == spool.REMOTE_FILE \
                    or segments.SEG in e.key:
                continue
            target = dst / e.key
            if seen.get(e.key) == e.etag and target.exists():
                continue
            data = client.get(e.key)
            _fs.makedirs(target.parent)
            _fs.write_atomic(target, data, durable=False)
            seen[e.key] = e.etag
            out["objects"] += 1
            out["bytes"] += len(data)
    finally:
        _fs.makedirs(state_file.parent)
        _fs.write_json_atomic(state_file, seen, durable=False)
    from ..store import Store

    out["tasks"] = Store(dst).rebuild_catalog()
    return out


def sync(src: str, dst: str) -> dict:
    """Copy SRC to DST (one of them a bucket URL); see the module docstring."""
    if is_url(dst) and not is_url(src):
        return sync_up(Path(src).expanduser(), dst)
    if is_url(src) and not is_url(dst):
        return sync_down(src, Path(dst).expanduser())
    raise ValueError(f"SRC, DST: one must be a local folder and the other an s3:// URL, given {src!r} {dst!r}")
