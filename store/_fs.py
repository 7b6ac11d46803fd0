"""Small filesystem helpers: atomic replace, fsync, names that are safe as folders.

Every write-path syscall of the store (write, pwrite, ftruncate, fsync, rename) goes through
:data:`SYS`, one table, so :mod:`ringlog.store.faults` can make the n-th call fail (a short write
then ENOSPC, EIO on fsync) and the fault tests cover every call. Errors are raised as
:class:`~ringlog.store.errors.StoreWriteError` (an ``OSError`` keeping ``errno``), never swallowed:
an fsync that failed may have dropped the dirty pages, so a later fsync's success proves nothing
(the callers re-write from their staged copy instead).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
from pathlib import Path

from .errors import StoreWriteError

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


class _Sys:
    """The write path's syscalls (see the module docstring); attributes are replaced by fault tests."""

    write = staticmethod(os.write)
    pwrite = staticmethod(os.pwrite)
    ftruncate = staticmethod(os.ftruncate)
    fsync = staticmethod(os.fsync)
    replace = staticmethod(os.replace)


SYS = _Sys()
_NO_DIR_FSYNC = {getattr(errno, n) for n in ("EINVAL", "ENOTSUP", "EOPNOTSUPP", "EBADF") if hasattr(errno, n)}


def write_error(exc: OSError, what: str, path) -> StoreWriteError:
    """A :class:`StoreWriteError` for ``exc`` (keeps errno), naming what failed and where."""
    if isinstance(exc, StoreWriteError):
        return exc
    err = StoreWriteError(exc.errno, f"{what} failed: {exc.strerror or exc}", str(path))
    err.__cause__ = exc
    return err


def write_all(fd: int, data, path) -> None:
    """Write every byte of ``data`` at ``fd``'s position (loops over short writes)."""
    view = memoryview(data)
    try:
        while view:
            k = SYS.write(fd, view)
            if k <= 0:
                raise OSError(errno.EIO, "write returned 0")
            view = view[k:]
    except OSError as exc:
        raise write_error(exc, "write", path) from exc


def pwrite_all(fd: int, data, offset: int, path) -> None:
    """Write every byte of ``data`` at ``offset`` (loops over short writes)."""
    view = memoryview(data)
    try:
        while view:
            k = SYS.pwrite(fd, view, offset)
            if k <= 0:
                raise OSError(errno.EIO, "pwrite returned 0")
            view, offset = view[k:], offset + k
    except OSError as exc:
        raise write_error(exc, "write", path) from exc


def truncate_fd(fd: int, size: int, path) -> None:
    try:
        SYS.ftruncate(fd, size)
    except OSError as exc:
        raise write_error(exc, "truncate", path) from exc


def fsync_fd(fd: int, path) -> None:
    try:
        SYS.fsync(fd)
    except OSError as exc:
        raise write_error(exc, "fsync", path) from exc


def fsync_path(path) -> None:
    """fsync a file or a folder by path; a file that no longer exists needs none (a removed float32
    value array). A folder whose filesystem cannot fsync folders (EINVAL) is skipped; any other
    error is raised."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise write_error(exc, "open for fsync", path) from exc
    try:
        SYS.fsync(fd)
    except OSError as exc:
        if not (exc.errno in _NO_DIR_FSYNC and os.path.isdir(path)):
            raise write_error(exc, "fsync", path) from exc
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """fsync a directory so a rename inside it survives power loss. Raises a StoreWriteError on
    failure (skipped only where the filesystem cannot fsync folders)."""
    fsync_path(path)


def replace(src, dst) -> None:
    try:
        SYS.replace(src, dst)
    except OSError as exc:
        raise write_error(exc, "rename", dst) from exc


def open_write(path, flags: int = 0) -> int:
    """``os.open`` for writing (creating the file), errors typed."""
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | flags, 0o644)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise write_error(exc, "open", path) from exc


def makedirs(path) -> None:
    """``mkdir -p``, errors typed (a full disk can refuse a new folder)."""
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise write_error(exc, "mkdir", path) from exc


def write_atomic(path: Path, data: bytes, durable: bool = True) -> None:
    """Write ``data`` to a temp file beside ``path`` and rename it in.

    Readers see the old or the new content, never a mix. ``durable`` fsyncs the file before the
    rename (the caller fsyncs the folder). On any error the temp file is removed and the old
    content stays. Cost: one file write (+ fsync).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = open_write(tmp, os.O_TRUNC)
    try:
        try:
            write_all(fd, data, tmp)
            if durable:
                fsync_fd(fd, tmp)
        finally:
            os.close(fd)
        replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_json_atomic(path: Path, obj, durable: bool = True) -> None:
    write_atomic(path, json.dumps(obj, separators=(",", ":"), allow_nan=True, default=str).encode("utf-8"),
                 durable)


#: called with a path that does not exist before :func:`open_rb` gives up: an object-store root's read
#: cache (store/objstore/mirror.py) fetches immutable chunk objects on first read; True when it did,
#: or a binary file object (seek/tell/read) that fetches the parts of the file that are read
ON_MISSING = []


def open_rb(path):
    """``open(path, "rb")`` for chunk files; a missing file is first offered to :data:`ON_MISSING`."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        for fetch in ON_MISSING:
            got = fetch(path)
            if got is True:
                return open(path, "rb")
            if got:
                return got
        raise


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
