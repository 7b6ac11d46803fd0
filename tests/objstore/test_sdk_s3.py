"""Both SDK flavours write to ``s3://`` (through the spool and the uploader) and read back exactly
from the bucket through ``Store("s3://...")``; a live run is visible before it ends."""

from __future__ import annotations

import time

import numpy as np

import ringlog
from ringlog.store import Store
from ringlog.store.objstore.client import Client


def _loss(n, seed=0):
    rng = np.random.default_rng(seed)
    return (2 * np.exp(-np.arange(n) / 3000) + 0.05 * rng.standard_normal(n)).astype(np.float32).astype(float)


def test_wandb_flavour_to_s3(s3_url, fast):
    v = _loss(70_000)  # more than a chunk: a sealed shard, a level chunk and the tail
    run = ringlog.init(project="team", name="w", dir=s3_url, settings=fast, config={"lr": 0.1})
    for i, x in enumerate(v):
        ringlog.log({"loss": x}, step=i)
    ringlog.log({"img": ringlog.Image(np.full((4, 4, 3), 7, np.uint8))}, step=len(v))
    run_id = run.id
    ringlog.finish()
    assert not (Client(s3_url).head(f".tasks/{run_id}.json") is None)
    s = Store(s3_url)
    row = next(r for r in s.tasks() if r["id"] == run_id)
    assert row["status"] == "completed" and row["config"] == {"lr": 0.1}
    r = s.task(run_id)
    sc = r.scalar("loss")
    np.testing.assert_array_equal(sc.value, v)
    np.testing.assert_array_equal(sc.step, np.arange(len(v)))
    recs = r.media_records("img")
    assert len(recs) == 1 and r.media_file(recs[0]).stat().st_size > 0


def test_clearml_flavour_to_s3(s3_url, fast):
    from ringlog import Task

    task = Task.init(project_name="team", task_name="c", dir=s3_url, settings=fast)
    lg = task.get_logger()
    for i in range(300):
        lg.report_scalar("loss", "train", value=1.0 / (i + 1), iteration=i)
    lg.report_image("img", "s", iteration=0, image=np.zeros((2, 2)))
    task.close()
    r = Store(s3_url).task(task.id)
    sc = r.scalar("loss", "train")
    np.testing.assert_array_equal(sc.value, 1.0 / (np.arange(300) + 1))
    assert len(r.media_records("img")) == 1


def test_live_run_is_visible_in_the_bucket(s3_url, fast):
    run = ringlog.init(project="team", name="live", dir=s3_url, settings=fast)
    for i in range(500):
        ringlog.log({"x": float(i)}, step=i)
    s = Store(s3_url)
    end = time.monotonic() + 10
    n = 0
    while time.monotonic() < end:
        try:
            n = len(s.task(run.id).scalar("x").step)
        except KeyError:
            n = 0
        if n == 499:
            break
        time.sleep(0.1)
    assert n == 499  # W&B semantics: step 499's row is committed when a later step starts
    assert next(r for r in s.tasks() if r["id"] == run.id)["status"] == "running"
    ringlog.finish()


def test_ringlog_dir_may_be_a_bucket(s3_url, fast, monkeypatch):
    monkeypatch.setenv("RINGLOG_DIR", s3_url)
    run = ringlog.init(project="team", name="env", settings=fast)
    for i in range(10):
        ringlog.log({"x": float(i)}, step=i)
    ringlog.finish()
    np.testing.assert_array_equal(Store(s3_url).task(run.id).scalar("x").value, np.arange(10.0))
