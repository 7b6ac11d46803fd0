"""W&B's define_metric(hidden=True) keeps a key out of the automatic charts: the task page's chart
listing puts it in a collapsed "hidden" section, one click away (issue 15)."""

from __future__ import annotations

import ringlog
from ringlog.viewer import create_app


def test_hidden_metrics_leave_the_automatic_charts(tmp_path):
    run = ringlog.init(project="p", dir=tmp_path, settings=ringlog.Settings(capture=False, handle_signals=False))
    run.define_metric("secret", hidden=True)
    run.define_metric("val/*", hidden=True)
    run.define_metric("shown", hidden=False)
    for i in range(5):
        run.log({"loss": 1.0 / (i + 1), "secret": i, "val/acc": 0.1 * i, "shown": 2.0 * i, "_internal": i,
                 "train/lr": 1e-3})
    run.finish()
    client = create_app(tmp_path, config={"TESTING": True}).test_client()
    data = client.get(f"/api/tasks/{run.id}/series").get_json()
    where = {c["id"]: (c["section"], c["collapsed"]) for c in data["charts"]}
    assert where["secret"] == ("hidden", True)
    assert where["val/acc"] == ("hidden", True)
    for shown in ("loss", "shown", "train/lr", "_internal"):  # "_" keys match no glob, as in W&B
        assert where[shown][1] is False, (shown, where[shown])
    # the automatic (open) charts come first, the hidden section after them
    order = [c["id"] for c in data["charts"]]
    assert max(order.index(k) for k in ("loss", "shown", "train/lr")) < order.index("secret")
    # still readable on demand
    r = client.get(f"/api/tasks/{run.id}/scalar?title=secret")
    assert r.status_code == 200 and r.get_json()["y"] == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_no_define_metric_changes_nothing(tmp_path):
    run = ringlog.init(project="p", dir=tmp_path, settings=ringlog.Settings(capture=False, handle_signals=False))
    run.log({"a": 1.0, "b/c": 2.0})
    run.finish()
    data = create_app(tmp_path, config={"TESTING": True}).test_client().get(f"/api/tasks/{run.id}/series").get_json()
    assert all(c["collapsed"] is False for c in data["charts"]) and len(data["charts"]) == 2
