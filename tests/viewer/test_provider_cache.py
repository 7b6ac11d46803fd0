"""The viewer shares a finished task's snapshot between requests while its files are unchanged
(viewer/provider.py, ``_FinishedReaders``), and never a running task's."""

from __future__ import annotations

import os
import time

import numpy as np

from ringlog.store import Store
from ringlog.store.reopen import open_task
from ringlog.store.testing import write_task
from ringlog.viewer import create_app
from ringlog.viewer.provider import Provider


def _settled():
    time.sleep(0.03)  # a snapshot is kept only when its files are older than 10 ms at the open


def test_a_finished_tasks_snapshot_is_reused_until_it_changes(tmp_path):
    st = Store(tmp_path / "store")
    steps = np.arange(5)
    write_task(st, task_id="done", scalars={"loss": (steps, steps * 1.0, 1.7e9 + steps)})
    _settled()
    prov = Provider(st)
    first = prov.reader(task_id="done")
    assert prov.reader(task_id="done") is first
    calls = []
    assert prov.memo(first, "n", lambda: calls.append(1) or len(first.series())) == 1
    assert prov.memo(prov.reader(task_id="done"), "n", lambda: calls.append(1) or 0) == 1 and calls == [1]
    # resumed: the writer rewrites the metadata (running) and, once it syncs, the series index
    w = open_task(st, "done")
    w.append(w.series_id("loss"), np.arange(5, 8), np.ones(3), 1.7e9 + 5)
    w.sync()
    again = prov.reader(task_id="done")
    assert again is not first and again.count("loss") == 8 and again.info["status"] == "running"
    assert prov.reader(task_id="done") is not again  # a running task: a fresh snapshot per request
    w.close(status="completed")
    _settled()
    closed = prov.reader(task_id="done")
    assert closed.info["status"] == "completed" and prov.reader(task_id="done") is closed


def test_a_running_task_and_one_written_during_the_open_are_read_afresh(tmp_path):
    st = Store(tmp_path / "store")
    live = write_task(st, task_id="live", status="running", close=False,
                      scalars={"loss": (np.arange(3), np.zeros(3), 1.7e9 + np.arange(3))})
    write_task(st, task_id="new", scalars={"loss": (np.arange(3), np.zeros(3), 1.7e9 + np.arange(3))})
    prov = Provider(st)
    assert prov.reader(task_id="live") is not prov.reader(task_id="live")
    meta = prov.reader(task_id="new").path / "zarr.json"
    future = time.time_ns() + 5 * 10**9
    os.utime(meta, ns=(future, future))  # as if written during the open: never kept
    assert prov.reader(task_id="new") is not prov.reader(task_id="new")
    os.utime(meta, ns=(future - 60 * 10**9, future - 60 * 10**9))  # settled: kept
    assert prov.reader(task_id="new") is prov.reader(task_id="new")
    live.close(status="completed")


def test_the_series_listing_of_a_finished_task_follows_a_resume_through_http(tmp_path):
    st = Store(tmp_path / "store")
    write_task(st, task_id="t1", scalars={"a": (np.arange(3), np.zeros(3), 1.7e9 + np.arange(3))})
    _settled()
    client = create_app(st.root, config={"RINGLOG_STORE": st, "TESTING": True}).test_client()
    names = lambda: [s["series"] for c in client.get("/api/tasks/t1/series").get_json()["charts"] for s in c["series"]]
    assert names() == ["a"] and names() == ["a"]
    w = open_task(st, "t1")
    w.append(w.series_id("b"), np.arange(2), np.ones(2), 1.7e9)
    w.close(status="completed")
    assert sorted(names()) == ["a", "b"]
