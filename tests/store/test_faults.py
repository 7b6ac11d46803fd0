"""Disk full and I/O errors on the store's write path (issue 13, bullets 8 and 10).

The I/O-fault loop: a small workload (a short series in the shared tails.bin, one in its own
tail.bin, one crossing chunk and shard boundaries) runs once per write-path syscall, that call
failing once (a short write then ENOSPC, EIO on fsync or truncate, ENOSPC on rename; see
``ringlog.store.faults``). A failed sync is retried, as the engine does. Checked after the fault
(a copy of the folder read as a crashed task), at the end before close (crash) and after close():
every acknowledged point reads back bit-exact, and nothing unacknowledged is invented.
CI runs a seeded sample of the calls; ``RINGLOG_FULL_FAULTS=1`` runs every one.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess

import numpy as np
import pytest

from ringlog.store import Store, faults, layout, tail
from ringlog.store.errors import StoreWriteError

from .conftest import make_series

CHUNK = layout.CHUNK
KEYS = ("short", "own", "long")
# points per sync of each series: "own" passes SHARED_MAX (its own tail.bin), "long" fills chunks
SIZES = {"short": 3, "own": 90, "long": 30_000}
SYNCS = 6


def _data(n, seed):
    s, v, t = make_series(n, seed=seed)
    v[::97] = np.nan  # NaN kept as it is
    return s, v, t


DATA = {k: _data(SIZES[k] * SYNCS, i) for i, k in enumerate(KEYS)}


def _retry(fn, tries=4):
    for i in range(tries):
        try:
            return fn()
        except StoreWriteError as exc:
            assert exc.errno in (errno.ENOSPC, errno.EIO), exc
            if i == tries - 1:
                raise


def _check(root, tid, acked, appended=None, closed=False):
    r = Store(root).task(tid)
    for k in KEYS:
        step, v, _ = DATA[k]
        if acked[k] == 0 and k not in [s[0] for s in r.series()]:
            continue
        sc = r.scalar(k)
        n = len(sc.step)
        assert n >= acked[k], f"{k}: {n} points read, {acked[k]} acknowledged"
        assert n <= (appended or acked)[k]
        np.testing.assert_array_equal(sc.step, step[:n])
        np.testing.assert_array_equal(sc.value.view(np.int64), v[:n].view(np.int64))  # bit-exact, NaN too
        if closed:
            assert n == acked[k]


def _workload(root, fail_at, tmp, shard=2):
    """Run the workload with call ``fail_at`` failing; returns the plan (for its call count)."""
    layout_shard = layout.SHARD
    layout.SHARD = shard  # shards of 2 chunks: the long series completes one and opens the next
    try:
        st = Store(root, durable=True)
        w = st.create_task(project="p", name="faults", task_id="t")
        acked = dict.fromkeys(KEYS, 0)
        appended = dict.fromkeys(KEYS, 0)
        with faults.FaultPlan(fail_at, seed=fail_at or 0) as plan:
            sids = {k: w.series_id(k) for k in KEYS}
            for i in range(SYNCS):
                for k in KEYS:
                    s, v, t = DATA[k]
                    a, b = i * SIZES[k], (i + 1) * SIZES[k]
                    w.append(sids[k], s[a:b], v[a:b], t[a:b])  # takes every point or raises, taking none
                    appended[k] = b
                try:
                    w.sync()
                except StoreWriteError:
                    snap = tmp / f"crash{i}"
                    shutil.copytree(root, snap)  # the folder as a crash right after the fault leaves it
                    _check(snap, "t", acked, appended)
                    shutil.rmtree(snap)
                    _retry(w.sync)
                acked = dict(appended)
            snap = tmp / "crash"
            shutil.copytree(root, snap)  # killed before close
            _check(snap, "t", acked)
            shutil.rmtree(snap)
            _retry(w.close)
        _check(root, "t", acked, closed=True)
        assert Store(root).task("t").info["status"] == "completed"
        return plan
    finally:
        layout.SHARD = layout_shard


def _calls(tmp_path):
    return _workload(tmp_path / "dry", None, tmp_path).calls


@pytest.fixture
def fast_tmp(tmp_path):
    """A folder on /dev/shm where there is one (fsync is free on tmpfs: the loop runs ~8x faster;
    the fault paths are the same), else pytest's tmp_path."""
    import tempfile
    from pathlib import Path

    if not os.path.isdir("/dev/shm") or not os.access("/dev/shm", os.W_OK):
        yield tmp_path
        return
    d = Path(tempfile.mkdtemp(prefix="ringlog-faults-", dir="/dev/shm"))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def n_calls(fast_tmp):
    return _calls(fast_tmp)


