"""W&B's shared mode: several processes, one task id, a label each (ringlog._engine.shared).

* 8 processes logging one task at full speed lose nothing and corrupt nothing (CI: 2 s;
  ``RINGLOG_MANY_SECONDS=10`` runs the issue's full 10 s version);
* a ``kill -9`` of one writer loses at most its last flush window, and the others go on;
* system metrics go under ``system/<label>``; ``$RINGLOG_RUN_ID`` + ``$RINGLOG_LABEL`` select it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import ringlog
from ringlog.store import Store
from ringlog.store.crashring_recover import recover
from ringlog.store.fsck import fsck

_WRITER = textwrap.dedent("""
    import json, os, sys, time
    import ringlog
    root, label, seconds, interval = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    settings = ringlog.Settings(flush_interval=interval, system_interval=0.1, handle_signals=False, git=False,
                                console=False, tensorboard=False, matplotlib=False,
                                system_metrics=os.environ.get("SYSMETRICS") == "1")
    if os.environ.get("RINGLOG_LABEL"):  # the environment form: $RINGLOG_RUN_ID + $RINGLOG_LABEL
        run = ringlog.init(project="many", dir=root, settings=settings)
    else:
        run = ringlog.init(project="many", id="many", dir=root, settings=settings.updated(mode="shared", x_label=label))
    key = "p" + label[1:]
    log, i, report = run.log, 0, os.environ.get("REPORT") == "1"
    print(json.dumps({"started": time.time()}), flush=True)
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for _ in range(500):
            log({key: float(i), "common": float(i)} if i % 100 == 0 else {key: float(i)})
            i += 1
        if report:
            print(json.dumps({"t": time.time(), "i": i}), flush=True)
            time.sleep(0.01)
    run.finish()
    print(json.dumps({"label": label, "n": i}), flush=True)
""")


def _start(tmp_path, label: str, seconds: float, interval: float = 1.0, **env) -> subprocess.Popen:
    script = tmp_path / "writer.py"
    if not script.exists():
        script.write_text(_WRITER)
    e = dict(os.environ, **env)
    return subprocess.Popen([sys.executable, str(script), str(tmp_path / "store"), label, str(seconds),
                             str(interval)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e)


def _last(p: subprocess.Popen) -> dict:
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def test_eight_processes_write_one_task_at_full_speed(tmp_path):
    seconds = float(os.environ.get("RINGLOG_MANY_SECONDS", "2"))
    procs = [_start(tmp_path, f"w{i}", seconds) for i in range(8)]
    done = {d["label"]: d["n"] for d in map(_last, procs)}
    st = Store(tmp_path / "store")
    assert [t["id"] for t in st.tasks()] == ["many"]
    r = st.task("many")
    assert r.info["status"] == "completed" and len(r.info["writers"]) == 7
    assert set(r.info["writers"].values()) == {"completed"} and not r.problems
    for label, n in done.items():  # every point of every writer, exactly
        s = r.scalar("p" + label[1:])
        assert np.array_equal(s.value, np.arange(n, dtype=np.float64)) and np.array_equal(s.step, np.arange(n))
    common = r.scalar("common")  # the key all 8 wrote: one series, ordered by step
    want = sorted(float(i) for n in done.values() for i in range(0, n, 100))
    assert sorted(common.value.tolist()) == want and np.all(np.diff(common.step) >= 0)
    assert fsck(tmp_path / "store").exit_code() == 0  # nothing corrupt, nothing to repair
    print(f"8 writers, {seconds:g} s: {sum(done.values()):,} points")


def test_kill_9_of_one_writer_loses_only_its_last_flush_window(tmp_path):
    interval = 0.2
    first = _start(tmp_path, "k0", 3.0, interval, SYSMETRICS="1")
    json.loads(first.stdout.readline())  # k0 created the task: the victim is a namespace writer
    victim = _start(tmp_path, "k1", 30.0, interval, REPORT="1", RINGLOG_CRASH_RING=str(64 << 20))
    other = _start(tmp_path, "k2", 3.0, interval, SYSMETRICS="1", RINGLOG_RUN_ID="many", RINGLOG_LABEL="k2")
    acked = []
    json.loads(victim.stdout.readline())
    t0 = time.time()
    while time.time() - t0 < 1.5:
        acked.append(json.loads(victim.stdout.readline()))
    os.kill(victim.pid, signal.SIGKILL)
    killed_at = time.time()
    victim.wait()
    victim.stdout.close()
    victim.stderr.close()
    n0, n2 = _last(first)["n"], _last(other)["n"]
    r = Store(tmp_path / "store").task("many")
    assert r.info["writers"] == {"k1": "crashed", "k2": "completed"}
    for key, n in (("p0", n0), ("p2", n2)):  # the others went on to the end
        assert np.array_equal(r.scalar(key).value, np.arange(n, dtype=np.float64))
    kept = r.scalar("p1").value
    assert np.array_equal(kept, np.arange(len(kept), dtype=np.float64))  # a prefix, nothing corrupt
    # what it logged a flush window (plus scheduling slack on a loaded machine) before the kill is kept
    safe = max([a["i"] for a in acked if a["t"] <= killed_at - interval - 1.0] or [0])
    assert len(kept) >= safe > 0, (len(kept), safe)
    titles = {t for t, _ in r.series() if t.startswith("system")}
    assert titles == {"system/k0", "system/k2"}  # system metrics per process
    rep = fsck(tmp_path / "store", repair=True)  # the dead namespace is recorded crashed, nothing lost
    assert [f.file.endswith(".crashring.bin") for f in rep.unrepaired] == [True]  # its crash ring, reported
    assert Store(tmp_path / "store").task("many").count("p1") == len(kept)
    # replayed by `ringlog fsck --repair` (the command) or the rank's restart: what it logged after its last flush
    assert recover(tmp_path / "store")
    p1 = Store(tmp_path / "store").task("many").scalar("p1").value
    assert len(p1) >= len(kept) and np.array_equal(p1, np.arange(len(p1), dtype=np.float64))
    assert fsck(tmp_path / "store").exit_code() == 0


def test_shared_mode_needs_an_id(tmp_path, monkeypatch):
    for var in ("RINGLOG_RUN_ID", "WANDB_RUN_ID", "RINGLOG_LABEL"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ValueError, match="^id: mode='shared' needs"):
        ringlog.init(project="p", dir=str(tmp_path), mode="shared", capture=False)
    with pytest.raises(ValueError, match="x_label"):
        ringlog.init(project="p", dir=str(tmp_path), id="x", settings=ringlog.Settings(mode="shared", x_label="a/b"),
                     capture=False)
    assert not (tmp_path / "p").exists()


def test_a_restarted_process_continues_its_own_steps(tmp_path):
    settings = ringlog.Settings(flush_interval=0.05, capture=False, handle_signals=False, mode="shared")
    for attempt in range(2):  # a preempted rank started again with the same id and label
        for label in ("rank0", "rank1"):
            run = ringlog.init(project="p", id="job", dir=str(tmp_path), settings=settings.updated(x_label=label))
            for _ in range(3):
                run.log({f"{label}/loss": float(attempt)})
            run.finish()
    r = Store(tmp_path).task("job")
    for label in ("rank0", "rank1"):
        s = r.scalar(f"{label}/loss")
        assert s.step.tolist() == [0, 1, 2, 3, 4, 5] and s.value.tolist() == [0.0] * 3 + [1.0] * 3
    assert len(r.info["resumes"]) == 1 and r.info["writers"] == {"rank1": "completed"}
