"""Pure functions behind the project, task-table, task-detail and console routes.

The task table is answered by ``Store.catalog.query`` (SQLite, indexed), so a page of 10,000
tasks costs one query plus O(page) Python work here: flattening each row's summary and
config into columns. Rows are plain dicts ready for JSON.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator, Mapping
from typing import Any

from ringlog.store import STATUSES as STORE_STATUSES
from ringlog.store import TaskReader
from ringlog.store.reports import project_id

from .errors import BadRequestError
from .provider import Provider
from .series_stats import StatsCache, filter_sort_page, is_stat_sort, stat_key

#: sort keys answered by the catalog besides ``summary.<key>`` and ``config.<key>``
SORT_KEYS = ("updated", "created", "name", "status", "project", "id")
#: the statuses a task can have: the store's own list (``crashed``: a running task whose writer is gone,
#: as the store reports it; ``ringlog fsck --repair`` may also record it)
STATUSES = STORE_STATUSES
MAX_COLUMNS = 40
#: series keys offered as last/min/max columns (three columns each)
MAX_STAT_COLUMNS = 100


def projects_impl(provider: Provider) -> dict:
    """Every project with its id (widget queries' ``project=<id>``), task count and last update (from the catalog)."""
    out = []
    for name in provider.projects():
        rows, total = provider.query_tasks(project=name, sort="updated", descending=True, offset=0, limit=1)
        updated = rows[0].get("updated") if rows else None
        out.append({"name": name, "id": project_id(name), "tasks": total, "updated": updated})
    return {"projects": out}


def flatten(d: Any, prefix: str = "", depth: int = 0) -> dict:
    """Nested dicts -> ``{"a.b": value}``; lists and other leaves kept as they are."""
    out: dict = {}
    if not isinstance(d, Mapping):
        return {prefix: d} if prefix else {}
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, Mapping) and depth < 8:
            out.update(flatten(v, key, depth + 1))
        else:
            out[key] = v
    return out


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def task_row(row: Mapping[str, Any], now: float | None = None) -> dict:
    """One catalog row as the task table shows it: duration = updated - created (now - created while
    running, last heartbeat - created once crashed); ``heartbeat`` = the writer's last sign of life
    (running and crashed tasks, else None)."""
    created, updated = row.get("created"), row.get("updated")
    status = row.get("status")
    heartbeat = row.get("heartbeat") if _number(row.get("heartbeat")) else None
    duration = None
    if _number(created) and _number(updated):
        end = updated
        if status == "running":
            end = now or time.time()
        elif status == "crashed" and heartbeat is not None:
            end = max(heartbeat, updated)
        duration = max(0.0, float(end) - float(created))
    summary = flatten(row.get("summary") or {})
    config = flatten(row.get("config") or {})
    return {
        "id": row.get("id"), "name": row.get("name"), "project": row.get("project"),
        "status": status, "tags": list(row.get("tags") or ()),
        "created": created, "updated": updated, "duration": duration, "heartbeat": heartbeat,
        "summary": {k: v for k, v in summary.items() if _number(v) or isinstance(v, (str, bool)) or v is None},
        "config": {k: v for k, v in config.items() if not isinstance(v, (dict, list)) or len(str(v)) < 200},
    }


def parse_metric_filter(raw: str, name: str = "metric") -> tuple[str, float | None, float | None]:
    """``summary.loss:0.1:0.5`` (either bound may be empty) -> ``("loss", 0.1, 0.5)``."""
    parts = raw.rsplit(":", 2)
    if len(parts) != 3 or not parts[0]:
        raise BadRequestError(name, "must look like KEY:MIN:MAX (bounds may be empty)", raw)
    key, lo_s, hi_s = parts
    bounds = []
    for s in (lo_s, hi_s):
        if s.strip() == "":
            bounds.append(None)
            continue
        try:
            bound = float(s)
        except ValueError:
            raise BadRequestError(name, "bounds must be numbers", raw) from None
        if not math.isfinite(bound):
            raise BadRequestError(name, "bounds must be finite numbers (leave a side empty for no bound)", raw)
        bounds.append(bound)
    if bounds[0] is not None and bounds[1] is not None and bounds[1] < bounds[0]:
        raise BadRequestError(name, "needs MIN <= MAX", raw)
    if key.startswith("summary."):
        key = key[len("summary."):]
    return key, bounds[0], bounds[1]


def parse_stat_filter(raw: str) -> tuple[str, str, float | None, float | None]:
    """``min.loss:0:0.5`` -> ``("min", "loss", 0.0, 0.5)``: a range on a series' last/min/max."""
    key, lo, hi = parse_metric_filter(raw, "stat")
    stat, key = stat_key(key, "stat")
    return stat, key, lo, hi


def check_sort(sort: str) -> str:
    if sort in SORT_KEYS or sort in ("duration",):
        return sort
    for prefix in ("summary.", "config."):
        if sort.startswith(prefix) and len(sort) > len(prefix):
            return sort
    if is_stat_sort(sort):
        return sort
    raise BadRequestError("sort", f"must be one of {', '.join(SORT_KEYS)}, summary.<key>, config.<key> "
                          "or last./min./max.<series key>", sort)


