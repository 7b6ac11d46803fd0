"""Widget query strings: parsing, the tag filter syntax, and dynamic task selection.

A widget names its tasks either explicitly (``objects=<id>``, repeatable, or ``id[]=a,b``) or by a
dynamic query over the catalog, in the style of a ``tasks.get_all`` call:

* ``project=<name or id>`` / ``project[]=a,b``, where a project's id is the MD5 hex digest of its
  full name (:func:`ringlog.store.reports.project_id`, shown next to the name on the projects page
  and in the report editor), the 32-hex-digit form ClearML's embed codes carry; ``status[]=running,completed``; ``name=<pattern>``
  (see :func:`name_matcher`: text with ``*``/``?``/``[...]`` wildcards and ``^``/``$`` anchors, never a
  regular expression, so no query can make the server backtrack);
* ``tags[]=...``: the tag filter syntax. Plain tags are alternatives (OR); ``-tag`` excludes a tag.
  Operators switch how the following tags combine: ``__$and``/``__$all`` (every tag),
  ``__$or``/``__$any`` (at least one); ``__$not`` negates the next tag only. Each operator opens a
  new group and groups combine with AND, so ``["__$all","a","b","__$or","c","-d"]`` means
  ``a AND b AND (c OR NOT d)``. Without operators, includes are OR'ed and excludes AND'ed:
  ``["a","b","-c"]`` = ``(a OR b) AND NOT c``;
* ``order_by[]=-last_update`` (also ``created``, ``name``, ``status``, ``project``; ``-`` means
  descending) and ``order_by[]=-last_metrics.<md5(metric)>.<md5(variant)>.value|min_value|max_value``
  (tasks without that metric sort last in either direction);
* ``page_size`` and ``page`` (0-based) cut the ordered list.

Array parameters accept ``key[]=a,b``, repeated ``key[]=a&key[]=b``, and the bare ``key=a``.
Costs: selection reads the catalog rows (one list) and, only when ordering by a metric, each
candidate task's last-metrics summary; fine for thousands of tasks.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from ringlog.store import TaskNotFoundError, TaskReader
from ringlog.store.reports import project_id

from .artifacts import model_producers
from .errors import BadRequestError
from .provider import Provider

TYPES = ("scalar", "plot", "single", "sample", "parcoords")
XAXES = ("iter", "timestamp", "iso_time")
VALUE_TYPES = ("value", "min_value", "max_value")
ORDER_FIELDS = {"last_update": "updated", "updated": "updated", "created": "created", "name": "name",
                "status": "status", "project": "project", "started": "created"}
_METRIC_ORDER = re.compile(r"^last_metrics\.([0-9a-f]{32})\.([0-9a-f]{32})\.(value|min_value|max_value)$")
_STAT_OF = {"value": "last", "min_value": "min", "max_value": "max"}
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50


def md5(name: str) -> str:
    """Metric and variant ids: the MD5 hex digest of the name (what ``order_by`` and parcoords use)."""
    return hashlib.md5(str(name).encode("utf-8")).hexdigest()


@dataclass
class WidgetQuery:
    type: str
    objects: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)
    xaxis: str = "iter"
    light: bool = False
    value_type: str = "value"
    projects: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    name: str | None = None
    order_by: list[str] = field(default_factory=list)
    page_size: int | None = None
    page: int = 0
    #: "model": ``objects`` are model ids (or a dynamic query's models), drawn as their producing tasks
    object_type: str = "task"

    @property
    def dynamic(self) -> bool:
        return bool(self.projects or self.tags or self.statuses or self.name or self.order_by
                    or self.page_size is not None or not self.objects)


def _array(args: Any, key: str) -> list[str]:
    raw = list(args.getlist(key + "[]")) + list(args.getlist(key))
    out: list[str] = []
    for item in raw:
        out += [v.strip() for v in item.split(",") if v.strip()]
    return out


def _int(args: Mapping[str, str], key: str, lo: int, hi: int) -> int | None:
    raw = args.get(key)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadRequestError(key, "must be an integer", raw) from None
    if not lo <= value <= hi:
        raise BadRequestError(key, f"must be between {lo} and {hi}", raw)
    return value


def parse_query(args: Any) -> WidgetQuery:
    """Validate a widget query string (a werkzeug MultiDict); BadRequestError names what is wrong."""
    wtype = args.get("type") or "scalar"
    if wtype not in TYPES:
        raise BadRequestError("type", f"must be one of {', '.join(TYPES)}", wtype)
    obj_type = args.get("objectType") or "task"
    if obj_type not in ("task", "model"):
        raise BadRequestError("objectType", "must be 'task' or 'model'", obj_type)
    xaxis = args.get("xaxis") or "iter"
    if xaxis not in XAXES:
        raise BadRequestError("xaxis", f"must be one of {', '.join(XAXES)}", xaxis)
    value_type = args.get("value_type") or "value"
    if value_type not in VALUE_TYPES:
        raise BadRequestError("value_type", f"must be one of {', '.join(VALUE_TYPES)}", value_type)
    objects = [o for item in args.getlist("objects") for o in item.split(",") if o.strip()] + _array(args, "id")
    for o in objects:
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,128}", o):
            raise BadRequestError("objects", "must be task ids (letters, digits, '_', '-', '.')", o)
    order_by = _array(args, "order_by")
    for key in order_by:
        bare = key[1:] if key.startswith("-") else key
        if bare not in ORDER_FIELDS and not _METRIC_ORDER.match(bare):
            raise BadRequestError("order_by[]", "must be [-]last_update, created, name, status, project or "
                                  "[-]last_metrics.<md5 metric>.<md5 variant>.value|min_value|max_value", key)
    name = args.get("name") or None
    if name is not None and len(name) > 256:
        raise BadRequestError("name", "must be at most 256 characters", f"{len(name)} characters")
    light = args.get("light")
    return WidgetQuery(
        type=wtype, objects=objects, metrics=[m for m in args.getlist("metrics") if m],
        variants=[v for v in args.getlist("variants") if v], xaxis=xaxis,
        light=light is not None and light.lower() not in ("0", "false", "no"),
        value_type=value_type, projects=_array(args, "project"), tags=_array(args, "tags"),
        statuses=_array(args, "status"), name=name, order_by=order_by,
        page_size=_int(args, "page_size", 1, MAX_PAGE_SIZE), page=_int(args, "page", 0, 1_000_000) or 0,
        object_type=obj_type,
    )


def tag_filter(spec: Iterable[str]) -> Callable[[Iterable[str]], bool]:
    """Compile a tag filter list (module docstring) into a predicate over a task's tags."""
    spec = list(spec)
    ops = {"__$and", "__$all", "__$or", "__$any", "__$not"}
    if not any(s in ops for s in spec):
        include = [s for s in spec if not s.startswith("-")]
        exclude = [s[1:] for s in spec if s.startswith("-") and len(s) > 1]

        def legacy(tags: Iterable[str]) -> bool:
            have = set(tags)
            return (not include or any(t in have for t in include)) and not any(t in have for t in exclude)

        return legacy
    groups: list[tuple[str, list[tuple[bool, str]]]] = []
    mode, negate_next = "or", False
    current: list[tuple[bool, str]] = []
    for s in spec:
        if s in ("__$and", "__$all", "__$or", "__$any"):
            if current:
                groups.append((mode, current))
            mode, current = ("and" if s in ("__$and", "__$all") else "or"), []
        elif s == "__$not":
            negate_next = True
        else:
            neg = negate_next or (s.startswith("-") and len(s) > 1)
            current.append((neg, s[1:] if s.startswith("-") and len(s) > 1 else s))
            negate_next = False
    if current:
        groups.append((mode, current))

    def predicate(tags: Iterable[str]) -> bool:
        have = set(tags)
        for gmode, terms in groups:
            hits = [(t in have) != neg for neg, t in terms]
            if not (all(hits) if gmode == "and" else any(hits)):
                return False
        return True

    return predicate


