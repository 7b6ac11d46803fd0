"""W&B's resume rules for ``ringlog.init(id=..., resume=...)`` (the engine's
:mod:`ringlog._engine.resume` does the continuing).

``id`` (else ``$RINGLOG_RUN_ID``, else ``$WANDB_RUN_ID``) names the task; ``resume`` (else
``$RINGLOG_RESUME``, else ``$WANDB_RESUME``) says what to do when it exists, as W&B does:

=========  ===========================================  ===========================================
resume     the task exists                               it does not
=========  ===========================================  ===========================================
None       error: ids are unique (pass resume="allow")   a new task with this id
"allow"    continued                                     a new task with this id
"must"     continued                                     error (W&B's UsageError); also without an id
"never"    error                                         a new task with this id
"auto",    as "allow"; without an id, the id recorded   a new task; its id is recorded in
True       in ``<root>/.resume.json`` by the last run   ``<root>/.resume.json`` (removed when the
           that did not complete (W&B's                  run completes: only a crashed, killed or
           ``wandb-resume.json``)                        failed run is picked up again)
=========  ===========================================  ===========================================

A continued task keeps its id, project, config (``init(config=...)`` is merged over it), summary,
tags and history; its step counter goes on from the highest step stored + 1 (a lower explicit
``step`` is dropped with a warning, W&B's rule). Ids are unique in a store root, so continuing a
task of another project than ``project=`` is an error (without ``project=`` the task's is used).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Mapping, Optional

from .._engine import resume as engine
from .._engine.runcore import RunCore
from ..errors import value_error

RULES = ("allow", "must", "never", "auto")
AUTO_FILE = ".resume.json"
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def resolve(run_id: Any, resume: Any, env: Mapping[str, str]) -> tuple[Optional[str], Optional[str]]:
    """(id, rule) from the arguments, else the environment; checked (errors name the argument)."""
    arg = "id"
    if run_id is None:
        for var in ("RINGLOG_RUN_ID", "WANDB_RUN_ID"):
            if env.get(var, "").strip():
                run_id, arg = env[var].strip(), f"${var}"
                break
    if run_id is not None and (not isinstance(run_id, str) or not _ID.match(run_id)):
        raise value_error(arg, "must be 1-64 letters, digits, '_' or '-'", run_id)
    arg = "resume"
    if resume is None:
        for var in ("RINGLOG_RESUME", "WANDB_RESUME"):
            if env.get(var, "").strip():
                resume, arg = env[var].strip(), f"${var}"
                break
    if resume is None or resume is False:
        return run_id, None
    if resume is True:
        return run_id, "auto"
    if isinstance(resume, str):
        key = resume.strip().lower()
        if key in ("false", "0"):
            return run_id, None
        key = "auto" if key in ("true", "1") else key
        if key in RULES:
            return run_id, key
    raise value_error(arg, f"must be one of {list(RULES)}, True, False or None", resume)


def apply(core: RunCore, run_id: Optional[str], rule: Optional[str], project: Optional[str],
          name: Optional[str]) -> bool:
    """Decide per the table in the module docstring, on the caller's thread, before ``core.start()``;
    returns whether the stored task is continued (``core.resumed`` is then set)."""
    auto_file = None
    if rule == "auto":
        auto_file = Path(core.settings.root) / AUTO_FILE
        if run_id is None:
            run_id = _recorded(auto_file)
        rule = "allow"
    if run_id is None:
        if rule == "must":
            raise value_error("resume", "'must' needs the id of the run to continue (id=, $RINGLOG_RUN_ID or "
                                        "$WANDB_RUN_ID)", "must")
        _record(core, auto_file, core.id)
        return False
    info = engine.stored_info(core, run_id)
    if info is None:
        if rule == "must":
            raise value_error("id", f"names no stored run to continue under {core.settings.root} (resume='must')",
                              run_id)
        core.id = core.intake.run_id = core.outputs.run_id = run_id
        _record(core, auto_file, run_id)
        return False
    if rule is None or rule == "never":
        how = "resume='never'" if rule else "pass resume='allow' (or 'must') to continue it, or another id"
        raise value_error("id", f"a run with this id already exists in project {info.get('project')!r} under "
                                f"{core.settings.root}; {how}", run_id)
    if project is not None and info.get("project") != project:
        raise value_error("id", f"names a run of project {info.get('project')!r}, not {project!r} (ids are unique "
                                "in a store root)", run_id)
    engine.continue_task(core, run_id, name=name)
    _record(core, auto_file, run_id)
    return True


def _recorded(path: Path) -> Optional[str]:
    try:
        rid = json.loads(path.read_text()).get("run_id")
    except (OSError, ValueError, AttributeError):
        return None
    return rid if isinstance(rid, str) and _ID.match(rid) else None


def _record(core: RunCore, path: Optional[Path], run_id: str) -> None:
    """W&B's resume file: the id of the run last started in this root with resume="auto"."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"run_id": run_id}))
        os.replace(tmp, path)
        core.auto_resume_file = path
    except OSError as exc:
        core.warn_once("resume-file", f"ringlog: could not record the run id in {path} ({exc!r}); "
                                      "resume='auto' will not find this run")
