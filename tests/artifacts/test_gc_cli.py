"""``ringlog gc ROOT``: removes blobs nothing references; deleting a task never removes a blob another
task's manifest still names. Run as users run it: tasks made by scripts, the CLI in its own process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from ringlog.clearml.readapi import TaskView
from ringlog.store import Store

_MAKE = """
import sys
from ringlog import Task
t = Task.init(project_name="gc", task_name=sys.argv[1])
t.upload_artifact("weights", sys.argv[2])
t.upload_artifact("own", {"task": sys.argv[1]})
print(t.id)
"""


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "ringlog.cli", "gc", *args], capture_output=True, text=True,
                          timeout=120)


def test_gc_keeps_blobs_another_task_uses(tmp_path):
    root = tmp_path / "root"
    shared = tmp_path / "shared.bin"
    shared.write_bytes(os.urandom(1 << 20))
    env = dict(os.environ, RINGLOG_DIR=str(root))
    ids = [subprocess.run([sys.executable, "-c", textwrap.dedent(_MAKE), name, str(shared)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=True).stdout.split()[-1]
           for name in ("one", "two")]
    blobs = root / ".artifacts" / "blobs"
    count = lambda: sum(1 for p in blobs.rglob("*") if p.is_file())  # noqa: E731
    assert count() == 3  # the shared file once, and each task's own dict
    out = _cli(str(root), "--grace", "0")
    assert out.returncode == 0 and out.stdout.startswith("removed 0 blob(s)") and "kept 3" in out.stdout
    Store(root).delete_task(ids[0])
    dry = _cli(str(root), "--grace", "0", "--dry-run")
    assert dry.stdout.startswith("would remove 1 blob(s)") and count() == 3
    out = _cli(str(root), "--grace", "0")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("removed 1 blob(s)") and "2 manifest(s) of deleted tasks" in out.stdout  # its two artifacts
    assert count() == 2
    arts = TaskView(Store(root).task(ids[1])).artifacts
    with open(arts["weights"].get_local_copy(), "rb") as f:
        assert f.read() == shared.read_bytes()
    assert arts["own"].get() == {"task": "two"}
    # the default grace period spares what a commit in progress may have just stored
    (blobs / "ab").mkdir(exist_ok=True)
    (blobs / "ab" / ("ab" * 32)).write_bytes(b"orphan")
    assert "kept 2 referenced blob(s) and 1 younger than 3600 s" in _cli(str(root)).stdout
    assert _cli(str(root), "--grace", "-1").returncode == 2
