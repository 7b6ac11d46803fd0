"""Many processes, one task: W&B's shared mode, and ClearML's forked and spawned children.

The store gives each extra process its own writer namespace inside the task
(:mod:`ringlog.store.multiwriter`, FORMAT.md "Several writers of one task"); this module decides
which process writes where:

* **Shared mode** (``init(id=..., settings=Settings(mode="shared", x_label="rank1"))``, or
  ``$RINGLOG_RUN_ID`` with ``$RINGLOG_LABEL``): :func:`share` makes the run join task ``id`` under
  its label. The process that creates the task writes the task folder; the others their namespace.
  System metrics go under the title ``system/<label>``; console output stays in each process's
  namespace (readers merge it by time, marked with the label).
* **Forked children** (``multiprocessing`` with fork, torch ``DataLoader`` workers): the parent's
  open runs are re-armed in the child (:func:`_after_fork`): the same run objects (``Task``,
  ``Logger``, ``Run``) keep working there, with fresh staging and threads, writing namespace
  ``<parent label>.pid<pid>`` - created only when the child logs something. The child's run
  finishes when it exits through ``multiprocessing`` (its finalizers) or ``atexit``; a bare
  ``os.fork()`` child ending in ``os._exit`` must call ``finish()`` (or ``flush()``) itself.
* **Spawned children** (ClearML): a ClearML task puts its id in ``$RINGLOG_TASK_ID`` (with its root
  and pid) while it is open; ``Task.current_task()`` (and so ``Task.init``) in a direct child process
  that has no task of its own attaches to it (:func:`attach_from_env`).

Cost: nothing per logged point; a fork costs the child two thread starts.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional

from ..errors import value_error
from . import context, lifecycle

if TYPE_CHECKING:  # pragma: no cover
    from .runcore import RunCore

ENV_TASK, ENV_ROOT, ENV_PID = "RINGLOG_TASK_ID", "RINGLOG_TASK_ROOT", "RINGLOG_TASK_PID"
ENV_LABEL = "RINGLOG_TASK_LABEL"
_followed: "weakref.WeakSet[RunCore]" = weakref.WeakSet()
_hooked = threading.Event()


def label_of(x_label: Any, env: Mapping[str, str]) -> str:
    """The process's label: ``x_label``, else ``$RINGLOG_LABEL``, else ``rank$RANK`` (torchrun),
    else ``pid<pid>``. Checked (1-64 of ``[A-Za-z0-9_.-]``)."""
    from ringlog.store.namespaces import LABEL  # deferred: the store's rule, one definition

    arg, label = "x_label", x_label
    if label is None and env.get("RINGLOG_LABEL", "").strip():
        arg, label = "$RINGLOG_LABEL", env["RINGLOG_LABEL"].strip()
    if label is None:
        rank = env.get("RANK", "").strip()
        label = f"rank{rank}" if rank.isdigit() else f"pid{os.getpid()}"
    if isinstance(label, int) and not isinstance(label, bool):
        label = f"rank{label}"  # W&B examples pass x_label=2
    if not isinstance(label, str) or not LABEL.match(label):
        raise value_error(arg, "must be 1-64 letters, digits, '_', '.' or '-' (not starting with '.')", label)
    return label


def share(core: "RunCore", label: str) -> None:
    """Make ``core`` (not started) join its task ``core.id`` under ``label`` (module docstring)."""
    core.shared = label
    core.system_title = f"system/{label}"
    core.opener = _open_shared


def join_now(core: "RunCore") -> Optional[int]:
    """Open ``core``'s shared writer now, on the caller's thread (``init``), so a restarted process
    continues its own series: returns the highest step its writer already holds over W&B keys
    (title == series; not system metrics), None for a new writer. The run's start uses this writer."""
    from . import startup

    try:
        startup.preload()
        writer = _open_shared(core)
    except Exception as exc:  # never fails init: the run's start tries again (then the flusher retries)
        core.warn_once("shared", f"ringlog could not join task {core.id} as {core.shared!r} yet: {exc!r}")
        return None
    core.opener = lambda _core: writer
    from ringlog.store import TaskReader  # deferred: imported by startup.preload() already

    stored = TaskReader(writer.path, own_only=True).last_metrics()  # the index the open wrote
    steps = [m["last_step"] for (title, series), m in stored.items()
             if title == series and not title.startswith("system") and m.get("count")
             and isinstance(m.get("last_step"), int)]
    return max(steps) if steps else None


