"""``ringlog fsck ROOT [--repair]``: check every file of a store, report each problem, repair.

:func:`fsck` walks the catalog and every task folder and reads everything (metadata, series index,
every raw and pyramid chunk, tails, media/plots/console logs, the writer lock; reports' JSON), and
returns a :class:`FsckReport`: one :class:`Finding` per problem, naming the task and the file.

With ``repair=True`` it also fixes what can be fixed without guessing, for tasks no writer holds
(it takes the task's writer lock for the time of the repair, so a live run is never touched):

* torn tails: ``s<sid>/tail.bin`` and ``tails.bin`` are cut at the end of their last whole record
  (the valid prefix the readers already return, store/tail.py);
* unreadable task metadata: the bad ``zarr.json`` is moved aside (``zarr.json.corrupt-<time>``)
  and rewritten from what is known (the catalog's row, else the folder; status ``unknown``);
* a running task whose writer is gone: ``crashed`` is recorded in its metadata with the last
  heartbeat (``crashed_at``); a resumed task sets ``running`` again;
* JSON-lines logs (media, plots, console) with unreadable lines: rewritten without them (the old
  file moved aside);
* the catalog: rebuilt from the task folders (a damaged file moved aside).

What cannot be repaired (damaged chunks, a damaged ``series.json``, points lost behind a torn
record of the shared tail file) is listed with what is lost; readers keep returning what is intact.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from .crashring_replay import ring_finding
from .damage import ChunkDamaged
from .errors import CorruptStoreError, TaskLockedError
from .fsck_repair import LINE_RULES, bad_lines, repair_task
from .layout import CHUNK, LEVEL_CHUNK, TASK_META
from .media_index import MEDIA_INDEX
from .reader import TaskReader
from .namespaces import namespace_dirs
from .store import Store
from .writer_lock import TaskLock, writer_status

_WINDOW = 16 * CHUNK  # points read at a time while checking a series


@dataclass
class Finding:
    """One problem: ``task`` (id, None for the catalog/reports), the ``file``, what is wrong, and
    after a repair what was done (``repaired``) or what stays lost (``lost``)."""

    task: str | None
    file: str
    problem: str
    repaired: str | None = None
    lost: str | None = None

    def line(self) -> str:
        out = f"{self.task or '-'}  {self.file}: {self.problem}"
        if self.repaired:
            out += f"\n    repaired: {self.repaired}"
        if self.lost:
            out += f"\n    lost: {self.lost}"
        return out


@dataclass
class FsckReport:
    root: str
    tasks: int = 0
    findings: list[Finding] = field(default_factory=list)
    repaired: bool = False

    @property
    def clean(self) -> bool:
        return not self.findings

    @property
    def unrepaired(self) -> list[Finding]:
        return [f for f in self.findings if not f.repaired]

    def text(self) -> str:
        lines = [f.line() for f in self.findings]
        if self.clean:
            lines.append(f"{self.root}: {self.tasks} task(s), no problem found")
        else:
            n_rep = len(self.findings) - len(self.unrepaired)
            lines.append(f"{self.root}: {self.tasks} task(s), {len(self.findings)} problem(s)"
                         + (f", {n_rep} repaired, {len(self.unrepaired)} left" if self.repaired else
                            " (run with --repair to fix what can be fixed)"))
        return "\n".join(lines)

    def exit_code(self) -> int:
        """0: no problem; 1: problems found and every one repaired; 4: problems left (as e2fsck)."""
        if self.clean:
            return 0
        return 1 if self.repaired and not self.unrepaired else 4


def fsck(root, repair: bool = False) -> FsckReport:
    """Check (and with ``repair``, repair) the store at ``root``; see the module docstring."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the report says what the catalog's warning would
        return _fsck(root, repair)


