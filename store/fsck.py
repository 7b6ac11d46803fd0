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

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import warnings

from . import shards, tail
from .errors import CorruptStoreError, TaskLockedError
from .layout import CHUNK, LEVEL_CHUNK, SERIES_INDEX, TASK_META
from .media_index import CONSOLE_FILE, MEDIA_INDEX, PLOTS_FILE
from .reader import TaskReader
from .store import Store
from .taskmeta import UNKNOWN
from .writer import write_task_meta
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


def _stamp() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())


def _aside(p: Path) -> Path:
    dest = p.with_name(f"{p.name}.corrupt-{_stamp()}")
    n = 1
    while dest.exists():
        n += 1
        dest = p.with_name(f"{p.name}.corrupt-{_stamp()}-{n}")
    os.replace(p, dest)
    return dest


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


def _check_task_locked(store: Store, d: Path, report: FsckReport, repair: bool) -> None:
    tid = d.name
    reader = TaskReader(d, store.cache, fallback=lambda: store._catalog_row(tid))
    meta_problems = [p for p in reader.problems if str(p.filename).endswith(TASK_META)]
    key_of: dict[int, tuple] = {}
    lost_points: dict = {}
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
    reader.media()
    reader.plots()
    reader.console()
    found = [(p, key_of.get(id(p))) for p in reader.problems]
    jsonl = {name: _bad_lines(d / name) for name in _LINE_RULES}
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
                                    f"({_LINE_RULES[name][1]}) "
                                    f"(line {', '.join(str(i + 1) for i in bad[:5])}{', ...' if len(bad) > 5 else ''})"))
    status, heartbeat = writer_status(d, reader._meta)
    if status == "crashed" and reader._meta.get("status") == "running":
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(heartbeat)) if heartbeat else "unknown"
        findings.append(Finding(tid, str(d / TASK_META), f"status running, but its writer is gone (crashed; last "
                                f"heartbeat {when})"))
    report.findings.extend(findings)
    if repair:
        _repair(store, d, reader, findings, meta_problems, status, heartbeat)


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


def _bad_lines(p: Path) -> tuple[list[int], int]:
    """Indexes of the complete lines of a JSON-lines file that are not JSON objects, and the line count."""
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        return [], 0
    except OSError:
        return [0], 1
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    bad = [i for i, raw in enumerate(lines) if not _line_ok(p.name, raw)]
    return bad, len(lines)


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _str(v) -> bool:
    return isinstance(v, str)


#: what a line of each JSON-lines log must be (store/media.py writes them)
_LINE_RULES = {
    MEDIA_INDEX: (lambda r: r.get("op") in ("add", "del") and _is_int(r.get("id"))
                  and (r["op"] == "del" or (_str(r.get("title")) and _str(r.get("series"))
                                            and _is_int(r.get("iteration", 0)))),
                  "op add/del, int id, str title and series, int iteration"),
    PLOTS_FILE: (lambda r: _str(r.get("title")) and _str(r.get("series")) and _is_int(r.get("iteration", 0))
                 and isinstance(r.get("figure", {}), dict), "str title and series, int iteration, figure object"),
    CONSOLE_FILE: (lambda r: _str(r.get("text", "")) and isinstance(r.get("time", 0.0), (int, float)),
                   "str text, number time"),
}


def _line_ok(name: str, raw: bytes) -> bool:
    try:
        rec = json.loads(raw)
    except (ValueError, RecursionError):
        return False
    return isinstance(rec, dict) and bool(_LINE_RULES[name][0](rec))