def _open_shared(core: "RunCore") -> Any:
    from ringlog.store import Store  # deferred: imported by startup.preload() already
    from ringlog.store.multiwriter import open_shared

    writer, first = open_shared(Store(core.settings.root), core.project, core.name, core.id, core.shared,
                                tags=tuple(core.tags))
    meta = writer.meta
    if not first:
        core.project = meta.get("project", core.project)
    try:
        writer.set_meta(status="running", **core.meta_snapshot())
    except Exception:  # the flusher writes the metadata at its next cycle
        core.state.touch()
    return writer


class LazyNamespace:
    """A forked or spawned child's writer: namespace ``label`` of task ``core.id``, opened on the
    first point or record (a child that logs nothing leaves nothing on disk). The members the
    flusher and the side outputs use."""

    def __init__(self, core: "RunCore", label: str) -> None:
        self._core, self.label = core, label
        self._w: Any = None
        self._meta: dict = {}

    def _real(self) -> Any:
        if self._w is None:
            from ringlog.store import Store  # deferred: imported by the parent (fork) or at attach
            from ringlog.store.multiwriter import open_writer

            w = open_writer(Store(self._core.settings.root), self._core.id, self.label)
            if self._meta:
                w.set_meta(**self._meta)
            self._w = w
        return self._w

    @property
    def opened(self) -> bool:
        return self._w is not None

    @property
    def path(self) -> Any:
        return self._real().path

    @property
    def media(self) -> Any:
        return self._real().media

    def series_id(self, title: str, series: Optional[str] = None, **kw: Any) -> int:
        return self._real().series_id(title, series, **kw)

    def series_stats(self, sid: int) -> Any:
        return self._real().series_stats(sid)

    def append(self, sid: int, step: Any, value: Any, time: Any) -> None:
        self._real().append(sid, step, value, time)

    def sync(self) -> None:
        if self._w is not None:
            self._w.sync()

    def set_meta(self, **kw: Any) -> None:
        if self._w is None:
            self._meta.update({k: v for k, v in kw.items() if k != "status"})
        else:
            self._w.set_meta(**kw)

    def close(self, status: str = "completed") -> None:
        if self._w is not None:
            self._w.close(status=status)


# --- children ------------------------------------------------------------------------------------
def follow(core: "RunCore") -> None:
    """Called when ``core`` starts: its forked children re-arm it (once per process the hook is
    installed); a ClearML task is also announced to spawned children through the environment."""
    _followed.add(core)
    # a forked child's flusher opens its namespace with this: imported here, on the caller's thread
    # (a background thread must import nothing: see .startup), before any fork
    try:
        from ringlog.store import multiwriter  # noqa: F401  # deferred: the store is loaded by now
    except Exception:  # the store could not even load (said at init): children will warn instead
        pass
    try:  # multiprocessing clears its finalizers in a new child, then runs these: finish at its exit
        from multiprocessing import util

        util.register_after_fork(core, _finish_at_exit)
    except Exception:  # no multiprocessing (an embedded interpreter): atexit still finishes the child
        pass
    if not _hooked.is_set() and hasattr(os, "register_at_fork"):
        _hooked.set()
        os.register_at_fork(after_in_child=_after_fork)  # after lifecycle's hook: it detached the runs first
    if core.kind == "clearml" and not os.environ.get(ENV_TASK):
        os.environ.update({ENV_TASK: core.id, ENV_ROOT: str(core.settings.root), ENV_PID: str(os.getpid()),
                           ENV_LABEL: core.shared or ""})
        core.before_finish.append(_forget_env)


def _forget_env() -> None:
    if os.environ.get(ENV_PID) == str(os.getpid()):
        for k in (ENV_TASK, ENV_ROOT, ENV_PID, ENV_LABEL):
            os.environ.pop(k, None)


