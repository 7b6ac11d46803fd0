"""Writes one series: whole Zarr chunks, the tail file, and the pyramid, incrementally.

Owned by one TaskWriter, used from one thread at a time.

Memory: the pending raw points (after the last whole chunk, 24 bytes each) are held only until
they are durable in the series' own ``tail.bin``; then all but the last partial level-1 bucket are
*spilled* (dropped from memory, read back from the tail when the chunk completes or the series
closes), so a series holds ~SPILL_MIN points plus what arrived since the last sync, not up to a
chunk (1.5 MB): 10,000 series fit in a few hundred MB. Plus each level's records since its last
full chunk (< LEVEL_CHUNK records of 160 bytes).

Write errors (FORMAT.md, "Write errors"): :meth:`SeriesWriter.append` takes every point or none;
a chunk that cannot be written stays pending (and is retried at the next append or sync), the
error surfaces at the next sync. Tail counts advance only once a record is written and synced;
after a failed fsync the files written since the last good one are written again from the kept
bytes (shards, level chunks) before anything else, and the tail's next append starts at its last
durable size. Pending points and tail records: :mod:`.series_tail`; the pyramid: :mod:`.series_levels`;
the fsync bookkeeping: :mod:`.series_sync`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ringlog.core import pyramid as pyr
from ringlog.core.stats import SeriesStats

from . import _kern, codecs, layout, shards
from .series_index import IndexMixin
from .series_sync import SyncMixin
from .series_levels import LevelsMixin, _Level
from .series_tail import TAIL_COMPACT, SeriesTail, _Grow  # noqa: F401 - TAIL_COMPACT: writer.py reads it here
from .layout import CHUNK, FAN, FAN1, LEVEL_CHUNK, level_dir, value_dir

MAX_PENDING = 8 * CHUNK  # pending points beyond which append refuses (only while chunk writes fail)
LEVEL_PERSIST = 512  # new records of a level that make a sync rewrite its growing chunk


class SeriesWriter(SeriesTail, LevelsMixin, IndexMixin, SyncMixin):
    def __init__(self, task_path: Path, sid: int, title: str, series: str, float64: bool = False, pool=None,
                 fsync_pool=None):
        self.pool = pool
        self.fsync_pool = fsync_pool
        self.sid, self.title, self.series = sid, title, series
        self.task_path = task_path  # self.dir, the series folder, is made on first use (see below)
        self.dtype = "f8" if float64 else "f4"
        self.n_chunks = 0
        self.step, self.value, self.time = _Grow(np.int64), _Grow(np.float64), _Grow(np.int64)
        self.levels: list[_Level] | tuple = ()  # a list from the first level record (_level)
        self.count = 0
        self.stats = SeriesStats()  # the series' running figures: their one owner (core/stats.py)
        self.sorted = {"step": True, "time": True}  # x non-decreasing so far (decimate relies on it)
        self._last_x = {"step": None, "time": None}
        self.sealed = False   # closed: the partial chunk went into Zarr, the tail is gone
        self.in_tail = False  # closed short series (no whole chunk): its tail records are its final storage
        self.new_dir = False  # write_tail created the series folder (the TaskWriter fsyncs it)
        self.shared = True    # its tail records go to the task's shared tail file (see TaskWriter)
        self.tail_base = 0    # base index of the tail file's content
        self.tail_count = 0   # points written to the tail file since tail_base
        self.tail_bytes = 0   # size of the tail file
        self.spilled = 0      # the first pending points: durable in tail.bin, no longer in memory
        self.tail_rewrite = False  # a rewrite of tail.bin is not committed yet: the next write rewrites
        self.staged = None    # tail counts of the record written this sync, applied by tail_commit()
        self.write_error: OSError | None = None  # a chunk write failed: its points stay pending
        self.must_redo = False  # an fsync failed: write the kept bytes again before the next one
        self.level_redo: dict = {}  # level chunk files written since the last good fsync: (dir, c) -> bytes
        # unsynced, unsynced_dirs, eager, eager_paths: made on first use (below)
        self.meta_dirty = True
        self._entry_json: str | None = None  # entry_json()'s cache
        self._names_json: str | None = None
        self.migrated_from: Path | None = None
        self.meta_chunks, self.meta_dtype = -1, self.dtype  # what the arrays' zarr.json say
        self.shard = layout.SHARD                 # inner chunks per shard file (schema 2)
        self.shard_writers: dict[Path, shards.ShardWriter] = {}
        # the folder is created by the first file written into it (many series stay tiny)

    @property
    def short(self) -> bool:
        """No whole chunk yet: the series lives in its tail file only (no Zarr arrays, no level files)."""
        return self.n_chunks == 0

    def structure_dirty(self) -> bool:
        """Whether :meth:`sync_files` has anything to write (a short series never has, unless a
        failed chunk write left whole chunks pending)."""
        return (not self.short and any(lv.dirty for lv in self.levels)) or self.pending >= CHUNK

    # --- appending -------------------------------------------------------------
    def append(self, step: np.ndarray, value: np.ndarray, tms: np.ndarray, tms_sorted: bool | None = None) -> None:
        """Add points (validated by the caller: int64 step, float64 value, int64 ms time).

        ``tms_sorted``: whether ``tms`` is non-decreasing, when the caller already knows."""
        n = len(step)
        if n == 0:
            return
        if self.pending + n > MAX_PENDING and self.write_error is not None:
            self._drain()
            if self.pending + n > MAX_PENDING:  # the disk keeps failing: refuse before taking anything
                raise self.write_error
        exact, n_fin, total, mn, mx = _kern.scan_batch(value)  # once per point: dtype choice and stats
        for name, x in (("step", step), ("time", tms)):
            if self.sorted[name]:
                last = self._last_x[name]
                if n == 1:
                    inner = True
                elif name == "time" and tms_sorted is not None:
                    inner = tms_sorted
                else:
                    inner = bool((x[1:] >= x[:-1]).all())
                self.sorted[name] = inner and (last is None or x[0] >= last)
        if self.dtype == "f4" and not exact:
            self._migrate_f64()
        self._append(step, value, tms)
        self.stats.add(n, n_fin, total, mn, mx, float(value[0]), float(value[-1]), int(step[-1]))
        self._last_x["step"], self._last_x["time"] = int(step[-1]), int(tms[-1])
        self.meta_dirty = True

    def _append(self, step, value, tms) -> None:
        """Commit the points piece by piece (up to each chunk boundary). A chunk that cannot be
        written leaves its points pending with the rest of the call's (:meth:`_take`): every point
        is taken, the error waits in :attr:`write_error` for the next sync. A run of whole chunks
        straight from the caller's arrays (up to the end of the open shard) is written as one batch:
        one job per array on the encode pool, no hand-off per chunk."""
        if self.pending >= CHUNK:  # chunks left pending by a failed write: retry them first
            try:
                self._drain()
            except OSError:
                self._take(step, value, tms)
                return
        m = len(step)
        at = 0
        while at < m:
            p = self.pending
            if p == 0 and m - at >= CHUNK:  # whole chunks straight from the caller's arrays
                k = min((m - at) // CHUNK, self.shard - self.n_chunks % self.shard)
                e = at + k * CHUNK
                s, v, t = step[at:e], value[at:e], tms[at:e]
                ok, exc = self._write_raw_chunks(self.n_chunks, s, v, t, k)
                if ok:
                    self._rollup_raw(s[: ok * CHUNK], v[: ok * CHUNK], t[: ok * CHUNK])
                    self.n_chunks += ok
                    self.count += ok * CHUNK
                    self.meta_dirty = True
                    at += ok * CHUNK
                    self._flush_level_chunks()
                if exc is not None:
                    self.write_error = exc
                    self._take(step[at:], value[at:], tms[at:])
                    return
                continue
            take = min(m - at, CHUNK - p)
            s, v, t = step[at:at + take], value[at:at + take], tms[at:at + take]
            if p + take == CHUNK:
                try:
                    self._unspill()
                    self._write_raw_chunk(self.n_chunks, np.concatenate([self.step.view(), s]),
                                          np.concatenate([self.value.view(), v]),
                                          np.concatenate([self.time.view(), t]))
                except OSError as exc:
                    self.write_error = exc
                    self._take(step[at:], value[at:], tms[at:])
                    return
                self._rollup_raw(s, v, t)
                self.n_chunks += 1
                for g in (self.step, self.value, self.time):
                    g.n = 0
                self._chunk_moved()
            else:
                self._rollup_raw(s, v, t)
                self.step.extend(s)
                self.value.extend(v)
                self.time.extend(t)
            self.count += take
            at += take
            self._flush_level_chunks()

    def _write_raw_chunk(self, c, step, value, tms) -> None:
        ok, exc = self._write_raw_chunks(c, step, value, tms, 1)
        if exc is not None:
            raise exc

    def _write_raw_chunks(self, c0, step, value, tms, k):
        """Encode and write chunks ``c0 .. c0+k-1`` (``k * CHUNK`` points) of the three arrays, within
        one shard. Returns (chunks written in all three arrays, the first error or None)."""
        vspec = codecs.VALUE_F4 if self.dtype == "f4" else codecs.VALUE_F8
        jobs = ((self.dir / "step", codecs.STEP, step), (value_dir(self.dir, self.dtype), vspec, value),
                (self.dir / "time", codecs.TIME, tms))

        def job(j):
            sw, out = self._shard_writer(j[0]), []
            try:
                for i in range(k):
                    out.append(sw.append(c0 + i, codecs.encode(j[1], j[2][i * CHUNK:(i + 1) * CHUNK])))
            except Exception as exc:  # noqa: BLE001 - handed to the caller, which commits what is whole
                return out, exc
            return out, None

        futs = []
        if self.pool is not None:  # Blosc releases the GIL: the three arrays compress (and are written) in parallel
            try:
                for j in jobs:
                    futs.append(self.pool.submit(job, j))
            except RuntimeError:  # interpreter shutting down (atexit, SIGTERM): no new threads
                self.pool = None
        results = [f.result() for f in futs] + [job(j) for j in jobs[len(futs):]]
        for out, _ in results:
            for p, done in out:
                if done:
                    self._written(p)
                else:
                    self.unsynced.append(p)
        errors = [exc for _, exc in results if exc is not None]
        return min(len(out) for out, _ in results), (errors[0] if errors else None)

    def _shard_writer(self, folder: Path) -> shards.ShardWriter:
        sw = self.shard_writers.get(folder)
        if sw is None:
            sw = self.shard_writers[folder] = shards.ShardWriter(folder, self.shard)
        return sw

    def _written(self, p: Path) -> None:
        """A completed file: start its fsync now on the fsync pool (the disk flush overlaps the
        compression of the next chunks; :meth:`fsync` waits for it)."""
        if self.fsync_pool is not None:
            try:
                self.eager.append(self.fsync_pool.submit(codecs.fsync_one, p))
                self.eager_paths.add(p)
                self.unsynced_dirs.add(p.parent)
                return
            except RuntimeError:  # interpreter shutting down: fsync at sync() instead
                pass
        self.unsynced.append(p)

    def _migrate_f64(self) -> None:
        """A value is not exactly a float32: rewrite the value chunks as float64, once."""
        if self.short:  # no value chunk written yet: the tail always holds float64
            self.dtype = "f8"
            self.meta_dirty = True
            return
        old, new = value_dir(self.dir, "f4"), value_dir(self.dir, "f8")
        osw = self._shard_writer(old)
        sizes = osw.open_sizes(self.n_chunks)
        for c in range(self.n_chunks):
            j, i = divmod(c, self.shard)
            if j < osw.j:
                if i == 0:
                    idx = shards.read_index(old, j, self.shard)
                off, nb = int(idx[i, 0]), int(idx[i, 1])
            else:
                off, nb = sum(sizes[:i]), sizes[i]
            v = codecs.decode(codecs.VALUE_F4, shards.read_range(old, j, off, nb), CHUNK).astype(np.float64)
            p, _ = self._shard_writer(new).append(c, codecs.encode(codecs.VALUE_F8, v))
            self.unsynced.append(p)
        codecs.write_array_meta(new, codecs.VALUE_F8, [self.n_chunks // self.shard * self.shard * CHUNK], [CHUNK],
                                shard=self.shard)
        del self.shard_writers[old]
        self.dtype = "f8"
        self.meta_dirty = True
        self.migrated_from = old  # removed by the TaskWriter once series.json names the new array

    # --- durability --------------------------------------------------------------
    def seal(self) -> None:
        """At close: write the pending points as the last (partial, zero-padded) Zarr chunk, so a
        closed series lives wholly in Zarr (arrays' shape = point count) and its tail can go."""
        if self.sealed:
            return
        if self.short:  # shorter than a chunk: its records in the shared tail file stay its storage
            self.sealed = self.in_tail = True
            self.meta_dirty = True
            return
        self._drain()
        self._unspill()
        p = self.step.n
        if p:
            pad = CHUNK - p
            self._write_raw_chunk(self.n_chunks, np.concatenate([self.step.view(), np.zeros(pad, np.int64)]),
                                  np.concatenate([self.value.view(), np.zeros(pad)]),
                                  np.concatenate([self.time.view(), np.full(pad, self.time.view()[-1])]))
        for sw in self.shard_writers.values():
            p = sw.finish()
            if p is not None:
                self.unsynced.append(p)
        self.sealed = True
        self.meta_dirty = True

    def sync_files(self, final: bool = False) -> None:
        """Write partial level chunks, and array metadata where a shape grew (by a level chunk, or
        by a raw shard; every shape at ``final``). series.json, not these shapes, says how much a
        reader may use. The writes are independent: they run on the encode pool together (each
        replace-by-rename waits on the filesystem journal; overlapped they share its commits).
        A short series (no whole chunk, see :attr:`short`) writes nothing: readers take its
        points from the tail and compute its few pyramid buckets from them."""
        self._drain()  # chunks a failed write left pending (raises while the disk still fails)
        if self.short:
            return
        self._flush_level_chunks()
        jobs, done = [], []
        for lv in self.levels:
            if not lv.dirty:
                continue
            d = level_dir(self.dir, lv.k)
            # the growing chunk is rewritten once LEVEL_PERSIST records are new (readers compute
            # the rest from the level below): one or two level files per sync instead of one per level
            grow = final or not lv.nbuf or lv.count - lv.persisted >= LEVEL_PERSIST
            if lv.nbuf and grow:
                self._level_back(lv)
                chunk = np.zeros((pyr.NF, LEVEL_CHUNK), np.float64)
                chunk[:, : lv.nbuf] = lv.buf[:, : lv.nbuf]
                jobs.append(lambda d=d, chunk=chunk, c=lv.chunk_start // LEVEL_CHUNK: self._write_level(
                    d, codecs.encode(codecs.LEVEL, chunk), c))
            if final or lv.count // LEVEL_CHUNK != lv.meta_count // LEVEL_CHUNK or not lv.meta_count:
                jobs.append(lambda d=d, lv=lv, count=lv.count: codecs.write_array_meta(
                    d, codecs.LEVEL, [pyr.NF, count], [pyr.NF, LEVEL_CHUNK], {"bucket_points": FAN1 * FAN ** (lv.k - 1)}))
                done.append(lambda lv=lv, count=lv.count: setattr(lv, "meta_count", count))
            if grow:
                done.append(lambda lv=lv, count=lv.count: (setattr(lv, "dirty", False), setattr(lv, "persisted", count),
                                                           self._level_drop(lv, count)))
            else:  # full chunks flushed by append are on disk (fsynced with this sync); the old growing chunk holds the rest
                done.append(lambda lv=lv, start=lv.chunk_start: setattr(lv, "persisted", max(lv.persisted, start)))
        shards_now = self.n_chunks // self.shard
        if final or shards_now != self.meta_chunks or self.dtype != self.meta_dtype:
            # while running, the shape covers the complete shards only (an open shard has no index yet)
            shape = [self.count if self.sealed else shards_now * self.shard * CHUNK]
            sh = self.shard
            vspec = codecs.VALUE_F4 if self.dtype == "f4" else codecs.VALUE_F8
            jobs += [lambda: codecs.write_array_meta(self.dir / "step", codecs.STEP, shape, [CHUNK], shard=sh),
                     lambda: codecs.write_array_meta(value_dir(self.dir, self.dtype), vspec, shape, [CHUNK], shard=sh),
                     lambda: codecs.write_array_meta(self.dir / "time", codecs.TIME, shape, [CHUNK],
                                                     {"units": "ms since the task's time_origin"}, shard=sh)]
            done.append(lambda dt=self.dtype: (setattr(self, "meta_chunks", shards_now), setattr(self, "meta_dtype", dt)))
        ran = False
        if self.pool is not None and len(jobs) > 1:
            try:
                list(self.pool.map(lambda f: f(), jobs))
                ran = True
            except RuntimeError as exc:  # interpreter shutting down: no new threads
                if "shutdown" not in str(exc) and "new futures" not in str(exc):
                    raise
        if not ran:
            for f in jobs:
                f()
        for f in done:
            f()
        if jobs:
            self.meta_dirty = True  # persisted level counts may have moved: series.json must say so
