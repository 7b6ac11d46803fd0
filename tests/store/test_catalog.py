"""The SQLite catalog: filters, sorting by a summary metric, paging 10k tasks fast, rebuild."""

from __future__ import annotations

import sqlite3
import time

import pytest

from ringlog.store import Store, StoreValueError
from ringlog.store.catalog import Catalog


def _metas(n):
    for i in range(n):
        yield ({"id": f"t{i:05d}", "name": f"run-{i}", "project": f"proj{i % 7}",
                "status": ("running", "completed", "failed")[i % 3], "tags": ["even"] if i % 2 == 0 else ["odd"],
                "created": 1000.0 + i, "updated": 2000.0 + (i * 7919) % n,
                "summary": {"loss": (i * 37) % 1000 / 10, "name": "x"} if i % 5 else {}, "config": {"lr": i % 13}},
               f"/nowhere/{i}")


def test_10k_tasks_query_sort_page_fast(tmp_path):
    cat = Catalog(tmp_path)
    cat.upsert(_metas(10_000))
    cat.query(limit=1)  # connection warm-up
    t0 = time.perf_counter()
    rows, total = cat.query(sort="updated", offset=100, limit=50)
    rows2, total2 = cat.query(project="proj3", sort="summary.loss", descending=False, limit=50,
                              metric_filters=[("loss", 10, 50)])
    rows3, total3 = cat.query(text="run-99", tags=("odd",), status="completed", sort="config.lr", limit=20)
    elapsed = time.perf_counter() - t0
    assert total == 10_000 and len(rows) == 50
    assert [r["updated"] for r in rows] == sorted((r["updated"] for r in rows), reverse=True)
    assert rows[0]["updated"] == 2000.0 + 10_000 - 101
    assert total2 > 0 and all(r["project"] == "proj3" and 10 <= r["summary"]["loss"] <= 50 for r in rows2)
    assert [r["summary"]["loss"] for r in rows2] == sorted(r["summary"]["loss"] for r in rows2)
    assert all("99" in r["name"] and r["tags"] == ["odd"] and r["status"] == "completed" for r in rows3)
    assert total3 == len([i for i in range(10_000) if "run-99" in f"run-{i}" and i % 2 and i % 3 == 1])
    assert elapsed < 0.5, elapsed


def test_missing_metric_sorts_last_and_bad_sort_is_named(tmp_path):
    cat = Catalog(tmp_path)
    cat.upsert(_metas(20))
    rows, _ = cat.query(sort="summary.loss", limit=None)
    has = [("loss" in r["summary"]) for r in rows]
    assert has == sorted(has, reverse=True)
    with pytest.raises(StoreValueError, match="sort: must be a column"):
        cat.query(sort="drop table")
    rows, total = cat.query(text="%", limit=None)
    assert total == 0


def test_rebuild_from_task_attributes(store):
    ws = [store.create_task(project=f"p{i % 2}", name=f"n{i}") for i in range(5)]
    for i, w in enumerate(ws):
        w.set_meta(summary={"acc": i / 10})
        w.close()
    store.catalog.path.unlink()
    for suffix in ("-wal", "-shm"):
        p = store.catalog.path.with_name(store.catalog.path.name + suffix)
        if p.exists():
            p.unlink()
    st2 = Store(store.root)
    assert sorted(r["id"] for r in st2.tasks()) == sorted(w.id for w in ws)  # rebuilt on demand
    assert st2.projects() == ["p0", "p1"]
    rows, total = st2.catalog.query(sort="summary.acc", limit=2)
    assert total == 5 and rows[0]["summary"]["acc"] == 0.4 and rows[0]["status"] == "completed"
    assert st2.rebuild_catalog() == 5
    assert [r["name"] for r in st2.tasks(project="p1")] and all(r["project"] == "p1" for r in st2.tasks("p1"))


def test_catalog_failure_warns_and_keeps_data(store):
    w = store.create_task(project="p", name="n")
    con = sqlite3.connect(store.catalog.path)
    con.execute("DROP TABLE tasks")
    con.close()
    sid = w.series_id("x")
    w.append(sid, [1], [2.0], 1.7e9)
    with pytest.warns(RuntimeWarning, match="catalog"):
        w.close()
    assert store.task(w.id).scalar("x").value.tolist() == [2.0]


WRITER = """
import sys
from ringlog.store import Store
st = Store(sys.argv[1], durable=False)
for i in range(40):
    w = st.create_task(project="multi", name=f"{sys.argv[2]}-{i}")
    w.set_meta(summary={"i": i})
    w.close()
"""


def test_several_processes_write_one_catalog(tmp_path):
    import subprocess
    import sys

    root = tmp_path / "root"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(root), f"p{k}"], stderr=subprocess.PIPE)
             for k in range(3)]
    errs = [p.communicate(timeout=120)[1] for p in procs]  # every child waited for before any assert
    for p, err in zip(procs, errs):
        assert p.returncode == 0, err.decode()
        assert b"Warning" not in err, err.decode()  # no creator's fresh, empty file is taken for damage
    st = Store(root)
    rows, total = st.catalog.query(project="multi", limit=None)
    assert total == 120 and all(r["status"] == "completed" for r in rows)
    assert st.rebuild_catalog() == 120


def test_delete_task(store):
    from ringlog.store import TaskNotFoundError

    a = store.create_task(project="p", name="a")
    b = store.create_task(project="p", name="b")
    a.set_meta(summary={"x": 1.0})
    a.close()
    b.close()
    store.delete_task(a.id)
    assert [r["id"] for r in store.tasks()] == [b.id]
    assert not a.path.exists() and not list(a.path.parent.glob(".deleting-*"))
    with pytest.raises(TaskNotFoundError):
        store.task(a.id)
    with pytest.raises(TaskNotFoundError):
        store.delete_task(a.id)
    assert store.rebuild_catalog() == 1


def test_an_empty_catalog_file_is_filled_not_set_aside(tmp_path, recwarn):
    """A catalog another process has just created (no tables yet) or one emptied to zero bytes
    is not damage: readers make the tables and fill them from the task folders, no warning."""
    st = Store(tmp_path)
    t = st.create_task(project="p", name="a")
    t.close()
    (tmp_path / "catalog.sqlite").write_bytes(b"")
    st2 = Store(tmp_path)
    assert st2.catalog.check() is None
    assert st2.task(t.id).path.name == t.id
    assert [r["id"] for r in st2.tasks()] == [t.id]
    assert not list(tmp_path.glob("catalog.sqlite.corrupt-*"))
    assert not [w for w in recwarn if "damaged" in str(w.message)]