def _sample(n):
    if os.environ.get("RINGLOG_FULL_FAULTS"):
        return list(range(n))
    rng = np.random.default_rng(13)
    return sorted(set(rng.choice(n, size=min(n, 30), replace=False).tolist()) | {0, 1, n - 1})


def test_fault_loop_every_acknowledged_point_survives(fast_tmp, n_calls):
    assert n_calls > 50  # the workload really goes through the syscall table
    kinds = {}
    for n in _sample(n_calls):
        root = fast_tmp / f"r{n}"
        plan = _workload(root, n, fast_tmp)
        assert plan.failed is not None, f"call {n} of {n_calls} was never reached"
        kinds[plan.failed] = kinds.get(plan.failed, 0) + 1
        shutil.rmtree(root)
    assert {"pwrite", "fsync", "replace"} <= set(kinds), kinds  # every kind of call was hit


def test_torn_tail_append_is_cut_back_and_later_points_stay_readable(store, tmp_path):
    """The measured failure: a failed tail append left its torn record and later records behind it
    were unreadable. Now the append is cut back and the next sync's record follows the good ones."""
    w = store.create_task(project="p", name="torn")
    sid = w.series_id("own")
    step, v, t = DATA["own"]
    w.append(sid, step[:200], v[:200], t[:200])
    w.sync()
    path = w.path / "s0" / "tail.bin"
    size = path.stat().st_size
    w.append(sid, step[200:300], v[200:300], t[200:300])
    with faults.FaultPlan(0, only=("pwrite",)) as plan:  # the first pwrite: the tail append, cut short then ENOSPC
        with pytest.raises(StoreWriteError) as err:
            w.sync()
    assert plan.failed == "pwrite" and err.value.errno == errno.ENOSPC
    assert path.stat().st_size == size  # cut back at once
    w.sync()
    w.append(sid, step[300:400], v[300:400], t[300:400])
    w.sync()
    sc = Store(store.root).task(w.id).scalar("own")
    np.testing.assert_array_equal(sc.step, step[:400])
    cuts = []
    tail.read(path, 0, cuts)
    assert cuts == []


def test_fsync_error_is_not_acknowledged_by_the_next_sync(tmp_path):
    """EIO on fsync: the sync raises, and the next sync writes the data again (it does not trust a
    later fsync's success)."""
    st = Store(tmp_path / "root", durable=True)
    w = st.create_task(project="p", name="eio")
    sid = w.series_id("own")
    step, v, t = DATA["own"]
    w.append(sid, step[:300], v[:300], t[:300])
    w.sync()
    w.append(sid, step[300:400], v[300:400], t[300:400])
    seen = []
    with faults.FaultPlan(None) as dry:
        pass
    # find the tail's fsync: fail every call of the sync in turn until an fsync was hit
    for n in range(40):
        with faults.FaultPlan(n) as plan:
            try:
                w.sync()
            except StoreWriteError as exc:
                seen.append((plan.failed, exc.errno))
        if plan.failed == "fsync":
            break
        w.append(sid, step[400 + n:401 + n], v[400 + n:401 + n], t[400 + n:401 + n])
    assert ("fsync", errno.EIO) in seen
    del dry
    writes = []
    real = tail.append

    def spy(path, rec, at, durable=True):
        writes.append(path.name)
        return real(path, rec, at, durable)

    tail.append = spy
    try:
        w.sync()  # no new point: still re-writes what the failed fsync may have lost
    finally:
        tail.append = real
    assert writes, "the sync after a failed fsync wrote nothing again"
    w.close()
    sc = Store(st.root).task(w.id).scalar("own")
    np.testing.assert_array_equal(sc.step, step[: len(sc.step)])
    assert len(sc.step) >= 400


def test_damaged_tail_reports_what_it_cut(tmp_path):
    step, v, t = DATA["long"]
    p = tmp_path / "tail.bin"
    recs = [tail.encode_record(a, step[a:a + 500], v[a:a + 500], t[a:a + 500]) for a in (0, 500, 1000)]
    data = b"".join(recs)
    for damage, why in ((data[:-7], "record cut short"), (data + b"garbage!", "bad magic"),
                        (data[:len(recs[0]) + 40] + b"\0" + data[len(recs[0]) + 41:], "CRC mismatch")):
        p.write_bytes(damage)
        cuts = []
        got = tail.read(p, 0, cuts)
        assert len(cuts) == 1 and cuts[0].reason == why, cuts
        keep = 1000 if why == "record cut short" else (1500 if why == "bad magic" else 500)
        np.testing.assert_array_equal(got[0], step[:keep])
        assert cuts[0].offset + cuts[0].nbytes == len(damage)


