"""The catalog: an SQLite index of every task's metadata in the store root.

An index only: every row is rebuilt from the task folders' ``zarr.json`` by
:meth:`Catalog.rebuild`. WAL mode and one short transaction per write, so
several processes may write at once (sqlite serialises them; ``timeout`` waits
out a busy writer). Numeric summary values also go to ``metrics(task_id, key,
value)`` (indexed on key, value) for range filters and sorting by a metric.
Cost: a query is one SELECT with LIMIT/OFFSET plus a COUNT; 10,000 tasks sort
and page in a few milliseconds.

Damage heals itself: when an operation meets a catalog that is not a database, is malformed
(``PRAGMA quick_check`` fails), lacks its tables or holds rows that do not decode, the file (and
its ``-wal``/``-shm``) is moved aside to ``catalog.sqlite.corrupt-<UTC time>-<pid>``, one
warning names it, the :attr:`Catalog.rebuild` hook (``Store.rebuild_catalog``) rebuilds it from
the task folders and the operation runs again. A busy, locked or full database is not damage:
those errors are raised as they are. A query also reports ``crashed`` for a running task whose
writer is gone (store/writer_lock.py) and adds its ``heartbeat``.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
import time
import warnings
from pathlib import Path

from .damage import CORRUPT_CODES as _CORRUPT_CODES, catalog_check, catalog_empty
from .errors import bad_type, bad_value
from .layout import CATALOG
from .taskmeta import read_meta
from .writer_lock import LOCK_FILE, writer_status


_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks(
  id TEXT PRIMARY KEY, project TEXT NOT NULL, name TEXT NOT NULL, status TEXT, tags TEXT,
  created REAL, updated REAL, summary TEXT, config TEXT, path TEXT);
CREATE INDEX IF NOT EXISTS tasks_updated ON tasks(updated);
CREATE INDEX IF NOT EXISTS tasks_created ON tasks(created);
CREATE INDEX IF NOT EXISTS tasks_project ON tasks(project, updated);
CREATE TABLE IF NOT EXISTS metrics(task_id TEXT NOT NULL, key TEXT NOT NULL, value REAL,
  PRIMARY KEY(task_id, key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS metrics_key ON metrics(key, value);
"""
_COLUMNS = ("id", "name", "project", "status", "created", "updated")


