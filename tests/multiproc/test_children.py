"""ClearML's pattern: processes forked or spawned from one that ran ``Task.init`` get
``Task.current_task()`` = the parent's task and their reports land in it; torch DataLoader workers
(``num_workers=2``) logging from ``__getitem__`` too. Each scenario runs in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from ringlog.store import Store

_MP = textwrap.dedent("""
    import json, multiprocessing as mp, sys
    from ringlog import Task

    def child(q, i):
        t = Task.current_task()
        t.get_logger().report_scalar("loss", "child", value=float(i), iteration=i)
        q.put(t.id)

    if __name__ == "__main__":
        task = Task.init(project_name="mp", task_name="children", dir=sys.argv[1], auto_resource_monitoring=False,
                         auto_connect_streams=False)
        task.get_logger().report_scalar("loss", "parent", value=-1.0, iteration=0)
        ids = []
        for i, method in enumerate(("fork", "spawn")):
            ctx = mp.get_context(method)
            q = ctx.Queue()
            p = ctx.Process(target=child, args=(q, i))
            p.start()
            ids.append(q.get(timeout=120))
            p.join(120)
            assert p.exitcode == 0, p.exitcode
        print(json.dumps({"task": task.id, "children": ids}))
        task.close()
""")

_LOADER = textwrap.dedent("""
    import json, sys
    import torch
    from torch.utils.data import DataLoader, Dataset
    from ringlog import Task

    class Items(Dataset):
        def __len__(self):
            return 16
        def __getitem__(self, idx):
            info = torch.utils.data.get_worker_info()
            logger = Task.current_task().get_logger()
            logger.report_scalar("item", "index", value=float(idx), iteration=idx)
            logger.report_scalar("item", "worker", value=float(info.id), iteration=idx)
            return idx

    if __name__ == "__main__":
        task = Task.init(project_name="mp", task_name="loader", dir=sys.argv[1], auto_resource_monitoring=False,
                         auto_connect_streams=False)
        seen = sorted(int(x) for b in DataLoader(Items(), batch_size=4, num_workers=2) for x in b)
        assert seen == list(range(16))
        print(json.dumps({"task": task.id}))
        task.close()
""")


def _run(tmp_path, script: str) -> tuple[dict, Store]:
    root = tmp_path / "store"
    path = tmp_path / "job.py"  # a file: spawned children import the parent's main module
    path.write_text(script)
    p = subprocess.run([sys.executable, str(path), str(root)], capture_output=True, text=True, timeout=240)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout.strip().splitlines()[-1]), Store(root)


def test_forked_and_spawned_children_report_into_the_parents_task(tmp_path):
    out, st = _run(tmp_path, _MP)
    assert out["children"] == [out["task"]] * 2  # Task.current_task().id in the forked and the spawned child
    assert [t["id"] for t in st.tasks()] == [out["task"]]  # no other task was made
    r = st.task(out["task"])
    s = r.scalar("loss", "child")
    assert s.step.tolist() == [0, 1] and s.value.tolist() == [0.0, 1.0]
    assert r.scalar("loss", "parent").value.tolist() == [-1.0]
    assert len(r.info["writers"]) == 2 and set(r.info["writers"].values()) == {"completed"}


def test_dataloader_workers_log_into_the_parents_task(tmp_path):
    pytest.importorskip("torch")
    out, st = _run(tmp_path, _LOADER)
    r = st.task(out["task"])
    idx = r.scalar("item", "index")
    assert idx.step.tolist() == list(range(16)) and idx.value.tolist() == [float(i) for i in range(16)]
    assert sorted(set(r.scalar("item", "worker").value.tolist())) == [0.0, 1.0]  # both workers logged
    assert len(r.info["writers"]) == 2 and set(r.info["writers"].values()) == {"completed"}


def test_a_wandb_row_pending_at_the_fork_is_written_once(tmp_path):
    """A ``commit=False`` row accumulating when a DataLoader-like child forks is the parent's: the
    child, which logs and finishes on its own, does not write it again."""
    import os

    import ringlog

    run = ringlog.init(project="mp", dir=str(tmp_path), settings=ringlog.Settings(
        flush_interval=0.05, capture=False, handle_signals=False))
    run.log({"lr": 0.5}, commit=False)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            ringlog.log({"worker": 1.0})
            ringlog.finish()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    run.log({"loss": 1.0})
    run.finish()
    r = Store(tmp_path).task(run.id)
    assert r.scalar("lr").value.tolist() == [0.5] and r.scalar("worker").value.tolist() == [1.0]
