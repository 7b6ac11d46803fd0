"""Run every core kernel on tiny inputs so numba compiles or loads each specialization.

The dtypes here are exactly those the dispatch layers pass: the ring's arrays;
float32/float64 y (as int32/int64 bit views); int64/float64/index x for LTTB and
the sortedness check; the pyramid roll-ups (``pyramid.warm``).
"""

from __future__ import annotations

import numpy as np

PARTS = ("ring", "pyramid", "decimate")


def warm(parts) -> None:
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        from .errors import bad_value

        raise bad_value("parts", f"must name some of {PARTS}", tuple(parts))
    if "ring" in parts:
        from .ring import Ring

        ring = Ring(4)
        ring.push(np.array([1, 0, 1], np.int32), np.arange(3, dtype=np.int64), np.ones(3), 0.0)
        ring.drain()
    if "pyramid" in parts:
        from . import pyramid

        pyramid.warm()
    if "decimate" in parts:
        from . import decimate

        y64 = np.array([0.0, 3.0, np.nan, 1.0, 2.0, 5.0, 4.0, 0.5])
        for y in (y64, y64.astype(np.float32)):
            for x in (None, np.arange(8, dtype=np.int64), np.arange(8, dtype=np.float64)):
                decimate.bucket_extrema(x, y, [0.0, 4.0, 7.0])
                decimate.lttb(x, y, 4)
