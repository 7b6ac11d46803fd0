"""Connects a task writer of a spool root to its bucket: an uploader thread, and the final upload
at close (the writer's ``after_close`` hook). Called by every TaskWriter (a new task, a resumed one,
a writer namespace of a shared task); a writer of an ordinary local root gets nothing."""

from __future__ import annotations

import warnings
from typing import Callable, Optional

from . import spool
from .upload import unit_root


def attach_uploader(writer, *, timeout: Optional[float] = None, warn: Optional[Callable[[str], None]] = None):
    """Start uploading ``writer``'s task when its root is a spool; returns the Uploader or None.
    Cost for a local root: one failed file open."""
    root = unit_root(writer.path)
    url = spool.remote_of(root)
    if url is None:
        return None
    from .client import Client
    from .uploader import Uploader

    try:
        up = Uploader(Client(url), root, writer.path, lock=writer._lock, warn=warn).start()
    except Exception as exc:  # noqa: BLE001 - no obstore, a bad URL: the points stay safe in the spool
        msg = (f"ringlog: cannot upload to {url} ({type(exc).__name__}: {exc}); the task is written to the "
               f"spool {root} only: `ringlog sync {root} {url}` uploads it later")
        (warn or (lambda m: warnings.warn(m, RuntimeWarning, stacklevel=3)))(msg)
        return None
    if timeout is None:
        timeout = _finish_timeout()
    writer.after_close.append(lambda: up.finish(timeout))
    writer.uploader = up
    return up


def _finish_timeout() -> float:
    """``$RINGLOG_UPLOAD_FINISH_TIMEOUT`` (s), default 30: how long a writer's close waits for the
    last upload (the SDK's finish() waits for the close within its own finish_timeout)."""
    import os

    try:
        return max(0.0, float(os.environ.get("RINGLOG_UPLOAD_FINISH_TIMEOUT", "30")))
    except ValueError:
        return 30.0
