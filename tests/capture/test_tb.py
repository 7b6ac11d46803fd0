"""TensorBoard capture with the real torch.utils.tensorboard and tensorboardX writers, mirroring
into a real run (engine and store on ``tmp_path``); what landed is read back from the store."""

from __future__ import annotations

import glob
import importlib
import sys
import types

import numpy as np
import pytest

from ringlog.capture.options import CaptureLoggerMixin
from ringlog.capture.patching import PostImportHook
from ringlog.store import Store
from ringlog.errors import LoggingWarning
from ringlog.store.media import read_console, read_media, read_plots
from ringlog.capture.tensorboard import METHODS, TBCapture, split_tag

torch = pytest.importorskip("torch")
pytest.importorskip("tensorboard", reason="torch.utils.tensorboard needs the tensorboard package")
pytest.importorskip("tensorboardX")


@pytest.fixture
def engine(tmp_path):
    """A real run (engine and store on ``tmp_path``), no auto-capture: (run, its RunCore)."""
    import ringlog

    run = ringlog.init(project="tb", dir=tmp_path / "store", settings=ringlog.Settings(
        flush_interval=0.05, capture=False, handle_signals=False, finish_timeout=30))
    yield run, run._core
    run.finish()


def _finished(run):
    """Finish ``run`` and open what it stored."""
    run.finish()
    return Store(run.dir).task(run.id)


def _points(reader, title, series):
    try:
        s = reader.scalar(title, series)
    except Exception:
        return []
    return list(zip(s.step.tolist(), s.value.tolist()))


def _writers():
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    from tensorboardX import SummaryWriter as XWriter

    return [TorchWriter, XWriter]


def _event_scalars(logdir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(logdir))
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def test_split_tag_follows_clearml():
    assert split_tag("Loss/train") == ("Loss", "train")
    assert split_tag("a/b/c") == ("a/b", "c")
    assert split_tag("loss") == ("loss", "loss")
    assert split_tag("loss", group=True) == ("Scalars", "loss")
    assert split_tag("/x") == ("/x", "/x") and split_tag("x/") == ("x/", "x/")


@pytest.mark.parametrize("which", [0, 1], ids=["torch", "tensorboardX"])
def test_writer_calls_land_in_the_task(engine, tmp_path, which):
    run, core = engine
    Writer = _writers()[which]
    originals = {m: Writer.__dict__[m] for m in METHODS if m in Writer.__dict__}
    cap = TBCapture(core).start()
    assert Writer.__dict__["add_scalar"] is not originals["add_scalar"]
    logdir = tmp_path / "tb"
    w = Writer(str(logdir))
    for step in range(5):
        w.add_scalar("Loss/train", 1.0 / (step + 1), step)
        w.add_scalar("lr", torch.tensor(0.1 * step), global_step=step)
    w.add_scalars("Acc", {"train": 0.9, "val": 0.8}, 3)
    w.add_histogram("weights/fc1", np.random.default_rng(0).normal(size=1000), 7)
    w.add_histogram("weights/fc1", torch.randn(500), 8)
    w.add_image("samples/digit", np.random.default_rng(1).random((3, 8, 10)), 2)
    w.add_images("samples/batch", np.zeros((4, 1, 6, 6), dtype=np.uint8) + 200, 4)
    w.add_text("notes", "hello **tb**", 1)
    w.add_hparams({"lr": 0.1, "opt": "adam"}, {"hparam/acc": 0.75})
    if which == 0:  # tensorboardX's add_audio needs the soundfile package
        w.add_audio("sound/beep", np.sin(np.linspace(0, 100, 8000))[None, :].astype(np.float32), 6, sample_rate=8000)
    w.close()
    cap.stop()
    for m, fn in originals.items():
        assert Writer.__dict__[m] is fn  # exactly what was replaced
    r = _finished(run)  # a mirror failure would have raised its warning (warnings are errors here)
    assert _points(r, "Loss", "train") == [(s, 1.0 / (s + 1)) for s in range(5)]
    assert [it for it, _ in _points(r, "lr", "lr")] == list(range(5))
    assert _points(r, "lr", "lr")[2][1] == pytest.approx(0.2)
    assert _points(r, "Acc", "train") == [(3, 0.9)] and _points(r, "Acc", "val") == [(3, 0.8)]
    assert _points(r, "hparam", "acc") == [(0, 0.75)]
    assert r.info["config"]["hparams"] == {"lr": 0.1, "opt": "adam"}
    hists = read_plots(r.path, "weights", "fc1")
    assert [h["iteration"] for h in hists] == [7, 8] and {h["kind"] for h in hists} == {"histogram"}
    assert sum(hists[0]["data"]["counts"]) == 1000 and sum(hists[1]["data"]["counts"]) == 500
    imgs = read_media(r.path, "samples")
    assert [(r_["series"], r_["iteration"], r_["kind"]) for r_ in imgs] == [("digit", 2, "image"),
                                                                            ("batch", 4, "image")]
    assert ("log", "[notes @ 1] hello **tb**") in [(c["stream"], c["text"]) for c in read_console(r.path)]
    if which == 0:
        (audio,) = read_media(r.path, "sound", "beep")
        assert (audio["kind"], audio["ext"], audio["iteration"]) == ("audio", "wav", 6)
    # the writer still wrote its own event file, with the same data
    assert glob.glob(str(logdir / "events.out.tfevents.*"))
    ev = _event_scalars(logdir)
    assert [s for s, _ in ev["Loss/train"]] == list(range(5))


