"""Damaged tails give back their valid prefix and say what was cut (issue 13, bullet 8)."""

from __future__ import annotations

import numpy as np

from ringlog.store import Store, tail


def _closed_short(store, syncs=4):
    w = store.create_task(project="p", name="short")
    a, b = w.series_id("a"), w.series_id("b")
    for i in range(syncs):
        w.append(a, [i * 2, i * 2 + 1], [i + 0.5, i + 0.25], 1.7e9 + i)
        w.append(b, [i], [float(i)], 1.7e9 + i)
        w.sync()
    w.close()
    return w


def test_closed_short_series_with_damaged_tails_bin_gives_its_valid_prefix(store):
    w = _closed_short(store)
    path = w.path / "tails.bin"
    data = bytearray(path.read_bytes())
    sh = tail.SharedTail(bytes(data))
    base, n, off, crc = sh.index[0][2]  # series a's third record
    data[off + 3] ^= 0xFF
    path.write_bytes(bytes(data))
    r = Store(store.root).task(w.id)
    sa = r.scalar("a")
    assert sa.step.tolist() == [0, 1, 2, 3]  # the two records before the damaged one
    assert r.scalar("b").step.tolist() == [0, 1, 2, 3]  # records are independent across series


def test_truncated_tails_bin_keeps_every_whole_record(store):
    w = _closed_short(store)
    path = w.path / "tails.bin"
    data = path.read_bytes()
    path.write_bytes(data[:-10])  # the last record (series b's 4th) torn
    r = Store(store.root).task(w.id)
    assert r.scalar("a").step.tolist() == list(range(8))
    assert r.scalar("b").step.tolist() == [0, 1, 2]
    sh = tail.read_shared(path)
    assert len(sh.cuts) == 1 and sh.cuts[0].reason == "record cut short"
    assert sh.cuts[0].offset + sh.cuts[0].nbytes == len(data) - 10


def test_running_series_tail_with_a_bad_record_reads_up_to_it(store):
    w = store.create_task(project="p", name="own")
    sid = w.series_id("x")
    step = np.arange(1000)
    for part in np.array_split(step, 5):
        w.append(sid, part, part * 0.5, 1.7e9)
        w.sync()
    path = w.path / "s0" / "tail.bin"
    data = bytearray(path.read_bytes())
    spans = tail.record_spans(bytes(data))
    assert len(spans) == 5
    data[spans[3][0] + tail.ZHEADER.size + 2] ^= 0x55
    path.write_bytes(bytes(data))
    cuts = []
    got = tail.read(path, 0, cuts)
    assert len(got[0]) == 600 and cuts[0].reason == "CRC mismatch" and cuts[0].offset == spans[3][0]
    assert Store(store.root).task(w.id).scalar("x").step.tolist() == list(range(600))


def test_failed_fsync_after_a_tail_rewrite_rewrites_again(tmp_path, monkeypatch):
    """A compacting rewrite whose batch fsync fails must not leave the writer appending at the old
    file's size (that would pad the new file with zeros and hide every later record): here the
    next sync finds nothing pending (a chunk just completed), the case that committed the stale size."""
    from ringlog.store import faults, layout, series_tail
    from ringlog.store.errors import StoreWriteError

    monkeypatch.setattr(series_tail, "TAIL_COMPACT", 2_000)
    st = Store(tmp_path / "root", durable=True)
    w = st.create_task(project="p", name="rw")
    sid = w.series_id("x")
    C = layout.CHUNK
    n = 2 * C + 500
    step = np.arange(n)
    v = np.sin(step * 0.01)
    w.append(sid, step[:60_000], v[:60_000], 1.7e9)
    w.sync()
    w.append(sid, step[60_000:C + 2000], v[60_000:C + 2000], 1.7e9)  # crosses the chunk: a rewrite
    plan = faults.FaultPlan(0, only=("fsync",))  # armed by the rewrite: the next fsync (its folder's) fails
    seen = []
    real = tail.rewrite

    def spy(path, rec, durable=True):
        real(path, rec, durable)
        seen.append(path.name)
        plan.__enter__()

    monkeypatch.setattr(tail, "rewrite", spy)
    try:
        w.sync()
    except StoreWriteError:
        pass
    finally:
        plan.__exit__(None, None, None)
        monkeypatch.setattr(tail, "rewrite", real)
    assert "tail.bin" in seen and plan.failed == "fsync"
    w.append(sid, step[C + 2000:2 * C], v[C + 2000:2 * C], 1.7e9)  # completes the next chunk: nothing pending
    w.sync()
    w.append(sid, step[2 * C:], v[2 * C:], 1.7e9)
    w.sync()
    cuts = []
    got = tail.read(w.path / "s0" / "tail.bin", 2 * C, cuts)
    assert cuts == [] and len(got[0]) == 500
    np.testing.assert_array_equal(Store(st.root).task(w.id).scalar("x").step, step)


def test_failed_fsync_after_a_shared_tail_rewrite_rewrites_again(tmp_path, monkeypatch):
    from ringlog.store import faults, writer
    from ringlog.store.errors import StoreWriteError

    monkeypatch.setattr(writer, "TAIL_COMPACT", 300)  # the shared file is compacted almost every sync
    st = Store(tmp_path / "root", durable=True)
    w = st.create_task(project="p", name="rw")
    sids = [w.series_id(f"k{i}") for i in range(6)]
    plan = faults.FaultPlan(0, only=("fsync",))
    real = tail.rewrite
    armed = []

    def spy(path, rec, durable=True):
        real(path, rec, durable)
        if not armed:
            armed.append(path.name)
            plan.__enter__()

    big = np.arange(12 * 40)
    extra = []
    for j in range(12):
        for sid in sids[1:]:
            w.append(sid, [j], [j + sid / 10], 1.7e9 + j)
        w.append(sids[0], big[j * 40:(j + 1) * 40], big[j * 40:(j + 1) * 40] * 0.5, 1.7e9 + j)  # leaves the file
        monkeypatch.setattr(tail, "rewrite", spy)
        try:
            w.sync()
        except StoreWriteError:
            pass
        finally:
            plan.__exit__(None, None, None)
            monkeypatch.setattr(tail, "rewrite", real)
        if armed and not extra:  # right after the failed one: many new points, so no compaction is due
            for sid in sids[1:]:
                w.append(sid, 1000 + np.arange(100), np.zeros(100), 1.7e9 + j)
            extra.append(j)
            w.sync()
    w.sync()
    assert armed == ["tails.bin"] and plan.failed == "fsync"
    sh = tail.read_shared(w.path / "tails.bin")
    assert sh.cuts == []
    r = Store(st.root).task(w.id)
    k = extra[0] + 1
    for sid in sids[1:]:
        want = list(range(k)) + list(range(1000, 1100)) + list(range(k, 12))
        assert r.scalar(f"k{sid}").step.tolist() == want
    assert r.scalar("k0").step.tolist() == big.tolist()
