"""The fsync bookkeeping of a series writer: the files written since the last good fsync, the
fsyncs started early, and the redo after a failed one (FORMAT.md, "Write errors"). A mixin of
:class:`ringlog.store.series_writer.SeriesWriter`, which owns the state (``shard_writers``,
``level_redo``, ``must_redo``); split out to keep each file to one concern.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from . import _fs, codecs
from .layout import series_dir


class SyncMixin:
    """fsync of one series' files (see the module docstring)."""

    # Made on first use: a task may hold 100,000 tiny series that never write a file of their own,
    # and every container created per series costs memory and garbage-collector passes (measured:
    # ~70 % of creating a series before these were lazy).
    @cached_property
    def dir(self) -> Path:
        return series_dir(self.task_path, self.sid)

    @cached_property
    def unsynced(self) -> list[Path]:
        return []

    @cached_property
    def unsynced_dirs(self) -> set[Path]:
        return set()

    @cached_property
    def eager(self) -> list:  # futures of fsyncs started when shards were completed
        return []

    @cached_property
    def eager_paths(self) -> set[Path]:
        return set()

    def _fsync_state(self) -> bool:
        """Whether any file of this series awaits an fsync (without making the lazy containers)."""
        d = self.__dict__
        return bool(d.get("eager") or d.get("unsynced") or d.get("unsynced_dirs") or self.must_redo)

    def fsync(self) -> None:
        """fsync the files written since the last sync, then their folders (new names must last too).

        Raw chunk files had their fsync started when written; this waits for all of those and
        raises the first error. After a failed fsync the kernel may have dropped the pages, so the
        next call first writes every file of the failed round again from the kept bytes
        (:attr:`must_redo`), and only a clean round clears them."""
        if not self._fsync_state():
            return  # nothing written since the last sync (most series of a many-key run)
        eager, self.eager = self.eager, []
        first = None
        for f in eager:
            try:
                f.result()
            except OSError as exc:
                first = first or exc
        try:
            if first is not None:
                raise first
            if self.must_redo:
                for sw in self.shard_writers.values():
                    self.unsynced += sw.redo()
                for (d, c), blob in self.level_redo.items():
                    self.unsynced.append(codecs.write_chunk(d, blob, 0, c, replace=True))
            files = set(self.unsynced) - (set() if self.must_redo else self.eager_paths)
            codecs.fsync_paths(files, self.fsync_pool)
            codecs.fsync_paths(self.unsynced_dirs | {p.parent for p in files}, self.fsync_pool)
        except OSError as exc:
            self.must_redo = True
            self.unsynced_dirs |= {p.parent for p in self.eager_paths}
            raise _fs.write_error(exc, "fsync", self.dir) from exc
        self.must_redo = False
        for sw in self.shard_writers.values():
            sw.synced()
        self.level_redo.clear()
        self.eager_paths.clear()
        self.unsynced.clear()
        self.unsynced_dirs.clear()

    def forget_unsynced(self) -> None:
        """Not durable: drop the bookkeeping of files to fsync."""
        if not (self._fsync_state() or self.shard_writers or self.level_redo or self.__dict__.get("eager_paths")):
            return
        for sw in self.shard_writers.values():
            sw.synced()
        self.level_redo.clear()
        self.unsynced.clear()
        self.unsynced_dirs.clear()
        self.eager.clear()
        self.eager_paths.clear()
