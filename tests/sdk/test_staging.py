"""Staging and flusher: the full-staging gate (wait counter / raise mode), harvest order and
interpolated wall times, without going through a store where it is not needed."""

from __future__ import annotations

import time

import numpy as np
import pytest

import ringlog
from ringlog import Task
from ringlog.errors import RingFullError
from ringlog._engine.flusher import RETRIES
from ringlog._engine.staging import Staging


def test_harvest_interleaves_bulk_in_log_order_and_interpolates_times():
    st = Staging(limit=1 << 20, t0=100.0)
    buf = st.series("a", "b")
    va, sa = st.fast["a", "b"]
    for i in range(3):
        va(float(i))
        sa(i)
    st.sample(101.0)  # 3 points by t=101
    st.add_bulk(buf, np.array([10, 11]), np.array([0.5, 0.6]), np.array([50.0, 51.0]), 101.0)
    va(3.0)
    sa(3)
    batches = st.harvest(103.0)  # the 4th point by t=103
    assert [len(b.step) for b in batches] == [3, 2, 1]  # staged, bulk (not copied), staged
    assert batches[1].value.tolist() == [0.5, 0.6]
    step, value, tm = (np.concatenate([getattr(b, f) for b in batches]) for f in ("step", "value", "time"))
    assert step.tolist() == [0, 1, 2, 10, 11, 3]
    assert value.tolist() == [0.0, 1.0, 2.0, 0.5, 0.6, 3.0]
    assert tm.tolist() == pytest.approx([100 + 1 / 3, 100 + 2 / 3, 101.0, 50.0, 51.0, 103.0])
    assert st.harvest(104.0) == [] and st.pending() == 0
    va(9.0)
    sa(9)
    (batch,) = st.harvest(105.0)  # the anchor carried over from the previous harvest
    assert batch.step.tolist() == [9] and batch.time.tolist() == [105.0]


def test_half_appended_point_is_left_for_the_next_harvest():
    st = Staging(limit=1 << 20, t0=0.0)
    st.series("a", "a")
    va, sa = st.wfast["a"]
    va(1.0)
    sa(1)
    va(2.0)  # the step of this point is not appended yet (another thread mid-call)
    (batch,) = st.harvest(1.0)
    assert batch.step.tolist() == [1]
    sa(2)
    (batch,) = st.harvest(2.0)
    assert batch.step.tolist() == [2] and batch.value.tolist() == [2.0]


def test_full_staging_closes_the_fast_path_until_harvested():
    st = Staging(limit=1024, t0=0.0)
    st.series("a", "a")
    va, sa = st.wfast["a"]
    for i in range(1024):
        va(1.0)
        sa(i)
    assert st.sample(1.0) == 1024 and st.blocked and not st.fast and not st.wfast
    assert not st.room.is_set()
    st.harvest(2.0)
    st.unblock()
    assert not st.blocked and st.room.is_set() and ("a", "a") in st.fast


def test_wait_mode_counts_waits_and_keeps_every_point(store_root):
    s = ringlog.Settings(flush_interval=30, staging_limit=1024, capture=False, handle_signals=False,
                         clock_period=0.002)
    task = Task.init(project_name="s", task_name="wait", dir=store_root, settings=s)
    lg = task.get_logger()
    n = 0
    deadline = time.monotonic() + 20
    while task._core.stats()["waits"] == 0 and time.monotonic() < deadline:
        for _ in range(2000):
            lg.report_scalar("x", "x", float(n), n)
            n += 1
    waits = task._core.stats()["waits"]
    task.close()
    assert waits > 0
    from ringlog.store import Store

    got = Store(store_root).task(task.id).scalar("x", "x")
    assert got.step.tolist() == list(range(n))
    assert np.array_equal(got.value, np.arange(n, dtype=np.float64))


def test_raise_mode_raises_and_keeps_only_accepted_points(store_root):
    s = ringlog.Settings(flush_interval=30, staging_limit=1024, capture=False, handle_signals=False,
                         clock_period=0.002, on_full="raise")
    run = ringlog.init(project="s", dir=store_root, settings=s)
    n = 0
    deadline = time.monotonic() + 20
    with pytest.raises(RingFullError, match="staging_limit"):
        while time.monotonic() < deadline:
            run.log({"x": float(n)})
            n += 1
    assert run.stats()["waits"] >= 1
    run.finish()
    from ringlog.store import Store

    got = Store(store_root).task(run.id).scalar("x")
    # the raising call's point is not kept
    assert got.value.tolist() == [float(i) for i in range(n)]
    assert got.step.tolist() == list(range(n))


