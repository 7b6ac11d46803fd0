"""ringlog.core: numba kernels (ring buffer, decimation, pyramid roll-ups).

No IO and no threads here; callers own synchronisation. Importing this
package compiles nothing: kernels compile (or load from numba's cache) on
first call, or when :func:`warmup` is called on a background thread.
"""

from __future__ import annotations

import time as _time

__all__ = ["warmup"]


def warmup() -> float:
    """Compile (or load from numba's on-disk cache) every core kernel; return seconds taken.

    Runs each kernel once on tiny inputs of every dtype the dispatch layers
    pass, so later calls never wait for a compile. Safe to call from a
    background thread and more than once (later calls are nearly free).
    Cost: seconds cold (first run on a machine), well under a second warm.
    """
    t0 = _time.perf_counter()
    from ._warm import warm_all

    warm_all()
    return _time.perf_counter() - t0
