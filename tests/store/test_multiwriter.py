"""Several writers of one task (store/multiwriter.py, FORMAT.md "Several writers of one task")."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from ringlog.store import Store
from ringlog.store.errors import MediaNotFoundError, StoreValueError, TaskLockedError
from ringlog.store.fsck import fsck
from ringlog.store.multiwriter import NS_DIR, check_label, open_shared, open_writer
from ringlog.store.namespaces import media_base


def _two(root):
    st = Store(root)
    w0, first0 = open_shared(st, "p", "n", "t1", "rank0")
    w1, first1 = open_shared(st, "p", "n", "t1", "rank1")
    return st, w0, w1, first0, first1


def test_first_process_owns_the_task_others_get_namespaces(store_root):
    st, w0, w1, first0, first1 = _two(store_root)
    assert (first0, first1) == (True, False)
    assert w1.path == st.task("t1").path / NS_DIR / "rank1"
    t = time.time()
    for w, off in ((w0, 0), (w1, 100)):
        w.append(w.series_id("loss"), np.arange(3) + off, np.arange(3) + off * 1.0, t + np.arange(3))
        w.append(w.series_id(f"only{off}"), np.arange(70_000), np.arange(70_000) * 0.5, t)
        w.sync()
    r = st.task("t1")
    assert r.series() == [("loss", "loss"), ("only0", "only0"), ("only100", "only100")]
    # a key of several writers: one series, every point, ordered by step
    assert r.scalar("loss").step.tolist() == [0, 1, 2, 100, 101, 102]
    assert r.count("loss") == 6
    merged = [k for k in st.cache._d if k[0] == "merged"]
    assert len(merged) == 1  # merged once, then read from the store's cache by later readers
    assert st.task("t1").scalar("loss").step.tolist() == [0, 1, 2, 100, 101, 102]
    assert [k for k in st.cache._d if k[0] == "merged"] == merged
    d = r.decimate("loss", points=4)
    assert d.y.tolist() == [0.0, 2.0, 100.0, 102.0] or set(d.y.tolist()) <= {0, 1, 2, 100, 101, 102}
    # a key of one namespace reads through that namespace's own series (pyramid included)
    assert r.count("only100") == 70_000
    assert r.decimate("only100", points=100).level >= 1
    m = r.last_metrics()[("loss", "loss")]
    assert (m["count"], m["min"], m["max"], m["last_step"]) == (6, 0.0, 102.0, 102)
    assert r.info["writers"] == {"rank1": "running"}
    w1.close()
    w0.close()
    assert [x["id"] for x in st.tasks()] == ["t1"]  # one task, one catalog row
    assert st.task("t1").info["writers"] == {"rank1": "completed"}


def test_a_label_in_use_is_refused_and_a_bad_label_named(store_root):
    st, w0, w1, _, _ = _two(store_root)
    with pytest.raises(TaskLockedError):
        open_writer(st, "t1", "rank1", wait=0.1)
    with pytest.raises(StoreValueError, match="label"):
        check_label("../x")
    w1.close()
    again = open_writer(st, "t1", "rank1")  # reopened: its series continue
    again.close()
    w0.close()


def test_console_and_plots_of_all_writers_merge_by_time(store_root):
    st, w0, w1, _, _ = _two(store_root)
    t = time.time()
    w0.media.add_console([(t, "stdout", "info", "a"), (t + 2, "stdout", "info", "c")])
    w1.media.add_console([(t + 1, "stdout", "info", "b")])
    w1.media.add_plot("conf", "val", 3, {"data": []})
    w0.media.add_plot("conf", "val", 1, {"data": []})
    w1.close()
    w0.close()
    recs = st.task("t1").console()
    assert [r["text"] for r in recs] == ["a", "b", "c"]
    assert [r["source"] for r in recs] == ["rank0", "rank1", "rank0"]
    plots = st.task("t1").plots(title="conf")  # plots too, by time, with their writer
    assert [(p["iteration"], p["source"]) for p in plots] == [(3, "rank1"), (1, "rank0")]


def test_debug_samples_of_all_writers_merge_and_each_file_is_served(store_root):
    st, w0, w1, _, _ = _two(store_root)
    w0.media.add_media("img", "x", 0, b"rank0-png", ext="png")
    w1.media.add_media("img", "x", 1, b"rank1-png", ext="png")  # id 0 again, in its own namespace
    w1.media.add_media("img", "y", 1, b"only-rank1", ext="png")
    w1.close()
    w0.close()
    r = st.task("t1")
    recs = r.media_records(title="img")
    assert [(x.series, x.iteration, x.source) for x in recs] == [("x", 0, "rank0"), ("x", 1, "rank1"),
                                                                ("y", 1, "rank1")]
    assert [x.id for x in recs] == [0, media_base("rank1"), media_base("rank1") + 1]  # unique once merged
    assert 2 ** 32 <= media_base("rank1") < 2 ** 53  # exact in a browser's numbers
    assert [r.media_file(x).read_bytes() for x in recs] == [b"rank0-png", b"rank1-png", b"only-rank1"]
    assert [st.task("t1").media_file(x.id).read_bytes() for x in recs] == [b"rank0-png", b"rank1-png", b"only-rank1"]
    assert [m["source"] for m in r.media(title="img", series="x")] == ["rank0", "rank1"]
    with pytest.raises(MediaNotFoundError):
        r.media_file(recs[1].id + 7)  # an id no writer keeps


_CHILD = """
import sys, time, numpy as np
from ringlog.store import Store
from ringlog.store.multiwriter import open_writer
w = open_writer(Store(sys.argv[1]), "t1", sys.argv[2])
sid = w.series_id("loss")
i = 0
while True:
    w.append(sid, np.arange(i, i + 100), np.ones(100), time.time())
    i += 100
    if i == 1000:
        w.sync()
        print("synced", flush=True)
