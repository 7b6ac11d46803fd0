"""Conformance with W&B's "Logging Metrics" page (/work/shared/seeds/wandb-logging-metrics.md).

Each element of the page is called the way the page calls it, with ``import ringlog as wandb``,
and what ringlog stores is compared with what W&B keeps for the same calls: history values and
steps, summary keys and shapes, images as W&B converts them. Where the page leaves the behaviour
open, the W&B source was read (wandb/wandb; files named at each test).
"""

from __future__ import annotations

import argparse
import io

import numpy as np
import pytest

import ringlog as wandb
from ringlog.store import Store


def history(root, run_id, key):
    s = Store(root).task(run_id).scalar(key)
    return list(zip(s.step.tolist(), s.value.tolist()))


def picture(path):
    """(pixels, PIL mode) of a stored image file."""
    from PIL import Image as PILImage

    with PILImage.open(path) as im:
        return np.asarray(im), im.mode


def stored_summary(root, run_id):
    return Store(root).task(run_id).info["summary"]


def test_simple_logging_saves_every_key_of_the_dict(store_root, fast):
    run = wandb.init(dir=str(store_root), settings=fast)
    wandb.log({"accuracy": 0.9, "epoch": 5})
    wandb.finish()
    assert history(store_root, run.id, "accuracy") == [(0, 0.9)]
    assert history(store_root, run.id, "epoch") == [(0, 5.0)]
    assert stored_summary(store_root, run.id) == {"accuracy": 0.9, "epoch": 5}


def test_incremental_logging_complete_false_joins_the_next_call(store_root, fast):
    # the legacy complete= is W&B's commit= (wandb/sdk/wandb_run.py, log(): partial history
    # rows are flushed on the next committing call, handler.py handle_request_partial_history)
    run = wandb.init(dir=str(store_root), settings=fast)
    wandb.log({"loss": 0.2}, complete=False)
    wandb.log({"accuracy": 0.8})
    wandb.log({"loss": 0.1})
    wandb.finish()
    assert history(store_root, run.id, "loss") == [(0, 0.2), (1, 0.1)]
    assert history(store_root, run.id, "accuracy") == [(0, 0.8)]


@pytest.mark.parametrize("shape, mode", [((6, 5, 1), "L"), ((6, 5, 3), "RGB"), ((6, 5, 4), "RGBA")])
def test_media_list_of_images_from_numpy_by_last_dimension(store_root, fast, shape, mode):
    rng = np.random.default_rng(1)
    numpy_array = rng.integers(0, 256, shape, dtype=np.uint8)
    run = wandb.init(dir=str(store_root), settings=fast)
    wandb.log({"examples": [wandb.Image(numpy_array, caption="Label")]})
    wandb.finish()
    task = Store(store_root).task(run.id)
    (rec,) = task.media_records("examples")
    assert (rec.kind, rec.iteration, rec.caption) == ("image", 0, "Label")
    pixels, got = picture(task.media_file(rec.id))
    assert got == mode and np.array_equal(pixels, numpy_array.squeeze())


def test_media_floats_become_0_to_255_as_wandb_converts_them(store_root, fast):
    # wandb/sdk/data_types/image.py to_uint8: negative -> min-max scaled, max <= 1 -> x255 and
    # astype(int32) (a truncation), then clipped: 0.5 -> 127, 1.0 -> 255
    run = wandb.init(dir=str(store_root), settings=fast)
    wandb.log({"examples": [wandb.Image(np.array([[0.0, 0.5], [0.999, 1.0]]), caption="Label")]})
    wandb.finish()
    task = Store(store_root).task(run.id)
    (rec,) = task.media_records("examples")
    assert picture(task.media_file(rec.id))[0].tolist() == [[0, 127], [254, 255]]


def test_media_mode_given_or_a_pil_image(store_root, fast):
    from PIL import Image as PILImage

    pil = PILImage.new("RGB", (4, 3), (10, 20, 30))
    run = wandb.init(dir=str(store_root), settings=fast)
    wandb.log({"examples": [wandb.Image(pil, caption="Label"),
                            wandb.Image(np.full((3, 4, 3), 200, dtype=np.uint8), mode="L")]})
    wandb.finish()
    task = Store(store_root).task(run.id)
    first, second = task.media_records("examples")
    assert picture(task.media_file(first.id))[0][0, 0].tolist() == [10, 20, 30]
    assert picture(task.media_file(second.id))[1] == "L"


