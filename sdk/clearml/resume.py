"""ClearML's rules for continuing a stored task (the engine's :mod:`ringlog._engine.resume` does it).

``Task.init(continue_last_task=...)``, as ClearML documents it:

* ``True``: continue the last task of this ``project_name`` / ``task_name`` (the most recently
  created one; any task of the project when ``task_name`` is None); none: a new task;
* ``"<task id>"``: continue that task (the same as ``True`` with ``reuse_last_task_id="<task id>"``);
* an int: continue the last task, with that *initial iteration offset* instead of the automatic
  one (0 turns the offset off).

A continued task keeps its id, config (``connect`` merges over it), tags, summary and history, and
every iteration reported from then on is shifted by the offset: by default the last iteration
stored + 1, so a script counting from 0 again goes on after the old points (ClearML's "the last
train/loss scalar reported was iteration 100, the next report will be iteration 101").

``reuse_last_task_id=True`` (or a task id) reuses the last task of this project/name only when
nothing was logged into it (no scalar, debug sample or plot): its id is kept, with a fresh config,
and no data is ever deleted (ClearML reuses a task without artifacts or models and deletes its
outputs). ringlog's default is ``None``: a new task every time (ClearML's default, True, would make a
second run of a script overwrite the first one's record).

``Task.get_task(...)`` then ``mark_started()`` continues the task it returned, in this process
(offset 0: the iterations are reported as given).
"""

from __future__ import annotations

from typing import Any, Optional

from .._engine import resume as engine
from .._engine.runcore import RunCore
from ..errors import type_error, value_error


def plan(core: RunCore, project: Optional[str], name: Optional[str], continue_last_task: Any,
         reuse_last_task_id: Any) -> Optional[int]:
    """Decide per the module docstring, before ``core.start()``; returns the iteration offset to
    apply (None: none). Sets ``core.resumed`` when a stored task is continued."""
    cont, offset, tid = _continue_arg(continue_last_task)
    reuse_id = None
    if isinstance(reuse_last_task_id, str):
        if not reuse_last_task_id:
            raise value_error("reuse_last_task_id", "must be a bool or a task id", reuse_last_task_id)
        reuse_id = reuse_last_task_id
    elif reuse_last_task_id is not None and not isinstance(reuse_last_task_id, bool):
        raise type_error("reuse_last_task_id", "must be a bool or a task id str", reuse_last_task_id)
    if not cont and not reuse_last_task_id:
        return None
    named = tid or reuse_id
    target = named or _last_of(core, project, name)
    if target is None:
        return None
    if engine.stored_info(core, target) is None:
        if named is None:
            return None
        arg = "continue_last_task" if tid else "reuse_last_task_id"
        raise value_error(arg, f"names no stored task under {core.settings.root}", target)
    if cont:
        engine.continue_task(core, target)
        if offset is None:
            last = engine.last_step(core, wandb_keys=False)
            offset = 0 if last is None else last + 1
        engine.mark_step(core, offset)
        return offset
    if _nothing_logged(core, target):
        from ringlog.store.errors import TaskLockedError

        try:
            engine.continue_task(core, target, name=name, carry=False)
        except TaskLockedError:  # another process writes it: not reusable, a new task instead
            return None
        engine.mark_step(core, 0)
    return None


def _continue_arg(value: Any) -> tuple[bool, Optional[int], Optional[str]]:
    """(continue?, the offset given, the task id given) of ``continue_last_task``."""
    if value is None or isinstance(value, bool):
        return bool(value), None, None
    if isinstance(value, int):
        if value < 0:
            raise value_error("continue_last_task", "as an iteration offset must be >= 0", value)
        return True, value, None
    if isinstance(value, str) and value:
        return True, None, value
    raise type_error("continue_last_task", "must be a bool, a task id str or an int iteration offset", value)


def _last_of(core: RunCore, project: Optional[str], name: Optional[str]) -> Optional[str]:
    """The most recently created stored task of ``project`` (default "default") named ``name``."""
    rows = [r for r in engine.store_for(core).tasks(project=project or "default")
            if name is None or r.get("name") == name]
    if not rows:
        return None
    return max(rows, key=lambda r: (r.get("created") or 0, r.get("updated") or 0))["id"]


def _nothing_logged(core: RunCore, task_id: str) -> bool:
    r = engine.store_for(core).task(task_id)
    return not r.series() and not r.media() and not r.plots()
