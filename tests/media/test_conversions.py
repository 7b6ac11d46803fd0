"""W&B conversion rules: Image, Audio, Video, Html, Histogram, Table, ringlog.plot, figures."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image as PILImage

import ringlog.media.plot as rplot
from ringlog.errors import LoggingTypeError, LoggingValueError
from ringlog.media.convert import to_uint8
from ringlog.media.types import Audio, Html, Histogram, Image, Table, Video


def _pil(img: Image) -> PILImage.Image:
    return PILImage.open(io.BytesIO(img.data))


@pytest.mark.parametrize("shape, mode", [
    ((5, 7), "L"), ((5, 7, 1), "L"), ((5, 7, 3), "RGB"), ((5, 7, 4), "RGBA"),
    ((3, 5, 7), "RGB"), ((1, 5, 7), "L"),  # channels first, as a torch tensor
])
def test_image_shapes_and_modes(shape, mode):
    img = Image(np.zeros(shape, dtype=np.uint8), caption="c")
    pil = _pil(img)
    assert pil.mode == mode and pil.size == (7, 5) and img.caption == "c" and img.ext == "png"


def test_image_float_rules():
    unit = np.array([[0.0, 0.5], [1.0, 0.25]])
    assert to_uint8(unit, "x").tolist() == [[0, 128], [255, 64]]  # [0, 1] -> x255
    big = np.array([[0.0, 100.0], [255.0, 300.0]])
    assert to_uint8(big, "x").tolist() == [[0, 100], [255, 255]]  # already 0..255: clipped only
    neg = np.array([[-1.0, 0.0], [1.0, np.nan]])
    assert to_uint8(neg, "x").tolist() == [[0, 128], [255, 128]]  # negative -> min-max scaled; NaN -> 0 first
    assert to_uint8(np.array([[True, False]]), "x").tolist() == [[255, 0]]
    assert to_uint8(np.array([[-5, 300]], dtype=np.int32), "x").tolist() == [[0, 255]]


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6),
                  elements=st.floats(-1e6, 1e6)))
def test_to_uint8_is_in_range_and_monotone(a):
    u = to_uint8(a, "x")
    assert u.dtype == np.uint8 and u.shape == a.shape
    order = np.argsort(a, axis=None, kind="stable")
    assert np.all(np.diff(u.ravel()[order].astype(int)) >= 0)  # brighter input never gets darker


def test_image_pixels_round_trip_exactly():
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 256, (6, 9, 3), dtype=np.uint8)
    assert np.array_equal(np.asarray(_pil(Image(arr))), arr)


def test_image_from_torch_tensor_without_import():
    torch = pytest.importorskip("torch")
    t = torch.ones((3, 4, 5))
    assert _pil(Image(t)).size == (5, 4)


def test_image_from_pil_mode_and_path(tmp_path):
    pil = PILImage.new("RGB", (4, 3), (10, 20, 30))
    img = Image(pil, mode="L")
    assert _pil(img).mode == "L"
    p = tmp_path / "x.jpg"
    pil.save(p)
    fimg = Image(str(p))
    assert fimg.path == p and fimg.ext == "jpg" and fimg.data is None
    assert _pil(Image(pil, file_type="jpg")).format == "JPEG"


@pytest.mark.parametrize("bad, exc, words", [
    (np.zeros((2, 3, 5)), LoggingValueError, "must have shape"),
    (np.zeros((2, 5, 4, 6)), LoggingValueError, "must have shape"),
    (np.zeros((2, 3, 4, 5, 6)), LoggingValueError, "must have shape"),
    (np.zeros((0, 3)), LoggingValueError, "must not be empty"),
    (np.array([["a", "b"]]), LoggingTypeError, "must hold numbers"),
    (42, LoggingTypeError, "data_or_path: must be a numpy array"),
    ("missing.png", LoggingValueError, "must be an existing file"),
    ("photo.exe", LoggingValueError, "file extension must be one of"),
])
def test_image_bad_input(bad, exc, words):
    with pytest.raises(exc, match=words):
        Image(bad)


def test_audio_wav_round_trip():
    sr = 8000
    sig = np.sin(np.linspace(0, 20, 400))
    a = Audio(sig, sample_rate=sr, caption="tone")
    with wave.open(io.BytesIO(a.data)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()) == (sr, 1, 2, 400)
        pcm = np.frombuffer(w.readframes(400), dtype="<i2")
    assert np.allclose(pcm / 32767, sig, atol=1e-4)
    stereo = Audio(np.zeros((100, 2), dtype=np.int16), sample_rate=sr)
    with wave.open(io.BytesIO(stereo.data)) as w:
        assert w.getnchannels() == 2 and w.getnframes() == 100
    assert a.caption == "tone" and a.ext == "wav"


def test_audio_bad_input():
    with pytest.raises(LoggingValueError, match="sample_rate"):
        Audio(np.zeros(10))
    with pytest.raises(LoggingValueError, match="must have shape"):
        Audio(np.zeros((2, 3, 4)), sample_rate=10)


def test_video_gif_frames():
    frames = np.random.default_rng(1).random((6, 3, 8, 10))
    v = Video(frames, fps=5, format="gif", caption="v")
    gif = PILImage.open(io.BytesIO(v.data))
    assert v.ext == "gif" and gif.n_frames == 6 and gif.size == (10, 8)
    assert gif.info["duration"] == 200
    batch = Video(np.zeros((3, 2, 1, 4, 4), dtype=np.uint8))  # a batch of 3 tiles into a 2x2 grid
    assert PILImage.open(io.BytesIO(batch.data)).size == (8, 8)


def test_video_mp4_with_imageio():
    pytest.importorskip("imageio_ffmpeg")
    v = Video(np.zeros((4, 3, 7, 9), dtype=np.uint8), fps=10, format="mp4")
    assert v.ext == "mp4" and v.data[4:8] == b"ftyp"


def test_video_without_an_mp4_encoder_is_a_gif_with_the_runs_one_warning(monkeypatch, run):
    import warnings

    from ringlog._engine import context
    from ringlog.errors import LoggingWarning
    from ringlog.media import types

    monkeypatch.setattr(types, "encode_video", lambda frames, fps, fmt: (b"GIF89a", "gif", "ImportError: no ffmpeg"))
    frames = np.zeros((2, 3, 4, 4), dtype=np.uint8)
    with pytest.warns(LoggingWarning, match=r"cannot write mp4 \(ImportError: no ffmpeg\); writing GIF"):
        assert Video(frames, format="mp4").ext == "gif"  # no run open: a plain warning
    context.set_current(run)
    try:
        with pytest.warns(LoggingWarning, match="writing GIF instead"):
            Video(frames, format="mp4")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert Video(frames, format="webm").ext == "gif"  # the run warned once already
    finally:
        context.set_current(None)


def test_video_bad_input():
    with pytest.raises(LoggingValueError, match=r"\(time, channel"):
        Video(np.zeros((4, 5, 8, 8)))
    with pytest.raises(LoggingValueError, match="format"):
        Video(np.zeros((4, 3, 8, 8)), format="avi")
    with pytest.raises(LoggingValueError, match="fps"):
        Video(np.zeros((4, 3, 8, 8)), fps=0)


def test_html(tmp_path):
    h = Html("<b>hi</b>")
    assert h.ext == "html" and b"<b>hi</b>" in h.data and b"<html" in h.data
    assert Html("<b>hi</b>", inject=False).data == b"<b>hi</b>"
    p = tmp_path / "page.html"
    p.write_text("<html><body>x</body></html>")
    assert Html(str(p)).data == b"<html><body>x</body></html>"
    with pytest.raises(LoggingTypeError, match="data"):
        Html(3)


def test_histogram_sequence_and_np_histogram():
    vals = np.concatenate([np.arange(10.0), [np.nan, np.inf]])
    h = Histogram(vals, num_bins=5)
    assert h.counts.sum() == 10 and len(h.bins) == 6 and h.nonfinite == 2
    counts, edges = np.histogram(np.arange(10), bins=3)
    h2 = Histogram(np_histogram=(counts, edges))
    assert h2.counts.tolist() == counts.tolist() and h2.bins.tolist() == edges.tolist()
    fig = h2.figure("t")
    assert fig["data"][0]["type"] == "bar" and fig["data"][0]["y"] == counts.tolist()
    with pytest.raises(LoggingValueError, match="num_bins"):
        Histogram([1, 2], num_bins=0)
    with pytest.raises(LoggingValueError, match="np_histogram"):
        Histogram(np_histogram=([1, 2], [0, 1]))
    with pytest.raises(LoggingTypeError, match="sequence"):
        Histogram(["a", "b"])


def test_table_rows_dataframe_and_columns():
    t = Table(columns=["a", "b"], data=[[1, np.float32(2.5)], [3, "x"]])
    assert t.data == [[1, 2.5], [3, "x"]] and isinstance(t.data[0][1], float)
    t.add_data(5, None)
    t.add_column("c", [1, 2, 3])
    assert t.get_column("c") == [1, 2, 3] and len(t) == 3
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"x": [1, 2], "y": ["p", "q"]})
    t2 = Table(dataframe=df)
    assert t2.columns == ["x", "y"] and t2.data == [[1, "p"], [2, "q"]]
    with pytest.raises(LoggingValueError, match="row 0 must have 2 cells"):
        Table(columns=["a", "b"], data=[[1]])


def test_plot_presets():
    t = Table(columns=["x", "y", "k"], data=[[0, 1.0, "a"], [1, 2.0, "b"], [2, 3.0, "a"]])
    line = rplot.line(t, "x", "y", title="T")
    assert line.figure["data"][0]["x"] == [0, 1, 2] and line.figure["layout"]["title"]["text"] == "T"
    strokes = rplot.line(t, "x", "y", stroke="k")
    assert [d["name"] for d in strokes.figure["data"]] == ["a", "b"]
    assert rplot.scatter(t, "x", "y").figure["data"][0]["mode"] == "markers"
    assert rplot.bar(t, "k", "y").figure["data"][0]["x"] == ["a", "b", "a"]
    assert rplot.histogram(t, "y").figure["data"][0] == {"type": "histogram", "x": [1.0, 2.0, 3.0]}
    ls = rplot.line_series([0, 1], [[1, 2], [3, 4]], keys=["u", "v"])
    assert [d["name"] for d in ls.figure["data"]] == ["u", "v"]
    with pytest.raises(LoggingValueError, match="x: must name a column"):
        rplot.line(t, "nope", "y")
    with pytest.raises(LoggingTypeError, match="table"):
        rplot.line([[1, 2]], "x", "y")


def test_image_from_matplotlib_figure():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    f, ax = plt.subplots(figsize=(2, 1), dpi=50)
    ax.plot([1, 2])
    try:
        pil = _pil(Image(f))
        assert pil.format == "PNG" and pil.size[0] > pil.size[1] > 0
    finally:
        plt.close(f)


def test_image_batch_becomes_a_grid():
    batch = np.zeros((10, 3, 4, 5), dtype=np.uint8)  # NCHW, 10 images -> 8 + 2 on two rows
    batch[9] = 255
    pil = _pil(Image(batch))
    assert pil.size == (2 + 8 * (5 + 2), 2 + 2 * (4 + 2)) and pil.mode == "RGB"
    arr = np.asarray(pil)
    assert arr[2 + 6 + 1, 2 + 7 + 1].tolist() == [255, 255, 255]  # the 10th image: row 1, column 1
    assert arr[0, 0].tolist() == [0, 0, 0]
    nhwc = _pil(Image(np.ones((2, 4, 5, 1))))
    assert nhwc.size == (2 + 2 * 7, 2 + 6) and nhwc.mode == "L"


def test_confusion_matrix_roc_pr():
    y = np.array([0, 0, 1, 1, 2])
    preds = np.array([0, 1, 1, 1, 2])
    cm = rplot.confusion_matrix(y_true=y, preds=preds, class_names=["a", "b", "c"]).figure
    assert cm["data"][0]["z"] == [[1, 1, 0], [0, 2, 0], [0, 0, 1]] and cm["data"][0]["x"] == ["a", "b", "c"]
    probs = np.eye(3)[preds] * 0.8 + 0.05
    assert rplot.confusion_matrix(probs=probs, y_true=y).figure["data"][0]["z"] == cm["data"][0]["z"]
    scores = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    truth = np.array([0, 0, 1, 1])
    roc = rplot.roc_curve(truth, scores, labels=["neg", "pos"], classes_to_plot=[1]).figure["data"][0]
    # sorted by score for class 1: 0.7 (pos), 0.4 (pos), 0.2 (neg), 0.1 (neg): a perfect ranking
    assert roc["name"] == "pos" and roc["x"] == [0.0, 0.0, 0.0, 0.5, 1.0] and roc["y"] == [0.0, 0.5, 1.0, 1.0, 1.0]
    pr = rplot.pr_curve(truth, scores, classes_to_plot=[1]).figure["data"][0]
    assert pr["x"] == [0.0, 0.5, 1.0, 1.0, 1.0] and pr["y"] == [1.0, 1.0, 1.0, 2 / 3, 0.5]
    with pytest.raises(LoggingValueError, match="y_true: class indices"):
        rplot.confusion_matrix(y_true=[0, 5], preds=[0, 1], class_names=["a", "b"])
    with pytest.raises(LoggingValueError, match="probs"):
        rplot.roc_curve(truth, scores[:2])


def test_wandb_float_rule_truncates_where_auto_rounds():
    # wandb/sdk/data_types/image.py (to_uint8): (data * 255).astype(np.int32), then clip -> 0.5 gives 127
    half = np.array([[0.5, 0.999], [0.0, 1.0]])
    assert to_uint8(half, "x", floats="wandb").tolist() == [[127, 254], [0, 255]]
    assert to_uint8(half, "x", floats="auto").tolist() == [[128, 255], [0, 255]]
    assert to_uint8(np.array([[-1.0, 0.0, 1.0]]), "x", floats="wandb").tolist() == [[0, 127, 255]]
    assert np.asarray(_pil(Image(np.full((2, 3), 0.5)))).tolist() == [[127] * 3] * 2  # W&B's Image rule
