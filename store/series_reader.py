"""Reads one series of a task: raw ranges (Zarr chunks + tail) and pyramid records.

A SeriesReader is a snapshot of ``series.json`` and the tail file taken when it
is created; a live task's newer points appear in a new reader. Decoded chunks of
pyramid levels and raw chunks read for small ranges go to the store's shared
LRU cache (full chunks never change once written; keys name the array).
"""

from __future__ import annotations

from collections import OrderedDict
from itertools import groupby
from pathlib import Path
import threading

import numpy as np

from ringlog.core import pyramid as pyr

from . import codecs, shards, tail
from .damage import MAX_CHUNK_BYTES as _MAX_CHUNK_BYTES
from .damage import ChunkDamaged, index_ok as _index_ok, walk_shard as _walk_shard
from .errors import CorruptStoreError, corrupt
from .layout import CHUNK, FAN, FAN1, LEVEL_CHUNK, level_dir, level_size, series_dir, value_dir

_SMALL = 1 << 15  # a read of fewer points than this goes through the chunk cache


class StaleIndex(Exception):
    """series.json moved on while reading (the writer compacted the tail): reload and retry."""


class ChunkCache:
    """A byte-bounded LRU of decoded chunks shared by every reader of a Store. Thread-safe."""

    def __init__(self, max_bytes: int = 256 << 20):
        self.max_bytes = max_bytes
        self._d: OrderedDict = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            a = self._d.get(key)
            if a is not None:
                self._d.move_to_end(key)
            return a

    def put(self, key, arr) -> None:
        with self._lock:
            if key in self._d:
                return
            self._d[key] = arr
            self._bytes += arr.nbytes
            while self._bytes > self.max_bytes and self._d:
                _, old = self._d.popitem(last=False)
                self._bytes -= old.nbytes