def test_flush_makes_points_durable_without_finish(store_root, fast):
    run = ringlog.init(project="s", dir=store_root, settings=fast.updated(flush_interval=30))
    for i in range(100):
        run.log({"y": float(i)})
    assert run.flush(timeout=30)
    from ringlog.store import Store

    assert len(Store(store_root).task(run.id).scalar("y").value) == 100
    run.finish()


from hypothesis import given, settings as hsettings, strategies as hst  # noqa: E402


@hsettings(max_examples=50, deadline=None)
@given(hst.lists(hst.tuples(hst.sampled_from(["point", "bulk", "sample", "harvest"]), hst.integers(1, 40)),
                 max_size=40))
def test_harvest_matches_a_plain_log_of_the_calls(ops):
    """Any mix of single points, bulks, clock samples and harvests gives back exactly the logged
    sequence, in order, with non-decreasing times bounded by the clock readings around each point."""
    st = Staging(limit=1 << 30, t0=0.0)
    buf = st.series("t", "s")
    va, sa = st.fast["t", "s"]
    clock = 0.0
    expected, got = [], []
    step = 0

    def harvest():
        nonlocal clock
        clock += 1.0
        for b in st.harvest(clock):
            got.extend(zip(b.step.tolist(), b.value.tolist(), b.time.tolist()))

    for op, k in ops:
        if op == "point":
            for _ in range(k):
                va(step * 0.5)
                sa(step)
                expected.append((step, step * 0.5))
                step += 1
        elif op == "bulk":
            clock += 1.0
            steps = np.arange(step, step + k)
            st.add_bulk(buf, steps, steps * 0.5, np.full(k, clock), clock)
            expected += [(int(s), s * 0.5) for s in steps]
            step += k
        elif op == "sample":
            clock += 1.0
            st.sample(clock)
        else:
            harvest()
    harvest()
    assert [(s, v) for s, v, _ in got] == expected
    times = [t for _, _, t in got]
    assert times == sorted(times) and (not times or (times[0] >= 0.0 and times[-1] <= clock))




def test_interrupt_between_the_two_appends_leaves_values_and_steps_paired(store_root, fast,
                                                                          interrupt_after_value_append):
    run = ringlog.init(project="s", dir=store_root, settings=fast)
    run.log({"a": 1.0})
    with pytest.raises(KeyboardInterrupt), interrupt_after_value_append():
        run.log({"a": 2.0})
    ringlog.log({"a": 3.0})
    with pytest.raises(KeyboardInterrupt), interrupt_after_value_append():
        ringlog.log({"a": 4.0})
    run.log({"a": 5.0})
    logger = Task.current_task().get_logger()
    logger.report_scalar("t", "s", 1.0, 0)
    with pytest.raises(KeyboardInterrupt), interrupt_after_value_append():
        logger.report_scalar("t", "s", 2.0, 1)
    logger.report_scalar("t", "s", 3.0, 2)
    run.finish()
    from ringlog.store import Store

    r = Store(store_root).task(run.id)
    got = r.scalar("a")
    assert got.step.tolist() == [0, 1, 2] and got.value.tolist() == [1.0, 3.0, 5.0]  # an interrupted call is no step
    got = r.scalar("t", "s")
    assert got.step.tolist() == [0, 2] and got.value.tolist() == [1.0, 3.0]


def test_a_write_refused_by_the_store_drops_only_its_batch_and_is_reported(store_root, fast):
    task = Task.init(project_name="s", task_name="refused", dir=store_root, settings=fast)
    writer = task._core.flusher.writer
    real = writer.append

    def flaky(sid, step, value, time):  # the store refuses the "bad" series' batch; every other series is written
        if sid == writer.series_id("bad", "bad"):
            raise ValueError("value: refused")
        real(sid, step, value, time)

    writer.append = flaky
    lg = task.get_logger()
    lg.report_scalar("good", "good", 1.0, 0)
    lg.flush(wait=True)
    lg.report_scalar("bad", "bad", 2.0, 0)
    lg.flush(wait=True)
    writer.append = real
    lg.report_scalar("good", "good", 3.0, 1)
    with pytest.warns(ringlog.errors.LoggingWarning, match="could not be written"):
        task.close()
    assert task._core.stats()["dropped"] == 1
    from ringlog.store import Store

    assert Store(store_root).task(task.id).scalar("good", "good").value.tolist() == [1.0, 3.0]


