"""The base of every W&B-style media object, and the argument checks they share.

A :class:`Media` is a debug sample (``data`` bytes or a ``path`` to copy, ``ext``, ``kind``,
``caption``) that :func:`.writer.write_samples` stores. It lives apart from :mod:`.types` so that
:mod:`.plotdata` (a ``Table`` keeps media cells as media) and :mod:`.objects3d` can know it
without importing the types that import them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence

from ..errors import type_error, value_error

def path_arg(data: Any) -> Optional[Path]:
    if isinstance(data, Path) or (isinstance(data, str) and "\n" not in data and len(data) < 4096):
        return Path(data)
    return None


def ext_of(path: Path, kinds: Sequence[str], argument: str) -> str:
    from ringlog.store.media import EXTENSIONS  # deferred: ringlog.store pulls numba in

    ext = path.suffix.lower().lstrip(".")
    if EXTENSIONS.get(ext) not in kinds:
        allowed = sorted(e for e, k in EXTENSIONS.items() if k in kinds)
        raise value_error(argument, f"file extension must be one of {', '.join(allowed)}", str(path))
    if not path.is_file():
        raise value_error(argument, "must be an existing file", str(path))
    return ext


def caption_arg(caption: Any) -> Optional[str]:
    if caption is None:
        return None
    if not isinstance(caption, str):
        raise type_error("caption", "must be a str or None", caption)
    return caption


class Media:
    """A debug sample: ``data`` bytes (or ``path`` to copy), extension, kind and caption (what
    :func:`.writer.write_samples` stores)."""

    kind = "file"

    def __init__(self) -> None:
        self._invalid = getattr(self, "_invalid", None)  # set by lenient_init when the input was bad
        self.data: Optional[bytes] = None
        self.path: Optional[Path] = None
        self.ext = ""
        self.caption: Optional[str] = None
        self.extra: Optional[dict] = None  # JSON kept in the sample's record (an Image's masks and boxes)

    def __repr__(self) -> str:
        what = f"{len(self.data)} bytes" if self.data is not None else str(self.path)
        return f"<ringlog.{type(self).__name__} {self.ext} {what}>"
