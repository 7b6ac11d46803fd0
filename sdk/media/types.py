"""W&B-style rich media for ``ringlog.log({...})``: Image, Audio, Video, Html, Histogram, Table.

Each type validates and converts its input when constructed, naming the argument, and knows how
to write itself into a task through ``_write``. Bad input raises in strict mode or with no run open;
with a lenient current run it becomes that run's one warning per kind and the object is marked
invalid, so ``ringlog.log`` writes nothing for it (``_lenient.py``): a training job never dies for
a malformed sample.
``log_value(run, key, value, step)`` is what ``ringlog.log`` calls for every non-numeric value.

Conversion rules (as W&B documents them):

* Image from numpy: 2-D -> grayscale "L"; 3-D with last dimension 1/3/4 -> L/RGB/RGBA; a 3-D array
  whose *first* dimension is 1/3/4 and last is not (channels-first, as torch) is transposed; a 4-D
  batch (N, C, H, W) or (N, H, W, C) is tiled into a grid of up to 8 per row (as W&B does). Floats:
  if any value is negative the array is min-max scaled to [0, 1]; if the maximum is <= 1 values are
  multiplied by 255; then everything is clipped to 0..255 and rounded to uint8 (NaN -> 0).
  Torch tensors are read through ``.detach().cpu().numpy()`` without importing torch.
  PIL images are saved as PNG; file paths are copied as they are (extension must be an image type).
* Audio: 1-D (mono) or 2-D (samples, channels) numpy, float in [-1, 1] (clipped) or int16; written
  as 16-bit PCM WAV by the standard library's ``wave``. ``sample_rate`` is required for arrays.
* Video: numpy (time, channel, height, width) or (batch, time, channel, height, width) (the batch is
  tiled into a grid), uint8 or float (Image's rule); GIF through Pillow, MP4/WebM through imageio
  when it is installed (otherwise GIF, with one warning). Or a video file path.
* Html: a string or a .html file; ``inject=True`` wraps a fragment into a small styled document.
* Histogram: a sequence (non-finite values dropped and counted) or ``np_histogram=(counts, edges)``;
  stored as a plot record of kind "histogram" (a single bar trace plus raw bins/counts), so the
  same key logged over steps forms a distribution over time.
* Table: ``columns`` + ``data`` (rows) or a pandas ``dataframe``; stored as a plot of kind "table".
"""

from __future__ import annotations

import functools
import io
import math
import wave
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from .._engine.lenient import lenient_init
from ..errors import type_error, value_error
from .convert import _is_pil, to_numpy, to_uint8

DEFAULT_HISTORY = 100  # samples kept per (title, series), as ClearML's file_history_size


# --- helpers ---------------------------------------------------------------------------------------
def _path_arg(data: Any) -> Optional[Path]:
    if isinstance(data, Path) or (isinstance(data, str) and "\n" not in data and len(data) < 4096):
        return Path(data)
    return None


def _ext_of(path: Path, kinds: Sequence[str], argument: str) -> str:
    from ringlog.store.media import EXTENSIONS

    ext = path.suffix.lower().lstrip(".")
    if EXTENSIONS.get(ext) not in kinds:
        allowed = sorted(e for e, k in EXTENSIONS.items() if k in kinds)
        raise value_error(argument, f"file extension must be one of {', '.join(allowed)}", str(path))
    if not path.is_file():
        raise value_error(argument, "must be an existing file", str(path))
    return ext


def _caption(caption: Any) -> Optional[str]:
    if caption is None:
        return None
    if not isinstance(caption, str):
        raise type_error("caption", "must be a str or None", caption)
    return caption


# --- the types -------------------------------------------------------------------------------------
class Media:
    """A debug sample: ``data`` bytes (or ``path`` to copy), extension, kind and caption."""

    kind = "file"

    def __init__(self) -> None:
        self._invalid = getattr(self, "_invalid", None)  # set by lenient_init when the input was bad
        self.data: Optional[bytes] = None
        self.path: Optional[Path] = None
        self.ext = ""
        self.caption: Optional[str] = None

    def _write(self, writer, title: str, series: str, iteration: int, max_history: int,
               destination: Optional[str]) -> dict:
        return writer.add_media(title, series, iteration, data=self.data, src_path=self.path, ext=self.ext,
                                kind=self.kind, caption=self.caption, max_history=max_history,
                                destination=destination)

    def __repr__(self) -> str:
        what = f"{len(self.data)} bytes" if self.data is not None else str(self.path)
        return f"<ringlog.{type(self).__name__} {self.ext} {what}>"


