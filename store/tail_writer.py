"""Writes the tail records of a task's series at each sync: the shared ``tails.bin`` (series
without a whole chunk and few pending points) and each other series' own ``tail.bin``.

Heals torn writes (FORMAT.md, "Write errors"): every append starts at the file's last durable
size, cutting whatever a failed write or a failed fsync left behind it (``tail.append``), and a
series' counts advance only after its record was written *and* synced
(:meth:`SeriesWriter.tail_commit`), so a failed sync writes the same points again next time.

Used by :class:`ringlog.store.writer.TaskWriter` under its lock (one thread).
"""

from __future__ import annotations

from pathlib import Path

from . import _fs, codecs, tail

SHARED_TAIL = "tails.bin"  # the tail records of every series without a whole chunk (FORMAT.md)
SHARED_MAX = 128  # pending points from which a series without a whole chunk moves to its own tail.bin
SYNCFS_MIN = 256  # files to fsync in one batch from which one syncfs(2) replaces the fsyncs


class TailSet:
    """The tail files of one task; state: the shared file's durable size."""

    def __init__(self, task_path: Path, durable: bool, fsync_pool=None):
        self.path = Path(task_path)
        self.durable = durable
        self.fsync_pool = fsync_pool
        self.shared_bytes = 0  # durable size of the shared tail file
        self._staged = None    # its size after this sync's write, committed with the counts
        self.rewrite = False   # a rewrite is not committed yet (the file's size is not shared_bytes)

    def write(self, series, every, compact: int, shared_max: int = SHARED_MAX) -> None:
        """Write each of ``series``' new tail record, fsync them as one overlapped batch (and the
        folders of series whose first record created their folder), then commit their counts.
        ``every``: all the task's series (a rewrite of the shared file holds them all);
        ``compact``: the shared file's rewrite threshold in bytes. Raises a StoreWriteError when a
        write or an fsync fails; nothing is committed then, and the next call writes it again."""
        recs, to_sync, done, rewrote = [], [], [], False
        self._staged = None
        try:
            for s in series:
                if s.shared and s.short and s.step.n <= shared_max:  # few points: a record in the shared file
                    r = s.shared_record()
                    if r is not None:
                        recs.append(r)
                        done.append(s)
                else:
                    s.leave_shared()
                    p = s.write_tail(self.durable)
                    done.append(s)
                    if p is not None:
                        to_sync.append(p)
            if recs:
                shared_sync, rewrote = self._write_shared(recs, every, compact)
                to_sync += shared_sync
            new_dirs = [s.dir for s in series if s.new_dir]
            if self.durable and new_dirs:
                to_sync += new_dirs + [self.path]
            if not (len(to_sync) >= SYNCFS_MIN and _fs.syncfs(self.path)):  # many short series: one syscall
                codecs.fsync_paths(to_sync, self.fsync_pool)  # one overlapped batch, not one fsync per series
        except OSError as exc:
            for s in every:
                s.tail_failed()
            raise _fs.write_error(exc, "tail write", self.path) from exc
        for s in series:
            s.new_dir = False
        if self._staged is not None:
            self.shared_bytes, self.rewrite = self._staged, False
        for s in (every if rewrote else done):  # a rewrite holds every point of every series in the file
            s.tail_commit()

    def _write_shared(self, recs: list[bytes], every, compact: int):
        """Append the records to the shared tail file in one write; returns (what needs an fsync,
        whether the file was rewritten instead).

        Once the file would exceed both ``compact`` and twice the pending points of the series
        still in it, it is rewritten (temp + fsync + rename) with one record per such series (the
        records of series that moved to their own tail.bin, which holds all their points, drop
        out). Cost: O(new bytes), amortised."""
        path = self.path / SHARED_TAIL
        data = b"".join(recs)
        if self.shared_bytes or self.rewrite:
            live = sum(tail.SHARED_HEADER.size + 24 * s.step.n for s in every if s.shared)
            if self.rewrite or self.shared_bytes + len(data) > max(compact, 2 * live):
                full = b"".join(r for r in (s.shared_record(full=True) for s in every if s.shared) if r)
                self.rewrite = True  # until committed: after a failed sync the file is rewritten again
                tail.rewrite(path, full, self.durable)
                self._staged = len(full)
                return ([self.path] if self.durable else []), True
        new = not self.shared_bytes
        tail.append(path, data, self.shared_bytes, durable=False)
        self._staged = self.shared_bytes + len(data)
        if not self.durable:
            return [], False
        return ([path, self.path] if new else [path]), False
