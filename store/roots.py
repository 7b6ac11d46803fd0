"""Where ringlog's data lives when nobody says: the one definition of the default store root.

``default_root()`` is ``$RINGLOG_DIR`` when that variable is set and not empty, else
``./ringlog_data`` in the current working directory (made absolute when called, so a later
``chdir`` does not move it). The SDK, the CLI, the demo and the viewer all ask this function;
none of them reads ``RINGLOG_DIR`` itself.

An object-store URL (``s3://bucket/prefix``) as a root stands for its local spool when writing
(:func:`local_root`; store/objstore/spool.py): the writer's files go there first, then to the bucket.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "RINGLOG_DIR"
DEFAULT_DIR = "ringlog_data"


def default_root() -> Path:
    """``$RINGLOG_DIR`` if set and not empty, else ``<cwd>/ringlog_data``; see the module docstring."""
    env = os.environ.get(ENV_VAR)
    return local_root(env) if env else Path.cwd() / DEFAULT_DIR


def local_root(root) -> Path:
    """``root`` as a local folder: itself, or the spool of an object-store URL (``s3://...``)."""
    if isinstance(root, str) and "://" in root:
        from .objstore import uploader  # noqa: F401 - loaded on the caller's thread, not by a writer's
        from .objstore.spool import spool_root  # deferred: only object-store roots need them

        return spool_root(root)
    return Path(root)