def _repair(store, d: Path, reader, findings: list[Finding], meta_problems, status, heartbeat) -> None:
    meta = dict(reader._meta)
    for f in findings:
        path = Path(f.file)
        if "open shard holds" in f.problem:
            vouched = int(f.problem.split(" the ")[1].split()[0])
            with open(path, "r+b") as fh:
                fh.truncate(vouched)
                os.fsync(fh.fileno())
            f.repaired = f"cut to the {vouched} bytes series.json vouches for"
        elif "shard index unreadable" in f.problem:
            f.repaired = _rewrite_shard_index(reader, path)
        elif path.name == MEDIA_INDEX and not path.exists():
            path.write_bytes(b"")
            f.repaired = "an empty listing written (the sample files stay in media/, unlisted)"
        elif path.name == "tail.bin" or path.name == (reader._shared_name or "tails.bin"):
            cut = _truncate_torn(path)
            if cut is not None:
                f.repaired = f"cut {cut} bytes of torn records at the end (the valid prefix stays)"
                f.lost = f.lost or "the points of the torn records (never acknowledged by a sync)"
        elif path.name in (MEDIA_INDEX, PLOTS_FILE, CONSOLE_FILE) and path.exists():
            kept, dropped = _rewrite_jsonl(path)
            f.repaired = f"rewritten with its {kept} good lines (the old file moved aside)"
            f.lost = f"{dropped} line(s)"
    if meta_problems:
        moved = _aside(d / TASK_META) if (d / TASK_META).exists() else None
        write_task_meta(d, meta, durable=True)
        for f in findings:
            if f.file.endswith(TASK_META) and "crashed" not in f.problem:
                f.repaired = "metadata rewritten from what is known (catalog row or folder)" + \
                    (f"; the damaged file moved to {moved.name}" if moved else "")
                if meta.get("status") == UNKNOWN:
                    f.lost = "the fields the catalog did not hold (status unknown)"
    if status == "crashed" and meta.get("status") == "running":
        meta["status"] = "crashed"
        meta["crashed_at"] = heartbeat
        write_task_meta(d, meta, durable=True)
        for f in findings:
            if "crashed" in f.problem:
                f.repaired = "status crashed recorded in the metadata (a resumed run sets running again)"
                f.lost = "points logged after the last sync before the crash"


def _rewrite_shard_index(reader, path: Path) -> str | None:
    """Give a complete shard whose index was damaged (or hidden by appended bytes) its index again,
    from its inner chunks' headers, when every chunk it should hold was found."""
    from .series_reader import _walk_shard  # the header walk the readers use

    try:
        sid, j = int(path.parent.parent.parent.name[1:]), int(path.name)
        entry = next(e for e in reader._entries.values() if e["sid"] == sid)
        shard, chunks = int(entry["shard"]), int(entry["chunks"])
    except (ValueError, StopIteration, KeyError, TypeError):
        return None
    expect = min(shard, chunks - j * shard)
    idx = _walk_shard(path, shard)
    sizes = [int(nb) for off, nb in idx.tolist() if off != int(shards.EMPTY)]
    if len(sizes) != expect or expect <= 0 or (expect < shard and entry.get("count") is None):
        return None
    end = sum(sizes)
    with open(path, "r+b") as fh:
        fh.truncate(end)
        fh.seek(end)
        fh.write(shards.index_bytes(sizes, shard))
        fh.flush()
        os.fsync(fh.fileno())
    return f"index rewritten from the {expect} inner chunks' headers"


def _truncate_torn(path: Path) -> int | None:
    """Cut a tail file at the end of its last whole record; the bytes cut, None when nothing was."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if path.name == "tail.bin":
        spans = tail.record_spans(data)
        end = spans[-1][1] if spans else 0
    else:
        sh = tail.SharedTail(data, str(path))
        ends = [c.offset for c in sh.cuts if "series" not in c.reason]
        if not ends:
            return None
        end = min(ends)
    if end >= len(data):
        return None
    with open(path, "r+b") as fh:
        fh.truncate(end)
        fh.flush()
        os.fsync(fh.fileno())
    return len(data) - end


def _rewrite_jsonl(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    lines = data.split(b"\n")
    torn = lines.pop()  # after the last newline: a torn line (or b"")
    good = [raw for raw in lines if _line_ok(path.name, raw)]
    out = b"".join(g + b"\n" for g in good)
    tmp = path.with_name(path.name + ".fsck-tmp")
    with open(tmp, "wb") as fh:
        fh.write(out)
        fh.flush()
        os.fsync(fh.fileno())
    _aside(path)
    os.replace(tmp, path)
    return len(good), len(lines) - len(good) + (1 if torn else 0)


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
