"""Writer namespaces of a task, as readers see them (FORMAT.md, "Several writers of one task").

The layout (``<task>/w/<label>/``, one task-shaped folder per extra writer process) and the merge
rule readers apply; the writer side is :mod:`ringlog.store.multiwriter`. A (title, series) written
by one writer reads as that writer's series (pyramid and all); one written by several reads as one
series holding every writer's points, ordered by step, then wall time, then writer (the first
writer, then the labels in sorted order). Such a merged series is read whole into memory on first
use (O(points) per reader snapshot); its decimation takes the exact raw path (``sorted`` false).
Console records, plots and debug samples of all writers merge by time, each marked with its
writer's ``source`` label; a namespace's sample gets the id :func:`media_id` (its own id above
2**32, so ids stay unique and stable across listings and namespaces appearing later).
Metadata, config, summary and status are the first writer's; each namespace keeps its own in its
``zarr.json``.
"""

from __future__ import annotations

import dataclasses
import re
import zlib
from pathlib import Path

import numpy as np

from .errors import bad_value
from .layout import SERIES_INDEX, TASK_META, TIME_RES

NS_DIR = "w"  # <task>/w/<label>/: one writer namespace per extra process
LABEL = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$")


def check_label(label) -> str:
    """``label`` checked: 1-64 of ``[A-Za-z0-9_.-]``, not starting with '.'."""
    if not isinstance(label, str) or not LABEL.match(label):
        raise bad_value("label", "must be 1-64 letters, digits, '_', '.' or '-' (not starting with '.')", label)
    return label


def namespace_dirs(task_path) -> list[tuple[str, Path]]:
    """``[(label, folder)]`` of the task's writer namespaces, sorted by label (none: ``[]``, one
    failed ``stat``)."""
    base = Path(task_path) / NS_DIR
    try:
        items = sorted(base.iterdir())
    except OSError:
        return []
    return [(p.name, p) for p in items if LABEL.match(p.name) and p.is_dir()
            and any((p / n).exists() for n in (TASK_META, SERIES_INDEX, "writer.lock"))]


ID_SHIFT = 32  # a namespace's sample ids: (1 + crc32(label) mod (2**20 - 1)) << 32 | own id (< 2**53)


def media_base(label: str) -> int:
    """The id offset of namespace ``label``'s debug samples (never 0: the task folder's own ids
    are below 2**32)."""
    return (1 + zlib.crc32(label.encode()) % ((1 << 20) - 1)) << ID_SHIFT


# --- readers -------------------------------------------------------------------------------------
class MergedSeries:
    """One (title, series) written by several writers, read as one series (see the module
    docstring): the ``SeriesReader`` members decimate and export use, over arrays in memory."""

    # merged in (step, time, writer) order: sorted by step, so a step-axis query takes decimate's
    # in-memory raw path over its range; the time axis is sorted per query (the unsorted path)
    sorted = {"step": True, "time": False}
    in_memory = True

    def __init__(self, points: np.ndarray):
        """``points``: the merged points (:meth:`merge`): rows step, value bits, time (unix s) bits,
        time (ms since the task's origin), int64, one column a point."""
        self.points = points
        self._step, self._value = points[0], points[1].view(np.float64)
        self._tsec, self._tms = points[2].view(np.float64), points[3]
        self.n = points.shape[1]
        self.problems, self.cuts = [], []

    @staticmethod
    def merge(parts, origin: float) -> np.ndarray:
        """``parts``: :class:`~ringlog.store.reader.Scalar` of each writer, first writer first.

        One (4, n) int64 array (contiguous rows, so gathers and later slices stay cheap; a
        structured array of the same points took ~4x as long to fill). ``np.lexsort`` is stable,
        so points equal in step and time keep the parts' order: the writer order."""
        step = np.concatenate([p.step for p in parts]) if parts else np.zeros(0, np.int64)
        value = np.concatenate([p.value for p in parts]) if parts else np.zeros(0)
        t = np.concatenate([p.time for p in parts]) if parts else np.zeros(0)
        order = np.lexsort((t, step))
        out = np.empty((4, len(order)), np.int64)
        np.take(step, order, out=out[0])
        np.take(value.astype(np.float64, copy=False), order, out=out[1].view(np.float64))
        tsec = out[2].view(np.float64)
        np.take(t.astype(np.float64, copy=False), order, out=tsec)
        out[3] = np.rint((tsec - origin) / TIME_RES)
        return out

    def raw(self, name: str, lo: int, hi: int) -> np.ndarray:
        lo, hi = max(0, lo), min(self.n, hi)
        a = {"step": self._step, "value": self._value, "time": self._tms}[name]
        return a[lo:max(lo, hi)].copy()

    def export(self, lo: int, hi: int, origin: float, time_res: float):
        lo, hi = max(0, lo), min(self.n, hi)
        hi = max(lo, hi)
        return self._step[lo:hi].copy(), self._value[lo:hi].copy(), self._tsec[lo:hi].copy()

    def degrade(self, exc) -> None:  # the parts were read tolerantly: nothing left to narrow
        raise exc


