"""Where ringlog's data lives when nobody says: the one definition of the default store root.

``default_root()`` is ``$RINGLOG_DIR`` when that variable is set and not empty, else
``./ringlog_data`` in the current working directory (made absolute when called, so a later
``chdir`` does not move it). The SDK, the CLI, the demo and the viewer all ask this function;
none of them reads ``RINGLOG_DIR`` itself.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "RINGLOG_DIR"
DEFAULT_DIR = "ringlog_data"


def default_root() -> Path:
    """``$RINGLOG_DIR`` if set and not empty, else ``<cwd>/ringlog_data``; see the module docstring."""
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else Path.cwd() / DEFAULT_DIR
