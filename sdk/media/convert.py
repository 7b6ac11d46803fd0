"""Pure media conversions: arrays and tensors to numpy, pixel rules, encodings.

No I/O, no run: each function takes data and returns data, so the media objects, the ClearML
reporting and the captures share one implementation of each rule.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..errors import type_error


def to_numpy(data: Any) -> Optional[np.ndarray]:
    """numpy view of an ndarray or a torch/jax-like tensor (duck-typed, torch never imported); else None."""
    if isinstance(data, np.ndarray):
        return data
    if hasattr(data, "detach") and hasattr(data, "numpy"):  # torch.Tensor
        return data.detach().cpu().numpy()
    if hasattr(data, "__array__") and not isinstance(data, (str, bytes)) and not _is_pil(data):
        return np.asarray(data)
    return None


def _is_pil(obj: Any) -> bool:
    return type(obj).__module__.startswith("PIL.") and hasattr(obj, "save") and hasattr(obj, "mode")


def to_uint8(arr: np.ndarray, argument: str) -> np.ndarray:
    """Image pixel rule (module docstring): bool/float/int arrays -> uint8 0..255."""
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    if arr.dtype.kind == "f":
        a = np.nan_to_num(arr.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        if a.size and a.min() < 0:
            span = float(a.max() - a.min())
            a = (a - a.min()) / span if span > 0 else np.zeros_like(a)
        if a.size and a.max() <= 1.0:
            a = a * 255.0
        return np.clip(np.rint(a), 0, 255).astype(np.uint8)
    if arr.dtype.kind in "iu":
        return np.clip(arr, 0, 255).astype(np.uint8)
    raise type_error(argument, "must hold numbers (bool, int or float pixels)", f"array of dtype {arr.dtype}")
