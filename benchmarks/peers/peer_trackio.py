"""trackio (local: ``TRACKIO_DIR`` = ROOT), ``trackio.log({"loss": v}, step=i)``; read back with
``SQLiteStorage.get_metric_values`` (what ``trackio get metric`` calls)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import KEYS10, Workload  # noqa: E402

w = Workload()
os.environ["TRACKIO_DIR"] = w.root  # read when trackio is imported
if w.form == "read":
    from trackio.sqlite_storage import SQLiteStorage
    w.mark("import")
    rows = SQLiteStorage.get_metric_values("peers", "one", "loss")
    vals = [r["value"] for r in rows]
    w.mark("read")
    w.emit(len(vals), float(sum(vals)))
else:
    import trackio
    w.mark("import")
    trackio.init(project="peers", name=w.form)
    log = trackio.log
    w.mark("init")
    if w.form == "one":
        for i, v in enumerate(w.vals):
            log({"loss": v}, step=i)
    else:
        for i, v in enumerate(w.vals):
            log({k: v for k in KEYS10}, step=i)
    w.mark("loop")
    trackio.finish()
    w.mark("finish")
    w.emit(w.steps * (1 if w.form == "one" else 10))