def _fsck(root, repair: bool) -> FsckReport:
    store = Store(root)
    store.catalog.heal = repair  # only --repair may move a damaged catalog aside
    report = FsckReport(str(store.root), repaired=repair)
    if not store.root.is_dir():
        report.findings.append(Finding(None, str(store.root), "no such folder"))
        return report
    why = store.catalog.check()
    if why is not None:
        report.findings.append(Finding(None, str(store.catalog.path), f"catalog damaged: {why}"))
    dirs = store.task_dirs()
    report.tasks = len(dirs)
    for d in dirs:
        _check_task(store, d, report, repair)
        for _, ns in namespace_dirs(d):  # each writer namespace is checked as a task (store/multiwriter.py)
            _check_task(store, ns, report, repair)
    if why is None and store.catalog.path.exists():
        try:
            rows, _ = store.catalog._query(limit=None)
            known = {r["id"] for r in rows}
            ids = {d.name for d in dirs}
            for missing in sorted(ids - known):
                report.findings.append(Finding(missing, str(store.catalog.path), "task missing from the catalog"))
            for gone in sorted(known - ids):
                report.findings.append(Finding(gone, str(store.catalog.path), "catalog lists a task with no folder"))
        except Exception as exc:  # noqa: BLE001 - rows that do not decode: the catalog is damaged
            report.findings.append(Finding(None, str(store.catalog.path), f"catalog rows cannot be read ({exc})"))
    _check_reports(store.root, report)
    if repair:
        cat = [f for f in report.findings if f.file == str(store.catalog.path)]
        meta_fixed = any(f.repaired and f.file.endswith(TASK_META) for f in report.findings)
        if cat or meta_fixed or not store.catalog.path.exists():
            store.catalog.heal = True
            n = store.rebuild_catalog()
            for f in cat:
                f.repaired = f"catalog rebuilt from {n} task folder(s)" + \
                    (f" (damaged file moved to {store.catalog.moved_aside[-1].name})" if store.catalog.moved_aside
                     else "")
    return report


def _check_task(store: Store, d: Path, report: FsckReport, repair: bool) -> None:
    tid = d.name
    lock = None
    if repair:
        lock = TaskLock(d, tid)
        try:
            lock.acquire(wait=0.0, record=False)
        except TaskLockedError as exc:
            report.findings.append(Finding(tid, str(lock.path), f"open for writing ({exc}); checked, not repaired"))
            lock = None
        except OSError as exc:
            report.findings.append(Finding(tid, str(d), f"cannot take the writer lock ({exc}); not repaired"))
            lock = None
    try:
        _check_task_locked(store, d, report, lock is not None)
    finally:
        if lock is not None:
            lock.release()
    ring = ring_finding(store, d, lock is not None)  # a killed writer's crash ring (store/crashring.py)
    if ring is not None:
        report.findings.append(Finding(tid, ring[0], ring[1], lost=ring[2]))


