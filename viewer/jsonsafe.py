"""JSON that browsers can parse: NaN and +-Inf become ``null``, numpy values become plain ones.

Python's ``json`` writes ``NaN``/``Infinity`` tokens that ``JSON.parse`` rejects. Routes that
return series keep the truth with explicit markers (see ``scalars.nonfinite_markers``); this
encoder is the safety net for every other float. Cost: one pass over the object; numpy arrays
are converted with vectorised masking, not per element Python checks.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
from flask.json.provider import DefaultJSONProvider


def sanitize(obj: Any) -> Any:
    """Return ``obj`` with non-finite floats replaced by ``None`` and numpy types made plain."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, (str, int, bool)) or obj is None:
        return obj
    if isinstance(obj, np.ndarray):
        return array_to_list(obj)
    if isinstance(obj, dict):
        return {str(k): sanitize(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [sanitize(v) for v in obj]
    if isinstance(obj, np.generic):
        return sanitize(obj.item())
    if isinstance(obj, (set, frozenset)):
        return [sanitize(v) for v in sorted(obj, key=repr)]
    return obj


def array_to_list(a: np.ndarray) -> list:
    """``a.tolist()`` with NaN/Inf as ``None`` (float arrays only pay for the mask)."""
    if a.dtype.kind == "f":
        finite = np.isfinite(a)
        if finite.all():
            return a.tolist()
        out = a.astype(object)
        out[~finite] = None
        return out.tolist()
    if a.dtype.kind == "O":
        return [sanitize(v) for v in a.tolist()]
    return a.tolist()


def dumps(obj: Any, **kwargs: Any) -> str:
    """``obj`` as browser-safe JSON. Tried first as it is (``_default`` converts numpy values,
    arrays and sets as :func:`sanitize` would): most answers hold no NaN, Inf or non-str key, and
    the copy :func:`sanitize` makes cost as much as the encoding (a 5,000-series listing: 124 of
    150 ms). A non-finite float or a key JSON cannot take sends it through :func:`sanitize`."""
    kwargs.setdefault("separators", (",", ":"))
    try:
        return json.dumps(obj, allow_nan=False, default=_default, **kwargs)
    except (ValueError, TypeError):
        return json.dumps(sanitize(obj), allow_nan=False, default=_default, **kwargs)


def _default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return sanitize(o.item())
    if isinstance(o, np.ndarray):
        return array_to_list(o)
    if isinstance(o, (set, frozenset)):
        return [sanitize(v) for v in sorted(o, key=repr)]
    if hasattr(o, "isoformat"):
        return o.isoformat()
    return repr(o)


class SafeJSONProvider(DefaultJSONProvider):
    """Flask JSON provider using :func:`dumps` (also used by the ``tojson`` template filter)."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.pop("default", None)
        kwargs.pop("ensure_ascii", None)
        kwargs.pop("sort_keys", None)
        return dumps(obj, ensure_ascii=self.ensure_ascii, sort_keys=False, **kwargs)
