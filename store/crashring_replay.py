"""Replaying a crash ring (store/crashring.py) into its task: FORMAT.md, "Crash ring".

The rule, per series of the ring: its watermark ``(L, N)`` says the ring's point of sequence ``L`` is
the store's point ``N``; the store holds ``n`` points now, so the first missing one is sequence
``L + n - N``. The ring's points from there on, as far as they are contiguous, are appended through
the reopened task's writer (so pyramids, figures, tails follow the usual rules), and the ring is
deleted only after that writer's first sync made them durable. A crash during the replay leaves the
ring in place, and replaying it again appends nothing twice (the store's ``n`` moved on).

A check guards against a watermark that does not hold (a batch the store refused after it): when
the ring also holds the point just before the first missing one, it must equal the store's last
point (step and value bits), or that series is left alone and reported.

Who replays: whoever opens the folder for writing next - a resume (``store/reopen.py``), a writer
namespace reopened by a restarted rank, ``ringlog fsck --repair`` and
:func:`ringlog.store.crashring_recover.recover` (store/crashring_recover.py). Readers do not replay
(see FORMAT.md for why).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import crashring


def plan(ring: crashring.Ring, counts: dict) -> list[tuple]:
    """``[(lid, title, series, steps, values, times, note)]``: what the ring adds to a store whose
    series hold ``counts[(title, series)] = (n, (last step, last value) or None)`` points (see
    :func:`replay_into`). ``note`` is None, or why a series is left alone."""
    out = []
    for lid, (title, series) in sorted(ring.names.items()):
        mark = ring.marks.get(lid)
        if mark is None:
            continue
        seq, index = mark
        n, last = counts.get((title, series), (0, None))
        need = seq + n - index
        if need < 0:
            out.append((lid, title, series, None, None, None, f"the store holds {n} points, fewer than the ring's "
                                                                f"watermark ({index}): not replayed"))
            continue
        st, va, tm = ring.run(lid, need - 1) if need > 0 and last is not None else ((), (), ())
        if len(st):  # the ring holds the store's last point too: it must be the same point
            if int(st[0]) != last[0] or not _same(float(va[0]), last[1]):
                out.append((lid, title, series, None, None, None, "the ring's point before the first missing one "
                                                                  "differs from the store's last: not replayed"))
                continue
            st, va, tm = st[1:], va[1:], tm[1:]
        else:
            st, va, tm = ring.run(lid, need)
        if len(st):
            out.append((lid, title, series, st, va, tm, None))
    return out


def _same(a: float, b: float) -> bool:
    """The same value: equal bits, or both NaN (a NaN stored as float32 may come back with other bits)."""
    return np.float64(a).view(np.int64) == np.float64(b).view(np.int64) or (a != a and b != b)


def replay_into(writer, folder: Path) -> list[str]:
    """Append what the ring in ``folder`` holds beyond the store to ``writer`` (the folder's writer,
    opened by :func:`ringlog.store.reopen.reopen`, before its first sync). Returns report lines."""
    ring = crashring.read(folder)
    if ring is None:
        return []
    counts = {}
    for (title, series), sid in writer._ids.items():
        s = writer._series[sid]
        st = s.stats
        counts[(title, series)] = (st.count, (int(st.last_step), float(st.last)) if st.count else None)
    lines = []
    for _lid, title, series, st, va, tm, note in plan(ring, counts):
        if note is not None:
            lines.append(f"{crashring.RING_FILE}: {title}/{series}: {note}")
            continue
        try:
            sid = writer.series_id(title, series)
            writer.append(sid, st, va, tm)
        except OSError:
            raise  # the disk: the reopen fails as a whole and the ring stays for another try
        except Exception as exc:  # noqa: BLE001 - what the store refused then, it refuses now: that series only
            lines.append(f"{crashring.RING_FILE}: {title}/{series}: not replayed ({exc!r})")
            continue
        lines.append(f"{crashring.RING_FILE}: {len(st)} points of {title}/{series} replayed")
    return lines


def pending(folder: Path, reader) -> int:
    """Points the ring in ``folder`` holds beyond what ``reader`` (own_only) reads: what a replay adds."""
    ring = crashring.read(folder)
    if ring is None:
        return 0
    counts = {}
    for key in reader.series():
        try:
            sr = reader._tolerant(key[0], key[1], lambda sr: sr)
            n = sr.n
            last = (int(sr.raw("step", n - 1, n)[0]), float(sr.raw("value", n - 1, n)[0])) if n else None
        except Exception:  # noqa: BLE001 - a damaged series: fsck reports it on its own
            continue
        counts[key] = (n, last)
    return sum(len(p[3]) for p in plan(ring, counts) if p[6] is None)


def ring_finding(store, folder: Path, repairing: bool):
    """For ``ringlog fsck``: ``(file, problem, lost)`` when the ring in ``folder`` belongs to a writer
    that is gone and holds points the store lacks (lost unless replayed: ``ringlog fsck --repair``
    or :func:`ringlog.store.crashring_recover.recover` replays them), else None. ``repairing``: fsck
    holds the folder's lock (the writer is gone)."""
    from .reader import TaskReader

    folder = Path(folder)
    if not (folder / crashring.RING_FILE).exists() or (not repairing and _held(folder)):
        return None  # no ring, or a live writer's
    k = pending(folder, TaskReader(folder, store.cache, own_only=True))
    if not k:
        return None
    return (str(folder / crashring.RING_FILE), f"{k} points beyond the last flush of a killed writer (its crash "
            "ring)", f"{k} points until replayed (`ringlog fsck --repair` or a resume replays them)")


def _held(folder: Path) -> bool:
    """Whether a writer holds the folder's lock now (a probe: taken and dropped at once)."""
    from .errors import TaskLockedError
    from .writer_lock import TaskLock

    lock = TaskLock(folder, folder.name)
    try:
        lock.acquire(wait=0.0, record=False)
    except TaskLockedError:
        return True
    except OSError:
        return False
    lock.release()
    return False
