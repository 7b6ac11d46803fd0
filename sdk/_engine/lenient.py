"""Bad input in media constructors follows the current run's mode.

``ringlog.Image(bad_array)`` runs before ``ringlog.log`` sees it, so the constructor itself asks:
with a current run in the default (lenient) mode the mistake becomes that run's one warning per
kind and the object is marked invalid (``log`` then skips it: nothing written); in strict mode, or
with no run open, the error is raised as usual.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from ..errors import LoggingError
from .context import current_core


def absorbed(exc: LoggingError, what: str) -> bool:
    """True if a current lenient run took ``exc`` as bad input (warned once); False: the caller raises."""
    core = current_core()
    if core is None or core.strict:
        return False
    msg = str(exc)
    arg = msg.split(":", 1)[0]
    core.bad_input(arg, msg, kind="type" if isinstance(exc, TypeError) else "value", key=f"{what}:{arg}")
    return True


def lenient_init(init: Callable) -> Callable:
    """Decorate a media ``__init__``: see the module docstring. Sets ``self._invalid`` (None or the message)."""

    @functools.wraps(init)
    def wrapper(self, *args: Any, **kwargs: Any) -> None:
        self._invalid = None
        try:
            init(self, *args, **kwargs)
        except LoggingError as exc:
            if not absorbed(exc, f"ringlog.{type(self).__name__}"):
                raise
            self._invalid = str(exc)

    return wrapper
