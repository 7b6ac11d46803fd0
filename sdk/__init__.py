"""ringlog: a local-first, high-performance metrics store for ML experiments.

Two flavours write the same task:

* W&B style: ``ringlog.init(project=..., config=...)``, ``ringlog.log({...})``,
  ``ringlog.finish()``; ``ringlog.run``, ``ringlog.config`` and
  ``ringlog.summary`` resolve to the current run at access time.
* ClearML style: ``Task.init(project_name=..., task_name=...)``,
  ``task.get_logger().report_scalar(...)``, ``task.close()``.

This module stays light: submodules are imported on first use, so
``import ringlog`` pulls in neither flask nor any numba compilation.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> submodule that defines it
_LAZY = {
    "init": "ringlog.wandb.api",
    "log": "ringlog.wandb.api",
    "finish": "ringlog.wandb.api",
    "define_metric": "ringlog.wandb.api",
    "Run": "ringlog.wandb.run",
    "Task": "ringlog.clearml.task",
    "Logger": "ringlog.clearml.logger",
    "Settings": "ringlog._engine.settings",
    "LoggingError": "ringlog.errors",
    "RingFullError": "ringlog.errors",
    # rich media for ringlog.log({...}), as W&B's
    "Image": "ringlog.media.types",
    "Audio": "ringlog.media.types",
    "Video": "ringlog.media.types",
    "Html": "ringlog.media.types",
    "Histogram": "ringlog.media.types",
    "Table": "ringlog.media.types",
    "Object3D": "ringlog.media.objects3d",
    "Molecule": "ringlog.media.objects3d",
    # model watching (torch imported only when used)
    "watch": "ringlog.capture.watch",
    "unwatch": "ringlog.capture.watch",
    # Markdown reports, written from Python
    "Report": "ringlog.report",
    # artifacts and models: W&B's and ClearML's names
    "Artifact": "ringlog.artifacts.wandb_artifact",
    "save": "ringlog.wandb.api",
    "log_artifact": "ringlog.wandb.api",
    "use_artifact": "ringlog.wandb.api",
    "log_model": "ringlog.wandb.api",
    "use_model": "ringlog.wandb.api",
    "OutputModel": "ringlog.clearml.models",
    "InputModel": "ringlog.clearml.models",
    "Model": "ringlog.clearml.models",
}

# public submodules reachable as attributes (``ringlog.plot.line(...)``)
_SUBMODULES = {"plot": "ringlog.media.plot"}

# resolved against the current run on every access (never cached as globals)
_CURRENT = ("run", "config", "summary")

__all__ = sorted([*_LAZY, *_CURRENT, *_SUBMODULES, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _CURRENT:
        from .wandb.run import current_run

        run = current_run()
        if name == "run":
            return run
        return None if run is None else getattr(run, name)
    if name in _SUBMODULES:
        return importlib.import_module(_SUBMODULES[name])
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ringlog' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    if name not in _CURRENT:
        globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return __all__
