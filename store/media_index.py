"""The media index's record format: file names, extensions, JSONL lines, destinations.

Shared by :mod:`ringlog.store.media_writer` (appends) and :mod:`ringlog.store.media` (reads); see
``store/MEDIA_FORMAT.md`` for the layout.
"""

from __future__ import annotations

import hashlib
import json
import math
import operator
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional
from urllib.parse import quote

from .errors import StoreTypeError, StoreValueError

MEDIA_DIR = "media"
MEDIA_INDEX = "media.jsonl"
PLOTS_FILE = "plots.jsonl"
CONSOLE_FILE = "console.jsonl"
FORMAT_VERSION = 1
COMPACT_MIN = 256  # never compact an index with fewer tombstones than this

# extension -> kind; anything else is refused (bad input) so the viewer always knows how to show it
EXTENSIONS = {
    "png": "image", "jpg": "image", "jpeg": "image", "gif": "image", "webp": "image", "bmp": "image",
    "svg": "image",
    "wav": "audio", "mp3": "audio", "ogg": "audio", "flac": "audio", "m4a": "audio",
    "mp4": "video", "webm": "video", "mov": "video", "ogv": "video",
    "html": "html", "htm": "html",
}
KINDS = ("image", "audio", "video", "html")
STREAMS = ("stdout", "stderr", "log")


def safe_name(name: str) -> str:
    """A file-system-safe, collision-free folder name for a title or series.

    Percent-encodes everything but ``[A-Za-z0-9_-]`` (so "a/b" and "a_b" stay distinct and
    no name can climb out with ".."); names longer than 120 characters keep a prefix plus a hash.
    """
    s = quote(name, safe="-_").replace(".", "%2E")
    if not s:
        s = "%00empty"
    if len(s) > 120:
        s = s[:100] + "~" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:16]
    return s


def check_ext(ext: Any) -> str:
    """The extension lowercased and without a dot; ValueError naming the known ones otherwise."""
    if not isinstance(ext, str):
        raise StoreTypeError(f"ext: must be a str file extension such as 'png' (given: {ext!r} of type "
                        f"{type(ext).__name__})")
    e = ext.lower().lstrip(".")
    if e not in EXTENSIONS:
        raise StoreValueError(f"ext: must be one of {', '.join(sorted(EXTENSIONS))} (given: {ext!r})")
    return e


def check_history(max_history: Any, argument: str = "max_history") -> int:
    """A positive int history size; ValueError/TypeError naming ``argument`` otherwise."""
    if isinstance(max_history, bool) or not isinstance(max_history, int):
        try:
            import numpy as np

            ok = isinstance(max_history, np.integer)
        except ImportError:  # pragma: no cover - numpy is a dependency
            ok = False
        if not ok:
            raise StoreTypeError(f"{argument}: must be an int (given: {max_history!r} of type "
                            f"{type(max_history).__name__})")
    n = int(max_history)
    if n < 1:
        raise StoreValueError(f"{argument}: must be at least 1 (given: {n})")
    return n


def _check_iteration(iteration: Any) -> int:
    """A Python int from any integer (numpy ints included); StoreTypeError naming ``iteration`` else."""
    if not isinstance(iteration, bool):
        try:
            return operator.index(iteration)
        except TypeError:
            pass
    raise StoreTypeError(f"iteration: must be an int (given: {iteration!r} of type {type(iteration).__name__})")


# --- JSON ---------------------------------------------------------------------------------------
def _default(obj: Any) -> Any:
    """json.dumps hook: numpy arrays/scalars, dates, sets and plotly objects become plain JSON."""
    tolist = getattr(obj, "tolist", None)
    if tolist is not None and callable(tolist):  # numpy arrays and scalars
        return tolist()
    to_json = getattr(obj, "to_plotly_json", None)
    if to_json is not None:
        return to_json()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    iso = getattr(obj, "isoformat", None)
    if iso is not None:
        return iso()
    raise StoreTypeError(f"figure: value of type {type(obj).__name__} is not JSON serialisable")


def _finite(obj: Any) -> Any:
    """Replace NaN/Inf floats with None (plotly draws a gap) anywhere in a JSON-ready tree."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def dumps(record: dict) -> str:
    """One index line. NaN/Inf inside figures become null (strict JSON, readable by browsers)."""
    try:
        return json.dumps(record, default=_default, allow_nan=False, separators=(",", ":"))
    except ValueError:  # a non-finite float somewhere: take the slow path once
        plain = json.loads(json.dumps(record, default=_default))
        return json.dumps(_finite(plain), allow_nan=False, separators=(",", ":"))


def _iter_lines(path: Path, prefix: Optional[bytes] = None) -> Iterator[dict]:
    """Parsed records of a JSONL file; a torn or corrupt line is skipped. ``prefix`` filters raw lines."""
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return
    with f:
        for raw in f:
            if prefix is not None and not raw.startswith(prefix):
                continue
            if not raw.endswith(b"\n"):
                break  # being written right now, or torn by a crash: not a record yet
            try:
                rec = json.loads(raw)
            except ValueError:
                continue
            if isinstance(rec, dict):
                yield rec


def _append(path: Path, lines: Iterable[str]) -> None:
    data = "".join(line + "\n" for line in lines)
    if not data:
        return
    with open(path, "a", encoding="utf-8") as f:
        f.write(data)
        f.flush()


def _head(**fields: Any) -> bytes:
    """The raw byte prefix a record with these leading fields starts with (see ``dumps``)."""
    return json.dumps(fields, separators=(",", ":")).encode("utf-8")[:-1] + b","


# --- destinations ----------------------------------------------------------------------------------
def is_uri(dest: str) -> bool:
    """A remote destination (an fsspec URI); ``file://`` and plain paths are local."""
    return "://" in dest and not dest.startswith("file://")


def _local_dest(dest: str) -> Path:
    return Path(dest[len("file://"):] if dest.startswith("file://") else dest).expanduser()


def _fs(uri: str):
    try:
        import fsspec
    except ImportError as exc:
        raise StoreValueError(f"destination: {uri!r} is a URI and needs the optional package fsspec "
                         "(pip install fsspec), or use a local folder") from exc
    fs, path = fsspec.core.url_to_fs(uri)
    return fs, path


def _public(rec: dict) -> dict:
    """An index record as readers get it (without the index's own ``op`` and ``id``)."""
    return {k: v for k, v in rec.items() if k not in ("op", "id")}
