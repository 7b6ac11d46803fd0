"""Append-only tail files: the not-yet-chunked end of a series, durable at every sync.

A tail file is a sequence of records::

    header  '<4sIqI'  magic b"RLT1", n (uint32 points), base (int64 raw index of the
                      first point), crc32 of the payload (uint32)
    payload n * int64 step, n * float64 value, n * int64 time (ms since the task's origin)

or, compressed (what the writer appends since format note "compressed tails" in FORMAT.md)::

    header  '<4sIqII' magic b"RLZ1", n, base, crc32 of the stored bytes, nbytes (uint32)
    payload nbytes of Blosc(lz4, bit shuffle) over the 24*n bytes [delta(step), value, delta(time)]

A record is valid only when its header, its full payload and its crc are there;
reading stops at the first invalid record, so a write cut short by a crash (kill -9,
power loss) is ignored as if it never happened. Readers report what they cut
(:class:`Cut`: where, how many bytes, why) through an optional ``cuts`` list, for fsck
and warnings. The writer appends one record per sync with :func:`append` at the file's last
durable size (cutting a torn or unsynced end first, so nothing is ever appended behind a torn
record) and fsyncs; when
whole chunks have moved into Zarr it rewrites the file (temp file + rename) with a single
record of what is left.

Compression (measured, 200-point records of a noisy float32 loss, steps and ms times: see
FORMAT.md): 24 -> ~5.3 bytes per point, ~25 us per record; the uncompressed kind is still read.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

from dataclasses import dataclass

import numpy as np
from numcodecs import Blosc

from . import _fs
from ._fs import write_atomic

MAGIC = b"RLT1"
HEADER = struct.Struct("<4sIqI")
SHARED_MAGIC = b"RLS1"  # a record of the task's shared tail file (series without a whole chunk)
SHARED_HEADER = struct.Struct("<4sIIqI")  # magic, sid, n, base, crc
ZMAGIC = b"RLZ1"  # a compressed record (see the module docstring)
ZHEADER = struct.Struct("<4sIqII")  # magic, n, base, crc of the stored bytes, stored nbytes
_CODEC = Blosc(cname="lz4", clevel=5, shuffle=Blosc.BITSHUFFLE, blocksize=0)
_RAW_MAX = 16  # records of fewer points are stored uncompressed (Blosc's header would not pay)


@dataclass(frozen=True)
class Cut:
    """What a reader of a tail file left out: ``nbytes`` from ``offset`` on, and why."""

    path: str
    offset: int
    nbytes: int
    reason: str


def encode_shared_record(sid: int, base: int, step, value, time) -> bytes:
    """A record of the shared tail file: like a tail record, with the series id in the header.
    (One copy of the points: the CRC runs over the three columns in turn; a many-key run encodes
    one such record per series at every sync.)"""
    s, v, t = (np.ascontiguousarray(step, np.int64).data, np.ascontiguousarray(value, np.float64).data,
               np.ascontiguousarray(time, np.int64).data)
    crc = zlib.crc32(t, zlib.crc32(v, zlib.crc32(s)))
    return b"".join((SHARED_HEADER.pack(SHARED_MAGIC, int(sid), len(step), int(base), crc), s, v, t))


class SharedTail:
    """A parsed shared tail file: an index of its records by series, payloads checked on use.

    Building the index reads only the headers (stopping at the first record that is not whole or
    has a bad magic); :meth:`records` checks the CRC of one series' records, and a series' records
    stop at its first bad one. Cost: O(records) header reads once, then O(points) per series read.
    """

    def __init__(self, data: bytes, path: str = ""):
        self.data = data
        self.path = path
        self.index: dict = {}
        self.cuts: list[Cut] = []  # what was left out: the file's torn end, each series' bad record
        pos, size, h = 0, len(data), SHARED_HEADER.size
        while pos < size:
            if pos + h > size:
                self.cuts.append(Cut(path, pos, size - pos, "header cut short"))
                break
            magic, sid, n, base, crc = SHARED_HEADER.unpack_from(data, pos)
            end = pos + h + 24 * n
            if magic != SHARED_MAGIC or end > size:
                self.cuts.append(Cut(path, pos, size - pos, "bad magic" if magic != SHARED_MAGIC else
                                     "record cut short"))
                break
            self.index.setdefault(sid, []).append((base, n, pos + h, crc))
            pos = end

    def records(self, sid: int):
        """Yield ``(base, step, value, time)`` of series ``sid``'s valid records in file order (a bad
        CRC ends them, and is added to :attr:`cuts` once)."""
        mv = memoryview(self.data)
        for base, n, off, crc in self.index.get(sid, ()):
            payload = mv[off:off + 24 * n]
            if zlib.crc32(payload) != crc:
                cut = Cut(self.path, off - SHARED_HEADER.size, SHARED_HEADER.size + 24 * n, f"CRC mismatch (series {sid})")
                if cut not in self.cuts:
                    self.cuts.append(cut)
                return
            yield (base, np.frombuffer(payload, np.int64, n, 0), np.frombuffer(payload, np.float64, n, 8 * n),
                   np.frombuffer(payload, np.int64, n, 16 * n))


def read_shared(path: Path) -> SharedTail:
    """Read and index a shared tail file (missing: no records)."""
    try:
        with open(path, "rb") as f:
            return SharedTail(f.read(), str(path))
    except FileNotFoundError:
        return SharedTail(b"", str(path))


def encode_record(base: int, step: np.ndarray, value: np.ndarray, time: np.ndarray, compress: bool = True) -> bytes:
    """One tail record of these points (compressed unless ``compress`` is False or they are few)."""
    step = np.ascontiguousarray(step, np.int64)
    value = np.ascontiguousarray(value, np.float64)
    time = np.ascontiguousarray(time, np.int64)
    n = len(step)
    if compress and n >= _RAW_MAX:
        buf = np.empty(3 * n, np.int64)
        buf[:n] = step
        buf[1:n] -= step[:-1]  # deltas (wrap-around exact: cumsum undoes them bit for bit)
        buf[n:2 * n] = value.view(np.int64)
        buf[2 * n:] = time
        buf[2 * n + 1:] -= time[:-1]
        data = bytes(_CODEC.encode(buf))
        return ZHEADER.pack(ZMAGIC, n, int(base), zlib.crc32(data), len(data)) + data
    payload = step.tobytes() + value.tobytes() + time.tobytes()
    return HEADER.pack(MAGIC, n, int(base), zlib.crc32(payload)) + payload


def append(path: Path, record: bytes, at: int, durable: bool = True) -> None:
    """Write ``record`` at offset ``at``, the file's last durable size (what the writer vouches
    for), cutting anything beyond it first: a record torn by a failed write or left unsynced by a
    failed fsync never has records appended behind it. A write that fails part-way (a short
    write, then ENOSPC or EIO) is cut back to ``at`` before the error is raised; when even that
    cut fails the error has ``torn=True`` (the next append cuts again). ``durable`` fsyncs (the
    caller usually fsyncs many files together instead). Cost: one write (+ an ftruncate when the
    file is longer than ``at``)."""
    fd = _fs.open_write(path)
    try:
        if os.fstat(fd).st_size != at:
            _fs.truncate_fd(fd, at, path)
        try:
            _fs.pwrite_all(fd, record, at, path)
        except OSError as exc:
            torn = False
            try:
                _fs.truncate_fd(fd, at, path)
            except OSError:
                torn = True
            exc.torn = torn
            raise
        if durable:
            _fs.fsync_fd(fd, path)
    finally:
        os.close(fd)


def rewrite(path: Path, record: bytes, durable: bool = True) -> None:
    write_atomic(path, record, durable)


def parse(data: bytes, cuts: list | None = None, path: str = ""):
    """Yield ``(base, step, value, time)`` for every valid record, stopping at the first bad one
    (whose offset, the bytes left out and the reason are appended to ``cuts`` when given)."""
    pos = 0
    size = len(data)
    h, zh = HEADER.size, ZHEADER.size
    mv = memoryview(data)
    while pos < size:
        why = None
        magic = bytes(mv[pos:pos + 4])
        if magic == MAGIC and pos + h <= size:
            _, n, base, crc = HEADER.unpack_from(data, pos)
            end = pos + h + 24 * n
            if end > size:
                why = "record cut short"
            elif zlib.crc32(mv[pos + h:end]) != crc:
                why = "CRC mismatch"
            else:
                payload = mv[pos + h:end]
                step = np.frombuffer(payload, np.int64, n, 0)
                value = np.frombuffer(payload, np.float64, n, 8 * n)
                time = np.frombuffer(payload, np.int64, n, 16 * n)
        elif magic == ZMAGIC and pos + zh <= size:
            _, n, base, crc, nb = ZHEADER.unpack_from(data, pos)
            end = pos + zh + nb
            if end > size:
                why = "record cut short"
            elif zlib.crc32(mv[pos + zh:end]) != crc:
                why = "CRC mismatch"
            else:
                buf = np.empty(3 * n, np.int64)
                try:
                    _CODEC.decode(mv[pos + zh:end], out=buf)
                except Exception:  # noqa: BLE001 - a damaged buffer with a matching CRC: still a cut
                    why = "payload cannot be decoded"
                else:
                    step, value, time = np.cumsum(buf[:n]), buf[n:2 * n].view(np.float64), np.cumsum(buf[2 * n:])
        elif magic in (MAGIC, ZMAGIC) or (size - pos < 4 and (MAGIC + ZMAGIC).find(magic) >= 0):
            why = "header cut short"
        else:
            why = "bad magic"
        if why is not None:
            if cuts is not None:
                cuts.append(Cut(str(path), pos, size - pos, why))
            return
        yield base, step, value, time
        pos = end


def record_spans(data: bytes) -> list[tuple[int, int]]:
    """``(start, end)`` byte offsets of each valid record (fsck and tests cut files at them)."""
    spans, pos = [], 0
    for _ in parse(data):
        magic = bytes(data[pos:pos + 4])
        if magic == ZMAGIC:
            end = pos + ZHEADER.size + ZHEADER.unpack_from(data, pos)[4]
        else:
            end = pos + HEADER.size + 24 * HEADER.unpack_from(data, pos)[1]
        spans.append((pos, end))
        pos = end
    return spans


def read_report(path: Path, start: int):
    """:func:`read` plus the :class:`Cut` list (empty when the file is whole)."""
    cuts: list = []
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        data = b""
    return assemble(parse(data, cuts, str(path)), start), cuts


def read(path: Path, start: int, cuts: list | None = None):
    """Points with raw index ``>= start``, contiguous from ``start``, as (step, value, time).

    Records (or parts) below ``start`` are skipped (already in Zarr chunks). Returns
    ``None`` when the first needed index is missing (the caller's view of the chunk
    count is stale: reload and retry). Missing file: no points. A damaged file gives its
    valid prefix; ``cuts`` (a list) receives a :class:`Cut` for what was left out.
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        data = b""
    return assemble(parse(data, cuts, str(path)), start)


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

