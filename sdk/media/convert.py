"""Pure media conversions: arrays and tensors to numpy, pixel rules, grids, encodings, histograms.

No I/O, no run, no module state: each function takes data and returns data, so the W&B media
objects, the ClearML reporting and the captures share one implementation of each rule. Figures
(matplotlib -> plotly, or PNG) are the other half of the conversions, in :mod:`.figures`.

Conventions are parameters, not copies:

* ``floats`` (how float pixels become uint8): ``"wandb"`` is W&B's ``Image`` rule
  (wandb/sdk/data_types/image.py, ``to_uint8``): NaN/Inf -> 0; if any value is negative the array
  is min-max scaled to [0, 1]; if the maximum is <= 1 values are multiplied by 255; then clipped to
  0..255 and *truncated* (0.5 -> 127). ``"auto"`` is the same scaling, *rounded* (0.5 -> 128). ``"unit"`` is TensorBoard's: values are taken in
  [0, 1], multiplied by 255 (NaN -> 0, +Inf -> 255), clipped and *truncated*. Integers are clipped
  to 0..255 and bools become 0/255 under both.
* ``dataformats`` (channel order): an explicit layout such as ``"HW"``, ``"HWC"``, ``"CHW"`` (and
  ``"NCHW"``/``"NHWC"`` for batches), as TensorBoard's ``add_image(s)`` takes; ``None`` guesses as
  W&B does: a 3-D array whose first dimension is 1/3/4 and last is not is channels-first.
* grids: :func:`tile` lays a batch out ``ncols`` per row with ``pad`` pixels of 0 between (W&B: 8
  per row, pad 2, as torchvision's ``make_grid``; TensorBoard: 8 per row, no pad; videos: a square).

Errors name the argument (``argument=``), the rule and what was given. Pillow is imported only by
the functions that encode images. Costs: O(pixels) per conversion, one encode per sample.
"""

from __future__ import annotations

import io
import math
import wave
from typing import Any, Optional

import numpy as np

from ..errors import type_error, value_error

DEFAULT_BINS = 64
NUMPY_BIN_RULES = ("auto", "fd", "doane", "scott", "stone", "rice", "sturges", "sqrt")
FLOAT_RULES = ("auto", "unit", "wandb")
IMAGE_FORMATS = ("png", "jpg", "jpeg", "gif", "webp", "bmp")


# --- arrays ----------------------------------------------------------------------------------------
def to_numpy(data: Any) -> Optional[np.ndarray]:
    """numpy view of an ndarray or a torch/jax-like tensor (duck-typed, torch never imported); else None.

    A torch tensor is detached and moved to the CPU; float16/bfloat16 tensors become float32 first
    (numpy has no bfloat16). Strings, bytes and PIL images are not arrays here (None).
    """
    if isinstance(data, np.ndarray):
        return data
    if hasattr(data, "detach") and hasattr(data, "cpu") and hasattr(data, "numpy"):  # torch.Tensor
        t = data.detach().cpu()
        if str(getattr(t, "dtype", "")) in ("torch.bfloat16", "torch.float16") and hasattr(t, "float"):
            t = t.float()
        return t.numpy()
    if hasattr(data, "__array__") and not isinstance(data, (str, bytes)) and not is_pil(data):
        return np.asarray(data)
    return None


def as_array(data: Any) -> np.ndarray:
    """:func:`to_numpy`, else ``np.asarray`` (lists, Python numbers): always an array."""
    arr = to_numpy(data)
    return np.asarray(data) if arr is None else arr


def is_pil(obj: Any) -> bool:
    """A PIL image (duck-typed: Pillow is not imported to ask)."""
    return type(obj).__module__.startswith("PIL.") and hasattr(obj, "save") and hasattr(obj, "mode")