def _after_fork() -> None:
    pid = os.getpid()
    for core in list(_followed):
        if core.disabled or core.status != "running" or core.flusher.stopping:
            continue
        try:
            parent = core.shared
            arm_child(core, f"{parent}.pid{pid}" if parent else f"pid{pid}")
        except Exception as exc:  # the child goes on without logging (warned once)
            core.warn_once("fork", f"ringlog: a forked child could not log into run {core.id}: {exc!r}")


def arm_child(core: "RunCore", label: str) -> None:
    """Make ``core`` a working run of this (child) process writing namespace ``label``: fresh
    staging, flusher, clock and side outputs (what was staged in the parent is the parent's to
    write), a :class:`LazyNamespace` writer, the threads started, finished at exit."""
    from .flusher import Clock, Flusher  # deferred: loaded with the engine already
    from .outputs import SideOutputs
    from .staging import Staging

    core.shared = label
    core.system_title = f"system/{label}"
    core.capture = None  # the parent's capture threads do not exist here
    core.auto_resume_file = None  # the parent's W&B resume file is the parent's to remove
    flusher = Flusher(core)
    staging = Staging(core.settings.staging_limit, core.created)
    it = core.intake
    it.staging, it._fast, it._wfast, it._flusher = staging, staging.fast, staging.wfast, flusher
    it._warn_lock = threading.Lock()
    it.closed = it.forked = False
    core.flusher, core.clock = flusher, Clock(core)
    core.outputs = SideOutputs(run_id=core.id, settings=core.settings, flusher=flusher, warner=it)
    core._finish_lock = threading.Lock()
    core._finishing = False
    flusher.writer = LazyNamespace(core, label)
    for hook in core.after_fork:  # the facades forget what is the parent's to write (a W&B pending row)
        try:
            hook()
        except Exception as exc:
            core.warn_once("after-fork", f"ringlog: {exc!r} while re-arming run {core.id} in a forked child")
    for ev in (flusher.ready, flusher.warm, flusher.env_done):
        ev.set()
    flusher.start()
    core.clock.start()
    lifecycle.register(core)
    _followed.add(core)
    _finish_at_exit(core)
    context.set_current(core)


def _finish_at_exit(core: "RunCore") -> None:
    """``multiprocessing`` children leave through ``os._exit`` after running its finalizers (not
    ``atexit``): finish there too (finish is idempotent)."""
    try:
        from multiprocessing import util

        util.Finalize(None, core.finish, exitpriority=10)
    except Exception:  # no multiprocessing (an embedded interpreter): atexit still finishes it
        pass


def attach_from_env(make_core: Callable[[Any], "RunCore"],
                    env: Mapping[str, str] = os.environ) -> Optional["RunCore"]:
    """In a process started by one with an open ClearML task (``$RINGLOG_TASK_ID``...), a run of
    this process writing into that task (namespace ``<label>.pid<pid>``), made by
    ``make_core(settings)``; None when there is none."""
    tid, root, pid = env.get(ENV_TASK), env.get(ENV_ROOT), env.get(ENV_PID)
    if not tid or not root or pid != str(os.getppid()):  # only the announcing process's own children
        return None
    from . import startup
    from .settings import Settings

    startup.preload()  # what the run's threads need, imported here on the caller's thread
    from ringlog.store import multiwriter  # noqa: F401  # likewise: the flusher opens the namespace with it
    settings = Settings(dir=root, capture=False, console=False, tensorboard=False, matplotlib=False,
                        system_metrics=False, git=False).resolved()
    core = make_core(settings)
    core.id = core.intake.run_id = core.outputs.run_id = tid
    try:
        from ringlog.store import Store  # deferred: this process logs into the store from now on

        info = Store(root).task(tid).info
        core.project, core.name = info.get("project") or core.project, info.get("name") or tid
    except Exception as exc:
        core.warn_once("attach", f"ringlog: task {tid} of the parent process cannot be read ({exc!r})")
        return None
    parent = env.get(ENV_LABEL) or ""
    arm_child(core, f"{parent}.pid{os.getpid()}" if parent else f"pid{os.getpid()}")
    return core