def test_add_figure_is_reported_once_as_a_plot(engine, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from torch.utils.tensorboard import SummaryWriter

    run, core = engine
    cap = TBCapture(core).start()
    w = SummaryWriter(str(tmp_path / "tb"))
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [2, 1, 3])
    w.add_figure("charts/curve", fig, 5)  # closes the figure; add_image inside is not mirrored twice
    w.close()
    cap.stop()
    r = _finished(run)
    plots = read_plots(r.path, "charts", "curve")
    images = read_media(r.path, "charts")
    assert len(plots) + len(images) == 1
    assert (plots or images)[0]["iteration"] == 5


def test_group_scalars_switch(engine, tmp_path):
    from torch.utils.tensorboard import SummaryWriter

    run, core = engine
    cap = TBCapture(core).start()
    w = SummaryWriter(str(tmp_path / "tb"))
    try:
        CaptureLoggerMixin.tensorboard_auto_group_scalars(True)
        w.add_scalar("loss", 1.0, 0)
    finally:
        CaptureLoggerMixin.tensorboard_auto_group_scalars(False)
    w.add_scalar("loss", 2.0, 1)
    w.add_scalar("nostep", 5.0)
    w.add_scalar("nostep", 6.0)
    w.close()
    cap.stop()
    r = _finished(run)
    assert _points(r, "Scalars", "loss") == [(0, 1.0)]
    assert _points(r, "loss", "loss") == [(1, 2.0)]
    assert _points(r, "nostep", "nostep") == [(0, 5.0), (1, 6.0)]


def test_user_errors_propagate_and_mirror_failures_warn_once(engine, tmp_path, monkeypatch):
    from torch.utils.tensorboard import SummaryWriter

    run, core = engine

    def boom(*a, **k):
        raise RuntimeError("store down")

    monkeypatch.setattr(core, "report_scalar", boom)  # before start: the wrapper binds it once
    cap = TBCapture(core).start()
    w = SummaryWriter(str(tmp_path / "tb"))
    with pytest.raises(Exception):
        w.add_image("bad", np.zeros((2, 2, 2, 2)), 0)  # the writer itself rejects it: the user sees its error
    with pytest.warns(LoggingWarning) as rec:
        w.add_scalar("x", 1.0, 0)
        w.add_scalar("x", 2.0, 1)  # the program goes on
    w.close()
    cap.stop()
    assert len(rec) == 1 and "add_scalar" in str(rec[0].message)  # one kind, warned once
    assert "event file is unaffected" in str(rec[0].message)
    r = _finished(run)
    assert read_media(r.path) == [] and _points(r, "x", "x") == []


