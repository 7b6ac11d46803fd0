"""The W&B flavour: ``Run`` with its ``config``, ``summary`` and legacy ``history``.

Step rules (W&B's): every ``log`` call is a new step unless ``step`` is given;
``commit=False`` (legacy ``complete=False``) accumulates into the current step;
an explicit ``step`` accumulates until a later step arrives (or ``commit=True``);
a step lower than the current one is reported once and its data dropped.
A key ``k`` is stored as title ``k``, series ``k``; nested dicts become ``"outer.inner"`` keys
and stay nested in the summary, as W&B keys them (wandb/sdk/internal/handler.py joins the key
path with "." and keeps the summary dict nested); ``/`` stays the viewer's section separator.
A str is kept in the history (a one-cell table record per step) and in the summary. Other
non-numeric values go to ``ringlog.media.types.log_value``. Keys set in ``run.history.row`` go
in with the next ``log`` call (the legacy history API).

Cost: ``log({k: v, ...})`` with only numbers is one dict lookup and two C appends per key
(:meth:`ringlog._engine.intake.Intake.put_row`), with or without ``step``/``commit``, nested dicts
and step metrics included (:mod:`.rows`); only a new key, a bad value or an unusual call (a
non-dict mapping, a lower step) takes the checked path.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any, Optional

import numpy as np

from .._engine import context
from .._engine.runcore import RunCore
from .._engine.runstate import SUMMARY_NAMES
from .._engine.values import MAX_NESTING, STEP_END, as_number, as_step
from ..errors import type_error, value_error
from ..media.types import log_value
from .artifacts import RunArtifacts
from .rows import Rows
from .state import Config, History, Summary


def run_for(core: RunCore) -> "Run":
    """The W&B ``Run`` over ``core`` (made on first use, e.g. ``ringlog.log`` inside a ClearML task)."""
    return core.run_facade if core.run_facade is not None else Run(core)


def current_run() -> Optional["Run"]:
    """The ``Run`` over the current run's engine, or None when none is open."""
    core = context.current_core()
    return None if core is None else run_for(core)


