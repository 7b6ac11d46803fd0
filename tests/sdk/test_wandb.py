"""W&B flavour: step rules, summary, define_metric, config, legacy history, module-level names."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

import ringlog
from ringlog.errors import LoggingValueError, LoggingWarning


def read(root, run_id, key):
    from ringlog.store import Store

    s = Store(root).task(run_id).scalar(key)
    return s.step.tolist(), s.value.tolist()


def info(root, run_id):
    from ringlog.store import Store

    return Store(root).task(run_id).info


def test_each_log_call_is_a_new_step(store_root, fast):
    run = ringlog.init(project="p", dir=store_root, settings=fast)
    for i in range(5):
        ringlog.log({"loss": 1.0 / (i + 1), "acc": i})
    assert run.step == 5
    ringlog.finish()
    steps, values = read(store_root, run.id, "loss")
    assert steps == [0, 1, 2, 3, 4]
    assert values == [1.0, 0.5, 1.0 / 3, 0.25, 0.2]
    assert read(store_root, run.id, "acc") == ([0, 1, 2, 3, 4], [0.0, 1.0, 2.0, 3.0, 4.0])


def test_commit_false_and_legacy_complete_false_accumulate(store_root, fast):
    run = ringlog.init(project="p", dir=store_root, settings=fast)
    ringlog.log({"loss": 0.2}, commit=False)
    ringlog.log({"loss": 0.3}, commit=False)  # same key again in one step: the later value wins
    ringlog.log({"accuracy": 0.8})
    ringlog.log({"loss": 0.1}, complete=False)
    ringlog.log({"accuracy": 0.9})
    run.finish()
    assert read(store_root, run.id, "loss") == ([0, 1], [0.3, 0.1])
    assert read(store_root, run.id, "accuracy") == ([0, 1], [0.8, 0.9])


def test_explicit_step_accumulates_and_lower_step_is_warned_once_and_dropped(store_root, fast):
    run = ringlog.init(project="p", dir=store_root, settings=fast)
    run.log({"a": 1.0}, step=3)
    run.log({"b": 2.0}, step=3)
    run.log({"a": 5.0}, step=7)
    with pytest.warns(LoggingWarning, match="step"):
        run.log({"a": 9.0}, step=2)
        run.log({"a": 9.5}, step=1)  # second time: no new warning (pytest.warns needs >= 1)
    run.log({"a": 6.0})  # no step: continues at the current step (7) and then moves on
    run.log({"a": 7.0})
    run.finish()
    assert read(store_root, run.id, "a") == ([3, 7, 8], [1.0, 6.0, 7.0])
    assert read(store_root, run.id, "b") == ([3], [2.0])


def test_lower_step_raises_in_strict_mode(store_root, fast):
    run = ringlog.init(project="p", dir=store_root, settings=fast, strict=True)
    run.log({"a": 1.0}, step=5)
    with pytest.raises(LoggingValueError, match="step"):
        run.log({"a": 2.0}, step=4)
    run.finish()


def test_summary_defaults_to_last_value_and_user_values_stick(store_root, fast):
    run = ringlog.init(project="p", dir=store_root, settings=fast)
    for v in (3.0, 1.0, 2.0):
        run.log({"loss": v, "acc": v * 10})
    assert run.summary["loss"] == 2.0
    run.summary["acc"] = 99.0
    run.summary["best_accuracy"] = 0.97
    run.log({"acc": 50.0, "loss": 0.5})
    assert ringlog.summary["acc"] == 99.0  # user-set sticks
    assert ringlog.summary.loss == 0.5
    run.finish()
    summary = info(store_root, run.id)["summary"]
    assert summary["loss"] == 0.5 and summary["acc"] == 99.0 and summary["best_accuracy"] == 0.97


def test_define_metric_summaries_globs_and_step_metric_in_metadata(store_root, fast):
    run = ringlog.init(project="p", dir=store_root, settings=fast)
    run.define_metric("val/loss", summary="min")
    run.define_metric("val/acc", summary="max", step_metric="epoch")
    run.define_metric("train/*", summary="mean")
    ringlog.define_metric("lr", summary="last")
    for epoch, (vl, va, tl) in enumerate([(0.9, 0.5, 1.0), (0.4, 0.8, 2.0), (0.6, 0.7, 3.0)]):
        run.log({"epoch": epoch, "val/loss": vl, "val/acc": va, "train/loss": tl, "lr": 0.1 / (epoch + 1)})
    # W&B keeps a define_metric summary as {"<aggregate>": value} (wandb/sdk/internal/handler.py)
    assert run.summary["val/loss"] == {"min": 0.4}
    assert run.summary["val/acc"] == {"max": 0.8}
    assert run.summary["train/loss"] == {"mean": pytest.approx(2.0)}
    assert run.summary["lr"] == {"last": pytest.approx(0.1 / 3)}
    run.finish()
    meta = info(store_root, run.id)
    assert meta["summary"]["val/loss"] == {"min": 0.4} and meta["summary"]["train/loss"] == {"mean": pytest.approx(2.0)}
    assert meta["metrics"]["val/acc"] == {"step_metric": "epoch", "summary": "max"}
    assert meta["metrics"]["train/*"]["summary"] == "mean"


def test_define_metric_rejects_unknown_summary(store_root, fast):
    run = ringlog.init(project="p", dir=store_root, settings=fast)
    with pytest.warns(LoggingWarning, match="summary"):
        run.define_metric("x", summary="median")
    run.finish()


def test_config_dict_attribute_access_namespace_and_storage(store_root, fast):
    args = argparse.Namespace(lr=0.01, batch_size=32)
    run = ringlog.init(project="p", dir=store_root, settings=fast, config=args)
    assert ringlog.config.lr == 0.01 and run.config["batch_size"] == 32
    run.config.epochs = 3
    run.config.update({"optimizer": "adam"})
    run.config["dropout"] = 0.1
    assert "epochs" in run.config and run.config.get("missing", 7) == 7
    assert sorted(run.config.keys()) == ["batch_size", "dropout", "epochs", "lr", "optimizer"]
    with pytest.raises(AttributeError):
        run.config.nope
    run.finish()
    cfg = info(store_root, run.id)["config"]
    assert cfg == {"lr": 0.01, "batch_size": 32, "epochs": 3, "optimizer": "adam", "dropout": 0.1}


def test_legacy_history_row_add_and_step_context(store_root, fast):
    run = ringlog.init(project="p", dir=store_root, settings=fast)
    run.history.row["metric"] = 1.0
    run.history.add()
    run.history.add({"metric": 2.0})
    seen = []
    for batch_idx in range(4):
        with run.history.step(batch_idx % 2 == 0):
            run.history.row.update({"metric": 10.0 + batch_idx})
            seen.append(run.history.compute)
            if run.history.compute:
                run.history.row["expensive"] = float(batch_idx)
    run.finish()
    assert seen == [True, False, True, False]
    assert read(store_root, run.id, "metric") == ([0, 1, 2, 3, 4, 5], [1.0, 2.0, 10.0, 11.0, 12.0, 13.0])
    assert read(store_root, run.id, "expensive") == ([2, 4], [0.0, 2.0])


def test_context_manager_and_current_run_resolution(store_root, fast):
    assert ringlog.run is None and ringlog.config is None and ringlog.summary is None
    with ringlog.init(project="p", name="cm", dir=store_root, settings=fast) as run:
        assert ringlog.run is run
        assert ringlog.config is run.config and ringlog.summary is run.summary
        ringlog.log({"x": 1.0})
    assert ringlog.run is None
    meta = info(store_root, run.id)
    assert meta["status"] == "completed" and meta["name"] == "cm" and len(run.id) == 32


def test_exception_in_context_manager_marks_failed(store_root, fast):
    with pytest.raises(ZeroDivisionError):
        with ringlog.init(project="p", dir=store_root, settings=fast) as run:
            ringlog.log({"x": 1.0})
            1 / 0
    assert info(store_root, run.id)["status"] == "failed"
    assert read(store_root, run.id, "x") == ([0], [1.0])


def test_numpy_scalars_bools_nested_dicts_and_nonfinite(store_root, fast):
    run = ringlog.init(project="p", dir=store_root, settings=fast)
    run.log({"f32": np.float32(0.1), "i64": np.int64(3), "zero_d": np.array(2.5), "flag": True,
             "nested": {"a": 1.0, "b": {"c": 2.0}}, "nan": float("nan"), "inf": float("inf")})
    run.finish()
    assert read(store_root, run.id, "f32")[1] == [float(np.float32(0.1))]
    assert read(store_root, run.id, "i64")[1] == [3.0]
    assert read(store_root, run.id, "zero_d")[1] == [2.5]
    assert read(store_root, run.id, "flag")[1] == [1.0]
    assert read(store_root, run.id, "nested.a")[1] == [1.0]  # W&B's key for a nested dict
    assert read(store_root, run.id, "nested.b.c")[1] == [2.0]
    assert np.isnan(read(store_root, run.id, "nan")[1][0])
    assert read(store_root, run.id, "inf")[1] == [float("inf")]


def test_drop_in_sample_from_the_seed(store_root, fast, monkeypatch):
    """The W&B seed's snippets, run unchanged with ``import ringlog as wandb``."""
    import ringlog as wandb

    monkeypatch.setenv("RINGLOG_DIR", str(store_root))
    args = argparse.Namespace(epochs=3, lr=0.1)
    wandb.init(config=args, settings=fast)
    best_accuracy = 0
    for epoch in range(1, args.epochs + 1):
        test_loss, test_accuracy = 1.0 / epoch, 0.5 + epoch / 10
        if test_accuracy > best_accuracy:
            wandb.run.summary["best_accuracy"] = test_accuracy
            best_accuracy = test_accuracy
        wandb.log({"loss": test_loss, "val_loss": test_loss * 1.1})
    wandb.log({"loss": 0.2}, complete=False)
    wandb.log({"accuracy": 0.8})
    run_id = wandb.run.id
    wandb.finish()
    meta = info(store_root, run_id)
    assert meta["summary"]["best_accuracy"] == 0.8 and meta["config"] == {"epochs": 3, "lr": 0.1}
    assert read(store_root, run_id, "loss") == ([0, 1, 2, 3], [1.0, 0.5, 1.0 / 3, 0.2])
    assert read(store_root, run_id, "accuracy") == ([3], [0.8])


