"""Settings: resolved once at ``init()`` / ``Task.init()`` (:meth:`Settings.resolved`) and passed
down to every part of the run; nothing below reads the environment again.

Where data goes: the ``dir`` argument, else :func:`ringlog.store.default_root` (``$RINGLOG_DIR``,
else ``./ringlog_data``; the one definition, shared with the CLI and the viewer). Strict mode:
``strict=True`` or ``RINGLOG_STRICT=1``.

Capture switches (``console``, ``tensorboard``, ``matplotlib``, ``system_metrics``,
``system_interval``, ``git``) are read by the capture module
(``ringlog.capture.manager.start_capture``); ``capture=False`` turns them all off, and
``init(capture={...})`` accepts exactly these keys.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional

from ..errors import LoggingWarning, type_error, value_error

#: the keys ``init(capture={...})`` accepts
CAPTURE_KEYS = ("console", "tensorboard", "matplotlib", "system_metrics", "system_interval", "git")


def _env_flag(name: str) -> Optional[bool]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    return raw.strip().lower() not in ("0", "false", "no", "off")


def _env_bytes(name: str, default: int) -> int:
    """An environment size in bytes (0: off); a bad value warns once and keeps ``default`` (an
    environment variable must not stop a training job)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        v = int(raw)
    except ValueError:
        v = -1
    if v < 0 or 0 < v < 1 << 20:
        warnings.warn(f"ringlog: {name}={raw!r} must be 0 (off) or an int >= 1048576 (bytes); using {default}",
                      LoggingWarning, stacklevel=3)
        return default
    return v