def test_disk_full_for_real_on_a_small_tmpfs(tmp_path):
    """A real 12 MiB tmpfs: log until it fills, free space, log on; every acknowledged point is
    there, after a crash (a copy) and after close()."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    try:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(mnt)], capture_output=True)
    except FileNotFoundError:
        r = None
    if r is None or r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip() if r else 'no mount'}")
    try:
        st = Store(mnt / "root", durable=True)
        w = st.create_task(project="p", name="full", task_id="full")
        n = 4_000_000
        rng = np.random.default_rng(0)
        v = (1 + 0.05 * rng.standard_normal(n)).astype(np.float32).astype(np.float64)
        step = np.arange(n, dtype=np.int64)
        t = 1.7e9 + np.arange(n) * 0.003
        sids = [w.series_id(f"k{j}") for j in range(3)]
        acked = appended = 0
        failures = 0
        batch = 50_000
        while appended < n and not failures:  # log until the disk is full
            a, b = appended, appended + batch
            try:
                for sid in sids:
                    w.append(sid, step[a:b], v[a:b], t[a:b])
            except StoreWriteError:  # refused, nothing taken: too much pending while the disk fails
                failures += 1
                break
            appended = b
            try:
                w.sync()
                acked = appended
            except StoreWriteError as exc:
                assert exc.errno == errno.ENOSPC
                failures += 1
        snap = tmp_path / "snap"
        shutil.copytree(mnt / "root", snap, ignore=shutil.ignore_patterns("*.tmp"))  # a crash while full
        r = Store(snap).task("full")
        for j in range(3):
            sc = r.scalar(f"k{j}")
            assert len(sc.step) >= acked
            np.testing.assert_array_equal(sc.value, v[: len(sc.step)])
        shutil.rmtree(snap)
        assert failures, "the 12 MiB tmpfs never filled"
        # space returns: grow the tmpfs (as freeing space would) and log on
        subprocess.run(["mount", "-o", "remount,size=256m", str(mnt)], check=True)
        _retry(w.sync)
        acked = appended
        for sid in sids:
            w.append(sid, step[appended:appended + 200_000], v[appended:appended + 200_000],
                     t[appended:appended + 200_000])
        appended += 200_000
        _retry(w.sync)
        acked = appended
        snap = tmp_path / "snap2"
        shutil.copytree(mnt / "root", snap)
        _retry(w.close)
        for root in (snap, mnt / "root"):
            r = Store(root).task("full")
            for j in range(3):
                sc = r.scalar(f"k{j}")
                assert len(sc.step) == acked
                np.testing.assert_array_equal(sc.step, step[:acked])
                np.testing.assert_array_equal(sc.value, v[:acked])
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_failed_shard_fsync_rewrites_the_chunks_from_the_kept_bytes(tmp_path, monkeypatch):
    """EIO on a chunk file's fsync: the next sync writes those chunk bytes again before it fsyncs
    (a later fsync's success alone would prove nothing: the kernel may have dropped the pages)."""
    from ringlog.store import shards

    st = Store(tmp_path / "root", durable=True)
    w = st.create_task(project="p", name="shard-eio")
    sid = w.series_id("long")
    step, v, t = make_series(CHUNK + 100, seed=4)
    w.append(sid, step, v, t)  # one whole chunk: written to its shard during append
    with faults.FaultPlan(0, only=("fsync",)) as plan:
        with pytest.raises(StoreWriteError):
            w.sync()
    assert plan.failed == "fsync"
    writes = []
    real = shards.ShardWriter._pwrite

    def spy(p, data, offset, truncate):
        writes.append((p.parent.parent.name, offset, len(data)))
        return real(p, data, offset, truncate)

    monkeypatch.setattr(shards.ShardWriter, "_pwrite", staticmethod(spy))
    w.sync()
    assert sorted(name for name, off, _ in writes) == ["step", "time", "value"]  # each array's chunk again
    writes.clear()
    w.sync()
    assert writes == []  # a clean sync clears the kept bytes
    w.close()
    sc = Store(st.root).task(w.id).scalar("long")
    np.testing.assert_array_equal(sc.step, step)
    np.testing.assert_array_equal(sc.value, v)
