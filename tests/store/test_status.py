"""Crashed runs are marked (store/writer_lock.py): a running task whose writer is gone reads
``crashed`` with its last heartbeat, in TaskReader.info, Store.tasks() and catalog queries, while the
status on disk stays ``running`` (a resume may continue it); ``fsck --repair`` records it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from ringlog.store import Store
from ringlog.store.fsck import fsck
from ringlog.store.layout import TASK_META
from ringlog.store.testing import noisy_series, write_task
from ringlog.store.writer_lock import LOCK_FILE, STALE_AFTER

RUN = textwrap.dedent("""
    import sys, time
    from ringlog.store import Store
    w = Store(sys.argv[1]).create_task("p", "run", task_id=sys.argv[2])
    sid = w.series_id("loss")
    for i in range(3):
        w.append(sid, [i], [1.0 / (i + 1)], time.time())
        w.sync()
        time.sleep(0.05)
    print("ready", flush=True)
    sys.stdin.readline()
""")


@pytest.fixture
def killed(tmp_path):
    """A store with task "dead": logged, synced, then its process SIGKILLed."""
    root = tmp_path / "root"
    p = subprocess.Popen([sys.executable, "-c", RUN, str(root), "dead"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    synced_at = time.time()
    p.kill()
    p.wait(10)
    p.stdin.close()
    p.stdout.close()
    return root, synced_at


def test_a_killed_run_reads_crashed_everywhere_with_its_last_heartbeat(killed):
    root, synced_at = killed
    st = Store(root)
    info = st.task("dead").info
    assert info["status"] == "crashed"
    assert synced_at - 5 < info["heartbeat"] <= synced_at + 0.5
    rows = st.tasks()
    assert [(r["id"], r["status"]) for r in rows] == [("dead", "crashed")]
    assert rows[0]["heartbeat"] == pytest.approx(info["heartbeat"])
    assert [r["id"] for r in st.catalog.query(status="crashed")[0]] == ["dead"]
    assert st.catalog.query(status="crashed")[1] == 1
    assert st.catalog.query(status="running") == ([], 0)
    # not rewritten on disk: a resume may set it running again
    on_disk = json.loads((root / "p" / "dead" / TASK_META).read_text())["attributes"]
    assert on_disk["status"] == "running"
    assert on_disk["writer"]["pid"] > 0 and on_disk["writer"]["host"]
    assert st.task("dead").scalar("loss").value.tolist() == [1.0, 0.5, 1 / 3]


def test_a_live_writer_in_another_process_reads_running(tmp_path):
    root = tmp_path / "root"
    p = subprocess.Popen([sys.executable, "-c", RUN, str(root), "alive"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        st = Store(root)
        assert st.task("alive").info["status"] == "running"
        assert st.tasks()[0]["status"] == "running" and st.tasks()[0]["heartbeat"] > time.time() - 30
        assert [r["id"] for r in st.catalog.query(status="running")[0]] == ["alive"]
    finally:
        p.kill()
        p.wait(10)
        p.stdin.close()
        p.stdout.close()
    assert Store(root).task("alive").info["status"] == "crashed"


def _forge(task_dir, **who):
    lock = task_dir / LOCK_FILE
    rec = json.loads(lock.read_text())
    rec.update(who)
    lock.write_text(json.dumps(rec))


def test_a_recycled_pid_is_not_taken_for_the_writer(tmp_path):
    st = Store(tmp_path / "root", durable=False)
    w = write_task(st, "p", "x", task_id="t", status="running", close=False, scalars={"a": noisy_series(10)})
    assert st.task("t").info["status"] == "running"  # this process wrote it and lives
    real = json.loads((w.path / LOCK_FILE).read_text())["start"]
    _forge(w.path, start=real - 3600.0)  # same pid, but a process that started an hour earlier
    assert st.task("t").info["status"] == "crashed"
    _forge(w.path, start=real)
    assert st.task("t").info["status"] == "running"


def test_another_hosts_writer_is_judged_by_its_heartbeat(tmp_path):
    st = Store(tmp_path / "root", durable=False)
    w = write_task(st, "p", "x", task_id="t", status="running", close=False, created=time.time() - 3600,
                   updated=time.time() - 3600)
    _forge(w.path, host="some-other-host", pid=1)
    assert st.task("t").info["status"] == "running"  # heartbeat (lock mtime) is fresh
    old = time.time() - STALE_AFTER - 5
    os.utime(w.path / LOCK_FILE, (old, old))
    info = st.task("t").info
    assert info["status"] == "crashed" and info["heartbeat"] == pytest.approx(old, abs=1)
    w.sync()  # a sync is a heartbeat
    assert st.task("t").info["status"] == "running"


def test_sync_refreshes_the_heartbeat(tmp_path):
    st = Store(tmp_path / "root", durable=False)
    w = st.create_task("p", "x", task_id="t")
    lock = w.path / LOCK_FILE
    os.utime(lock, (1e9, 1e9))
    w.sync()
    assert os.stat(lock).st_mtime > time.time() - 5
    w.close()
    info = st.task("t").info
    assert info["status"] == "completed" and "heartbeat" not in info


def test_a_task_without_a_writer_record_stays_running(tmp_path):
    """Tasks written before the writer lock existed: nothing tells, so nothing is claimed."""
    st = Store(tmp_path / "root", durable=False)
    w = write_task(st, "p", "x", task_id="t", status="running", close=False)
    os.remove(w.path / LOCK_FILE)
    doc = json.loads((w.path / TASK_META).read_text())
    del doc["attributes"]["writer"]
    (w.path / TASK_META).write_text(json.dumps(doc))
    assert st.task("t").info["status"] == "running"


def test_fsck_repair_records_crashed_and_a_new_writer_can_follow(killed):
    root, _ = killed
    before = fsck(root)
    assert any("crashed" in f.problem for f in before.findings), before.text()
    assert before.exit_code() == 4
    after = fsck(root, repair=True)
    assert after.exit_code() == 1, after.text()
    meta = json.loads((root / "p" / "dead" / TASK_META).read_text())["attributes"]
    assert meta["status"] == "crashed" and meta["crashed_at"] > 0
    assert fsck(root).clean
    st = Store(root)
    assert st.tasks()[0]["status"] == "crashed"
    assert st.task("dead").scalar("loss").step.tolist() == [0, 1, 2]
