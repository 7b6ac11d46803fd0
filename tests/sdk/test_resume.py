"""Resume (issue 16, part 1): W&B's ``init(id=..., resume=...)`` and its environment variables, after a
clean finish, a SIGTERM and a ``kill -9`` (real subprocesses); ClearML's ``continue_last_task``,
``reuse_last_task_id`` and ``Task.get_task(...).mark_started()`` are in test_resume_clearml.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import ringlog
from ringlog.errors import LoggingValueError
from ringlog.store import Store
from ringlog.store.errors import TaskLockedError


def _steps(root, rid, key="loss"):
    s = Store(root).task(rid).scalar(key)
    return s.step, s.value


def test_resume_after_clean_finish(tmp_path, fast):
    run = ringlog.init(project="p", id="run-1", resume="allow", config={"lr": 0.1}, tags=["a"], dir=str(tmp_path),
                       settings=fast)
    assert run.id == "run-1" and not run.resumed and run.starting_step == 0
    run.define_metric("acc", summary="max")
    for i in range(10):
        ringlog.log({"loss": float(i), "acc": i / 10})
    run.summary["best"] = 3
    run.finish()
    run = ringlog.init(id="run-1", resume="allow", config={"bs": 4}, tags=["b"], dir=str(tmp_path), settings=fast)
    assert run.resumed and run.id == "run-1" and run.project == "p"
    assert run.step == run.starting_step == 10
    assert dict(run.config) == {"lr": 0.1, "bs": 4} and run.summary["best"] == 3 and run.summary["loss"] == 9.0
    assert set(run.tags) == {"a", "b"}
    run.flush()
    assert Store(tmp_path).task("run-1").info["status"] == "running"
    for i in range(10, 15):
        ringlog.log({"loss": float(i)})
    with pytest.warns(ringlog.errors.LoggingWarning, match="lower than the current step"):
        run.log({"loss": -1.0}, step=3)  # W&B's rule: a lower step is dropped
    run.finish()
    step, value = _steps(tmp_path, "run-1")
    np.testing.assert_array_equal(step, np.arange(15))
    np.testing.assert_array_equal(value, np.arange(15.0))
    info = Store(tmp_path).task("run-1").info
    assert info["status"] == "completed" and info["config"] == {"lr": 0.1, "bs": 4}
    assert info["summary"]["best"] == 3 and info["summary"]["loss"] == 14.0 and "acc" in info["summary"]
    assert [(r["from_status"], r["step"]) for r in info["resumes"]] == [("completed", 10)]
    assert len(Store(tmp_path).tasks()) == 1


def test_rules_for_existing_and_missing_ids(tmp_path, fast):
    kw = dict(dir=str(tmp_path), settings=fast)
    ringlog.init(project="p", id="x1", **kw).finish()
    with pytest.raises(LoggingValueError, match="^id: a run with this id already exists.*resume='allow'"):
        ringlog.init(project="p", id="x1", **kw)
    with pytest.raises(LoggingValueError, match="^id: .*resume='never'"):
        ringlog.init(project="p", id="x1", resume="never", **kw)
    with pytest.raises(LoggingValueError, match="^id: names no stored run.*resume='must'"):
        ringlog.init(project="p", id="x2", resume="must", **kw)
    with pytest.raises(LoggingValueError, match="^resume: 'must' needs the id"):
        ringlog.init(project="p", resume="must", **kw)
    with pytest.raises(LoggingValueError, match="^id: names a run of project 'p', not 'q'"):
        ringlog.init(project="q", id="x1", resume="allow", **kw)
    with pytest.raises(LoggingValueError, match="^resume: must be one of"):
        ringlog.init(project="p", id="x1", resume="sometimes", **kw)
    with pytest.raises(LoggingValueError, match="^id: must be 1-64"):
        ringlog.init(project="p", id="a/b", resume="allow", **kw)
    run = ringlog.init(project="p", id="x3", resume="never", **kw)  # new ids are fine with any rule
    assert run.id == "x3" and not run.resumed
    run.finish()
    run = ringlog.init(project="p", id="x1", resume="must", **kw)
    assert run.resumed
    run.finish()
    assert sorted(t["id"] for t in Store(tmp_path).tasks()) == ["x1", "x3"]


def test_a_live_writer_is_an_error_not_a_second_writer(tmp_path, fast):
    w = Store(tmp_path).create_task("p", "held", task_id="held")
    with pytest.raises(TaskLockedError, match="open for writing by another writer"):
        ringlog.init(project="p", id="held", resume="allow", dir=str(tmp_path), settings=fast)
    w.close()


def test_environment_variables(tmp_path, fast, monkeypatch):
    monkeypatch.setenv("WANDB_RUN_ID", "envrun")
    monkeypatch.setenv("WANDB_RESUME", "allow")
    for i in range(2):
        run = ringlog.init(project="p", dir=str(tmp_path), settings=fast)
        assert run.id == "envrun" and run.resumed == (i == 1)
        ringlog.log({"loss": float(i)})
        run.finish()
    monkeypatch.setenv("RINGLOG_RUN_ID", "other")  # ringlog's variables win over W&B's
    run = ringlog.init(project="p", dir=str(tmp_path), settings=fast)
    assert run.id == "other"
    run.finish()
    monkeypatch.setenv("RINGLOG_RESUME", "bogus")
    with pytest.raises(LoggingValueError, match=r"^\$RINGLOG_RESUME: must be one of"):
        ringlog.init(project="p", dir=str(tmp_path), settings=fast)
    np.testing.assert_array_equal(_steps(tmp_path, "envrun")[0], [0, 1])


def test_auto_resumes_only_a_run_that_did_not_complete(tmp_path, fast):
    kw = dict(project="p", dir=str(tmp_path), settings=fast)
    run = ringlog.init(resume="auto", **kw)
    first = run.id
    ringlog.log({"loss": 1.0})
    run.finish(exit_code=1)  # failed: the next auto run continues it
    run = ringlog.init(resume=True, **kw)
    assert run.id == first and run.resumed and run.step == 1
    ringlog.log({"loss": 2.0})
    run.finish()  # completed: the resume file goes
    assert not (tmp_path / ".resume.json").exists()
    run = ringlog.init(resume="auto", **kw)
    assert run.id != first and not run.resumed
    run.finish()
    np.testing.assert_array_equal(_steps(tmp_path, first)[0], [0, 1])


_CHILD = textwrap.dedent("""
    import sys, time, ringlog
    root, rid = sys.argv[1], sys.argv[2]
    run = ringlog.init(project="p", id=rid, resume="allow", dir=root,
                       settings=ringlog.Settings(flush_interval=0.05, capture=False, crash_ring=64 << 20))
    print("START", run.step, flush=True)
    i = run.step
    while True:
        ringlog.log({"loss": float(i), "acc": i * 0.5})
        i += 1
        if i % 200 == 0:
            print("AT", i, flush=True)
            time.sleep(0.005)
