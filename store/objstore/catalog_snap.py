"""Catalog snapshots: a cold read cache indexes 10,000 tasks with a few requests, not 10,000 GETs.

A reader whose refresh GET at least :data:`MIN_TASKS` task objects and so holds every task object of
the bucket writes ``.catalog/<unix ms, 13 digits>-<8 hex>.json.gz``: each ``.tasks/`` key with the
ETag it had and the object's content. A later reader with a cold cache GETs the newest snapshot and
fetches only the task objects whose listed ETag differs from the snapshot's. The snapshot's sorted
keys also split the ``.tasks/`` LIST into ranges listed in parallel (S3's StartAfter), where one
LIST is a chain of 1,000-key pages.

Multi-writer rule: snapshots are immutable, uniquely named, written and read by readers only; a
training writer never reads one. Every snapshot entry is checked against the LIST's ETag, so a stale,
damaged or vanished snapshot costs GETs, never a wrong row. A reader that writes a snapshot deletes
all but the newest :data:`KEEP`; a reader without PUT permission writes none.
"""

from __future__ import annotations

import gzip
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

SNAPS = ".catalog/"
MIN_TASKS = 200  # fewer GETs than this: a cold refresh is quick anyway, no snapshot written
KEEP = 2
RANGE = 1000  # keys per parallel LIST range: one S3 page (1,000 keys) each


def latest(client) -> dict:
    """``{task key: (etag, object)}`` of the newest readable snapshot ({} when there is none)."""
    try:
        keys = sorted(e.key for e in client.list(SNAPS) if e.key.endswith(".json.gz"))
    except Exception:  # noqa: BLE001 - no snapshot: the refresh GETs every object
        return {}
    for key in reversed(keys):
        try:
            doc = json.loads(gzip.decompress(client.get(key)))
            return {k: (v[0], v[1]) for k, v in doc["tasks"].items()}
        except Exception:  # noqa: BLE001 - damaged or deleted meanwhile: an older one, or none
            continue
    return {}


def write(client, tasks: dict) -> str | None:
    """PUT a snapshot of ``tasks`` (``{key: (etag, object)}``), delete all but the newest KEEP;
    returns its key, or None when the PUT was refused (a read-only credential)."""
    key = f"{SNAPS}{int(time.time() * 1000):013d}-{uuid.uuid4().hex[:8]}.json.gz"
    body = gzip.compress(json.dumps({"format": 1, "tasks": {k: list(v) for k, v in tasks.items()}},
                                    separators=(",", ":"), allow_nan=True, default=str).encode(), 5)
    try:
        client.put(key, body)
    except Exception:  # noqa: BLE001 - only the next cold reader pays for it
        return None
    try:
        for old in sorted(e.key for e in client.list(SNAPS) if e.key.endswith(".json.gz"))[:-KEEP]:
            client.delete(old)
    except Exception:  # noqa: BLE001 - left for the next writer of a snapshot
        pass
    return key


def bounds(known: list) -> list:
    """Split keys for parallel LIST ranges from the sorted keys last seen (none below 2 ranges)."""
    n = len(known) // RANGE
    return [known[i * len(known) // n] for i in range(1, n)] if n >= 2 else []


def list_ranges(client, prefix: str, splits: list, threads: int = 8) -> list:
    """Every entry under ``prefix``: one LIST, or one per range between ``splits`` in parallel
    (keys ``(lo, hi]``; a key added since the splits were taken falls in one range all the same)."""
    if not splits:
        return list(client.list(prefix))
    ranges = [(None, splits[0])] + list(zip(splits, splits[1:])) + [(splits[-1], None)]

    def one(r):
        lo, hi = r
        out = []
        for e in client.list(prefix, offset=lo):
            if hi is not None and e.key > hi:
                break
            out.append(e)
        return out

    with ThreadPoolExecutor(min(threads, len(ranges))) as pool:
        return [e for part in pool.map(one, ranges) for e in part]
