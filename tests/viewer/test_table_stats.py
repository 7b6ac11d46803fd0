"""Series last/min/max as task-table columns (issue 19, item 5): /api/tasks stats=1, sort and filter."""

from __future__ import annotations

A, B, C = "a" * 32, "b" * 32, "c" * 32


def _get(client, **q):
    r = client.get("/api/tasks", query_string=q)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_stats_columns_for_both_flavours(client, live):
    d = _get(client, project="vision", stats="1")
    assert "loss" in d["columns"]["stats"] and "lr/group0" in d["columns"]["stats"]  # ClearML title/series
    a = next(t for t in d["tasks"] if t["id"] == A)
    s = a["stats"]["lr/group1"]
    assert s["min"] <= s["last"] <= s["max"]
    assert next(t for t in d["tasks"] if t["id"] == B)["stats"] == {}
    assert "stats" not in _get(client, project="vision")["columns"]   # opt-in: the plain table reads no task


def test_sort_and_filter_by_series_min(client, live):
    d = _get(client, sort="min.lr/group0", order="asc")
    assert [t["id"] for t in d["tasks"]][0] == A and d["total"] == 3   # tasks lacking it come last
    lo = _get(client, stats="1", project="vision")["tasks"]
    m = next(t for t in lo if t["id"] == A)["stats"]["loss"]["max"]
    assert _get(client, stat=f"max.loss:{m}:")["total"] == 1
    assert _get(client, stat=f"max.loss::{m - 1e-9}")["total"] == 0


def test_bad_stat_arguments(client):
    for q, name in (({"stat": "avg.loss:0:1"}, "stat"), ({"stat": "min.loss:x:1"}, "stat"),
                    ({"sort": "median.loss"}, "sort")):
        r = client.get("/api/tasks", query_string=q)
        assert r.status_code == 400 and f"'{name}'" in r.get_json()["error"]["message"], r.get_json()


def test_console_download_is_plain_text_attachment(client, live):
    live[A].media.add_console([(1.7e9 + 30.5, "stderr", "info", "\x1b[31mred\x1b[0m <b>x</b>\x07")])
    r = client.get(f"/api/tasks/{A}/console.txt")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    lines = r.get_data(as_text=True).splitlines()
    assert lines[0] == "2023-11-14T22:13:20.000Z\tstdout\tline 0" and len(lines) == 11
    assert lines[-1] == "2023-11-14T22:13:50.500Z\tstderr\tred <b>x</b>"
    assert client.get("/api/tasks/" + "f" * 32 + "/console.txt").status_code == 404


def test_stats_rows_carry_the_wandb_group_and_job_type(live, store, client):
    from ringlog.store.testing import write_task

    w = write_task(store, "vision", "grouped", task_id="d" * 32, close=False)
    w.set_meta(init_args={"group": "sweep-7", "job_type": "train"})
    w.close(status="completed")
    rows = {t["id"]: t for t in _get(client, project="vision", stats="1")["tasks"]}
    assert (rows["d" * 32]["group"], rows["d" * 32]["job_type"]) == ("sweep-7", "train")
    assert rows[A]["group"] is None and rows[A]["job_type"] is None
