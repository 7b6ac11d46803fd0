"""Connects a task writer of a spool root to its bucket: an uploader thread, and the final upload
at close (the writer's ``after_close`` hook). A writer of an ordinary local root gets nothing."""

from __future__ import annotations

import warnings
from typing import Callable, Optional

from . import spool


def attach_uploader(writer, *, timeout: float = 30.0, warn: Optional[Callable[[str], None]] = None):
    """Start uploading ``writer``'s task when its root is a spool; returns the Uploader or None.
    Cost for a local root: one failed file open."""
    root = writer.path.parent.parent
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
    writer.after_close.append(lambda: up.finish(timeout))
    writer.uploader = up
    return up