def _check_task_locked(store: Store, d: Path, report: FsckReport, repair: bool) -> None:
    tid = d.name
    reader = TaskReader(d, store.cache, fallback=lambda: store._catalog_row(tid), own_only=True)
    meta_problems = [p for p in reader.problems if str(p.filename).endswith(TASK_META)]
    key_of: dict[int, tuple] = {}
    lost_points: dict = {}
    recount: dict = {}
    for key in reader.series():
        entry = reader._entries.get(key, {})
        stats = entry.get("stats") if isinstance(entry.get("stats"), dict) else {}
        counted = entry.get("count") if entry.get("count") is not None else stats.get("count")
        before = len(reader.problems)
        try:
            n = reader._tolerant(key[0], key[1], _read_everything)
        except CorruptStoreError as exc:
            reader._problem(exc)
            n = 0
        for p in reader.problems[before:]:
            key_of[id(p)] = key
        if isinstance(counted, int) and n < counted:
            lost_points[key] = (counted - n, counted)
            if entry.get("count") is None and not any(isinstance(p, ChunkDamaged) for p in reader.problems[before:]):
                recount[key] = n  # a running/crashed series that lost tail points: its stats can be redone
    reader.media()
    reader.plots()
    reader.console()
    found = [(p, key_of.get(id(p))) for p in reader.problems]
    jsonl = {name: bad_lines(d / name) for name in LINE_RULES}
    # --- findings
    findings: list[Finding] = []
    seen = set()
    for p, key in found:
        if str(p) in seen:
            continue
        seen.add(str(p))
        f = Finding(tid, p.filename or str(d), str(p).removeprefix(f"{p.filename}: ") if p.filename else str(p))
        if key in lost_points:
            k, of = lost_points.pop(key)
            f.lost = f"series {key[0]!r}/{key[1]!r}: {k} of {of} points"
        findings.append(f)
    for key, (k, of) in lost_points.items():
        e = reader._entries.get(key, {})
        where = d / reader._shared_name if reader._shared_name and not e.get("chunks") else \
            d / f"s{e.get('sid')}" / "tail.bin"
        gone = "" if where.exists() else " (the file is missing)"
        findings.append(Finding(tid, str(where), f"series {key[0]!r}/{key[1]!r}: {of - k} of the {of} points "
                                f"series.json counts are readable{gone}", lost=f"{k} points"))
    if reader._meta.get("status") in ("running", "crashed"):
        findings.extend(_open_shard_excess(reader, d))
    media_dir = d / "media"
    if not (d / MEDIA_INDEX).exists() and media_dir.is_dir() and any(p.is_file() for p in media_dir.rglob("*")):
        findings.append(Finding(tid, str(d / MEDIA_INDEX), "missing while media/ holds sample files",
                                lost="the debug-sample listing (the files stay in media/)"))
    for name, (bad, total) in jsonl.items():
        if bad:
            findings.append(Finding(tid, str(d / name), f"{len(bad)} of {total} lines are not records "
                                    f"({LINE_RULES[name][1]}) "
                                    f"(line {', '.join(str(i + 1) for i in bad[:5])}{', ...' if len(bad) > 5 else ''})"))
    status, heartbeat = writer_status(d, reader._meta)
    if status == "crashed" and reader._meta.get("status") == "running":
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(heartbeat)) if heartbeat else "unknown"
        findings.append(Finding(tid, str(d / TASK_META), f"status running, but its writer is gone (crashed; last "
                                f"heartbeat {when})"))
    report.findings.extend(findings)
    if repair:
        repair_task(d, reader, findings, meta_problems, status, heartbeat, recount)


def _open_shard_excess(reader, d: Path) -> list[Finding]:
    """Bytes in an open shard (a running task's) past the inner chunks series.json vouches for: a
    chunk written after the last sync, or garbage. Readers never read them; --repair cuts them."""
    out = []
    for e in reader._entries.values():
        shard, chunks, sizes_of = e.get("shard"), e.get("chunks", 0), e.get("open") or {}
        if not shard or e.get("count") is not None:
            continue
        j = chunks // shard
        for folder in ("step", "value", "value64", "time"):
            p = d / f"s{e['sid']}" / folder / "c" / str(j)
            try:
                size = p.stat().st_size
            except OSError:
                continue
            vouched = sum(sizes_of.get(folder, []))
            if size > vouched:
                out.append(Finding(reader.id, str(p), f"open shard holds {size - vouched} bytes past the "
                                   f"{vouched} series.json vouches for (unsynced or garbage; never read)"))
    return out


def _read_everything(sr) -> int:
    """Decode every raw and persisted pyramid chunk of a series (ChunkDamaged narrows it); its points."""
    for lo in range(0, sr.n, _WINDOW):
        sr.export(lo, min(sr.n, lo + _WINDOW), 0.0, 1e-3)
    for k in range(1, len(sr.level_counts) + 1):
        p = sr._persisted(k)
        for b in range(0, p, LEVEL_CHUNK):
            sr.records(k, b, min(p, b + LEVEL_CHUNK))
    return sr.n


def _check_reports(root: Path, report: FsckReport) -> None:
    from .reports import ReportStore  # deferred: only stores with reports need it

    d = root / ".reports"
    if not d.is_dir():
        return
    rs = ReportStore(root)
    for sub in sorted(d.iterdir()):
        if sub.is_dir() and not sub.name.startswith(".") and not (sub / "report.json").exists():
            report.findings.append(Finding(None, str(sub / "report.json"), "report folder without its document "
                                           "(not repaired: restore it from a backup or delete the folder)"))
    for p in sorted(d.glob("*/report.json")):
        try:
            rs._read(p.parent.name)
        except CorruptStoreError as exc:
            report.findings.append(Finding(None, str(p), f"{str(exc).removeprefix(str(p) + ': ')} (not repaired: "
                                           "restore it from a backup or delete the report folder)"))
        except Exception:  # noqa: BLE001 - a folder name that is no report id: not a report
            continue
