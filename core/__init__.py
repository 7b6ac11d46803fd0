"""ringlog.core: numba kernels (ring buffer, decimation, pyramid roll-ups).

No IO and no threads here; callers own synchronisation. Importing this
package compiles nothing: kernels compile (or load from numba's cache) on
first call, or when :func:`warmup` is called on a background thread.
"""
