"""Run groups (issue 16, part 4): the runs that W&B's ``init(group=..., job_type=...)`` tied together.

A run's group and job type are what its task metadata recorded (``init_args``), read through the
table's :class:`~ringlog.viewer.series_stats.StatsCache` (once per task version, so a poll of
unchanged tasks reads no file). A group is complete whatever the table shows: these functions
look at every catalog row of the project (or of every project), not at one page of the table.

Cost: O(tasks of the project) cache look-ups; the first look at a never-read task opens it
(1-5 ms, as the table's series figures; ``benchmarks/bench_table_stats.py``).
"""

from __future__ import annotations

from ringlog.store import TaskNotFoundError, TaskReader

from .errors import BadRequestError, NotFoundError
from .provider import Provider
from .scalars import SINGLE_VALUE_TITLE, SYSTEM_TITLE, section_of, series_key
from .series_stats import GROUP_KEYS, StatsCache

#: the most runs one group chart aggregates (each costs one decimate query per request)
MAX_GROUP_RUNS = 100


def _rows(provider: Provider, project: str | None) -> list[dict]:
    return provider.task_rows(project=project)


def groups_impl(provider: Provider, cache: StatsCache, *, project: str | None, by: str = "group") -> dict:
    """Every value of ``by`` (``group`` or ``job_type``) among the project's runs, with its run
    count, statuses, the other key's values and the last update; newest group first."""
    if by not in GROUP_KEYS:
        raise BadRequestError("by", "must be one of " + ", ".join(GROUP_KEYS), by)
    other = GROUP_KEYS[1 - GROUP_KEYS.index(by)]
    out: dict[str, dict] = {}
    ungrouped = 0
    for row in _rows(provider, project):
        g = cache.groups(row)
        name = g.get(by)
        if name is None:
            ungrouped += 1
            continue
        e = out.setdefault(name, {"name": name, "runs": 0, "statuses": {}, other + "s": {}, "projects": [],
                                  "updated": None})
        e["runs"] += 1
        st = row.get("status") or "unknown"
        e["statuses"][st] = e["statuses"].get(st, 0) + 1
        if g.get(other) is not None:
            e[other + "s"][g[other]] = e[other + "s"].get(g[other], 0) + 1
        if row.get("project") not in e["projects"]:
            e["projects"].append(row.get("project"))
        u = row.get("updated")
        if isinstance(u, (int, float)) and (e["updated"] is None or u > e["updated"]):
            e["updated"] = u
    groups = sorted(out.values(), key=lambda e: (-(e["updated"] or 0), e["name"]))
    return {"project": project, "by": by, "groups": groups, "ungrouped": ungrouped}


def member_rows(provider: Provider, cache: StatsCache, *, project: str | None, group: str | None,
                job_type: str | None) -> list[dict]:
    """Catalog rows of the runs with this group and/or job type (both given: both must match),
    oldest first; NotFoundError when there is none."""
    if group is None and job_type is None:
        raise BadRequestError("group", "is required (or job_type)")
    rows = []
    for row in _rows(provider, project):
        g = cache.groups(row)
        if (group is None or g.get("group") == group) and (job_type is None or g.get("job_type") == job_type):
            rows.append(dict(row, group=g.get("group"), job_type=g.get("job_type")))
    if not rows:
        raise NotFoundError(f"no run with group={group!r} job_type={job_type!r} in "
                            + (f"project {project!r}" if project is not None else "any project"))
    rows.sort(key=lambda r: (r.get("created") or 0, r.get("id") or ""))
    return rows


def readers_of(provider: Provider, rows: list[dict]) -> list[TaskReader]:
    """Readers of the newest ``MAX_GROUP_RUNS`` rows (a row whose folder is gone is left out)."""
    out = []
    for row in rows[-MAX_GROUP_RUNS:]:
        try:
            out.append(provider.reader(task_id=row["id"]))
        except (TaskNotFoundError, OSError, ValueError):
            continue
    return out


def group_impl(rows: list[dict], readers: list[TaskReader]) -> dict:
    """The group page's contents: its runs (id, name, status, project, job type, steps) and one
    chart per (title, series) that any run logged, with how many runs have it. ClearML single
    values (``Summary`` with one point) are not charted; ``system`` series come last, collapsed."""
    charts: dict[tuple[str, str], dict] = {}
    steps = {}
    for r in readers:
        stats = r.last_metrics()
        last = [st.get("last_step") for st in stats.values() if isinstance(st.get("last_step"), int)]
        steps[r.id] = max(last) if last else None
        for (title, series), st in stats.items():
            if title == SINGLE_VALUE_TITLE and (st.get("count") or 0) <= 1:
                continue
            c = charts.setdefault((title, series), {
                "title": title, "series": series, "key": series_key(title, series),
                "section": SYSTEM_TITLE if title == SYSTEM_TITLE else section_of(title),
                "collapsed": title == SYSTEM_TITLE, "runs": 0})
            c["runs"] += 1
    read = {r.id for r in readers}
    runs = [{"id": row["id"], "name": row.get("name"), "status": row.get("status"), "project": row.get("project"),
             "group": row.get("group"), "job_type": row.get("job_type"), "created": row.get("created"),
             "last_step": steps.get(row["id"]), "aggregated": row["id"] in read} for row in rows]
    ordered = sorted(charts.values(), key=lambda c: (c["collapsed"], c["section"], c["key"]))
    return {"runs": runs, "charts": ordered, "aggregated": len(readers), "max_runs": MAX_GROUP_RUNS}
