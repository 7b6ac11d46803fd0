"""The engine under both flavours: one run is a :class:`~.runcore.RunCore` composed of the intake
(:mod:`.intake`: the fast path, the checked path, the bad-input policy), the run state
(:mod:`.runstate`: config, tags, summary, metric definitions), the side outputs (:mod:`.outputs`:
console, media writer, :mod:`.uploads`) and the threads (:mod:`.staging`, :mod:`.flusher`,
:mod:`.lifecycle`); plus :mod:`.settings`, the value rules (:mod:`.values`), the current-run
:mod:`.context` and the environment snapshot (:mod:`.environment`).

It knows nothing of W&B, ClearML, media or capture (``tests/test_layout.py`` enforces the inner
layer table); media, capture and ClearML's reporting talk to a run through the small protocol in
:mod:`ringlog._engine.protocol` (``RunSink``).
"""
