"""Write then read: every point comes back exactly (time at 1 ms), from chunks and tail alike."""

from __future__ import annotations

import json

import numpy as np
import pytest
import zarr

from ringlog.store import SeriesNotFoundError, Store, StoreValueError, TaskClosedError, TaskNotFoundError
from ringlog.store.layout import CHUNK

from .conftest import make_series


def _write(w, sid, step, v, t, sizes, sync_every=1):
    a = 0
    k = 0
    while a < len(step):
        b = a + sizes[k % len(sizes)]
        w.append(sid, step[a:b], v[a:b], t[a:b])
        k += 1
        if k % sync_every == 0:
            w.sync()
        a = b


def _check(r, title, series, step, v, t):
    s = r.scalar(title, series)
    assert s.step.dtype == np.int64 and s.value.dtype == np.float64 and s.time.dtype == np.float64
    np.testing.assert_array_equal(s.step, step)
    np.testing.assert_array_equal(s.value, v)
    assert np.max(np.abs(s.time - t)) <= 0.0005 + 1e-6


@pytest.mark.parametrize("sizes", [[1000], [1, 7, 65535, 3], [CHUNK * 2 + 11]])
def test_round_trip_chunks_and_tail(store, sizes):
    n = 2 * CHUNK + 12345
    step, v, t = make_series(n, specials=20)
    w = store.create_task(project="p", name="rt")
    sid = w.series_id("train/loss")
    _write(w, sid, step, v, t, sizes)
    r = store.task(w.id)  # live: most points in chunks, the rest in the tail
    _check(r, "train/loss", None, step, v, t)
    w.close()
    r = store.task(w.id)
    _check(r, "train/loss", "train/loss", step, v, t)
    s = r.scalar("train/loss", start=CHUNK - 5, stop=CHUNK + 5)
    np.testing.assert_array_equal(s.step, step[CHUNK - 5:CHUNK + 5])
    s = r.scalar("train/loss", start=-3)
    np.testing.assert_array_equal(s.value, v[-3:])
    assert r.count("train/loss") == n


def test_series_ids_stable_and_listed(store):
    w = store.create_task(project="p", name="ids")
    a = w.series_id("loss", "train")
    b = w.series_id("loss", "val")
    assert w.series_id("loss", "train") == a != b
    assert w.series_id("acc") == w.series_id("acc", "acc")
    for sid in (a, b):
        w.append(sid, [1, 2], [0.5, 0.25], [1.7e9, 1.7e9 + 1])
    w.close()
    r = store.task(w.id)
    assert r.series() == [("acc", "acc"), ("loss", "train"), ("loss", "val")]
    assert len(r.scalar("acc")) == 0
    with pytest.raises(SeriesNotFoundError, match="title='nope'"):
        r.scalar("nope")


def test_float32_then_float64_migration(store):
    n = CHUNK + 500
    step, v, t = make_series(n)
    w = store.create_task(project="p", name="mig")
    sid = w.series_id("x")
    w.append(sid, step[:n - 10], v[:n - 10], t[:n - 10])
    w.sync()
    idx = json.loads((w.path / "series.json").read_text())["series"][0]
    assert idx["dtype"] == "f4"
    v = v.copy()
    v[n - 5] = 0.1  # not a float32
    w.append(sid, step[n - 10:], v[n - 10:], t[n - 10:])
    w.close()
    idx = json.loads((w.path / "series.json").read_text())["series"][0]
    assert idx["dtype"] == "f8"
    assert not (w.path / "s0" / "value").exists()
    _check(store.task(w.id), "x", None, step, v, t)


def test_float64_on_request(store):
    w = store.create_task(project="p", name="f64")
    sid = w.series_id("x", float64=True)
    w.append(sid, [0, 1], [1.0, 2.0], 1.7e9)
    w.close()
    assert json.loads((w.path / "series.json").read_text())["series"][0]["dtype"] == "f8"