def _number(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    v = float(v)
    return v if math.isfinite(v) else None


class Catalog:
    """SQLite catalog at ``<root>/catalog.sqlite``; created on first write."""

    def __init__(self, root: Path, timeout: float = 10.0):
        self.root = Path(root)
        self.path = self.root / CATALOG
        self._timeout = timeout
        self._ready = False
        #: called (no arguments) after a damaged file was moved aside; Store sets its rebuild_catalog
        self.rebuild = None
        self.moved_aside: list[Path] = []  # where damaged files went, this process
        self.heal = True  # False: damage is raised as it is (ringlog fsck without --repair only looks)
        self._heal_lock = threading.RLock()
        self._healing = False

    # --- damage ---------------------------------------------------------------------
    def _damaged(self, exc: BaseException) -> bool:
        """Whether ``exc`` (met by an operation) means the file itself is damaged."""
        if isinstance(exc, _RowDamage):
            return True
        if not isinstance(exc, sqlite3.DatabaseError):
            return False
        if getattr(exc, "sqlite_errorname", "") in _CORRUPT_CODES:
            return True
        msg = str(exc).lower()
        if "no such table" in msg:  # an empty database is one another process is creating: no damage
            return self.check() is not None
        if "no such column" in msg or "malformed" in msg or "not a database" in msg:
            return True
        if isinstance(exc, sqlite3.OperationalError) and not self.path.is_dir():
            return False  # locked, busy, full, I/O: not damage
        return self.check() is not None

    def check(self) -> str | None:
        """None when the catalog file is sound (or absent), else what is wrong with it."""
        return catalog_check(self.path, self._timeout)

    def set_aside(self, why: str = "damaged") -> Path | None:
        """Move the catalog file (and its -wal/-shm) to ``catalog.sqlite.corrupt-<time>-<pid>``."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{os.getpid()}"
        dest = self.path.with_name(f"{CATALOG}.corrupt-{stamp}")
        n = 1
        while dest.exists():
            n += 1
            dest = self.path.with_name(f"{CATALOG}.corrupt-{stamp}-{n}")
        moved = None
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(self.path) + suffix)
            try:
                os.replace(src, Path(str(dest) + suffix))
                if not suffix:
                    moved = dest
            except FileNotFoundError:
                pass
        self._ready = False
        if moved is not None:
            self.moved_aside.append(moved)
            warnings.warn(f"ringlog: catalog {self.path} is damaged ({why}); moved aside to {moved.name} and "
                          "rebuilt from the task folders", RuntimeWarning, stacklevel=4)
        return moved

    def _rebuild_once(self) -> None:
        if self.rebuild is not None and not self._healing:
            self._healing = True
            try:
                self.rebuild()
            finally:
                self._healing = False

    def _guard(self, op):
        """Run ``op()``; on damage move the file aside, rebuild (unless rebuilding) and run it again."""
        try:
            return op()
        except (sqlite3.DatabaseError, _RowDamage) as exc:
            if self.heal and "no such table" in str(exc) and catalog_empty(self.path, self._timeout):
                # created by another process (or emptied), no tables yet: make them, fill them, go on
                self._ready = False
                try:
                    self._connect(create=True).close()
                except sqlite3.Error:
                    raise exc from None
                self._rebuild_once()
                return op()
            if not self.heal or not self._damaged(exc):
                raise
            with self._heal_lock:
                why = self.check()
                if why is not None:  # else another process healed it already, or only rows are bad:
                    self.set_aside(why)  # the rebuild rewrites every row in place
                self._rebuild_once()
            return op()

    def _connect(self, create: bool) -> sqlite3.Connection | None:
        if not create and not self.path.exists():
            return None
        if create:
            self.root.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None)
        if create and not self._ready:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(_SCHEMA)
            self._ready = True
        con.execute("PRAGMA synchronous=NORMAL")
        return con

    # --- writing -------------------------------------------------------------------
    def upsert(self, rows) -> None:
        return self._guard(lambda: self._upsert(rows))

    def _upsert(self, rows) -> None:
        """Insert or replace tasks given as ``(meta dict, task path)`` pairs, in one transaction
        (batched: a cold object-store refresh upserts 10,000 rows at once)."""
        last = {meta["id"]: (meta, path) for meta, path in rows}  # a task given twice: its last row
        tasks, metrics = [], []
        for tid, (meta, path) in last.items():
            summary = meta.get("summary") or {}
            tasks.append((tid, meta.get("project", ""), meta.get("name", ""), meta.get("status"),
                          json.dumps(list(meta.get("tags") or [])), meta.get("created"), meta.get("updated"),
                          json.dumps(summary, default=str), json.dumps(meta.get("config") or {}, default=str),
                          str(path)))
            metrics += [(tid, k, _number(v)) for k, v in summary.items() if _number(v) is not None]
        con = self._connect(create=True)
        try:
            con.execute("BEGIN IMMEDIATE")
            con.executemany("INSERT OR REPLACE INTO tasks VALUES (?,?,?,?,?,?,?,?,?,?)", tasks)
            con.executemany("DELETE FROM metrics WHERE task_id=?", [(t[0],) for t in tasks])
            con.executemany("INSERT INTO metrics VALUES (?,?,?)", metrics)
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    def remove_missing(self, keep_ids) -> None:
        return self._guard(lambda: self._remove_missing(keep_ids))

    def _remove_missing(self, keep_ids) -> None:
        con = self._connect(create=True)
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("CREATE TEMP TABLE keep(id TEXT PRIMARY KEY)")
            con.executemany("INSERT OR IGNORE INTO keep VALUES (?)", [(i,) for i in keep_ids])
            # a task another process created after the caller listed the folders has its folder: keep it
            gone = [(i,) for i, p in con.execute("SELECT id, path FROM tasks WHERE id NOT IN (SELECT id FROM keep)")
                    if not p or not os.path.isdir(p)]
            con.executemany("DELETE FROM metrics WHERE task_id=?", gone)
            con.executemany("DELETE FROM tasks WHERE id=?", gone)
            con.execute("DELETE FROM metrics WHERE task_id NOT IN (SELECT id FROM tasks)")
            con.execute("COMMIT")
        finally:
            con.close()

    def delete(self, task_id: str) -> None:
        return self._guard(lambda: self._delete(task_id))

    def _delete(self, task_id: str) -> None:
        con = self._connect(create=False)
        if con is None:
            return
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("DELETE FROM metrics WHERE task_id=?", (task_id,))
            con.execute("DELETE FROM tasks WHERE id=?", (task_id,))
            con.execute("COMMIT")
        finally:
            con.close()

    # --- reading -------------------------------------------------------------------
    def path_of(self, task_id: str) -> str | None:
        return self._guard(lambda: self._path_of(task_id))

    def _path_of(self, task_id: str) -> str | None:
        con = self._connect(create=False)
        if con is None:
            return None
        try:
            row = con.execute("SELECT path FROM tasks WHERE id=?", (task_id,)).fetchone()
        finally:
            con.close()
        return row[0] if row else None

    def projects(self) -> list[str]:
        return self._guard(lambda: self._projects())

    def _projects(self) -> list[str]:
        con = self._connect(create=False)
        if con is None:
            return []
        try:
            return [r[0] for r in con.execute("SELECT DISTINCT project FROM tasks ORDER BY project")]
        finally:
            con.close()

    def query(self, project=None, text=None, tags=(), status=None, sort="updated", descending=True,
              offset=0, limit=50, metric_filters=()):
        """Filter, sort and page tasks; returns ``(rows, total)`` (see :meth:`_query` for the arguments).

        A running task whose writer is gone reads ``crashed`` (with ``heartbeat``, as every
        running row); ``status="crashed"`` or ``"running"`` filter on that (the running rows
        are checked, then paged here).
        """
        if status in ("running", "crashed"):
            rows, _ = self._guard(lambda: self._query(project, text, tags, "running", sort, descending, 0, None,
                                                      metric_filters))
            rows = [r for r in map(_live, rows) if r["status"] == status]
            end = None if limit is None else int(offset) + int(limit)
            return rows[int(offset):end], len(rows)
        rows, total = self._guard(lambda: self._query(project, text, tags, status, sort, descending, offset, limit,
                                                      metric_filters))
        return [_live(r) for r in rows], total

    def _query(self, project=None, text=None, tags=(), status=None, sort="updated", descending=True,
              offset=0, limit=50, metric_filters=()):
        """Filter, sort and page tasks; returns ``(rows, total)``.

        ``sort``: a column (updated, created, name, status, project, id), ``duration``,
        ``summary.<key>`` or ``config.<key>`` (``config.a.b``: the key "a.b", else nested a -> b;
        tasks without the key come last).
        ``metric_filters``: ``(key, lo, hi)`` triples on numeric summary values, bounds
        inclusive, ``None`` for open. ``text`` matches name or id (case-insensitive).
        ``limit=None`` returns every row.
        """
        where, args = [], []
        if project is not None:
            where.append("t.project = ?")
            args.append(project)
        if status is not None:
            where.append("t.status = ?")
            args.append(status)
        if text:
            if not isinstance(text, str):
                raise bad_type("text", "must be a str", text)
            where.append("(t.name LIKE ? ESCAPE '\\' OR t.id LIKE ? ESCAPE '\\')")
            pat = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            args += [pat, pat]
        if isinstance(tags, str):
            tags = (tags,)
        for tag in tags or ():
            where.append("EXISTS (SELECT 1 FROM json_each(t.tags) WHERE json_each.value = ?)")
            args.append(tag)
        for f in metric_filters or ():
            try:
                key, lo, hi = f
            except (TypeError, ValueError):
                raise bad_value("metric_filters", "must hold (key, lo, hi) triples", f) from None
            cond = ["m.task_id = t.id", "m.key = ?"]
            fargs = [key]
            if lo is not None:
                cond.append("m.value >= ?")
                fargs.append(float(lo))
            if hi is not None:
                cond.append("m.value <= ?")
                fargs.append(float(hi))
            where.append(f"EXISTS (SELECT 1 FROM metrics m WHERE {' AND '.join(cond)})")
            args += fargs
        join, join_args, order_args = "", [], []
        if not isinstance(sort, str):
            raise bad_type("sort", "must be a str", sort)
        if sort in _COLUMNS:
            key_sql = f"t.{sort}"
        elif sort == "duration":
            key_sql = "(t.updated - t.created)"
        elif sort.startswith("summary.") and len(sort) > 8:
            join = "LEFT JOIN metrics s ON s.task_id = t.id AND s.key = ?"
            join_args.append(sort[8:])
            key_sql = "s.value"
        elif sort.startswith("config.") and len(sort) > 7:
            # the viewer flattens nested config with dots: "config.a.b" is the top-level key
            # "a.b" if one exists, else the nested a -> b
            paths = ['$."' + sort[7:].replace('"', '\\"') + '"']
            if "." in sort[7:]:
                paths.append("$" + "".join('."' + p.replace('"', '\\"') + '"' for p in sort[7:].split(".")))
            key_sql = "COALESCE(" + ", ".join("json_extract(t.config, ?)" for _ in paths) + ")" \
                if len(paths) > 1 else "json_extract(t.config, ?)"
            order_args += paths + paths
        else:
            raise bad_value("sort", "must be a column (updated, created, name, status, project, id), 'duration', "
                            "'summary.<key>' or 'config.<key>'", sort)
        direction = "DESC" if descending else "ASC"
        wsql = (" WHERE " + " AND ".join(where)) if where else ""
        con = self._connect(create=False)
        if con is None:
            return [], 0
        try:
            total = con.execute(f"SELECT COUNT(*) FROM tasks t{wsql}", args).fetchone()[0]
            sql = (f"SELECT t.id, t.name, t.project, t.status, t.tags, t.created, t.updated, t.summary, "
                   f"t.config, t.path FROM tasks t {join}{wsql} ORDER BY ({key_sql}) IS NULL, {key_sql} "
                   f"{direction}, t.id {direction}")
            qargs = join_args + args + order_args
            if limit is not None:
                sql += " LIMIT ? OFFSET ?"
                qargs += [int(limit), int(offset)]
            elif offset:
                sql += " LIMIT -1 OFFSET ?"
                qargs.append(int(offset))
            rows = con.execute(sql, qargs).fetchall()
        finally:
            con.close()
        return [_row(r) for r in rows], total


def _live(row: dict) -> dict:
    """A row with a running task's liveness: ``crashed`` when its writer is gone, ``heartbeat``."""
    if row.get("status") == "running" and row.get("path"):
        meta = {"status": "running", "updated": row.get("updated")}
        if not (Path(row["path"]) / LOCK_FILE).exists():  # else the lock file says who writes it
            try:
                meta = read_meta(Path(row["path"]))[0]  # an older task: its metadata may name the writer
                meta["status"] = "running"
            except Exception:  # noqa: BLE001 - the row alone still answers
                pass
        row["status"], hb = writer_status(Path(row["path"]), meta)
        row["heartbeat"] = hb
    return row


class _RowDamage(Exception):
    """A catalog row whose JSON columns do not decode (the file is sound, its content is not)."""


def _row(r) -> dict:
    try:
        return _decode_row(r)
    except (ValueError, TypeError, IndexError) as exc:
        raise _RowDamage(f"catalog row {r[0]!r}: {exc}") from exc


def _decode_row(r) -> dict:
    row = {"id": r[0], "name": r[1], "project": r[2], "status": r[3], "tags": json.loads(r[4] or "[]"),
           "created": r[5], "updated": r[6], "summary": json.loads(r[7] or "{}"),
           "config": json.loads(r[8] or "{}"), "path": r[9]}
    if not isinstance(row["tags"], list) or not isinstance(row["summary"], dict) or \
            not isinstance(row["config"], dict) or not all(isinstance(row[k], str) for k in ("id", "project", "path")):
        raise ValueError("columns of the wrong type")
    return row
