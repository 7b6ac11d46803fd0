"""A real ``torchrun``-launched 2-rank gloo job (CPU) logs in both W&B patterns and reads back
exactly: one task per rank with ``group=``, and one shared task (docs/examples/torchrun_ddp.py, the
README's example)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ringlog.store import Store

pytest.importorskip("torch")
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "torchrun_ddp.py"
STEPS = 12


def test_torchrun_two_ranks_both_patterns(tmp_path):
    root = tmp_path / "store"
    env = dict(os.environ, OMP_NUM_THREADS="1", RINGLOG_DIR=str(root))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           str(EXAMPLE), "--id", "ddp", "--steps", str(STEPS), "--echo"]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert p.returncode == 0, p.stderr[-3000:]
    echoed = {}
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            d = json.loads(line)
            echoed[d["rank"]] = d
    assert sorted(echoed) == [0, 1]
    st = Store(root)
    # 1. one task per rank, grouped: W&B's group / job_type recorded on each
    for rank in (0, 1):
        r = st.task(f"ddp-rank{rank}")
        assert r.info["status"] == "completed"
        assert r.info["init_args"]["group"] == "ddp" and r.info["init_args"]["job_type"] == "train"
        s = r.scalar("loss")
        assert s.step.tolist() == list(range(STEPS))
        assert s.value.tolist() == echoed[rank]["group"]
    # 2. one shared task: every rank's points, per-rank keys exact, system/console per rank
    r = st.task("ddp")
    assert [t["id"] for t in st.tasks()].count("ddp") == 1
    assert r.info["status"] == "completed" and list(r.info["writers"].values()) == ["completed"]
    assert {r.info["label"], *r.info["writers"]} == {"rank0", "rank1"}
    for rank in (0, 1):
        assert r.scalar(f"rank{rank}/loss").value.tolist() == echoed[rank]["shared"]
    merged = r.scalar("loss")
    assert merged.step.tolist() == sorted(list(range(STEPS)) * 2)  # one series, ordered by step
    for step in range(STEPS):
        got = sorted(merged.value[merged.step == step].tolist())
        assert got == sorted([echoed[0]["shared"][step], echoed[1]["shared"][step]])
    lines = {(c.get("source"), c["text"].strip()) for c in r.console() if "logging into task" in c["text"]}
    assert lines == {(f"rank{k}", f"rank {k} of 2 logging into task ddp") for k in (0, 1)}
    assert np.isfinite(merged.value).all()