class Run:
    """One W&B-style run; ``ringlog.init`` returns it. Thin over :class:`RunCore`."""

    def __init__(self, core: RunCore) -> None:
        self._core = core
        self._put_row = core.intake.put_row  # the fast path: None when the whole row went in
        self._intake = core.intake
        self._step = 0
        self.starting_step = 0  # W&B's: the step a resumed run continues from (0 for a new run)
        self._pending: Optional[dict] = None
        self._sync = False  # a metric has a step_metric to sync: rows take the checked path
        self.config = Config(core)
        self.summary = Summary(core)
        self.history = History(self)
        core.run_facade = self
        core.before_finish.append(self._commit)  # a commit=False row is written at any finish
        self._artifacts = RunArtifacts(core)  # wandb.save globs are stored again at finish
        self._rows = Rows(core.intake, self._put, core.state.metric_spec)

    # --- identity ---------------------------------------------------------------
    @property
    def id(self) -> str:
        return self._core.id

    @property
    def name(self) -> str:
        return self._core.name

    @property
    def project(self) -> str:
        return self._core.project

    @property
    def tags(self) -> tuple:
        return tuple(self._core.tags)

    @tags.setter
    def tags(self, tags) -> None:
        self._core.state.set_tags(tags)

    @property
    def dir(self) -> str:
        """The store root this run writes under."""
        return str(self._core.settings.root)

    @property
    def resumed(self) -> bool:
        """Whether ``init`` continued a stored run (``id=`` with ``resume=``; W&B's ``run.resumed``)."""
        return self._core.resumed is not None

    @property
    def step(self) -> int:
        """The step the next ``log`` call without ``step=`` writes to."""
        return self._step

    @property
    def settings(self):
        return self._core.settings

    def stats(self) -> dict:
        """Counters: ring-full waits, points written/dropped/pending, flush cycles."""
        return self._core.stats()

    # --- logging ----------------------------------------------------------------
    def log(self, data: Any = None, step: Any = None, commit: Optional[bool] = None, sync: Any = None,
            complete: Optional[bool] = None) -> None:
        """Log a dict of metrics for one step (see the module docstring for the rules). A plain dict
        with ``step`` None or an int step not below the current one takes the fast path (a held row
        is the run's own copy: the caller may reuse its dict); anything else the checked path."""
        if self.history.row:  # the legacy row is saved by the next log call (W&B's history.add(row))
            data = _merged(self.history, data)
        if commit is None:
            commit = complete
        plain = type(data) is dict
        if step is None and (commit is None or commit is True) and (
                plain or (commit is None and self._pending is None and not self._sync)):
            st = self._step  # a non-dict is refused by _rest below, and still takes its step
            pend = self._pending
            if pend is not None:
                self._pending = None
                pend.update(data)
                data = pend
            elif self._sync:
                data = dict(data)  # step sync adds keys: never to the caller's dict
            if self._sync:
                self._rows.step_sync(data, self._last)
            stop = self._put_row(data, st)  # a Ctrl-C inside it: the call took no step
            if stop is not None:
                try:
                    self._rest(data, stop, st)
                finally:  # even if the checked path raises (strict mode, raise-on-full): keys before stay at st
                    self._step = min(st + 1, STEP_END)  # the counter stops at 2**63: every later row is refused
                return
            self._step = st + 1
            return
        if plain:
            if step is None:
                if commit is False and not self._intake.closed:
                    if self._pending is None:
                        self._pending = dict(data)
                    else:
                        self._pending.update(data)
                    return
            elif type(step) is int and commit is None and self._step <= step < STEP_END and not self._intake.closed:
                pend = self._pending
                if step == self._step and pend is not None:
                    pend.update(data)
                    return
                if pend is not None:  # a later step: the held row is written at its own step (_commit)
                    self._pending = None
                    if self._sync:
                        self._rows.step_sync(pend, self._last)
                    stop = self._put_row(pend, self._step)
                    if stop is not None:
                        self._rest(pend, stop, self._step)
                self._step = step
                self._pending = dict(data)  # held until a later step or commit (W&B's rule); a copy
                return
        self._log_checked(data, step, commit)

    def _rest(self, data: Any, failed: Any, step: int) -> None:
        """Finish a fast-path call from the key that missed (``MISSING``: from the start), checked."""
        core = self._core
        if core.finished:
            core.closed_input("log")
            return
        if type(data) is not dict and not isinstance(data, Mapping):
            core.bad_input("data", str(type_error("data", "must be a dict of key -> value", data)), kind="type")
            return
        self._rows.write(data, step, failed)

    def _last(self, key: str) -> Optional[float]:
        """The last value logged under W&B key ``key`` (None if none): a step metric to sync."""
        return self._core.intake.summary(key, None)

    def _log_checked(self, data: Any, step: Any, commit: Optional[bool]) -> None:
        core = self._core
        if core.finished:
            core.closed_input("log")
            return
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            core.bad_input("data", str(type_error("data", "must be a dict of key -> value", data)), kind="type")
            return
        if step is not None:
            s = as_step(step)
            if s is None or isinstance(step, bool):
                core.bad_input("step", str(type_error("step", "must be an integer", step)), kind="type")
                return
            if not 0 <= s < STEP_END:
                core.bad_input("step", str(value_error("step", "must be in 0..2**63-1 (a signed 64-bit step)", step)),
                               key="step-range")
                return
            if s < self._step:
                core.bad_input("step", str(value_error(
                    "step", f"must not be lower than the current step {self._step}; W&B only writes the "
                    "current or a later step, so this data was dropped", s)), key="step-lower")
                return
            if s > self._step:
                self._commit()
                self._step = s
            self._accumulate(data)
            if commit:
                self._commit()
                self._step = s + 1  # at most STEP_END: s < STEP_END
            return
        self._accumulate(data)
        if commit is False:
            return
        self._commit()
        self._step = min(self._step + 1, STEP_END)

    def _accumulate(self, data: Mapping) -> None:
        if self._pending is None:
            self._pending = {}
        self._pending.update(data)

    def _commit(self) -> None:
        """Write the accumulated row at the current step."""
        row, self._pending = self._pending, None
        if row:
            if self._sync:
                self._rows.step_sync(row, self._last)
            self._rows.write(row, self._step)

    def _put(self, key: Any, value: Any, step: int, path: tuple = (), parents: tuple = ()) -> None:
        core = self._core
        if not isinstance(key, str):
            core.bad_input("data", str(type_error("data", "keys must be str", key)), kind="type")
            return
        if not key or key.isspace():
            core.bad_input("data", str(value_error("data", "keys must be non-empty strings", key)))
            return
        x = value if type(value) is float else as_number(value)
        if x is not None:
            if path:
                core.state.set_nested(key, path)
            core.intake.checked(key, key, x, step, title_arg="data key", series_arg="data key",
                                value_arg=f"data[{key!r}]", step_arg="step")
            return
        if step >= STEP_END:
            core.intake.checked(key, key, 0.0, step, step_arg="step")  # refused (and counted) as the step it is
            return
        if isinstance(value, Mapping) and not isinstance(value.get("data"), list):  # a plotly dict is media
            arg = f"data[{key!r}]"
            if id(value) in parents or len(parents) >= MAX_NESTING:
                rule = "must not contain itself" if id(value) in parents else \
                    f"must nest dicts at most {MAX_NESTING} levels deep"
                core.bad_input(arg, str(value_error(arg, rule, "a dict")), key=f"nesting:{rule}")
                return
            for k2, v2 in list(value.items()):
                if isinstance(k2, str):
                    self._put(f"{key}.{k2}", v2, step, (path or (key,)) + (k2,), parents + (id(value),))
                else:
                    self._put(k2, v2, step)  # reported as a bad key there
            return
        if isinstance(value, (numbers.Number, np.generic)) and not isinstance(value, bool):
            core.intake.bad_number(f"data[{key!r}]", value)  # complex, 10**400, datetime64: no media either
            return
        if path:
            core.state.set_nested(key, path)
        if isinstance(value, str):
            core.state.set_logged(key, value)
        try:
            log_value(core, key, value, step)
        except Exception as exc:
            if core.strict:
                raise
            core.bad_input(f"data[{key!r}]", f"data[{key!r}]: could not log {type(value).__name__}: {exc}",
                           key="media:" + type(value).__name__)

    # --- metrics, summary, config -----------------------------------------------
    def define_metric(self, name: str, step_metric: Optional[str] = None, step_sync: Optional[bool] = None,
                      hidden: Optional[bool] = None, summary: Optional[str] = None, goal: Optional[str] = None,
                      overwrite: Optional[bool] = None, **_ignored: Any) -> dict:
        """Declare how a metric is summarised and which metric is its x axis (W&B's rules,
        wandb/sdk/wandb_run.py ``define_metric`` and wandb/sdk/internal/handler.py):

        * ``summary``: "min", "max", "mean", "first", "last", "best" (with ``goal`` "minimize" - the
          default - or "maximize"), several joined by "," ("min,max"), "copy" (the last value as
          is, the default) or "none" (no summary key). The summary then holds ``{"max": v}``
          (``{"min": v, "max": w}``, ``{"best": v}``, ...) for the key instead of its last value.
        * ``step_metric``: the key's x axis; with ``step_sync`` (default True) a row that logs the
          key without its step metric gets the step metric's last logged value.
        * ``hidden=True``: kept out of the automatic charts (stored in the metadata).

        ``name`` may be a glob (``"val/*"``): it applies to the keys logged after it. Stored in the
        task metadata (``metrics``).
        """
        core = self._core
        if not isinstance(name, str) or not name:
            core.bad_input("name", str(type_error("name", "must be a non-empty str", name)), kind="type")
            return {}
        spec: dict = {}
        if step_metric is not None:
            if not isinstance(step_metric, str) or not step_metric:
                core.bad_input("step_metric", str(type_error("step_metric", "must be a metric name", step_metric)),
                               kind="type")
                return {}
            spec["step_metric"] = step_metric
            if step_sync is not None:
                spec["step_sync"] = bool(step_sync)
        if goal is not None and goal not in ("minimize", "maximize", "min", "max"):
            core.bad_input("goal", str(value_error("goal", "must be 'minimize' or 'maximize'", goal)))
            return {}
        if summary is not None:
            kinds = [s.strip() for s in str(summary).split(",") if s.strip()]
            bad = [s for s in kinds if s not in SUMMARY_NAMES]
            if bad or not kinds:
                core.bad_input("summary", str(value_error(
                    "summary", f"must be one of {', '.join(SUMMARY_NAMES)} (or several joined by ',')", summary)))
                return {}
            spec["summary"] = ",".join(kinds)
        if goal is not None:
            spec["goal"] = goal
        if hidden is not None:
            spec["hidden"] = bool(hidden)
        core.state.define_metric(name, spec)
        self._rows.reset_sync()
        if spec.get("step_metric") and spec.get("step_sync", True):
            self._sync = True
        return dict(spec, name=name)

    # --- artifacts and files (ringlog.wandb.artifacts) -----------------------------
    def save(self, glob_str: Any = None, base_path: Any = None, policy: str = "live") -> list:
        """Keep the files matching ``glob_str`` with the run (``policy``: "live", "now" or "end")."""
        return self._artifacts.save(glob_str, base_path=base_path, policy=policy)

    def log_artifact(self, artifact_or_path: Any, name: Optional[str] = None, type: Optional[str] = None,
                     aliases: Optional[list] = None, tags: Optional[list] = None) -> Any:
        """Log an ``Artifact`` (or a file/folder path) as a version of the run's project; returns it."""
        return self._artifacts.log_artifact(artifact_or_path, name=name, type=type, aliases=aliases, tags=tags)

    def use_artifact(self, artifact_or_name: Any, type: Optional[str] = None, aliases: Optional[list] = None,
                     use_as: Optional[str] = None) -> Any:
        """The version ``"name"``, ``"name:alias"`` or ``"name:v3"`` resolves to, recorded as used by this run."""
        return self._artifacts.use_artifact(artifact_or_name, type=type, aliases=aliases, use_as=use_as)

    def log_model(self, path: Any, name: Optional[str] = None, aliases: Optional[list] = None) -> Any:
        """Log a model file or folder as an artifact of type "model"."""
        return self._artifacts.log_model(path, name=name, aliases=aliases)

    def use_model(self, name: str) -> str:
        """The local path of a logged model (``name[:alias]``), recorded as used by this run."""
        return self._artifacts.use_model(name)

    # --- end --------------------------------------------------------------------
    def finish(self, exit_code: Optional[int] = None, quiet: Any = None) -> None:
        """Write everything and close the task (``exit_code`` non-zero -> ``failed``)."""
        if self._pending:
            self._commit()
        status = "completed" if not exit_code else "failed"
        self._core.finish(status)
        context.clear_if_current(self._core)

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Block until everything logged so far is on disk, remote media uploads included (bounded
        by ``finish_timeout``)."""
        return self._core.flush(wait=True, timeout=timeout)

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, etype, exc, tb) -> None:
        if etype is None:
            status = "completed"
        elif issubclass(etype, KeyboardInterrupt):
            status = "aborted"
        elif issubclass(etype, SystemExit):
            code = getattr(exc, "code", None)
            status = "aborted" if code == 143 else ("completed" if code in (None, 0) else "failed")
        else:
            status = "failed"
        if self._pending:
            self._commit()
        self._core.finish(self._core.exit_status or status)
        context.clear_if_current(self._core)

    def __repr__(self) -> str:
        return f"<ringlog.Run {self.id} {self.project}/{self.name} step={self._step}>"


def _merged(history: Any, data: Any) -> Any:
    """``history.row`` with ``data`` over it (``history.row`` starts empty again)."""
    row, history.row = history.row, {}
    if isinstance(data, Mapping):
        row.update(data)
        return row
    return data if data is not None else row