@dataclass
class Settings:
    """How a run logs. Every field has a safe default; see the module docstring.

    ``flush_interval``: seconds between flushes to disk (a ``kill -9`` loses at
    most this much). ``staging_limit``: points held in Python before the
    logging call waits (``on_full="wait"``) or raises :class:`RingFullError`
    (``on_full="raise"``); about 16 bytes each. ``ring_capacity`` is deprecated and
    ignored (a DeprecationWarning when set): the write path no longer has a ring between the
    staging and the store, whose per-series batches go to the store as they are.
    ``finish_timeout``: the bound on how long ``finish()`` waits for the last
    flush. ``clock_period``: how often a light thread reads the clock for point
    wall times (the time resolution kept; see :mod:`ringlog._engine.staging`).
    ``upload_timeout``: the longest a media call waits for room in the queue of samples going to a
    remote destination; after it the sample is dropped with one warning (a hung remote never hangs
    the training loop). ``wandb_media_history``: samples kept per media key logged through
    ``ringlog.log`` (times the list length for a list of media); None keeps every step, as W&B does
    (ClearML's ``Logger`` keeps its own last 100 per title/series). ``crash_ring``: bytes of the
    crash ring, a memory-mapped file beside the task's files that staged points are copied into
    every ``clock_period``, so a ``kill -9`` of a per-call logger loses ~tens of ms instead of up to
    the flush interval (:mod:`ringlog._engine.crashring`; FORMAT.md, "Crash ring"); env
    ``RINGLOG_CRASH_RING`` (bytes) when not given; **off (0) by default**: with 8 keys per call at
    ~2M points a second its copier took enough CPU that the flusher fell seconds behind and a kill
    lost more than without it (README, "Durability").
    """

    dir: Optional[str] = None
    strict: Optional[bool] = None
    flush_interval: float = 1.0
    staging_limit: int = 1 << 19
    ring_capacity: Optional[int] = None  # deprecated, ignored
    on_full: str = "wait"
    finish_timeout: float = 60.0
    clock_period: float = 0.01
    handle_signals: bool = True
    capture: bool = True
    console: bool = True
    tensorboard: bool = True
    matplotlib: bool = True
    system_metrics: bool = True
    system_interval: float = 2.0
    git: bool = True
    upload_timeout: float = 30.0
    wandb_media_history: Optional[int] = None
    mode: Optional[str] = None  # W&B's Settings(mode=...); init(mode=...) wins; "shared": ringlog._engine.shared
    crash_ring: Optional[int] = None  # bytes; None: $RINGLOG_CRASH_RING, else 0 (off); 64 MiB is a good size
    x_label: Optional[str] = None  # W&B's: this process's label in a shared task (ringlog._engine.shared)
    _root: Optional[Path] = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.on_full not in ("wait", "raise"):
            raise value_error("on_full", "must be 'wait' or 'raise'", self.on_full)
        for name in ("flush_interval", "finish_timeout", "clock_period", "system_interval", "upload_timeout"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
                raise value_error(name, "must be a positive number of seconds", v)
        v = self.staging_limit
        if isinstance(v, bool) or not isinstance(v, int) or v < 1024:
            raise value_error("staging_limit", "must be an int >= 1024 (points)", v)
        if self.ring_capacity is not None:
            warnings.warn("ringlog: Settings(ring_capacity=...) is deprecated and ignored: points go from the "
                          "staging to the store without a ring (bound memory with staging_limit)",
                          DeprecationWarning, stacklevel=3)
        h = self.wandb_media_history
        if h is not None and (isinstance(h, bool) or not isinstance(h, int) or h < 1):
            raise value_error("wandb_media_history", "must be None (keep every step) or an int >= 1", h)
        c = self.crash_ring
        if c is not None and (isinstance(c, bool) or not isinstance(c, int) or (c and c < 1 << 20)):
            raise value_error("crash_ring", "must be 0 (off) or an int >= 1048576 (bytes)", c)
        if self.dir is not None and not isinstance(self.dir, (str, os.PathLike)):
            raise type_error("dir", "must be a str or os.PathLike folder", self.dir)

    # --- resolution -------------------------------------------------------
    def resolved(self) -> "Settings":
        """A copy with strict mode read from the environment now (``init`` calls this once).

        The store root is resolved on first use of :attr:`root` and then kept: the SDK must not
        import ``ringlog.store`` (numba, ~1 s) on the caller's thread at ``init``.
        """
        return replace(self, strict=self.is_strict, crash_ring=self.crash_ring if self.crash_ring is not None
                       else _env_bytes("RINGLOG_CRASH_RING", 0))

    @property
    def root(self) -> Path:
        """The store root: ``dir``, else :func:`ringlog.store.default_root` (read once, then kept)."""
        if self.dir is not None:
            if isinstance(self.dir, str) and "://" in self.dir:  # s3://...: the spool (store/objstore)
                from ringlog.store.roots import local_root  # deferred, as below

                return local_root(self.dir)
            return Path(self.dir)
        if self._root is None:
            from ringlog.store.roots import default_root  # deferred: ringlog.store imports numba (~1 s)

            self._root = default_root()
        return self._root

    @property
    def is_strict(self) -> bool:
        if self.strict is not None:
            return bool(self.strict)
        return bool(_env_flag("RINGLOG_STRICT"))

    def with_capture(self, capture: Any) -> "Settings":
        """Apply ``init(capture=...)``: a bool switches every capture off/on, a dict sets fields."""
        if capture is None:
            return self
        if isinstance(capture, bool):
            if capture:
                return self
            return replace(self, capture=False, console=False, tensorboard=False, matplotlib=False,
                           system_metrics=False, git=False)
        if isinstance(capture, dict):
            unknown = [k for k in capture if k not in CAPTURE_KEYS]
            if unknown:
                raise value_error("capture", f"keys must be among {list(CAPTURE_KEYS)} (other settings go in "
                                             "settings=ringlog.Settings(...))", unknown)
            return replace(self, **capture)
        raise type_error("capture", "must be a bool or a dict of capture switches", capture)

    def updated(self, **changes: Any) -> "Settings":
        """A copy with ``changes`` applied (None values ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

