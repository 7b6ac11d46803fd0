"""The one record writer and the captures' helpers over it, into a real run: the records on disk."""

from __future__ import annotations

import numpy as np
import pytest

from ringlog._engine.protocol import RunSink
from ringlog.media import capture_media as cm
from ringlog.media import writer
from ringlog.media.plotdata import Histogram
from ringlog.store.media import MediaWriter, read_media, read_plots


def test_a_real_run_is_a_run_sink(run):
    assert isinstance(run, RunSink)


def test_histogram_records_are_one_format(run, task_path):
    values = np.r_[np.arange(10.0), np.nan]
    cm.report_histogram(run, "tb", "w", 3, values, bins=5)  # TensorBoard capture
    counts, edges, nonfinite = cm.histogram(values, 5)
    writer.write_histogram(run, "watch", "w", 3, counts, edges, nonfinite)  # ringlog.watch
    h = Histogram(values, num_bins=5)
    writer.write_plot(run, "wandb", "w", 3, *h.record("wandb"))  # ringlog.log({...: Histogram})
    recs = {r["title"]: r for r in read_plots(task_path)}
    assert recs["tb"]["kind"] == "histogram" and recs["tb"]["iteration"] == 3
    assert recs["tb"]["data"] == {"bins": [0.0, 1.8, 3.6, 5.4, 7.2, 9.0], "counts": [2.0, 2.0, 2.0, 2.0, 2.0],
                                  "nonfinite": 1}
    for title in ("watch", "wandb"):
        assert recs[title]["data"] == recs["tb"]["data"]
        fig = recs[title]["figure"]
        assert fig["data"][0]["name"] == title and fig["layout"]["title"] == {"text": title}


def test_offline_writer_gets_the_same_record(tmp_path, run, task_path):
    mw = MediaWriter(tmp_path / "offline")
    writer.put_histogram(mw, "h", "s", 1, np.array([1, 2]), np.array([0.0, 1.0, 2.0]))
    writer.write_histogram(run, "h", "s", 1, np.array([1, 2]), np.array([0.0, 1.0, 2.0]))
    [off], [live] = read_plots(tmp_path / "offline"), read_plots(task_path)
    assert {k: v for k, v in off.items() if k != "time"} == {k: v for k, v in live.items() if k != "time"}


def test_tensorboard_images_and_figures(run, task_path):
    rec = cm.report_image(run, "img", "s", 2, cm.image_to_uint8(np.full((3, 2, 2), 0.5)), caption="half")
    assert (rec["kind"], rec["ext"], rec["caption"], rec["iteration"]) == ("image", "png", "half", 2)
    assert (task_path / rec["path"]).read_bytes()[:4] == b"\x89PNG"
    cm.report_image(run, "grid", "s", 0, cm.images_grid(np.zeros((3, 1, 2, 2))))
    assert read_media(task_path, "grid")[0]["path"] == "media/grid/s/0_0.png"
    cm.report_payload(run, "fig", "plot", 0, ("plotly", {"data": [{"type": "scatter", "y": [1]}], "layout": {}}))
    cm.report_payload(run, "fig", "plot", 1, ("png", b"\x89PNG fake"))
    assert [p["iteration"] for p in read_plots(task_path, "fig")] == [0]
    assert [(m["iteration"], m["kind"]) for m in read_media(task_path, "fig")] == [(1, "image")]


def test_tensorboard_audio(run, task_path):
    import io
    import wave

    rec = cm.report_audio(run, "snd", "s", 4, np.zeros((1, 80)), 8000)  # (1, L): mono
    assert (rec["kind"], rec["ext"], rec["iteration"]) == ("audio", "wav", 4)
    with wave.open(io.BytesIO((task_path / rec["path"]).read_bytes())) as w:
        assert (w.getnchannels(), w.getnframes(), w.getframerate()) == (1, 80, 8000)


def test_samples_follow_the_runs_destination(run, task_path, tmp_path):
    run.media_destination = str(tmp_path / "elsewhere")
    rec = writer.write_sample(run, "a", "s", 0, b"RIFF....", "wav", "audio")
    assert rec["path"].startswith(str((tmp_path / "elsewhere").resolve()))
    ref = writer.write_reference(run, "r", "s", 0, "https://cdn.example/x.png", "png", "image")
    assert ref["uri"] == "https://cdn.example/x.png" and ref["external"] is True


def test_capture_figure_payload_is_lenient_and_marks_its_own_render():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    seen = []
    f = plt.figure()  # no axes: nothing to convert -> the PNG at the figure's own size
    orig = f.savefig
    f.savefig = lambda *a, **k: (seen.append(cm.converting()), orig(*a, **k))[1]
    kind, data = cm.figure_payload(f)
    assert kind == "png" and data[:4] == b"\x89PNG" and seen == [True] and not cm.converting()
    ax = f.add_subplot()
    ax.plot([1, 2])
    assert cm.figure_payload(f)[0] == "plotly"
    assert cm.figure_payload(f, interactive=False)[0] == "png"
    plt.close(f)
