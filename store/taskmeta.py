"""Reading a task's metadata (its ``zarr.json`` attributes) so that damage never escapes raw.

:func:`read_meta` always answers a usable dict: every key of FORMAT.md's table with the right
type. A file that is missing, not JSON, or not the right shape gives the fallback (id and name
= the folder name, project = the catalog's row when there is one, else the project folder's
name, status ``unknown``); a field of the wrong type gets its default. Each such finding is a
:class:`~ringlog.store.errors.CorruptStoreError` naming the file, returned beside the dict
(``TaskReader.problems``, ``ringlog fsck``).
"""

from __future__ import annotations

import math
from pathlib import Path

from . import _fs
from .errors import CorruptStoreError, corrupt
from .layout import TASK_META

UNKNOWN = "unknown"  # the status of a task whose metadata cannot be read
_DICTS = ("config", "summary", "env")


def _num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def read_meta(task_path: Path, fallback: dict | None = None) -> tuple[dict, list[CorruptStoreError]]:
    """``(meta, problems)`` of the task folder ``task_path`` (see the module docstring).
    ``fallback``: a catalog row of this task, used when the file itself is unreadable."""
    task_path = Path(task_path)
    p = task_path / TASK_META
    problems: list[CorruptStoreError] = []
    raw = None
    try:
        doc = _fs.read_json(p)
        raw = doc.get("attributes") if isinstance(doc, dict) else None
        if not isinstance(raw, dict):
            problems.append(corrupt(p, "task metadata: 'attributes' is not a JSON object"))
            raw = None
    except FileNotFoundError as exc:
        problems.append(corrupt(p, "task metadata missing", exc))
    except (OSError, ValueError, RecursionError) as exc:
        problems.append(corrupt(p, "task metadata cannot be read", exc))
    if raw is None:
        fb = dict(fallback or {})
        raw = {k: fb[k] for k in ("id", "name", "project", "tags", "created", "updated", "config", "summary")
               if k in fb}
        raw["status"] = UNKNOWN
        raw.setdefault("project", task_path.parent.name)
        if _num(raw.get("created")):
            raw.setdefault("time_origin", raw["created"])
    m = dict(raw)
    if m.get("id") != task_path.name:
        if "id" in raw and not problems:
            problems.append(corrupt(p, f"task metadata: id {m.get('id')!r} is not the folder's name"))
        m["id"] = task_path.name
    for k, default in (("name", task_path.name), ("project", task_path.parent.name)):
        if not isinstance(m.get(k), str) or not m[k]:
            if not problems:
                problems.append(corrupt(p, f"task metadata: {k!r} is not a non-empty string"))
            m[k] = default
    if not isinstance(m.get("status"), str):
        if not problems:
            problems.append(corrupt(p, "task metadata: 'status' is not a string"))
        m["status"] = UNKNOWN
    for k in ("created", "updated", "time_origin"):
        if k in m and not _num(m[k]):
            problems.append(corrupt(p, f"task metadata: {k!r} is not a finite number"))
            del m[k]
    m.setdefault("time_origin", m.get("created", 0.0))
    m.setdefault("created", m["time_origin"])
    m.setdefault("updated", m["created"])
    tags = m.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        problems.append(corrupt(p, "task metadata: 'tags' is not a list of strings"))
        m["tags"] = [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []
    for k in _DICTS:
        if k in m and not isinstance(m[k], dict):
            problems.append(corrupt(p, f"task metadata: {k!r} is not a JSON object"))
            m[k] = {}
        m.setdefault(k, {})
    return m, problems