def name_matcher(pattern: str) -> Callable[[str], bool]:
    """A case-insensitive predicate for task names: ``pattern`` anywhere in the name, with glob
    wildcards (``*`` any text, ``?`` one character, ``[ab]`` a class) and ``^``/``$`` anchoring it
    to the start/end (``^run[12]$``). Everything else is literal (``.``, ``(``, ``+``).

    Not a regular expression on purpose: any web page can send this query (from an ``<img>``), and
    ``re`` on ``(.*.*)*`` backtracks for hours while holding the GIL. ``fnmatch`` compiles ``*`` to
    atomic groups, so a match costs O(len(name) x len(pattern)) at worst.
    """
    start = pattern.startswith("^")
    end = pattern.endswith("$") and len(pattern) > int(start)
    core = pattern[int(start):len(pattern) - int(end)]
    rx = re.compile(fnmatch.translate(("" if start else "*") + core.lower() + ("" if end else "*")))
    return lambda name: rx.match(name.lower()) is not None


def _row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A catalog row (or a reader's info) with the fields widgets sort on always present."""
    out = dict(row)
    out["name"] = out.get("name") or out["id"]
    out["tags"] = list(row.get("tags") or ())
    out["updated"] = row.get("updated") or 0.0
    out["created"] = row.get("created") or 0.0
    return out


def select_tasks(provider: Provider, q: WidgetQuery, *, page_limit: int = MAX_PAGE_SIZE) -> list[dict[str, Any]]:
    """The catalog rows a widget shows, in order."""
    if q.object_type == "model":  # a model's scalars and plots are reported to the task that produced it
        tasks = model_producers(provider, q.objects, q.projects)
        if not tasks:
            return []
        q = dataclasses.replace(q, objects=tasks, object_type="task")
    if q.objects and not q.dynamic:
        rows = []
        for tid in dict.fromkeys(q.objects):
            try:
                info = provider.reader(task_id=tid).info
            except TaskNotFoundError:
                continue  # a deleted task leaves a gap, not a broken report
            rows.append(_row({**info, "id": tid}))
        return rows
    rows = [_row(r) for r in provider.task_rows()]
    if q.objects:
        wanted = set(q.objects)
        rows = [r for r in rows if r["id"] in wanted]
    if q.projects:
        projects = set(q.projects)
        rows = [r for r in rows if r.get("project") in projects or project_id(str(r.get("project"))) in projects]
    if q.statuses:
        statuses = set(q.statuses)
        rows = [r for r in rows if r.get("status") in statuses]
    if q.tags:
        keep = tag_filter(q.tags)
        rows = [r for r in rows if keep(r["tags"])]
    if q.name:
        matches = name_matcher(q.name)
        rows = [r for r in rows if matches(str(r.get("name", "")))]
    order = q.order_by or ["-last_update"]
    for key in reversed(order):  # stable sorts, least significant key first
        desc = key.startswith("-")
        bare = key[1:] if desc else key
        m = _METRIC_ORDER.match(bare)
        if m:
            values = {r["id"]: metric_value(provider, r["id"], m.group(1), m.group(2), m.group(3)) for r in rows}
            rows = _sorted_missing_last(rows, lambda r: values[r["id"]], desc)
        else:
            fld = ORDER_FIELDS[bare]
            rows = _sorted_missing_last(rows, lambda r: _sortable(r.get(fld)), desc)
    size = min(q.page_size or DEFAULT_PAGE_SIZE, page_limit)
    return rows[q.page * size:(q.page + 1) * size]


def _sortable(v: Any) -> Any:
    if v is None or v == "":
        return None
    return (0, v) if isinstance(v, (int, float)) and not isinstance(v, bool) else (1, str(v))


def _sorted_missing_last(rows: list[dict], key: Callable[[dict], Any], desc: bool) -> list[dict]:
    """Stable sort by ``key``; rows whose key is None go last whichever the direction."""
    present = [r for r in rows if key(r) is not None]
    missing = [r for r in rows if key(r) is None]
    present.sort(key=key, reverse=desc)
    return present + missing


def last_metrics_by_id(reader: TaskReader) -> dict[tuple[str, str], dict[str, Any]]:
    """``reader.last_metrics()`` keyed by (md5(title), md5(series)), each entry with its names."""
    out = {}
    for (title, series), stats in reader.last_metrics().items():
        out[(md5(title), md5(series))] = {**stats, "title": title, "series": series}
    return out


def metric_value(provider: Provider, task_id: str, metric_id: str, variant_id: str,
                 value_type: str) -> float | None:
    try:
        stats = last_metrics_by_id(provider.reader(task_id=task_id)).get((metric_id, variant_id))
    except TaskNotFoundError:
        return None
    if not stats:
        return None
    v = stats.get(_STAT_OF[value_type])
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if v == v else None  # NaN sorts as missing
