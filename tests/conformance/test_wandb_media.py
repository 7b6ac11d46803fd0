"""Conformance with W&B's "Log Media and Objects in Experiments" page
(/work/shared/seeds/wandb-log-media-and-objects.md).

Each element the page names is exercised as the page shows it, with ``import ringlog as wandb``,
and compared with what W&B keeps for the same calls (history steps, summary, media, tables,
charts, config, automatically logged data). The W&B source read for behaviour the page leaves open
is named at each test (wandb/wandb).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ringlog as wandb
from ringlog.errors import LoggingWarning
from ringlog.store import Store


def history(root, run_id, key):
    s = Store(root).task(run_id).scalar(key)
    return list(zip(s.step.tolist(), s.value.tolist()))


def test_each_log_call_is_a_new_step_and_one_step_is_one_dict(store_root, fast):
    # wandb/sdk/internal/handler.py handle_request_partial_history: data for the same step merges
    # into one row; a later step flushes the row; a lower step is dropped with a warning
    run = wandb.init(dir=str(store_root), settings=fast)
    wandb.log({"loss": 0.5})
    wandb.log({"loss": 0.4})
    wandb.log({"loss": 0.3, "acc": 0.1}, step=2)
    wandb.log({"val": 7.0}, step=2)  # same step: the same row
    wandb.log({"loss": 0.2}, step=3)  # a different step: a new row
    with pytest.warns(LoggingWarning, match="step"):
        wandb.log({"loss": 9.0}, step=1)  # not the current or next step: dropped
    wandb.log({"loss": 0.25}, commit=False)  # step 3 is still open (given step, no commit): it updates it
    wandb.log({"acc": 0.2})  # and this commits step 3
    wandb.log({"acc": 0.3})
    wandb.finish()
    assert history(store_root, run.id, "loss") == [(0, 0.5), (1, 0.4), (2, 0.3), (3, 0.25)]
    assert history(store_root, run.id, "acc") == [(2, 0.1), (3, 0.2), (4, 0.3)]
    assert history(store_root, run.id, "val") == [(2, 7.0)]


def test_the_commented_commit_false_snippet(store_root, fast):
    # the page's commented example: commit=False accumulates, the next log (commit=True) persists the row
    # (wandb/sdk/wandb_run.py Run.log: commit=False adds to the open step, which the next commit saves)
    run = wandb.init(dir=str(store_root), settings=fast)
    wandb.log({'loss': 0.2}, commit=False)
    # Somewhere else when I'm ready to report this step:
    wandb.log({'accuracy': 0.8})
    wandb.log({'loss': 0.1})
    wandb.finish()
    assert history(store_root, run.id, "loss") == [(0, 0.2), (1, 0.1)]
    assert history(store_root, run.id, "accuracy") == [(0, 0.8)]


def test_automatically_logged_system_metrics_console_packages(tmp_path):
    """A script as users run it (capture on by default): stdout/stderr go to the logs, system
    metrics are sampled, installed packages (requirements) and git facts are recorded: the commit,
    and the uncommitted changes as a patch (W&B's diff.patch against HEAD:
    wandb/sdk/internal/system/system_info.py SystemInfo._save_patches)."""
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    genv = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
                GIT_COMMITTER_EMAIL="t@example.com")
    (tmp_path / "model.py").write_text("LAYERS = 2\n")
    for args in (["init", "-q"], ["add", "model.py"], ["commit", "-q", "-m", "first"]):
        subprocess.run([git, *args], cwd=tmp_path, env=genv, check=True, capture_output=True)
    head = subprocess.run([git, "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True).stdout.strip()
    (tmp_path / "model.py").write_text("LAYERS = 3\n")  # uncommitted: goes into the diff
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent("""
        import sys
        import time
        import ringlog as wandb

        # a sample every 0.1 s instead of 2 s, so this short script sees a few
        wandb.init(project="auto", config={"lr": 0.01}, settings=wandb.Settings(system_interval=0.1))
        print("epoch 1 done")
        print("a warning line", file=sys.stderr)
        for i in range(3):
            time.sleep(0.2)  # the "training"
            wandb.log({"loss": 1.0 / (i + 1)})
        wandb.finish()
    """))
    root = tmp_path / "store"
    env = dict(os.environ, RINGLOG_DIR=str(root), PYTHONWARNINGS="default")
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "epoch 1 done" in proc.stdout  # still printed to the terminal
    (row,) = Store(root).tasks()
    task = Store(root).task(row["id"])
    lines = {(c["stream"], c["text"]) for c in task.console()}
    assert ("stdout", "epoch 1 done") in lines and ("stderr", "a warning line") in lines
    assert any(title == "system" for title, _ in task.series())
    info = task.info
    assert any(p.startswith("numpy==") for p in info["env"]["packages"])
    assert info["config"] == {"lr": 0.01}
    assert info["env"]["git"]["commit"] == head and "+LAYERS = 3" in info["env"]["git"]["diff"]


def test_datasets_plots_tables_and_config(store_root, fast):
    run = wandb.init(config={"arch": "cnn", "dataset": "local/mnist"}, dir=str(store_root), settings=fast)
    samples = [wandb.Image(np.full((4, 4), i * 60, dtype=np.uint8), caption=f"digit {i}") for i in range(3)]
    table = wandb.Table(columns=["step", "loss"], data=[[0, 1.0], [1, 0.5], [2, 0.25]])
    wandb.log({"dataset": samples, "losses": table,
               "loss curve": wandb.plot.line(table, "step", "loss", title="loss")})
    wandb.finish()
    task = Store(store_root).task(run.id)
    assert [m["caption"] for m in task.media() if m["title"] == "dataset"] == ["digit 0", "digit 1", "digit 2"]
    plots = {p["title"]: p for p in task.plots()}
    assert plots["losses"]["kind"] == "table" and plots["losses"]["data"]["data"][1] == [1, 0.5]
    trace = plots["loss curve"]["figure"]["data"][0]
    assert trace["type"] == "scatter" and list(trace["y"]) == [1.0, 0.5, 0.25]
    assert task.info["config"] == {"arch": "cnn", "dataset": "local/mnist"}


def test_watch_logs_gradient_histograms(store_root, fast):
    torch = pytest.importorskip("torch")
    run = wandb.init(dir=str(store_root), settings=fast)
    model = torch.nn.Sequential(torch.nn.Linear(3, 2))
    wandb.watch(model, log="gradients", log_freq=1)
    for _ in range(2):
        model(torch.ones(4, 3)).sum().backward()
        wandb.log({"loss": 1.0})
    wandb.finish()
    grads = [p for p in Store(store_root).task(run.id).plots() if p["title"] == "gradients"]
    assert {p["series"] for p in grads} == {"0.weight", "0.bias"} and all(p["kind"] == "histogram" for p in grads)
    assert sorted({p["iteration"] for p in grads}) == [0, 1]  # the backward passes, as the run's steps


def test_example_usage_metrics_image_histogram_html(store_root, fast):
    inputs = np.random.default_rng(0).random((8, 8, 3))
    outputs = np.random.default_rng(1).normal(size=1000)
    captions = "<p>a cat</p>"
    run = wandb.init(dir=str(store_root), settings=fast)
    wandb.log({"loss": 0.314, "epoch": 5, "inputs": wandb.Image(inputs), "logits": wandb.Histogram(outputs),
               "captions": wandb.Html(captions)})
    wandb.finish()
    task = Store(store_root).task(run.id)
    kinds = {m["title"]: m["kind"] for m in task.media()}
    assert kinds == {"inputs": "image", "captions": "html"}
    (hist,) = [p for p in task.plots() if p["title"] == "logits"]
    # wandb/sdk/data_types/histogram.py: np.histogram with num_bins=64 by default
    assert hist["kind"] == "histogram" and sum(hist["data"]["counts"]) == 1000 and len(hist["data"]["counts"]) == 64
    counts, edges = np.histogram(outputs, bins=64)
    assert list(hist["data"]["counts"]) == counts.tolist() and np.allclose(hist["data"]["bins"], edges)
    (html,) = task.media_records("captions")  # wandb/sdk/data_types/html.py: the page kept as an .html file
    assert html.ext == "html" and captions in task.media_file(html).read_text()
    assert history(store_root, run.id, "loss") == [(0, 0.314)] and history(store_root, run.id, "epoch") == [(0, 5.0)]


def test_common_workflows(store_root, fast):
    run = wandb.init(dir=str(store_root), settings=fast)
    # 3. custom x-axis: define_metric's step_metric (wandb/sdk/internal/handler.py _history_update_leaf)
    wandb.define_metric("acc", step_metric="epoch")
    best_accuracy = 0.0
    for epoch, acc in enumerate([0.7, 0.9, 0.8]):
        # 2. several metrics in one call, the page's key spelled as it is ("acc'")
        wandb.log({"acc'": acc, "loss": 1 - acc})
        wandb.log({"acc": acc, "epoch": epoch, "batch": 117})
        best_accuracy = max(best_accuracy, acc)
    wandb.log({"acc": 0.85})  # no epoch in the row: W&B syncs the last epoch in
    # 1. compare the best accuracy through the summary
    wandb.run.summary["best_accuracy"] = best_accuracy
    # 4. rich media and charts
    wandb.log({"clip": wandb.Video(np.zeros((2, 3, 8, 8), dtype=np.uint8), fps=2),
               "bars": wandb.plot.bar(wandb.Table(columns=["k", "v"], data=[["a", 1], ["b", 2]]), "k", "v")})
    wandb.finish()
    assert history(store_root, run.id, "acc'") == [(0, 0.7), (2, 0.9), (4, 0.8)]
    assert history(store_root, run.id, "epoch") == [(1, 0.0), (3, 1.0), (5, 2.0), (6, 2.0)]
    summary = Store(store_root).task(run.id).info["summary"]
    assert summary["best_accuracy"] == 0.9 and summary["acc"] == 0.85 and summary["batch"] == 117
    assert Store(store_root).task(run.id).info["metrics"]["acc"] == {"step_metric": "epoch"}
    task = Store(store_root).task(run.id)
    assert [m["kind"] for m in task.media() if m["title"] == "clip"] == ["video"]
    assert [p["figure"]["data"][0]["type"] for p in task.plots() if p["title"] == "bars"] == ["bar"]


def test_tables_of_media_are_shown_with_their_media_in_the_viewer(store_root, fast):
    pytest.importorskip("flask")
    from ringlog.viewer.media import plots_impl

    run = wandb.init(dir=str(store_root), settings=fast)
    table = wandb.Table(columns=["id", "image"])
    for i in range(2):
        table.add_data(i, wandb.Image(np.full((3, 3), i * 100, dtype=np.uint8), caption=f"img {i}"))
    wandb.log({"predictions": table})
    wandb.finish()
    (group,) = plots_impl(Store(store_root).task(run.id), "predictions")["groups"]
    cells = [row[1] for row in group["items"][0]["data"]["data"]]
    assert all(c["url"].startswith(f"/media/{run.id}/") and c["kind"] == "image" for c in cells)
    assert [c["caption"] for c in cells] == ["img 0", "img 1"]
