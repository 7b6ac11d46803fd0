"""ringlog, default settings (capture on): W&B form ``log({"loss": v}, step=i)`` or ClearML form
``report_scalar("loss", "train", v, i)``; read back with ``Store(...).task(id).scalar(...)``."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import KEYS10, Workload  # noqa: E402

w = Workload()
if w.form == "read":
    from ringlog.store import Store
    w.mark("import")
    store = Store(w.root)
    reader = store.task(next(iter(store.tasks()))["id"])
    title, series = ("loss", "loss") if w.variant == "wandb" else ("loss", "train")
    s = reader.scalar(title, series)
    w.mark("read")
    w.emit(len(s.value), float(s.value.sum()))
elif w.variant == "wandb":
    import ringlog
    w.mark("import")
    run = ringlog.init(project="peers", name=w.form, dir=w.root)
    log = ringlog.log
    w.mark("init")
    if w.form == "one":
        for i, v in enumerate(w.vals):
            log({"loss": v}, step=i)
    else:
        for i, v in enumerate(w.vals):
            log({k: v for k in KEYS10}, step=i)
    w.mark("loop")
    run.finish()
    w.mark("finish")
    w.emit(w.steps * (1 if w.form == "one" else 10))
else:
    from ringlog import Task
    w.mark("import")
    task = Task.init(project_name="peers", task_name=w.form, dir=w.root)
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