def tasks_impl(provider: Provider, *, project: str | None = None, text: str | None = None,
               tags: tuple[str, ...] = (), status: str | None = None, sort: str = "updated",
               descending: bool = True, offset: int = 0, limit: int = 50, metric_filters: tuple = (),
               stats: bool = False, stat_filters: tuple = (), stats_cache: StatsCache | None = None) -> dict:
    """One page of the task table plus the summary/config columns present on that page.

    ``stats`` adds each row's series figures (``"stats": {key: {"last", "min", "max"}}``) and
    ``columns.stats``; a ``last./min./max.<key>`` sort or ``stat_filters`` ``(stat, key, lo, hi)``
    are answered over every row the catalog's filters keep (series_stats.py: cost); ``stats_cache``
    keeps the figures between calls (the app's, ``series_stats.current()``; else a fresh one)."""
    cache = stats_cache if stats_cache is not None else StatsCache(provider)
    query = dict(project=project, text=text, tags=tuple(tags), status=status,
                 metric_filters=tuple(metric_filters))
    if is_stat_sort(sort) or stat_filters:
        every, _ = provider.query_tasks(**query, sort="updated", descending=True, offset=0, limit=None)
        rows, total = filter_sort_page(every, cache.stats, sort=sort,
                                       descending=descending, offset=offset, limit=limit,
                                       stat_filters=tuple(stat_filters))
        stats = True
    else:
        rows, total = provider.query_tasks(**query, sort=sort, descending=descending, offset=offset, limit=limit)
    now = time.time()
    out = [task_row(r, now) for r in rows]
    summary_cols: dict[str, None] = {}
    config_cols: dict[str, None] = {}
    stat_cols: dict[str, None] = {}
    for raw, r in zip(rows, out):
        for k in r["summary"]:
            if not k.startswith("_"):
                summary_cols.setdefault(k)
        for k in r["config"]:
            if not k.startswith("_"):
                config_cols.setdefault(k)
        if stats:
            r["stats"] = cache.stats(raw)
            r.update(cache.groups(raw))   # "group", "job_type": W&B init arguments, for group-by
            for k in r["stats"]:
                if not k.startswith("_"):
                    stat_cols.setdefault(k)
    columns = {"summary": sorted(summary_cols)[:MAX_COLUMNS], "config": sorted(config_cols)[:MAX_COLUMNS]}
    if stats:
        columns["stats"] = sorted(stat_cols)[:MAX_STAT_COLUMNS]
    return {"total": int(total), "offset": offset, "limit": limit, "sort": sort, "descending": descending,
            "columns": columns, "tasks": out}


def task_impl(reader: TaskReader) -> dict:
    """Everything the task page header, Configuration, Info and Summary tabs show."""
    info = dict(reader.info)
    row = task_row(info)
    return {
        **row,
        "id": reader.id,
        "summary": info.get("summary") or {},
        "config": info.get("config") or {},
        "config_flat": flatten(info.get("config") or {}),
        "env": info.get("env") or {},
        "problems": list(info.get("problems") or ()),
        "extra": {k: v for k, v in info.items()
                  if k not in ("id", "name", "project", "status", "tags", "created", "updated",
                               "config", "env", "summary", "heartbeat", "problems")},
    }


def console_impl(reader: TaskReader, since: int = 0, limit: int = 5000) -> dict:
    """Console records from record number ``since`` on; ``next`` is the cursor for the next poll."""
    records = reader.console(since=since, limit=limit + 1)
    more = len(records) > limit
    records = records[:limit]
    lines = [{"time": r.get("time"), "stream": r.get("stream"), "level": r.get("level"),
              "text": r.get("text")} for r in records]
    return {"since": since, "next": since + len(lines), "more": more, "lines": lines}


#: ANSI/VT escape sequences (CSI ... final byte, OSC ... BEL/ST, two-byte ESC x) and other C0 controls
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f]")


def console_text_chunks(reader: TaskReader, page: int = 5000) -> Iterator[str]:
    """The whole console as plain text, one line per record: ``UTC time<TAB>stream<TAB>text``,
    escape codes and control characters removed (the page shows the colours; a file keeps words).
    Read ``page`` records at a time, so a long console streams in bounded memory."""
    since = 0
    while True:
        records = reader.console(since=since, limit=page)
        if not records:
            return
        since += len(records)
        out = []
        for r in records:
            t = r.get("time")
            when = (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int((t % 1) * 1000):03d}Z"
                    if _number(t) and math.isfinite(t) else "")
            text = _ESCAPES.sub("", str(r.get("text") or "")).replace("\r\n", "\n").rstrip("\n")
            out.append(f"{when}\t{r.get('stream') or ''}\t{text}\n")
        yield "".join(out)
        if len(records) < page:
            return
