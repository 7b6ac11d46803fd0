"""No start-up race: after ``init()`` returns, no ringlog thread imports a module, so nothing the
user imports meanwhile (torch, pandas, matplotlib...) can deadlock on an import lock with it or
see a half-initialised module (seen before: ``_DeadlockError`` on ``importlib.resources.abc`` and
``llvmlite.binding.analysis`` not found, the whole run lost).

Two checks: an audit hook that records every module actually loaded on a non-main thread during
whole runs of both flavours (warm and cold numba cache, capture on) - it must be none from a
ringlog thread; and a stress run of 120 short runs in one process while its main thread imports
heavy and freshly written modules right after each ``init()`` - every run must be stored."""

from __future__ import annotations

import json

import pytest

from .conftest import run_script

AUDIT = r"""
import json, sys, threading
seen = []
def hook(event, args):
    if event == "import" and threading.current_thread().name.startswith("ringlog-"):
        seen.append([threading.current_thread().name.split("-")[1], args[0]])
sys.addaudithook(hook)
import ringlog
from ringlog import Task
run = ringlog.init(project="p")
for i in range(3000):
    ringlog.log({"a": float(i), "b": i})
print("console line")
run._core.flusher.warm.wait(300)
run.flush()
ringlog.finish()
task = Task.init(project_name="p", task_name="t")
lg = task.get_logger()
lg.report_scalar("c", "c", 1.0, 0)
import numpy as np
lg.report_scalar_array("d", "d", np.ones(100_000), np.arange(100_000))
task._core.flusher.warm.wait(300)
task.close()
open("seen.json", "w").write(json.dumps(seen))
"""


@pytest.mark.parametrize("cache", ["warm", "cold"])
def test_no_ringlog_thread_imports_a_module(tmp_path, cache):
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "numba-cold")} if cache == "cold" else {}
    out = run_script(AUDIT, tmp_path, env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "seen.json").read_text()) == [], out.stderr


STRESS = r"""
import importlib, os, sys
import ringlog
from ringlog import Task
STD = ["xml.dom.minidom", "http.cookiejar", "wave", "tomllib", "imaplib", "ftplib", "mailbox", "smtplib",
       "pickletools", "difflib", "netrc", "plistlib", "sched", "graphlib", "zipapp", "pydoc_data.topics",
       "cProfile", "pstats", "tabnanny", "filecmp", "fileinput", "xml.sax", "xml.etree.ElementTree", "wsgiref.simple_server",
       "colorsys", "turtledemo", "calendar", "webbrowser", "ipaddress", "statistics"]
mods = os.path.abspath("mods")
os.makedirs(mods, exist_ok=True)
sys.path.insert(0, mods)
N = int(sys.argv[1])
for i in range(N):
    # a fresh module per run, importing a stdlib module not loaded yet: the main thread holds import
    # locks while the run's threads start, write and sync
    with open(os.path.join(mods, f"m{i}.py"), "w") as f:
        f.write(f"import {STD[i % len(STD)]}\nimport numpy.polynomial\nX = {i}\n")
    if i % 2:
        ringlog.init(project="s", name=f"r{i}")
        log = lambda v: ringlog.log({"a": v})
        end = ringlog.finish
    else:
        task = Task.init(project_name="s", task_name=f"r{i}")
        log = lambda v: task.get_logger().report_scalar("a", "a", v, 0)
        end = task.close
    if i == 0:
        import torch, pandas, matplotlib.pyplot  # noqa: F401  # the heavy imports of a real script
    importlib.import_module(f"m{i}")
    log(float(i))
    end()
"""


def test_many_short_runs_while_the_main_thread_imports_lose_nothing(tmp_path):
    n = 120
    proc = run_script(STRESS.replace("int(sys.argv[1])", str(n)), tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "cannot" not in proc.stderr and "Deadlock" not in proc.stderr, proc.stderr
    from ringlog.store import Store

    store = Store(tmp_path / "ringlog_data")
    rows = store.tasks()
    assert len(rows) == n, proc.stderr
    by_name = {r["name"]: r for r in rows}
    for i in range(n):
        r = by_name[f"r{i}"]
        assert r["status"] == "completed", r
        assert store.task(r["id"]).scalar("a", "a").value.tolist() == [float(i)], r