class Image(Media):
    """An image from a numpy array / tensor, a PIL image, a matplotlib figure (rendered to PNG) or an
    image file (see the module docstring). W&B's ``boxes``, ``masks``, ``classes`` and ``grouping``
    are accepted so W&B code runs unchanged, but not stored or drawn."""

    kind = "image"

    @lenient_init
    def __init__(self, data_or_path: Any, mode: Optional[str] = None, caption: Optional[str] = None,
                 file_type: Optional[str] = None, **_ignored: Any) -> None:
        super().__init__()
        self.caption = _caption(caption)
        fmt = (file_type or "png").lower().lstrip(".")
        if fmt not in ("png", "jpg", "jpeg", "gif", "webp", "bmp"):
            raise value_error("file_type", "must be one of png, jpg, jpeg, gif, webp, bmp", file_type)
        if _is_pil(data_or_path):
            img = data_or_path
        elif type(data_or_path).__module__.startswith("matplotlib.") and hasattr(data_or_path, "savefig"):
            from PIL import Image as PILImage

            from .figures import matplotlib_png

            img = PILImage.open(io.BytesIO(matplotlib_png(data_or_path)))
        elif isinstance(data_or_path, Image):
            self.data, self.path, self.ext = data_or_path.data, data_or_path.path, data_or_path.ext
            self.caption = self.caption or data_or_path.caption
            self.shape = getattr(data_or_path, "shape", None)
            return
        else:
            arr = to_numpy(data_or_path)
            if arr is None:
                path = _path_arg(data_or_path)
                if path is None:
                    raise type_error("data_or_path", "must be a numpy array, tensor, PIL image or image file path",
                                     data_or_path)
                self.ext = _ext_of(path, ("image",), "data_or_path")
                self.path = path
                self.shape = None
                return
            img = array_to_pil(arr, mode, "data_or_path")
        if mode is not None and img.mode != mode:
            try:
                img = img.convert(mode)
            except ValueError as exc:
                raise value_error("mode", f"must be a PIL mode the image converts to ({exc})", mode) from None
        if fmt in ("jpg", "jpeg") and img.mode not in ("L", "RGB"):
            img = img.convert("RGB")
        self.shape = (img.height, img.width, len(img.getbands()))
        self.mode = img.mode
        buf = io.BytesIO()
        img.save(buf, format={"jpg": "JPEG"}.get(fmt, fmt.upper()))
        self.data = buf.getvalue()
        self.ext = fmt


