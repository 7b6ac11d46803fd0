"""What damaged raw and pyramid chunks look like to the readers (store/series_reader.py).

:class:`ChunkDamaged` names a chunk that cannot be read or decoded (readers narrow a series to
what is intact: ``SeriesReader.degrade``); :func:`index_ok` and :func:`walk_shard` let a reader
(and ``ringlog fsck --repair``) find a complete shard's inner chunks by their Blosc headers when
its end-of-shard index is damaged, or hidden by bytes appended after it (they lie back to back
from offset 0, FORMAT.md "Shards").
"""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

import numpy as np

from . import shards
from .errors import CorruptStoreError
from .layout import CHUNK

MAX_CHUNK_BYTES = CHUNK * 8 + 4096  # an encoded raw chunk is never larger (Blosc adds a small header)


class ChunkDamaged(CorruptStoreError):
    """A raw chunk (``level`` 0) or a level-``level`` pyramid chunk ``chunk`` cannot be read or decoded.
    :meth:`SeriesReader.degrade` narrows the reader to what is still intact."""

    def __init__(self, path, level: int, chunk: int, cause: BaseException):
        super().__init__(f"{path}: {'raw' if level == 0 else f'level-{level}'} chunk {chunk} cannot be read "
                         f"({type(cause).__name__}: {cause})")
        self.filename = str(path)
        self.level, self.chunk = level, chunk


def index_ok(idx: np.ndarray) -> bool:
    """Whether a complete shard's index is what the writer writes: chunks back to back from offset
    0, then only absent ones."""
    at, absent = 0, False
    for off, nb in idx.tolist():
        if off == int(shards.EMPTY) and nb == int(shards.EMPTY):
            absent = True
            continue
        if absent or off != at or not 0 < nb <= MAX_CHUNK_BYTES:
            return False
        at += nb
    return True


def walk_shard(path: Path, shard: int) -> np.ndarray:
    """A shard's index rebuilt from the Blosc headers of its inner chunks (they lie back to back from
    offset 0): for a shard whose index was damaged, or hidden by bytes appended after it."""
    idx = np.full((shard, 2), shards.EMPTY, np.uint64)
    try:
        data = path.read_bytes()
    except OSError:
        return idx
    pos = 0
    for i in range(shard):
        if pos + 16 > len(data):
            break
        version, _, _, typesize, nbytes, _, cbytes = struct.unpack_from("<BBBBIII", data, pos)
        if version == 0 or typesize not in (4, 8) or nbytes != typesize * CHUNK or not 16 < cbytes <= \
                MAX_CHUNK_BYTES or pos + cbytes > len(data):
            break
        idx[i] = (pos, cbytes)
        pos += cbytes
    return idx


CORRUPT_CODES = {"SQLITE_CORRUPT", "SQLITE_NOTADB"}


def catalog_empty(path: Path, timeout: float) -> bool:
    """Whether the catalog file is a sound SQLite database with no table at all (one another
    process has just created, before its schema, or a file emptied to zero bytes)."""
    try:
        con = sqlite3.connect(Path(path).absolute().as_uri() + "?mode=ro", uri=True, timeout=timeout)
        try:
            return con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
        finally:
            con.close()
    except sqlite3.Error:
        return False


def catalog_check(path: Path, timeout: float) -> str | None:
    """None when the catalog file at ``path`` is sound (or absent), else what is wrong with it
    (``PRAGMA quick_check`` and the two tables' columns; a locked or busy file is not damage)."""
    if path.is_dir():
        return "is a folder"
    if not path.exists():
        return None
    try:
        con = sqlite3.connect(Path(path).absolute().as_uri() + "?mode=ro", uri=True, timeout=timeout)
    except sqlite3.Error as exc:
        return f"cannot be opened ({exc})"
    try:
        rows = con.execute("PRAGMA quick_check").fetchall()
        if rows != [("ok",)]:
            return "quick_check: " + "; ".join(str(r[0]) for r in rows[:5])
        if con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
            return None  # an empty database: one being created by another process (or emptied): no damage
        cols = {r[1] for r in con.execute("PRAGMA table_info(tasks)")}
        if not {"id", "project", "name", "status", "tags", "created", "updated", "summary", "config",
                "path"} <= cols:
            return "has no tasks table of the expected shape"
        if not {r[1] for r in con.execute("PRAGMA table_info(metrics)")} >= {"task_id", "key", "value"}:
            return "has no metrics table of the expected shape"
    except sqlite3.OperationalError as exc:
        if getattr(exc, "sqlite_errorname", "") in CORRUPT_CODES:
            return str(exc)
        return None  # locked/busy: not known to be damaged
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        con.close()
    return None
