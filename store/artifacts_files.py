"""Copying a version's files out of the blob store: to a folder of the user's, or to a local cache.

Each file is copied in 4 MiB chunks to a temp name beside its target, then renamed in, so a
reader of the target folder never sees half a file. A file already at its target with the same
size and sha256 is kept (a second ``download()`` of the same version reads, not writes).
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Optional

from .artifacts_blobs import CHUNK, check_digest, hash_file
from .errors import StoreValueError


def _target(dest: Path, path: str) -> Path:
    parts = path.split("/")
    if not path or path.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in path:
        raise StoreValueError(f"path: a manifest names {path!r}, which is not a relative path; nothing copied")
    return dest.joinpath(*parts)


def download(blobs, manifest: dict, dest, only: Optional[str] = None) -> Path:
    """Copy the files of a version under folder ``dest``; ``only`` copies one file. Returns ``dest``."""
    dest = Path(dest)
    for f in manifest.get("files", ()):
        if only is not None and f["path"] != only:
            continue
        target = _target(dest, f["path"])
        if target.is_file() and target.stat().st_size == f["size"] and hash_file(target)[0] == f["sha256"]:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
        try:
            with blobs.open(check_digest(f["sha256"])) as src, open(tmp, "wb") as out:
                shutil.copyfileobj(src, out, CHUNK)
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    return dest


def local_copy(blobs, cache: Path, manifest: dict) -> Path:
    """A folder holding the files of a version, made once per content digest under ``cache`` (a
    ``.complete`` marker is written last, so a copy cut short by a kill is redone). ``gc`` removes
    copies older than its grace period. Treat it as read-only: it is shared by every caller."""
    d = cache / check_digest(manifest["digest"])
    if (d / ".complete").is_file():
        os.utime(d)  # in use: gc spares it for another grace period
        return d
    download(blobs, manifest, d)
    (d / ".complete").write_bytes(b"")
    return d
