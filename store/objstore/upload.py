"""Copying one task folder of a spool to the bucket: one pass, resumable and idempotent.

A pass lists the task's files, picks those whose (size, mtime) differ from what the spool's state
records as uploaded, reads them, and PUTs each as a whole object at the same relative key. Order
makes a bucket reader always see a consistent task: ``series.json`` is read *before* the data files
(so the uploaded data is at least as new as the index that names it) and PUT *after* them, then the
task's ``zarr.json``, then its catalog object ``.tasks/<task id>.json`` (metadata, folder,
heartbeat). With the writer in this process, the reads happen under its lock (an exact snapshot);
otherwise (``ringlog sync`` of a folder a live writer may still change) ``series.json`` is read
again after the data and the pass retried while it moved. Files that vanished locally (a float32
value array after its float64 migration) are deleted from the bucket after the new index is up.

Costs: one ``stat`` per file per pass; one PUT per changed file. Sealed shards and full level
chunks are PUT once; the growing tail, the open shard and the growing level chunk again when they
changed (at most once per pass).
"""

from __future__ import annotations

import json
import os
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Optional

from ..layout import SERIES_INDEX, TASK_META
from ..namespaces import NS_DIR, namespace_dirs
from ..writer_lock import LOCK_FILE, TaskLock
from ..errors import TaskLockedError
from . import segments, spool

TASKS = ".tasks"  # <prefix>/.tasks/<task id>.json: one catalog object per task
_LAST = (SERIES_INDEX, TASK_META)


def is_namespace(unit: Path) -> bool:
    """Whether ``unit`` is a writer namespace ``<task>/w/<label>`` (else a task folder)."""
    return Path(unit).parent.name == NS_DIR


def unit_root(unit: Path) -> Path:
    """The store root holding a task folder or a writer namespace."""
    unit = Path(unit)
    return unit.parents[3] if is_namespace(unit) else unit.parents[1]


def unit_key(root: Path, unit: Path) -> str:
    """The unit's name in the spool's state: the task id, or ``<task id>~<label>``."""
    parts = Path(unit).relative_to(root).parts
    return parts[1] if len(parts) == 2 else f"{parts[1]}~{parts[-1]}"


def units(root: Path) -> list[Path]:
    """Every task folder of ``root`` and every writer namespace inside them."""
    out = []
    try:
        projects = sorted(d for d in Path(root).iterdir() if d.is_dir() and not d.name.startswith("."))
    except OSError:
        return out
    for pd in projects:
        try:
            tasks = sorted(t for t in pd.iterdir() if t.is_dir() and not t.name.startswith("."))
        except OSError:
            continue
        for t in tasks:
            if any((t / n).exists() for n in (TASK_META, SERIES_INDEX, LOCK_FILE)):
                out.append(t)
                out.extend(q for _, q in namespace_dirs(t))
    return out


def task_files(task_dir: Path) -> dict:
    """``{relative path: (size, mtime_ns)}`` of every file of the unit (no lock, no temp files; a
    task folder's writer namespaces are units of their own, uploaded by their own writers)."""
    out = {}
    top = True
    for dirpath, dirs, files in os.walk(task_dir):
        dirs[:] = [d for d in dirs if not d.startswith(".") and not (top and d == NS_DIR)]
        top = False
        for f in files:
            if f.startswith(".") or f == LOCK_FILE:
                continue
            p = os.path.join(dirpath, f)
            try:
                st = os.stat(p)
            except FileNotFoundError:
                continue
            out[os.path.relpath(p, task_dir).replace(os.sep, "/")] = (st.st_size, st.st_mtime_ns)
    return out


def _read(task_dir: Path, rels) -> dict:
    out = {}
    for r in rels:
        try:
            out[r] = (task_dir / r).read_bytes()
        except FileNotFoundError:
            pass
    return out


def snapshot(task_dir: Path, done: dict, lock=None, tries: int = 3):
    """(files now, {rel: bytes} of those changed since ``done``), consistent as the module says."""
    for _ in range(tries):
        with (lock if lock is not None else nullcontext()):
            index = _read(task_dir, [SERIES_INDEX])
            files = task_files(task_dir)
            changed = [r for r, sig in files.items() if r != SERIES_INDEX and done.get(r) != list(sig)]
            data = _read(task_dir, changed)
            if lock is not None:
                break
            again = _read(task_dir, [SERIES_INDEX])
        if again == index:
            break
    if SERIES_INDEX in index and done.get(SERIES_INDEX) != list(files.get(SERIES_INDEX, ())):
        data[SERIES_INDEX] = index[SERIES_INDEX]
    return files, data


