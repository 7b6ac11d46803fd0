"""Opening the artifact store from the SDK, and the SDK's failure rule for artifacts.

The store layer's :class:`~ringlog.store.artifacts.ArtifactStore` is imported on first use:
``ringlog.store`` imports numba (~1 s), which ``import ringlog`` must not pay. Bad arguments raise
in strict mode, else warn once per kind and the call returns without storing (a training job never
crashes because an artifact could not be stored); a failing disk is reported the same way.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Optional

from ..errors import LoggingTypeError, LoggingValueError, LoggingWarning


def artifact_store(root) -> Any:
    """The ArtifactStore of store root ``root`` (an object-store root's spool uploads what it writes)."""
    from ringlog.store.objstore.artifacts import open_artifacts  # deferred: ringlog.store imports numba (~1 s)

    return open_artifacts(root if isinstance(root, str) and "://" in root else Path(root))


def store_module() -> Any:
    """``ringlog.store.artifacts`` (scopes, errors), imported on first use."""
    import ringlog.store.artifacts as mod  # deferred: ringlog.store imports numba (~1 s)

    return mod


def refuse(core: Any, argument: str, message: str, kind: str = "value", strict: Optional[bool] = None) -> None:
    """Bad input for an artifact call: raise in strict mode, else warn once (per argument) and return."""
    text = message if message.startswith(argument) else f"{argument}: {message}"
    if strict is None:
        strict = bool(core is not None and core.settings.is_strict)
    if strict:
        raise (LoggingTypeError if kind == "type" else LoggingValueError)(text)
    _warn(core, "artifact-bad:" + argument, text + "; nothing was stored (strict=True raises instead)")


def failed(core: Any, what: str, exc: BaseException, strict: Optional[bool] = None) -> None:
    """An artifact could not be stored (disk full, unreadable file): raise in strict mode, else warn once."""
    if strict is None:
        strict = bool(core is not None and core.settings.is_strict)
    if strict:
        raise exc
    _warn(core, "artifact-failed:" + what, f"ringlog: {what} could not be stored ({exc!r}); the run goes on")


def _warn(core: Any, kind: str, text: str) -> None:
    if core is not None:
        core.warn_once(kind, text)
    else:
        warnings.warn(text, LoggingWarning, stacklevel=4)
