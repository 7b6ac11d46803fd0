"""Module-level W&B-style functions: ``ringlog.init / log / finish / define_metric``.

``import ringlog as wandb`` keeps W&B scripts working: ``wandb.init(config=args)``,
``wandb.log({...})``, ``wandb.run.summary[...]``, ``wandb.config.x``. Each function
is a thin wrapper over the current :class:`~ringlog.wandb.run.Run`.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, Optional, Sequence

from .._engine import context
from .._engine.runcore import RunCore
from .._engine import resume as engine_resume
from .._engine.disabled import disable, resolve_mode
from .._engine.shared import join_now, label_of, share
from .._engine.settings import Settings
from .._engine.values import STEP_END
from ..capture import manager as captures
from ..errors import LoggingWarning, type_error, value_error
from . import resume as resume_rules
from .run import Run, current_run
from .state import as_mapping

_get_current = context._current.get

# W&B arguments accepted for compatibility and recorded in the metadata; of these only "resume" and
# "mode" are acted on (ringlog.wandb.resume, ringlog._engine.disabled)
_RECORDED = ("notes", "group", "job_type", "entity", "resume", "mode", "save_code", "anonymous",
             "sync_tensorboard", "monitor_gym", "magic", "force", "allow_val_change", "config_exclude_keys",
             "config_include_keys")


def init(project: Optional[str] = None, name: Optional[str] = None, config: Any = None,
         tags: Optional[Sequence[str]] = None, dir: Optional[str] = None, settings: Optional[Settings] = None,
         strict: Optional[bool] = None, capture: Any = None, reinit: Any = None, id: Optional[str] = None,
         **kwargs: Any) -> Run:
    """Start a run and make it current; returns the :class:`Run` (usable as a context manager).

    A run already open in this context is finished first. Data goes to ``dir``,
    else ``$RINGLOG_DIR``, else ``./ringlog_data``. ``strict=True`` raises on
    bad input instead of warning once. ``capture`` (bool or dict) switches the
    auto-capture of console, TensorBoard, matplotlib, system metrics, git.

    ``id`` and ``resume`` continue a stored run, with W&B's rules (:mod:`ringlog.wandb.resume`).
    ``mode`` (else ``settings.mode``, ``$RINGLOG_MODE``, ``$WANDB_MODE``): "online"/"offline" (both
    write the local store), "disabled" (a run that works and writes nothing:
    :mod:`ringlog.wandb.disabled`) or "shared" (several processes write task ``id``, each under its
    ``settings.x_label``, else ``$RINGLOG_LABEL``: :mod:`ringlog._engine.shared`; ``$RINGLOG_LABEL``
    with an id also selects it).
    """
    unknown = [k for k in kwargs if k not in _RECORDED]
    if unknown:
        raise TypeError(f"init() got unexpected keyword argument(s) {unknown}; accepted: project, name, config, "
                        f"tags, dir, settings, strict, capture, reinit, id and the W&B arguments {list(_RECORDED)}")
    if settings is not None and not isinstance(settings, Settings):
        raise type_error("settings", "must be a ringlog.Settings", settings)
    mode = resolve_mode(kwargs["mode"] if kwargs.get("mode") is not None else getattr(settings, "mode", None),
                        os.environ)
    s = (settings or Settings()).updated(dir=dir, strict=strict).with_capture(capture).resolved()
    _check_name("project", project)
    _check_name("name", name)
    if tags is not None and (isinstance(tags, str) or not all(isinstance(t, str) for t in tags)):
        raise type_error("tags", "must be a list of str", tags)
    prev = current_run()
    if prev is not None:
        prev.finish()
    core = RunCore(project=project or "uncategorized", name=name or "", tags=tags or (), settings=s,
                   kind="wandb")
    if mode == "disabled":
        return _disabled_run(core, id, config)
    run_id, rule = resume_rules.resolve(id, kwargs.get("resume"), os.environ)
    resumed, shared_last = False, None
    if mode == "shared" or (run_id is not None and os.environ.get("RINGLOG_LABEL", "").strip()):
        if run_id is None:  # several processes, one task: ringlog._engine.shared
            raise value_error("id", "mode='shared' needs the id of the task every process writes (id=, "
                                    "$RINGLOG_RUN_ID or $WANDB_RUN_ID)", None)
        core.id = core.intake.run_id = core.outputs.run_id = run_id
        share(core, label_of(s.x_label, os.environ))
        core.name = core.name or f"run-{run_id[:8]}"
        shared_last = join_now(core)  # a restarted process continues after its own last step
    elif run_id is not None or rule:
        resumed = resume_rules.apply(core, run_id, rule, project, name)
    if not core.name:
        core.name = f"run-{core.id[:8]}"
    recorded = {k: v for k, v in kwargs.items() if v is not None}
    if id is not None:
        recorded["wandb_id"] = str(id)
    if recorded:
        core.state.set_meta(init_args=recorded)
    run = Run(core)
    core.after_fork.append(lambda: _forget_rows(run))  # a forked child must not write the parent's row again
    if config is not None:
        try:
            core.state.update_config(as_mapping(config, core))
        except BaseException:  # strict mode: a bad config; a continued task is handed back as it was
            engine_resume.give_back(core)
            raise
    if shared_last is not None:
        run._step = run.starting_step = shared_last + 1
    if resumed:
        last = engine_resume.last_step(core, wandb_keys=True)
        run._step = run.starting_step = 0 if last is None else last + 1
        engine_resume.mark_step(core, run._step)
    core.start()
    captures.attach(core)
    context.set_current(core)
    return run


def _forget_rows(run: Run) -> None:
    """In a forked child (ringlog._engine.shared): the ``commit=False`` row accumulating at the fork
    and ``history.row`` are the parent's to write; the child starts with none."""
    run._pending, run.history.row = None, {}


