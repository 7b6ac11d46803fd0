"""Turning what users log into numbers and JSON: the checked (slow) path's conversions.

Real numbers: ``int``/``float``/``bool`` (``True`` is stored as 1.0, as W&B
charts it), numpy scalars, 0-d arrays and 0-d tensors (anything with
``.item()`` and an empty ``shape``). Steps: Python and
numpy integers. Metadata: containers walked, numpy unwrapped, the rest ``repr``-ed.
"""

from __future__ import annotations

import math
import os
from typing import Any, Optional

import numpy as np

from ..errors import short


def as_number(v: Any) -> Optional[float]:
    """float(v) for real numbers incl. numpy scalars, 0-d arrays and torch scalars; else None."""
    if isinstance(v, (str, bytes)) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    item = getattr(v, "item", None)
    shape = getattr(v, "shape", None)
    if item is not None and (shape == () or shape is None or (hasattr(v, "numel") and v.numel() == 1 and
                                                              len(shape) == 0)):
        try:
            x = item()
        except Exception:
            return None
        return float(x) if isinstance(x, (int, float)) and not isinstance(x, complex) else None
    if isinstance(v, np.generic) and v.dtype.kind in "biuf":
        return float(v)
    return None


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
