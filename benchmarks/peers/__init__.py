"""ringlog beside its peers, in one run (issue 18, item 6): ``python -m benchmarks.peers``.

Each tool gets its own venv under ``bench_data/peers/venvs/`` (git-ignored; built once from PyPI,
so this is not part of CI): ringlog from a ``git archive HEAD`` snapshot of this checkout, and
tensorboardX, wandb (offline), trackio, MLflow (local file store; sqlite as a capped row), aim and
ClearML (offline). One workload (``common.py``) runs in fresh processes with each venv's python:
a noisy float32-sourced loss curve logged one key per call (``--points``, 100,000 by default) and
10 keys per step, then read back in a fresh process with the tool's own reader. Each figure is the
median of ``--repeat`` (3) processes. The driver prints the side-by-side table, the versions and
issue 18's ratios (met or not); ``--write-results`` puts them into ``benchmarks/RESULTS.md``
between its peers markers. A tool that fails to install or run gets a row saying so.

Files: ``driver.py`` (venvs, processes), ``table.py`` (medians, table, ratios; unit-tested),
``common.py`` (the workload, stdlib only), ``peer_<tool>.py`` (one script per tool).
"""
