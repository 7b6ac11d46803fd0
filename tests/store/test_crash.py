"""Crash consistency: a torn tail record or a killed writer never makes a task unreadable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np

from ringlog.store import Store
from ringlog.store import tail as tailmod

from .conftest import make_series


def _task_with_tail(store, n=1000, syncs=4):
    step, v, t = make_series(n)
    w = store.create_task(project="p", name="crash")
    sid = w.series_id("loss")
    for part in np.array_split(np.arange(n), syncs):
        w.append(sid, step[part], v[part], t[part])
        w.sync()
    return w, step, v


def test_truncated_tail_record_is_ignored(store):
    w, step, v = _task_with_tail(store)
    path = w.path / "s0" / "tail.bin"
    data = path.read_bytes()
    spans = tailmod.record_spans(data)  # records are compressed: sizes vary
    assert len(spans) == 4 and spans[-1][1] == len(data)
    last = spans[3][0]
    for cut in (len(data) - 1, last + 5, last + tailmod.HEADER.size + 10):
        path.write_bytes(data[:cut])
        s = Store(store.root).task(w.id).scalar("loss")
        np.testing.assert_array_equal(s.step, step[:750])
        np.testing.assert_array_equal(s.value, v[:750])


def test_corrupt_tail_payload_stops_at_bad_crc(store):
    w, step, _ = _task_with_tail(store)
    path = w.path / "s0" / "tail.bin"
    data = bytearray(path.read_bytes())
    data[tailmod.record_spans(bytes(data))[2][1] - 3] ^= 0xFF  # inside the third record's payload
    path.write_bytes(bytes(data))
    r = Store(store.root).task(w.id)
    np.testing.assert_array_equal(r.scalar("loss").step, step[:500])
    assert r.decimate("loss", points=100).raw_count == 500


def test_stale_records_below_the_chunk_count_are_skipped():
    step = np.arange(10, dtype=np.int64)
    v = step.astype(np.float64)
    data = tailmod.encode_record(0, step[:6], v[:6], step[:6]) + tailmod.encode_record(6, step[6:], v[6:], step[6:])
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "tail.bin"
        p.write_bytes(data)
        s, val, t = tailmod.read(p, 4)
        np.testing.assert_array_equal(s, step[4:])
        assert tailmod.read(p, 12) is None or len(tailmod.read(p, 12)[0]) == 0


SCRIPT = textwrap.dedent("""
    import sys, numpy as np
    from ringlog.store import Store, layout
    layout.SHARD = 2  # shards of 2 chunks: by 200,000 points one is complete and the next open
    st = Store(sys.argv[1])
    w = st.create_task(project="p", name="killed", task_id="killme")
    sid = w.series_id("loss")
    i = 0
    while True:
        n = 5000
        step = np.arange(i, i + n, dtype=np.int64)
        w.append(sid, step, np.sin(step * 0.001).astype(np.float32).astype(np.float64), 1.7e9 + step * 0.001)
        w.sync()
        i += n
        print(i, flush=True)
""")


def test_kill_9_keeps_everything_synced(tmp_path):
    root = tmp_path / "root"
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(root)], stdout=subprocess.PIPE, text=True)
    synced = 0
    try:
        for line in proc.stdout:
            synced = int(line)
            if synced >= 200_000:  # past three whole chunks: chunks, tail rewrites and appends all happened
                break
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()
    assert synced >= 200_000
    r = Store(root).task("killme")
    s = r.scalar("loss")
    assert len(s) >= synced
    np.testing.assert_array_equal(s.step, np.arange(len(s)))
    np.testing.assert_array_equal(s.value, np.sin(s.step * 0.001).astype(np.float32).astype(np.float64))
    assert r.info["status"] == "crashed"  # the writer is gone (store/writer_lock.py)
    d = r.decimate("loss", points=500)
    assert d.raw_count == len(s) and d.level >= 1


def test_tail_appends_across_chunk_moves_then_compacts(store, monkeypatch):
    """After chunks move to Zarr the tail gets a record from the new boundary (older records are
    skipped by readers); past TAIL_COMPACT bytes it is rewritten with the pending points only."""
    from ringlog.store import series_tail

    monkeypatch.setattr(series_tail, "TAIL_COMPACT", 200_000)  # records are compressed (~5 B/point)
    n = 4 * 65536 + 3000
    step, v, t = make_series(n)
    w = store.create_task(project="p", name="tails", created=1.7e9)
    sid = w.series_id("loss")
    path = w.path / "s0" / "tail.bin"
    sizes = []
    for part in np.array_split(np.arange(n), 23):
        w.append(sid, step[part], v[part], t[part])
        w.sync()
        sizes.append(path.stat().st_size if path.exists() else 0)
        s = Store(store.root).task(w.id).scalar("loss")
        np.testing.assert_array_equal(s.step, step[: part[-1] + 1])
        np.testing.assert_array_equal(s.value, v[: part[-1] + 1])
    assert max(sizes) <= 200_000 + 24 * 65536
    assert any(b < a for a, b in zip(sizes, sizes[1:]))  # compacted at least once
    w.close()
    assert not path.exists()
