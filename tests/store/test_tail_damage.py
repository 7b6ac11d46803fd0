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