def _disabled_run(core: RunCore, id: Any, config: Any) -> Run:
    """``init`` in mode "disabled": no thread, no capture, no store; still the current run."""
    from .disabled import DisabledRun  # deferred: only disabled runs need it

    if isinstance(id, str) and id:
        core.id = id
    core.name = core.name or f"run-{core.id[:8]}"
    disable(core)
    run = DisabledRun(core)
    if config is not None:
        core.state.update_config(as_mapping(config, core))
    context.set_current(core)
    return run


def log(data: Any = None, step: Any = None, commit: Optional[bool] = None, sync: Any = None,
        complete: Optional[bool] = None) -> None:
    """``run.log`` on the current run (see :meth:`Run.log`); a warning if none is open.

    The common call (numbers only, no ``step``/``commit``) is ``Run.log``'s fast branch inlined
    here (one ``ContextVar`` read, then the intake's ``put_row``), saving a Python call per log.
    """
    core = _get_current()
    run = None if core is None else core.run_facade
    if run is None:
        run = current_run()
        if run is None:
            warnings.warn("ringlog.log() called with no open run; call ringlog.init() first (nothing was logged)",
                          LoggingWarning, stacklevel=2)
            return
    if step is None and commit is None and complete is None and run._pending is None and not run._sync \
            and not run.history.row:
        st = run._step
        stop = run._put_row(data, st)  # the intake's fast path: None when the whole row went in
        if stop is not None:
            try:
                run._rest(data, stop, st)
            finally:  # even if the checked path raises (strict mode, raise-on-full): keys before stay at st
                run._step = min(st + 1, STEP_END)  # the counter stops at 2**63: every later row is refused
            return
        run._step = st + 1
        return
    run.log(data, step, commit, None, complete)


def finish(exit_code: Optional[int] = None, quiet: Any = None) -> None:
    """Finish the current run (no-op when none is open)."""
    run = current_run()
    if run is not None:
        run.finish(exit_code=exit_code)


def define_metric(name: str, step_metric: Optional[str] = None, summary: Optional[str] = None,
                  **kwargs: Any) -> dict:
    """``run.define_metric`` on the current run."""
    run = current_run()
    if run is None:
        raise RuntimeError("ringlog.define_metric() needs an open run; call ringlog.init() first")
    return run.define_metric(name, step_metric=step_metric, summary=summary, **kwargs)


def _check_name(arg: str, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise type_error(arg, "must be a non-empty str or None", value)


def _run_for(call: str) -> Run:
    run = current_run()
    if run is None:
        raise RuntimeError(f"ringlog.{call}() needs an open run; call ringlog.init() first")
    return run


def save(glob_str: Any = None, base_path: Any = None, policy: str = "live") -> list:
    """``run.save`` on the current run (W&B's ``wandb.save``)."""
    return _run_for("save").save(glob_str, base_path=base_path, policy=policy)


def log_artifact(artifact_or_path: Any, name: Optional[str] = None, type: Optional[str] = None,
                 aliases: Optional[list] = None, tags: Optional[list] = None) -> Any:
    """``run.log_artifact`` on the current run."""
    return _run_for("log_artifact").log_artifact(artifact_or_path, name=name, type=type, aliases=aliases, tags=tags)


def use_artifact(artifact_or_name: Any, type: Optional[str] = None, aliases: Optional[list] = None,
                 use_as: Optional[str] = None) -> Any:
    """``run.use_artifact`` on the current run."""
    return _run_for("use_artifact").use_artifact(artifact_or_name, type=type, aliases=aliases, use_as=use_as)


def log_model(path: Any, name: Optional[str] = None, aliases: Optional[list] = None) -> Any:
    """``run.log_model`` on the current run."""
    return _run_for("log_model").log_model(path, name=name, aliases=aliases)


def use_model(name: str) -> str:
    """``run.use_model`` on the current run."""
    return _run_for("use_model").use_model(name)
