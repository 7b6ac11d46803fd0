"""The crash ring end to end (sdk/_engine/crashring.py): a real script in both flavours logs per
call, several keys and bulk arrays with a flush interval of a minute (so no durable sync can hold
its points), lets the copier run a few periods, then SIGKILLs itself. The store alone lacks the
points; after the replay (what the next writer or ``ringlog fsck --repair`` does) every acknowledged
point reads back bit-exact, once, in order."""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import run_script

N = 5_000
SCRIPT = """
import os, signal, sys, time
import numpy as np
import ringlog
from ringlog import Settings, Task
N = {n}
vals = np.random.default_rng(5).standard_normal(N)  # float64 bits that float32 cannot hold
s = Settings(flush_interval=60.0, capture=False)
if sys.argv[1] == "wandb":
    run = ringlog.init(project="p", dir="data", settings=s)
    for i in range(N):
        ringlog.log({{"a": float(vals[i]), "b": -float(vals[i])}})
    logger = Task.current_task().get_logger()
else:
    task = Task.init(project_name="p", task_name="t", dir="data", settings=s)
    logger = task.get_logger()
    for i in range(N):
        logger.report_scalar("a", "a", float(vals[i]), i)
        logger.report_scalar("b", "b", -float(vals[i]), i)
logger.report_scalar_array("c", "c", vals, np.arange(N, dtype=np.int64))
for i in range(N, N + 100):  # per-call points after a bulk array of the same series
    logger.report_scalar("c", "c", float(i), i)
time.sleep(0.5)  # a few copier periods
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("flavour", ["wandb", "clearml"])
def test_a_kill_loses_nothing_the_ring_copied(tmp_path, flavour):
    from ringlog.store import Store
    from ringlog.store.crashring_recover import recover

    (tmp_path / "s.py").write_text(SCRIPT.format(n=N))
    out = run_script(f"import sys; sys.argv = ['s.py', {flavour!r}]; exec(open('s.py').read())", tmp_path)
    assert out.returncode == -9, out.stderr
    root = tmp_path / "data"
    (row,) = Store(root).tasks()
    before = Store(root).task(row["id"])
    assert sum(before.count(*k) for k in before.series()) < 100, "a sync stored the points: the test shows nothing"
    lines = recover(root)
    assert lines, out.stderr
    reader = Store(root).task(row["id"])
    vals = np.random.default_rng(5).standard_normal(N)
    want = {"a": (np.arange(N), vals), "b": (np.arange(N), -vals),
            "c": (np.arange(N + 100), np.concatenate([vals, np.arange(N, N + 100, dtype=np.float64)]))}
    for k, (st, va) in want.items():
        sc = reader.scalar(k, k)
        assert np.array_equal(sc.step, st), k
        assert np.array_equal(sc.value.view(np.int64), va.view(np.int64)), k
    assert reader.info["status"] == "crashed"
