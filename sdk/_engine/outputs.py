"""SideOutputs: what a run writes besides its scalar points - console records, media through the
task's ``MediaWriter``, and debug samples sent to a remote destination (:mod:`.uploads`).

Console records are queued by any thread (one list append) and written by the flusher thread in
time order (:meth:`SideOutputs.write_records`). The media writer is made on first use, once the
task exists on disk, and wrapped so that every call runs under one lock (``MediaWriter`` is not
thread-safe). The upload queue is made by the first sample sent to a URI destination.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Optional

from ..errors import LoggingError, RunFinishedError
from .settings import Settings
from .uploads import Uploads, Warns

if TYPE_CHECKING:  # pragma: no cover
    from ringlog.store.media_writer import MediaWriter

    from .flusher import Flusher

CONSOLE_HOLD = 0.6  # seconds: a little over the console capture's pump period


class SideOutputs:
    """Console records, the media writer and the uploads of one run; see the module docstring."""

    def __init__(self, *, run_id: str, settings: Settings, flusher: "Flusher", warner: Warns) -> None:
        self.run_id = run_id
        self.settings = settings
        self._flusher = flusher
        self._warner = warner
        self._lock = threading.Lock()
        self._records: list = []  # (time, stream, level, text), appended by any thread
        self._media: Optional[_Locked] = None
        self.media_destination: Optional[str] = None  # set by Logger.set_default_upload_destination
        self.uploads: Optional[Uploads] = None

    # --- any thread ----------------------------------------------------------------------------
    def console_write(self, stream: str, text: str, level: str = "info", time: Optional[float] = None) -> None:
        """Queue a console record; ``time``: when it was printed (default now)."""
        self._records.append((_now() if time is None else float(time), stream, level, text))

    def media_writer(self) -> "MediaWriter":  # a _Locked proxy of it
        """The task's MediaWriter behind a lock (waits until the task exists on disk)."""
        if self._media is None:
            f = self._flusher
            f.ready.wait(self.settings.finish_timeout)
            w = f.writer
            if w is None:
                raise RunFinishedError(f"run {self.run_id}: the store is not available ({f.store_error!r})")
            with self._lock:
                if self._media is None:
                    self._media = _Locked(w.media, threading.RLock())
        return self._media

    def upload(self, nbytes: int, what: str, job: Callable[[], Any]) -> None:
        """Queue ``job`` (stores one sample remotely) on the uploads thread (bounded wait)."""
        if self.uploads is None:
            with self._lock:
                if self.uploads is None:
                    self.uploads = Uploads(self._warner, wait_timeout=self.settings.upload_timeout)
        self.uploads.submit(nbytes, what, job)

    def drain_uploads(self, timeout: float, strict: bool) -> bool:
        """Wait until queued samples are stored; in ``strict`` mode raise the first failed one."""
        up = self.uploads
        if up is None:
            return True
        ok = up.drain(timeout)
        if strict and up.first_error is not None:
            exc, up.first_error = up.first_error, None
            raise LoggingError(f"upload: a debug sample could not be stored at {self.media_destination!r} "
                               f"({type(exc).__name__}: {exc})") from exc
        return ok

    def close_uploads(self, timeout: float) -> None:
        """At finish: drain the uploads (bounded), warn once about what was left."""
        up = self.uploads
        if up is not None and not up.close(timeout):
            self._warner.warn_once("upload-timeout", f"ringlog: run {self.run_id}: {up.pending()} debug samples were "
                            f"still uploading after {timeout:g} s (finish_timeout); the uploads thread keeps "
                            "going while the process lives")

    # --- the flusher thread --------------------------------------------------------------------
    def write_records(self, final: bool = False) -> None:
        """Console records go to the media writer, in time order; then sync what was written.

        Captured stdout reaches the queue up to one capture pump period (0.5 s) after it was
        printed, while ``report_text`` records arrive at once; so records younger than
        ``CONSOLE_HOLD`` seconds wait for the next cycle (all are written at the end) and each
        chunk is sorted by time (stable).
        """
        recs = self._records
        n = len(recs)
        if n:
            chunk = recs[:n]
            del recs[:n]
            chunk.sort(key=lambda r: r[0])
            if not final:
                cut = time.time() - CONSOLE_HOLD
                k = len(chunk)
                while k and chunk[k - 1][0] > cut:  # sorted: the young ones are a suffix
                    k -= 1
                if k < len(chunk):
                    recs[:0] = chunk[k:]  # one list operation: safe against concurrent appends
                    chunk = chunk[:k]
            if chunk:
                self.media_writer().add_console(chunk)
        media = self._media
        if media is not None and media.dirty:
            media.dirty = False
            media.sync()

    def stats(self) -> dict:
        return self.uploads.stats() if self.uploads is not None else {}


_now = time.time


class _Locked:
    """Proxy that runs every method of ``obj`` under ``lock`` (MediaWriter is not thread-safe)."""

    def __init__(self, obj: Any, lock: Any) -> None:
        self._obj, self._lk = obj, lock
        self.dirty = False  # something was written since the flusher's last sync

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._obj, name)
        if not callable(attr):
            return attr
        writes = name != "sync" and not name.startswith(("read", "get"))

        def call(*a: Any, **k: Any) -> Any:
            with self._lk:
                if writes:
                    self.dirty = True
                return attr(*a, **k)

        return call
