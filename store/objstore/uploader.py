"""The uploader thread of a run writing to an object-store root (one per task writer).

Every ``interval`` seconds (``$RINGLOG_UPLOAD_INTERVAL``, default 2) it runs an upload pass over
the task's spool folder (:mod:`.upload`): sealed shards and level chunks as they appear, the growing
tail and index replaced, so a bucket reader sees the run live, ``interval`` plus a flush behind.
A failed pass is retried with backoff (0.5 s doubling to 30 s) and warned about once; the training
loop never waits for it (the writer's points are already durable in the spool). After its first
pass the thread uploads the spool's leftovers: tasks of earlier runs on this machine whose writer died (their lock
is free) and were not wholly uploaded.

:meth:`Uploader.finish` (the writer's ``after_close`` hook, so on the run's flusher thread inside
``finish()``'s bounded wait) stops the loop and uploads what is left until done or ``timeout``,
then warns naming what is still only in the spool and the ``ringlog sync`` command that sends it;
once everything is up it prunes the spool (:mod:`.prune`, ``$RINGLOG_SPOOL_KEEP``).
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from pathlib import Path
from typing import Callable, Optional

from . import artifacts, spool
from .prune import finished_here, prune
from .upload import pending, upload_leftovers, upload_pass

DEFAULT_INTERVAL = 2.0
BACKOFF_MAX = 30.0


def interval_from_env() -> float:
    try:
        v = float(os.environ.get("RINGLOG_UPLOAD_INTERVAL", DEFAULT_INTERVAL))
        return v if v > 0 else DEFAULT_INTERVAL
    except ValueError:
        return DEFAULT_INTERVAL


class Uploader:
    """Uploads one task folder of a spool (see the module docstring)."""

    def __init__(self, client, root: Path, task_dir: Path, *, lock=None, interval: Optional[float] = None,
                 warn: Optional[Callable[[str], None]] = None):
        self.client, self.root, self.task_dir, self.lock = client, Path(root), Path(task_dir), lock
        self.interval = interval_from_env() if interval is None else float(interval)
        self._warn_fn = warn or (lambda m: warnings.warn(m, RuntimeWarning, stacklevel=3))
        self._warned = False
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._pass_lock = threading.Lock()
        self.passes = self.failures = self.objects = self.bytes = 0
        self.last_ok: Optional[float] = None
        self.last_error: Optional[BaseException] = None

    def _warn(self, message: str) -> None:
        try:
            self._warn_fn(message)
        except Exception:  # noqa: BLE001 - warnings turned into errors must not stop the uploads
            pass

    def start(self) -> "Uploader":
        spool.mark(self.root, self.client.url)
        artifacts.register(self.root, +1)
        artifacts.mark(self.root)  # the first pass also sends artifacts an earlier run left unsent
        self._thread = threading.Thread(target=self._run, name=f"ringlog-s3-{self.task_dir.name[:8]}", daemon=True)
        self._thread.start()
        return self

    def run_pass(self) -> bool:
        """One upload pass; True when it succeeded."""
        with self._pass_lock:
            try:
                st = upload_pass(self.client, self.root, self.task_dir, self.lock)
                if artifacts.take_dirty(self.root):  # artifacts/models committed since the last pass
                    try:
                        at = artifacts.upload_tree(self.client, self.root)
                    except BaseException:
                        artifacts.mark(self.root)
                        raise
                    st = {k: st[k] + at[k] for k in ("objects", "bytes")}
            except Exception as exc:  # noqa: BLE001 - network, server, credentials: retried
                self.failures += 1
                self.last_error = exc
                if not self._warned:
                    self._warned = True
                    self._warn(f"ringlog: uploading task {self.task_dir.name} to {self.client.url} failed "
                               f"({type(exc).__name__}: {str(exc)[:200]}); retrying with backoff, training goes on, "
                               f"the points are safe in the spool {self.root}")
                return False
            self.passes += 1
            self.objects += st["objects"]
            self.bytes += st["bytes"]
            self.last_ok = time.time()
            return True

    def _run(self) -> None:
        self.run_pass()  # this run's task is in the bucket at once; then the leftovers of dead runs
        try:
            upload_leftovers(self.client, self.root, skip=(self.task_dir,), stop=self._stop)
        except Exception:  # noqa: BLE001 - leftovers are retried by the next run or `ringlog sync`
            pass
        delay = self.interval
        while not self._stop.wait(delay):
            delay = self.interval if self.run_pass() else min(BACKOFF_MAX, max(0.5, 2 * delay))

    def finish(self, timeout: float = 30.0) -> list[str]:
        """Stop the loop, upload what is left until done or ``timeout`` s; returns (and warns about)
        the files still only in the spool."""
        self._stop.set()  # a pass in flight ends on its own; passes are serialised by _pass_lock
        artifacts.mark(self.root)
        try:
            return self._finish(timeout)
        finally:
            artifacts.register(self.root, -1)

    def _finish(self, timeout: float) -> list[str]:
        end = time.monotonic() + timeout
        delay = 0.25
        while True:
            if self.run_pass() and not pending(self.root, self.task_dir) and not artifacts.is_dirty(self.root):
                try:
                    finished_here.add(self.task_dir)
                    prune(self.root)  # finished tasks wholly in the bucket leave the spool (prune.py)
                except Exception as exc:  # noqa: BLE001 - the spool only keeps more than it must
                    self._warn(f"ringlog: pruning the spool {self.root} failed ({exc!r})")
                return []
            if time.monotonic() + delay >= end:
                break
            time.sleep(delay)  # backoff between retries at finish; bounded by ``timeout``
            delay = min(5.0, delay * 2)
        left = pending(self.root, self.task_dir) + [f"{artifacts.ARTIFACTS_DIR}/{r}" for r in artifacts.pending(self.root)]
        if left:
            self._warn(f"ringlog: task {self.task_dir.name}: {len(left)} files are still only in the spool "
                       f"{self.task_dir} after {timeout:g} s ({self.last_error!r}); they are safe there: "
                       f"`ringlog sync {self.root} {self.client.url}` (or the next run on this machine) uploads them")
        return left

    def stats(self) -> dict:
        return {"passes": self.passes, "failures": self.failures, "objects": self.objects, "bytes": self.bytes}