# --- pixels ----------------------------------------------------------------------------------------
def to_uint8(arr: np.ndarray, argument: str = "data", *, floats: str = "auto") -> np.ndarray:
    """Pixels as uint8 0..255 by the ``floats`` rule (module docstring); same shape."""
    if floats not in FLOAT_RULES:
        raise value_error("floats", f"must be one of {', '.join(FLOAT_RULES)}", floats)
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    if arr.dtype.kind == "f":
        if floats == "unit":
            with np.errstate(over="ignore"):  # +Inf (or a huge float) times 255 overflows to inf: clipped to 255
                return np.clip(np.nan_to_num(arr) * 255.0, 0, 255).astype(np.uint8)
        a = np.nan_to_num(arr.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        if a.size and a.min() < 0:
            span = float(a.max() - a.min())
            a = (a - a.min()) / span if span > 0 else np.zeros_like(a)
        if a.size and a.max() <= 1.0:
            a = a * 255.0
        return np.clip(a if floats == "wandb" else np.rint(a), 0, 255).astype(np.uint8)
    if arr.dtype.kind in "iu":
        return np.clip(arr, 0, 255).astype(np.uint8)
    raise type_error(argument, "must hold numbers (bool, int or float pixels)", f"array of dtype {arr.dtype}")


def channels_last(arr: np.ndarray, dataformats: Optional[str] = None, argument: str = "data") -> np.ndarray:
    """(H, W) or (H, W, C) view of one image in ``dataformats`` ("HW", "HWC", "CHW", ...), or with
    ``None`` by W&B's guess (channels-first when the first dimension is 1/3/4 and the last is not).
    A single channel is dropped: (H, W, 1) -> (H, W)."""
    if dataformats is None:
        if arr.ndim == 3 and arr.shape[-1] not in (1, 3, 4) and arr.shape[0] in (1, 3, 4):
            arr = np.transpose(arr, (1, 2, 0))
    else:
        fmt = dataformats.upper()
        if arr.ndim != len(fmt) or sorted(fmt) not in (["H", "W"], ["C", "H", "W"]):
            raise ValueError(f"{argument}: shape {arr.shape} does not match dataformats {dataformats!r}")
        if fmt != "HW":
            arr = np.transpose(arr, [fmt.index(c) for c in "HWC"])
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    return arr


def tile(batch: np.ndarray, ncols: int = 8, pad: int = 0) -> np.ndarray:
    """A batch (N, ..., H, W, C) tiled into one (..., H', W', C) array, up to ``ncols`` per row with
    ``pad`` pixels of 0 between and around the tiles (none around them when ``pad`` is 0); keeps
    the dtype, so a pixel rule applied afterwards sees the padding too (as W&B's grid does)."""
    n = batch.shape[0]
    if n == 0:
        raise value_error("batch", "must hold at least one image", f"array of shape {batch.shape}")
    h, w = batch.shape[-3:-1]
    cols = min(ncols, n)
    rows = -(-n // cols)
    out = np.zeros(batch.shape[1:-3] + (pad + rows * (h + pad), pad + cols * (w + pad), batch.shape[-1]),
                   dtype=batch.dtype)
    for i in range(n):
        r, q = divmod(i, cols)
        y, x = pad + r * (h + pad), pad + q * (w + pad)
        out[..., y:y + h, x:x + w, :] = batch[i]
    return out


def image_pixels(arr: np.ndarray, argument: str = "data_or_path", *, floats: str = "wandb") -> np.ndarray:
    """W&B's image rule: a numeric array -> uint8 (H, W) or (H, W, 3|4). A 4-D batch (N, C, H, W) or
    (N, H, W, C) becomes a grid (8 per row, pad 2); channels-first is guessed; floats by ``floats``."""
    if arr.dtype.kind not in "biuf":
        raise type_error(argument, "must hold numbers (bool, int or float pixels)", f"array of dtype {arr.dtype}")
    if arr.ndim == 4 and min(arr.shape) > 0:
        if arr.shape[1] in (1, 3, 4) and arr.shape[-1] not in (1, 3, 4):
            arr = np.transpose(arr, (0, 2, 3, 1))
        arr = tile(arr, 8, pad=2)
    arr = channels_last(arr, None, argument)
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[-1] in (3, 4))):
        raise value_error(argument, "must have shape (H, W), (H, W, 1|3|4), (1|3|4, H, W) or a batch of those",
                          f"array of shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise value_error(argument, "must not be empty", f"array of shape {arr.shape}")
    return np.ascontiguousarray(to_uint8(arr, argument, floats=floats))


def tensor_pixels(data: Any, dataformats: str = "CHW", argument: str = "img_tensor") -> np.ndarray:
    """TensorBoard's image rule: one image in ``dataformats`` -> uint8 (H, W) or (H, W, C), floats "unit"."""
    out = channels_last(as_array(data), dataformats, argument)
    return np.ascontiguousarray(to_uint8(out, argument, floats="unit"))


def tensor_grid(data: Any, dataformats: str = "NCHW", ncols: int = 8, argument: str = "img_tensor") -> np.ndarray:
    """TensorBoard's ``add_images``: a batch in ``dataformats`` ("NCHW", "NHWC", "NHW") -> one uint8
    (H', W', C) grid, ``ncols`` per row, no padding; single-channel images become RGB."""
    a = as_array(data)
    fmt = dataformats.upper()
    if a.ndim != len(fmt) or not fmt.startswith("N"):
        raise ValueError(f"{argument}: shape {a.shape} does not match dataformats {dataformats!r}")
    if a.shape[0] == 0:
        raise ValueError(f"{argument}: the batch is empty")
    one = [tensor_pixels(a[i], fmt[1:], argument) for i in range(a.shape[0])]
    batch = np.stack([np.repeat(s[:, :, None], 3, 2) if s.ndim == 2 else s for s in one])
    return tile(batch, ncols, pad=0)


def pil_image(pixels: np.ndarray):
    """A PIL image of uint8 (H, W) / (H, W, 3) / (H, W, 4) pixels: mode L, RGB or RGBA."""
    from PIL import Image as PILImage  # deferred: Pillow only when an image is encoded

    return PILImage.fromarray(np.ascontiguousarray(pixels))


def image_for(img: Any, fmt: str = "png", mode: Optional[str] = None) -> Any:
    """A PIL image converted to ``mode`` when given, and to RGB (or L) for JPEG, which has no alpha;
    ValueError naming "mode" when it does not convert."""
    if mode is not None and img.mode != mode:
        try:
            img = img.convert(mode)
        except ValueError as exc:
            raise value_error("mode", f"must be a PIL mode the image converts to ({exc})", mode) from None
    if fmt in ("jpg", "jpeg") and img.mode not in ("L", "RGB"):
        img = img.convert("RGB")
    return img


def encode_image(img: Any, fmt: str = "png") -> bytes:
    """Bytes of a PIL image in ``fmt`` (png, jpg, jpeg, gif, webp, bmp; see :func:`image_for`)."""
    buf = io.BytesIO()
    img.save(buf, format={"jpg": "JPEG"}.get(fmt, fmt.upper()))
    return buf.getvalue()


def png_bytes(pixels: np.ndarray) -> bytes:
    """PNG of uint8 (H, W) / (H, W, C) pixels."""
    return encode_image(pil_image(pixels), "png")


# --- audio -----------------------------------------------------------------------------------------
def wav_bytes(arr: np.ndarray, sample_rate: int, argument: str = "data_or_path") -> bytes:
    """16-bit PCM WAV of 1-D (mono) or 2-D (samples, channels) audio; (1|2, samples) is transposed.
    Floats are taken in [-1, 1] (clipped, NaN -> 0), other integers clipped to int16."""
    if arr.ndim == 2 and arr.shape[0] in (1, 2) and arr.shape[1] > 8:
        arr = arr.T  # (channels, samples) as torchaudio gives it
    if arr.ndim not in (1, 2) or arr.shape[0] == 0 or (arr.ndim == 2 and not 1 <= arr.shape[1] <= 8):
        raise value_error(argument, "must have shape (samples,) or (samples, channels<=8), non-empty",
                          f"array of shape {arr.shape}")
    if arr.dtype.kind == "f":
        pcm = np.rint(np.clip(np.nan_to_num(arr, nan=0.0), -1.0, 1.0) * 32767).astype("<i2")
    elif arr.dtype == np.int16:
        pcm = arr.astype("<i2")
    elif arr.dtype.kind in "iu":
        pcm = np.clip(arr, -32768, 32767).astype("<i2")
    else:
        raise type_error(argument, "must hold float samples in [-1, 1] or int16", f"array of dtype {arr.dtype}")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1 if pcm.ndim == 1 else pcm.shape[1])
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(np.ascontiguousarray(pcm).tobytes())
    return buf.getvalue()


