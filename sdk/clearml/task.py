"""The ClearML flavour: ``Task.init(...)``, ``task.get_logger()``, ``task.connect(...)``.

``from ringlog import Task`` stands in for ``from clearml import Task``. A Task
and a W&B :class:`~ringlog.wandb.run.Run` started in the same process write the same
kind of task; ``ringlog.log`` works inside a ClearML task too (it writes to it).
Reading: ``Task.get_task(task_id=...)`` or ``(project_name=, task_name=)``
returns a read-only :class:`~ringlog.clearml.readapi.TaskView`.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, Optional, Sequence

from .._engine import context
from .._engine import resume as engine_resume
from .._engine import shared
from .._engine.runcore import RunCore
from .._engine.settings import Settings
from ..capture import manager as captures
from ..errors import type_error
from .artifacts import Artifacts, TaskArtifacts
from .logger import Logger
from . import resume as resume_rules
from .models import OutputModel, task_models
from .readapi import TaskView, last_scalar_metrics, open_task, reported_plots, reported_scalars

if TYPE_CHECKING:  # pragma: no cover
    from ringlog.store import TaskReader

_FRAMEWORK_SWITCHES = {"matplotlib": "matplotlib", "tensorboard": "tensorboard", "tensorboardx": "tensorboard"}


class Task:
    """One experiment (ClearML naming). Create with :meth:`Task.init`."""

    def __init__(self, core: RunCore) -> None:
        self._core = core
        self._connected: list[tuple[str, Any]] = []
        core.task_facade = self
        core.before_finish.append(self._reread_connected)
        self._artifacts = TaskArtifacts(core)  # registered DataFrames are stored again at close
        self._offset = 0  # set_initial_iteration

    # --- creation ---------------------------------------------------------------
    @classmethod
    def init(cls, project_name: Optional[str] = None, task_name: Optional[str] = None,
             task_type: Any = None, tags: Optional[Sequence[str]] = None, reuse_last_task_id: Any = None,
             continue_last_task: Any = None, output_uri: Optional[str] = None,
             auto_connect_arg_parser: Any = True, auto_connect_frameworks: Any = True,
             auto_resource_monitoring: Any = True, auto_connect_streams: Any = True,
             dir: Optional[str] = None, settings: Optional[Settings] = None, strict: Optional[bool] = None,
             **kwargs: Any) -> "Task":
        """Start a task and make it current (an open current task is returned as is, like ClearML).

        ``auto_connect_frameworks`` (bool or dict like ``{"matplotlib": False}``),
        ``auto_resource_monitoring`` and ``auto_connect_streams`` map onto the
        capture switches. Data goes to ``dir``, else ``$RINGLOG_DIR``, else
        ``./ringlog_data``. ``task_type`` and ``output_uri`` are recorded in the
        metadata. ``continue_last_task`` and ``reuse_last_task_id`` continue or reuse a stored
        task with ClearML's rules (:mod:`ringlog.clearml.resume`; by default every ``init``
        creates a new task). ``auto_connect_arg_parser`` is accepted so ClearML scripts run
        (connect argparse results with ``connect``).
        """
        current = cls.current_task()
        if current is not None:
            return current
        if kwargs:
            raise TypeError(f"Task.init() got unexpected keyword argument(s) {sorted(kwargs)}")
        for arg, v in (("project_name", project_name), ("task_name", task_name)):
            if v is not None and (not isinstance(v, str) or not v.strip()):
                raise type_error(arg, "must be a non-empty str or None", v)
        if tags is not None and (isinstance(tags, str) or not all(isinstance(t, str) for t in tags)):
            raise type_error("tags", "must be a list of str", tags)
        s = (settings or Settings()).updated(dir=dir, strict=strict)
        s = s.with_capture(_capture_switches(auto_connect_frameworks, auto_resource_monitoring,
                                             auto_connect_streams)).resolved()
        core = RunCore(project=project_name or "default", name=task_name or "", tags=tags or (), settings=s,
                       kind="clearml")
        offset = resume_rules.plan(core, project_name, task_name, continue_last_task, reuse_last_task_id)
        if not core.name:
            core.name = f"task-{core.id[:8]}"
        # Logger.set_reporting_nan_value / inf_value are process-wide, as ClearML's: later tasks too
        core.nan_value, core.inf_value = Logger._nan_value, Logger._inf_value
        extra = {k: str(v) for k, v in (("task_type", task_type), ("output_uri", output_uri)) if v is not None}
        if extra:
            core.state.set_meta(init_args=extra)
        task = cls(core)
        if offset:
            task.set_initial_iteration(offset)
        core.start()
        captures.attach(core)
        context.set_current(core)  # ringlog.log / ringlog.run work inside a ClearML task too
        return task

    @classmethod
    def _continue_stored(cls, task_id: str, root: Any) -> "Task":
        """``Task.get_task(...).mark_started()``: continue stored task ``task_id`` in this process
        (iterations as reported), current unless another task is."""
        core = RunCore(project="default", name="", settings=Settings(dir=str(root)).resolved(), kind="clearml")
        engine_resume.continue_task(core, task_id)
        engine_resume.mark_step(core, 0)
        core.nan_value, core.inf_value = Logger._nan_value, Logger._inf_value
        task = cls(core)
        core.start()
        captures.attach(core)
        if context.current_core() is None:
            context.set_current(core)
        return task

    def set_initial_iteration(self, offset: int = 0) -> int:
        """Add ``offset`` to every iteration reported from now on (ClearML's; a continued task
        starts with the last stored iteration + 1, see :mod:`ringlog.clearml.resume`)."""
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise type_error("offset", "must be an int >= 0", offset)
        engine_resume.offset_iterations(self._core, offset)
        self._offset = offset
        if self._core.logger_facade is not None:  # a Logger binds report_scalar when made
            self._core.logger_facade.report_scalar = self._core.report_scalar  # type: ignore[attr-defined]
        return offset

    def get_initial_iteration(self) -> int:
        """The offset added to reported iterations (0 unless the task was continued)."""
        return self._offset

    @classmethod
    def current_task(cls) -> Optional["Task"]:
        """The open task of this process (also for a run started with ``ringlog.init``), or None."""
        core = context.current_core()
        if core is None:
            # a child of a process with an open task: that task
            core = shared.attach_from_env(lambda s: RunCore(project="default", name="", settings=s, kind="clearml"))
            if core is None:
                return None
        return core.task_facade if core.task_facade is not None else cls(core)

    @classmethod
    def get_task(cls, task_id: Optional[str] = None, project_name: Optional[str] = None,
                 task_name: Optional[str] = None, dir: Optional[str] = None) -> TaskView:
        """Open a stored task read-only (a task still open in this process is flushed first)."""
        core = context.current_core()
        if core is not None and (task_id is None or task_id == core.id):
            core.flush(wait=True)
        root = Settings(dir=dir).root if dir is not None else (
            core.settings.root if core is not None else Settings().resolved().root)
        view = open_task(root, task_id=task_id, project_name=project_name, task_name=task_name)
        view._starter = lambda: cls._continue_stored(view.id, root)
        return view

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

    def get_project_name(self) -> str:
        return self._core.project

    def get_tags(self) -> list:
        return self._core.state.tags()

    def get_status(self) -> str:
        return self._core.status

    @property
    def status(self) -> str:
        return self._core.status

    # --- reporting --------------------------------------------------------------
    def get_logger(self) -> Logger:
        return Logger.for_core(self._core)

    @property
    def logger(self) -> Logger:
        return self.get_logger()

    def connect(self, mutable: Any, name: Optional[str] = None) -> Any:
        """Record hyperparameters (dict, argparse.Namespace or object) under section ``name``.

        Sections follow ClearML: ``"General"`` for dicts/objects, ``"Args"`` for
        argparse. Returns the same object; its values are read again at close,
        so later edits are kept.
        """
        if name is not None and (not isinstance(name, str) or not name):
            raise type_error("name", "must be a non-empty str or None", name)
        section = name or ("Args" if isinstance(mutable, argparse.Namespace) else "General")
        values = _params(mutable)
        if values is None:
            raise type_error("mutable", "must be a dict, argparse.Namespace or an object with attributes", mutable)
        self._connected.append((section, mutable))
        self._store_section(section, values)
        return mutable

    def connect_configuration(self, configuration: Any, name: Optional[str] = None,
                              description: Optional[str] = None) -> Any:
        """Record a configuration dict (or a file path, stored as its text) under ``name``."""
        section = name or "General"
        if isinstance(configuration, Mapping):
            self._store_section(section, dict(configuration))
        else:
            from pathlib import Path

            p = Path(configuration)
            self._store_section(section, {"file": str(p), "text": p.read_text(errors="replace")[:1_000_000]})
        return configuration

    def _store_section(self, section: str, values: dict) -> None:
        self._core.state.set_section(section, values)

    def get_parameters_as_dict(self) -> dict:
        return self._core.state.config_copy()

    def add_tags(self, tags: Any) -> None:
        tags = [tags] if isinstance(tags, str) else list(tags)
        if not all(isinstance(t, str) and t for t in tags):
            raise type_error("tags", "must be a str or a list of non-empty str", tags)
        self._core.state.add_tags(tags)

    def set_parameter(self, name: str, value: Any) -> None:
        section, _, key = name.rpartition("/")
        self._core.state.merge_section(section or "General", {key: value})

    # --- artifacts and models (ringlog.clearml.artifacts, ringlog.clearml.models) --------
    def upload_artifact(self, name: str, artifact_object: Any, metadata: Optional[dict] = None,
                        delete_after_upload: bool = False, auto_pickle: Optional[bool] = None, preview: Any = None,
                        wait_on_upload: bool = False, extension_name: Optional[str] = None,
                        serialization_function: Any = None, retries: int = 0, sort_keys: bool = True) -> bool:
        """Store an object, file, folder or wildcard as a versioned artifact of this task (stored
        before returning; see ``ringlog.artifacts.serialize`` for what becomes which file).
        Returns False (after one warning) when it could not be stored; strict mode raises."""
        return self._artifacts.upload(name, artifact_object, metadata=metadata,
                                      delete_after_upload=delete_after_upload, auto_pickle=auto_pickle,
                                      preview=preview, extension_name=extension_name,
                                      serialization_function=serialization_function, sort_keys=sort_keys)

    def register_artifact(self, name: str, artifact: Any, metadata: Optional[dict] = None,
                          uniqueness_columns: Any = True) -> None:
        """Watch a pandas DataFrame: stored now, and again at ``flush()``/close if it changed."""
        self._artifacts.register(name, artifact, metadata=metadata, uniqueness_columns=uniqueness_columns)

    def unregister_artifact(self, name: str) -> None:
        self._artifacts.unregister(name)

    def get_registered_artifacts(self) -> dict:
        return self._artifacts.registered()

    @property
    def artifacts(self) -> Artifacts:
        """name -> Artifact (the newest version of each), read from the store when accessed."""
        return Artifacts(self._core.settings.root, self.id)

    @property
    def models(self) -> dict:
        """{"input": [Model, ...], "output": [Model, ...]}: the models this task used and produced."""
        return task_models(self._core.settings.root, self.id)

    def update_output_model(self, model_path: str, name: Optional[str] = None, comment: Optional[str] = None,
                            tags: Optional[Sequence[str]] = None, model_name: Optional[str] = None,
                            iteration: Optional[int] = None, auto_delete_file: Optional[bool] = None) -> Optional[str]:
        """Store ``model_path`` as this task's output model (``OutputModel(self).update_weights``)."""
        model = OutputModel(task=self, name=model_name or name, comment=comment, tags=list(tags or []))
        return model.update_weights(model_path, iteration=iteration, auto_delete_file=auto_delete_file)

    # --- reading back (the live task) --------------------------------------------
    def get_reported_scalars(self, max_samples: int = 0, x_axis: str = "iter") -> dict:
        """Flush, then read every scalar of this task back: title -> series -> {"x", "y"}."""
        return reported_scalars(self._reader(), max_samples, x_axis)

    def get_last_scalar_metrics(self) -> dict:
        """Flush, then title -> series -> {"last", "min", "max"}."""
        return last_scalar_metrics(self._reader())

    def get_reported_plots(self, max_iterations: Optional[int] = None) -> list:
        """Flush, then ClearML's list of plots: {"metric", "variant", "iter", "plot_str"} each."""
        return reported_plots(self._reader(), max_iterations)

    def _reader(self) -> "TaskReader":
        from ringlog.store import Store  # deferred: ringlog.store imports numba (~1 s)

        self._core.flush(wait=True)
        return Store(self._core.settings.root).task(self.id)

    # --- the end ----------------------------------------------------------------
    def flush(self, wait_for_uploads: bool = False) -> bool:
        """Write every reported point to disk; with ``wait_for_uploads`` also wait until the debug
        samples queued for a remote upload destination are stored."""
        self._artifacts.sync()  # registered DataFrames: a new version if one changed
        return self._core.flush(wait=True, uploads=wait_for_uploads)

    def close(self) -> None:
        """Write everything and mark the task completed (failed/aborted if the process is ending so)."""
        self._finish("completed")

    def mark_completed(self, ignore_errors: bool = True, force: bool = False, status_message: Any = None) -> None:
        self._finish("completed")

    def mark_failed(self, ignore_errors: bool = True, status_reason: Any = None, status_message: Any = None,
                    force: bool = False) -> None:
        self._finish("failed")

    def mark_stopped(self, force: bool = False, status_message: Any = None) -> None:
        self._finish("aborted")

    def _reread_connected(self) -> None:
        """Connected dicts/objects are read again at the end, so later edits are kept."""
        for section, obj in self._connected:
            values = _params(obj)
            if values is not None:
                self._store_section(section, values)

    def _finish(self, status: str) -> None:
        self._core.finish(status)
        context.clear_if_current(self._core)

    def __enter__(self) -> "Task":
        return self

    def __exit__(self, etype, exc, tb) -> None:
        if etype is None:
            self._finish("completed")
        else:
            self._finish("aborted" if issubclass(etype, KeyboardInterrupt) else "failed")

    def __repr__(self) -> str:
        return f"<ringlog.Task {self.id} {self.project}/{self.name} {self.status}>"


def _params(obj: Any) -> Optional[dict]:
    if isinstance(obj, (Mapping, MutableMapping)):
        return dict(obj)
    if isinstance(obj, argparse.Namespace):
        return dict(vars(obj))
    if hasattr(obj, "__dict__"):
        return {k: v for k, v in vars(obj).items() if not k.startswith("_") and not callable(v)}
    return None


def _capture_switches(frameworks: Any, resources: Any, streams: Any) -> dict:
    out: dict = {}
    if frameworks is False:
        out.update(tensorboard=False, matplotlib=False)
    elif isinstance(frameworks, Mapping):
        for k, v in frameworks.items():
            field = _FRAMEWORK_SWITCHES.get(str(k).lower())
            if field is not None:
                out[field] = bool(v)
    if resources is False:
        out["system_metrics"] = False
    if streams is False:
        out["console"] = False
    return out
