"""Zarr v3 shards of the raw arrays (schema 2): many 65,536-point chunks per file.

A shard file ``<array>/c/<j>`` holds the inner chunks ``j*S .. j*S+S-1`` (``S`` =
``shard`` in the series' ``series.json`` entry), encoded exactly as schema-1 chunks,
back to back in chunk order, followed — once the shard is complete, or at close —
by its index: ``S`` pairs of little-endian uint64 ``(offset, nbytes)``, ``2**64-1``
for both where an inner chunk is absent (Zarr's ``sharding_indexed`` codec with
``index_location: end`` and a plain ``bytes`` index codec, so ``zarr.open_array``
reads closed tasks).

While a shard is *open* (not yet complete) its file has no index: the writer appends
each inner chunk as it completes, and ``series.json`` lists the sizes of the inner
chunks it vouches for (``open``); a reader trusts nothing else. Why: one file per
array per ``S`` chunks instead of one per chunk, i.e. 3 new files and fsyncs per
1M points instead of 48 (file creation and fsync dominated durable ingest).

Costs: an append is one ``pwrite`` (plus the index, 16*S bytes, when the shard
completes); a read of a complete shard's chunk reads its index once (cached).

Until the caller reports a successful fsync (:meth:`ShardWriter.synced`), a writer keeps the
bytes it wrote since the last one (compressed chunks: ~4-5 bytes per point) and :meth:`ShardWriter.redo`
writes them again: after a failed fsync the kernel may have dropped those pages, and a later
fsync's success would prove nothing (FORMAT.md, "Write errors").
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from . import _fs
from .codecs import chunk_path
from .errors import CorruptStoreError

EMPTY = np.uint64(2**64 - 1)


def index_bytes(sizes: list[int], shard: int) -> bytes:
    """The end-of-shard index for inner chunks of ``sizes`` stored back to back from offset 0."""
    idx = np.full((shard, 2), EMPTY, np.uint64)
    if sizes:
        sz = np.asarray(sizes, np.uint64)
        idx[: len(sizes), 1] = sz
        idx[: len(sizes), 0] = np.cumsum(sz) - sz
    return idx.astype("<u8").tobytes()


class ShardWriter:
    """Appends the inner chunks of one array in chunk order. One thread at a time."""

    def __init__(self, folder: Path, shard: int):
        self.folder = folder
        self.shard = shard
        self.j = 0                   # the open shard
        self.sizes: list[int] = []   # nbytes of its inner chunks written so far
        self._prev: list[int] = []   # sizes of the shard completed last (to redo its last chunk)
        self.pending: list[tuple[Path, bytes, int, bool]] = []  # writes since the last durable sync

    def append(self, c: int, blob: bytes) -> tuple[Path, bool]:
        """Write inner chunk ``c`` (the next one, or a retry of one whose sibling arrays failed).

        Returns (shard path, whether this completed the shard: its index is then written)."""
        j, i = divmod(c, self.shard)
        if j == self.j - 1:  # retry of the chunk that completed the previous shard
            self.j, self.sizes = j, self._prev
        if j != self.j or i > len(self.sizes):
            raise ValueError(f"shard writer of {self.folder}: chunk {c} out of order (open shard {self.j}, "
                             f"{len(self.sizes)} chunks)")
        sizes = self.sizes[:i]
        p = chunk_path(self.folder, j)
        data = blob
        done = i + 1 == self.shard
        if done:
            data = blob + index_bytes(sizes + [len(blob)], self.shard)
        self._pwrite(p, data, sum(sizes), truncate=done)
        self.pending.append((p, data, sum(sizes), done))
        self.sizes = sizes + [len(blob)]
        if done:
            self._prev, self.sizes, self.j = self.sizes, [], j + 1
        return p, done

    def finish(self) -> Path | None:
        """At close: give the open shard (if any) its index; absent inner chunks read as fill."""
        if not self.sizes:
            return None
        p = chunk_path(self.folder, self.j)
        data = index_bytes(self.sizes, self.shard)
        self._pwrite(p, data, sum(self.sizes), truncate=True)
        self.pending.append((p, data, sum(self.sizes), True))
        self._prev, self.sizes, self.j = self.sizes, [], self.j + 1
        return p

    def open_sizes(self, n_chunks: int) -> list[int]:
        """Sizes of the open shard's inner chunks below ``n_chunks`` (what series.json vouches for)."""
        k = n_chunks - self.j * self.shard
        return self.sizes[:k] if k > 0 else []

    def redo(self) -> list[Path]:
        """Write again every write since the last :meth:`synced` (in order); returns their files."""
        for p, data, offset, truncate in self.pending:
            self._pwrite(p, data, offset, truncate)
        return list(dict.fromkeys(p for p, _, _, _ in self.pending))

    def synced(self) -> None:
        """The files written so far are durable: drop the kept bytes."""
        self.pending.clear()

    @staticmethod
    def _pwrite(p: Path, data: bytes, offset: int, truncate: bool) -> None:
        try:
            fd = _fs.open_write(p)
        except FileNotFoundError:  # first shard of the array
            _fs.makedirs(p.parent)
            fd = _fs.open_write(p)
        try:
            _fs.pwrite_all(fd, data, offset, p)
            if truncate:  # the index must end the file (a retried write may have left more)
                _fs.truncate_fd(fd, offset + len(data), p)
        finally:
            os.close(fd)


def read_index(folder: Path, j: int, shard: int) -> np.ndarray:
    """The ``(shard, 2)`` uint64 index of complete shard ``j``."""
    n = 16 * shard
    try:
        with _fs.open_rb(chunk_path(folder, j)) as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            if size < n:
                raise CorruptStoreError(f"{chunk_path(folder, j)}: shard shorter than its index")
            f.seek(size - n)
            return np.frombuffer(f.read(n), "<u8").reshape(shard, 2)
    except FileNotFoundError as exc:
        raise CorruptStoreError(f"{chunk_path(folder, j)}: shard missing") from exc


def read_range(folder: Path, j: int, offset: int, nbytes: int) -> bytes:
    with _fs.open_rb(chunk_path(folder, j)) as f:
        f.seek(offset)
        data = f.read(nbytes)
    if len(data) != nbytes:
        raise CorruptStoreError(f"{chunk_path(folder, j)}: inner chunk cut short")
    return data
