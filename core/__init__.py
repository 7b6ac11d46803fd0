"""ringlog.core: numba kernels (ring buffer, decimation, pyramid roll-ups) and
the running summary figures of a series (:mod:`ringlog.core.stats`, no numba).

No IO and no threads here; callers own synchronisation. Importing this
package compiles nothing: kernels compile (or load from numba's cache) on
first call, or when :func:`warmup` is called on a background thread.
"""

from __future__ import annotations

import time as _time

__all__ = ["warmup"]


def warmup(parts=("ring", "pyramid", "decimate")) -> float:
    """Compile (or load from numba's on-disk cache) core kernels; return seconds taken.

    ``parts`` picks the groups: ``"ring"`` (the ring's drain kernel; no longer
    on the write path, see :mod:`ringlog.core.ring`), ``"pyramid"`` (the scans
    and roll-ups the store runs at each flush, what a logging process needs),
    ``"decimate"`` (MinMax/M4/LTTB/bucket extrema, what a reader needs). Each
    kernel runs once on tiny inputs of every dtype the dispatch layers pass, so
    later calls never wait for a compile. Safe to call from a background thread
    and more than once (later calls are nearly free).
    Cost, measured on this shared 2-core machine: cold (empty numba cache, once
    per machine) 3.5-10 s for the ring, 40-60 s for everything (LTTB's four
    dtype specializations are most of it); from the cache 0.3-0.55 s for
    everything, plus ~0.3-0.5 s to import numba itself.
    """
    t0 = _time.perf_counter()
    from ._warm import warm

    warm(tuple(parts))
    return _time.perf_counter() - t0
