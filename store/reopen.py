"""Reopening a stored task for writing (resume): FORMAT.md, "Reopening a task".

``open_task(store, task_id)`` (or :func:`reopen` on a task folder) takes the task's writer lock (a live writer: :class:`TaskLockedError`, never a second
writer), recovers what a crashed writer left (``ringlog fsck --repair``'s checks and repairs, run
under our lock: torn tails cut at their last whole record, an open shard's bytes past what
``series.json`` vouches for cut, lost points recounted), then rebuilds each series' writer state
from the disk, in the same sid:

* the whole raw chunks already in the shards stay where they are and are not rewritten: their
  points are read once and *replayed* through the writer's append (pyramid records, running
  figures, sortedness; full level chunks are written again with the same records), with the raw
  chunk write skipped;
* the open shard is reopened at the end of its vouched inner chunks (sizes from ``series.json``'s
  ``open``, or from the index of a shard a clean close completed);
* the points after the last whole chunk (a crashed run's tail, or the zero-padded last chunk of a
  closed one) become pending points again, appended as usual.

Then one sync in a crash-safe order: level chunks and array metadata, then the tail files (kept
where they already hold exactly a series' pending points, else rewritten whole, temp + rename: each
agrees with the old ``series.json`` as well as the new), and only then the new ``series.json`` (no ``count``: the task is running again). A crash at any point
of a reopen leaves a task that reads the same points as before it. Cost: O(points) to read and
replay (measured in benchmarks/RESULTS.md); nothing already in a chunk is re-encoded.
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

import numpy as np

from . import codecs, shards, tail
from .crashring import retire
from .crashring_replay import replay_into
from .errors import CorruptStoreError, StoreValueError
from .layout import CHUNK, SHARD, value_dir
from .reader import TaskReader
from .series_writer import SeriesWriter
from .taskmeta import read_meta
from .writer import SHARED_MAX, SHARED_TAIL, TaskWriter, write_task_meta
from .writer_lock import writer_status

REPLAY_CHUNKS = 16  # whole chunks read and replayed at a time (1M points, ~24 MB)


class _Reopened(SeriesWriter):
    """A series writer whose first appends replay chunks already on disk (no raw write)."""

    replaying = False

    def _write_raw_chunks(self, c0, step, value, tms, k):
        if self.replaying:
            return k, None
        return super()._write_raw_chunks(c0, step, value, tms, k)


def open_task(store, task_id: str) -> TaskWriter:
    """Reopen stored task ``task_id`` of ``store`` for writing (resume): its series continue where
    they stop, status ``running`` again, a record added to the metadata's ``resumes``.
    :class:`TaskNotFoundError` when there is none, :class:`TaskLockedError` while a writer holds it;
    a crashed writer's leftovers are repaired first. Cost: O(points) (read and replayed)."""
    return reopen(store, store.task(task_id).path)


def reopen(store, path: Path) -> TaskWriter:
    """Open the stored task in folder ``path`` for writing again; returns its writer (status
    ``running``, a record appended to the metadata's ``resumes``). See the module docstring."""
    path = Path(path)
    meta0, problems = read_meta(path)
    prior, heartbeat = writer_status(path, meta0)  # before we take the lock (it records us)
    writer = TaskWriter(store, path, dict(meta0), durable=store.durable, existing=True)
    try:
        recovered = []
        if prior in ("crashed", "running", "unknown") or problems:
            recovered = _recover(store, path)
        meta, _ = read_meta(path)
        reader = TaskReader(path, store.cache, own_only=True)
        entries = sorted(reader._entries.values(), key=lambda e: e["sid"])
        if [e["sid"] for e in entries] != list(range(len(entries))):
            raise CorruptStoreError(f"{path / 'series.json'}: series ids are not 0..{len(entries) - 1} (an entry is "
                                    "damaged); run `ringlog fsck` before resuming this task")
        for e in entries:
            s = _load(writer, reader, e)
            writer._series.append(s)
            writer._ids[(s.title, s.series)] = s.sid
        recovered += replay_into(writer, path)  # a killed writer's crash ring: the points the store lacks
        _first_sync(writer)
        now = time.time()
        record = {"time": now, "from_status": prior or meta.get("status")}
        if prior == "crashed" and heartbeat is not None:
            record["crashed_at"] = heartbeat
        if recovered:
            record["recovered"] = recovered[:20]
        m = dict(meta, status="running", updated=now, writer=writer._meta["writer"])
        m["resumes"] = list(m.get("resumes") or []) + [record]
        write_task_meta(path, m, store.durable)
        retire(path)  # its points are durable now (a crash before this replays it again: nothing twice)
        writer._meta = m
        writer._origin = float(m["time_origin"])
        store._catalog_upsert(path, m)
    except BaseException:
        writer._lock_file.release()
        for pool in (writer._pool, writer._fsync_pool):
            if pool is not None:
                pool.shutdown(wait=False)
        raise
    return writer


