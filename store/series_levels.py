"""The pyramid part of a series writer: level-1 records from raw points, higher levels combined
from lower ones, full level chunks written once (kept until the next good fsync, see
:meth:`SeriesWriter.fsync`). A mixin of :class:`ringlog.store.series_writer.SeriesWriter`, which
owns the state (``levels``, ``count``, ``n_chunks``, the pending buffers); split out to keep each
file to one concern.

Memory: each level's records not yet in its growing chunk's file (< LEVEL_PERSIST, 512, records of
160 bytes) plus the few its next level has not combined yet: once the growing chunk is written, the
records in it are dropped from memory (``_Level.gone``) and read back from that file (or from the
bytes kept for a redo) when the chunk is written again or completes. Before, a level held every
record since its last full chunk: up to 4,096 (655 KB) per series, i.e. GBs for 10,000 long series.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ringlog.core import pyramid as pyr

from . import _fs, _kern, codecs
from .layout import CHUNK, FAN, FAN1, LEVEL_CHUNK, MAX_LEVELS, level_dir


class _Level:
    """Records of one pyramid level since its last full chunk."""

    def __init__(self, k: int):
        self.k = k
        self.buf = np.empty((pyr.NF, 16), np.float64)  # grows on demand: many series stay tiny
        self.nbuf = 0
        self.count = 0       # records computed (complete buckets)
        self.persisted = 0   # records on disk and announced in series.json
        self.meta_count = 0  # records in the shape of L<k>/zarr.json
        self.dirty = False
        self.gone = 0        # the growing chunk's first records: in its file, no longer in buf

    @property
    def chunk_start(self) -> int:
        return self.count - self.nbuf


class LevelsMixin:
    """Pyramid maintenance of one series (see the module docstring)."""

    def _rollup_raw(self, step, value, tms) -> None:
        """Level-1 records of every bucket completed by these new points."""
        done = self.levels[0].count * FAN1 if self.levels else 0  # raw index covered by level 1
        have = self.count - done          # points not yet in a level-1 bucket (< FAN1)
        m = len(step)
        if have + m < FAN1:  # no bucket completed (and no level made yet for a tiny series)
            return
        pend0 = self.n_chunks * CHUNK     # raw index of pending[0]
        recs = []
        at = 0
        if have:
            k = FAN1 - have
            o = done - pend0 - self.spilled  # spilled points all lie below ``done``
            s = np.concatenate([self.step.view()[o:], step[:k]])
            v = np.concatenate([self.value.view()[o:], value[:k]])
            t = np.concatenate([self.time.view()[o:], tms[:k]])
            recs.append(_kern.raw_records(s, v, t, np.array([0, FAN1]), done))
            at = k
        nb = (m - at) // FAN1
        if nb:
            starts = np.arange(nb + 1, dtype=np.int64) * FAN1
            e = at + nb * FAN1
            recs.append(_kern.raw_records(step[at:e], value[at:e], tms[at:e], starts, self.count + at))
        self._add_records(1, recs[0] if len(recs) == 1 else np.concatenate(recs, axis=1))

    def _level(self, k: int) -> _Level:
        if len(self.levels) < k and not isinstance(self.levels, list):
            self.levels = list(self.levels)
        while len(self.levels) < k:
            self.levels.append(_Level(len(self.levels) + 1))
        return self.levels[k - 1]

    def _add_records(self, k: int, rec: np.ndarray) -> None:
        lv = self._level(k)
        m = rec.shape[1]
        used = lv.nbuf - lv.gone  # records physically in buf
        if used + m > lv.buf.shape[1]:
            b = np.empty((pyr.NF, max(2 * lv.buf.shape[1], used + m)), np.float64)
            b[:, :used] = lv.buf[:, :used]
            lv.buf = b
        lv.buf[:, used:used + m] = rec
        lv.nbuf += m
        lv.count += m
        lv.dirty = True
        if k < MAX_LEVELS:
            up = self._level(k + 1) if lv.count >= FAN else None
            if up is not None:
                g0 = up.count * FAN - lv.chunk_start - lv.gone  # records below were combined: none is gone
                ng = (lv.count - up.count * FAN) // FAN
                if ng:
                    starts = g0 + np.arange(ng + 1, dtype=np.int64) * FAN
                    self._add_records(k + 1, _kern.combine(lv.buf[:, g0:starts[-1]], starts - g0))

    def _flush_level_chunks(self) -> None:
        """Write every level's full chunks (each once) and drop them from the buffers."""
        for lv in self.levels:
            full = lv.nbuf // LEVEL_CHUNK
            if full:
                self._level_back(lv)
            for c in range(full):
                chunk = lv.buf[:, c * LEVEL_CHUNK:(c + 1) * LEVEL_CHUNK]
                idx = lv.chunk_start // LEVEL_CHUNK + c
                self._write_level(level_dir(self.dir, lv.k), codecs.encode(codecs.LEVEL, chunk), idx)
            if full:
                rest = lv.nbuf - full * LEVEL_CHUNK
                lv.buf[:, :rest] = lv.buf[:, full * LEVEL_CHUNK:lv.nbuf]
                lv.nbuf = rest

    def _write_level(self, d: Path, blob: bytes, c: int) -> None:
        """Write level chunk ``c`` (temp + rename) and keep its bytes until the next good fsync."""
        self.level_redo[(d, c)] = blob
        self.unsynced.append(codecs.write_chunk(d, blob, 0, c, replace=True))

    def _level_back(self, lv: _Level) -> None:
        """Read the growing chunk's dropped records back into ``lv.buf`` (before it is written again)."""
        if not lv.gone:
            return
        d, c = level_dir(self.dir, lv.k), lv.chunk_start // LEVEL_CHUNK
        blob = self.level_redo.get((d, c))
        try:
            if blob is None:
                blob = codecs.read_chunk(d, 0, c)
            old = codecs.decode(codecs.LEVEL, blob, pyr.NF * LEVEL_CHUNK).reshape(pyr.NF, LEVEL_CHUNK)
        except (OSError, ValueError) as exc:
            raise _fs.write_error(OSError(5, f"level chunk cannot be read back ({exc})"), "read back",
                                  codecs.chunk_path(d, 0, c)) from exc
        used = lv.nbuf - lv.gone
        b = np.empty((pyr.NF, max(16, lv.nbuf)), np.float64)
        b[:, :lv.gone] = old[:, :lv.gone]
        b[:, lv.gone:lv.nbuf] = lv.buf[:, :used]
        lv.buf, lv.gone = b, 0

    def _level_drop(self, lv: _Level, written: int) -> None:
        """The growing chunk's file holds records up to ``written``: drop those from memory, except
        the ones the next level has not combined yet."""
        up = self.levels[lv.k] if lv.k < len(self.levels) else None
        keep_from = written if lv.k >= MAX_LEVELS else min(written, up.count * FAN if up is not None else 0)
        k = keep_from - lv.chunk_start - lv.gone  # records to drop
        if k < 64:
            return
        used = lv.nbuf - lv.gone
        rest = used - k
        b = np.empty((pyr.NF, max(16, 2 * rest)), np.float64)
        b[:, :rest] = lv.buf[:, k:used]
        lv.buf, lv.gone = b, lv.gone + k
