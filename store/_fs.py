"""Small filesystem helpers: atomic replace, fsync, names that are safe as folders."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def project_dir_name(project: str) -> str:
    """Folder name of a project: a readable slug, plus a short hash when the slug is not the name.

    The hash keeps distinct names distinct ("a b" and "a_b" would share a slug). Never
    starts with "." (the root keeps its own files such as ``.reports``).
    """
    slug = _SAFE.sub("-", project).strip("-.")[:60] or "project"
    if slug != project:
        slug = f"{slug}-{hashlib.sha1(project.encode('utf-8')).hexdigest()[:8]}"
    return slug


def fsync_dir(path: Path) -> None:
    """fsync a directory so a rename inside it survives power loss (no-op where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, durable: bool = True) -> None:
    """Write ``data`` to a temp file beside ``path`` and ``os.replace`` it in.

    Readers see the old or the new content, never a mix. ``durable`` fsyncs the
    file before the rename. Cost: one file write (+ fsync).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        if durable:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)


def write_json_atomic(path: Path, obj, durable: bool = True) -> None:
    write_atomic(path, json.dumps(obj, separators=(",", ":"), allow_nan=True, default=str).encode("utf-8"),
                 durable)


def read_json(path: Path):
    with open(path, "rb") as f:
        return json.loads(f.read())


_libc = None


def syncfs(path: Path) -> bool:
    """Flush the whole filesystem holding ``path`` with one ``syncfs(2)`` (Linux).

    Returns False where unavailable or on error (the caller then fsyncs file by file,
    which reports the error). Cheaper than thousands of fsyncs (measured here: 5,000
    small tail files 0.5 s by fsync on 8 threads, 0.04 s by syncfs), but it also
    writes back other processes' dirty data on that filesystem, so use it only for
    large batches.
    """
    global _libc
    try:
        if _libc is None:
            import ctypes

            _libc = ctypes.CDLL(None, use_errno=True)
        fn = _libc.syncfs
    except (OSError, AttributeError):
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        return fn(fd) == 0
    finally:
        os.close(fd)