def image_grid(batch: np.ndarray, ncols: int = 8, pad: int = 2) -> np.ndarray:
    """A batch (N, C, H, W) or (N, H, W, C) tiled into one (H', W', C) image, up to ``ncols`` per row
    with ``pad`` pixels of 0 between (as torchvision's ``make_grid``, which W&B uses for batches)."""
    if batch.shape[1] in (1, 3, 4) and batch.shape[-1] not in (1, 3, 4):
        batch = np.transpose(batch, (0, 2, 3, 1))
    n, h, w, c = batch.shape
    cols = min(ncols, n)
    rows = -(-n // cols)
    grid = np.zeros((pad + rows * (h + pad), pad + cols * (w + pad), c), dtype=batch.dtype)
    for i in range(n):
        r, q = divmod(i, cols)
        y, x = pad + r * (h + pad), pad + q * (w + pad)
        grid[y:y + h, x:x + w] = batch[i]
    return grid


def array_to_pil(arr: np.ndarray, mode: Optional[str], argument: str):
    """numpy array -> PIL image by the W&B shape rules; errors name ``argument``."""
    from PIL import Image as PILImage

    if arr.dtype.kind not in "biuf":
        raise type_error(argument, "must hold numbers (bool, int or float pixels)", f"array of dtype {arr.dtype}")
    if arr.ndim == 4 and min(arr.shape) > 0:
        arr = image_grid(arr)
    if arr.ndim == 3 and arr.shape[-1] not in (1, 3, 4) and arr.shape[0] in (1, 3, 4):
        arr = np.transpose(arr, (1, 2, 0))  # channels-first (C, H, W)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[-1] in (3, 4))):
        raise value_error(argument, "must have shape (H, W), (H, W, 1|3|4), (1|3|4, H, W) or a batch of those",
                          f"array of shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise value_error(argument, "must not be empty", f"array of shape {arr.shape}")
    u8 = np.ascontiguousarray(to_uint8(arr, argument))
    pil_mode = "L" if u8.ndim == 2 else ("RGB" if u8.shape[-1] == 3 else "RGBA")
    return PILImage.fromarray(u8, pil_mode)


class Audio(Media):
    """Audio from a numpy array (with ``sample_rate``) or an audio file."""

    kind = "audio"

    @lenient_init
    def __init__(self, data_or_path: Any, sample_rate: Optional[int] = None,
                 caption: Optional[str] = None) -> None:
        super().__init__()
        self.caption = _caption(caption)
        arr = to_numpy(data_or_path)
        if arr is None:
            path = _path_arg(data_or_path)
            if path is None:
                raise type_error("data_or_path", "must be a numpy array or an audio file path", data_or_path)
            self.ext = _ext_of(path, ("audio",), "data_or_path")
            self.path = path
            return
        if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)) or sample_rate <= 0:
            raise value_error("sample_rate", "must be a positive int when data is an array", sample_rate)
        self.data = wav_bytes(arr, int(sample_rate))
        self.ext = "wav"
        self.sample_rate = int(sample_rate)
        self.duration = arr.shape[0] / float(sample_rate)


def wav_bytes(arr: np.ndarray, sample_rate: int, argument: str = "data_or_path") -> bytes:
    """16-bit PCM WAV of 1-D (mono) or 2-D (samples, channels) audio."""
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


class Video(Media):
    """A video from frames (time, channel, h, w) / (batch, time, channel, h, w) or a video file."""

    kind = "video"

    @lenient_init
    def __init__(self, data_or_path: Any, caption: Optional[str] = None, fps: int = 4,
                 format: Optional[str] = None) -> None:
        super().__init__()
        self.caption = _caption(caption)
        arr = to_numpy(data_or_path)
        if arr is None:
            path = _path_arg(data_or_path)
            if path is None:
                raise type_error("data_or_path", "must be a numpy array (time, channel, height, width) or a "
                                 "video file path", data_or_path)
            self.ext = _ext_of(path, ("video", "image"), "data_or_path")
            self.path = path
            return
        if isinstance(fps, bool) or not isinstance(fps, (int, float, np.number)) or not 0 < fps <= 1000:
            raise value_error("fps", "must be a number in (0, 1000]", fps)
        fmt = (format or "gif").lower().lstrip(".")
        if fmt not in ("gif", "mp4", "webm"):
            raise value_error("format", "must be one of gif, mp4, webm", format)
        frames = video_frames(arr)
        self.frames_shape = frames.shape
        self.data, self.ext = encode_video(frames, float(fps), fmt)
        self.fps = fps


def video_frames(arr: np.ndarray, argument: str = "data_or_path") -> np.ndarray:
    """(time, h, w, c) uint8 frames from (t, c, h, w) or (b, t, c, h, w); batches tiled into a grid."""
    if arr.ndim == 5:
        b, t, c, h, w = arr.shape
        cols = int(math.ceil(math.sqrt(b)))
        rows = int(math.ceil(b / cols))
        grid = np.zeros((t, c, rows * h, cols * w), dtype=arr.dtype)
        for i in range(b):
            r, q = divmod(i, cols)
            grid[:, :, r * h:(r + 1) * h, q * w:(q + 1) * w] = arr[i]
        arr = grid
    if arr.ndim != 4 or arr.shape[1] not in (1, 3, 4) or min(arr.shape) == 0:
        raise value_error(argument, "must have shape (time, channel 1|3|4, height, width) or (batch, time, "
                          "channel, height, width), non-empty", f"array of shape {arr.shape}")
    if arr.dtype.kind not in "biuf":
        raise type_error(argument, "must hold numbers", f"array of dtype {arr.dtype}")
    frames = to_uint8(np.transpose(arr, (0, 2, 3, 1)), argument)
    if frames.shape[-1] == 1:
        frames = np.repeat(frames, 3, axis=-1)
    return np.ascontiguousarray(frames[..., :3])