def test_init_finishes_the_previous_run_and_log_without_run_warns(store_root, fast):
    first = ringlog.init(project="p", dir=store_root, settings=fast)
    second = ringlog.init(project="p", dir=store_root, settings=fast)
    assert first.id != second.id and ringlog.run is second
    assert info(store_root, first.id)["status"] == "completed"
    second.finish()
    with pytest.warns(LoggingWarning, match="no open run"):
        ringlog.log({"x": 1.0})
    with pytest.raises(TypeError, match="unexpected keyword"):
        ringlog.init(projct="typo", dir=store_root)


def test_data_root_argument_env_and_default(tmp_path, fast, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RINGLOG_DIR", raising=False)
    assert ringlog.Settings().root == tmp_path / "ringlog_data"
    monkeypatch.setenv("RINGLOG_DIR", str(tmp_path / "env"))
    assert ringlog.Settings().root == tmp_path / "env"
    assert ringlog.Settings(dir=str(tmp_path / "arg")).root == tmp_path / "arg"


def test_pending_commit_false_row_is_written_by_any_finish(store_root, fast):
    run = ringlog.init(project="p", dir=store_root, settings=fast)
    run.log({"a": 1.0})
    run.log({"a": 2.0}, commit=False)
    run._core.finish()  # what atexit does: no Run.finish call
    assert read(store_root, run.id, "a") == ([0, 1], [1.0, 2.0])


def test_short_run_still_records_its_environment(store_root, fast):
    run = ringlog.init(project="p", dir=store_root, settings=fast)
    run.log({"x": 1.0})
    run.finish()
    env = info(store_root, run.id)["env"]
    assert env and "python" in str(env) and env.get("argv") is not None


def test_summary_mapping_behaviour_and_unflushed_last_values(store_root, fast):
    run = ringlog.init(project="p", dir=store_root, settings=fast.updated(flush_interval=30))
    run.define_metric("acc", summary="max")
    for i in range(1000):
        run.log({"loss": 1000.0 - i, "acc": float(i % 7)})
    assert run.summary["loss"] == 1.0  # still staged: read without waiting for a flush
    assert run.summary["acc"] == {"max": 6.0}
    assert "loss" in run.summary and "nope" not in run.summary
    assert run.summary.get("nope", 3) == 3
    with pytest.raises(KeyError):
        run.summary["nope"]
    with pytest.raises(AttributeError):
        run.summary.nope
    del run.summary["loss"]  # removes a user value only; the logged default stays
    assert run.summary["loss"] == 1.0
    run.finish()


@pytest.mark.parametrize("capture", [{"flush_interval": 5.0}, {"staging_limit": 1 << 20}, {"consol": False}])
def test_init_rejects_unknown_capture_switches(store_root, fast, capture):
    with pytest.raises(ValueError) as e:
        ringlog.init(project="w", dir=store_root, settings=fast, capture=capture)
    msg = str(e.value)
    assert msg.startswith("capture:") and "console" in msg and "system_interval" in msg
    assert repr(next(iter(capture))) in msg  # what was given
    assert ringlog.run is None  # nothing was started


# --- issue 15: W&B fidelity ------------------------------------------------------------------------
def test_define_metric_summary_forms_best_goal_min_max_none_and_later_glob_keys(store_root, fast):
    # shapes as wandb/sdk/internal/handler.py (_update_summary_metrics) writes them
    run = ringlog.init(project="p", dir=store_root, settings=fast)
    run.define_metric("acc", summary="best", goal="maximize")
    run.define_metric("loss", summary="best")  # no goal: minimize
    run.define_metric("lr", summary="min,max")
    run.define_metric("noise", summary="none")
    run.define_metric("val/*", summary="max")
    for v in (0.5, 0.9, 0.7):
        run.log({"acc": v, "loss": 1 - v, "lr": v / 10, "noise": v, "val/f1": v, "val/new": v * 2})
    s = run.summary.as_dict()
    assert s["acc"] == {"best": 0.9} and s["loss"] == {"best": pytest.approx(0.1)}
    assert s["lr"] == {"min": 0.05, "max": 0.09}
    assert "noise" not in s and "noise" not in run.summary
    assert s["val/f1"] == {"max": 0.9} and s["val/new"] == {"max": 1.8}  # keys the glob met later
    run.finish()
    assert info(store_root, run.id)["summary"]["lr"] == {"min": 0.05, "max": 0.09}


def test_step_metric_sync_and_hidden(store_root, fast):
    run = ringlog.init(project="p", dir=store_root, settings=fast)
    run.define_metric("epoch", hidden=True)
    run.define_metric("val/acc", step_metric="epoch")
    run.log({"epoch": 1, "train/loss": 1.0})
    run.log({"val/acc": 0.5})  # no epoch in the row: W&B copies the last epoch in
    run.log({"epoch": 2})
    run.log({"val/acc": 0.7, "epoch": 2})
    run.log({"val/acc": 0.8})
    run.finish()
    assert read(store_root, run.id, "epoch") == ([0, 1, 2, 3, 4], [1.0, 1.0, 2.0, 2.0, 2.0])
    meta = info(store_root, run.id)["metrics"]
    assert meta["epoch"] == {"hidden": True} and meta["val/acc"] == {"step_metric": "epoch"}


def test_nested_dicts_are_dot_keys_with_a_nested_summary(store_root, fast):
    run = ringlog.init(project="p", dir=store_root, settings=fast)
    run.log({"train": {"loss": 0.5, "opt": {"lr": 0.1}}, "val/acc": 0.3})
    run.log({"train": {"loss": 0.25, "opt": {"lr": 0.05}}, "val/acc": 0.4})
    assert run.summary["train"] == {"loss": 0.25, "opt": {"lr": 0.05}}
    assert run.summary["val/acc"] == 0.4  # "/" is part of the key (a viewer section), not nesting
    run.finish()
    assert read(store_root, run.id, "train.loss") == ([0, 1], [0.5, 0.25])
    assert read(store_root, run.id, "train.opt.lr")[1] == [0.1, 0.05]
    assert info(store_root, run.id)["summary"]["train"] == {"loss": 0.25, "opt": {"lr": 0.05}}


def test_strings_go_to_history_and_summary_not_the_console(store_root, fast):
    from ringlog.store import Store

    run = ringlog.init(project="p", dir=store_root, settings=fast)
    run.log({"phase": "warmup", "loss": 1.0})
    run.log({"phase": "train", "loss": 0.5})
    assert run.summary["phase"] == "train"
    run.finish()
    task = Store(store_root).task(run.id)
    assert info(store_root, run.id)["summary"]["phase"] == "train"
    rows = [(p["iteration"], p["data"]["data"]) for p in task.plots() if p["title"] == "phase"]
    assert rows == [(0, [["warmup"]]), (1, [["train"]])]
    assert not any("warmup" in c["text"] for c in task.console())


def test_history_row_is_saved_by_the_next_log(store_root, fast):
    run = ringlog.init(project="p", dir=store_root, settings=fast)
    run.history.row["extra"] = 3.0
    run.history.row.update({"metric": 1.0})
    run.log({"loss": 0.5})  # saves the row with this step
    assert run.history.row == {}
    run.log({"loss": 0.4})
    with run.history.step(True):
        run.history.row.update({"metric": 2.0})
    run.finish()
    assert read(store_root, run.id, "extra") == ([0], [3.0])
    assert read(store_root, run.id, "metric") == ([0, 2], [1.0, 2.0])
    assert read(store_root, run.id, "loss") == ([0, 1], [0.5, 0.4])
