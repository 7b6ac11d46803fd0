"""The README's main job, at small sizes: it logs every kind of report into a store the readers open."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ringlog.store import Store


@pytest.mark.slow
def test_demo_logs_every_kind_and_reads_back(tmp_path):
    root = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "ringlog.demo", "--root", str(root), "--points", "50000", "--steps", "400",
         "--no-serve"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    store = Store(root)
    tasks = store.tasks(project="ringlog-demo")
    assert len(tasks) == 5 and all(t["status"] == "completed" for t in tasks)
    long_run = next(t for t in tasks if t["name"].startswith("long run"))
    reader = store.task(long_run["id"])
    loss = reader.scalar("loss", "train")
    assert loss.step.size == 50_000 and (loss.step == range(50_000)).all()
    dec = reader.decimate("loss", "train", points=500)
    assert dec.raw_count == 50_000 and len(dec.x) <= 4 * 500
    kinds = {m["kind"] for t in tasks for m in store.task(t["id"]).media()}
    assert {"image", "audio", "video", "html"} <= kinds, kinds
    assert reader.plots() and reader.console()
    # a second run serves what is there instead of logging it twice
    again = subprocess.run([sys.executable, "-m", "ringlog.demo", "--root", str(root), "--no-serve"],
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "already in" in again.stdout
    assert len(Store(root).tasks(project="ringlog-demo")) == 5
