"""One writer per task, enforced across real processes (store/writer_lock.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from ringlog.store import Store, StoreValueError
from ringlog.store.errors import TaskLockedError
from ringlog.store.writer_lock import TaskLock

HOLD = textwrap.dedent("""
    import os, sys, time
    from ringlog.store import Store
    w = Store(sys.argv[1], durable=False).create_task("p", "held", task_id=sys.argv[2])
    sid = w.series_id("loss")
    w.append(sid, [0, 1, 2], [1.0, 0.5, 0.25], time.time())
    w.sync()
    if len(sys.argv) > 3 and sys.argv[3] == "fork":
        if os.fork() == 0:  # a DataLoader-like worker that outlives its parent
            time.sleep(15)
            os._exit(0)
    print("ready", flush=True)
    sys.stdin.readline()
    w.close()
    print("closed", flush=True)
""")


def _holder(root, tid, *extra):
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(root), tid, *extra], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    return p


def _kill(p) -> None:
    p.kill()
    p.wait(10)
    p.stdin.close()
    p.stdout.close()


def test_second_process_gets_a_typed_error_naming_the_holder(tmp_path):
    root = tmp_path / "root"
    p = _holder(root, "run1")
    try:
        st = Store(root, durable=False)
        with pytest.raises(TaskLockedError) as ei:
            st.create_task("p", "again", task_id="run1")
        msg = str(ei.value)
        assert "run1" in msg and f"pid {p.pid}" in msg and socket.gethostname() in msg
        assert ei.value.holder["pid"] == p.pid and ei.value.holder["host"] == socket.gethostname()
        assert isinstance(ei.value, StoreValueError)  # "task_id: ..." as before, now naming the holder
        # a third process meets the same error
        out = subprocess.run([sys.executable, "-c", textwrap.dedent("""
            import sys
            from ringlog.store import Store
            from ringlog.store.errors import TaskLockedError
            try:
                Store(sys.argv[1]).create_task("p", "x", task_id="run1")
            except TaskLockedError as e:
                print("locked", e.holder["pid"])
        """), str(root)], capture_output=True, text=True, timeout=60)
        assert out.stdout.split() == ["locked", str(p.pid)], out.stderr
        # the holder is unaffected and closes normally
        p.stdin.write("\n")
        p.stdin.flush()
        assert p.stdout.readline().strip() == "closed"
    finally:
        _kill(p)
    assert Store(root).task("run1").info["status"] == "completed"
    with pytest.raises(StoreValueError, match="already exists"):  # closed: the id is taken, not locked
        Store(root).create_task("p", "again", task_id="run1")


def test_the_os_drops_the_lock_when_the_writer_is_killed(tmp_path):
    root = tmp_path / "root"
    p = _holder(root, "run2")
    lock = TaskLock(root / "p" / "run2", "run2")
    with pytest.raises(TaskLockedError):
        lock.acquire(wait=0.0)
    _kill(p)  # SIGKILL
    lock.acquire(wait=0.0)  # free again: no stale lock to clean by hand
    lock.release()
    assert Store(root).task("run2").scalar("loss").value.tolist() == [1.0, 0.5, 0.25]


def test_a_forked_child_does_not_keep_a_dead_parents_task_locked(tmp_path):
    root = tmp_path / "root"
    p = _holder(root, "run3", "fork")
    _kill(p)  # SIGKILL; its forked child sleeps on
    lock = TaskLock(root / "p" / "run3", "run3")
    lock.acquire(wait=2.0)  # the child (still sleeping) closed its copy of the lock at fork
    lock.release()


def test_one_writer_in_one_process_too(tmp_path):
    st = Store(tmp_path / "root", durable=False)
    w = st.create_task("p", "a", task_id="same")
    with pytest.raises(TaskLockedError, match=f"pid {os.getpid()}"):
        st.create_task("p", "a", task_id="same")
    w.append(w.series_id("x"), np.arange(3), np.ones(3), 1.7e9)
    w.close()


RACE = textwrap.dedent("""
    import sys, time
    from ringlog.store import Store
    from ringlog.store.errors import StoreValueError
    t = float(sys.argv[2])
    while time.time() < t:
        pass
    try:
        w = Store(sys.argv[1], durable=False).create_task("p", "race", task_id="contested")
        time.sleep(1.0)
        w.close()
        print("won")
    except StoreValueError as e:  # TaskLockedError or "already exists"
        print("lost", type(e).__name__)
""")


def test_two_processes_creating_the_same_new_id_one_wins(tmp_path):
    import time

    root = tmp_path / "root"
    start = time.time() + 3.0  # both interpreters are up and spinning by then
    procs = [subprocess.Popen([sys.executable, "-c", RACE, str(root), str(start)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=60) for p in procs]
    words = sorted(o[0].split()[0] for o in outs if o[0])
    assert words == ["lost", "won"], outs


def test_a_creation_that_failed_before_its_metadata_can_be_retried(tmp_path, monkeypatch):
    """A full disk at init leaves a folder with only the lock file: the retry creates the task."""
    from ringlog.store import writer

    st = Store(tmp_path / "root", durable=False)
    real = writer.write_task_meta

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer, "write_task_meta", full)
    with pytest.raises(OSError, match="No space"):
        st.create_task("p", "n", task_id="retry")
    assert sorted(p.name for p in (tmp_path / "root" / "p" / "retry").iterdir()) == ["writer.lock"]
    monkeypatch.setattr(writer, "write_task_meta", real)
    w = st.create_task("p", "n", task_id="retry")
    w.close()
    assert st.task("retry").info["status"] == "completed"
    with pytest.raises(StoreValueError, match="already exists"):
        st.create_task("p", "n", task_id="retry")
