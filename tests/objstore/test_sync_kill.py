"""Durability without appends: a writer killed with SIGKILL leaves its points in the spool, and
``ringlog sync`` (or the next run on the machine) puts every point acknowledged before the kill in
the bucket; sync is idempotent; many writer processes on different tasks read back exactly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ringlog.cli import main as cli
from ringlog.store import Store
from ringlog.store.objstore.spool import spool_for

CHILD = str(Path(__file__).with_name("_child.py"))


def _spawn(url, steps, every, env=None, shared=None):
    return subprocess.Popen([sys.executable, CHILD, url, str(steps), str(every)] + ([shared] if shared else []),
                            stdout=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})})


def _kill(p):
    p.send_signal(signal.SIGKILL)
    p.wait(10)
    p.stdout.close()


def _wait(p, timeout=120):
    rc = p.wait(timeout)
    p.stdout.close()
    return rc


def _exact(store, task_id, n_min, key="x"):
    sc = store.task(task_id).scalar(key)
    n = len(sc.step)
    assert n >= n_min
    np.testing.assert_array_equal(sc.step, np.arange(n))
    np.testing.assert_array_equal(sc.value, np.arange(n) * 0.5)
    return n


@pytest.mark.slow
def test_sigkill_then_sync_uploads_every_acknowledged_point(s3_url, capsys):
    # the uploader waits an hour: only the sync can bring the points to the bucket
    p = _spawn(s3_url, 10**9, 2000, {"RINGLOG_UPLOAD_INTERVAL": "3600"})
    task_id = p.stdout.readline().split()[1]
    acked = 0
    for line in p.stdout:
        acked = int(line.split()[1])
        if acked >= 10_000:
            break
    _kill(p)
    spool = spool_for(s3_url)
    assert cli(["sync", str(spool)]) == 0  # DST from the spool's .remote
    first = capsys.readouterr().out
    assert "synced 1 task(s)" in first
    s = Store(s3_url)
    assert _exact(s, task_id, acked) >= acked
    assert next(r for r in s.tasks() if r["id"] == task_id)["status"] == "crashed"
    assert cli(["sync", str(spool), s3_url]) == 0  # again: nothing moves
    assert ": 0 object(s)" in capsys.readouterr().out


@pytest.mark.slow
def test_next_run_uploads_what_a_killed_run_left(s3_url):
    p = _spawn(s3_url, 10**9, 500, {"RINGLOG_UPLOAD_INTERVAL": "3600"})
    dead = p.stdout.readline().split()[1]
    acked = int(p.stdout.readline().split()[1])
    _kill(p)
    q = _spawn(s3_url, 100, 50)
    assert _wait(q) == 0
    _exact(Store(s3_url), dead, acked)


@pytest.mark.slow
def test_sync_down_to_a_local_root(s3_url, tmp_path):
    p = _spawn(s3_url, 3000, 1000)
    task_id = p.stdout.readline().split()[1]
    assert _wait(p) == 0
    assert cli(["sync", s3_url, str(tmp_path / "local")]) == 0
    _exact(Store(tmp_path / "local"), task_id, 2999)
    assert cli(["sync", s3_url, str(tmp_path / "local")]) == 0  # idempotent


@pytest.mark.slow
def test_writer_processes_on_different_tasks(s3_url):
    n = int(os.environ.get("RINGLOG_S3_WRITERS", "4"))  # the 16: RINGLOG_S3_WRITERS=16
    procs = [_spawn(s3_url, 5_000, 5_000) for _ in range(n)]
    ids = [p.stdout.readline().split()[1] for p in procs]
    assert [_wait(p) for p in procs] == [0] * n
    s = Store(s3_url)
    assert {r["id"] for r in s.tasks()} == set(ids)
    for t in ids:
        assert _exact(s, t, 5_000) == 5_000  # finish() commits the last step's row


@pytest.mark.slow
def test_writer_processes_on_one_task(s3_url):
    """W&B's shared mode: the first process writes the task, each other its own namespace in it;
    each uploads only its own objects, and the bucket reads back as one task with every point."""
    task_id = "shared-" + os.urandom(4).hex()
    labels = [f"rank{k}" for k in range(4)]
    procs = [_spawn(s3_url, 3_000, 3_000, shared=f"{task_id}:{lab}") for lab in labels]
    assert [p.stdout.readline().split()[1] for p in procs] == [task_id] * 4
    assert [_wait(p) for p in procs] == [0] * 4
    s = Store(s3_url)
    assert [r["id"] for r in s.tasks()] == [task_id]
    for lab in labels:
        assert _exact(s, task_id, 3_000, key=f"{lab}/x") == 3_000
