"""Read-only view of a stored task with ClearML's read methods.

``Task.get_task(task_id=...)`` (or by project and name) returns a
:class:`TaskView`: ``get_reported_scalars()`` gives title -> series ->
``{"x": [...], "y": [...]}`` and ``get_last_scalar_metrics()`` gives title ->
series -> ``{"last", "min", "max"}``. For numpy speed use ``.reader``
(a ``ringlog.store`` TaskReader) directly: ``.reader.scalar(title, series)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from ..errors import LoggingValueError, type_error
from .artifacts import Artifacts
from .models import task_models

if TYPE_CHECKING:  # pragma: no cover
    from ringlog.store import TaskReader


class TaskView:
    """A stored task, opened for reading (it may still be running elsewhere)."""

    def __init__(self, reader: "TaskReader") -> None:
        self.reader = reader
        self._live: Any = None  # the live Task once mark_started() continued it

    @property
    def id(self) -> str:
        return self.reader.id

    @property
    def info(self) -> dict:
        return self.reader.info

    @property
    def name(self) -> str:
        return self.info.get("name", "")

    @property
    def project(self) -> str:
        return self.info.get("project", "")

    @property
    def status(self) -> str:
        return self._live.status if self._live is not None else self.info.get("status", "")

    def get_status(self) -> str:
        return self.status

    @property
    def tags(self) -> list:
        return list(self.info.get("tags") or [])

    def get_tags(self) -> list:
        return self.tags

    @property
    def summary(self) -> dict:
        return dict(self.reader.summary or {})

    def get_parameters_as_dict(self) -> dict:
        return dict(self.info.get("config") or {})

    @property
    def artifacts(self) -> Artifacts:
        """name -> Artifact, as ``Task.artifacts`` (ringlog.clearml.artifacts)."""
        return Artifacts(self.reader.path.parents[1], self.id)

    @property
    def models(self) -> dict:
        """{"input": [...], "output": [...]}, as ``Task.models``."""
        return task_models(self.reader.path.parents[1], self.id)

    def get_reported_scalars(self, max_samples: int = 0, x_axis: str = "iter") -> dict:
        """title -> series -> {"x": steps (or unix times with x_axis="timestamp"), "y": values}."""
        return reported_scalars(self.reader, max_samples, x_axis)

    def get_last_scalar_metrics(self) -> dict:
        """title -> series -> {"last", "min", "max"} (ClearML's shape), from the store's index."""
        return last_scalar_metrics(self.reader)

    def plots(self, title: Optional[str] = None, series: Optional[str] = None) -> list:
        """Plot records (title, series, iteration, time, kind, figure), oldest first, with the plots
        of several series under one title and iteration combined into one figure (a trace per
        series; ``series`` ``""`` and ``series_merged`` naming them), as ClearML draws them."""
        return merged_plots(self.reader, title, series)

    def get_reported_plots(self, max_iterations: Optional[int] = None) -> list:
        """ClearML's shape: one dict per stored plot, {"metric", "variant", "iter", "plot_str"}
        (the plotly JSON as a string), newest ``max_iterations`` iterations per plot when given."""
        return reported_plots(self.reader, max_iterations)

    # --- continuing it (ClearML's Task.get_task(...) then mark_started()) ---------------
    def mark_started(self, force: bool = False) -> None:
        """Continue this task from this process: from now on the methods of a live ``Task``
        (``get_logger``, ``connect``, ``close``, ``mark_completed``...) work on this object and
        write into the task (status ``running`` again). Reopening is the store's: a task another
        writer holds is an error (``TaskLockedError``)."""
        if self._live is None:
            starter = getattr(self, "_starter", None)
            if starter is None:
                raise LoggingValueError("mark_started: this TaskView was not made by Task.get_task")
            self._live = starter()

    def __getattr__(self, name: str) -> Any:
        live = self.__dict__.get("_live")
        if live is None or name.startswith("__"):
            raise AttributeError(f"{type(self).__name__!r} has no attribute {name!r}"
                                 + ("" if live is not None else " (a stored task: call mark_started() to write to it)"))
        return getattr(live, name)

    def __repr__(self) -> str:
        return f"<ringlog.TaskView {self.id} {self.project}/{self.name} {self.status}>"


def reported_scalars(reader: "TaskReader", max_samples: int = 0, x_axis: str = "iter") -> dict:
    if x_axis not in ("iter", "timestamp"):
        raise LoggingValueError(f"x_axis: must be 'iter' or 'timestamp' (given: {x_axis!r})")
    out: dict = {}
    for title, series in reader.series():
        s = reader.scalar(title, series)
        x = s.step if x_axis == "iter" else s.time
        y = s.value
        if max_samples and len(y) > max_samples:
            idx = _even(len(y), max_samples)
            x, y = x[idx], y[idx]
        out.setdefault(title, {})[series] = {"x": x.tolist(), "y": y.tolist()}
    return out


def merged_plots(reader: "TaskReader", title: Optional[str] = None, series: Optional[str] = None) -> list:
    from ringlog.store.plotmerge import merge_series  # deferred: ringlog.store imports numba (~1 s)

    return merge_series(reader.plots(title, series))


def reported_plots(reader: "TaskReader", max_iterations: Optional[int] = None) -> list:
    import json  # deferred: only for this read

    recs = reader.plots()
    if max_iterations:
        keep: dict = {}
        for r in recs:
            keep.setdefault((r.get("title"), r.get("series")), set()).add(r.get("iteration"))
        newest = {k: set(sorted(v)[-int(max_iterations):]) for k, v in keep.items()}
        recs = [r for r in recs if r.get("iteration") in newest[(r.get("title"), r.get("series"))]]
    return [{"metric": r.get("title"), "variant": r.get("series"), "iter": r.get("iteration"),
             "plot_str": json.dumps(r.get("figure") or {})} for r in recs]


def last_scalar_metrics(reader: "TaskReader") -> dict:
    out: dict = {}
    for (title, series), m in reader.last_metrics().items():
        out.setdefault(title, {})[series] = {"last": m["last"], "min": m["min"], "max": m["max"]}
    return out


def _even(n: int, k: int):
    import numpy as np  # deferred: this module is imported by Task, which needs no numpy until a read

    return np.unique(np.linspace(0, n - 1, k).round().astype(np.int64))


def open_task(root: Path, task_id: Optional[str] = None, project_name: Optional[str] = None,
              task_name: Optional[str] = None) -> TaskView:
    """Find a task by id, or the most recently updated one with this project and/or name."""
    from ringlog.store import Store  # deferred: ringlog.store imports numba (~1 s)

    st = Store(root)
    if task_id is not None:
        if not isinstance(task_id, str) or not task_id:
            raise type_error("task_id", "must be a non-empty str", task_id)
        return TaskView(st.task(task_id))
    if project_name is None and task_name is None:
        raise LoggingValueError("get_task: give task_id, or project_name and/or task_name (given: none)")
    rows = [r for r in st.tasks(project=project_name) if task_name is None or r.get("name") == task_name]
    if not rows:
        raise LoggingValueError(f"get_task: no task with project_name={project_name!r} task_name={task_name!r} "
                                f"under {root}")
    rows.sort(key=lambda r: (r.get("updated") or 0, r.get("created") or 0))
    return TaskView(st.task(rows[-1]["id"]))