_warned_no_imageio = []


def encode_video(frames: np.ndarray, fps: float, fmt: str) -> tuple[bytes, str]:
    """Encode (t, h, w, 3) uint8 frames; MP4/WebM need imageio with ffmpeg, else GIF via Pillow."""
    if fmt in ("mp4", "webm"):
        try:
            import imageio.v3 as iio
            import imageio_ffmpeg  # noqa: F401  (the ffmpeg binary imageio's FFMPEG plugin runs)

            h, w = frames.shape[1:3]
            even = np.pad(frames, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)), mode="edge")  # yuv420p needs even sizes
            codec = {"mp4": "libx264", "webm": "libvpx"}[fmt]
            data = iio.imwrite("<bytes>", even, extension="." + fmt, plugin="FFMPEG", fps=fps, codec=codec,
                               macro_block_size=1, ffmpeg_log_level="error")
            return data, fmt
        except Exception as exc:  # imageio or ffmpeg is missing: GIF still shows the frames
            if not _warned_no_imageio:
                _warned_no_imageio.append(1)
                import warnings

                from ..errors import LoggingWarning

                warnings.warn(f"ringlog.Video: cannot write {fmt} ({exc.__class__.__name__}: {exc}); "
                              "writing GIF instead (pip install imageio imageio-ffmpeg for mp4/webm)",
                              LoggingWarning, stacklevel=4)
    from PIL import Image as PILImage

    imgs = [PILImage.fromarray(f, "RGB") for f in frames]
    buf = io.BytesIO()
    imgs[0].save(buf, format="GIF", save_all=True, append_images=imgs[1:],
                 duration=max(1, int(round(1000.0 / fps))), loop=0)
    return buf.getvalue(), "gif"


class Html(Media):
    """An HTML sample from a string or a .html file (shown in a sandboxed iframe by the viewer)."""

    kind = "html"

    @lenient_init
    def __init__(self, data: Any, inject: bool = True, caption: Optional[str] = None) -> None:
        super().__init__()
        self.caption = _caption(caption)
        if hasattr(data, "read"):
            data = data.read()
        if isinstance(data, Path) or (isinstance(data, str) and data.lower().endswith((".html", ".htm"))
                                      and "<" not in data):
            path = Path(data)
            self.ext = _ext_of(path, ("html",), "data")
            text = path.read_text(encoding="utf-8", errors="replace")
        elif isinstance(data, (str, bytes)):
            text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        else:
            raise type_error("data", "must be an HTML string, bytes, a .html path or a file object", data)
        if inject and "<html" not in text.lower():
            text = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>body{font-family:system-ui,"
                    "sans-serif;margin:8px}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
                    f"padding:2px 6px}}</style></head><body>{text}</body></html>")
        self.html = text
        self.data = text.encode("utf-8")
        self.ext = "html"


# --- ringlog.log({...}) ------------------------------------------------------------------------------
from .plotdata import Histogram, Table  # noqa: E402  (re-exported: ringlog.Histogram, ringlog.Table)

MEDIA_TYPES = (Image, Audio, Video, Html)


def _core(run: Any):
    return getattr(run, "_core", run)


def _destination(core: Any) -> Optional[str]:
    return getattr(core, "media_destination", None)


