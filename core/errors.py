"""Errors raised by ringlog.core.

Every class also subclasses the matching stdlib type, so callers that catch
``ValueError``/``TypeError`` keep working. Messages name the argument, the rule
and what was given.
"""

from __future__ import annotations


class CoreError(Exception):
    """Base class of every error raised by ringlog.core."""


class CoreValueError(CoreError, ValueError):
    """Raised when an argument has the right type but a value that breaks a rule
    (wrong length, unsorted x, bad n_out, negative capacity)."""


class CoreTypeError(CoreError, TypeError):
    """Raised when an argument has the wrong type or dtype (e.g. a complex y, a 2-D array)."""


def bad_value(argument: str, rule: str, given: object) -> CoreValueError:
    """Build a :class:`CoreValueError` whose message names argument, rule and given value."""
    return CoreValueError(f"{argument}: {rule} (given: {_short(given)})")


def bad_type(argument: str, rule: str, given: object) -> CoreTypeError:
    """Build a :class:`CoreTypeError` whose message names argument, rule and given value."""
    return CoreTypeError(f"{argument}: {rule} (given: {_short(given)})")


def _short(given: object) -> str:
    text = repr(given)
    return text if len(text) <= 80 else text[:77] + "..."
