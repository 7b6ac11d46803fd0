"""W&B rows of many distinct keys (issue 13, item 9): every point of every series reads back exactly
after ``finish()``, and after a ``kill -9`` every point older than a durable sync does. The write
path batches these (``TaskWriter.append_many``); speed is checked in benchmarks/bench_many_keys.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np

from ringlog.store import Store

K = 10_000  # CI-sized; benchmarks/bench_many_keys.py checks 100,000 the same way


def value(i: int, step: int) -> float:
    """float32-exact for most keys; every 7th key needs float64, every 101st has a NaN at step 1."""
    if i % 101 == 0 and step == 1:
        return float("nan")
    return i + step * 0.25 if i % 7 else 1 / 3 + i + step


def test_every_point_of_many_keys_reads_back_exactly(tmp_path):
    import ringlog

    run = ringlog.init(project="p", dir=str(tmp_path), settings=ringlog.Settings(capture=False, handle_signals=False))
    for step in range(3):
        run.log({f"k{i}": value(i, step) for i in range(K)})
    run.log({"k5": 99.0}, step=5)  # a later, sparser step of one key
    run.finish()
    task = Store(tmp_path).task(run.id)
    assert task.info["status"] == "completed"
    assert len(json.loads((task.path / "series.json").read_text())["series"]) == K
    for i in range(K):
        sc = task.scalar(f"k{i}")
        steps = [0, 1, 2, 5] if i == 5 else [0, 1, 2]
        want = [value(i, s) for s in range(3)] + ([99.0] if i == 5 else [])
        assert sc.step.tolist() == steps and np.array_equal(sc.value, want, equal_nan=True), i


CHILD = textwrap.dedent("""
    import sys, time
    import ringlog
    sys.path.insert(0, sys.argv[3])
    from test_many_keys import value
    keys = int(sys.argv[2])
    run = ringlog.init(project="p", dir=sys.argv[1], settings=ringlog.Settings(capture=False, handle_signals=False))
    for step in range(2):
        run.log({f"k{i}": value(i, step) for i in range(keys)})
    assert run._core.flusher.flush(wait=True, timeout=120)  # a durable sync of both steps
    run.log({f"k{i}": value(i, 2) for i in range(keys)})  # may or may not reach the disk
    print(run.id, flush=True)
    time.sleep(60)
""")


def test_a_kill_after_a_sync_keeps_every_point_of_many_keys(tmp_path):
    keys = K // 5
    p = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path), str(keys), os.path.dirname(__file__)],
                         stdout=subprocess.PIPE, text=True)
    try:
        run_id = p.stdout.readline().strip()
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait(30)
        p.stdout.close()
    assert run_id, "the child did not get to its kill point"
    task = Store(tmp_path).task(run_id)
    assert task.info["status"] == "crashed"
    for i in range(keys):
        sc = task.scalar(f"k{i}")
        n = len(sc.step)
        assert n in (2, 3) and sc.step.tolist() == list(range(n)), (i, sc.step)
        assert np.array_equal(sc.value, [value(i, s) for s in range(n)], equal_nan=True), i
