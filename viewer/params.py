"""Query-parameter parsing: validate once, at the HTTP boundary.

Every helper reads one parameter from a mapping (``request.args``) and either returns a
clean Python value or raises :class:`~ringlog.viewer.errors.BadRequestError` naming the
parameter, the rule and the value given. Routes then call pure ``*_impl`` functions with
already-valid arguments.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from .errors import BadRequestError

#: the widest integer any parameter takes unless its route says less: SQLite and NumPy hold int64,
#: and a larger number (``offset=99999999999999999999999``) overflowed there into a 500
MAX_INT = 2**53 - 1


def get_str(args: Mapping[str, str], name: str, default: str | None = None, *,
            required: bool = False, max_len: int = 4096) -> str | None:
    value = args.get(name)
    if value is None or value == "":
        if required:
            raise BadRequestError(name, "is required")
        return default
    if len(value) > max_len:
        raise BadRequestError(name, f"must be at most {max_len} characters", f"{len(value)} characters")
    return value


def get_int(args: Mapping[str, str], name: str, default: int | None = None, *,
            lo: int | None = None, hi: int | None = None) -> int | None:
    """An integer within ``lo..hi``; ``lo``/``hi`` default to -MAX_INT/MAX_INT, never unbounded."""
    lo = -MAX_INT if lo is None else lo
    hi = MAX_INT if hi is None else hi
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequestError(name, "must be an integer", raw) from None
    if lo is not None and value < lo:
        raise BadRequestError(name, f"must be >= {lo}", raw)
    if hi is not None and value > hi:
        raise BadRequestError(name, f"must be <= {hi}", raw)
    return value


def get_float(args: Mapping[str, str], name: str, default: float | None = None) -> float | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BadRequestError(name, "must be a finite number", raw) from None
    if not math.isfinite(value):
        raise BadRequestError(name, "must be a finite number", raw)
    return value


def get_choice(args: Mapping[str, str], name: str, choices: Sequence[str], default: str) -> str:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        raise BadRequestError(name, f"must be one of {', '.join(choices)}", raw)
    return raw


def get_bool(args: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    low = raw.lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise BadRequestError(name, "must be a boolean (1/0/true/false)", raw)


def get_list(args, name: str) -> list[str]:
    """Repeated (``?tag=a&tag=b``) or comma-separated (``?tag=a,b``) values, empty ones dropped."""
    out: list[str] = []
    getlist = getattr(args, "getlist", None)
    raws = getlist(name) if getlist else ([args[name]] if name in args else [])
    for raw in raws:
        out.extend(p.strip() for p in raw.split(",") if p.strip())
    return out


def check_range(name_lo: str, lo: float | None, name_hi: str, hi: float | None) -> None:
    if lo is not None and hi is not None and hi < lo:
        raise BadRequestError(name_hi, f"must be >= {name_lo} ({lo!r})", hi)