def test_post_import_hook_patches_a_module_on_first_import(tmp_path, monkeypatch):
    pkg = tmp_path / "hooked_pkg_for_test.py"
    pkg.write_text("class SummaryWriter:\n    def add_scalar(self, tag, v, step=None):\n        return 'orig'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen = []
    hook = PostImportHook(["hooked_pkg_for_test"], lambda m: seen.append(m.SummaryWriter)).install()
    try:
        mod = importlib.import_module("hooked_pkg_for_test")
    finally:
        hook.remove()
        sys.modules.pop("hooked_pkg_for_test", None)
    assert seen == [mod.SummaryWriter] and hook not in sys.meta_path


def test_import_after_start_is_patched(engine, monkeypatch):
    run, core = engine
    mod = types.ModuleType("tensorboardX.writer")

    class SummaryWriter:
        def add_scalar(self, tag, scalar_value, global_step=None, walltime=None):
            return "written"

    mod.SummaryWriter = SummaryWriter
    monkeypatch.delitem(sys.modules, "tensorboardX.writer", raising=False)
    monkeypatch.delitem(sys.modules, "torch.utils.tensorboard.writer", raising=False)
    cap = TBCapture(core).start()
    assert cap.hook is not None and cap.hook in sys.meta_path
    cap._patch_module(mod)  # what the hook calls once the real module executed
    assert SummaryWriter().add_scalar("a/b", 3.0, 9) == "written"
    cap.stop()
    assert cap.hook is None and "add_scalar" in SummaryWriter.__dict__
    assert SummaryWriter.add_scalar.__name__ == "add_scalar" and not hasattr(SummaryWriter.add_scalar,
                                                                             "__ringlog_original__")
    assert _points(_finished(run), "a", "b") == [(9, 3.0)]


HOOK_SCRIPT = r'''
import json, sys, tempfile, warnings
warnings.simplefilter("error")  # a mirror failure warns: make it fail this script
import ringlog
from ringlog.capture.tensorboard import TBCapture
from ringlog.capture.mpl import MplCapture
from ringlog.store import Store
run = ringlog.init(project="tb", dir=sys.argv[1], settings=ringlog.Settings(capture=False, handle_signals=False))
core = run._core
assert "torch" not in sys.modules and "matplotlib.pyplot" not in sys.modules
tb, mpl = TBCapture(core).start(), MplCapture(core).start()
from torch.utils.tensorboard import SummaryWriter   # imported after the capture started
from tensorboardX import SummaryWriter as XWriter
import matplotlib.pyplot as plt
patched = [tb.patched_modules, hasattr(plt.show, "__ringlog_original__")]
SummaryWriter(tempfile.mkdtemp()).add_scalar("a/b", 1.0, 3)
XWriter(tempfile.mkdtemp()).add_scalar("c", 2.0, 4)
tb.stop(); mpl.stop()
restored = [hasattr(SummaryWriter.add_scalar, "__ringlog_original__"), hasattr(plt.show, "__ringlog_original__"),
            any(type(f).__name__ == "PostImportHook" for f in sys.meta_path)]
run.finish()
r = Store(sys.argv[1]).task(run.id)
pts = [[t, s, float(r.scalar(t, s).value[0]), int(r.scalar(t, s).step[0])] for t, s in sorted(r.series())]
print(json.dumps({"patched": patched, "pts": pts, "restored": restored}))
'''


def test_real_modules_imported_after_start_are_patched(tmp_path):
    import json
    import subprocess

    p = subprocess.run([sys.executable, "-c", HOOK_SCRIPT, str(tmp_path / "store")], capture_output=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    res = json.loads(p.stdout.decode().strip().splitlines()[-1])
    assert res["patched"] == [["torch.utils.tensorboard.writer", "tensorboardX.writer"], True]
    assert res["pts"] == [["a", "b", 1.0, 3], ["c", "c", 2.0, 4]]
    assert res["restored"] == [False, False, False]


def test_logger_classmethods_steer_the_capture():
    from ringlog.clearml.logger import Logger

    try:
        Logger.tensorboard_auto_group_scalars(True)
        Logger.matplotlib_force_report_non_interactive(True)
        assert CaptureLoggerMixin._tensorboard_auto_group and CaptureLoggerMixin._matplotlib_force_image
    finally:
        Logger.tensorboard_auto_group_scalars(False)
        Logger.matplotlib_force_report_non_interactive(False)
    assert not CaptureLoggerMixin._tensorboard_auto_group and not CaptureLoggerMixin._matplotlib_force_image


def test_train_and_val_writers_never_interleave(engine, tmp_path):
    from torch.utils.tensorboard import SummaryWriter

    run, core = engine
    cap = TBCapture(core).start()
    train, val = SummaryWriter(str(tmp_path / "train")), SummaryWriter(str(tmp_path / "val"))
    for step in range(3):
        train.add_scalar("loss", 1.0 + step, step)
        val.add_scalar("loss", 10.0 + step, step)
        train.add_scalars("acc", {"top1": 0.5}, step)
        val.add_scalars("acc", {"top1": 0.4}, step)
    train.close()
    val.close()
    cap.stop()
    r = _finished(run)
    assert _points(r, "loss", "loss") == [(0, 1.0), (1, 2.0), (2, 3.0)]
    assert _points(r, "loss", "loss (val)") == [(0, 10.0), (1, 11.0), (2, 12.0)]
    assert [v for _, v in _points(r, "acc", "top1")] == [0.5] * 3
    assert [v for _, v in _points(r, "acc", "top1 (val)")] == [0.4] * 3


def _fake_writer_module(name="tensorboardX.writer"):
    mod = types.ModuleType(name)

    class SummaryWriter:
        log_dir = "runs/a"

        def add_scalar(self, tag, scalar_value, global_step=None, walltime=None):
            return "written"

    mod.SummaryWriter = SummaryWriter
    return mod


def test_ctrl_c_between_the_two_appends_leaves_the_series_paired(engine, monkeypatch, interrupt_after_value_append):
    run, core = engine
    mod = _fake_writer_module()
    monkeypatch.delitem(sys.modules, "tensorboardX.writer", raising=False)
    monkeypatch.delitem(sys.modules, "torch.utils.tensorboard.writer", raising=False)
    cap = TBCapture(core).start()
    cap._patch_module(mod)
    w = mod.SummaryWriter()
    try:
        w.add_scalar("loss", 1.0, 0)
        w.add_scalar("loss", 1.5, 1)  # now on the fast path
        with pytest.raises(KeyboardInterrupt):
            with interrupt_after_value_append():
                w.add_scalar("loss", 2.0, 2)
        w.add_scalar("loss", 3.0, 3)
    finally:
        cap.stop()
    assert _points(_finished(run), "loss", "loss") == [(0, 1.0), (1, 1.5), (3, 3.0)]
