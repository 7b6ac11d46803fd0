"""ringlog.store.reopen.open_task: a task written in segments, closed or killed between them,
reads exactly like the same points written in one go (issue 16, part 1)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from ringlog.store import Store
from ringlog.store.errors import TaskLockedError, TaskNotFoundError
from ringlog.store.fsck import fsck
from ringlog.store.layout import CHUNK, SHARD
from ringlog.store.reopen import open_task

from .conftest import make_series

# (name, points, float64): short in the shared tail, short in its own tail, whole chunks, a partial
# last chunk, across a shard boundary, float64 values
SERIES = [("tiny", 40, False), ("short", 3000, False), ("whole", 2 * CHUNK, False), ("part", 3 * CHUNK + 123, False),
          ("shard", (SHARD + 1) * CHUNK + 7, False), ("f8", CHUNK + 999, True)]


def _data():
    out = {}
    for i, (name, n, f64) in enumerate(SERIES):
        step, v, t = make_series(n, seed=i, f32=not f64, specials=3)
        out[name] = (step, v, t)
    return out


def _write(w, data, lo_frac, hi_frac):
    for name, (step, v, t) in data.items():
        n = len(step)
        a, b = int(n * lo_frac), int(n * hi_frac)
        sid = w.series_id(name)
        for part in np.array_split(np.arange(a, b), 3):
            if len(part):
                w.append(sid, step[part], v[part], t[part])
        w.sync()


def _same(r1, r2, data):
    for name, (step, v, t) in data.items():
        s1, s2 = r1.scalar(name), r2.scalar(name)
        np.testing.assert_array_equal(s1.step, step)
        np.testing.assert_array_equal(s1.value.view(np.int64), v.view(np.int64))
        np.testing.assert_array_equal(s1.time, s2.time)
        for pts in (50, 700, 5000):
            for x in ("step", "time"):
                d1, d2 = r1.decimate(name, points=pts, x=x), r2.decimate(name, points=pts, x=x)
                for f in ("x", "y"):
                    np.testing.assert_array_equal(getattr(d1, f), getattr(d2, f), err_msg=f"{name} {pts} {x} {f}")
        m1, m2 = r1.last_metrics()[(name, name)], r2.last_metrics()[(name, name)]
        assert m1 == m2 or (np.isnan(m1["last"]) and {k: v for k, v in m1.items() if k != "last"} ==
                            {k: v for k, v in m2.items() if k != "last"})


def test_closed_then_resumed_twice_reads_like_one_writer(tmp_path):
    data = _data()
    ref = Store(tmp_path / "ref", durable=False)
    w = ref.create_task("p", "n", task_id="ref", created=1.7e9)
    _write(w, data, 0, 1)
    w.close()
    st = Store(tmp_path / "seg")
    w = st.create_task("p", "n", task_id="seg", config={"lr": 1}, created=1.7e9)
    _write(w, data, 0, 0.3)
    w.close()
    for lo, hi in ((0.3, 0.55), (0.55, 1)):
        w = open_task(st, "seg")
        assert w.meta["status"] == "running"
        _write(w, data, lo, hi)
        w.close()
    r = Store(tmp_path / "seg").task("seg")
    assert r.info["status"] == "completed" and r.info["config"] == {"lr": 1}
    assert [x["from_status"] for x in r.info["resumes"]] == ["completed", "completed"]
    _same(r, ref.task("ref"), data)
    rep = fsck(tmp_path / "seg")
    assert rep.clean, rep.text()


def test_resumed_without_new_points_is_unchanged(tmp_path, store):
    data = _data()
    w = store.create_task("p", "n", task_id="t")
    _write(w, data, 0, 1)
    w.close()
    open_task(store, "t").close()
    r = Store(store.root).task("t")
    for name, (step, v, _) in data.items():
        np.testing.assert_array_equal(r.scalar(name).step, step)
    assert fsck(store.root).clean


def test_a_live_writer_keeps_the_task(store):
    w = store.create_task("p", "n", task_id="t")
    with pytest.raises(TaskLockedError, match="^task_id: .*open for writing"):
        open_task(store, "t")
    w.close()
    open_task(store, "t").close()
    with pytest.raises(TaskNotFoundError):
        open_task(store, "nope")


_KILLED = textwrap.dedent("""
    import sys, time
    import numpy as np
    from ringlog.store import Store
    st = Store(sys.argv[1])
    w = st.create_task("p", "n", task_id="k")
    sid = w.series_id("loss")
    for name, n in (("tiny", 50), ("mid", 500)):  # short series: in the shared tails.bin, in their own tail.bin
        w.append(w.series_id(name), range(n), [0.25] * n, time.time())
    i = 0
    while True:
        n = 5000
        w.append(sid, np.arange(i, i + n), np.arange(i, i + n) * 0.5, time.time())
        i += n
        w.sync()
        print("SYNCED", i, flush=True)
        if i >= 3 * 65536 + 20000:  # a tail after whole chunks, then points never synced
            w.append(sid, np.arange(i, i + 777), np.zeros(777), time.time())
            print("READY", flush=True)
            time.sleep(60)
