"""Many short series (per-layer metrics): no Zarr arrays until a whole chunk, the shared tail file
(tails.bin) is their storage."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import zarr

from ringlog.store import Store
from ringlog.store.layout import CHUNK

N_SERIES = 2000


def _points(i: int, k: int):
    """Point k of series i: steps k, values i + k / 8 (float32-exact except series divisible by 7)."""
    v = i + k / 8 + (0.1 if i % 7 == 0 else 0.0)
    return k, v, 1.7e9 + k * 0.25


def _log_rounds(w, sids, rounds):
    for k in rounds:
        for i, sid in enumerate(sids):
            s, v, t = _points(i, k)
            w.append(sid, [s], [v], t)
        w.sync()


def _check(reader, n_points, at_least=False):
    """Series read back exactly: ``n_points`` each (``at_least``: each its own count, >= n_points)."""
    for i in range(0, N_SERIES, 97):
        s = reader.scalar(f"layer{i}/grad_norm")
        assert len(s) >= n_points if at_least else len(s) == n_points
        exp = [_points(i, k) for k in range(len(s))]
        np.testing.assert_array_equal(s.step, [e[0] for e in exp])
        np.testing.assert_array_equal(s.value, [e[1] for e in exp])
        assert np.max(np.abs(s.time - np.array([e[2] for e in exp]))) < 0.0006


def test_short_series_round_trip_after_close_without_zarr_chunks(store):
    w = store.create_task(project="p", name="many", created=1.7e9)
    sids = [w.series_id(f"layer{i}/grad_norm") for i in range(N_SERIES)]
    _log_rounds(w, sids, range(3))
    _log_rounds(w, sids, range(3, 5))
    w.close()
    entries = json.loads((w.path / "series.json").read_text())["series"]
    assert len(entries) == N_SERIES
    assert all(e["tail"] and e["count"] == 5 and e["chunks"] == 0 for e in entries)
    assert entries[7]["dtype"] == "f8" and entries[1]["dtype"] == "f4"
    for i in (0, 1, 7, N_SERIES - 1):  # no arrays, no chunk, no level file, no folder at all
        assert not (w.path / f"s{i}").exists()
    assert (w.path / "tails.bin").stat().st_size < 2 * N_SERIES * (24 + 5 * 24)  # one shared file holds them
    r = Store(store.root).task(w.id)
    assert r.info["status"] == "completed"
    _check(r, 5)
    d = r.decimate("layer3/grad_norm", points=4)
    assert d.level == 0 and d.raw_count == 5
    assert np.min(d.band_min) == 3.0 and np.max(d.band_max) == 3.5


def test_short_series_that_grows_past_a_chunk_gets_zarr_arrays(store):
    w = store.create_task(project="p", name="grow", created=1.7e9)
    a, b = w.series_id("grows"), w.series_id("stays")
    w.append(a, [0, 1], [0.5, 1.5], 1.7e9)
    w.append(b, [0], [0.1], 1.7e9)  # not float32-exact while short: dtype moves without any array
    w.sync()
    assert not (w.path / "s0" / "step").exists()
    n = CHUNK + 10
    step = np.arange(2, n, dtype=np.int64)
    w.append(a, step, step * 0.5, 1.7e9 + step * 0.001)
    w.close()
    full = np.r_[0.5, 1.5, step * 0.5]
    np.testing.assert_array_equal(zarr.open_array(w.path / "s0" / "value", mode="r")[:], full)
    assert not (w.path / "s1").exists()
    r = Store(store.root).task(w.id)
    np.testing.assert_array_equal(r.scalar("grows").value, full)
    np.testing.assert_array_equal(r.scalar("stays").value, [0.1])


def test_crash_while_closing_keeps_every_point(store, monkeypatch):
    """close() completes the tails before series.json says closed: a crash in between reads as running."""
    w = store.create_task(project="p", name="closecrash", created=1.7e9)
    sids = [w.series_id(f"layer{i}/grad_norm") for i in range(N_SERIES)]
    _log_rounds(w, sids, range(2))
    for i, sid in enumerate(sids):
        s, v, t = _points(i, 2)
        w.append(sid, [s], [v], t)

    def crash():
        raise OSError("simulated crash")

    monkeypatch.setattr(w, "_write_index", crash)
    with pytest.raises(OSError, match="simulated"):
        w.close()
    r = Store(store.root).task(w.id)
    assert r.info["status"] == "running"
    _check(r, 3)


SCRIPT = textwrap.dedent("""
    import sys
    from ringlog.store import Store
    sys.path.insert(0, sys.argv[2])
    from test_many_short import N_SERIES, _points
    w = Store(sys.argv[1]).create_task(project="p", name="killed", task_id="killme", created=1.7e9)
    sids = [w.series_id(f"layer{i}/grad_norm") for i in range(N_SERIES)]
    k = 0
    while True:
        for i, sid in enumerate(sids):
            s, v, t = _points(i, k)
            w.append(sid, [s], [v], t)
        w.sync()
        k += 1
        print(k, flush=True)
