"""The crash ring end to end (sdk/_engine/crashring.py): a real script logs W&B rows, ClearML
per-call points and bulk arrays into one run with a flush interval of a minute (so no durable sync can hold
its points), lets the copier run a few periods, then SIGKILLs itself. The store alone lacks the
points; after the replay (what the next writer or ``ringlog fsck --repair`` does) every acknowledged
point reads back bit-exact, once, in order."""

from __future__ import annotations

import numpy as np
from .conftest import run_script

N = 5_000
SCRIPT = """
import os, signal, time
import numpy as np
import ringlog
from ringlog import Settings, Task
N = {n}
vals = np.random.default_rng(5).standard_normal(N)  # float64 bits that float32 cannot hold
run = ringlog.init(project="p", dir="data", settings=Settings(flush_interval=60.0, capture=False, crash_ring=64 << 20))
logger = Task.current_task().get_logger()  # the ClearML flavour of the same run
for i in range(N):
    ringlog.log({{"a": float(vals[i]), "b": -float(vals[i])}})  # W&B rows
    logger.report_scalar("d", "d", float(vals[i]), i)  # ClearML per call
logger.report_scalar_array("c", "c", vals, np.arange(N, dtype=np.int64))
for i in range(N, N + 100):  # per-call points after a bulk array of the same series
    logger.report_scalar("c", "c", float(i), i)
time.sleep(0.5)  # a few copier periods
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_kill_loses_nothing_the_ring_copied(tmp_path):
    from ringlog.store import Store
    from ringlog.store.crashring_recover import recover

    (tmp_path / "s.py").write_text(SCRIPT.format(n=N))
    out = run_script("exec(open('s.py').read())", tmp_path)
    assert out.returncode == -9, out.stderr
    root = tmp_path / "data"
    (row,) = Store(root).tasks()
    before = Store(root).task(row["id"])
    assert sum(before.count(*k) for k in before.series()) < 100, "a sync stored the points: the test shows nothing"
    lines = recover(root)
    assert lines, out.stderr
    reader = Store(root).task(row["id"])
    vals = np.random.default_rng(5).standard_normal(N)
    want = {"a": (np.arange(N), vals), "b": (np.arange(N), -vals), "d": (np.arange(N), vals),
            "c": (np.arange(N + 100), np.concatenate([vals, np.arange(N, N + 100, dtype=np.float64)]))}
    for k, (st, va) in want.items():
        sc = reader.scalar(k, k)
        assert np.array_equal(sc.step, st), k
        assert np.array_equal(sc.value.view(np.int64), va.view(np.int64)), k
    assert reader.info["status"] == "crashed"
