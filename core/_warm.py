"""Run every core kernel on tiny inputs so numba compiles or loads each specialization."""

from __future__ import annotations

import numpy as np


def warm_all() -> None:
    from .ring import Ring

    ring = Ring(4)
    ring.push(np.array([1, 0, 1], np.int32), np.arange(3, dtype=np.int64), np.ones(3), 0.0)
    ring.drain()