class SeriesReader:
    def __init__(self, task_path: Path, entry: dict, cache: ChunkCache, shared=None, tolerant: bool = False):
        """``shared``: None, or a callable giving the shared tail file (a ``tail.SharedTail``) where
        series.json names one: a series with no whole chunk then has its points there.
        ``tolerant``: a tail that gives fewer points than series.json says is taken as it is (its
        valid prefix; the loss is in :attr:`problems`) instead of raising :class:`StaleIndex`."""
        self.problems: list[CorruptStoreError] = []
        self.cuts: list = []  # tail.Cut of what the tail readers left out
        self.task_path = task_path
        self.sid = int(entry["sid"])
        self.title, self.series = entry["title"], entry["series"]
        self.dtype = entry.get("dtype", "f8")
        self.chunks = int(entry.get("chunks", 0))
        self.level_counts = [int(c) for c in entry.get("levels", [])]
        self.stats = entry.get("stats") or {}
        self.sorted = entry.get("sorted") or {"step": True, "time": True}
        self.dir = series_dir(task_path, self.sid)
        self._cache = cache
        self._partial: dict = {}
        self.shard = entry.get("shard")  # schema 2: raw arrays sharded (None: schema 1, a file per chunk)
        self._open = entry.get("open") or {}
        sealed = entry.get("count")
        # cache keys carry it: a closed series' last (partial) chunk and last shard's index change when
        # the task is resumed (store/reopen.py), and again at its next close (a larger count)
        self._gen = None if sealed is None else int(sealed)
        self._complete_shards = (-(-self.chunks // self.shard) if sealed is not None else self.chunks // self.shard) \
            if self.shard else 0
        short = shared is not None and self.chunks == 0
        if sealed is not None and entry.get("tail"):  # closed short series: every point is in the tail
            t = self._short_tail(shared) if short else tail.read(self.dir / "tail.bin", 0, self.cuts)
            if t is None or len(t[0]) < int(sealed):
                where = self.task_path / "tails.bin" if short else self.dir / "tail.bin"
                got = 0 if t is None else len(t[0])
                self.problems.append(corrupt(where, f"series {self.sid}: {got} of the {sealed} points series.json "
                                                    f"counts can be read; {int(sealed) - got} lost"))
                if t is None:
                    e = np.zeros(0, np.int64)
                    t = (e, np.zeros(0, np.float64), e)
            self._tail = tuple(a[: int(sealed)] for a in t)
            self.zend, self.n = 0, len(self._tail[0])
            return
        if sealed is not None:  # closed: every point is in Zarr (the last chunk partial), no tail
            self.n = self.zend = int(sealed)
            e = np.zeros(0, np.int64)
            self._tail = (e, np.zeros(0, np.float64), e)
            return
        if short:
            t = self._short_tail(shared)
            # fewer points than series.json counted, and a first chunk exists: the series left the
            # shared file (rewritten without it) after this series.json was read
            if t is not None and len(t[0]) < int(self.stats.get("count") or 0) and (self.dir / "step").exists():
                t = None
        else:
            t = tail.read(self.dir / "tail.bin", self.chunks * CHUNK, self.cuts)
        if t is None and tolerant:
            self.problems.append(corrupt(self.task_path / "tails.bin" if short else self.dir / "tail.bin",
                                         f"series {self.sid}: the tail does not continue the chunks series.json "
                                         f"lists; only the {self.chunks * CHUNK} points in chunks are read"))
            e = np.zeros(0, np.int64)
            t = (e, np.zeros(0, np.float64), e)
        if t is None:
            raise StaleIndex(self.dir)
        self._tail = t
        self.zend = self.chunks * CHUNK
        self.n = self.zend + len(t[0])

    def _short_tail(self, shared):
        """Points of a series without a whole chunk: its records in the shared file, or its own
        tail.bin (from index 0) once it moved there, whichever holds more. The shared file is read
        first: the writer drops a series from it only after its own tail holds every point."""
        sh = shared()
        t = tail.assemble(sh.records(self.sid), 0)
        self.cuts.extend(c for c in sh.cuts if c not in self.cuts and ("series" not in c.reason
                                                                        or c.reason.endswith(f" {self.sid})")))
        own = tail.read(self.dir / "tail.bin", 0, self.cuts)
        if own is not None and (t is None or len(own[0]) > len(t[0])):
            t = own
        return t

    # --- raw -----------------------------------------------------------------------
    def _spec_dir(self, name: str):
        if name == "step":
            return codecs.STEP, self.dir / "step"
        if name == "time":
            return codecs.TIME, self.dir / "time"
        return (codecs.VALUE_F4 if self.dtype == "f4" else codecs.VALUE_F8), value_dir(self.dir, self.dtype)

    def degrade(self, exc: ChunkDamaged) -> None:
        """Read only what is still intact after ``exc``: the points before a damaged raw chunk (its
        valid prefix, as for a torn tail), or the pyramid records before a damaged level chunk
        (the rest is computed from the raw points)."""
        if exc.level == 0:
            m = exc.chunk * CHUNK
            if m < self.zend:
                self.zend = self.n = m
                e = np.zeros(0, np.int64)
                self._tail = (e, np.zeros(0, np.float64), e)
                self.chunks = min(self.chunks, exc.chunk)
        else:
            k = exc.level
            if k - 1 < len(self.level_counts):
                self.level_counts[k - 1] = min(self.level_counts[k - 1], exc.chunk * LEVEL_CHUNK)
            self._partial.clear()

    def _read(self, d: Path, c: int) -> bytes:
        """The encoded bytes of raw chunk ``c`` of the array in folder ``d`` (either schema)."""
        try:
            return self._read_raw(d, c)
        except (OSError, ValueError) as exc:  # CorruptStoreError is an OSError
            raise self._damaged(d, c, exc) from exc

    def _damaged(self, d: Path, c: int, exc: BaseException) -> ChunkDamaged:
        if isinstance(exc, ChunkDamaged):
            return exc
        path = codecs.chunk_path(d, c // self.shard) if self.shard else codecs.chunk_path(d, c)
        return ChunkDamaged(path, 0, c, exc)

    def _read_raw(self, d: Path, c: int) -> bytes:
        if not self.shard:
            return codecs.read_chunk(d, c)
        j = c // self.shard
        off, nb = self._where(d, c)
        return shards.read_range(d, j, off, nb)

    def _read_many(self, d: Path, cs: list[int]) -> list:
        """Encoded bytes of chunks ``cs`` (consecutive, within one shard): one file read in schema 2."""
        if not self.shard or len(cs) == 1:
            return [self._read(d, c) for c in cs]
        try:
            where = [self._where(d, c) for c in cs]
            a = where[0][0]
            data = memoryview(shards.read_range(d, cs[0] // self.shard, a, where[-1][0] + where[-1][1] - a))
        except (OSError, ValueError):
            return [self._read(d, c) for c in cs]  # find the first damaged chunk, one at a time
        return [data[o - a:o - a + nb] for o, nb in where]

    def _where(self, d: Path, c: int) -> tuple[int, int]:
        """(offset, nbytes) of raw chunk ``c`` inside its shard file (schema 2)."""
        j, i = divmod(c, self.shard)
        if j < self._complete_shards:
            key = (str(d), "shard-index", j, self._gen)
            idx = self._cache.get(key)
            if idx is None:
                try:
                    idx = shards.read_index(d, j, self.shard)
                    if not _index_ok(idx):
                        raise CorruptStoreError(f"{codecs.chunk_path(d, j)}: shard index is damaged")
                except CorruptStoreError as exc:
                    idx = _walk_shard(codecs.chunk_path(d, j), self.shard)
                    self.problems.append(corrupt(codecs.chunk_path(d, j), "shard index unreadable; the inner chunks "
                                                 f"were found by their headers ({int((idx[:, 0] != shards.EMPTY).sum())} "
                                                 f"of {self.shard})", exc))
                self._cache.put(key, idx)
            off, nb = int(idx[i, 0]), int(idx[i, 1])
            if off == int(shards.EMPTY):
                raise CorruptStoreError(f"{d}: chunk {c} absent from its shard")
        else:  # the open shard: series.json vouches for these sizes
            sizes = self._open.get(d.name, [])
            if i >= len(sizes):
                raise CorruptStoreError(f"{d}: chunk {c} not listed in series.json")
            off, nb = sum(sizes[:i]), int(sizes[i])
        if not (0 <= off < 1 << 40 and 0 < nb <= _MAX_CHUNK_BYTES):
            raise CorruptStoreError(f"{d}: chunk {c} has an impossible place in its shard (offset {off}, {nb} bytes)")
        return off, nb

    def _chunk(self, name: str, c: int) -> np.ndarray:
        key = (str(self.dir), name, self.dtype, c, self._gen)
        a = self._cache.get(key)
        if a is None:
            spec, d = self._spec_dir(name)
            data = self._read(d, c)
            try:
                a = codecs.decode(spec, data, CHUNK)
            except (OSError, ValueError) as exc:
                raise self._damaged(d, c, exc) from exc
            self._cache.put(key, a)
        return a

    def raw(self, name: str, lo: int, hi: int) -> np.ndarray:
        """Raw ``step`` (int64), ``value`` (float64) or ``time`` (int64 ms) of points ``[lo, hi)``.

        Cost: decodes every chunk overlapping the range (cached when the range is small).
        """
        lo, hi = max(0, lo), min(self.n, hi)
        out = np.empty(max(hi - lo, 0), np.float64 if name == "value" else np.int64)
        if hi <= lo:
            return out
        zend = self.zend
        spec, d = self._spec_dir(name)
        small = hi - lo < _SMALL
        tmp = None
        for c in range(lo // CHUNK, (min(hi, zend) - 1) // CHUNK + 1 if lo < zend else 0):
            a, e = max(lo, c * CHUNK), min(hi, (c + 1) * CHUNK)
            o = a - lo
            if small:
                out[o:o + e - a] = self._chunk(name, c)[a - c * CHUNK:e - c * CHUNK]
            elif e - a == CHUNK and out.dtype == np.dtype(spec.dtype):
                self._decode(spec, d, c, out[o:o + CHUNK])
            else:
                if tmp is None:
                    tmp = np.empty(CHUNK, spec.dtype)
                self._decode(spec, d, c, tmp)
                out[o:o + e - a] = tmp[a - c * CHUNK:e - c * CHUNK]
        if hi > zend:
            col = self._tail[{"step": 0, "value": 1, "time": 2}[name]]
            a = max(lo, zend)
            out[a - lo:] = col[a - zend:hi - zend]
        return out

    def _decode(self, spec, d: Path, c: int, out, data=None, undelta: bool = True) -> None:
        try:
            codecs.decode_into(spec, self._read(d, c) if data is None else data, out, undelta=undelta)
        except (OSError, ValueError) as exc:
            raise self._damaged(d, c, exc) from exc

    def export(self, lo: int, hi: int, origin: float, time_res: float):
        """Every point of ``[lo, hi)``: (step int64, value float64, time float64 unix seconds).

        Chunks are decoded and converted one at a time (the data stays in cache), on two
        threads for long ranges (Blosc and numpy release the GIL). Cost: O(hi - lo).
        """
        lo, hi = max(0, lo), min(self.n, hi)
        n = max(hi - lo, 0)
        step, value, tsec = np.empty(n, np.int64), np.empty(n, np.float64), np.empty(n, np.float64)
        zend = self.zend
        vspec, vdir = self._spec_dir("value")

        def work(cs):
            tv = np.empty(CHUNK, vspec.dtype)
            tt = np.empty(CHUNK, np.int64)
            per = self.shard or 16
            for _, grp in groupby(cs, lambda c: c // per):  # a shard at a time: one read per array
                work_part(list(grp), tv, tt)

        def work_part(cs, tv, tt):
            sb, vb, tb = (self._read_many(d, cs) for d in (self.dir / "step", vdir, self.dir / "time"))
            for c, bs, bv, bt in zip(cs, sb, vb, tb):
                a, e = max(lo, c * CHUNK), min(hi, (c + 1) * CHUNK)
                o, m, k = a - lo, e - a, a - c * CHUNK
                sd, td = self.dir / "step", self.dir / "time"
                if m == CHUNK:  # whole chunk: decode straight into the result
                    self._decode(codecs.STEP, sd, c, step[o:o + m], bs)
                else:
                    self._decode(codecs.STEP, sd, c, tt, bs)
                    step[o:o + m] = tt[k:k + m]
                if m == CHUNK and vspec.dtype == "<f8":
                    self._decode(vspec, vdir, c, value[o:o + m], bv)
                else:
                    self._decode(vspec, vdir, c, tv, bv)
                    value[o:o + m] = tv[k:k + m]
                self._decode(codecs.TIME, td, c, tt, bt, undelta=False)
                pyr.undelta_seconds(tt, k, m, origin, time_res, tsec[o:o + m])

        if lo < zend:
            cs = list(range(lo // CHUNK, (min(hi, zend) - 1) // CHUNK + 1))
            if len(cs) >= 8:
                from concurrent.futures import ThreadPoolExecutor

                with ThreadPoolExecutor(2) as ex:
                    list(ex.map(work, (cs[: len(cs) // 2], cs[len(cs) // 2:])))
            else:
                work(cs)
        if hi > zend:
            a = max(lo, zend)
            o = a - lo
            st, va, ti = self._tail
            step[o:] = st[a - zend:hi - zend]
            value[o:] = va[a - zend:hi - zend]
            np.multiply(ti[a - zend:hi - zend], time_res, out=tsec[o:])
            tsec[o:] += origin
        return step, value, tsec

    # --- pyramid -------------------------------------------------------------------
    def complete(self, k: int) -> int:
        """Number of complete level-``k`` buckets (persisted or computable from below)."""
        return self.n // level_size(k)

    def _persisted(self, k: int) -> int:
        c = self.level_counts[k - 1] if k - 1 < len(self.level_counts) else 0
        return min(c, self.complete(k))

    def _level_chunk(self, k: int, c: int) -> np.ndarray:
        full = (c + 1) * LEVEL_CHUNK <= (self.level_counts[k - 1] if k - 1 < len(self.level_counts) else 0)
        key = (str(self.dir), f"L{k}", c)
        a = self._cache.get(key) if full else self._partial.get(key)
        if a is None:
            try:
                a = codecs.decode(codecs.LEVEL, codecs.read_chunk(level_dir(self.dir, k), 0, c),
                                  pyr.NF * LEVEL_CHUNK).reshape(pyr.NF, LEVEL_CHUNK)
            except (OSError, ValueError) as exc:
                raise ChunkDamaged(codecs.chunk_path(level_dir(self.dir, k), 0, c), k, c, exc) from exc
            if full:
                self._cache.put(key, a)
            else:  # the last, growing chunk: cached for this snapshot only
                self._partial[key] = a
        return a

    def records(self, k: int, b0: int, b1: int) -> np.ndarray:
        """Records of level-``k`` buckets ``[b0, b1)`` (all complete), shape ``(NF, b1 - b0)``.

        Persisted buckets are read (one chunk read per LEVEL_CHUNK records); buckets the
        writer had not persisted when this snapshot was taken are computed from below.
        """
        out = pyr.empty_records(max(b1 - b0, 0))
        if b1 <= b0:
            return out
        p = self._persisted(k)
        if b0 < p:
            e = min(b1, p)
            for c in range(b0 // LEVEL_CHUNK, (e - 1) // LEVEL_CHUNK + 1):
                a, z = max(b0, c * LEVEL_CHUNK), min(e, (c + 1) * LEVEL_CHUNK)
                out[:, a - b0:z - b0] = self._level_chunk(k, c)[:, a - c * LEVEL_CHUNK:z - c * LEVEL_CHUNK]
        if b1 > p:
            a = max(b0, p)
            m = b1 - a
            if k == 1:
                lo, hi = a * FAN1, b1 * FAN1
                rec = pyr.raw_records(self.raw("step", lo, hi), self.raw("value", lo, hi), self.raw("time", lo, hi),
                                      np.arange(m + 1, dtype=np.int64) * FAN1, lo)
            else:
                below = self.records(k - 1, a * FAN, b1 * FAN)
                rec = pyr.combine(below, np.arange(m + 1, dtype=np.int64) * FAN)
            out[:, a - b0:] = rec
        return out

    def raw_record(self, lo: int, hi: int) -> np.ndarray:
        """One record summarising raw points ``[lo, hi)`` (non-empty)."""
        return pyr.raw_records(self.raw("step", lo, hi), self.raw("value", lo, hi), self.raw("time", lo, hi),
                               np.array([0, hi - lo], np.int64), lo)
