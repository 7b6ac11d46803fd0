"""An in-memory store following the Store/TaskReader contract (CONTRACTS.md), for viewer tests
that must not depend on the on-disk format. Decimation here is a plain NumPy M4 over
equal-width buckets (level 0 always), which is all the viewer relies on.
"""

from __future__ import annotations

import fnmatch
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class Scalar:
    step: np.ndarray
    value: np.ndarray
    time: np.ndarray


@dataclass
class Decimated:
    x: np.ndarray
    y: np.ndarray
    index: np.ndarray
    level: int
    raw_count: int
    nonfinite_x: np.ndarray
    nonfinite_y: np.ndarray
    bucket_edges: np.ndarray | None


@dataclass
class FakeTask:
    id: str
    name: str
    project: str
    path: Path
    status: str = "completed"
    tags: tuple = ()
    created: float = 0.0
    updated: float = 0.0
    config: dict = field(default_factory=dict)
    env: dict = field(default_factory=dict)
    summary: dict = field(default_factory=dict)
    scalars: dict = field(default_factory=dict)
    media_records: list = field(default_factory=list)
    plot_records: list = field(default_factory=list)
    console_records: list = field(default_factory=list)


def m4_indices(x: np.ndarray, y: np.ndarray, edges: np.ndarray) -> np.ndarray:
    b = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    out = []
    starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    ends = np.r_[starts[1:], len(b)]
    for s, e in zip(starts, ends):
        out += [s, e - 1]
        seg = y[s:e]
        fin = np.isfinite(seg)
        if fin.any():
            idx = np.flatnonzero(fin)
            out += [s + idx[np.argmin(seg[fin])], s + idx[np.argmax(seg[fin])]]
    return np.unique(np.asarray(out, dtype=np.int64))


class FakeReader:
    def __init__(self, t: FakeTask):
        self._t = t
        self.id = t.id
        self.path = t.path

    @property
    def info(self):
        t = self._t
        return {"id": t.id, "name": t.name, "project": t.project, "status": t.status, "tags": list(t.tags),
                "created": t.created, "updated": t.updated, "config": t.config, "env": t.env,
                "summary": t.summary}

    @property
    def summary(self):
        return dict(self._t.summary)

    def series(self):
        return sorted(self._t.scalars)

    def scalar(self, title, series=None, start=None, stop=None):
        s = self._t.scalars[(title, title if series is None else series)]
        return Scalar(s.step[start:stop], s.value[start:stop], s.time[start:stop])

    def last_metrics(self):
        out = {}
        for k, s in self._t.scalars.items():
            fin = s.value[np.isfinite(s.value)]
            out[k] = {"last": float(s.value[-1]), "min": float(fin.min()) if len(fin) else None,
                      "max": float(fin.max()) if len(fin) else None, "count": len(s.step),
                      "last_step": int(s.step[-1])}
        return out

    def decimate(self, title, series=None, x_min=None, x_max=None, points=2000, x="step", method="m4"):
        s = self._t.scalars[(title, title if series is None else series)]
        xs = {"step": s.step.astype(np.float64), "time": s.time - s.time[0], "wall": s.time}[x]
        lo = 0 if x_min is None else np.searchsorted(xs, x_min, "left")
        hi = len(xs) if x_max is None else np.searchsorted(xs, x_max, "right")
        xr, yr = xs[lo:hi], s.value[lo:hi]
        bad = ~np.isfinite(yr)
        edges = None
        if len(xr) <= points:
            idx = np.arange(len(xr))
        else:
            edges = np.linspace(xr[0] if x_min is None else x_min, xr[-1] if x_max is None else x_max, points + 1)
            idx = m4_indices(xr, yr, edges)
        return Decimated(xr[idx], yr[idx], idx + lo, 0, len(xr), xr[bad], yr[bad], edges)

    def media(self, title=None, series=None):
        return [r for r in self._t.media_records
                if (title is None or r["title"] == title) and (series is None or r["series"] == series)]

    def plots(self, title=None, series=None):
        return [r for r in self._t.plot_records
                if (title is None or r["title"] == title) and (series is None or r["series"] == series)]

    def console(self, since=0):
        return self._t.console_records[since:]


class FakeCatalog:
    def __init__(self, store):
        self._s = store

    def query(self, project=None, text=None, tags=(), status=None, sort="updated", descending=True,
              offset=0, limit=50, metric_filters=()):
        rows = []
        for t in self._s._tasks.values():
            if project is not None and t.project != project:
                continue
            if status is not None and t.status != status:
                continue
            if text and not (fnmatch.fnmatch(t.name.lower(), f"*{text.lower()}*") or text in t.id):
                continue
            if tags and not set(tags) <= set(t.tags):
                continue
            ok = True
            for key, lo, hi in metric_filters:
                v = t.summary.get(key)
                if not isinstance(v, (int, float)) or (lo is not None and v < lo) or (hi is not None and v > hi):
                    ok = False
            if ok:
                rows.append(FakeReader(t).info)
        if sort.startswith("summary.") or sort.startswith("config."):
            part, key = sort.split(".", 1)
            present = [r for r in rows if isinstance(r[part].get(key), (int, float))]
            missing = [r for r in rows if not isinstance(r[part].get(key), (int, float))]
            present.sort(key=lambda r: r[part][key], reverse=descending)
            rows = present + missing
        elif sort == "duration":
            rows.sort(key=lambda r: r["updated"] - r["created"], reverse=descending)
        elif sort in ("updated", "created", "name", "status", "project"):
            rows.sort(key=lambda r: r[sort], reverse=descending)
        else:
            raise ValueError(f"argument 'sort' must be a column or summary.<key>; got {sort!r}")
        return rows[offset:offset + limit], len(rows)


class FakeStore:
    def __init__(self, root):
        self.root = Path(root)
        self._tasks: dict[str, FakeTask] = {}
        self.catalog = FakeCatalog(self)

    def add(self, project, name, **kw) -> FakeTask:
        tid = kw.pop("task_id", None) or f"{len(self._tasks):032x}"
        path = self.root / project / tid
        path.mkdir(parents=True, exist_ok=True)
        now = time.time()
        t = FakeTask(id=tid, name=name, project=project, path=path, created=kw.pop("created", now - 60),
                     updated=kw.pop("updated", now), **kw)
        self._tasks[tid] = t
        return t

    def task(self, task_id):
        try:
            return FakeReader(self._tasks[task_id])
        except KeyError:
            raise KeyError(f"unknown task id {task_id!r}") from None

    def projects(self):
        return sorted({t.project for t in self._tasks.values()})

    def tasks(self, project=None):
        return [FakeReader(t).info for t in self._tasks.values() if project in (None, t.project)]


def series(n: int, *, seed: int = 0, nan_at=(), inf_at=(), spike_at=None, t0: float = 1.7e9) -> Scalar:
    rng = np.random.default_rng(seed)
    step = np.arange(n, dtype=np.int64)
    value = np.cumsum(rng.normal(size=n)) * 0.01
    for i in nan_at:
        value[i] = np.nan
    for i in inf_at:
        value[i] = np.inf
    if spike_at is not None:
        value[spike_at] = 1e6
    return Scalar(step, value, t0 + step * 0.01)
