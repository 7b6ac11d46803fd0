"""One writer per task, and whether a "running" task's writer is still alive.

Each task folder holds ``writer.lock`` (FORMAT.md, "Writer lock and heartbeat"). A writer takes an
exclusive ``flock(2)`` on it for as long as it is open (the OS drops the lock when the process
dies, ``kill -9`` included), then writes who it is into it: ``{"pid", "host", "start" (the
process start time, unix seconds), "opened"}``. The file's mtime is the writer's heartbeat,
refreshed at every sync with one ``utime`` (no data written, no fsync: a heartbeat lost to a power
cut only makes the run look older).

A reader that finds a task whose metadata says ``running`` asks :func:`writer_status`:

* same host: the run is alive while a process with the recorded pid *and the same start time*
  exists (a recycled pid starts later) and is not a zombie;
* another host (a shared file system): alive while the heartbeat is younger than
  :data:`STALE_AFTER` seconds (several flush intervals, with room for clock skew);
* no ``writer.lock`` and no ``writer`` record in the metadata (tasks written before this file
  existed): nothing can be told, the task stays ``running``.

Otherwise the task reads as ``crashed`` (W&B's word) with the time of its last heartbeat. The
status on disk is left as it is (a resumed task goes back to ``running``); ``ringlog fsck
--repair`` records ``crashed`` in the metadata.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
import weakref
from pathlib import Path

import psutil

from .errors import TaskLockedError

LOCK_FILE = "writer.lock"
STALE_AFTER = 30.0  # seconds without a heartbeat after which a writer on another host counts as gone
_HOST = socket.gethostname()
_held: "weakref.WeakSet[TaskLock]" = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """A forked child (a DataLoader worker) must not keep its parent's task locked after the parent
    dies: close its copies of the lock descriptors (the parent's lock stays, it has its own)."""
    for lk in list(_held):
        if lk.fd is not None:
            try:
                os.close(lk.fd)
            except OSError:
                pass
            lk.fd = None


os.register_at_fork(after_in_child=_after_fork_in_child)


def _process_start(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except (psutil.Error, OSError):
        return None


def me() -> dict:
    """Who this process is, as recorded in ``writer.lock`` and the task metadata's ``writer``."""
    pid = os.getpid()
    return {"pid": pid, "host": _HOST, "start": _process_start(pid)}


class TaskLock:
    """The exclusive writer lock of one task folder. :meth:`acquire` or :class:`TaskLockedError`."""

    def __init__(self, task_path: Path, task_id: str):
        self.path = Path(task_path) / LOCK_FILE
        self.task_id = task_id
        self.fd: int | None = None

    def acquire(self, wait: float = 0.5, record: bool = True) -> dict:
        """Take the lock (retrying for ``wait`` seconds) and, with ``record``, write this process into
        the file (``ringlog fsck`` takes it without: the last writer's record stays)."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = read_holder(self.path.parent) or {}
                    os.close(fd)
                    raise TaskLockedError(
                        f"task_id: task {self.task_id!r} already exists and is open for writing by another writer "
                        f"(pid {holder.get('pid', '?')} on host {holder.get('host', '?')}, lock {self.path}); "
                        "one writer per task",
                        holder=holder) from None
                time.sleep(0.02)
        info = dict(me(), opened=time.time())
        if not record:
            self.fd = fd
            _held.add(self)
            return info
        try:
            data = json.dumps(info).encode()
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
        except OSError:
            pass  # the lock holds; only the holder's description is missing (a full disk)
        self.fd = fd
        _held.add(self)
        return info

    def heartbeat(self) -> None:
        """Refresh the heartbeat (the lock file's mtime). Cost: one utime(2), ~2 us."""
        if self.fd is not None:
            try:
                os.utime(self.fd)
            except OSError:
                pass

    def release(self) -> None:
        fd, self.fd = self.fd, None
        _held.discard(self)
        if fd is not None:
            try:
                os.close(fd)  # closing the last descriptor drops the flock
            except OSError:
                pass


def read_holder(task_path: Path) -> dict | None:
    """The writer recorded in ``writer.lock`` plus ``heartbeat`` (its mtime); None when absent or unreadable."""
    p = Path(task_path) / LOCK_FILE
    try:
        with open(p, "rb") as f:
            st = os.fstat(f.fileno())
            info = json.loads(f.read(4096) or b"{}")
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict):
        return None
    info["heartbeat"] = st.st_mtime
    return info


def _number(v) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def writer_status(task_path: Path, meta: dict, now: float | None = None) -> tuple[str | None, float | None]:
    """``(status, heartbeat)``: the metadata's status, or ``"crashed"`` for a running task whose
    writer is gone (see the module docstring); ``heartbeat`` is the last sign of life (unix
    seconds) of a running or crashed task, else None."""
    status = meta.get("status")
    if status == "crashed":  # recorded by ringlog fsck --repair
        return status, _number(meta.get("crashed_at"))
    if status != "running":
        return status, None
    holder = read_holder(task_path)
    rec = meta.get("writer") if isinstance(meta.get("writer"), dict) else None
    who = holder if holder and "pid" in holder else rec
    beats = [b for b in (_number(meta.get("updated")), _number((holder or {}).get("heartbeat"))) if b is not None]
    heartbeat = max(beats) if beats else None
    if who is None:
        return "running", heartbeat
    pid, host, start = who.get("pid"), who.get("host"), _number(who.get("start"))
    if host == _HOST and isinstance(pid, int) and not isinstance(pid, bool):
        return ("running" if _alive(pid, start) else "crashed"), heartbeat
    now = time.time() if now is None else now
    if heartbeat is None or now - heartbeat > STALE_AFTER:
        return "crashed", heartbeat
    return "running", heartbeat


def _alive(pid: int, start: float | None) -> bool:
    if pid <= 0:
        return False
    try:
        p = psutil.Process(pid)
        if p.status() == psutil.STATUS_ZOMBIE:
            return False
        if start is not None and abs(p.create_time() - start) > 1.0:
            return False  # the pid was reused by a later process
        return True
    except psutil.NoSuchProcess:
        return False
    except (psutil.Error, OSError):
        return True  # exists but cannot be inspected (another user's process): assume alive
