"""Schema 2 (sharded raw arrays): zarr-python reads them, running readers see open shards,
a float64 migration crosses shards, and schema-1 tasks (a file per chunk) still read."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import zarr

from ringlog.store import Store, codecs, layout
from ringlog.store.layout import CHUNK

from .conftest import make_series


@pytest.fixture
def small_shards(monkeypatch):
    monkeypatch.setattr(layout, "SHARD", 2)


def _zarr_check(path, step, v, t, origin):
    np.testing.assert_array_equal(zarr.open_array(path / "step", mode="r")[:], step)
    np.testing.assert_array_equal(zarr.open_array(path / "value", mode="r")[:], v)
    tz = zarr.open_array(path / "time", mode="r")[:]
    assert np.max(np.abs(tz / 1000 + origin - t)) < 0.0006


def test_zarr_reads_complete_shards_while_running_and_all_at_close(store, small_shards):
    n = 5 * CHUNK + 123  # shards 0, 1 complete; shard 2 open (one chunk) + a tail
    step, v, t = make_series(n)
    w = store.create_task(project="p", name="sh", created=1.7e9)
    sid = w.series_id("loss")
    w.append(sid, step, v, t)
    w.sync()
    entry = json.loads((w.path / "series.json").read_text())["series"][0]
    assert entry["shard"] == 2 and entry["chunks"] == 5 and len(entry["open"]["step"]) == 1
    assert sorted(p.name for p in (w.path / "s0" / "step" / "c").iterdir()) == ["0", "1", "2"]
    m = 4 * CHUNK  # zarr.json covers the complete shards only
    _zarr_check(w.path / "s0", step[:m], v[:m], t[:m], 1.7e9)
    s = Store(store.root).task(w.id).scalar("loss")  # the open shard via series.json, the rest via the tail
    np.testing.assert_array_equal(s.step, step)
    np.testing.assert_array_equal(s.value, v)
    w.close()
    _zarr_check(w.path / "s0", step, v, t, 1.7e9)
    meta = json.loads((w.path / "s0" / "value" / "zarr.json").read_text())
    assert meta["codecs"][0]["name"] == "sharding_indexed"
    r = Store(store.root).task(w.id)
    np.testing.assert_array_equal(r.scalar("loss", start=CHUNK * 3 - 5, stop=CHUNK * 5 + 9).step,
                                  step[CHUNK * 3 - 5:CHUNK * 5 + 9])


def test_float64_migration_rewrites_every_shard(store, small_shards):
    n = 3 * CHUNK + 50
    step, v, t = make_series(n)
    w = store.create_task(project="p", name="mig", created=1.7e9)
    sid = w.series_id("y")
    w.append(sid, step, v, t)
    w.sync()
    v2 = np.array([0.1, 0.2])  # not float32-exact: the series moves to value64/
    w.append(sid, [10**7, 10**7 + 1], v2, [t[-1] + 1, t[-1] + 2])
    w.close()
    assert not (w.path / "s0" / "value").exists()
    vz = zarr.open_array(w.path / "s0" / "value64", mode="r")[:]
    np.testing.assert_array_equal(vz, np.r_[v, v2])
    np.testing.assert_array_equal(Store(store.root).task(w.id).scalar("y").value, np.r_[v, v2])


def _to_schema_1(sdir):
    """Rewrite a closed schema-2 series as schema 1: one file per chunk, unsharded zarr.json."""
    for name, spec in (("step", codecs.STEP), ("value", codecs.VALUE_F4), ("time", codecs.TIME)):
        a = zarr.open_array(sdir / name, mode="r")[:]
        shutil.rmtree(sdir / name)
        for c in range(-(-len(a) // CHUNK)):
            part = a[c * CHUNK:(c + 1) * CHUNK]
            if len(part) < CHUNK:
                part = np.r_[part, np.zeros(CHUNK - len(part), part.dtype)]
            codecs.write_chunk(sdir / name, codecs.encode(spec, part), c)
        codecs.write_array_meta(sdir / name, spec, [len(a)], [CHUNK])


def test_schema_1_tasks_still_read(store, small_shards):
    n = 3 * CHUNK + 77
    step, v, t = make_series(n)
    w = store.create_task(project="p", name="old", created=1.7e9)
    w.append(w.series_id("loss"), step, v, t)
    w.close()
    _to_schema_1(w.path / "s0")
    idx = json.loads((w.path / "series.json").read_text())
    idx["format"] = 1
    for e in idx["series"]:
        e.pop("shard")
    (w.path / "series.json").write_text(json.dumps(idx))
    assert (w.path / "s0" / "step" / "c" / "3").exists()
    r = Store(store.root).task(w.id)
    s = r.scalar("loss")
    np.testing.assert_array_equal(s.step, step)
    np.testing.assert_array_equal(s.value, v)
    assert np.max(np.abs(s.time - t)) < 0.0006
    d = r.decimate("loss", points=100)
    assert d.raw_count == n
    _zarr_check(w.path / "s0", step, v, t, 1.7e9)


def test_bytes_past_what_series_json_vouches_for_are_ignored(store, small_shards):
    """A crash after appending to an open shard (before series.json named the chunk) leaves
    bytes a reader must not trust; here they are garbage, and a half-written index too."""
    n = 3 * CHUNK + 10  # shard 1 open with one chunk
    step, v, t = make_series(n)
    w = store.create_task(project="p", name="torn", created=1.7e9)
    sid = w.series_id("loss")
    w.append(sid, step, v, t)
    w.sync()
    for name in ("step", "value", "time"):
        with open(w.path / "s0" / name / "c" / "1", "ab") as f:
            f.write(b"\xff" * 300)
    s = Store(store.root).task(w.id).scalar("loss")
    np.testing.assert_array_equal(s.step, step)
    np.testing.assert_array_equal(s.value, v)
    assert np.max(np.abs(s.time - t)) < 0.0006
