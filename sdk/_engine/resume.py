"""Continuing a stored task (resume), shared by both flavours: which rules decide *whether* to
resume are the facades' (W&B's ``resume=``, ClearML's ``continue_last_task``); this module does it.

:func:`continue_task` runs on the caller's thread inside ``init()`` / ``Task.init()``, before the
run's threads start: it opens the stored task for writing at once
(:func:`ringlog.store.reopen.open_task`: a live writer holding it is an error there and then, never a
second writer; a crashed writer's leftovers are repaired first), gives the run the task's id,
project and name, carries its config, tags, metric definitions and summary over, and hands the
open writer to :func:`~.startup.open_task`. The writer's running figures give each series' last
step, from which the facades continue their step counters. Cost: the store's reopen, O(points).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from . import startup

if TYPE_CHECKING:  # pragma: no cover
    from .runcore import RunCore

SYSTEM_TITLE = "system"  # system metrics' title (capture/sysmetrics.py): their sample numbers are no steps
SINGLE_VALUE = -(2**31)  # ClearML's report_single_value iteration: never offset


def store_for(core: "RunCore") -> Any:
    """The run's store (imports ``ringlog.store`` through :func:`startup.preload`, once per process)."""
    startup.preload()
    from ringlog.store import Store  # deferred: imported by preload() already

    return Store(core.settings.root)


def stored_info(core: "RunCore", task_id: str) -> Optional[dict]:
    """The stored task ``task_id``'s metadata (``TaskReader.info``), or None when there is none."""
    from ringlog.store.errors import TaskNotFoundError

    try:
        return store_for(core).task(task_id).info
    except TaskNotFoundError:
        return None


def continue_task(core: "RunCore", task_id: str, *, name: Optional[str] = None, carry: bool = True) -> dict:
    """Open stored task ``task_id`` for writing and make ``core`` (not started) continue it; with
    ``carry`` its config, tags, metric definitions and summary carry over. Returns ``core.resumed``:
    ``{"writer", "summary", "last_steps": {(title, series): last step}, "from_status"}``."""
    from ringlog.store.reopen import open_task  # deferred: imported with the store by store_for()

    writer = open_task(store_for(core), task_id)
    meta = writer.meta
    try:
        core.id = core.intake.run_id = core.outputs.run_id = task_id
        core.project = meta["project"]
        core.name = name or meta.get("name") or core.name
        if carry:
            core.state.update_config(meta.get("config") or {}, only_new=True)
            core.state.add_tags(meta.get("tags") or [])
            for key, spec in (meta.get("metrics") or {}).items():
                if isinstance(spec, dict):
                    core.state.define_metric(key, spec)
        last = _stored_steps(writer.path)
        resumes = [dict(r) for r in meta.get("resumes") or [] if isinstance(r, dict)]
        core.state.set_meta(resumes=resumes)
        core.resumed = {"writer": writer, "summary": dict(meta.get("summary") or {}) if carry else {},
                        "last_steps": last, "from_status": (resumes[-1] if resumes else {}).get("from_status")}
    except BaseException:
        writer.close(status="aborted")
        raise
    return core.resumed


def _stored_steps(path: Any) -> dict:
    """``{(title, series): the last step stored}``: each series' (series.json's figures, exact after
    the reopen's sync), and debug samples and plots too (W&B media and logged strings: a run that
    logged only images still continues after its last step). Damaged listings count for nothing."""
    from ringlog.store import TaskReader  # deferred: imported with the store by store_for()

    r = TaskReader(path)
    last = {}
    for key, m in r.last_metrics().items():
        if m.get("count") and isinstance(m.get("last_step"), int):
            last[key] = m["last_step"]
    for rec in [*r.media(), *r.plots()]:
        it = rec.get("iteration")
        if isinstance(it, int) and not isinstance(it, bool) and it != SINGLE_VALUE:
            key = (rec.get("title"), rec.get("series"))
            last[key] = max(last.get(key, it), it)
    return last


def give_back(core: "RunCore") -> None:
    """``init`` failed after :func:`continue_task`: close the reopened task with the status it had."""
    writer = (core.resumed or {}).pop("writer", None)
    if writer is not None:
        writer.close(status=core.resumed.get("from_status") or "aborted")


def mark_step(core: "RunCore", step: int) -> None:
    """Record in the task's last ``resumes`` entry the step its series continue from (the viewer
    draws the resume there on the step axis)."""
    resumes = list(core.state.snapshot().get("resumes") or [])  # (set_meta below marks the state dirty again)
    if resumes:
        resumes[-1] = dict(resumes[-1], step=int(step))
    else:
        resumes = [{"time": time.time(), "step": int(step)}]
    core.state.set_meta(resumes=resumes)


def last_step(core: "RunCore", wandb_keys: bool) -> Optional[int]:
    """The highest step stored: over W&B keys (title == series) with ``wandb_keys``, else over every
    series (system metrics and ClearML single values left out); None when nothing is stored."""
    steps = [s for (t, k), s in (core.resumed or {}).get("last_steps", {}).items()
             if t != SYSTEM_TITLE and s != SINGLE_VALUE and (t == k or not wandb_keys)]
    return max(steps) if steps else None


def offset_iterations(core: "RunCore", offset: int) -> None:
    """Add ``offset`` to every iteration reported from now on (ClearML's initial iteration offset):
    the scalar and array paths of the run, not ClearML's single values."""
    put, arr = core.intake.put, core.intake.report_array
    if offset == 0:
        core.report_scalar = put
        core.report_array = arr  # type: ignore[method-assign]
        return

    def report_scalar(title: Any, series: Any, value: Any, iteration: Any) -> None:
        if isinstance(iteration, (int, np.integer)) and not isinstance(iteration, bool) and iteration != SINGLE_VALUE:
            iteration = int(iteration) + offset
        put(title, series, value, iteration)

    def report_array(title: Any, series: Any, values: Any, iterations: Any, times: Any = None) -> None:
        it = np.asarray(iterations)
        if it.dtype.kind in "iu":
            iterations = it.astype(np.int64) + offset
        arr(title, series, values, iterations, times)

    core.report_scalar = report_scalar
    core.report_array = report_array  # type: ignore[method-assign]