""")


def test_resume_after_kill_9(tmp_path):
    root = tmp_path / "root"
    p = subprocess.Popen([sys.executable, "-c", _KILLED, str(root)], stdout=subprocess.PIPE, text=True)
    synced = 0
    for line in p.stdout:
        if line.startswith("SYNCED"):
            synced = int(line.split()[1])
        if line.startswith("READY"):
            break
    os.kill(p.pid, signal.SIGKILL)
    p.wait(10)
    p.stdout.close()
    st = Store(root)
    assert st.task("k").info["status"] == "crashed"
    w = open_task(st, "k")
    resume = w.meta["resumes"][-1]
    assert resume["from_status"] == "crashed" and "crashed_at" in resume
    sid = w.series_id("loss")
    assert w.series_stats(sid).count == synced  # every synced point, none of the unsynced ones
    w.append(sid, np.arange(synced, synced + 100), np.arange(synced, synced + 100) * 0.5, time.time())
    for name, n in (("tiny", 50), ("mid", 500)):
        assert w.series_stats(w.series_id(name)).count == n
        w.append(w.series_id(name), np.arange(n, n + 100), np.full(100, 0.5), time.time())
    w.close()
    r = Store(root).task("k")
    for name, n in (("tiny", 50), ("mid", 500)):
        np.testing.assert_array_equal(r.scalar(name).step, np.arange(n + 100))
        np.testing.assert_array_equal(r.scalar(name).value, [0.25] * n + [0.5] * 100)
    s = r.scalar("loss")
    np.testing.assert_array_equal(s.step, np.arange(synced + 100))
    np.testing.assert_array_equal(s.value, np.arange(synced + 100) * 0.5)
    assert r.info["status"] == "completed"
    assert fsck(root).clean


def test_a_reopen_that_fails_anywhere_leaves_the_points_as_they_were(tmp_path):
    """Each write-path call of a reopen fails once (a short write then ENOSPC, EIO on fsync or
    truncate, ENOSPC on rename): the task reads exactly as before, and a later reopen works."""
    import shutil

    from ringlog.store.faults import FaultPlan

    data = {name: make_series(n, seed=i, f32=not f64) for i, (name, n, f64) in
            enumerate([("tiny", 40, False), ("short", 300, False), ("part", CHUNK + 123, False), ("f8", 999, True)])}
    pristine = tmp_path / "pristine"
    w = Store(pristine).create_task("p", "n", task_id="t", created=1.7e9)
    _write(w, data, 0, 1)
    w.close()
    with FaultPlan(None) as dry:
        open_task(_copy(pristine, tmp_path / "dry"), "t").close()
    assert dry.calls > 10
    for k in range(dry.calls):
        root = _copy(pristine, tmp_path / f"k{k}")
        w = None
        with FaultPlan(k) as plan:
            try:
                w = open_task(root, "t")
                w.close()
            except OSError:
                pass
        assert plan.failed, k
        r = Store(root.root).task("t")
        for name, (step, v, _) in data.items():
            np.testing.assert_array_equal(r.scalar(name).step, step, err_msg=f"call {k} ({plan.failed})")
            np.testing.assert_array_equal(r.scalar(name).value.view(np.int64), v.view(np.int64))
        if w is not None:
            w.close()  # the fault hit the close: closing again finishes it (the writer's contract)
        w = open_task(Store(root.root), "t")
        w.append(w.series_id("tiny"), [10**6], [1.0], 1.7e9 + 10)
        w.close()
        assert Store(root.root).task("t").count("tiny") == 41
        shutil.rmtree(root.root)


def _copy(src, dst):
    import shutil

    shutil.copytree(src, dst)
    (dst / "catalog.sqlite").unlink()  # it holds absolute paths: a copy would resolve to the original's task
    return Store(dst)


def test_one_store_reads_the_resumed_series_not_its_cached_closed_chunk(tmp_path):
    """A reader's chunk cache (shared by a Store's readers, e.g. a viewer's) must not serve a closed
    series' last chunk or last shard index once the task was resumed and that chunk rewritten."""
    st = Store(tmp_path)
    step, v, t = make_series(3 * CHUNK + 100)
    w = st.create_task("p", "n", task_id="t")
    w.append(w.series_id("loss"), step[:CHUNK + 100], v[:CHUNK + 100], t[:CHUNK + 100])
    w.close()
    assert st.task("t").scalar("loss", start=CHUNK).step.tolist() == step[CHUNK:CHUNK + 100].tolist()  # cached
    for a, b in ((CHUNK + 100, 2 * CHUNK + 50), (2 * CHUNK + 50, 3 * CHUNK + 100)):
        w = open_task(st, "t")
        w.append(w.series_id("loss"), step[a:b], v[a:b], t[a:b])
        w.close()
        s = st.task("t").scalar("loss")
        np.testing.assert_array_equal(s.step, step[:b])
        np.testing.assert_array_equal(s.value, v[:b])


def test_torn_tails_are_cut_before_the_series_continue(store):
    """A dead writer's torn tail records (a write cut short by the crash) are cut by the recovery;
    the series continue right after the last whole record, and fsck finds nothing left."""
    step, v, t = make_series(CHUNK + 500)
    w = store.create_task("p", "n", task_id="t")
    w.append(w.series_id("long"), step[:CHUNK + 300], v[:CHUNK + 300], t[:CHUNK + 300])
    w.append(w.series_id("short"), step[:300], v[:300], t[:300])
    w.sync()
    w._lock_file.release()  # the writer is gone without a close
    for f in (w.path / "s0" / "tail.bin", w.path / "s1" / "tail.bin"):
        with open(f, "ab") as fh:
            fh.write(b"RLZ1\x05\x00\x00\x00torn")  # a record header cut short
    assert not fsck(store.root).clean
    w = open_task(store, "t")
    assert any("tail.bin" in x and "cut" in x for x in w.meta["resumes"][-1]["recovered"])
    w.append(0, step[CHUNK + 300:], v[CHUNK + 300:], t[CHUNK + 300:])
    w.append(1, step[300:500], v[300:500], t[300:500])
    w.close()
    r = Store(store.root).task("t")
    np.testing.assert_array_equal(r.scalar("long").step, step)
    np.testing.assert_array_equal(r.scalar("short").value, v[:500])
    assert fsck(store.root).clean
