"""Fault injection for the store's write path (a test kit, shipped like ``zarr.testing``).

:class:`FaultPlan` replaces the syscalls of :data:`ringlog.store._fs.SYS` (write, pwrite,
ftruncate, fsync, rename: every write-path call of the store goes through them) with wrappers
that count calls and make call number ``fail_at`` fail once, the way a full or failing disk does:

- ``write``/``pwrite``: a prefix of the data is really written (a short write), then
  ``OSError(ENOSPC)``;
- ``fsync``: ``OSError(EIO)`` (the data may or may not have reached the disk);
- ``ftruncate``: ``OSError(EIO)``; ``rename``: ``OSError(ENOSPC)`` (nothing renamed).

``FaultPlan(None)`` only counts (a dry run sizes the loop). One plan at a time per process; not
thread-safe beyond the GIL (the store's encode/fsync pools call through it too, which is the point).
Used by ``tests/store/test_faults.py``; the full loop is ``RINGLOG_FULL_FAULTS=1 pytest
tests/store/test_faults.py``.
"""

from __future__ import annotations

import errno
import random
import threading

from . import _fs

KINDS = ("write", "pwrite", "ftruncate", "fsync", "replace")


class FaultPlan:
    """Count write-path syscalls (of the kinds in ``only``); make call ``fail_at`` (0-based) fail once.
    Use as a context manager."""

    def __init__(self, fail_at: int | None = None, seed: int = 0, only: tuple = KINDS):
        self.fail_at = fail_at
        self.only = tuple(only)  # the kinds of call counted (the others pass through)
        self.calls = 0
        self.failed: str | None = None  # the kind of the call that failed
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def _hit(self, kind: str) -> bool:
        if kind not in self.only:
            return False
        with self._lock:
            n = self.calls
            self.calls += 1
            return n == self.fail_at

    def _wrap(self, kind: str, real):
        def write(fd, data, *rest):
            if self._hit(kind):
                self.failed = kind
                view = memoryview(data)
                k = self._rng.randrange(0, max(1, len(view)))  # a short write of a random prefix
                if k:
                    real(fd, view[:k], *rest)
                raise OSError(errno.ENOSPC, "No space left on device (injected)")
            return real(fd, data, *rest)

        def other(*args):
            if self._hit(kind):
                self.failed = kind
                code = errno.ENOSPC if kind == "replace" else errno.EIO
                raise OSError(code, f"{errno.errorcode[code]} (injected into {kind})")
            return real(*args)

        return write if kind in ("write", "pwrite") else other

    def __enter__(self):
        if any(k in vars(_fs.SYS) for k in KINDS):
            raise RuntimeError("a FaultPlan is already active (one at a time)")
        for kind in KINDS:
            setattr(_fs.SYS, kind, self._wrap(kind, getattr(_fs.SYS, kind)))  # instance attribute shadows the class's
        return self

    def __exit__(self, *exc):
        for kind in KINDS:
            vars(_fs.SYS).pop(kind, None)
        return False