def _recover(store, path: Path) -> list[str]:
    """``ringlog fsck --repair`` on this one task, under the lock we hold; returns what it repaired."""
    from .fsck import FsckReport, _check_task_locked  # deferred: only a crashed writer's task needs it

    report = FsckReport(str(store.root), repaired=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _check_task_locked(store, path, report, True)
    return [f"{Path(f.file).name}: {f.repaired}" for f in report.findings if f.repaired]


def _load(writer: TaskWriter, reader: TaskReader, e: dict) -> SeriesWriter:
    """The writer state of stored series ``e`` (see the module docstring)."""
    title, series = e["title"], e["series"]
    sr = reader._tolerant(title, series, lambda sr: sr)
    n = sr.n
    sealed = e.get("count") is not None
    on_disk = 0 if sealed and e.get("tail") else (int(e["count"]) // CHUNK if sealed else int(e.get("chunks", 0)))
    k = min(n // CHUNK, on_disk)  # whole chunks that stay in the shards
    if k and not e.get("shard"):
        raise StoreValueError(f"task_id: task {writer.id!r} was written by an older ringlog (schema 1, a file per "
                              "chunk) and cannot be resumed; start a new task")
    w = _Reopened(writer.path, int(e["sid"]), title, series, float64=e.get("dtype") == "f8", pool=writer._pool,
                  fsync_pool=writer._fsync_pool)
    w.shard = int(e.get("shard") or SHARD)
    w.replaying = True
    for c0 in range(0, k, REPLAY_CHUNKS):
        lo, hi = c0 * CHUNK, min(k, c0 + REPLAY_CHUNKS) * CHUNK
        w.append(sr.raw("step", lo, hi), sr.raw("value", lo, hi), sr.raw("time", lo, hi))
    w.replaying = False
    _open_shards(w, e, k)
    if n > k * CHUNK:
        lo = k * CHUNK
        w.append(sr.raw("step", lo, n), sr.raw("value", lo, n), sr.raw("time", lo, n))
    pending = n - k * CHUNK
    held = _held_by(w, reader, e, k, pending)
    if held is not None:  # a tail file already holds exactly the pending points: nothing to write
        w.shared = held == "shared"
        w.tail_base, w.tail_count = (0 if w.shared else k * CHUNK), pending
        w.tail_bytes = 0 if w.shared else (w.dir / "tail.bin").stat().st_size
        w.tail_rewrite = False
        return w
    w.shared = k == 0 and pending <= SHARED_MAX
    w.tail_base, w.tail_count, w.tail_bytes = (0 if w.shared else k * CHUNK), 0, 0
    w.tail_rewrite = not w.shared and pending > 0  # the first write rewrites tail.bin whole (temp + rename)
    return w


def _held_by(w: SeriesWriter, reader: TaskReader, e: dict, k: int, pending: int) -> str | None:
    """"own" / "shared" when that tail file holds exactly the ``pending`` points after chunk ``k``
    (whole records, no cut), else None (the first sync then writes them). A closed series with a
    whole chunk has its pending points in its last chunk, not in a tail."""
    if not pending or (e.get("count") is not None and not e.get("tail")):
        return None
    t, cuts = tail.read_report(w.dir / "tail.bin", k * CHUNK)
    if t is not None and not cuts and len(t[0]) == pending and (w.dir / "tail.bin").exists():
        return "own"
    if k == 0 and reader._shared_name == SHARED_TAIL:
        sh = reader._shared()
        t = tail.assemble(sh.records(w.sid), 0)
        if t is not None and not sh.cuts and len(t[0]) == pending and pending <= SHARED_MAX:
            return "shared"
    return None


def _open_shards(w: SeriesWriter, e: dict, k: int) -> None:
    """Shard writers positioned after whole chunk ``k - 1``: the open shard's inner chunk sizes
    from ``series.json`` (``open``) or, for a shard a clean close completed, from its index."""
    if k == 0:
        return
    j, i = divmod(k, w.shard)
    for folder in (w.dir / "step", value_dir(w.dir, w.dtype), w.dir / "time"):
        sizes: list[int] = []
        if i:
            listed = (e.get("open") or {}).get(folder.name)
            if e.get("count") is None and (j + 1) * w.shard > int(e.get("chunks", 0)) and listed is not None:
                sizes = [int(x) for x in listed[:i]]
            else:
                idx = shards.read_index(folder, j, w.shard)[:i].astype(np.int64)
                sizes = [int(x) for x in idx[:, 1]]
                if (idx[:, 0] != np.cumsum(idx[:, 1]) - idx[:, 1]).any():
                    raise CorruptStoreError(f"{folder}: shard {j} does not hold its inner chunks back to back")
            if len(sizes) != i:
                raise CorruptStoreError(f"{folder}: shard {j} lists {len(sizes)} inner chunks, {i} expected")
        sw = shards.ShardWriter(folder, w.shard)
        sw.j, sw.sizes = j, sizes
        w.shard_writers[folder] = sw


def _first_sync(writer: TaskWriter) -> None:
    """The reopen's sync: level chunks and array metadata, every tail file rewritten whole, then
    ``series.json`` (a crash before it leaves the old index, which the new files agree with)."""
    with writer._lock:
        for s in writer._series:
            s.sync_files()
            if writer._durable:
                s.fsync()
            else:
                s.forget_unsynced()
        shared = writer.path / SHARED_TAIL
        if any(s.shared and s.tail_count < s.step.n for s in writer._series) or not shared.exists():
            writer._tails.rewrite = True  # a shared series' points are not all there: write the file whole
        else:  # every shared series' points are in it: appends go on after its (whole, uncut) records
            writer._tails.shared_bytes = shared.stat().st_size
        writer._write_tails(writer._series)
        writer._write_index()
        for s in writer._series:  # bytes past the vouched chunks (a close's index and last chunk): never
            for sw in s.shard_writers.values():  # read now that series.json lists the shard as open
                _cut(codecs.chunk_path(sw.folder, sw.j), sum(sw.sizes), writer._durable)
        writer._lock_file.heartbeat()


def _cut(p: Path, size: int, durable: bool) -> None:
    try:
        if p.stat().st_size <= size:
            return
        with open(p, "r+b") as f:
            f.truncate(size)
            if durable:
                os.fsync(f.fileno())
    except FileNotFoundError:
        pass
