"""The read cache of an object-store root: a local folder laid out like a local store root.

Readers (``Store("s3://...")``, the viewer) read the mirror with the ordinary local readers. What
comes down when:

* the catalog: a LIST of ``.tasks/`` (in parallel ranges once the keys are known) and a GET of each
  task object whose ETag changed (8 at a time), upserted into the mirror's ``catalog.sqlite``; a cold
  cache starts from the newest catalog snapshot (:mod:`.catalog_snap`); a running task's
  ``writer.lock`` gets the writer record and the uploaded heartbeat as its mtime, so crashed runs read
  as crashed (store/writer_lock.py);
* a task's small files (``zarr.json``, ``series.json``, tails, media listings, media files), when a
  reader opens the task: one LIST of the task and a GET of each changed object;
* chunk objects (everything under a ``c/`` folder: raw shards, pyramid level chunks) only when a
  reader opens one (:data:`ringlog.store._fs.ON_MISSING`), so a decimated query fetches the few
  level chunks it reads, not the raw data. They are kept in a byte-bounded LRU (``max_bytes``);
  a cached copy whose object changed in the bucket (an open shard, a growing level chunk) is
  dropped at the next task LIST and fetched again when read. A decimated query over the mirror
  widens its range to whole level-1 buckets (store/query.py, ``COARSE_ROOTS``): it reads raw chunks
  only for a range of fewer than ``points / 4`` level-1 buckets, or one that reaches the last,
  partial level-1 bucket of a closed series (its last raw shard).

Every file is written to a temp name and renamed in. Thread-safe.
"""

from __future__ import annotations

import json
import os
import threading
import time
import weakref
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .. import _fs, query
from ..writer_lock import LOCK_FILE
from . import catalog_snap, segments
from .upload import TASKS

_SEGINFO: dict = {}  # cache folder -> {shard key: [(offset, size, etag)]}
STATE = ".mirror"  # <mirror>/.mirror/etags.json: key -> ETag of every file fetched


def _unhook(hook) -> None:
    try:
        _fs.ON_MISSING.remove(hook)
    except ValueError:
        pass


def lazy(key: str) -> bool:
    """Chunk objects (raw shards, level chunks) come down only when read."""
    return "/c/" in key


