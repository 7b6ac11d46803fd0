"""``ringlog fsck s3://bucket/prefix [--repair]``: this machine's spool against the bucket.

What is checked: the spool itself (the ordinary local ``fsck``: every file of every task, repaired
there as for a local root), then for every task (and writer namespace) of the spool what its upload
state records as sent but the bucket lacks (a deleted or lost object), what is not yet uploaded, and
the task's catalog object ``.tasks/<id>.json``; the spool's artifact files the same way; a task
pruned from the spool (prune.py) whose objects the bucket lacks is reported as lost. ``--repair``
re-uploads from the spool: records of missing objects are dropped and the task gets upload passes
(under its lock when free), the artifacts an upload pass. Tasks written on other machines are
checked by their machines (their spools), or through a local copy: ``ringlog sync URL FOLDER`` then
``ringlog fsck FOLDER``. One LIST of the whole prefix; no object is read.
"""

from __future__ import annotations

from ..fsck import Finding, FsckReport, fsck
from ..layout import TASK_META
from . import artifacts, segments, spool
from .client import Client
from .upload import TASKS, is_namespace, pending, unit_key, units

REPAIRED = "re-uploaded from the spool"


def _missing(state: dict, rel: str, listed: set) -> list[str]:
    segs, whole = state.get("segs", {}), state.get("whole", [])
    out = []
    for r in state["files"]:
        if r in segs and r not in whole:
            ok = all(segments.seg_key(f"{rel}/{r}", o) in listed for o in segs[r][2])
        else:
            ok = f"{rel}/{r}" in listed
        if not ok:
            out.append(r)
    return sorted(out)


def _forget(state: dict, files) -> None:
    for r in files:
        state["files"].pop(r, None)
        state.get("segs", {}).pop(r, None)
        if r in state.get("whole", []):
            state["whole"].remove(r)


def fsck_url(url: str, repair: bool = False) -> FsckReport:
    """Check (and with ``repair``, re-upload) this machine's spool of ``url``; see the module docstring."""
    from .sync import upload_task

    url = url.rstrip("/")
    root = spool.spool_for(url)
    report = fsck(root, repair) if root.is_dir() else FsckReport(str(root), repaired=repair)
    report.root = f"{url} (spool {root})"
    client = Client(url)
    try:
        listed = {e.key for e in client.list()}
    except Exception as exc:  # noqa: BLE001 - the server is down, credentials refused
        report.findings.append(Finding(None, url, f"the bucket cannot be listed ({type(exc).__name__}: {exc})"))
        return report
    seen = set()
    for d in units(root):
        key, rel = unit_key(root, d), d.relative_to(root).as_posix()
        task = d.parents[1].name if is_namespace(d) else d.name
        seen.add(key)
        st = spool.load_state(root, key)
        gone, left = _missing(st, rel, listed), pending(root, d)
        no_cat = not is_namespace(d) and (d / TASK_META).exists() and f"{TASKS}/{task}.json" not in listed
        found = []
        if gone:
            found.append(Finding(task, rel, f"{len(gone)} file(s) recorded as uploaded are missing from the bucket "
                                            f"(first: {gone[0]})"))
        if left:
            found.append(Finding(task, rel, f"{len(left)} file(s) not yet uploaded (first: {left[0]})"))
        if no_cat:
            found.append(Finding(task, f"{TASKS}/{task}.json", "the task's catalog object is missing from the bucket"))
        if repair and found:
            _forget(st, gone)
            if no_cat:
                st["beat"] = 0  # the next pass PUTs the catalog object
            spool.save_state(root, key, st)
            try:
                upload_task(client, root, d)
                ok = not pending(root, d)
            except Exception as exc:  # noqa: BLE001 - reported as left
                ok = False
                for f in found:
                    f.lost = f"not re-uploaded ({type(exc).__name__}: {str(exc)[:120]}); the spool keeps it"
            for f in found:
                f.repaired = REPAIRED if ok else None
        report.findings += found
    for p in sorted((root / spool.STATE_DIR).glob("*.json")) if root.is_dir() else ():
        st = spool.load_state(root, p.stem)
        if st.get("pruned") and p.stem not in seen and isinstance(st.get("path"), str):
            if f"{st['path']}/{TASK_META}" not in listed or f"{TASKS}/{p.stem}.json" not in listed:
                report.findings.append(Finding(p.stem, st["path"], "pruned from the spool and missing from the bucket",
                                               lost="the task (neither the spool nor the bucket holds it)"))
    ast = spool.load_state(root, artifacts.STATE)
    gone = sorted(r for r in ast["files"] if f"{artifacts.PREFIX}{r}" not in listed)
    left = artifacts.pending(root) if root.is_dir() else []
    if gone or left:
        f = Finding(None, artifacts.PREFIX, f"{len(gone)} artifact file(s) missing from the bucket, "
                                            f"{len(left)} not yet uploaded")
        if repair:
            _forget(ast, gone)
            spool.save_state(root, artifacts.STATE, ast)
            try:
                artifacts.upload_tree(client, root)
                f.repaired = REPAIRED
            except Exception as exc:  # noqa: BLE001
                f.lost = f"not re-uploaded ({type(exc).__name__}); the spool keeps it"
        report.findings.append(f)
    report.tasks = sum(1 for d in units(root) if not is_namespace(d)) if root.is_dir() else 0
    return report


def gc_refusal(url: str) -> str:
    """Why ``ringlog gc`` does not collect a bucket (the CLI prints it)."""
    return (f"ringlog gc: {url}: an object-store root is not collected: its artifact blobs are shared by the "
            f"manifests of every machine writing to it, which no single machine sees whole; nothing removed. "
            f"`ringlog gc` on a spool or a local root collects that folder only")

