"""Errors raised by ringlog.store.

Every class also subclasses the matching stdlib type, so callers catching
``KeyError``/``ValueError``/``TypeError``/``OSError`` keep working. Messages name
the argument, the rule and what was given.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every error raised by ringlog.store."""


class TaskNotFoundError(StoreError, KeyError):
    """Raised when a task id names no task under the store root."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class SeriesNotFoundError(StoreError, KeyError):
    """Raised when a task holds no series with the given (title, series)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class MediaNotFoundError(StoreError, FileNotFoundError):
    """Raised when a media record id names no kept sample, or its file may not be served (remote,
    outside the task's media folder, or missing)."""


class StoreValueError(StoreError, ValueError):
    """Raised when an argument has the right type but breaks a rule (length, range, name)."""


class StoreTypeError(StoreError, TypeError):
    """Raised when an argument has the wrong type or dtype."""


class CorruptStoreError(StoreError, OSError):
    """Raised (or listed in ``TaskReader.problems`` and ``ringlog fsck``'s report) when a store file
    cannot be read or decoded: a damaged chunk, shard, tail or metadata file. ``filename`` names the
    file (OSError's attribute); the message says what is wrong with it."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def corrupt(path, what: str, cause: BaseException | None = None) -> CorruptStoreError:
    """A :class:`CorruptStoreError` naming ``path``: ``"<path>: <what> (<cause>)"``."""
    msg = f"{path}: {what}" + (f" ({type(cause).__name__}: {cause})" if cause is not None else "")
    e = CorruptStoreError(msg)
    e.filename = str(path)
    return e


class TaskLockedError(StoreValueError):
    """Raised when a task is already open for writing (one writer per task): the ``task_id`` given
    names a task another writer (process, or writer in this process) holds. ``holder`` is what that
    writer recorded: ``pid``, ``host``, ``start``, ``opened``, ``heartbeat``."""

    def __init__(self, message: str, holder: dict | None = None):
        super().__init__(message)
        self.holder = dict(holder or {})


class StoreWriteError(StoreError, OSError):
    """Raised when a write, truncate, rename or fsync of the store fails (disk full, I/O error); ``errno``
    is the cause's. Nothing acknowledged is lost and the writer holds what it has not synced: retry."""


class TaskClosedError(StoreError, RuntimeError):
    """Raised when writing to a TaskWriter after close()."""


def _short(given: object) -> str:
    text = repr(given)
    return text if len(text) <= 80 else text[:77] + "..."


def bad_value(argument: str, rule: str, given: object) -> StoreValueError:
    """A :class:`StoreValueError` naming argument, rule and given value."""
    return StoreValueError(f"{argument}: {rule} (given: {_short(given)})")


def bad_type(argument: str, rule: str, given: object) -> StoreTypeError:
    """A :class:`StoreTypeError` naming argument, rule and given value."""
    return StoreTypeError(f"{argument}: {rule} (given: {_short(given)})")
