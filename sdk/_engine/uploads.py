"""Background sending of debug samples to a remote destination (an fsspec URI).

A sample for ``s3://...`` or ``gs://...`` can take a network round trip or several to store,
which must not stall the training loop. So when a run's upload destination is a URI, a sample
call encodes the file (on the caller's thread: the data may change right after the call), queues
the bytes here and returns; one daemon thread per run, ``ringlog-uploads``, stores them in call
order through the task's MediaWriter. The index line of a sample is appended only once its file
is stored, so a reader never lists a file that is not there yet.

* Bounded: at most ``max_bytes`` of samples wait; a call that would go past it waits for the
  thread (``waits`` counts those), like the scalar ring's default - but never longer than
  ``Settings.upload_timeout``: a remote that hangs must not hang the training loop, so after that
  the sample is dropped, counted (``dropped``) and warned about once per run.
* ``drain`` waits for the queue to empty: ``Logger.flush()``, ``Task.flush(wait_for_uploads=True)``
  and ``run.flush()`` call it, and ``finish()`` does (bounded by ``finish_timeout``) before the
  task is closed, so nothing queued is lost on a normal end, an exception, Ctrl-C or SIGTERM.
  A ``kill -9`` loses what was still queued, as it loses the last flush interval of scalars.
* A failed upload never reaches the training loop: it is counted, warned about once per run and
  the sample is skipped. In strict mode the first failure is also raised, as a ``LoggingError``,
  by the next flush.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any, Callable, Optional, Protocol

from .settings import Settings

#: queued sample bytes per run before a sample call waits for the uploads thread
MAX_QUEUED_BYTES = 256 << 20
#: seconds a sample call waits for room before the sample is dropped
DEFAULT_WAIT = Settings.upload_timeout


class Warns(Protocol):
    """Who reports an upload problem: one warning per ``kind`` per run (the run's intake)."""

    def warn_once(self, kind: str, message: str) -> None: ...


class Uploads:
    """The upload queue of one run (see the module docstring)."""

    def __init__(self, owner: "Warns", max_bytes: int = MAX_QUEUED_BYTES,
                 wait_timeout: float = DEFAULT_WAIT) -> None:
        self._warn_once = owner.warn_once
        self.wait_timeout = float(wait_timeout)
        self.max_bytes = int(max_bytes)
        self._cv = threading.Condition()
        self._jobs: deque = deque()
        self._queued = 0      # bytes waiting or being sent
        self._busy = False
        self._closed = False
        self._thread: Optional[threading.Thread] = None
        self.waits = 0
        self.done = 0
        self.failed = 0
        self.dropped = 0  # samples refused because the queue stayed full for wait_timeout
        self.first_error: Optional[BaseException] = None

    def submit(self, nbytes: int, what: str, job: Callable[[], Any]) -> bool:
        """Queue ``job`` (stores one sample of ``nbytes``); while the queue is full wait at most
        ``wait_timeout`` seconds, then drop the sample (False; counted, warned about once)."""
        with self._cv:
            if self._closed:
                raise RuntimeError("uploads: the run is finished")
            full = self._queued and self._queued + nbytes > self.max_bytes
            if full:
                self.waits += 1
                full = not self._cv.wait_for(lambda: not self._queued or self._queued + nbytes <= self.max_bytes,
                                             self.wait_timeout)
            if full:
                self.dropped += 1
            else:
                self._jobs.append((nbytes, what, job))
                self._queued += nbytes
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="ringlog-uploads", daemon=True)
                    self._thread.start()
                self._cv.notify_all()
        if full:
            self._warn_once("upload-dropped", f"ringlog: a {what} sample was dropped: the upload queue stayed full "
                            f"for {self.wait_timeout:g} s (upload_timeout; the remote may hang); training goes on "
                            "and later drops are counted in the run's stats (upload_dropped)")
        return not full

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._jobs and not self._closed:
                    self._cv.wait()
                if not self._jobs:
                    return
                nbytes, what, job = self._jobs.popleft()
                self._busy = True
            try:
                job()
                ok = True
            except Exception as exc:  # never let one sample stop the thread
                ok = False
                self._failed(what, exc)
            finally:
                with self._cv:
                    self._busy = False
                    self._queued -= nbytes
                    self.done += ok
                    self._cv.notify_all()

    def _failed(self, what: str, exc: Exception) -> None:
        self.failed += 1
        if self.first_error is None:
            self.first_error = exc
        self._warn_once("upload", f"ringlog could not upload a {what} sample ({type(exc).__name__}: {exc}); "
                                      "it was skipped, training goes on (later failures are counted in "
                                      "the run's stats, not warned about)")

    def pending(self) -> int:
        with self._cv:
            return len(self._jobs) + self._busy

    def drain(self, timeout: Optional[float] = None) -> bool:
        """Wait until every queued sample is stored (or failed); False if ``timeout`` ran out."""
        end = None if timeout is None else time.monotonic() + timeout
        with self._cv:
            while self._jobs or self._busy:
                left = None if end is None else end - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cv.wait(left)
        return True

    def close(self, timeout: Optional[float] = None) -> bool:
        """Drain, then stop the thread; True when nothing was left behind."""
        drained = self.drain(timeout)
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        if drained and self._thread is not None:
            self._thread.join(1.0)
        return drained

    def stats(self) -> dict:
        return {"uploaded": self.done, "upload_failed": self.failed, "upload_waits": self.waits, "upload_dropped": self.dropped,
                "upload_pending": self.pending()}
