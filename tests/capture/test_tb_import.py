"""import-tensorboard: event files written by the real writers become tasks, nothing sampled away."""

from __future__ import annotations

import numpy as np
import pytest

from ringlog.capture.tb_import import find_runs, read_run

pytest.importorskip("torch")  # the event files are written by the real writers
pytest.importorskip("tensorboardX")
pytest.importorskip("tensorboard")  # the import reads with TensorBoard's own loader


def _write_logdir(path):
    from tensorboardX import SummaryWriter as XWriter
    from torch.utils.tensorboard import SummaryWriter

    w = SummaryWriter(str(path / "torch_run"))
    for step in range(1500):  # more than EventAccumulator's default reservoir of 1000 scalars
        w.add_scalar("Loss/train", 1.0 / (step + 1), step)
    w.add_histogram("weights", np.arange(100, dtype=np.float64), 3)
    w.add_image("img", np.zeros((3, 4, 5), dtype=np.float32), 2)
    w.add_text("notes", "hello", 1)
    w.add_hparams({"lr": 0.01, "opt": "sgd"}, {"hp/acc": 0.5}, run_name="hp")
    w.close()
    x = XWriter(str(path / "x" / "nested"))
    x.add_scalar("acc", 0.5, 10)
    x.add_scalar("acc", 0.7, 20)
    x.close()


def test_read_runs_keeps_every_point(tmp_path):
    _write_logdir(tmp_path)
    runs = find_runs(tmp_path)
    rel = [r.relative_to(tmp_path).as_posix() for r in runs]
    assert rel == ["torch_run", "torch_run/hp", "x/nested"]
    d = read_run(runs[0])
    steps, values, times = d.scalars["Loss/train"]
    assert steps == list(range(1500)) and values[10] == pytest.approx(1 / 11)
    assert all(t > 1e9 for t in times)
    (tag, step, counts, edges), = d.histograms
    assert (tag, step) == ("weights", 3) and counts.sum() == 100 and len(edges) == len(counts) + 1
    (itag, istep, blobs), = d.images
    assert (itag, istep) == ("img", 2) and blobs[0].startswith(b"\x89PNG")
    assert d.text[0][:2] == ("notes", 1) and "hello" in d.text[0][3]
    hp = read_run(runs[1])
    assert hp.hparams == {"lr": 0.01, "opt": "sgd"} and hp.scalars["hp/acc"][1] == [0.5]
    x = read_run(runs[2])
    assert x.scalars["acc"][0] == [10, 20] and x.scalars["acc"][1] == pytest.approx([0.5, 0.7])  # float32 on disk


def test_missing_logdir_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="logdir"):
        find_runs(tmp_path / "nope")


def test_import_logdir_into_the_store_and_cli(tmp_path):
    from ringlog.cli import main
    from ringlog.store import Store

    logdir = tmp_path / "runs"
    _write_logdir(logdir)
    root = tmp_path / "store"
    from ringlog.capture.tb_import import import_logdir

    ids = import_logdir(logdir, root, project="imported")
    st = Store(root)
    tasks = {st.task(i).info["name"]: st.task(i) for i in ids}
    assert sorted(tasks) == ["torch_run", "torch_run/hp", "x/nested"]
    r = tasks["torch_run"]
    assert r.info["project"] == "imported" and r.info["status"] == "completed" and "tensorboard" in r.info["tags"]
    s = r.scalar("Loss", "train")
    assert len(s.step) == 1500 and list(s.step[:3]) == [0, 1, 2] and s.value[10] == pytest.approx(1 / 11)
    assert s.time[0] > 1e9  # the event's own wall time
    assert [h["iteration"] for h in r.plots("weights")] == [3]
    assert [m["iteration"] for m in r.media("img")] == [2]
    assert any("hello" in c["text"] for c in r.console())
    assert tasks["torch_run/hp"].info["config"]["hparams"] == {"lr": 0.01, "opt": "sgd"}
    assert list(tasks["x/nested"].scalar("acc").step) == [10, 20]
    # the CLI subcommand calls the same function
    assert main(["import-tensorboard", str(logdir / "x"), "--root", str(root), "--project", "cli"]) == 0
    assert len(Store(root).tasks(project="cli")) == 1


@pytest.mark.parametrize("bins", [30, 600])  # 600: more than ringlog.Histogram takes (512)
def test_histograms_of_any_width_are_one_record_format(tmp_path, bins):
    from ringlog.capture.tb_import import _write_histogram
    from ringlog.store.media import MediaWriter, read_plots

    mw = MediaWriter(tmp_path / "task")
    edges = np.linspace(-1.0, 1.0, bins + 1)
    counts = np.arange(bins, dtype=np.float64)
    _write_histogram(mw, "weights", "fc", 7, counts, edges)
    mw.sync()
    (rec,) = read_plots(tmp_path / "task", "weights")
    assert (rec["series"], rec["iteration"], rec["kind"]) == ("fc", 7, "histogram")
    assert rec["data"] == {"bins": edges.tolist(), "counts": counts.tolist(), "nonfinite": 0}
    assert rec["figure"]["data"][0]["type"] == "bar"