class Mirror:
    def __init__(self, client, root: Path, max_bytes: int = 1 << 30, ttl: float = 1.0):
        self.client, self.root, self.max_bytes, self.ttl = client, Path(root), int(max_bytes), float(ttl)
        self._lock = threading.RLock()
        self._etags: dict = {}
        self._lru: OrderedDict = OrderedDict()  # lazily fetched files -> size
        self._lru_bytes = 0
        self._synced: dict = {}  # task folder -> monotonic time of its last LIST
        self._segs: dict = {}  # shard key -> [(offset, size, etag)] of its segments, as last listed
        # the same for fetch_missing (also filled by its own LIST), shared by every Mirror of this
        # folder: each one's hook is asked, and the freshest listing must answer
        self._seginfo: dict = _SEGINFO.setdefault(str(self.root), {})
        self._tasks_at = -1e9
        self.gets = self.get_bytes = self.lists = 0
        try:
            self._etags = json.loads((self.root / STATE / "etags.json").read_text())
        except (OSError, ValueError):
            pass
        for k in list(self._etags):
            p = self.root / k
            if lazy(k) and p.exists():
                self._remember(p, p.stat().st_size)
        wm = weakref.WeakMethod(self.fetch_missing)  # the hook must not keep a dropped Store alive

        def hook(path) -> bool:
            m = wm()
            return m(path) if m is not None else False

        self._hook = hook
        _fs.ON_MISSING.append(hook)
        query.COARSE_ROOTS.add(os.path.join(str(self.root), ""))  # decimate: no raw chunk at a range's edges
        self._finalizer = weakref.finalize(self, _unhook, hook)

    def close(self) -> None:
        self._finalizer()

    # --- files ---------------------------------------------------------------------------------
    def _get(self, key: str) -> bytes:
        r = self.client.store.get(self.client._k(key))
        data = bytes(r.bytes())
        with self._lock:
            self.gets += 1
            self.get_bytes += len(data)
            self._etags[key] = str(r.meta.get("e_tag") or "").strip('"')
        return data

    def _write(self, key: str, data: bytes) -> Path:
        p = self.root / key
        _fs.makedirs(p.parent)
        _fs.write_atomic(p, data, durable=False)
        return p

    def _remember(self, p: Path, size: int) -> None:
        with self._lock:
            old = self._lru.pop(p, None)
            self._lru_bytes += size - (old or 0)
            self._lru[p] = size
            while self._lru_bytes > self.max_bytes and len(self._lru) > 1:
                q, n = self._lru.popitem(last=False)
                self._lru_bytes -= n
                try:
                    q.unlink()
                except OSError:
                    pass

    def _drop_cached(self, p: Path) -> None:
        with self._lock:
            n = self._lru.pop(p, None)
            if n is not None:
                self._lru_bytes -= n
            try:
                p.unlink()
            except OSError:
                pass

    def fetch_missing(self, path):
        """The :data:`_fs.ON_MISSING` hook: fetch a chunk object of this mirror (True), or for a shard
        sent as segments a :class:`SegmentFile` that GETs only the segments read; False when
        ``path`` is not one or the bucket has no such object."""
        try:
            key = Path(path).relative_to(self.root).as_posix()
        except ValueError:
            return False
        if not lazy(key):
            return False
        with self._lock:
            info = self._seginfo.get(key)
        if info is None:
            try:
                data = self._get(key)
                self._remember(self._write(key, data), len(data))
                return True
            except FileNotFoundError:
                pass
            # an open or sealed shard sent as segments (segments.py): listed now, not from the last
            # task LIST, which another Store over the same cache folder may not have seen
            info = sorted((got[1], e.size, e.etag) for e, got in
                          ((e, segments.parse(e.key)) for e in self.client.list(key + segments.SEG)) if got)
            with self._lock:
                self.lists += 1
                self._seginfo[key] = info
        end = 0
        for off, size, _ in info:  # contiguous from 0, else not readable now (changed meanwhile)
            if off != end:
                return False
            end += size
        return SegmentFile(self, key, info) if info else False

    def segment(self, key: str, off: int, etag: str) -> bytes:
        """The bytes of one segment of shard ``key``: from the cache when its ETag matches, else GET."""
        skey = segments.seg_key(key, off)
        p = self.root / skey
        with self._lock:
            fresh = self._etags.get(skey) == etag
        if fresh:
            try:
                data = p.read_bytes()
                with self._lock:
                    if p in self._lru:
                        self._lru.move_to_end(p)
                return data
            except FileNotFoundError:
                pass
        data = self._get(skey)
        self._remember(self._write(skey, data), len(data))
        return data

    def save(self) -> None:
        with self._lock:  # request threads sync tasks at once: one writer of the state file at a time
            _fs.makedirs(self.root / STATE)
            _fs.write_json_atomic(self.root / STATE / "etags.json", dict(self._etags), durable=False)

    # --- a task --------------------------------------------------------------------------------
    def sync_task(self, rel: str, force: bool = False, again: bool = True) -> None:
        """Bring task folder ``rel`` (``<project dir>/<task id>``) up to date (see the module docstring)."""
        now = time.monotonic()
        if not force and now - self._synced.get(rel, -1e9) < self.ttl:
            return
        self._synced[rel] = now
        entries = {e.key: e for e in self.client.list(rel + "/")}
        listed = {k: e.etag for k, e in entries.items()}
        self.lists += 1
        moved = False
        found: dict = {}
        for key in [k for k in listed if segments.SEG in k]:
            got = segments.parse(key)
            if got is not None:
                found.setdefault(got[0], []).append((got[1], entries[key].size, listed.pop(key)))
        for shard, parts in found.items():
            parts.sort()
            if shard not in listed:
                if self._segs.get(shard) != parts:
                    self._drop_cached(self.root / shard)  # an older copy assembled whole: read by segments now
                with self._lock:
                    self._seginfo[shard] = parts
            for off, _, etag in parts:  # a segment rewritten (a repaired shard sent again): fetched again
                skey = segments.seg_key(shard, off)
                if skey in self._etags and self._etags[skey] != etag:
                    self._drop_cached(self.root / skey)
            self._segs[shard] = parts
        for key, etag in listed.items():
            p = self.root / key
            if self._etags.get(key) == etag and (lazy(key) or p.exists()):
                continue
            if lazy(key):  # changed in the bucket (an open shard grew): fetched again when read
                self._drop_cached(p)
                with self._lock:
                    self._etags[key] = etag
                continue
            self._write(key, self._get(key))
            if again and key.endswith("/series.json") and self._etags.get(key) != etag:
                moved = True  # uploaded after the LIST: its open shards may be newer than listed
        base = self.root / rel
        for dirpath, _dirs, files in os.walk(base):  # gone from the bucket (a float32 array migrated)
            for f in files:
                k = Path(dirpath, f).relative_to(self.root).as_posix()
                if f != LOCK_FILE and not f.startswith(".") and k not in listed and not lazy(k):
                    try:
                        os.unlink(Path(dirpath, f))
                    except OSError:
                        pass
        self.save()
        if moved:
            self.sync_task(rel, force=True, again=False)

    # --- the catalog ---------------------------------------------------------------------------
    def forget_tasks(self) -> None:
        """Make the next refresh fetch every task object again (a rebuilt catalog)."""
        with self._lock:
            for k in [k for k in self._etags if k.startswith(TASKS + "/")]:
                del self._etags[k]

    def refresh_tasks(self, force: bool = False, threads: int = 8) -> list:
        """LIST ``.tasks/``, fetch the changed task objects; returns ``[(meta, folder), ...]`` of
        those changed and the set of every task id listed (as the second item).

        A cold cache first takes the newest catalog snapshot (:mod:`.catalog_snap`): the objects
        whose ETag it matches are not fetched. The LIST is split into ranges listed in parallel at
        the keys last seen. A refresh that fetched many objects leaves a snapshot for the next."""
        now = time.monotonic()
        if not force and now - self._tasks_at < self.ttl:
            return [], None
        self._tasks_at = now
        with self._lock:
            known = sorted(k for k in self._etags if k.startswith(TASKS + "/"))
        snap = {}
        if len(known) < catalog_snap.MIN_TASKS:  # a cold cache: a snapshot may spare the GETs
            snap = catalog_snap.latest(self.client)
            self.lists += 1
            self.gets += bool(snap)
            if len(snap) > len(known):
                known = sorted(snap)
        splits = catalog_snap.bounds(known)
        entries = [e for e in catalog_snap.list_ranges(self.client, TASKS + "/", splits, threads)
                   if e.key.endswith(".json")]
        self.lists += len(splits) + 1
        ids = {e.key[len(TASKS) + 1:-5] for e in entries}
        todo = [e for e in entries if self._etags.get(e.key) != e.etag]
        objs: dict = {}

        def one(e):
            try:
                hit = snap.get(e.key)
                if hit is not None and hit[0] == e.etag:
                    obj = hit[1]
                    with self._lock:
                        self._etags[e.key] = e.etag
                else:
                    obj = json.loads(self._get(e.key))
                meta, rel = obj["meta"], obj["path"]
            except (FileNotFoundError, ValueError, KeyError, TypeError):
                return None
            objs[e.key] = (e.etag, obj)
            folder = self.root / rel  # its files come down when a reader opens it (sync_task)
            if meta.get("status") == "running":  # its liveness: the writer record, the heartbeat as mtime
                lock = self._write(f"{rel}/{LOCK_FILE}", json.dumps(meta.get("writer") or {}).encode())
                beat = obj.get("heartbeat")
                if isinstance(beat, (int, float)):
                    os.utime(lock, (beat, beat))
            return meta, folder

        gets = self.gets
        hits = [e for e in todo if snap.get(e.key, (None,))[0] == e.etag]  # no request: inline
        miss = [e for e in todo if snap.get(e.key, (None,))[0] != e.etag]
        rows = [r for r in map(one, hits) if r is not None]
        if len(miss) > 4:
            with ThreadPoolExecutor(threads) as pool:
                rows += [r for r in pool.map(one, miss) if r is not None]
        else:
            rows += [r for r in map(one, miss) if r is not None]
        if self.gets - gets >= catalog_snap.MIN_TASKS and len(objs) == len(entries):
            catalog_snap.write(self.client, objs)  # every task object is in hand: the next cold reader's
        self.save()
        return rows, ids


class SegmentFile:
    """A shard sent as segments, opened for reading (seek/tell/read): each read GETs only the
    segments it overlaps (kept in the mirror's LRU), so one inner chunk costs the index and that
    chunk's segment, not the whole shard."""

    def __init__(self, mirror: Mirror, key: str, info):
        self.mirror, self.key, self.info = mirror, key, info
        self.size = info[-1][0] + info[-1][1]
        self.pos = 0

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = offset if whence == 0 else self.pos + offset if whence == 1 else self.size + offset
        return self.pos

    def tell(self) -> int:
        return self.pos

    def read(self, n: int = -1) -> bytes:
        end = self.size if n is None or n < 0 else min(self.size, self.pos + n)
        out = bytearray()
        for off, size, etag in self.info:
            if off + size <= self.pos or off >= end:
                continue
            data = self.mirror.segment(self.key, off, etag)
            out += data[max(0, self.pos - off):end - off]
        self.pos = max(self.pos, end)
        return bytes(out)

    def close(self) -> None:
        pass

    def __enter__(self) -> "SegmentFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