# --- video -----------------------------------------------------------------------------------------
def video_frames(arr: np.ndarray, argument: str = "data_or_path") -> np.ndarray:
    """(time, h, w, 3) uint8 frames from (t, c, h, w) or (b, t, c, h, w) (the batch tiled into a
    square grid); floats by the "auto" rule; one channel becomes RGB, alpha is dropped."""
    if arr.ndim == 5 and arr.shape[0] > 0:
        b = arr.shape[0]
        grid = tile(np.transpose(arr, (0, 1, 3, 4, 2)), int(math.ceil(math.sqrt(b))), pad=0)
        arr = np.transpose(grid, (0, 3, 1, 2))
    if arr.ndim != 4 or arr.shape[1] not in (1, 3, 4) or min(arr.shape) == 0:
        raise value_error(argument, "must have shape (time, channel 1|3|4, height, width) or (batch, time, "
                          "channel, height, width), non-empty", f"array of shape {arr.shape}")
    if arr.dtype.kind not in "biuf":
        raise type_error(argument, "must hold numbers", f"array of dtype {arr.dtype}")
    frames = to_uint8(np.transpose(arr, (0, 2, 3, 1)), argument)
    if frames.shape[-1] == 1:
        frames = np.repeat(frames, 3, axis=-1)
    return np.ascontiguousarray(frames[..., :3])


