"""The crash ring: a memory-mapped file per writer that holds the points a ``kill -9`` would lose.

FORMAT.md, "Crash ring", is the contract; in short: ``<writer folder>/.crashring.bin`` (the task
folder, or a writer namespace ``w/<label>/``) is a fixed-size file mapped ``MAP_SHARED``. The SDK's
copier thread (``ringlog._engine.crashring``) writes each series' staged points into it as
self-describing records every clock period; the pages belong to the OS page cache, so they outlive
the process (not a power cut: fsync at each flush still bounds that). A table of watermarks (one
slot pair per series) maps the ring's per-series sequence numbers to the store's point indices
after each durable sync, so the next writer of the folder (:mod:`.crashring_replay`) appends
exactly the points the store lacks: nothing twice, nothing out of order.

Costs: a record is 32 bytes of header plus 24 bytes a point; writing one is two ``memcpy``-like
numpy assignments and a ``zlib.crc32`` (which releases the GIL above a few KiB). No numba kernel:
the work is memory bound, and a kernel that compiles on a cold cache would leave the first seconds
of a run uncovered (issue 13, item 1).
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RING_FILE = ".crashring.bin"  # a dot name: the object-store uploader and the mirror skip it
NAMES_FILE = ".crashring.names"
MAGIC = b"RLRING1\0"
VERSION = 1
HEADER = 4096
SLOTS = 65536  # series (local ids) covered: later ones are not copied (their loss window is the flush's)
SLOT = 32
DEFAULT_BYTES = 64 << 20
MIN_BYTES = 1 << 20
MAX_POINTS = 65536  # points per record (a longer run is split)
_HDR = struct.Struct("<8sIIQQQd")  # magic, version, slots, data bytes, nonce, pid, created
_REC = struct.Struct("<4sIIIqQ")  # magic, lid, n, crc, l0 (sequence of the first point), nonce
_REC_MAGIC = b"RLRc"
_REC_BODY = struct.Struct("<IIqQ")  # what the CRC covers before the payload: lid, n, l0, nonce
_WM = struct.Struct("<qqQII")  # L (sequence), N (store index), gen, crc, pad
_WM_BODY = struct.Struct("<qqQQ")  # L, N, gen, nonce


def _data_offset(slots: int) -> int:
    return HEADER + slots * 2 * SLOT


class RingWriter:
    """Writes one ring file (and its names file) in ``folder``; one thread at a time (the caller's
    lock). ``data_bytes``: size of the record area. Creating it replaces a ring left there."""

    def __init__(self, folder: Path, data_bytes: int = DEFAULT_BYTES, slots: int = SLOTS) -> None:
        self.folder = Path(folder)
        self.data_bytes = int(data_bytes) // 8 * 8
        self.slots = slots
        self.nonce = int.from_bytes(os.urandom(8), "little") or 1
        self.base = _data_offset(slots)
        self.head = 0
        self.wraps = 0
        self.written = 0  # points written (counting repeats)
        self._gen: dict[int, int] = {}
        path = self.folder / RING_FILE
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            self._map(fd)
        except BaseException:
            os.close(fd)
            retire(self.folder)  # no ring is better than one the next writer cannot read
            raise
        os.close(fd)
        self._u8 = np.frombuffer(self._mm, dtype=np.uint8)
        _HDR.pack_into(self._mm, 0, MAGIC, VERSION, slots, self.data_bytes, self.nonce, os.getpid(), time.time())
        self._names = os.open(self.folder / NAMES_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
        os.write(self._names, (json.dumps({"format": VERSION, "nonce": self.nonce}) + "\n").encode())

    def _map(self, fd: int) -> None:
        """Allocate the whole file and map it. Allocated up front: a write into a hole of a full disk
        would kill the process (SIGBUS), and blocks allocated during the run would be flushed with
        every fsync of the store (ext4's data=ordered journal), slowing the syncs the ring relies on."""
        os.posix_fallocate(fd, 0, self.base + self.data_bytes)
        self._mm = mmap.mmap(fd, self.base + self.data_bytes, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)

    def name(self, entries: list[tuple[int, str, str]]) -> None:
        """Record the names of new series (``(lid, title, series)``), one write."""
        if entries:
            text = "".join(json.dumps({"lid": lid, "title": t, "series": s}) + "\n" for lid, t, s in entries)
            os.write(self._names, text.encode())

    def mark(self, lid: int, seq: int, index: int) -> None:
        """Watermark: the point of sequence ``seq`` of series ``lid`` is (or will be) the store's point
        ``index`` of that series. Two copies alternate, so a kill mid-update keeps the older one."""
        if lid >= self.slots:
            return
        gen = self._gen.get(lid, 0) + 1
        self._gen[lid] = gen
        crc = zlib.crc32(_WM_BODY.pack(seq, index, gen, self.nonce))
        _WM.pack_into(self._mm, HEADER + (2 * lid + (gen & 1)) * SLOT, seq, index, gen, crc, 0)

    def put(self, lid: int, l0: int, step: np.ndarray, value: np.ndarray, tsec: np.ndarray) -> None:
        """Append points ``l0, l0+1, ...`` of series ``lid`` (int64 steps, float64 values, float64
        unix seconds); wraps to the start of the area when the end is reached."""
        if lid >= self.slots:
            return
        n = len(step)
        for a in range(0, n, MAX_POINTS):
            b = min(n, a + MAX_POINTS)
            self._put(lid, l0 + a, step[a:b], value[a:b], tsec[a:b])

    def _put(self, lid, l0, step, value, tsec) -> None:
        n = len(step)
        size = _REC.size + 24 * n
        if size > self.data_bytes:
            return  # a ring smaller than one record (never with the sizes Settings allows)
        if self.head + size > self.data_bytes:
            self.head = 0
            self.wraps += 1
        o = self.base + self.head
        p = o + _REC.size
        u8 = self._u8
        u8[p:p + 8 * n].view(np.int64)[:] = step
        u8[p + 8 * n:p + 16 * n].view(np.float64)[:] = value
        u8[p + 16 * n:p + 24 * n].view(np.float64)[:] = tsec
        crc = zlib.crc32(u8[p:p + 24 * n], zlib.crc32(_REC_BODY.pack(lid, n, l0, self.nonce)))
        _REC.pack_into(self._mm, o, _REC_MAGIC, lid, n, crc, l0, self.nonce)
        self.head += size
        self.written += n

    def close(self, remove: bool = True) -> None:
        """Unmap; with ``remove`` delete both files (the run closed cleanly: nothing to replay)."""
        if self._mm is None:
            return
        del self._u8
        self._mm.close()
        self._mm = None
        os.close(self._names)
        if remove:
            retire(self.folder)


def retire(folder: Path) -> None:
    """Delete a ring (after its points were replayed and synced, or a clean close)."""
    for name in (RING_FILE, NAMES_FILE):
        try:
            os.unlink(Path(folder) / name)
        except FileNotFoundError:
            pass


@dataclass
class Ring:
    """What a ring file holds: the names, the watermarks and the valid records of each series."""

    nonce: int
    pid: int
    names: dict[int, tuple[str, str]] = field(default_factory=dict)
    marks: dict[int, tuple[int, int]] = field(default_factory=dict)
    records: dict[int, list] = field(default_factory=dict)  # lid -> [(l0, step, value, time)]

    def run(self, lid: int, start: int):
        """The points of ``lid`` from sequence ``start`` on, as far as they are contiguous:
        ``(steps, values, times)`` (empty when the ring does not hold point ``start``)."""
        recs = sorted(self.records.get(lid, ()), key=lambda r: r[0])
        parts, pos = [], start
        while True:
            best = None
            for r in recs:
                if r[0] <= pos < r[0] + len(r[1]) and (best is None or r[0] + len(r[1]) > best[0] + len(best[1])):
                    best = r
            if best is None:
                break
            k = pos - best[0]
            parts.append((best[1][k:], best[2][k:], best[3][k:]))
            pos = best[0] + len(best[1])
        if not parts:
            e = np.empty(0, np.int64)
            return e, e.astype(np.float64), e.astype(np.float64)
        return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))

    def points(self) -> int:
        return sum(len(r[1]) for rs in self.records.values() for r in rs)