class Namespaces:
    """The writer namespaces of one task as seen by its reader (a snapshot, like the reader)."""

    def __init__(self, task_path: Path, cache, make_reader):
        """``make_reader(folder, cache)``: a reader of one namespace (``TaskReader``)."""
        self.readers = {label: make_reader(p, cache) for label, p in namespace_dirs(task_path)}
        self.keys: dict[tuple, list[str]] = {}
        for label, r in self.readers.items():
            for key in r.series():
                self.keys.setdefault(key, []).append(label)

    def problems(self) -> list:
        return [p for r in self.readers.values() for p in r.problems]

    def series_reader(self, owner, key, in_root: bool):
        """The reader of ``key`` for TaskReader ``owner``: a namespace's own series reader when only
        that namespace wrote it, else a :class:`MergedSeries` of every writer's points."""
        labels = self.keys.get(key, [])
        if not in_root and len(labels) == 1:
            return self.readers[labels[0]]._series_reader(*key)
        # merged once per content (the point counts of every part) in the store's shared cache, so
        # a viewer's successive requests on an unchanged merged series do not merge it again
        counts = (owner._series_reader(*key, own=True).n if in_root else -1,
                  tuple(self.readers[lb].count(*key) for lb in labels))
        ck = ("merged", str(owner.path), key, tuple(labels), counts)
        points = owner._cache.get(ck)
        if points is None:
            parts = [owner._own_scalar(*key)] if in_root else []
            parts += [self.readers[lb].scalar(*key) for lb in labels]
            points = MergedSeries.merge(parts, float(owner._meta.get("time_origin", 0.0)))
            owner._cache.put(ck, points)
        for lb in labels:
            for p in self.readers[lb].problems:
                owner._problem(p)
        return MergedSeries(points)

    def last_metrics(self, own: dict) -> dict:
        """``own`` (the first writer's figures) merged with each namespace's, per key: counts add,
        min/max over all, ``last``/``last_step`` from the writer with the highest last step."""
        out = {k: dict(v) for k, v in own.items()}
        for r in self.readers.values():
            for key, m in r.last_metrics().items():
                cur = out.get(key)
                if cur is None:
                    out[key] = dict(m)
                    continue
                cur["count"] = (cur.get("count") or 0) + (m.get("count") or 0)
                for k, fn in (("min", min), ("max", max)):
                    vals = [v for v in (cur.get(k), m.get(k)) if v is not None]
                    cur[k] = fn(vals) if vals else None
                if (m.get("last_step") is not None
                        and (cur.get("last_step") is None or m["last_step"] > cur["last_step"])):
                    cur["last_step"], cur["last"] = m["last_step"], m.get("last")
        return dict(sorted(out.items()))

    def console(self, own: list, since: int, limit, own_label=None) -> list:
        """Console records of every writer merged by time (stable: the first writer first); each
        record carries ``source``, its writer's label (the first writer's when it recorded one).
        ``since``/``limit`` count merged records."""
        recs = [dict(r, source=own_label) if own_label else dict(r) for r in own]
        for label, r in self.readers.items():
            recs.extend(dict(x, source=label) for x in r.console())
        recs.sort(key=lambda x: x.get("time", 0.0) if isinstance(x.get("time"), (int, float)) else 0.0)
        since = max(0, int(since or 0))
        return recs[since:] if limit is None else recs[since:since + int(limit)]

    def plots(self, own: list, title, series, own_label=None) -> list:
        """Plot records of every writer merged by time (stable: the first writer first), each with
        ``source`` as in :meth:`console`. A plot whose figure points at debug samples of a
        namespace (a table of images) keeps those samples in that namespace."""
        recs = [dict(r, source=own_label) if own_label else dict(r) for r in own]
        for label, r in self.readers.items():
            recs.extend(dict(x, source=label) for x in r.plots(title=title, series=series))
        recs.sort(key=lambda x: x.get("time", 0.0) if isinstance(x.get("time"), (int, float)) else 0.0)
        return recs

    def media(self, own: list, title, series, own_label=None, typed: bool = False) -> list:
        """Debug samples of every writer merged by time (stable: the first writer first); a
        namespace's records carry ``source`` (raw dicts, which have no id), or, with ``typed``,
        :class:`~ringlog.store.media.MediaRecord` with the id :func:`media_base` + their own)."""
        if typed:
            recs = [dataclasses.replace(r, source=own_label) if own_label else r for r in own]
        else:
            recs = [dict(r, source=own_label) if own_label else dict(r) for r in own]
        for label, r in self.readers.items():
            if typed:
                base = media_base(label)
                recs.extend(dataclasses.replace(x, id=base + x.id, source=label)
                            for x in r.media_records(title=title, series=series))
            else:
                recs.extend(dict(x, source=label) for x in r.media(title=title, series=series))
        recs.sort(key=lambda x: _time(x.time if typed else x.get("time")))
        return recs

    def media_owner(self, record_id: int):
        """(namespace reader, its own id) of a merged sample id; None for an id of the task folder's."""
        if record_id < (1 << ID_SHIFT):
            return None
        for label, r in self.readers.items():
            base = media_base(label)
            if base <= record_id < base + (1 << ID_SHIFT):
                return r, record_id - base
        return None

    def writers(self) -> dict:
        """``{label: status}`` of each namespace (``crashed`` for a dead writer, as for tasks)."""
        return {label: r.info.get("status") for label, r in self.readers.items()}


def _time(t) -> float:
    return float(t) if isinstance(t, (int, float)) and not isinstance(t, bool) else 0.0
