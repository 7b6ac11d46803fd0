"""The tail part of a series writer: pending points, their records in the tail files, spilling.

Pending points (after the last whole chunk) are held in growable buffers until they are durable in
the series' own ``tail.bin``; then all but the last partial level-1 bucket are *spilled* (dropped
from memory, read back from the tail when the chunk completes, the series closes or the tail is
rewritten), so a series holds ~SPILL_MIN points plus what arrived since the last sync instead of
up to a chunk (1.5 MB). Tail counts advance only once a record is written and synced
(:meth:`SeriesTail.tail_commit`); a failed write or fsync leaves them, and the next append starts
at the file's last durable size (FORMAT.md, "Write errors"). A mixin of
:class:`ringlog.store.series_writer.SeriesWriter`, which owns the state.
"""

from __future__ import annotations

import numpy as np

from . import _fs, tail
from .errors import StoreWriteError
from .layout import CHUNK, FAN1

TAIL_COMPACT = 256 << 10  # bytes of tail file beyond which a chunk-boundary move rewrites it (dead records go)
SPILL_MIN = 512  # durable pending points from which a series drops them from memory (reads them back later)


_EMPTY = {t: np.empty(0, t) for t in (np.int64, np.float64)}  # shared by empty buffers, never written to


class _Grow:
    """A growable column buffer (amortised O(1) append)."""

    __slots__ = ("a", "n")

    def __init__(self, dtype, cap=0):  # empty until the first point: most series of a many-key run stay tiny
        self.a = np.empty(cap, dtype) if cap or dtype not in _EMPTY else _EMPTY[dtype]
        self.n = 0

    def extend(self, x):
        m = len(x)
        if self.n + m > len(self.a):
            b = np.empty(max(2 * len(self.a), self.n + m, 4), self.a.dtype)
            b[: self.n] = self.a[: self.n]
            self.a = b
        self.a[self.n:self.n + m] = x
        self.n += m

    def view(self):
        return self.a[: self.n]

    def drop(self, k: int) -> None:
        """Forget the first ``k`` items (and give memory back when the buffer is mostly empty)."""
        rest = self.n - k
        cap = len(self.a)
        if cap > 1024 and cap > 4 * rest:
            b = np.empty(max(1024, 2 * rest), self.a.dtype)
            b[:rest] = self.a[k:self.n]
            self.a = b
        else:
            self.a[:rest] = self.a[k:self.n]
        self.n = rest

    def prepend(self, x) -> None:
        m = len(x)
        b = np.empty(max(len(self.a), self.n + m), self.a.dtype)
        b[:m] = x
        b[m:m + self.n] = self.a[: self.n]
        self.a = b
        self.n += m


