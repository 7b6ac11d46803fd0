"""The pure conversions of ringlog.media.convert, called directly: each convention is a parameter,
and the W&B and TensorBoard rules differ exactly where they are documented to."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ringlog.errors import LoggingTypeError, LoggingValueError
from ringlog.media import convert as C

# realistic magnitudes (a span near float64's maximum overflows numpy's own range arithmetic), plus NaN/Inf
floats_arrays = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=6),
                           elements=st.one_of(st.floats(-1e300, 1e300), st.sampled_from([np.nan, np.inf, -np.inf])))


# --- arrays ----------------------------------------------------------------------------------------
class _FakeTensor:
    """Duck-typed like torch.Tensor (detach/cpu/numpy), so torch need not be installed."""

    def __init__(self, a, dtype="torch.float32"):
        self.a, self.dtype, self.calls = a, dtype, []

    def detach(self):
        self.calls.append("detach")
        return self

    def cpu(self):
        self.calls.append("cpu")
        return self

    def float(self):
        self.calls.append("float")
        return _FakeTensor(self.a.astype(np.float32))

    def numpy(self):
        return self.a


def test_to_numpy_and_as_array():
    a = np.arange(3)
    assert C.to_numpy(a) is a
    t = _FakeTensor(np.ones(2))
    assert C.to_numpy(t).tolist() == [1.0, 1.0] and t.calls == ["detach", "cpu"]
    half = _FakeTensor(np.ones(2, np.float16), "torch.bfloat16")
    assert C.to_numpy(half).dtype == np.float32 and half.calls == ["detach", "cpu", "float"]
    assert C.to_numpy([1, 2]) is None and C.to_numpy("text") is None and C.to_numpy(3.0) is None
    assert C.as_array([1, 2]).tolist() == [1, 2] and C.as_array(2.5).item() == 2.5


# --- pixels ----------------------------------------------------------------------------------------
def test_float_rules_differ_where_documented():
    a = np.array([[0.0, 0.5], [1.0, np.nan]])
    assert C.to_uint8(a, floats="auto").tolist() == [[0, 128], [255, 0]]  # W&B: rounded
    assert C.to_uint8(a, floats="unit").tolist() == [[0, 127], [255, 0]]  # TensorBoard: truncated
    neg = np.array([-1.0, 0.0, 1.0])
    assert C.to_uint8(neg, floats="auto").tolist() == [0, 128, 255]  # negative: min-max scaled
    assert C.to_uint8(neg, floats="unit").tolist() == [0, 0, 255]  # taken in [0, 1]: clipped
    assert C.to_uint8(np.array([np.inf, 300.0]), floats="auto").tolist() == [0, 255]
    assert C.to_uint8(np.array([np.inf, 300.0]), floats="unit").tolist() == [255, 255]
    for rule in C.FLOAT_RULES:  # ints and bools: the same under both
        assert C.to_uint8(np.array([-3, 7, 900]), floats=rule).tolist() == [0, 7, 255]
        assert C.to_uint8(np.array([True, False]), floats=rule).tolist() == [255, 0]
    with pytest.raises(LoggingValueError, match="floats: must be one of auto, unit"):
        C.to_uint8(a, floats="tb")
    with pytest.raises(LoggingTypeError, match="px: must hold numbers"):
        C.to_uint8(np.array(["a"]), "px")


@settings(max_examples=60, deadline=None)
@given(floats_arrays, st.sampled_from(C.FLOAT_RULES))
def test_to_uint8_keeps_the_shape_and_is_monotone_on_finite_values(a, rule):
    u = C.to_uint8(a, floats=rule)
    assert u.dtype == np.uint8 and u.shape == a.shape
    fin = np.isfinite(a)
    order = np.argsort(a[fin], kind="stable")
    assert np.all(np.diff(u[fin][order].astype(int)) >= 0)  # a larger value never gets a darker pixel


@pytest.mark.parametrize("fmt, shape, want", [
    ("HW", (4, 5), (4, 5)), ("HWC", (4, 5, 3), (4, 5, 3)), ("CHW", (3, 4, 5), (4, 5, 3)),
    ("CHW", (1, 4, 5), (4, 5)), ("WHC", (5, 4, 4), (4, 5, 4)), (None, (3, 4, 5), (4, 5, 3)),
    (None, (4, 5, 3), (4, 5, 3)), (None, (4, 5, 1), (4, 5)), (None, (3, 4, 3), (3, 4, 3)),
])
def test_channels_last(fmt, shape, want):
    a = np.arange(np.prod(shape)).reshape(shape)
    out = C.channels_last(a, fmt)
    assert out.shape == want
    if fmt == "CHW" and shape[0] == 3:
        assert out[1, 2, 0] == a[0, 1, 2] and out[1, 2, 2] == a[2, 1, 2]  # pixel (1, 2), channels kept


def test_channels_last_rejects_a_mismatch():
    with pytest.raises(ValueError, match=r"img: shape \(4, 5\) does not match dataformats 'CHW'"):
        C.channels_last(np.zeros((4, 5)), "CHW", "img")
    with pytest.raises(ValueError, match="does not match"):
        C.channels_last(np.zeros((4, 5, 3)), "HWX")


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 11), st.integers(1, 4), st.integers(1, 3), st.integers(1, 9), st.integers(0, 3))
def test_tile_places_every_image(n, h, w, ncols, pad):
    batch = np.arange(1, n * h * w * 2 + 1, dtype=np.int64).reshape(n, h, w, 2)
    g = C.tile(batch, ncols, pad)
    cols = min(ncols, n)
    rows = -(-n // cols)
    assert g.shape == (pad + rows * (h + pad), pad + cols * (w + pad), 2) and g.dtype == batch.dtype
    for i in range(n):
        r, q = divmod(i, cols)
        y, x = pad + r * (h + pad), pad + q * (w + pad)
        assert np.array_equal(g[y:y + h, x:x + w], batch[i])
    assert g.sum() == batch.sum()  # everything else is padding of 0


def test_tile_keeps_leading_axes_and_refuses_an_empty_batch():
    frames = np.ones((3, 2, 4, 5, 3))  # (batch, time, h, w, c): each frame tiled
    assert C.tile(frames, 2).shape == (2, 8, 10, 3)
    with pytest.raises(LoggingValueError, match="batch: must hold at least one image"):
        C.tile(np.zeros((0, 2, 2, 1)))


def test_image_pixels_wandb_rules():
    assert C.image_pixels(np.zeros((3, 4, 5))).shape == (4, 5, 3)  # channels-first guessed
    grid = C.image_pixels(np.ones((3, 1, 2, 2), dtype=np.uint8) * 9)  # a batch: 8 per row, pad 2
    assert grid.shape == (2 + 1 * 4, 2 + 3 * 4) and grid[2, 2] == 9 and grid[0, 0] == 0
    with pytest.raises(LoggingValueError, match="data_or_path: must have shape"):
        C.image_pixels(np.zeros((2, 3, 5)))
    with pytest.raises(LoggingValueError, match="must not be empty"):
        C.image_pixels(np.zeros((0, 3)))
    with pytest.raises(LoggingTypeError, match="must hold numbers"):
        C.image_pixels(np.array([["a"]]))


def test_tensor_pixels_and_grid_tensorboard_rules():
    chw = np.full((3, 2, 2), 0.5)
    assert C.tensor_pixels(chw).shape == (2, 2, 3) and C.tensor_pixels(chw)[0, 0, 0] == 127
    g = C.tensor_grid(np.ones((10, 1, 2, 3)), "NCHW")  # gray -> RGB, 8 per row, no pad
    assert g.shape == (4, 24, 3) and g.dtype == np.uint8 and g[:2].min() == 255 and g[2:, 6:].max() == 0
    assert C.tensor_grid(np.zeros((2, 2, 2, 4)), "NHWC").shape == (2, 4, 4)
    with pytest.raises(ValueError, match="img_tensor: the batch is empty"):
        C.tensor_grid(np.zeros((0, 3, 2, 2)))
    with pytest.raises(ValueError, match="does not match dataformats 'NCHW'"):
        C.tensor_grid(np.zeros((3, 2, 2)))


def test_encodings_round_trip():
    from PIL import Image as PILImage

    px = (np.arange(24).reshape(2, 4, 3) * 10).astype(np.uint8)
    back = np.asarray(PILImage.open(io.BytesIO(C.png_bytes(px))))
    assert np.array_equal(back, px)
    rgba = C.pil_image(np.zeros((2, 2, 4), np.uint8))
    assert rgba.mode == "RGBA" and C.image_for(rgba, "jpg").mode == "RGB" and C.image_for(rgba, "png") is rgba
    assert C.image_for(rgba, "png", "L").mode == "L"
    assert C.encode_image(C.image_for(rgba, "jpeg"), "jpeg")[:2] == b"\xff\xd8"
    with pytest.raises(LoggingValueError, match="mode: must be a PIL mode"):
        C.image_for(rgba, "png", "NOPE")


def test_wav_bytes():
    data = C.wav_bytes(np.array([0.0, 1.0, -2.0, np.nan]), 8000)
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 8000)
        assert np.frombuffer(w.readframes(4), "<i2").tolist() == [0, 32767, -32767, 0]
    with wave.open(io.BytesIO(C.wav_bytes(np.zeros((2, 50)), 100))) as w:  # (channels, samples)
        assert w.getnchannels() == 2 and w.getnframes() == 50
    with pytest.raises(LoggingValueError, match="snd: must have shape"):
        C.wav_bytes(np.zeros((3, 3, 3)), 100, "snd")


def test_video_frames_and_gif():
    frames = C.video_frames(np.ones((2, 1, 3, 4)))  # one channel -> RGB
    assert frames.shape == (2, 3, 4, 3) and frames.dtype == np.uint8
    assert C.video_frames(np.zeros((5, 2, 3, 2, 2))).shape == (2, 4, 6, 3)  # 5 videos: a 3-wide grid
    data, ext, problem = C.encode_video(frames, 4.0, "gif")
    assert ext == "gif" and data[:6] == b"GIF89a" and problem is None
    with pytest.raises(LoggingValueError, match="must have shape"):
        C.video_frames(np.zeros((0, 2, 3, 2, 2)))


# --- histograms ------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(floats_arrays, st.one_of(st.integers(1, 50), st.sampled_from(["tensorflow", "auto", "sturges"])))
def test_histogram_counts_every_finite_value_once(a, bins):
    counts, edges, nonfinite = C.histogram(a, bins)
    fin = np.isfinite(a)
    assert int(counts.sum()) == int(fin.sum()) and nonfinite == a.size - int(fin.sum())
    assert len(edges) == len(counts) + 1 and np.all(np.diff(edges) >= 0)
    if bins == "tensorflow" and fin.any():  # a name numpy does not know: the default bins (or the one-bin fallback)
        assert len(counts) in (C.DEFAULT_BINS, 1)


def test_histogram_of_a_range_float64_cannot_split():
    v = 2.0 ** 53  # v +- 0.5 rounds to v: numpy raises "Too many bins for data range"
    with pytest.raises(ValueError):
        np.histogram([v], 1)
    counts, edges, _ = C.histogram(np.array([v]), 1)
    assert counts.tolist() == [1] and edges[0] == v < edges[1]
    counts, edges, _ = C.histogram(np.array([v, v + 2]), 64)
    assert counts.tolist() == [2]
    assert len(C.histogram(np.arange(100.0), "tensorflow")[0]) == C.DEFAULT_BINS  # the ordinary case


def test_histogram_figure_and_record():
    counts, edges = np.array([1, 3]), np.array([0.0, 1.0, 3.0])
    fig = C.histogram_figure(counts, edges, "s")
    assert fig["data"] == [{"type": "bar", "x": [0.5, 2.0], "y": [1, 3], "width": [1.0, 2.0], "name": "s"}]
    assert "title" not in fig["layout"] and fig["layout"]["bargap"] == 0
    fig, kind, data = C.histogram_record(counts, edges, 2, "grads")
    assert kind == "histogram" and data == {"bins": [0.0, 1.0, 3.0], "counts": [1.0, 3.0], "nonfinite": 2}
    assert fig["layout"]["title"] == {"text": "grads"} and fig["data"][0]["name"] == "grads"
    assert C.histogram_record(counts, edges, 0, "")[0]["data"][0]["name"] == "histogram"