def encode_video(frames: np.ndarray, fps: float, fmt: str) -> tuple[bytes, str, Optional[str]]:
    """(bytes, ext, why not ``fmt``) of (t, h, w, 3) uint8 frames. MP4/WebM need imageio with
    ffmpeg; without them (or if they fail) the frames are a GIF (Pillow) and the third item says why."""
    problem = None
    if fmt in ("mp4", "webm"):
        try:
            import imageio.v3 as iio  # deferred: optional, only for mp4/webm
            import imageio_ffmpeg  # noqa: F401  deferred: the ffmpeg binary imageio's FFMPEG plugin runs

            h, w = frames.shape[1:3]
            even = np.pad(frames, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)), mode="edge")  # yuv420p needs even sizes
            codec = {"mp4": "libx264", "webm": "libvpx"}[fmt]
            data = iio.imwrite("<bytes>", even, extension="." + fmt, plugin="FFMPEG", fps=fps, codec=codec,
                               macro_block_size=1, ffmpeg_log_level="error")
            return data, fmt, None
        except Exception as exc:  # any failure of the optional encoder: the GIF below still shows the frames
            problem = f"{exc.__class__.__name__}: {exc}"
    from PIL import Image as PILImage  # deferred: Pillow only when a video is encoded

    imgs = [PILImage.fromarray(f, "RGB") for f in frames]
    buf = io.BytesIO()
    imgs[0].save(buf, format="GIF", save_all=True, append_images=imgs[1:],
                 duration=max(1, int(round(1000.0 / fps))), loop=0)
    return buf.getvalue(), "gif", problem


# --- histograms ------------------------------------------------------------------------------------
def histogram(values: Any, bins: Any = DEFAULT_BINS) -> tuple[np.ndarray, np.ndarray, int]:
    """(counts int64, edges float64, non-finite count) of the finite values. ``bins``: an int, or a
    rule numpy knows ("auto", "fd", ...); any other name (TensorBoard's "tensorflow") means
    ``DEFAULT_BINS`` equal-width bins. No finite value: one empty bin over [0, 1]; values whose range
    float64 cannot split (a single value near 1e16): one bin over their range."""
    a = as_array(values).astype(np.float64, copy=False).ravel()
    fin = a[np.isfinite(a)]
    if isinstance(bins, str) and bins not in NUMPY_BIN_RULES:
        bins = DEFAULT_BINS
    if fin.size == 0:
        return np.zeros(1, dtype=np.int64), np.array([0.0, 1.0]), int(a.size)
    try:
        counts, edges = np.histogram(fin, bins=bins)
    except ValueError:  # a range float64 cannot split into finite bins (one value near 1e16): one bin holds all
        lo, hi = float(fin.min()), float(fin.max())
        counts, edges = np.array([fin.size]), np.array([lo, hi if hi > lo else np.nextafter(lo, np.inf)])
    return counts.astype(np.int64), edges, int(a.size - fin.size)


def histogram_figure(counts: Any, edges: Any, name: str, title: Optional[str] = None) -> dict:
    """One plotly bar trace over the bins (bar centres, widths = bin widths); ``title`` in the layout
    when given."""
    counts = np.asarray(counts)
    edges = np.asarray(edges, dtype=np.float64)
    centers = (edges[:-1] + edges[1:]) / 2
    layout: dict = {"title": {"text": title}} if title is not None else {}
    layout.update({"bargap": 0, "xaxis": {"title": {"text": "value"}}, "yaxis": {"title": {"text": "count"}}})
    return {"data": [{"type": "bar", "x": centers.tolist(), "y": counts.tolist(),
                      "width": np.diff(edges).tolist(), "name": name}], "layout": layout}


def histogram_record(counts: Any, edges: Any, nonfinite: int, title: str) -> tuple[dict, str, dict]:
    """(figure, kind, data) of the stored histogram record (store/MEDIA_FORMAT.md, plots.jsonl):
    kind "histogram", ``data = {"bins": edges, "counts": counts, "nonfinite": k}``, counts as floats."""
    counts = np.asarray(counts, dtype=np.float64)
    edges = np.asarray(edges, dtype=np.float64)
    fig = histogram_figure(counts, edges, title or "histogram", title)
    return fig, "histogram", {"bins": edges.tolist(), "counts": counts.tolist(), "nonfinite": int(nonfinite)}
