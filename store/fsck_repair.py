"""The repairs of ``ringlog fsck --repair`` (store/fsck.py finds the problems), and the rules a line
of each JSON-lines log must follow. Every repair keeps what it replaces: a rewritten file's old
version is moved aside (``<name>.corrupt-<UTC time>``); a torn tail is only cut at the end of its
last whole record (the valid prefix the readers already return).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from . import shards, tail
from .damage import walk_shard
from .layout import SERIES_INDEX, TASK_META
from .media_index import CONSOLE_FILE, MEDIA_INDEX, PLOTS_FILE
from .taskmeta import UNKNOWN
from .writer import write_task_meta


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


def bad_lines(p: Path) -> tuple[list[int], int]:
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
LINE_RULES = {
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
    return isinstance(rec, dict) and bool(LINE_RULES[name][0](rec))


def repair_task(d: Path, reader, findings: list, meta_problems, status, heartbeat, recount=None) -> None:
    """Repair what ``findings`` (of task folder ``d``, read by ``reader``) name; ``recount``:
    ``{(title, series): readable points}`` of running series whose index counts points lost."""
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
    if recount:
        done = _recount(d, reader, recount)
        for f in findings:
            for key in done:
                if f"series {key[0]!r}/{key[1]!r}:" in (f.lost or "") + f.problem and not f.repaired:
                    f.repaired = "series.json's figures redone from the points that remain (old file moved aside)"
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


def _recount(d: Path, reader, recount: dict) -> list:
    """Redo the ``stats`` of series.json's entries in ``recount`` from their readable points."""
    import numpy as np  # deferred: only a repair that redoes figures needs it

    path = d / SERIES_INDEX
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return []
    done = []
    for e in doc.get("series", []):
        key = (e.get("title"), e.get("series"))
        if key not in recount:
            continue
        sc = reader.scalar(*key)
        fin = sc.value[np.isfinite(sc.value)]
        e["stats"] = {"last": float(sc.value[-1]) if len(sc) else None,
                      "min": float(fin.min()) if len(fin) else None, "max": float(fin.max()) if len(fin) else None,
                      "count": len(sc), "last_step": int(sc.step[-1]) if len(sc) else None}
        done.append(key)
    if done:
        tmp = path.with_name(path.name + ".fsck-tmp")
        with open(tmp, "wb") as fh:
            fh.write(json.dumps(doc, separators=(",", ":")).encode())
            fh.flush()
            os.fsync(fh.fileno())
        _aside(path)
        os.replace(tmp, path)
    return done


def _rewrite_shard_index(reader, path: Path) -> str | None:
    """Give a complete shard whose index was damaged (or hidden by appended bytes) its index again,
    from its inner chunks' headers, when every chunk it should hold was found."""
    try:
        sid, j = int(path.parent.parent.parent.name[1:]), int(path.name)
        entry = next(e for e in reader._entries.values() if e["sid"] == sid)
        shard, chunks = int(entry["shard"]), int(entry["chunks"])
    except (ValueError, StopIteration, KeyError, TypeError):
        return None
    expect = min(shard, chunks - j * shard)
    idx = walk_shard(path, shard)
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
