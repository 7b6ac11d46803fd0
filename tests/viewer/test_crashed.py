"""The viewer's JSON says ``crashed`` (with the last heartbeat) for a run whose writer was killed, and
keeps answering over a damaged catalog (the real app through Flask's test client)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

from ringlog.store import Store
from ringlog.store.testing import noisy_series, write_task
from ringlog.viewer.app import create_app

RUN = textwrap.dedent("""
    import sys, time
    from ringlog.store import Store
    w = Store(sys.argv[1]).create_task("vision", "killed run", task_id="killed")
    sid = w.series_id("loss")
    w.append(sid, [0, 1, 2], [1.0, 0.5, 0.25], time.time())
    w.sync()
    print("ready", flush=True)
    sys.stdin.readline()
""")


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "root"
    st = Store(root, durable=False)
    live = write_task(st, "vision", "live run", task_id="alive", status="running", close=False,
                      scalars={"loss": noisy_series(100)})
    write_task(st, "vision", "done run", task_id="done", scalars={"loss": noisy_series(100)})
    p = subprocess.Popen([sys.executable, "-c", RUN, str(root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
    finally:
        p.kill()
        p.wait(10)
        p.stdin.close()
        p.stdout.close()
    yield root
    live.close()


def test_task_table_and_task_json_say_crashed_with_the_last_heartbeat(root):
    c = create_app(root).test_client()
    rows = {t["id"]: t for t in c.get("/api/tasks").get_json()["tasks"]}
    assert {k: v["status"] for k, v in rows.items()} == {"killed": "crashed", "alive": "running", "done": "completed"}
    hb = rows["killed"]["heartbeat"]
    assert time.time() - 120 < hb <= time.time()
    assert rows["done"]["heartbeat"] is None and rows["alive"]["heartbeat"] is not None
    # a crashed run's duration stops at its last heartbeat: two polls agree
    d1 = rows["killed"]["duration"]
    time.sleep(0.3)
    assert c.get("/api/tasks").get_json()["tasks"][0]["duration"] is not None
    d2 = {t["id"]: t for t in c.get("/api/tasks").get_json()["tasks"]}["killed"]["duration"]
    assert d1 == d2
    one = c.get("/api/tasks/killed").get_json()
    assert one["status"] == "crashed" and one["heartbeat"] == pytest.approx(hb)
    assert "heartbeat" not in one["extra"] and one["problems"] == []
    crashed = c.get("/api/tasks?status=crashed").get_json()
    assert [t["id"] for t in crashed["tasks"]] == ["killed"] and crashed["total"] == 1
    assert [t["id"] for t in c.get("/api/tasks?status=running").get_json()["tasks"]] == ["alive"]
    assert c.get("/api/tasks?status=exploded").status_code == 400


def test_a_damaged_catalog_is_rebuilt_not_a_500(root):
    (root / "catalog.sqlite").write_bytes(b"\x00garbage" * 512)
    c = create_app(root).test_client()
    with pytest.warns(RuntimeWarning, match="moved aside"):
        resp = c.get("/api/projects")
    assert resp.status_code == 200
    assert resp.get_json()["projects"][0]["tasks"] == 3
    tasks = c.get("/api/tasks").get_json()["tasks"]
    assert {t["id"]: t["status"] for t in tasks}["killed"] == "crashed"
    assert list(root.glob("catalog.sqlite.corrupt-*"))
