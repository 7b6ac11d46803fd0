"""Turning what users log into numbers and JSON: the checked (slow) path's conversions.

Real numbers: ``int``/``float``/``bool`` (``True`` is stored as 1.0, as W&B
charts it), numpy scalars, 0-d arrays and 0-d tensors (anything with
``.item()`` and an empty ``shape``). Steps: Python and
numpy integers. Metadata: containers walked, numpy unwrapped, the rest ``repr``-ed.
"""

from __future__ import annotations

import decimal
import math
import numbers
import os
from typing import Any, Optional

import numpy as np

from ..errors import short


def as_number(v: Any) -> Optional[float]:
    """float(v) for real numbers: int/float/bool, numpy scalars of kinds b/i/u/f (``longdouble`` too),
    0-d arrays and torch scalars, ``fractions.Fraction`` and any ``numbers.Real``, finite or not
    ``decimal.Decimal``; else None. Never raises: a finite number too big for a float64 (``10**400``,
    ``Decimal("1e400")``) is None too - :func:`number_problem` says which rule it broke."""
    if isinstance(v, (str, bytes)) or v is None:
        return None
    if isinstance(v, (int, float)):
        try:
            return float(v)
        except OverflowError:
            return None
    if isinstance(v, np.generic):
        if v.dtype.kind not in "biuf":
            return None
        x = float(v)
        return None if math.isinf(x) and not np.isinf(v) else x
    item = getattr(v, "item", None)
    shape = getattr(v, "shape", None)
    if item is not None and (shape == () or shape is None or (hasattr(v, "numel") and v.numel() == 1 and
                                                              len(shape) == 0)):
        try:
            x = item()
        except Exception:
            return None
        return as_number(x) if isinstance(x, (int, float)) and not isinstance(x, complex) else None
    if isinstance(v, (numbers.Real, decimal.Decimal)):
        try:
            x = float(v)
        except (OverflowError, ValueError, TypeError):
            return None
        if math.isinf(x) and not (v.is_infinite() if isinstance(v, decimal.Decimal) else math.isinf(v)):
            return None
        return x
    return None


#: one past the largest step (steps are signed 64-bit): W&B's step counter stops here
STEP_END = 1 << 63
#: how deep ``log()`` walks nested dicts (a deeper one is refused with one warning, never a RecursionError)
MAX_NESTING = 64

#: the rule a real number too big for a float64 breaks
TOO_BIG = "must fit in a float64 (magnitude below 1.8e308)"
REAL = "must be a real number (int, float, numpy scalar, 0-d array or tensor)"


def number_problem(v: Any) -> tuple[str, str]:
    """Why :func:`as_number` gave None for ``v``: ("value", TOO_BIG) for a real number out of the
    float64 range, else ("type", REAL)."""
    if isinstance(v, (int, numbers.Real, decimal.Decimal)) and not isinstance(v, bool):
        return "value", TOO_BIG
    if isinstance(v, np.generic) and v.dtype.kind in "iuf":
        return "value", TOO_BIG
    return "type", REAL


def as_step(v: Any) -> Optional[int]:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, np.integer):
        return int(v)
    if getattr(v, "shape", None) == () and getattr(getattr(v, "dtype", None), "kind", "") in "iu":
        return int(v)
    return None


def jsonable(obj: Any, depth: int = 0) -> Any:
    """A JSON-safe copy: containers walked, numpy scalars unwrapped, the rest ``repr``-ed."""
    if depth > 20:
        return short(obj)
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else repr(obj)
    if isinstance(obj, dict):
        return {str(k): jsonable(v, depth + 1) for k, v in list(obj.items())}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [jsonable(v, depth + 1) for v in list(obj)]
    if isinstance(obj, np.generic):
        return jsonable(obj.item(), depth + 1)
    if isinstance(obj, np.ndarray) and obj.size <= 1000:
        return jsonable(obj.tolist(), depth + 1)
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    return short(obj, 200)
