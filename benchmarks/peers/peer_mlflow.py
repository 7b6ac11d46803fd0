"""MLflow, local tracking: VARIANT ``log_metric`` (``mlflow.log_metric("loss", v, step=i)``, 10 keys
as ``mlflow.log_metrics(d, step=i)``), ``log_batch`` (``MlflowClient.log_batch`` of 1,000 metrics
a call: MLflow's bulk form, one row of the table on its own), each with the file store
(``file://ROOT/mlruns``), or ``sqlite`` (``log_metric`` against ``sqlite:///ROOT/mlflow.db``,
MLflow 3's default tracking URI). Read back with ``MlflowClient.get_metric_history``."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import KEYS10, Workload  # noqa: E402

w = Workload()
os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # MLflow 3 refuses the file store unless told
uri = (f"sqlite:///{os.path.join(w.root, 'mlflow.db')}" if w.variant == "sqlite"
       else "file://" + os.path.join(w.root, "mlruns"))
if w.form == "read":
    from mlflow.tracking import MlflowClient
    w.mark("import")
    client = MlflowClient(tracking_uri=uri)
    exps = [e.experiment_id for e in client.search_experiments()]
    (run,) = client.search_runs(exps)
    hist = client.get_metric_history(run.info.run_id, "loss")
    vals = [m.value for m in hist]
    w.mark("read")
    w.emit(len(vals), float(sum(vals)))
else:
    import mlflow
    from mlflow.entities import Metric
    w.mark("import")
    mlflow.set_tracking_uri(uri)
    run = mlflow.start_run(run_name=w.form)
    w.mark("init")
    if w.variant == "log_batch":
        client, rid, batch = mlflow.MlflowClient(), run.info.run_id, []
        keys = ["loss"] if w.form == "one" else KEYS10
        for i, v in enumerate(w.vals):
            ts = int(time.time() * 1000)
            batch.extend(Metric(k, v, ts, i) for k in keys)
            if len(batch) >= 1000:
                client.log_batch(rid, metrics=batch)
                batch = []
        if batch:
            client.log_batch(rid, metrics=batch)
    elif w.form == "one":
        log = mlflow.log_metric
        for i, v in enumerate(w.vals):
            log("loss", v, step=i)
    else:
        log = mlflow.log_metrics
        for i, v in enumerate(w.vals):
            log({k: v for k in KEYS10}, step=i)
    w.mark("loop")
    mlflow.end_run()
    w.mark("finish")
    w.emit(w.steps * (1 if w.form == "one" else 10))