def test_a_write_failing_like_a_full_disk_keeps_its_points_and_writes_them_when_space_returns(store_root, fast):
    task = Task.init(project_name="s", task_name="diskfull", dir=store_root, settings=fast)
    writer = task._core.flusher.writer
    real = writer.append
    fails = []

    def full(sid, step, value, time):
        if len(fails) < 2:  # two cycles in a row find the disk full, then space returns
            fails.append(sid)
            raise OSError(28, "No space left on device")
        real(sid, step, value, time)

    writer.append = full
    lg = task.get_logger()
    lg.report_scalar("a", "a", 1.0, 0)
    with pytest.warns(ringlog.errors.LoggingWarning, match="1 points are kept for the next flush"):
        lg.flush(wait=True)
    lg.report_scalar("a", "a", 2.0, 1)
    task.close()
    assert len(fails) == 2 and task._core.stats()["dropped"] == 0
    from ringlog.store import Store

    t = Store(store_root).task(task.id)
    assert t.scalar("a", "a").value.tolist() == [1.0, 2.0] and t.info["status"] == "completed"


def test_bulk_times_must_be_finite(store_root, fast):
    task = Task.init(project_name="s", task_name="times", dir=store_root, settings=fast)
    with pytest.warns(ringlog.errors.LoggingWarning, match="times"):
        task.get_logger().report_scalar_array("a", "b", [1.0, 2.0], [0, 1], times=[1.7e9, float("nan")])
    task.close()


def test_threads_logging_distinct_series_keep_every_pair(store_root):
    """The hot path takes no lock: distinct series from distinct threads must still stay exact,
    also while the clock blocks and the flusher harvests (small staging limit)."""
    import threading

    s = ringlog.Settings(flush_interval=0.02, staging_limit=4096, capture=False, handle_signals=False,
                         clock_period=0.002)
    task = Task.init(project_name="s", task_name="threads", dir=store_root, settings=s)
    lg = task.get_logger()
    n = 50_000

    def worker(name):
        for i in range(n):
            lg.report_scalar(name, name, i * 0.25, i)

    threads = [threading.Thread(target=worker, args=(f"t{k}",)) for k in range(3)]
    for t in threads:
        t.start()
    worker("main")
    for t in threads:
        t.join()
    task.close()
    from ringlog.store import Store

    r = Store(store_root).task(task.id)
    for name in ("main", "t0", "t1", "t2"):
        got = r.scalar(name, name)
        assert got.step.tolist() == list(range(n))
        assert np.array_equal(got.value, np.arange(n) * 0.25)


def test_finish_timeout_says_how_many_points_were_not_flushed(store_root, fast):
    import threading

    task = Task.init(project_name="s", task_name="slow", dir=store_root,
                     settings=fast.updated(finish_timeout=0.3))
    task._core.flusher.ready.wait(30)
    writer = task._core.flusher.writer
    gate = threading.Event()
    real = writer.append

    def slow(*args):  # a store that hangs (e.g. a stuck network file system)
        gate.wait(30)
        real(*args)

    writer.append = slow
    lg = task.get_logger()
    for i in range(100):
        lg.report_scalar("a", "a", float(i), i)
    with pytest.warns(ringlog.errors.LoggingWarning, match="could not flush 100 points"):
        task.close()
    gate.set()
    task._core.flusher.join(30)


def _fail_unblock(staging, times):
    """Make ``staging.unblock`` (called by the flusher's cycle right after its harvest, outside the
    per-batch write handling) raise ``times`` times (None: always); returns the call log."""
    real = staging.unblock
    calls = []

    def unblock():
        calls.append(1)
        if times is None or len(calls) <= times:
            raise RuntimeError("injected cycle failure")
        real()

    staging.unblock = unblock
    return calls


def test_a_cycle_failing_after_its_harvest_writes_those_points_at_the_next_cycle(store_root, fast):
    task = Task.init(project_name="s", task_name="retry", dir=store_root,
                     settings=fast.updated(flush_interval=30))
    core = task._core
    core.flusher.ready.wait(30)
    lg = task.get_logger()
    for i in range(10):
        lg.report_scalar("a", "a", float(i), i)
    calls = _fail_unblock(core.staging, times=1)
    with pytest.warns(ringlog.errors.LoggingWarning, match="10 points are kept for the next flush"):
        lg.flush(wait=True)  # this cycle harvests the 10 points, then fails
    assert calls and core.stats()["dropped"] == 0
    lg.report_scalar("a", "a", 10.0, 10)
    task.close()  # the next cycle writes the kept points, in order, before the new one
    st = core.stats()
    assert st["dropped"] == 0 and st["written"] == 11 == core.flusher.harvested
    from ringlog.store import Store

    got = Store(store_root).task(task.id).scalar("a", "a")
    assert got.step.tolist() == list(range(11)) and got.value.tolist() == [float(i) for i in range(11)]