def test_zarr_python_reads_the_arrays(store):
    n = CHUNK * 2 + 7
    step, v, t = make_series(n)
    w = store.create_task(project="p", name="zarr")
    sid = w.series_id("loss")
    w.append(sid, step, v, t)
    w.close()
    g = zarr.open_group(w.path, mode="r")
    assert g.attrs["id"] == w.id and g.attrs["status"] == "completed"
    # closed: the last partial chunk went into Zarr too, and the tail file is gone
    assert not (w.path / "s0" / "tail.bin").exists()
    np.testing.assert_array_equal(zarr.open_array(w.path / "s0" / "step", mode="r")[:], step)
    np.testing.assert_array_equal(zarr.open_array(w.path / "s0" / "value", mode="r")[:], v)
    tz = zarr.open_array(w.path / "s0" / "time", mode="r")[:]
    origin = g.attrs["time_origin"]
    assert np.max(np.abs(tz / 1000 + origin - t)) < 0.0006
    s = store.task(w.id).scalar("loss", start=2 * CHUNK - 3)
    np.testing.assert_array_equal(s.step, step[2 * CHUNK - 3:])
    lv = zarr.open_array(w.path / "s0" / "L1", mode="r")
    assert lv.shape == (20, n // 256)


def test_meta_info_and_last_metrics(store):
    w = store.create_task(project="proj", name="meta", tags=("a", "b"))
    sid = w.series_id("loss")
    w.append(sid, [0, 1, 2], [3.0, np.nan, 1.0], 1.7e9)
    w.set_meta(config={"lr": 0.1}, summary={"loss": 1.0}, env={"host": "h"}, command="train.py")
    w.close(status="failed")
    r = store.task(w.id)
    info = r.info
    assert (info["name"], info["project"], info["status"], info["tags"]) == ("meta", "proj", "failed", ["a", "b"])
    assert info["config"] == {"lr": 0.1} and info["env"] == {"host": "h"} and info["command"] == "train.py"
    assert r.summary == {"loss": 1.0} and info["updated"] >= info["created"]
    m = r.last_metrics()[("loss", "loss")]
    assert m == {"last": 1.0, "min": 1.0, "max": 3.0, "count": 3, "last_step": 2}


def test_series_stats_are_the_written_points_figures_and_what_series_json_keeps(store):
    """The writer computes a series' figures once, while writing; series_stats() is that object."""
    w = store.create_task(project="proj", name="stats")
    sid = w.series_id("loss")
    live = w.series_stats(sid)
    step, v, t = make_series(CHUNK + 1000, specials=30)
    v[-1] = 0.25  # a finite last value: series.json's copy compares equal
    _write(w, sid, step, v, t, [1, 999, CHUNK])
    assert w.series_stats(sid) is live
    fin = v[np.isfinite(v)]
    assert (live.count, live.finite, live.last_step) == (len(v), len(fin), int(step[-1]))
    assert live.summary("min") == fin.min() and live.summary("max") == fin.max()
    assert live.summary("mean") == pytest.approx(fin.mean())
    assert np.array_equal([live.summary("first"), live.summary("last")], [v[0], v[-1]], equal_nan=True)
    w.close()
    m = store.task(w.id).last_metrics()[("loss", "loss")]
    assert m == {"last": live.last, "min": live.min, "max": live.max, "count": len(v), "last_step": int(step[-1])}
    with pytest.raises(StoreValueError, match="sid"):
        w.series_stats(sid + 1)


def test_bad_input_is_named(store):
    w = store.create_task(project="p", name="bad")
    sid = w.series_id("x")
    with pytest.raises(StoreValueError, match="value: must be 1-D with len"):
        w.append(sid, [1, 2], [1.0], 0.0)
    with pytest.raises(TypeError, match="step: must hold integers"):
        w.append(sid, [1.5], [1.0], 0.0)
    with pytest.raises(StoreValueError, match="sid: must be an id"):
        w.append(99, [1], [1.0], 0.0)
    with pytest.raises(StoreValueError, match="status: must be one of"):
        w.set_meta(status="done")
    with pytest.raises(StoreValueError, match="title: must be a non-empty str"):
        w.series_id("")
    with pytest.raises(StoreValueError, match="task_id"):
        store.create_task(project="p", name="n", task_id="../x")
    with pytest.raises(StoreValueError, match="already exists"):
        store.create_task(project="p", name="n", task_id=w.id)
    w.close()
    with pytest.raises(TaskClosedError):
        w.append(sid, [1], [1.0], 0.0)
    with pytest.raises(TaskNotFoundError):
        store.task("0" * 32)
    with pytest.raises(KeyError):
        store.task("0" * 32)


def test_empty_root_creates_nothing(tmp_path):
    st = Store(tmp_path / "none")
    assert st.tasks() == [] and st.projects() == []
    assert not (tmp_path / "none").exists()


def test_io_error_mid_append_leaves_a_consistent_writer(store, monkeypatch):
    from ringlog.core import pyramid as pyr
    from ringlog.store import layout, shards
    from ringlog.store.errors import StoreWriteError

    monkeypatch.setattr(layout, "SHARD", 2)  # the failing chunk completes a shard: the retry must redo it
    n = 3 * CHUNK + 100
    step, v, t = make_series(n, specials=10)
    w = store.create_task(project="p", name="ioerr", created=1.7e9)
    sid = w.series_id("y")
    real = shards.ShardWriter.append
    calls = {"n": 0}

    def flaky(self, c, blob):
        if self.folder.name == "value" and c == 1:  # the second raw chunk's value array
            calls["n"] += 1
            raise OSError(28, "No space left on device")
        return real(self, c, blob)

    monkeypatch.setattr(shards.ShardWriter, "append", flaky)
    m = 2 * CHUNK + 10
    w.append(sid, step[:m], v[:m], t[:m])  # every point taken; the failed chunk stays pending
    with pytest.raises(StoreWriteError, match="No space") as err:  # the error surfaces at the sync, typed
        w.sync()
    assert err.value.errno == 28
    monkeypatch.setattr(shards.ShardWriter, "append", real)
    assert calls["n"] == 2  # retried at the sync
    w.sync()
    assert store.task(w.id).count("y") == m
    w.append(sid, step[m:], v[m:], t[m:])
    w.close()
    r = store.task(w.id)
    _check(r, "y", None, step, v, t)
    sr = r._series_reader("y", None)
    got = sr.records(1, 0, sr.complete(1))
    ref = pyr.ref_raw_records(step, v, sr.raw("time", 0, n), np.arange(n // 256 + 1) * 256)
    keep = np.arange(pyr.NF) != pyr.SUM
    np.testing.assert_array_equal(got[keep], ref[keep])


def test_undelta_seconds_matches_numpy():
    from ringlog.core import pyramid as pyr

    rng = np.random.default_rng(1)
    d = rng.integers(0, 5000, 1000).astype(np.int64)
    for k, m in ((0, 1000), (10, 5), (999, 1), (3, 0)):
        out = np.empty(m)
        pyr.undelta_seconds(d, k, m, 1.7e9, 1e-3, out)
        np.testing.assert_array_equal(out, 1.7e9 + np.cumsum(d)[k:k + m] * 1e-3)
