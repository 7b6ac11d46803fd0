"""The crash ring's file and its replay (store/crashring.py, store/crashring_replay.py): a killed
writer's ring gives back exactly the points the store lacks - nothing twice, nothing out of order,
nothing from a torn record or a wrapped ring - through recover(), fsck --repair and a resume."""

from __future__ import annotations

import numpy as np

from ringlog.store import Store
from ringlog.store import crashring
from ringlog.store.crashring_recover import recover
from ringlog.store.fsck import fsck
from ringlog.store.reopen import open_task

from .conftest import make_series


def _crashed(root, n_synced: int, n_total: int, *, ring_bytes: int = 1 << 20, mark=None, extra_synced: int = 0,
             record: int = 500, wide: bool = False):
    """A task whose writer synced ``n_synced`` (+ ``extra_synced`` after its last watermark) points of
    "loss", copied ``n_total`` into its ring, and died. Returns (store, task id, steps, values)."""
    step, v, t = make_series(n_total, seed=3, f32=not wide)
    store = Store(root, durable=False)
    w = store.create_task("p", "crashy")
    sid = w.series_id("loss")
    ring = crashring.RingWriter(w.path, ring_bytes)
    ring.name([(0, "loss", "loss")])
    ring.mark(0, 0, 0)
    for a in range(0, n_total, record):  # what the copier does, a pass at a time
        ring.put(0, a, step[a:a + record], v[a:a + record], t[a:a + record])
    w.append(sid, step[:n_synced], v[:n_synced], t[:n_synced])
    w.sync()
    ring.mark(0, *(mark or (n_synced, n_synced)))
    if extra_synced:  # synced, the watermark not moved yet (a kill between the two)
        w.append(sid, step[n_synced:n_synced + extra_synced], v[n_synced:n_synced + extra_synced],
                 t[n_synced:n_synced + extra_synced])
        w.sync()
    ring.close(remove=False)
    w._lock_file.release()  # the process is gone: no close
    return store, w.id, step, v


def _points(store, tid):
    r = Store(store.root).task(tid)
    sc = r.scalar("loss", "loss")
    return sc.step, sc.value


def _bits(x):
    return np.asarray(x, np.float64).view(np.int64)


def test_recover_appends_exactly_what_the_store_lacks_and_only_once(tmp_path):
    store, tid, step, v = _crashed(tmp_path, 3000, 7777)
    assert len(_points(store, tid)[0]) == 3000
    lines = recover(store.root)
    assert any("4777 points of loss/loss replayed" in x for x in lines), lines
    st, va = _points(store, tid)
    assert np.array_equal(st, step) and np.array_equal(_bits(va), _bits(v))
    assert not (store.task(tid).path / crashring.RING_FILE).exists()
    assert Store(store.root).task(tid).info["status"] == "crashed"
    assert recover(store.root) == []  # nothing left to replay
    assert len(_points(store, tid)[0]) == 7777


def test_a_sync_after_the_last_watermark_is_not_replayed_twice(tmp_path):
    store, tid, step, v = _crashed(tmp_path, 2000, 5000, extra_synced=1234)
    assert len(_points(store, tid)[0]) == 3234
    recover(store.root)
    st, va = _points(store, tid)
    assert np.array_equal(st, step) and np.array_equal(_bits(va), _bits(v))


def test_a_torn_record_ends_the_replay_at_the_points_before_it(tmp_path):
    store, tid, step, v = _crashed(tmp_path, 1000, 3000, record=500)
    path = store.task(tid).path / crashring.RING_FILE
    raw = bytearray(path.read_bytes())
    data = crashring._data_offset(crashring.SLOTS)
    rec = 32 + 24 * 500
    raw[data + 4 * rec + 100] ^= 0xFF  # inside the record of points 2000..2499: its CRC fails
    path.write_bytes(bytes(raw))
    recover(store.root)
    st, va = _points(store, tid)
    assert len(st) == 2000 and np.array_equal(st, step[:2000]) and np.array_equal(_bits(va), _bits(v[:2000]))


