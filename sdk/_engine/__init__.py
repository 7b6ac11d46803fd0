"""The engine under both flavours: staging, the flusher and clock threads, lifecycle, settings,
value rules and the current-run context.

It knows nothing of W&B, ClearML, media or capture (``tests/test_layout.py`` enforces the inner
layer table); those talk to a run through the small protocol in :mod:`ringlog._engine.runcore`.
"""
