"""W&B rows through the fast paths of issue 18 (ringlog.wandb.rows): step=, commit=False, history,
nested dicts and step metrics keep W&B's rules when repeated (the second and later calls are the
fast ones), when the caller reuses its dict, when the staging is full and when values are bad."""

from __future__ import annotations

import warnings

import pytest

import ringlog
from ringlog.errors import LoggingValueError, LoggingWarning


def read(root, run_id, key):
    from ringlog.store import Store

    s = Store(root).task(run_id).scalar(key)
    return s.step.tolist(), s.value.tolist()


def test_explicit_steps_hold_a_copy_of_the_row_until_a_later_step(store_root, fast):
    run = ringlog.init(project="p", dir=store_root, settings=fast)
    row = {}
    for i in range(5):
        row["loss"] = float(i)  # the same dict, changed after each call: W&B copies what was logged
        ringlog.log(row, step=2 * i)
        ringlog.log({"acc": 10.0 + i}, step=2 * i)  # same step: joins the held row
    with pytest.warns(LoggingWarning, match="lower than the current step 8"):
        ringlog.log({"loss": 99.0}, step=3)
    ringlog.log({"loss": 5.0}, step=8)  # the current step again: the later value wins
    run.finish()
    assert read(store_root, run.id, "loss") == ([0, 2, 4, 6, 8], [0.0, 1.0, 2.0, 3.0, 5.0])
    assert read(store_root, run.id, "acc") == ([0, 2, 4, 6, 8], [10.0, 11.0, 12.0, 13.0, 14.0])


def test_commit_false_and_history_rows_repeat(store_root, fast):
    run = ringlog.init(project="p", dir=store_root, settings=fast)
    for i in range(4):
        ringlog.log({"a": float(i)}, commit=False)
        ringlog.log({"b": float(-i)})
    for i in range(3):
        run.history.add({"a": 100.0 + i})
    run.history.row["b"] = 7.0
    ringlog.log({"a": 200.0}, commit=True)
    run.finish()
    assert read(store_root, run.id, "a") == ([0, 1, 2, 3, 4, 5, 6, 7], [0.0, 1.0, 2.0, 3.0, 100.0, 101.0, 102.0, 200.0])
    assert read(store_root, run.id, "b") == ([0, 1, 2, 3, 7], [0.0, -1.0, -2.0, -3.0, 7.0])


def test_nested_rows_repeat_with_new_inner_keys_bad_values_and_deeper_dicts(store_root, fast):
    run = ringlog.init(project="p", dir=store_root, settings=fast)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(5):
            row = {"train": {"loss": float(i), "acc": 1.0 - i}}
            if i == 2:
                row["train"]["lr"] = 0.5  # a new inner key on a later call
                row["train"]["acc"] = "bad"  # a str: kept as a logged value, not a point
            if i == 3:
                row["train"]["loss"] = {"x": 1.0}  # deeper now: train.loss.x
            ringlog.log(row)
    assert not [w for w in caught if issubclass(w.category, LoggingWarning)]
    summary = run.summary.as_dict()
    run.finish()
    assert read(store_root, run.id, "train.loss") == ([0, 1, 2, 4], [0.0, 1.0, 2.0, 4.0])
    assert read(store_root, run.id, "train.acc") == ([0, 1, 3, 4], [1.0, 0.0, -2.0, -3.0])
    assert read(store_root, run.id, "train.lr") == ([2], [0.5])
    assert read(store_root, run.id, "train.loss.x") == ([3], [1.0])
    assert summary["train"]["acc"] == -3.0 and summary["train"]["lr"] == 0.5


def test_nested_fast_path_waits_when_the_staging_is_full(store_root, fast):
    run = ringlog.init(project="p", dir=store_root, settings=fast.updated(staging_limit=1024))
    for i in range(20_000):
        ringlog.log({"t": {"a": float(i), "b": float(i)}}, step=i)
    run.finish()
    steps, values = read(store_root, run.id, "t.a")
    assert steps == list(range(20_000)) and values[-1] == 19_999.0
    assert run.stats()["waits"] > 0 and run.stats()["dropped"] == 0


def test_step_metric_sync_is_cached_per_key_and_follows_later_definitions(store_root, fast):
    run = ringlog.init(project="p", dir=store_root, settings=fast)
    run.define_metric("val/*", step_metric="epoch")
    row = {"val/loss": 1.0}
    ringlog.log({"epoch": 0.0})
    for i in range(3):
        ringlog.log(row)  # gets epoch's last value, in the run's copy only
        ringlog.log({"epoch": float(i + 1)})
    assert row == {"val/loss": 1.0}
    ringlog.log({"train/loss": 2.0})  # no step metric yet
    run.define_metric("train/*", step_metric="epoch")
    ringlog.log({"train/loss": 3.0}, step=run.step)
    run.finish()
    assert read(store_root, run.id, "epoch") == ([0, 1, 2, 3, 4, 5, 6, 8], [0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0])
    assert read(store_root, run.id, "train/loss") == ([7, 8], [2.0, 3.0])


def test_strict_mode_raises_on_a_held_row_and_a_step_out_of_range(store_root, fast):
    run = ringlog.init(project="p", dir=store_root, settings=fast, strict=True)
    ringlog.log({"a": 1.0}, step=1)
    ringlog.log({"a": 2.0}, step=2)  # writes the held step-1 row
    with pytest.raises(LoggingValueError, match="lower than the current step"):
        ringlog.log({"a": 3.0}, step=0)
    ringlog.log({"a": float("nan"), "b": float("inf")}, step=3)  # NaN and Inf are kept as logged
    run.finish()
    steps, values = read(store_root, run.id, "a")
    assert steps == [1, 2, 3] and values[:2] == [1.0, 2.0] and values[2] != values[2]
    assert read(store_root, run.id, "b") == ([3], [float("inf")])


def test_held_rows_after_finish_are_refused_with_a_warning(store_root, fast):
    run = ringlog.init(project="p", dir=store_root, settings=fast)
    ringlog.log({"a": 1.0})
    run.finish()
    with pytest.warns(LoggingWarning, match="was finished") as rec:  # once per run (warn-once)
        run.log({"a": 2.0}, commit=False)
        run.log({"a": 2.0}, step=5)
    assert len(rec) == 1
    assert run._pending is None
    assert read(store_root, run.id, "a") == ([0], [1.0])


def test_a_row_with_several_misses_keeps_every_key_once(store_root, fast):
    run = ringlog.init(project="p", dir=store_root, settings=fast)
    ringlog.log({"a": 0.0, "c": 0.0})
    with pytest.warns(LoggingWarning):
        # known, new, known, refused, new, nested new, known: each key once, at step 1
        ringlog.log({"a": 1.0, "b": 1.0, "c": 1.0, "z": 10 ** 400, "d": 1.0, "n": {"x": 1.0}, "e": 1.0})
    ringlog.log({f"k{i}": float(i) for i in range(300)})  # a wide row of new keys
    run.finish()
    for key in ("a", "c"):
        assert read(store_root, run.id, key) == ([0, 1], [0.0, 1.0])
    for key in ("b", "d", "n.x", "e"):
        assert read(store_root, run.id, key) == ([1], [1.0])
    assert read(store_root, run.id, "k299") == ([2], [299.0])
