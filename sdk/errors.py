"""Errors raised by the ringlog SDK (the ``ringlog`` package itself).

Every class also subclasses the matching stdlib type, so code that catches
``ValueError``/``TypeError`` keeps working. Messages name the argument, the
rule and what was given. In the default (lenient) mode the SDK turns these
into one warning per kind and skips the bad point; ``strict=True`` raises them.
"""

from __future__ import annotations


class LoggingError(Exception):
    """Base class of every error the SDK raises about what was logged."""


class LoggingValueError(LoggingError, ValueError):
    """Raised (strict mode) when an argument has an acceptable type but a bad value:
    an empty title or key, a step lower than the current W&B step."""


class LoggingTypeError(LoggingError, TypeError):
    """Raised (strict mode) when an argument has the wrong type: a non-numeric
    value, a non-string title, a non-integer iteration."""


class RingFullError(LoggingError, BufferError):
    """Raised with ``Settings(on_full="raise")`` when more points are waiting
    than the flusher has written; the point of the raising call was not kept."""


class RunFinishedError(LoggingError, RuntimeError):
    """Raised (strict mode) when logging into a run or task that was finished."""


class LoggingWarning(UserWarning):
    """Category of the single warning the lenient mode emits per kind of bad input."""


def short(given: object, limit: int = 80) -> str:
    """``repr`` of ``given`` cut to ``limit`` characters, for error messages."""
    try:
        text = repr(given)
    except Exception:  # a user object whose __repr__ fails must not hide the real error
        text = f"<{type(given).__name__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def type_error(argument: str, rule: str, given: object) -> LoggingTypeError:
    """Build a :class:`LoggingTypeError` naming argument, rule and given value."""
    return LoggingTypeError(f"{argument}: {rule} (given: {short(given)} of type {type(given).__name__})")


def value_error(argument: str, rule: str, given: object) -> LoggingValueError:
    """Build a :class:`LoggingValueError` naming argument, rule and given value."""
    return LoggingValueError(f"{argument}: {rule} (given: {short(given)})")