def test_a_wrapped_ring_that_lost_the_first_missing_point_replays_nothing(tmp_path):
    # 1 MiB holds ~43,000 points: 100,000 copied, the store has 1,000, the ring the last ~43,000
    store, tid, step, v = _crashed(tmp_path, 1000, 100_000, record=1000)
    ring = crashring.read(store.task(tid).path)
    assert 30_000 < ring.points() < 50_000 and len(ring.run(0, 1000)[0]) == 0
    recover(store.root)
    assert np.array_equal(_points(store, tid)[0], step[:1000])  # a prefix: no gap, nothing twice


def test_a_watermark_that_does_not_match_the_store_is_refused(tmp_path):
    store, tid, step, v = _crashed(tmp_path, 2000, 4000, mark=(1995, 2000))  # off by 5: would repeat 5 points
    lines = recover(store.root)
    assert any("differs from the store's last" in x for x in lines), lines
    assert np.array_equal(_points(store, tid)[0], step[:2000])


def test_float64_values_come_back_bit_exact(tmp_path):
    store, tid, step, v = _crashed(tmp_path, 10, 900, wide=True)
    assert crashring.read(store.task(tid).path).names == {0: ("loss", "loss")}
    recover(store.root)
    st, va = _points(store, tid)
    assert np.array_equal(st, step) and np.array_equal(_bits(va), _bits(v))


def test_fsck_reports_the_ring_and_fsck_repair_replays_it(tmp_path, capsys):
    from ringlog.cli import main

    store, tid, step, v = _crashed(tmp_path, 1500, 4000)
    rep = fsck(store.root)
    f = [x for x in rep.findings if x.file.endswith(crashring.RING_FILE)]
    assert len(f) == 1 and "2500 points beyond the last flush" in f[0].problem and rep.exit_code() == 4
    assert main(["fsck", "--repair", str(store.root)]) == 1  # e2fsck's "errors corrected"
    assert "2500 points of loss/loss replayed" in capsys.readouterr().out
    assert np.array_equal(_points(store, tid)[0], step)
    assert fsck(store.root).exit_code() == 0


def test_a_resume_replays_the_ring_before_it_goes_on(tmp_path):
    store, tid, step, v = _crashed(tmp_path, 700, 2500)
    w = open_task(store, tid)
    assert not (w.path / crashring.RING_FILE).exists()
    sid = w.series_id("loss")
    w.append(sid, [10_000], [1.5], [2e9])
    w.close()
    st, va = _points(store, tid)
    assert np.array_equal(st, np.append(step, 10_000)) and va[-1] == 1.5


def test_a_ring_that_cannot_be_allocated_leaves_no_file(tmp_path, monkeypatch):
    import os

    import pytest

    def full(fd, offset, length):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", full)
    with pytest.raises(OSError):
        crashring.RingWriter(tmp_path, 1 << 20)
    assert not (tmp_path / crashring.RING_FILE).exists() and not (tmp_path / crashring.NAMES_FILE).exists()


def test_a_killed_rank_namespace_is_replayed_and_merged(tmp_path):
    from ringlog.store.multiwriter import open_writer

    store = Store(tmp_path, durable=False)
    w0 = store.create_task("p", "ddp", task_id="t1")
    s0 = w0.series_id("loss")
    w0.append(s0, np.arange(0, 100, 2), np.zeros(50), np.full(50, 2e9))
    w1 = open_writer(store, "t1", "rank1")  # a second process's namespace w/rank1/
    s1 = w1.series_id("loss")
    w1.append(s1, np.arange(1, 41, 2), np.ones(20), np.full(20, 2e9))
    w1.sync()
    ring = crashring.RingWriter(w1.path, 1 << 20)
    ring.name([(0, "loss", "loss")])
    ring.mark(0, 20, 20)  # after rank1's sync: its next points were only in its ring
    ring.put(0, 20, np.arange(41, 101, 2), np.ones(30), np.full(30, 2e9))
    ring.close(remove=False)
    w1._lock_file.release()  # rank1 is killed
    w0.close()
    lines = recover(store.root)
    assert any("30 points of loss/loss replayed" in x for x in lines), lines
    sc = Store(store.root).task("t1").scalar("loss", "loss")
    assert np.array_equal(sc.step, np.arange(100)) and sc.value[1::2].tolist() == [1.0] * 50