class SeriesTail:
    """Pending points and tail records of one series (see the module docstring)."""

    @property
    def pending(self) -> int:
        """Points after the last whole chunk (in memory, or spilled: only in tail.bin)."""
        return self.spilled + self.step.n

    def _take(self, step, value, tms) -> None:
        """Hold points as pending without writing chunks (a chunk write failed)."""
        if len(step):
            self._rollup_raw(step, value, tms)
            self.step.extend(step)
            self.value.extend(value)
            self.time.extend(tms)
            self.count += len(step)
            self._flush_level_chunks()
        self.meta_dirty = True

    def _chunk_moved(self) -> None:
        self.spilled = 0
        self.meta_dirty = True

    def _drain(self) -> None:
        """Write the whole chunks left pending by failed writes (raises while the disk still fails)."""
        if self.pending < CHUNK:
            return
        self._unspill()
        while self.step.n >= CHUNK:
            try:
                self._write_raw_chunk(self.n_chunks, self.step.view()[:CHUNK], self.value.view()[:CHUNK],
                                      self.time.view()[:CHUNK])
            except OSError as exc:
                self.write_error = _fs.write_error(exc, "chunk write", self.dir)
                raise self.write_error from exc
            self.n_chunks += 1
            for g in (self.step, self.value, self.time):
                g.drop(CHUNK)
            self._chunk_moved()
        self.write_error = None

    def _unspill(self) -> None:
        """Read the spilled pending points back from tail.bin (before a chunk or a rewrite needs them)."""
        if not self.spilled:
            return
        path = self.dir / "tail.bin"
        t = tail.read(path, self.n_chunks * CHUNK)
        if t is None or len(t[0]) < self.spilled:
            raise StoreWriteError(5, f"{path}: holds {0 if t is None else len(t[0])} of the {self.spilled} "
                                     "pending points the writer spilled to it (changed by someone else?)", str(path))
        self.step.prepend(t[0][: self.spilled])
        self.value.prepend(t[1][: self.spilled])
        self.time.prepend(t[2][: self.spilled])
        self.spilled = 0

    def _spill(self) -> None:
        """Drop from memory the pending points that are durable in tail.bin, keeping the ones the
        next level-1 bucket still needs."""
        if self.shared or self.tail_base != self.n_chunks * CHUNK:
            return
        lv1 = self.levels[0] if self.levels else None
        covered = (lv1.count * FAN1 if lv1 else 0) - self.n_chunks * CHUNK  # pending points inside level 1
        k = min(self.tail_count, covered) - self.spilled
        if k >= SPILL_MIN and k <= self.step.n:
            for g in (self.step, self.value, self.time):
                g.drop(k)
            self.spilled += k

    def shared_record(self, full: bool = False) -> bytes | None:
        """A short series' points new since the last committed record, as a record of the task's
        shared tail file (``full``: every point, for a rewrite of that file). None when there is
        nothing new. The count advances at :meth:`tail_commit`, once the record is durable."""
        k = 0 if full else self.tail_count
        n = self.step.n
        if n <= k:
            return None
        rec = tail.encode_shared_record(self.sid, k, self.step.a[k:n], self.value.a[k:n], self.time.a[k:n])
        self.staged = (self.tail_base, n, self.tail_bytes)
        return rec

    def leave_shared(self) -> None:
        """From now on the tail records go to this series' own tail.bin; the first one holds every
        pending point (from base 0 while the series has no whole chunk)."""
        if self.shared:
            self.shared = False
            self.tail_base, self.tail_count = 0, 0

    def write_tail(self, durable: bool):
        """Make the pending points durable: append a record of the points new since the last sync.

        After chunks moved to Zarr, the record holds every pending point from the new chunk
        boundary (readers skip the older records, which end at or below it, or repeat the same
        points); the file is compacted (rewritten: temp + rename) only once it exceeds
        TAIL_COMPACT bytes, which spares a file creation and rename per series and sync. A file
        that may end in a torn or unsynced record is cut back to its last durable size first.
        Returns the tail's path when an appended record still needs an fsync (the caller
        fsyncs every series' tail together, then calls :meth:`tail_commit`), else None.
        A failed append is cut back (``tail.append``); the counts stay, so the next sync
        writes the same points again.
        """
        path = self.dir / "tail.bin"
        self.staged = None
        if self.sealed and not self.in_tail:  # series.json (written before this) already counts every point
            path.unlink(missing_ok=True)
            return None
        base = self.n_chunks * CHUNK
        if base != self.tail_base or self.tail_rewrite:
            self._unspill()
            if not self.step.n and not self.tail_rewrite:  # nothing pending: older records end at or below base
                self.staged = (base, 0, self.tail_bytes)
                return None
            rec = tail.encode_record(base, self.step.view(), self.value.view(), self.time.view())
            if self.tail_rewrite or self.tail_bytes + len(rec) > TAIL_COMPACT:
                self._mkdir()
                self.tail_rewrite = True  # until this rewrite is committed: the file's size is not tail_bytes
                tail.rewrite(path, rec, durable)
                self.staged = (base, self.step.n, len(rec))
                return self.dir if durable else None  # the rename must last: fsync the folder
            count = self.step.n
        elif self.pending > self.tail_count:
            k = self.tail_count - self.spilled
            rec = tail.encode_record(base + self.tail_count, self.step.view()[k:], self.value.view()[k:],
                                     self.time.view()[k:])
            count = self.pending
        else:
            return None
        try:
            tail.append(path, rec, self.tail_bytes, durable=False)
        except FileNotFoundError:  # first record: the series folder does not exist yet
            self._mkdir()
            tail.append(path, rec, self.tail_bytes, durable=False)
        self.staged = (base, count, self.tail_bytes + len(rec))
        return path if durable else None

    def _mkdir(self) -> None:
        if not self.dir.is_dir():
            _fs.makedirs(self.dir)
            self.new_dir = True

    def tail_commit(self, spill: bool = True) -> None:
        """The record written this sync is durable: advance the counts (then spill what is durable)."""
        if self.staged is not None:
            self.tail_base, self.tail_count, self.tail_bytes = self.staged
            self.staged = None
            self.tail_rewrite = False
            if spill:
                self._spill()

    def tail_failed(self) -> None:
        """The record written this sync may not be durable (a write or its fsync failed): the counts
        stay, and the next append starts at the last durable size again (cutting this one); after a
        rewrite (a new file, whose size is not the old one's) the next write rewrites it again."""
        self.staged = None
