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
    """Raised when on-disk data cannot be decoded (a damaged chunk or metadata file)."""


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
