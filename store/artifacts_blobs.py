"""Content-addressed blobs of the artifact store: one file per distinct content, named by its sha256.

:class:`LocalBlobs` is the only implementation today; :class:`ArtifactStore` talks to it through
the small :class:`BlobBackend` surface (``has / put_file / put_bytes / open / local_path / size /
delete / digests / touch``) so that an object-store root (issue 17) can plug in a backend that
keeps the same keys under a bucket prefix without touching the manifest logic.

Layout: ``<root>/.artifacts/blobs/<first 2 hex>/<64 hex>``; writes go to
``<root>/.artifacts/tmp/`` first (same filesystem), are fsynced, then renamed in, so a blob path
either holds its whole content or does not exist. A file is streamed in 4 MiB chunks: hashing and
copying a multi-GB checkpoint holds one chunk in memory. A file whose content is already stored
is read once (hashed) and not copied again; its blob's mtime is refreshed so a concurrent ``gc``
(which spares blobs younger than its grace period) cannot remove it before the manifest lands.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import BinaryIO, Iterator, Protocol

from . import _fs
from .errors import StoreValueError

CHUNK = 4 << 20
_HEX = re.compile(r"^[0-9a-f]{64}$")


def check_digest(digest: str) -> str:
    """``digest`` if it is 64 lowercase hex digits; a StoreValueError naming it otherwise (paths are
    built from it, so nothing else may reach the filesystem)."""
    if not isinstance(digest, str) or not _HEX.match(digest):
        raise StoreValueError(f"digest: must be 64 lowercase hex digits (sha256), given {digest!r}")
    return digest


def hash_file(path: Path) -> tuple[str, int]:
    """sha256 hex and size of a file, read in chunks (bounded memory)."""
    h = hashlib.sha256()
    n = 0
    with open(path, "rb") as f:
        while True:
            block = f.read(CHUNK)
            if not block:
                break
            h.update(block)
            n += len(block)
    return h.hexdigest(), n


class BlobBackend(Protocol):
    """What the artifact store needs of a blob backend (local folder today, a bucket later)."""

    def has(self, digest: str) -> bool: ...
    def put_file(self, src: Path) -> tuple[str, int]: ...
    def put_bytes(self, data: bytes) -> tuple[str, int]: ...
    def open(self, digest: str) -> BinaryIO: ...
    def local_path(self, digest: str) -> Path: ...
    def size(self, digest: str) -> int: ...
    def delete(self, digest: str) -> int: ...
    def digests(self) -> Iterator[tuple[str, int, float]]: ...
    def touch(self, digest: str) -> None: ...


class LocalBlobs:
    """Blobs in a local folder (see the module docstring). ``durable`` fsyncs each blob and its folder."""

    def __init__(self, base: Path, durable: bool = True) -> None:
        self.base = Path(base)
        self.blobs = self.base / "blobs"
        self.tmp = self.base / "tmp"
        self.durable = durable

    def path(self, digest: str) -> Path:
        check_digest(digest)
        return self.blobs / digest[:2] / digest

    def has(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def touch(self, digest: str) -> None:
        try:
            os.utime(self.path(digest))
        except OSError:
            pass

    def _tmp_fd(self) -> tuple[int, Path]:
        _fs.makedirs(self.tmp)
        tmp = self.tmp / f"{os.getpid()}-{uuid.uuid4().hex}.part"
        return _fs.open_write(tmp, os.O_EXCL), tmp

    def _install(self, tmp: Path, digest: str) -> None:
        dst = self.path(digest)
        if dst.is_file():  # stored meanwhile (another task, another thread): keep the first
            os.unlink(tmp)
            self.touch(digest)
            return
        _fs.makedirs(dst.parent)
        _fs.replace(tmp, dst)
        if self.durable:
            _fs.fsync_dir(dst.parent)

    def put_file(self, src: Path) -> tuple[str, int]:
        """Store the content of ``src``; returns (sha256 hex, size). Streams; copies only new content."""
        digest, size = hash_file(src)
        if self.has(digest):
            self.touch(digest)
            return digest, size
        fd, tmp = self._tmp_fd()
        h = hashlib.sha256()
        size = 0
        try:
            try:
                with open(src, "rb") as f:
                    while True:
                        block = f.read(CHUNK)
                        if not block:
                            break
                        h.update(block)
                        size += len(block)
                        _fs.write_all(fd, block, tmp)
                if self.durable:
                    _fs.fsync_fd(fd, tmp)
            finally:
                os.close(fd)
            self._install(tmp, h.hexdigest())  # the copy's own hash: right even if src changed meanwhile
        except BaseException:
            _unlink(tmp)
            raise
        return h.hexdigest(), size

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        digest = hashlib.sha256(data).hexdigest()
        if self.has(digest):
            self.touch(digest)
            return digest, len(data)
        fd, tmp = self._tmp_fd()
        try:
            try:
                _fs.write_all(fd, data, tmp)
                if self.durable:
                    _fs.fsync_fd(fd, tmp)
            finally:
                os.close(fd)
            self._install(tmp, digest)
        except BaseException:
            _unlink(tmp)
            raise
        return digest, len(data)

    def open(self, digest: str) -> BinaryIO:
        return open(self.path(digest), "rb")

    def local_path(self, digest: str) -> Path:
        return self.path(digest)

    def size(self, digest: str) -> int:
        return self.path(digest).stat().st_size

    def delete(self, digest: str) -> int:
        p = self.path(digest)
        try:
            n = p.stat().st_size
            p.unlink()
        except FileNotFoundError:
            return 0
        return n

    def digests(self) -> Iterator[tuple[str, int, float]]:
        """(digest, size, mtime) of every stored blob."""
        if not self.blobs.is_dir():
            return
        for sub in self.blobs.iterdir():
            if not sub.is_dir():
                continue
            for p in sub.iterdir():
                if _HEX.match(p.name):
                    try:
                        st = p.stat()
                    except FileNotFoundError:
                        continue
                    yield p.name, st.st_size, st.st_mtime

    def clean_tmp(self, older_than: float) -> int:
        """Remove temp files of interrupted writes older than ``older_than`` seconds; returns the count."""
        n = 0
        if not self.tmp.is_dir():
            return 0
        cutoff = time.time() - older_than
        for p in self.tmp.iterdir():
            try:
                if p.stat().st_mtime < cutoff:
                    if p.is_dir():  # an SDK's serialization folder left by a killed process
                        shutil.rmtree(p, ignore_errors=True)
                    else:
                        p.unlink()
                    n += 1
            except FileNotFoundError:
                continue
        return n


def _unlink(p: Path) -> None:
    try:
        os.unlink(p)
    except OSError:
        pass
