"""Open shards as appended segments: what keeps the bytes PUT per point near the bytes on disk.

A raw shard (``s<sid>/<array>/c/<j>``) grows by appends while open (FORMAT.md, "Shards"). PUTting
the whole file each pass it grew would send its first inner chunk up to 16 times; instead each pass
PUTs only the bytes appended since the last one, as ``c/<j>.seg/<offset, 12 digits>``, after
checking (CRC-32) that the bytes already sent are unchanged (a repaired or rewritten file is sent
again from offset 0, its old segments deleted). A reader assembles the shard from its segments in
offset order (they must be contiguous from 0). A shard stays in segments after it is complete and
after the task is closed: PUTting it whole then would send every byte twice (measured, 2M points
logged: 6.65 bytes PUT per point with that compaction, 3.4 without, ~3.3 on disk), so a sealed shard
costs its readers one GET per segment they read. The bytes of a complete shard (its index found at
its end) go as one segment per inner chunk and one for the index, whichever pass sends them; a reader
of the mirror opens a segmented shard as a file that GETs only the segments it reads (mirror.py), so
reading one inner chunk costs the index and that chunk, not the shard.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

SEG = ".seg/"
_RAW = re.compile(r"^s\d+/(step|value|value64|time)/c/\d+$")
_SEGKEY = re.compile(r"^(.*/c/\d+)\.seg/(\d{12})$")


def is_raw(rel: str) -> bool:
    """Whether ``rel`` (relative to a task folder) is a raw shard (or schema-1 chunk) file."""
    return bool(_RAW.match(rel))


def seg_key(key: str, offset: int) -> str:
    return f"{key}{SEG}{offset:012d}"


def parse(key: str):
    """``(shard key, offset)`` of a segment key, else None."""
    m = _SEGKEY.match(key)
    return (m.group(1), int(m.group(2))) if m else None


def cuts(data: bytes) -> list[int]:
    """Where a *complete* shard's inner chunks and index start (from the index at its end: 16-byte
    ``(offset, nbytes)`` entries, chunks back to back from 0, ending where the index starts); []
    for an open shard (no index) or anything that does not parse as one."""
    for n in (16, 32, 8, 64, 4, 2, 1):  # inner chunks per shard: 16 (FORMAT.md, "Shards") first
        size = 16 * n
        if len(data) <= size:
            continue
        idx = np.frombuffer(data[-size:], "<u8").reshape(n, 2)
        have = idx[idx[:, 0] != np.uint64(2**64 - 1)]
        if not len(have) or int(have[0, 0]) != 0:
            continue
        ends = have[:, 0] + have[:, 1]
        if np.all(have[1:, 0] == ends[:-1]) and int(ends[-1]) == len(data) - size:
            return [int(o) for o in have[:, 0]] + [len(data) - size]
    return []


def put(client, key: str, data: bytes, rec) -> tuple[list, int]:
    """Send the bytes of shard ``key`` not yet sent; ``rec`` = ``[sent, crc of those, offsets]`` or
    None. Returns (the new record, bytes PUT). The bytes of a complete shard go as one segment per
    inner chunk and one for the index, so a reader fetches only the chunks it reads."""
    if rec and len(data) >= rec[0] and zlib.crc32(data[:rec[0]]) == rec[1]:
        sent, _, offs = rec
        if len(data) == sent:
            return rec, 0
    else:
        if rec:
            drop(client, key, rec)
        sent, offs = 0, []
    bounds = [sent] + [c for c in cuts(data) if c > sent] + [len(data)]
    for a, b in zip(bounds, bounds[1:]):
        client.put(seg_key(key, a), data[a:b])
    return [len(data), zlib.crc32(data), offs + bounds[:-1]], len(data) - sent


def drop(client, key: str, rec) -> int:
    """Delete the segments of ``key`` that ``rec`` lists; returns how many."""
    for off in rec[2]:
        client.delete(seg_key(key, off))
    return len(rec[2])


def assemble(get, key: str, offsets) -> bytes:
    """The shard ``key`` from its segments (``get(key) -> bytes``); ValueError if they are not
    contiguous from 0 (a reader then reads what the index vouches for from the valid prefix)."""
    out = bytearray()
    for off in sorted(offsets):
        if off != len(out):
            raise ValueError(f"{key}: segment at {off} does not follow byte {len(out)}")
        out += get(seg_key(key, off))
    return bytes(out)