def test_a_cycle_that_keeps_failing_counts_its_points_as_dropped_and_says_so(store_root, fast):
    task = Task.init(project_name="s", task_name="no-retry", dir=store_root,
                     settings=fast.updated(flush_interval=30))
    core = task._core
    core.flusher.ready.wait(30)
    lg = task.get_logger()
    for i in range(5):
        lg.report_scalar("a", "a", float(i), i)
    calls = _fail_unblock(core.staging, times=None)
    with pytest.warns(ringlog.errors.LoggingWarning) as record:
        task.close()  # the final cycle fails, is retried, and gives up after RETRIES tries
    messages = [str(w.message) for w in record]
    assert any("5 points were dropped" in m for m in messages), messages
    assert len(calls) == RETRIES  # each try really ran (a warning saying "kept" was not a lie)
    f = core.flusher
    assert core.stats()["dropped"] == 5 and f.harvested == f.written + f.dropped == 5


def test_summary_counts_batches_harvested_but_not_written_yet():
    st = Staging(limit=1 << 20, t0=0.0)
    buf = st.series("a", "a")
    va, sa = st.wfast["a"]
    for i, v in enumerate((3.0, 1.0, 2.0)):
        va(v)
        sa(i)
    (batch,) = st.harvest(1.0)  # in the flusher's hands: neither staged nor in the store's figures
    assert buf.inflight == (batch,)
    assert [st.summary(buf, h) for h in ("min", "max", "mean", "first", "last")] == [1.0, 3.0, 2.0, 3.0, 2.0]
    buf.landed()  # dropped without a store: the figures are what was stored (nothing)
    assert buf.inflight == () and st.summary(buf, "last") is None
    va(9.0)
    sa(3)
    assert st.summary(buf, "max") == 9.0 and st.summary(buf, "max", staged=False) is None


def test_points_kept_for_a_retry_count_against_the_staging_limit():
    st = Staging(limit=1024, t0=0.0)
    st.series("a", "a")
    st.carried = 1000
    va, sa = st.wfast["a"]
    for i in range(24):
        va(1.0)
        sa(i)
    assert st.sample(1.0) == 24 and st.blocked and not st.wfast  # 24 staged + 1000 kept
    st.harvest(2.0)
    st.carried = 1024
    st.unblock()
    assert st.blocked and not st.room.is_set()  # the kept points alone fill it
    st.carried = 0
    st.unblock()
    assert not st.blocked and st.room.is_set() and "a" in st.wfast


def test_summary_figures_have_one_owner_the_store_writer(store_root, fast):
    """The staging's series reads the store's live figures (series.json's), no copy of its own."""
    run = ringlog.init(project="s", dir=store_root, settings=fast)
    run.define_metric("x", summary="mean")
    for v in (1.0, float("nan"), 5.0):
        run.log({"x": v})
    assert run.flush(timeout=30)
    core = run._core
    buf = core.staging.by_key["x", "x"]
    writer = core.flusher.writer
    assert buf.inflight == () and buf.stats is writer.series_stats(writer.series_id("x"))
    assert run.summary["x"] == {"mean": 3.0}  # W&B keeps summary="mean" as {"mean": v}
    run.finish()
    from ringlog.store import Store

    stats = Store(store_root).task(run.id).last_metrics()[("x", "x")]
    assert stats["count"] == 3 and stats["min"] == 1.0 and stats["last"] == 5.0 and stats["last_step"] == 2


def test_the_ring_is_not_on_the_write_path(tmp_path):
    import subprocess
    import sys

    code = ("import sys, ringlog\n"
            "run = ringlog.init(project='s', dir=sys.argv[1], settings=ringlog.Settings(capture=False, handle_signals=False))\n"
            "run._core.flusher.warm.wait(120)\n"
            "for i in range(1000): ringlog.log({'x': float(i)})\n"
            "run.finish()\n"
            "print('ringlog.core.ring' in sys.modules, 'ringlog.store' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True,
                         timeout=300)
    assert out.stdout.split() == ["False", "True"]
