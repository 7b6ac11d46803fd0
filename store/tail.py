"""Append-only tail files: the not-yet-chunked end of a series, durable at every sync.

A tail file is a sequence of records::

    header  '<4sIqI'  magic b"RLT1", n (uint32 points), base (int64 raw index of the
                      first point), crc32 of the payload (uint32)
    payload n * int64 step, n * float64 value, n * int64 time (ms since the task's origin)

A record is valid only when its header, its full payload and its crc are there;
reading stops at the first invalid record, so a write cut short by a crash (kill -9,
power loss) is ignored as if it never happened. The writer appends one record per
sync and fsyncs; when whole chunks have moved into Zarr it rewrites the file (temp
file + rename) with a single record of what is left.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np

from ._fs import write_atomic

MAGIC = b"RLT1"
HEADER = struct.Struct("<4sIqI")
SHARED_MAGIC = b"RLS1"  # a record of the task's shared tail file (series without a whole chunk)
SHARED_HEADER = struct.Struct("<4sIIqI")  # magic, sid, n, base, crc


def encode_shared_record(sid: int, base: int, step, value, time) -> bytes:
    """A record of the shared tail file: like a tail record, with the series id in the header."""
    payload = (np.ascontiguousarray(step, np.int64).tobytes() + np.ascontiguousarray(value, np.float64).tobytes()
               + np.ascontiguousarray(time, np.int64).tobytes())
    return SHARED_HEADER.pack(SHARED_MAGIC, int(sid), len(step), int(base), zlib.crc32(payload)) + payload


class SharedTail:
    """A parsed shared tail file: an index of its records by series, payloads checked on use.

    Building the index reads only the headers (stopping at the first record that is not whole or
    has a bad magic); :meth:`records` checks the CRC of one series' records, and a series' records
    stop at its first bad one. Cost: O(records) header reads once, then O(points) per series read.
    """

    def __init__(self, data: bytes):
        self.data = data
        self.index: dict = {}
        pos, size, h = 0, len(data), SHARED_HEADER.size
        while pos + h <= size:
            magic, sid, n, base, crc = SHARED_HEADER.unpack_from(data, pos)
            end = pos + h + 24 * n
            if magic != SHARED_MAGIC or end > size:
                break
            self.index.setdefault(sid, []).append((base, n, pos + h, crc))
            pos = end

    def records(self, sid: int):
        """Yield ``(base, step, value, time)`` of series ``sid``'s valid records in file order."""
        mv = memoryview(self.data)
        for base, n, off, crc in self.index.get(sid, ()):
            payload = mv[off:off + 24 * n]
            if zlib.crc32(payload) != crc:
                return
            yield (base, np.frombuffer(payload, np.int64, n, 0), np.frombuffer(payload, np.float64, n, 8 * n),
                   np.frombuffer(payload, np.int64, n, 16 * n))


def read_shared(path: Path) -> SharedTail:
    """Read and index a shared tail file (missing: no records)."""
    try:
        with open(path, "rb") as f:
            return SharedTail(f.read())
    except FileNotFoundError:
        return SharedTail(b"")


def encode_record(base: int, step: np.ndarray, value: np.ndarray, time: np.ndarray) -> bytes:
    payload = (np.ascontiguousarray(step, np.int64).tobytes() + np.ascontiguousarray(value, np.float64).tobytes()
               + np.ascontiguousarray(time, np.int64).tobytes())
    return HEADER.pack(MAGIC, len(step), int(base), zlib.crc32(payload)) + payload


def append(path: Path, record: bytes, durable: bool = True) -> None:
    with open(path, "ab") as f:
        f.write(record)
        if durable:
            f.flush()
            os.fsync(f.fileno())


def rewrite(path: Path, record: bytes, durable: bool = True) -> None:
    write_atomic(path, record, durable)


def parse(data: bytes):
    """Yield ``(base, step, value, time)`` for every valid record, stopping at the first bad one."""
    pos = 0
    size = len(data)
    h = HEADER.size
    while pos + h <= size:
        magic, n, base, crc = HEADER.unpack_from(data, pos)
        end = pos + h + 24 * n
        if magic != MAGIC or end > size:
            return
        payload = memoryview(data)[pos + h:end]
        if zlib.crc32(payload) != crc:
            return
        step = np.frombuffer(payload, np.int64, n, 0)
        value = np.frombuffer(payload, np.float64, n, 8 * n)
        time = np.frombuffer(payload, np.int64, n, 16 * n)
        yield base, step, value, time
        pos = end


def read(path: Path, start: int):
    """Points with raw index ``>= start``, contiguous from ``start``, as (step, value, time).

    Records (or parts) below ``start`` are skipped (already in Zarr chunks). Returns
    ``None`` when the first needed index is missing (the caller's view of the chunk
    count is stale: reload and retry). Missing file: no points.
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        data = b""
    return assemble(parse(data), start)


def assemble(records, start: int):
    """The points of ``records`` (``(base, step, value, time)`` in file order) from index ``start``,
    as :func:`read` returns them."""
    parts = ([], [], [])
    at = start
    for base, step, value, time in records:
        end = base + len(step)
        if end <= at:
            continue
        if base > at:
            if not parts[0]:
                return None
            break  # a gap after valid data cannot happen with one writer; stop at the gap
        k = at - base
        parts[0].append(step[k:])
        parts[1].append(value[k:])
        parts[2].append(time[k:])
        at = end
    if not parts[0]:
        e = np.zeros(0, np.int64)
        return e, np.zeros(0, np.float64), e.copy()
    return tuple(np.concatenate(p) for p in parts)

