"""How a logging process ends: kill -9, SIGTERM, an unhandled exception, Ctrl-C, plain exit.

Each test runs a small script in a subprocess and reopens the store afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

CHILD = textwrap.dedent(
    """
    import sys, time
    import ringlog
    from ringlog import Task

    mode, root = sys.argv[1], sys.argv[2]
    s = ringlog.Settings(flush_interval=0.05, capture=False)
    if mode.startswith("clearml"):
        task = Task.init(project_name="life", task_name=mode, dir=root, settings=s)
        lg = task.get_logger()
        put = lambda i: lg.report_scalar("x", "x", float(i), i)
        run_id, flush = task.id, lambda: lg.flush(wait=True)
    else:
        run = ringlog.init(project="life", name=mode, dir=root, settings=s)
        put = lambda i: ringlog.log({"x": float(i)})
        run_id, flush = run.id, run.flush
    print(run_id, flush=True)
    for i in range(1000):
        put(i)
    flush()
    print("flushed", flush=True)
    for i in range(1000, 2000):
        put(i)
    if mode == "kill":
        time.sleep(0.5)  # more flushes happen; then the parent kills us mid-sleep
        for i in range(2000, 3000):
            put(i)
        print("more", flush=True)
        time.sleep(60)
    elif mode in ("term", "clearml-term"):
        print("ready", flush=True)
        time.sleep(60)
    elif mode == "raise":
        raise ValueError("boom")
    elif mode == "interrupt":
        raise KeyboardInterrupt
    """
)


def spawn(tmp_path, mode):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    root = tmp_path / "store"
    proc = subprocess.Popen([sys.executable, str(script), mode, str(root)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    task_id = proc.stdout.readline().strip()
    assert len(task_id) == 32, proc.stderr.read()
    return proc, root, task_id


def reopen(root, task_id):
    from ringlog.store import Store

    r = Store(root).task(task_id)
    return r.info["status"], r.scalar("x", "x")


def test_sigkill_loses_at_most_the_last_flush_interval(tmp_path):
    proc, root, task_id = spawn(tmp_path, "kill")
    assert proc.stdout.readline().strip() == "flushed"
    assert proc.stdout.readline().strip() == "more"
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    proc.stdout.close()
    proc.stderr.close()
    status, s = reopen(root, task_id)
    assert status == "crashed"  # its writer is gone (store/writer_lock.py); on disk it stays running
    n = len(s.value)
    # everything up to the explicit flush, plus what the 50 ms flusher wrote during the 0.5 s sleep
    assert n >= 2000
    assert s.step.tolist() == list(range(n)) and np.array_equal(s.value, np.arange(n, dtype=np.float64))


@pytest.mark.parametrize("mode", ["term", "clearml-term"])
def test_sigterm_marks_aborted_and_keeps_everything(tmp_path, mode):
    proc, root, task_id = spawn(tmp_path, mode)
    assert proc.stdout.readline().strip() == "flushed"
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 143
    proc.stdout.close()
    proc.stderr.close()
    status, s = reopen(root, task_id)
    assert status == "aborted"
    assert s.step.tolist() == list(range(2000))


@pytest.mark.parametrize("mode, status, code", [("raise", "failed", 1), ("interrupt", "aborted", None),
                                                ("exit", "completed", 0), ("clearml-exit", "completed", 0)])
def test_exit_paths_set_the_status_and_keep_every_point(tmp_path, mode, status, code):
    proc, root, task_id = spawn(tmp_path, mode)
    out, err = proc.communicate(timeout=60)
    if code is not None:
        assert proc.returncode == code, err
    else:
        assert proc.returncode != 0
    if mode == "raise":
        assert "ValueError: boom" in err  # the previous excepthook still prints the traceback
    got_status, s = reopen(root, task_id)
    assert got_status == status
    assert s.step.tolist() == list(range(2000))


def test_forked_child_logs_into_the_parents_task(store_root, fast):
    """A forked child re-arms the parent's run (ringlog._engine.shared): its points land in the
    parent's task, in the child's own writer namespace; the parent's run goes on."""
    import ringlog

    run = ringlog.init(project="life", name="fork", dir=store_root, settings=fast)
    ringlog.log({"x": 1.0})
    pid = os.fork()
    if pid == 0:  # child: a bare fork ending in os._exit finishes its run itself
        code = 1
        try:
            ringlog.log({"x": 99.0})
            ringlog.finish()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    ringlog.log({"x": 2.0})
    run.finish()
    from ringlog.store import Store

    r = Store(store_root).task(run.id)
    assert r.scalar("x").value.tolist() == [1.0, 99.0, 2.0]  # merged by step, then time
    assert r.info["writers"] == {f"pid{pid}": "completed"}


def test_bad_input_warning_points_at_the_callers_line(store_root, fast):
    import ringlog

    run = ringlog.init(project="life", dir=store_root, settings=fast)
    with pytest.warns(ringlog.errors.LoggingWarning) as rec:
        run.log({"x": object()})
    assert rec[0].filename == __file__
    run.finish()


def test_sigterm_handler_installed_for_the_run_and_restored_after(store_root, fast):
    import ringlog
    from ringlog._engine import lifecycle

    def mine(signum, frame):  # a user's handler installed before init
        pass

    before = signal.signal(signal.SIGTERM, mine)
    try:
        run = ringlog.init(project="life", dir=store_root, settings=fast.updated(handle_signals=True))
        assert signal.getsignal(signal.SIGTERM) is lifecycle._on_sigterm
        run.finish()
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, before)


def test_sdk_imports_stay_light():
    """The SDK's modules import neither numba, zarr, flask nor matplotlib (the flusher does the
    heavy imports on its own thread once a run starts)."""
    code = ("import sys, ringlog\n"
            "from ringlog import Task, Logger, Settings, init, log, finish, define_metric\n"
            "import ringlog.wandb.run, ringlog._engine.runcore, ringlog._engine.staging, ringlog._engine.flusher\n"
            "import ringlog.clearml.readapi, ringlog.media.types, ringlog.capture.manager\n"
            "heavy = [m for m in ('numba', 'zarr', 'flask', 'matplotlib') if m in sys.modules]\n"
            "print(heavy)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_ctrl_c_marks_aborted_and_keeps_everything(tmp_path):
    proc, root, task_id = spawn(tmp_path, "term")  # the same child: it sleeps after logging
    assert proc.stdout.readline().strip() == "flushed"
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGINT)
    try:
        code = proc.wait(60)
    except subprocess.TimeoutExpired:  # say what the child was doing instead of leaking it
        proc.kill()
        proc.wait()
        code = None
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    assert code is not None, f"the child did not end within 60 s of SIGINT; its stderr:\n{err}"
    assert code != 0 and "KeyboardInterrupt" in err
    status, s = reopen(root, task_id)
    assert status == "aborted"
    assert s.step.tolist() == list(range(2000))


def test_finish_restores_the_excepthook_it_replaced(store_root, fast):
    import ringlog

    before = sys.excepthook
    run = ringlog.init(project="life", dir=store_root, settings=fast)
    assert sys.excepthook is not before
    run.finish()
    assert sys.excepthook is before


def test_finish_leaves_a_hook_installed_after_ours(store_root, fast):
    import ringlog

    before = sys.excepthook

    def theirs(*exc):  # e.g. a debugger's hook installed after init
        pass

    run = ringlog.init(project="life", dir=store_root, settings=fast)
    sys.excepthook = theirs
    try:
        run.finish()
        assert sys.excepthook is theirs
    finally:
        sys.excepthook = before
