"""End to end through ringlog.init: a real script (in a subprocess, so fd capture owns its fds) whose
console, TensorBoard, matplotlib, watch, system metrics and git info land in the store."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

import pytest

import ringlog.store

SCRIPT = textwrap.dedent(r'''
    import subprocess, sys, threading
    import numpy as np
    import ringlog
    root, logdir = sys.argv[1], sys.argv[2]
    run = ringlog.init(project="capture", name="e2e", dir=root, capture={"system_interval": 0.1},
                       settings=ringlog.Settings(flush_interval=0.05, handle_signals=False))
    print("hello from the script")
    subprocess.run([sys.executable, "-c", "print('child says hi')"], check=True)
    from tqdm import tqdm
    for _ in tqdm(range(30), mininterval=0, ascii=True, ncols=60):
        pass
    from torch.utils.tensorboard import SummaryWriter
    w = SummaryWriter(logdir)
    for i in range(5):
        w.add_scalar("Loss/train", 1.0 / (i + 1), i)
    w.add_histogram("weights/fc", np.random.default_rng(0).normal(size=200), 3)
    w.add_image("samples/x", np.zeros((3, 4, 4), dtype=np.float32), 2)
    w.close()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.plot([1, 2, 3], [3, 1, 2])
    plt.title("curve")
    plt.show()
    import torch
    model = torch.nn.Linear(3, 1)
    ringlog.watch(model, log_freq=1)
    for _ in range(2):
        model(torch.randn(4, 3)).sum().backward()
    sampler, wait = run._core.capture.sampler, threading.Event()
    for _ in range(400):  # a few system samples (bounded: 20 s on a loaded box)
        if sampler.samples >= 3:
            break
        wait.wait(0.05)
    ringlog.finish()
    print("RUN_ID", run.id)
''')


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e.x", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@e.x", "HOME": str(cwd), "PATH": "/usr/bin:/bin"})


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_script_end_to_end(tmp_path):
    for optional in ("torch", "tensorboard", "matplotlib", "tqdm"):  # the script uses each
        pytest.importorskip(optional)
    repo = tmp_path / "repo"
    repo.mkdir()
    script = repo / "train.py"
    script.write_text(SCRIPT)
    _git(repo, "init", "-q")
    _git(repo, "add", "train.py")
    _git(repo, "commit", "-q", "-m", "train")
    script.write_text(SCRIPT + "# tuned\n")  # an uncommitted change
    root = tmp_path / "store"
    p = subprocess.run([sys.executable, str(script), str(root), str(tmp_path / "tb")], capture_output=True,
                       timeout=240, cwd=repo)
    assert p.returncode == 0, p.stderr.decode()[-3000:]
    out = p.stdout.decode()
    assert "hello from the script" in out and "child says hi" in out  # the terminal still saw it
    task_id = out.split("RUN_ID")[-1].strip()
    r = ringlog.store.Store(root).task(task_id)
    lines = [(c["stream"], c["text"]) for c in r.console()]
    assert ("stdout", "hello from the script") in lines and ("stdout", "child says hi") in lines
    bars = [t for s, t in lines if s == "stderr" and "30/30" in t]
    assert len(bars) == 1 and len([t for s, t in lines if "|" in t]) == 1  # tqdm folded to one line
    s = r.scalar("Loss", "train")
    assert list(s.step) == [0, 1, 2, 3, 4] and s.value[1] == pytest.approx(0.5)
    assert [h["iteration"] for h in r.plots("weights", "fc")] == [3]
    assert [m["iteration"] for m in r.media("samples", "x")] == [2]
    assert r.plots("curve")
    assert sorted({h["series"] for h in r.plots("gradients")}) == ["bias", "weight"]
    system = {series for title, series in r.series() if title == "system"}
    assert {"cpu_percent", "memory_percent", "process_rss_gb"} <= system
    assert len(r.scalar("system", "cpu_percent").step) >= 2
    env = r.info["env"]
    assert env["git"]["dirty"] and "+# tuned" in env["git"]["diff"]
    assert env["argv"][0].endswith("train.py") and any(x.startswith("numpy==") for x in env["packages"])


def _parts(core):
    return set(core.capture.parts) if core.capture is not None else set()


def test_switches_from_task_init_and_ringlog_init(tmp_path):
    import ringlog

    s = ringlog.Settings(handle_signals=False, flush_interval=0.05)
    task = ringlog.Task.init(project_name="p", task_name="t", dir=str(tmp_path), settings=s,
                             auto_connect_frameworks={"tensorboard": False}, auto_resource_monitoring=False,
                             auto_connect_streams=False)
    try:
        assert _parts(task._core) == {"matplotlib"}
    finally:
        task.close()
    assert task._core.capture.stopped
    run = ringlog.init(project="p", dir=str(tmp_path), settings=s,
                       capture={"console": False, "matplotlib": False, "system_interval": 0.05})
    try:
        core = run._core
        assert _parts(core) == {"tensorboard", "system"} and core.capture.sampler.interval == 0.05
    finally:
        run.finish()
    assert not core.capture.sampler.is_alive()
    run = ringlog.init(project="p", dir=str(tmp_path), settings=s, capture=False)
    assert _parts(run._core) == set()
    run.finish()


CRASH = textwrap.dedent(r'''
    import sys
    import ringlog
    run = ringlog.init(project="capture", name="crash", dir=sys.argv[1], capture={"system_metrics": False},
                       settings=ringlog.Settings(flush_interval=0.05, handle_signals=False))
    print("RUN_ID", run.id, flush=True)
    print("about to fail")
    def train():
        raise ValueError("loss is NaN at step 7")
    train()
''')


def test_crash_traceback_lands_in_the_console_log_once(tmp_path):
    root = tmp_path / "store"
    p = subprocess.run([sys.executable, "-c", CRASH, str(root)], capture_output=True, timeout=120)
    assert p.returncode == 1
    err = p.stderr.decode()
    assert err.count("ValueError: loss is NaN at step 7") == 1  # the terminal shows it once, as usual
    task_id = p.stdout.decode().split("RUN_ID")[1].split()[0]
    r = ringlog.store.Store(root).task(task_id)
    assert r.info["status"] == "failed"
    lines = [(c["stream"], c["text"]) for c in r.console()]
    assert ("stdout", "about to fail") in lines
    tb = [t for s, t in lines if s == "stderr"]
    assert tb.count("ValueError: loss is NaN at step 7") == 1 and "Traceback (most recent call last):" in tb
    assert any('in train' in t for t in tb)
