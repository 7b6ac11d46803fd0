"""The shortest scripts people write, each in a fresh process with default settings (capture on):
no finish(), sys.exit right after init, an exception right after init - in both flavours. The task
and its point must be on disk with the status W&B / ClearML would show: a clean end is
``completed`` (W&B's "finished"), ``sys.exit(n)`` with n != 0 and an unhandled exception are
``failed``."""

from __future__ import annotations

import pytest

from .conftest import only_task, run_script

START = {
    "wandb": "import ringlog\nringlog.init(project='p')\nlog = lambda v: ringlog.log({'a': v})\n",
    "clearml": "from ringlog import Task\ntask = Task.init(project_name='p', task_name='t')\n"
               "log = lambda v: task.get_logger().report_scalar('a', 'a', v, 0)\n",
}

CASES = {  # ending -> (code after the start, expected status, points of 'a', exit code)
    "log-then-end": ("log(1.5)\n", "completed", [1.5], 0),
    "exit-0-at-once": ("import sys\nsys.exit(0)\n", "completed", [], 0),
    "log-then-exit-0": ("log(1.5)\nimport sys\nsys.exit(0)\n", "completed", [1.5], 0),
    "exit-3-at-once": ("import sys\nsys.exit(3)\n", "failed", [], 3),
    "exception-at-once": ("raise RuntimeError('boom')\n", "failed", [], 1),
    "log-then-exception": ("log(1.5)\nraise RuntimeError('boom')\n", "failed", [1.5], 1),
}


@pytest.mark.parametrize("flavour", sorted(START))
@pytest.mark.parametrize("ending", sorted(CASES))
def test_shortest_script_leaves_its_task_and_point_with_the_right_status(tmp_path, flavour, ending):
    tail, status, points, code = CASES[ending]
    out = run_script(START[flavour] + tail, tmp_path)
    assert out.returncode == code, out.stderr
    assert "nothing is stored" not in out.stderr and "cannot" not in out.stderr, out.stderr
    task = only_task(tmp_path / "ringlog_data")
    assert task["status"] == status, (task, out.stderr)
    reader = task["reader"]
    got = reader.scalar("a", "a").value.tolist() if ("a", "a") in reader.series() else []
    assert got == points, out.stderr


@pytest.mark.parametrize("flavour", sorted(START))
def test_the_task_exists_when_init_returns(tmp_path, flavour):
    code = START[flavour] + ("from ringlog.store import Store\n"
                             "rows = Store('ringlog_data').tasks()\n"
                             "open('seen.txt', 'w').write(f\"{len(rows)} {rows[0]['status']} {rows[0]['project']}\")\n"
                             "import os\nos._exit(0)\n")  # no exit hook at all: what init wrote is all there is
    out = run_script(code, tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "seen.txt").read_text().split() == ["1", "running", "p"], out.stderr
