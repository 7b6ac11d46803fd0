"""A tiny in-memory object following the Store/TaskReader contract (/work/CONTRACTS.md), so the
widget logic is tested on exact, hand-made data independent of the on-disk format. The
end-to-end tests (browser, real store) use ringlog.store.Store itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np


@dataclass
class FakeTask:
    id: str
    name: str
    project: str = "p"
    status: str = "completed"
    tags: tuple = ()
    created: float = 1000.0
    updated: float = 2000.0
    config: dict = field(default_factory=dict)
    scalars: dict = field(default_factory=dict)  # (title, series) -> (steps, values, times)
    plots_: list = field(default_factory=list)
    media_: list = field(default_factory=list)
    path: Path = Path("/nonexistent")

    # --- TaskReader contract
    @property
    def info(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "project": self.project, "status": self.status,
                "tags": list(self.tags), "created": self.created, "updated": self.updated, "config": self.config,
                "summary": {}, "env": {}}

    def series(self):
        return sorted(self.scalars)

    def scalar(self, title, series=None, start=None, stop=None):
        steps, values, times = self.scalars[(title, series if series is not None else title)]
        return SimpleNamespace(step=np.asarray(steps, np.int64), value=np.asarray(values, np.float64),
                               time=np.asarray(times, np.float64))

    def last_metrics(self):
        out = {}
        for key, (steps, values, _t) in self.scalars.items():
            v = np.asarray(values, np.float64)
            out[key] = {"last": float(v[-1]), "min": float(np.nanmin(v)), "max": float(np.nanmax(v)),
                        "count": len(v), "last_step": int(steps[-1])}
        return out

    def plots(self, title=None, series=None):
        return [p for p in self.plots_ if (title is None or p["title"] == title)
                and (series is None or p["series"] == series)]

    def media(self, title=None, series=None):
        return [m for m in self.media_ if (title is None or m["title"] == title)
                and (series is None or m["series"] == series)]


class FakeStore:
    def __init__(self, tasks: list[FakeTask]):
        self._tasks = {t.id: t for t in tasks}

    def tasks(self, project=None):
        return [{k: v for k, v in t.info.items() if k not in ("config", "env")}
                for t in self._tasks.values() if project is None or t.project == project]

    def projects(self):
        return sorted({t.project for t in self._tasks.values()})

    def task(self, task_id):
        try:
            return self._tasks[task_id]
        except KeyError:
            raise KeyError(f"task_id {task_id!r} names no task") from None
