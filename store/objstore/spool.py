"""The local spool of an object-store root: where a writer's points go first.

A root ``s3://bucket/prefix`` is written through a spool folder, an ordinary local store root
(same files, same fsyncs, same crash safety), ``$RINGLOG_SPOOL/<slug>-<hash>`` (default
``~/.cache/ringlog/spool``). The spool's ``.remote`` file names its URL, so ``ringlog sync`` and
the next run on the machine know where a killed run's files go; ``.spool-root`` tells a spool from
a local root that ``ringlog sync`` once marked with ``.remote``. ``.spool/<task id>.json`` records
what was uploaded (file -> size and mtime), which makes every upload pass resumable and idempotent.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Optional

from .. import _fs

SPOOL_ENV = "RINGLOG_SPOOL"
CACHE_ENV = "RINGLOG_CACHE"
REMOTE_FILE = ".remote"
SPOOL_MARK = ".spool-root"  # only in real spools: a local root once synced up has .remote, not this
STATE_DIR = ".spool"


def _base(env: str, leaf: str) -> Path:
    v = os.environ.get(env)
    if v:
        return Path(v).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "ringlog" / leaf


def _slug(url: str) -> str:
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or ""
    h = hashlib.sha1(f"{endpoint}|{url.rstrip('/')}".encode()).hexdigest()[:10]
    return f"{re.sub(r'[^A-Za-z0-9._-]+', '-', url.split('://', 1)[-1]).strip('-.')[:60]}-{h}"


def spool_for(url: str) -> Path:
    """The spool folder of ``url`` on this machine (not created here)."""
    return _base(SPOOL_ENV, "spool") / _slug(url)


def cache_for(url: str) -> Path:
    """The read cache (a local mirror) of ``url`` on this machine (not created here)."""
    return _base(CACHE_ENV, "cache") / _slug(url)


def remote_of(root) -> Optional[str]:
    """The URL a spool folder uploads to, or None for an ordinary local root."""
    try:
        return (Path(root) / REMOTE_FILE).read_text().strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def is_spool(root) -> bool:
    """Whether ``root`` is a spool (made by :func:`spool_root`), not a local root synced up once:
    only a spool's reports and artifacts live in the bucket, only a spool is pruned."""
    try:
        return (Path(root) / SPOOL_MARK).is_file() and remote_of(root) is not None
    except OSError:
        return False


def mark(root: Path, url: str) -> None:
    """Record ``url`` in the spool ``root`` (once)."""
    if remote_of(root) != url:
        _fs.makedirs(root)
        _fs.write_atomic(Path(root) / REMOTE_FILE, url.encode(), durable=True)


def state_path(root: Path, task_id: str) -> Path:
    return Path(root) / STATE_DIR / f"{task_id}.json"


def load_state(root: Path, task_id: str) -> dict:
    try:
        st = json.loads(state_path(root, task_id).read_text())
        return st if isinstance(st, dict) and isinstance(st.get("files"), dict) else {"files": {}}
    except (OSError, ValueError):
        return {"files": {}}


def save_state(root: Path, task_id: str, state: dict) -> None:
    _fs.makedirs(Path(root) / STATE_DIR)
    _fs.write_json_atomic(state_path(root, task_id), state, durable=False)  # lost: files upload again


def spool_root(url: str) -> Path:
    """The local root that stands for ``url`` when writing: its spool, marked with the URL.
    ValueError naming ``root`` for a malformed URL."""
    from .client import load_backend, split

    split(url)
    load_backend()
    root = spool_for(url)
    try:
        mark(root, url.rstrip("/"))
        if not (root / SPOOL_MARK).is_file():
            _fs.write_atomic(root / SPOOL_MARK, b"", durable=False)
    except OSError:  # unwritable: the store's own write reports it, with its retry and warning
        pass
    return root
