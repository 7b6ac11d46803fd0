"""Rich media: W&B's media objects, ClearML's plot builders, the conversions, and the one writer.

* :mod:`.convert`: pure conversions (tensors to numpy, pixel rules, channel order, grids, PNG/JPEG,
  WAV, video frames, histograms); conventions are parameters. :mod:`.figures`: pure figure
  conversions (plotly dicts, matplotlib -> plotly or PNG).
* :mod:`.writer`: the one record writer; every sample, plot and histogram record of a run goes
  through it into the run's ``media_writer()``, using only the engine's ``RunSink``.
* :mod:`.types` (``Image``, ``Audio``, ``Video``, ``Html``, ``log_value``), :mod:`.plotdata`
  (``Histogram``, ``Table``), :mod:`.plot` (``ringlog.plot``), :mod:`.clearml_plots` and
  :mod:`.tables` (ClearML's ``report_*`` figures), :mod:`.capture_media` (the captures' conventions).

Imports only the engine (and ``ringlog.store`` for the on-disk record format).
"""
