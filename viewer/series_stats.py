"""Last/min/max of every logged series as task-table columns (issue 19, item 5), both flavours.

The catalog indexes only the numeric *summary* (W&B's last value per key; ClearML tasks often
have none), so a series' min and max, and every ClearML ``title/series``, are not in it. They
are in each task's series index (``TaskReader.last_metrics()``, kept current by the writer).
:class:`StatsCache` reads that once per task and version (the catalog row's ``updated`` and
status) and keeps it in memory, so a table poll of unchanged tasks costs no file read.

Cost (``python -m benchmarks.bench_table_stats``, 2-core VM under load from other jobs): 1-5 ms per
task read (open + series index), so the first page of 50 with ``stats=1`` took 150 ms (the plain
catalog page 16 ms), later polls of unchanged tasks 24 ms. Sorting or filtering by a figure reads
every task the other filters keep: 5.8 s the first time for 2,000 never-read tasks, 43 ms after.
An indexed catalog column would make that one query; it needs the store (not done here).

Column keys: ``last.<key>``, ``min.<key>``, ``max.<key>`` where ``<key>`` is the W&B-style series
key (``title``, or ``title/series`` when they differ; :func:`ringlog.viewer.scalars.series_key`).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import Any

from flask import current_app

from ringlog.store import TaskNotFoundError

from .errors import BadRequestError
from .provider import Provider
from .provider import current as current_provider
from .scalars import series_key

STATS = ("last", "min", "max")
#: what W&B's init(group=..., job_type=...) records, offered to the table's group-by
GROUP_KEYS = ("group", "job_type")
#: tasks whose stats stay in memory (a few hundred bytes each for a typical run)
CACHE_TASKS = 20_000


def stat_key(raw: str, name: str) -> tuple[str, str]:
    """``min.loss`` -> ``("min", "loss")``; BadRequestError naming ``name`` otherwise."""
    stat, _, key = raw.partition(".")
    if stat not in STATS or not key:
        raise BadRequestError(name, "must be last.<key>, min.<key> or max.<key>", raw)
    return stat, key


def is_stat_sort(sort: str) -> bool:
    stat, _, key = sort.partition(".")
    return stat in STATS and bool(key)


def _finite(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    v = float(v)
    return v if math.isfinite(v) else None


class StatsCache:
    """``task id -> {key: {"last", "min", "max"}}`` (and the run's group/job type) for catalog rows,
    re-read when a row's version changes."""

    def __init__(self, provider: Provider):
        self._provider = provider
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[Any, dict]] = OrderedDict()

    def stats(self, row: dict) -> dict:
        return self._entry(row)[0]

    def groups(self, row: dict) -> dict:
        """``{"group", "job_type"}`` a W&B ``init(group=..., job_type=...)`` recorded in the task's
        metadata (``init_args``), str or None; read with the series index, so free once cached."""
        return self._entry(row)[1]

    def _entry(self, row: dict) -> tuple[dict, dict]:
        tid = row.get("id")
        version = (row.get("updated"), row.get("status"))
        with self._lock:
            hit = self._cache.get(tid)
            if hit is not None and hit[0] == version:
                self._cache.move_to_end(tid)
                return hit[1]
        try:
            reader = self._provider.reader(task_id=tid)
            metrics = reader.last_metrics()
            init = reader.info.get("init_args")
        except (TaskNotFoundError, OSError, ValueError):
            metrics, init = {}, None  # a catalog row without a readable folder: no series columns
        init = init if isinstance(init, dict) else {}
        groups = {k: str(init[k])[:200] if isinstance(init.get(k), (str, int, float)) else None
                  for k in GROUP_KEYS}
        out = {}
        for (title, series), st in metrics.items():
            vals = {s: _finite(st.get(s)) for s in STATS}
            if any(v is not None for v in vals.values()):
                out[series_key(title, series)] = vals
        with self._lock:
            self._cache[tid] = (version, (out, groups))
            self._cache.move_to_end(tid)
            while len(self._cache) > CACHE_TASKS:
                self._cache.popitem(last=False)
        return out, groups


_EXTENSION = "ringlog_series_stats"


def current() -> StatsCache:
    """The stats cache of the app serving this request (one per app, built on first use)."""
    ext = current_app.extensions
    if _EXTENSION not in ext:
        ext[_EXTENSION] = StatsCache(current_provider())
    return ext[_EXTENSION]


def filter_sort_page(rows: list[dict], stats_of, *, sort: str, descending: bool, offset: int, limit: int,
                     stat_filters: tuple = ()) -> tuple[list[dict], int]:
    """Filter ``rows`` by ``(stat, key, lo, hi)`` and, for a ``last./min./max.`` sort, order them
    (tasks without the value last, ties by id as the catalog does); then one page."""
    keep = []
    for r in rows:
        st = stats_of(r)
        ok = True
        for stat, key, lo, hi in stat_filters:
            v = (st.get(key) or {}).get(stat)
            if v is None or (lo is not None and v < lo) or (hi is not None and v > hi):
                ok = False
                break
        if ok:
            keep.append(r)
    if is_stat_sort(sort):
        stat, key = stat_key(sort, "sort")
        have = [r for r in keep if (stats_of(r).get(key) or {}).get(stat) is not None]
        lack = [r for r in keep if (stats_of(r).get(key) or {}).get(stat) is None]
        have.sort(key=lambda r: (stats_of(r)[key][stat], r.get("id") or ""), reverse=descending)
        lack.sort(key=lambda r: r.get("id") or "", reverse=descending)
        keep = have + lack
    return keep[offset:offset + limit], len(keep)
