"""ClearML offline (``Task.set_offline(True)``, ``CLEARML_CACHE_DIR`` = ROOT, so the session folder
and the zip ``close()`` makes of it land in ROOT), ``Logger.report_scalar("loss", "train", v, i)``.

Read back: ClearML reads a task's scalars from its server (``Task.get_reported_scalars``); an
offline session is only for ``Task.import_offline_session`` to send to one. So this reads the
session's ``metrics.jsonl`` (JSON arrays of ClearML's own event dicts) with ``json``.
"""
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import KEYS10, Workload  # noqa: E402

w = Workload()
os.environ["CLEARML_CACHE_DIR"] = w.root
if w.form == "read":
    w.mark("import")
    vals = []
    (folder,) = [p for p in glob.glob(os.path.join(w.root, "offline", "*")) if os.path.isdir(p)]
    with open(os.path.join(folder, "metrics.jsonl")) as f:
        for line in f:
            for ev in json.loads(line):
                if ev.get("type") == "training_stats_scalar" and ev.get("metric") == "loss":
                    vals.append(ev["value"])
    w.mark("read")
    w.emit(len(vals), float(sum(vals)))
else:
    from clearml import Task
    w.mark("import")
    Task.set_offline(True)
    task = Task.init(project_name="peers", task_name=w.form)
    report = task.get_logger().report_scalar
    w.mark("init")
    if w.form == "one":
        for i, v in enumerate(w.vals):
            report("loss", "train", v, i)
    else:
        for i, v in enumerate(w.vals):
            for k in KEYS10:
                report(k, "train", v, i)
    w.mark("loop")
    task.close()
    w.mark("finish")
    w.emit(w.steps * (1 if w.form == "one" else 10))