""")


def _child_until(root, rid, at, sig):
    p = subprocess.Popen([sys.executable, "-c", _CHILD, str(root), rid], stdout=subprocess.PIPE, text=True)
    start = None
    for line in p.stdout:
        if line.startswith("START"):
            start = int(line.split()[1])
        if line.startswith("AT") and int(line.split()[1]) >= start + at:
            break
    time.sleep(0.3)  # several flush intervals: what was logged up to the mark is durable
    os.kill(p.pid, sig)
    p.wait(60)
    p.stdout.close()
    return start


@pytest.mark.parametrize("sig,status", [(signal.SIGTERM, "aborted"), (signal.SIGKILL, "crashed")])
def test_resume_after_sigterm_and_kill_9(tmp_path, fast, sig, status):
    assert _child_until(tmp_path, "job", 2000, signal.SIGTERM) == 0  # a first segment, ended cleanly-ish
    n1 = len(_steps(tmp_path, "job")[0])
    assert _child_until(tmp_path, "job", 1000, sig) == n1  # the second one continues at the next step
    info = Store(tmp_path).task("job").info
    assert info["status"] == status
    step, value = _steps(tmp_path, "job")
    n2 = len(step)
    assert n2 >= n1 + 1000
    np.testing.assert_array_equal(step, np.arange(n2))  # every point before the kill window, bit-exact
    np.testing.assert_array_equal(value, np.arange(n2, dtype=np.float64))
    run = ringlog.init(id="job", resume="must", dir=str(tmp_path), settings=fast)
    # after a kill -9 the resume first replays the crash ring (store/FORMAT.md): the points acknowledged
    # after the last sync come back, and the run goes on after them
    assert run.resumed and (run.step == n2 if sig == signal.SIGTERM else run.step >= n2)
    n2 = run.step
    run.flush()
    assert Store(tmp_path).task("job").info["status"] == "running"
    for i in range(n2, n2 + 50):
        ringlog.log({"loss": float(i), "acc": i * 0.5})
    run.finish()
    step, value = _steps(tmp_path, "job")
    np.testing.assert_array_equal(step, np.arange(n2 + 50))
    np.testing.assert_array_equal(value, np.arange(n2 + 50, dtype=np.float64))
    info = Store(tmp_path).task("job").info
    assert info["status"] == "completed"
    assert [r["from_status"] for r in info["resumes"]] == ["aborted", status]
    assert [r["step"] for r in info["resumes"]] == [n1, n2]
    from ringlog.store.fsck import fsck

    assert fsck(tmp_path).clean


def test_samples_and_strings_count_as_steps(tmp_path, fast):
    """A run that logged only images and strings continues after its last step too (W&B's step is
    the history's, whatever was logged)."""
    for k in range(2):
        run = ringlog.init(project="p", id="media", resume="allow", dir=str(tmp_path), settings=fast)
        assert run.step == 2 * k
        ringlog.log({"img": ringlog.Image(np.full((4, 4, 3), 10 * k, np.uint8))})
        ringlog.log({"note": f"text {k}"})
        run.finish()
    r = Store(tmp_path).task("media")
    assert sorted(m["iteration"] for m in r.media()) == [0, 2]
    assert sorted(p["iteration"] for p in r.plots()) == [1, 3]


def test_a_failed_init_gives_the_continued_task_back(tmp_path, fast):
    ringlog.init(project="p", id="back", dir=str(tmp_path), settings=fast).finish()
    with pytest.raises(TypeError, match="^config:"):
        ringlog.init(id="back", resume="allow", config=3, strict=True, dir=str(tmp_path), settings=fast)
    assert Store(tmp_path).task("back").info["status"] == "completed"
    run = ringlog.init(id="back", resume="allow", dir=str(tmp_path), settings=fast)  # not left locked
    run.finish()