"""


def test_kill_9_of_one_writer_loses_only_its_unsynced_points(store_root):
    st = Store(store_root)
    w0, _ = open_shared(st, "p", "n", "t1", "rank0")
    p = subprocess.Popen([sys.executable, "-c", _CHILD, str(store_root), "rank1"], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "synced"
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    p.stdout.close()
    sid = w0.series_id("loss")
    w0.append(sid, np.arange(5), np.zeros(5), time.time())  # the other writer goes on
    w0.sync()
    r = st.task("t1")
    assert r.info["writers"] == {"rank1": "crashed"}
    assert r.count("loss") == 5 + 1000  # the dead writer's synced points, all of them
    w0.close()
    rep = fsck(store_root, repair=True)  # namespaces are checked and repaired like tasks
    assert rep.exit_code() == 1, rep.text()
    assert any("w/rank1" in f.file and f.repaired for f in rep.findings)
    assert Store(store_root).task("t1").info["writers"] == {"rank1": "crashed"}
    w1 = open_writer(st, "t1", "rank1")  # the label restarts: its namespace is repaired and continued
    w1.append(w1.series_id("loss"), np.arange(1000, 1003), np.ones(3), time.time())
    w1.close()
    assert Store(store_root).task("t1").count("loss") == 1008


@pytest.mark.parametrize("method", ["m4", "minmax", "lttb"])
def test_merged_series_decimates_on_its_range_as_the_exact_sorting_path_does(store_root, method):
    from ringlog.store import query

    st, w0, w1, _, _ = _two(store_root)
    rng = np.random.default_rng(7)
    t = time.time()
    for w, steps in ((w0, np.arange(0, 40_000, 2)), (w1, np.arange(1, 40_000, 2))):  # interleaved steps
        v = rng.normal(size=len(steps)).cumsum()
        v[rng.integers(0, len(v), 20)] = np.nan
        w.append(w.series_id("loss"), steps, v, t + steps * 1e-3)
    w1.close()
    w0.close()
    r = st.task("t1")
    sr = r._series_reader("loss", "loss")
    assert sr.in_memory and r.count("loss") == 40_000
    for lo, hi in ((None, None), (1_234, 30_001), (5, 900)):
        got = r.decimate("loss", points=300, method=method, x_min=lo, x_max=hi)
        axis = query._Axis("step", float(r._meta.get("time_origin", 0.0)), 0.0)
        ref = query._unsorted(sr, axis, lo, hi, 300, method)  # sorts all points: the old path
        assert got.raw_count == ref.raw_count
        if method != "lttb":  # lttb picks by triangle areas over the same points: same points either way
            assert set(zip(got.x.tolist(), np.nan_to_num(got.y).tolist())) == \
                set(zip(ref.x.tolist(), np.nan_to_num(ref.y).tolist()))
        else:
            assert got.x.tolist() == ref.x.tolist()
        assert sorted(got.nonfinite_x.tolist()) == sorted(ref.nonfinite_x.tolist())