""")


def test_kill_9_keeps_every_synced_point_of_many_short_series(tmp_path):
    root = tmp_path / "root"
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(root), os.path.dirname(__file__)],
                            stdout=subprocess.PIPE, text=True)
    synced = 0
    try:
        for line in proc.stdout:
            synced = int(line)
            if synced >= 3:
                break
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()
    assert synced >= 3
    r = Store(root).task("killme")
    assert r.info["status"] == "crashed"  # the writer is gone (store/writer_lock.py)
    _check(r, synced, at_least=True)  # a sync cut by the kill may have reached some tails only


def test_shared_tail_is_rewritten_and_a_stale_reader_retries(store, monkeypatch):
    """Records of series that got a whole chunk are dead in the shared file; past its size limit it is
    rewritten with the short series only, and a reader whose series.json still calls such a series
    short (it left the file) re-reads series.json."""
    from ringlog.store import writer

    monkeypatch.setattr(writer, "TAIL_COMPACT", 20_000)
    w = store.create_task(project="p", name="compact", created=1.7e9)
    sids = [w.series_id(f"s{i}") for i in range(40)]
    path = w.path / "tails.bin"

    def rounds(ks, skip=()):
        sizes = []
        for k in ks:
            for i, sid in enumerate(sids):
                if i not in skip:
                    w.append(sid, [k], [i + k / 4], 1.7e9 + k)
            w.sync()
            sizes.append(path.stat().st_size)
        return sizes

    before = rounds(range(10))
    stale = Store(store.root).task(w.id)  # series.json: every series short
    big = np.arange(10, 10 + CHUNK, dtype=np.int64)
    for i in range(3, 13):  # ten series get a whole chunk: their shared records are dead
        w.append(sids[i], big, big / 4 + i, 1.7e9 + big)
    sizes = before[-1:] + rounds(range(10, 40), skip=range(3, 13))
    assert any(b < a for a, b in zip(sizes, sizes[1:]))  # rewritten at least once
    assert max(sizes) <= 20_000 + 2 * 40 * (24 + 24 * 40)
    s = stale.scalar("s3")
    np.testing.assert_array_equal(s.step, np.r_[np.arange(10), big])
    np.testing.assert_array_equal(s.value, np.r_[3 + np.arange(10) / 4, big / 4 + 3])
    w.close()
    r = Store(store.root).task(w.id)
    for i in (0, 3, 39):
        assert r.count(f"s{i}") == (10 + CHUNK if i == 3 else 40)
    np.testing.assert_array_equal(r.scalar("s39").value, 39 + np.arange(40) / 4)


def test_bad_record_in_the_shared_file_stops_only_its_series(store):
    from ringlog.store import tail as tailmod

    w = store.create_task(project="p", name="crc", created=1.7e9)
    a, b = w.series_id("a"), w.series_id("b")
    for k in range(3):
        w.append(a, [k], [k + 0.5], 1.7e9 + k)
        w.append(b, [k], [k + 1.5], 1.7e9 + k)
        w.sync()
    path = w.path / "tails.bin"
    data = bytearray(path.read_bytes())
    rec = tailmod.SHARED_HEADER.size + 24
    assert len(data) == 6 * rec
    data[2 * rec + tailmod.SHARED_HEADER.size + 3] ^= 0xFF  # series a's second record
    path.write_bytes(bytes(data))
    r = Store(store.root).task(w.id)
    np.testing.assert_array_equal(r.scalar("a").value, [0.5])
    np.testing.assert_array_equal(r.scalar("b").value, [1.5, 2.5, 3.5])
    path.write_bytes(bytes(data[: 5 * rec + 7]))  # a torn last record: that sync's point of b is not there
    np.testing.assert_array_equal(Store(store.root).task(w.id).scalar("b").value, [1.5, 2.5])


def test_series_moves_from_the_shared_file_to_its_own_tail(store, monkeypatch):
    """Past SHARED_MAX pending points a series without a whole chunk gets its own tail.bin (all its
    points from index 0); the shared file drops it at its next rewrite; reads stay exact throughout."""
    from ringlog.store import writer

    monkeypatch.setattr(writer, "TAIL_COMPACT", 2_000)
    w = store.create_task(project="p", name="move", created=1.7e9)
    a, b = w.series_id("a"), w.series_id("b")
    exp = {"a": [], "b": []}
    old = None
    for k in range(40):
        for name, sid, m in (("a", a, 10), ("b", b, 1)):
            st = np.arange(len(exp[name]), len(exp[name]) + m)
            w.append(sid, st, st * 0.25, 1.7e9 + st)
            exp[name] += list(st * 0.25)
        w.sync()
        if k == 5:
            old = Store(store.root).task(w.id)  # a snapshot taken while "a" is in the shared file
        r = Store(store.root).task(w.id)
        for name in "ab":
            np.testing.assert_array_equal(r.scalar(name).value, exp[name])
    assert (w.path / "s0" / "tail.bin").exists() and not (w.path / "s1").exists()
    v = old.scalar("a").value  # series readers are created on first use: they see the files as they are now
    assert len(v) >= 60
    np.testing.assert_array_equal(v, exp["a"][: len(v)])
    w.close()
    entries = json.loads((w.path / "series.json").read_text())["series"]
    assert all(e["tail"] and e["chunks"] == 0 for e in entries)
    r = Store(store.root).task(w.id)
    for name in "ab":
        np.testing.assert_array_equal(r.scalar(name).value, exp[name])
