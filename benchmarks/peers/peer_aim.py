"""aim, its default local repo (``.aim`` in ROOT), ``Run.track(v, name="loss", step=i)`` (10 keys as
``Run.track({k: v, ...}, step=i)``); read back with ``Run(hash, read_only=True).get_metric(...)``
and the sequence's ``numpy()``, after indexing the finished run with aim's own
``RepoIndexManager.index`` (what ``aim up`` does first: an unindexed run reads as having no
metrics), timed as part of the read."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import KEYS10, Workload  # noqa: E402

w = Workload()
if w.form == "read":
    from aim import Repo, Run
    from aim.sdk.index_manager import RepoIndexManager
    from aim.storage.context import Context
    w.mark("import")
    repo = Repo.from_path(w.root)
    (rh,) = repo.list_all_runs()
    RepoIndexManager.get_index_manager(repo).index(rh)
    metric = Run(rh, repo=repo, read_only=True).get_metric("loss", Context({}))
    _steps, (vals, *_rest) = metric.data.numpy()
    w.mark("read")
    w.emit(len(vals), float(vals.sum()))
else:
    from aim import Repo, Run
    w.mark("import")
    run = Run(repo=Repo.from_path(w.root, init=True), experiment="peers")
    track = run.track
    w.mark("init")
    if w.form == "one":
        for i, v in enumerate(w.vals):
            track(v, name="loss", step=i)
    else:
        for i, v in enumerate(w.vals):
            track({k: v for k in KEYS10}, step=i)
    w.mark("loop")
    run.close()
    w.mark("finish")
    w.emit(w.steps * (1 if w.form == "one" else 10))
