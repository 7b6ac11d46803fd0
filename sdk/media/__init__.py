"""Rich media: W&B's media objects (``Image``, ``Audio``, ``Video``, ``Html``, ``Histogram``,
``Table``, ``ringlog.plot``), ClearML's plot builders, figure conversions, and the writer that
turns each into a stored record.

Imports only the engine (and ``ringlog.store`` for the on-disk record format).
"""