def test_summary_defaults_to_the_last_row_and_keeps_the_last_value_set(store_root, fast):
    args = argparse.Namespace(epochs=4, lr=0.1)
    run = wandb.init(config=args, dir=str(store_root), settings=fast)
    best_accuracy = 0
    for epoch, (test_loss, test_accuracy) in enumerate([(0.9, 0.5), (0.5, 0.8), (0.6, 0.7), (0.4, 0.75)], 1):
        wandb.log({"test_loss": test_loss, "test_accuracy": test_accuracy})
        if test_accuracy > best_accuracy:
            wandb.run.summary["best_accuracy"] = test_accuracy
            best_accuracy = test_accuracy
    assert wandb.run.config.epochs == 4
    wandb.finish()
    assert stored_summary(store_root, run.id) == {"test_loss": 0.4, "test_accuracy": 0.75, "best_accuracy": 0.8}
    assert Store(store_root).task(run.id).info["config"] == {"epochs": 4, "lr": 0.1}


def test_history_row_is_saved_by_add_or_the_next_log(store_root, fast):
    # legacy wandb History (wandb 0.8 wandb/history.py): log() and add() write the row and start a
    # new one; complete=False updates it without saving
    run = wandb.init(dir=str(store_root), settings=fast)
    run.history.row["lr"] = 0.1
    wandb.log({"loss": 1.0})  # saves lr with this step
    run.history.row.update({"lr": 0.05})
    run.history.add()
    wandb.log({"loss": 0.5}, complete=False)
    wandb.log({"acc": 0.9})
    wandb.finish()
    assert history(store_root, run.id, "lr") == [(0, 0.1), (1, 0.05)]
    assert history(store_root, run.id, "loss") == [(0, 1.0), (2, 0.5)]
    assert history(store_root, run.id, "acc") == [(2, 0.9)]


def test_tensorflow_example_with_absl_flags_as_config(store_root, fast):
    flags = pytest.importorskip("absl.flags")
    fv = flags.FlagValues()
    flags.DEFINE_integer("num_steps", 3, "steps", flag_values=fv)
    flags.DEFINE_integer("batch_size", 8, "batch", flag_values=fv)
    fv(["prog"])
    run = wandb.init(config=fv, dir=str(store_root), settings=fast)
    for step in range(1, run.config.num_steps + 1):
        loss, acc = 1.0 / step, step / 10
        wandb.log({"acc": acc, "loss": loss})
    wandb.finish()
    assert Store(store_root).task(run.id).info["config"]["batch_size"] == 8
    assert history(store_root, run.id, "loss") == [(0, 1.0), (1, 0.5), (2, 1 / 3)]
    assert history(store_root, run.id, "acc") == [(0, 0.1), (1, 0.2), (2, 0.3)]


def test_pytorch_example_logs_torch_scalars(store_root, fast, tmp_path):
    torch = pytest.importorskip("torch")
    args = argparse.Namespace(epochs=2)
    run = wandb.init(config=args, dir=str(store_root), settings=fast)
    model = torch.nn.Linear(2, 1)
    for epoch in range(1, args.epochs + 1):
        train_loss = torch.tensor(1.0 / epoch)
        test_loss = torch.tensor(2.0 / epoch)
        torch.save(model.state_dict(), io.BytesIO())
        wandb.log({"loss": train_loss, "val_loss": test_loss})
    wandb.finish()
    assert history(store_root, run.id, "loss") == [(0, 1.0), (1, 0.5)]
    assert history(store_root, run.id, "val_loss") == [(0, 2.0), (1, 1.0)]


def test_context_manager_step_adds_the_row_and_exposes_compute(store_root, fast):
    run = wandb.init(dir=str(store_root), settings=fast)
    log_interval, computed = 2, []
    for batch_idx in range(4):
        with run.history.step(batch_idx % log_interval == 0):
            run.history.row.update({"metric": 1})
            if run.history.compute:
                computed.append(batch_idx)
                run.history.row["expensive"] = batch_idx * 10
    wandb.finish()
    assert computed == [0, 2]
    assert history(store_root, run.id, "metric") == [(0, 1.0), (1, 1.0), (2, 1.0), (3, 1.0)]
    assert history(store_root, run.id, "expensive") == [(0, 0.0), (2, 20.0)]
