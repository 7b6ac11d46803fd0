"""Access to the store from a request: the one place routes get their data from.

Routes call :func:`store` and :func:`reader`; tests may put any object following the Store
contract (``/work/CONTRACTS.md``) into ``app.config["RINGLOG_STORE"]``.
"""

from __future__ import annotations

import re

from flask import current_app

from .errors import NotFoundError

_TASK_ID = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


def store():
    return current_app.config["RINGLOG_STORE"]


def reader(task_id: str):
    """The TaskReader for ``task_id``; unknown or malformed ids are a 404 (never a 500)."""
    if not _TASK_ID.match(task_id) or task_id.strip(".") == "":
        raise NotFoundError(f"unknown task id {task_id!r}")
    try:
        return store().task(task_id)
    except KeyError as e:
        raise NotFoundError(f"unknown task id {task_id!r}") from e
    except FileNotFoundError as e:
        raise NotFoundError(f"unknown task id {task_id!r}") from e