def read(folder: Path) -> Ring | None:
    """The ring left in ``folder`` (None when there is none or its header is not a ring's). Records
    are found by their magic at any 8-byte boundary and kept only when their CRC and nonce hold, so
    a record torn by the kill, or half overwritten by a wrap, is left out. Cost: one pass over the
    file (~tens of ms for 64 MiB)."""
    path = Path(folder) / RING_FILE
    try:
        raw = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if len(raw) < HEADER:
        return None
    magic, version, slots, data_bytes, nonce, pid, _created = _HDR.unpack_from(raw, 0)
    base = _data_offset(slots)
    if magic != MAGIC or version != VERSION or len(raw) < base + data_bytes or slots > 1 << 24:
        return None
    ring = Ring(nonce, pid)
    _read_names(Path(folder) / NAMES_FILE, ring)
    for lid in range(slots):
        best = None
        for c in (0, 1):
            o = HEADER + (2 * lid + c) * SLOT
            if raw[o:o + SLOT] == bytes(SLOT):
                continue
            seq, index, gen, crc, _ = _WM.unpack_from(raw, o)
            if zlib.crc32(_WM_BODY.pack(seq, index, gen, nonce)) == crc and (best is None or gen > best[0]):
                best = (gen, seq, index)
        if best is not None:
            ring.marks[lid] = best[1:]
        if lid > max(ring.names, default=-1) and lid > max(ring.marks, default=-1) + 64:
            break  # past every named series: the rest of the table is untouched
    data = np.frombuffer(raw, dtype=np.uint8, count=data_bytes, offset=base)
    words = data[: data_bytes // 8 * 8].view(np.uint32)[::2]
    want = np.frombuffer(_REC_MAGIC, dtype=np.uint32)[0]
    for i in np.flatnonzero(words == want):
        o = int(i) * 8
        if o + _REC.size > data_bytes:
            continue
        _, lid, n, crc, l0, rnonce = _REC.unpack_from(data, o)
        p = o + _REC.size
        if rnonce != nonce or n == 0 or n > MAX_POINTS or p + 24 * n > data_bytes:
            continue
        if zlib.crc32(data[p:p + 24 * n], zlib.crc32(_REC_BODY.pack(lid, n, l0, nonce))) != crc:
            continue
        ring.records.setdefault(lid, []).append((l0, data[p:p + 8 * n].view(np.int64).copy(),
                                                 data[p + 8 * n:p + 16 * n].view(np.float64).copy(),
                                                 data[p + 16 * n:p + 24 * n].view(np.float64).copy()))
    return ring


def _read_names(path: Path, ring: Ring) -> None:
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return
    for i, line in enumerate(lines):
        try:
            d = json.loads(line)
        except ValueError:
            continue  # a line torn by the kill
        if i == 0:
            if d.get("nonce") != ring.nonce:
                return  # names of another ring (a new run truncated one file, then was killed)
            continue
        if isinstance(d, dict) and isinstance(d.get("lid"), int) and isinstance(d.get("title"), str) \
                and isinstance(d.get("series"), str):
            ring.names[d["lid"]] = (d["title"], d["series"])