def meta_object(task_dir: Path, rel_task: str) -> Optional[bytes]:
    """The task's catalog object: its metadata, folder (relative to the root) and heartbeat."""
    try:
        meta = json.loads((task_dir / TASK_META).read_bytes())["attributes"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        beat = os.stat(task_dir / LOCK_FILE).st_mtime
    except OSError:
        beat = meta.get("updated")
    return json.dumps({"format": 1, "path": rel_task, "heartbeat": beat, "meta": meta},
                      separators=(",", ":"), allow_nan=True, default=str).encode()


def upload_pass(client, root: Path, task_dir: Path, lock=None, beat_every: float = 10.0) -> dict:
    """Upload what changed in ``task_dir`` (a task folder or writer namespace of spool ``root``).
    Returns counters ``{"objects", "bytes", "deleted"}``; raises the client's error on the first
    failed request (what was PUT before it is recorded, so the next pass goes on from there)."""
    root, task_dir = Path(root), Path(task_dir)
    task_id = unit_key(root, task_dir)
    rel_task = task_dir.relative_to(root).as_posix()
    state = spool.load_state(root, task_id)
    done = state["files"]
    files, data = snapshot(task_dir, done, lock)
    order = sorted((r for r in data if r not in _LAST), key=lambda r: (r.count("/"), r)) + \
        [r for r in _LAST if r in data]
    stats = {"objects": 0, "bytes": 0, "deleted": 0}
    segs = state.setdefault("segs", {})  # raw shards sent as segments (segments.py)
    whole = state.setdefault("whole", [])  # raw shards whose whole object is in the bucket
    try:
        for r in order:
            key = f"{rel_task}/{r}"
            if segments.is_raw(r):
                if r in whole:  # reopened and grown after its compaction: segments from 0 again
                    client.delete(key)
                    whole.remove(r)
                segs[r], n = segments.put(client, key, data[r], segs.get(r))
                stats["objects"] += n > 0
                stats["bytes"] += n
            else:
                client.put(key, data[r])
                stats["objects"] += 1
                stats["bytes"] += len(data[r])
            done[r] = list(files.get(r, (len(data[r]), 0)))
        gone = [r for r in done if r not in files]
        if gone and not (task_dir / TASK_META).exists():  # the folder was pruned or moved away meanwhile
            gone = []  # (prune.py): its objects in the bucket are all that is left of it
        for r in gone:
            if r in segs:
                segments.drop(client, f"{rel_task}/{r}", segs.pop(r))
            else:
                client.delete(f"{rel_task}/{r}")
                if r in whole:
                    whole.remove(r)
            del done[r]
            stats["deleted"] += 1
        now = time.time()
        if not is_namespace(task_dir) and (TASK_META in data or now - state.get("beat", 0) >= beat_every):
            obj = meta_object(task_dir, rel_task)
            if obj is not None:
                client.put(f"{TASKS}/{task_id}.json", obj)
                state["beat"] = now
                stats["objects"] += 1
                stats["bytes"] += len(obj)
        state["closed"] = closed(task_dir) and all(done.get(r) == list(sig) for r, sig in files.items())
    finally:
        state.update(remote=client.url, path=rel_task)
        spool.save_state(root, task_id, state)
    return stats


def closed(task_dir: Path) -> bool:
    """Whether the task's metadata says it is no longer running (its files will not change unless
    it is resumed, which rewrites zarr.json)."""
    try:
        return json.loads((task_dir / TASK_META).read_bytes())["attributes"]["status"] != "running"
    except (OSError, ValueError, KeyError, TypeError):
        return False


def settled(root: Path, task_dir: Path) -> bool:
    """Cheap check (one stat) that a closed task was wholly uploaded and not reopened since."""
    st = spool.load_state(root, unit_key(root, task_dir))
    try:
        sig = os.stat(Path(task_dir) / TASK_META)
    except OSError:
        return False
    return bool(st.get("closed")) and st["files"].get(TASK_META) == [sig.st_size, sig.st_mtime_ns]


def pending(root: Path, task_dir: Path) -> list[str]:
    """Files of the task not uploaded as they are now (relative paths)."""
    done = spool.load_state(root, unit_key(root, task_dir))["files"]
    return sorted(r for r, sig in task_files(Path(task_dir)).items() if done.get(r) != list(sig))


def upload_leftovers(client, root: Path, skip=(), stop=None) -> int:
    """Upload the spool's units (tasks, namespaces) left with pending files by writers that died
    (their lock is free); ``skip``: units a live uploader of this process sends. Returns how many."""
    n = 0
    for d in units(Path(root)):
        if stop is not None and stop.is_set():
            break
        if d in skip or settled(root, d) or not pending(root, d):
            continue
        lock = TaskLock(d, Path(d).name)
        try:
            lock.acquire(wait=0.0, record=False)
        except TaskLockedError:
            continue  # a live writer: its own uploader sends it
        try:
            upload_pass(client, root, d)
            n += 1
        finally:
            lock.release()
    return n