def write_media(core: Any, title: str, series: str, iteration: int, items: Sequence[Media],
                max_history: int) -> list[dict]:
    """Write samples (already validated) through the task's MediaWriter; returns their records.

    With a remote (URI) destination the files are named now and queued for the uploads thread
    (:mod:`ringlog._engine.uploads`); the records returned say ``"queued": True`` and readers list them once
    the upload is done (``flush()`` waits for that)."""
    from ringlog.store.media import _is_uri

    writer = core.media_writer()
    dest = _destination(core)
    if dest is None or not _is_uri(dest):
        return [m._write(writer, title, series, iteration, max_history, dest) for m in items]
    out = []
    for m in items:
        # read the bytes now: the caller may overwrite or delete its file right after this call
        data = m.data if m.data is not None else Path(m.path).read_bytes()
        rec = writer.prepare_media(title, series, iteration, ext=m.ext, kind=m.kind, caption=m.caption,
                                   max_history=max_history, destination=dest)
        rec["size"] = len(data)
        core.upload(len(data), m.kind, functools.partial(_upload, writer, rec, data))
        out.append({k: v for k, v in rec.items() if k not in ("op", "id")} | {"queued": True})
    return out


def _upload(writer: Any, rec: dict, data: bytes) -> None:
    """Uploads thread: send the file with no lock held, then list it (under the writer's lock)."""
    from ringlog.store.media import delete_sample_files, upload_sample

    try:
        upload_sample(rec["uri"], data)
    except BaseException:
        writer.abandon_media(rec)
        raise
    _, dropped = writer.commit_media(rec)
    delete_sample_files(writer.path, dropped)


def to_plot(value: Any, argument: str):
    """(figure dict, kind, data) for anything that is a plot, or None when it is not one."""
    from . import figures

    if isinstance(value, (Histogram, Table)):
        return value, None, None
    if figures.is_matplotlib_figure(value):
        fig = figures.matplotlib_to_plotly(value)
        if fig is None:
            return None
        return fig, "plotly", None
    if figures.is_plotly(value):
        return figures.plotly_dict(value, argument), "plotly", None
    return None


def log_value(run: Any, key: str, value: Any, step: int) -> None:
    """Log one non-numeric ``ringlog.log`` value under ``key`` at ``step`` (title = series = key).

    Media (or a list of one media type) become samples: W&B keeps every step, so the default history
    is 100 steps' worth (100 x the list length) per key. Histograms, tables, plotly figures,
    ``ringlog.plot`` charts and matplotlib figures become plot records (matplotlib figures that do
    not convert become PNG samples). Numeric arrays/lists become a Histogram (as W&B does); a str
    goes to the console log as "key: text". Anything else is bad input.
    """
    core = _core(run)
    argument = f"data[{key!r}]"
    if getattr(value, "_invalid", None) is not None:
        return  # its constructor already reported the bad input (lenient mode): nothing to write
    if isinstance(value, MEDIA_TYPES):
        write_media(core, key, key, step, [value], DEFAULT_HISTORY)
        return
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, MEDIA_TYPES) for v in value):
        kinds = {type(v) for v in value}
        if len(kinds) > 1:
            raise type_error(argument, "a list of media must hold one type", [t.__name__ for t in kinds])
        items = [v for v in value if v._invalid is None]
        if items:
            write_media(core, key, key, step, items, DEFAULT_HISTORY * len(value))
        return
    if isinstance(value, str):
        core.console_write("log", f"{key}: {value}", "info")
        return
    plot = to_plot(value, argument)
    if plot is not None:
        fig, kind, data = plot
        writer = core.media_writer()
        if isinstance(fig, (Histogram, Table)):
            fig._write(writer, key, key, step)
        else:
            writer.add_plot(key, key, step, fig, kind=kind)
        return
    from . import figures

    if figures.is_matplotlib_figure(value):  # did not convert: keep it as an image
        write_media(core, key, key, step, [_png_image(figures.matplotlib_png(value))], DEFAULT_HISTORY)
        return
    arr = to_numpy(value)
    if arr is None and isinstance(value, (list, tuple)) and value:
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            arr = None
    if arr is not None and arr.dtype.kind in "biuf" and arr.size:
        Histogram(arr)._write(core.media_writer(), key, key, step)
        return
    raise type_error(argument, "must be a number, str, ringlog media (Image, Audio, Video, Html), Histogram, "
                     "Table, ringlog.plot chart, plotly or matplotlib figure, or a numeric array", value)


def _png_image(data: bytes) -> Image:
    img = Image.__new__(Image)
    Media.__init__(img)
    img.data, img.ext, img.shape = data, "png", None
    return img
