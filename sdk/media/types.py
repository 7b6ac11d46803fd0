"""W&B-style rich media for ``ringlog.log({...})``: Image, Audio, Video, Html, Histogram, Table.

Each type validates and converts its input when constructed, naming the argument; a media object
is then a sample (``data`` or ``path``, ``ext``, ``kind``, ``caption``) that :mod:`.writer` stores.
Bad input raises in strict mode or with no run open; with a lenient current run it becomes that
run's one warning per kind and the object is marked invalid, so ``ringlog.log`` writes nothing for
it (``ringlog._engine.lenient``): a training job never dies for a malformed sample.
``log_value(sink, key, value, step)`` is what ``ringlog.log`` calls for every non-numeric value.
The conversions themselves are :mod:`.convert`'s and :mod:`.figures`' pure functions; every record
is written by :mod:`.writer`.

Conversion rules (as W&B documents them):

* Image from numpy: 2-D -> grayscale "L"; 3-D with last dimension 1/3/4 -> L/RGB/RGBA; a 3-D array
  whose *first* dimension is 1/3/4 and last is not (channels-first, as torch) is transposed; a 4-D
  batch (N, C, H, W) or (N, H, W, C) is tiled into a grid of up to 8 per row (as W&B does). Floats:
  if any value is negative the array is min-max scaled to [0, 1]; if the maximum is <= 1 values are
  multiplied by 255; then everything is clipped to 0..255 and truncated to uint8 as W&B does
  (0.5 -> 127; NaN -> 0; convert's ``floats="wandb"``).
  Torch tensors are read through ``.detach().cpu().numpy()`` without importing torch.
  PIL images are saved as PNG; file paths are copied as they are (extension must be an image type).
* Audio: 1-D (mono) or 2-D (samples, channels) numpy, float in [-1, 1] (clipped) or int16; written
  as 16-bit PCM WAV by the standard library's ``wave``. ``sample_rate`` is required for arrays.
* Video: numpy (time, channel, height, width) or (batch, time, channel, height, width) (the batch is
  tiled into a grid), uint8 or float (Image's rule); GIF through Pillow, MP4/WebM through imageio
  when it is installed (otherwise GIF, with the run's one warning). Or a video file path.
* Html: a string or a .html file; ``inject=True`` wraps a fragment into a small styled document.
* Histogram: a sequence (non-finite values dropped and counted) or ``np_histogram=(counts, edges)``;
  stored as a plot record of kind "histogram" (a single bar trace plus raw bins/counts), so the
  same key logged over steps forms a distribution over time.
* Table: ``columns`` + ``data`` (rows) or a pandas ``dataframe``; stored as a plot of kind "table".
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from .._engine import context
from .._engine.lenient import lenient_init
from ..errors import LoggingWarning, type_error, value_error
from . import figures, writer
from .plotdata import Histogram, Table  # re-exported: ringlog.Histogram, ringlog.Table
from .convert import (IMAGE_FORMATS, encode_image, encode_video, image_for, image_pixels, is_pil, pil_image,
                      to_numpy, video_frames, wav_bytes)
from .objects3d import Molecule, Object3D
from .overlays import image_overlays
from .base import Media, caption_arg as _caption, ext_of as _ext_of, path_arg as _path_arg
from .writer import DEFAULT_HISTORY

if TYPE_CHECKING:  # pragma: no cover
    from .._engine.protocol import RunSink

__all__ = ["Media", "Image", "Audio", "Video", "Html", "Histogram", "Table", "log_value", "wav_bytes",
           "DEFAULT_HISTORY"]


class Image(Media):
    """An image from a numpy array / tensor, a PIL image, a matplotlib figure (rendered to PNG) or an
    image file (see the module docstring). W&B's ``masks``, ``boxes`` and ``classes`` are checked
    and stored with the sample (its record's ``extra``, :mod:`.overlays`); ``grouping`` is accepted
    and ignored."""

    kind = "image"

    @lenient_init
    def __init__(self, data_or_path: Any, mode: Optional[str] = None, caption: Optional[str] = None,
                 file_type: Optional[str] = None, masks: Any = None, boxes: Any = None, classes: Any = None,
                 **_ignored: Any) -> None:
        super().__init__()
        self.caption = _caption(caption)
        self._load(data_or_path, mode, file_type)
        self.extra = image_overlays(masks, boxes, classes) if (masks or boxes or classes) else self.extra

    def _load(self, data_or_path: Any, mode: Optional[str], file_type: Optional[str]) -> None:
        fmt = (file_type or "png").lower().lstrip(".")
        if fmt not in IMAGE_FORMATS:
            raise value_error("file_type", f"must be one of {', '.join(IMAGE_FORMATS)}", file_type)
        if is_pil(data_or_path):
            img = data_or_path
        elif figures.is_matplotlib_figure(data_or_path):
            from PIL import Image as PILImage  # deferred: Pillow only when an image is made

            img = PILImage.open(io.BytesIO(figures.figure_png(data_or_path)))
        elif isinstance(data_or_path, Image):
            self.data, self.path, self.ext = data_or_path.data, data_or_path.path, data_or_path.ext
            self.caption = self.caption or data_or_path.caption
            self.shape = getattr(data_or_path, "shape", None)
            self.extra = data_or_path.extra
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
            img = pil_image(image_pixels(arr, "data_or_path"))
        img = image_for(img, fmt, mode)
        self.shape = (img.height, img.width, len(img.getbands()))
        self.mode = img.mode
        self.data = encode_image(img, fmt)
        self.ext = fmt


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
        self.data, self.ext, problem = encode_video(frames, float(fps), fmt)
        self.fps = fps
        if problem is not None:
            _warn_once("video-format", f"ringlog.Video: cannot write {fmt} ({problem}); writing GIF instead "
                       "(pip install imageio imageio-ffmpeg for mp4/webm)")


def _warn_once(kind: str, message: str) -> None:
    """The current run's one warning of ``kind``; with no run open, a plain warning."""
    core = context.current_core()
    if core is not None:
        core.warn_once(kind, message)
    else:
        warnings.warn(message, LoggingWarning, stacklevel=4)


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
MEDIA_TYPES = (Image, Audio, Video, Html, Molecule)

#: "every step": W&B keeps all media of a key; the store wants a positive int
KEEP_ALL = 1 << 62


def media_history(sink: "RunSink") -> int:
    """Samples kept per key for ``ringlog.log`` media (``settings.wandb_media_history``; None: all)."""
    n = sink.settings.wandb_media_history
    return KEEP_ALL if n is None else n


def table_with_media(sink: "RunSink", key: str, step: int, table: Table, keep: int) -> tuple[dict, str, dict]:
    """The plot record of a table holding media cells: each column's media are stored as samples
    (title ``key``, series the column name, ``n`` in row order) and each such cell becomes a
    reference ``{"_type": kind, "title", "series", "iteration", "n", "ext", "caption"}`` that the
    viewer resolves to the sample (W&B likewise stores a table's media as files the table points to)."""
    rows = [list(r) for r in table.data]
    for i, column in enumerate(table.columns):
        at = [j for j, r in enumerate(rows) if isinstance(r[i], Media)]
        items = [rows[j][i] for j in at if rows[j][i]._invalid is None]
        recs = writer.write_samples(sink, key, column, step, items, keep * max(1, len(items))) if items else []
        done = iter(recs)
        for j in at:
            cell = rows[j][i]
            if cell._invalid is not None:
                rows[j][i] = None
                continue
            rec = next(done)
            rows[j][i] = {"_type": cell.kind, "title": key, "series": column, "iteration": int(step),
                          "n": rec.get("n"), "ext": cell.ext, "caption": cell.caption}
    return table.figure(key, rows), "table", {"columns": list(table.columns), "data": rows}


def _is_dataframe(value: Any) -> bool:
    return type(value).__name__ == "DataFrame" and hasattr(value, "columns") and hasattr(value, "itertuples")


def log_value(sink: "RunSink", key: str, value: Any, step: int) -> None:
    """Log one non-numeric ``ringlog.log`` value under ``key`` at ``step`` (title = series = key).

    Media (or a list of one media type) become samples; W&B keeps every step of every media key, and
    so does this unless ``settings.wandb_media_history`` bounds it (samples per key, times the list
    length). Histograms, tables (a pandas DataFrame becomes a Table, as W&B's ``val_to_json`` does),
    plotly figures, ``ringlog.plot`` charts and matplotlib figures become plot records (matplotlib
    figures that do not convert become PNG samples). Numeric arrays/lists become a Histogram (as
    W&B does); a str becomes a one-cell table record per step (its history; the W&B run keeps it in
    the summary too). Anything else is bad input.
    """
    argument = f"data[{key!r}]"
    if getattr(value, "_invalid", None) is not None:
        return  # its constructor already reported the bad input (lenient mode): nothing to write
    keep = media_history(sink)
    if isinstance(value, MEDIA_TYPES):
        writer.write_samples(sink, key, key, step, [value], keep)
        return
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, MEDIA_TYPES) for v in value):
        kinds = {type(v) for v in value}
        if len(kinds) > 1:
            raise type_error(argument, "a list of media must hold one type", [t.__name__ for t in kinds])
        items = [v for v in value if v._invalid is None]
        if items:
            writer.write_samples(sink, key, key, step, items, keep * len(value))
        return
    if isinstance(value, Object3D) or (isinstance(value, (list, tuple)) and value
                                       and all(isinstance(v, Object3D) for v in value)):
        for obj in (value if isinstance(value, (list, tuple)) else [value]):
            if obj._invalid is None:
                writer.write_plot(sink, key, key, step, *obj.record(key))
        return
    if isinstance(value, str):
        writer.write_plot(sink, key, key, step, *Table(columns=[key], data=[[value]]).record(key))
        return
    if _is_dataframe(value):
        value = Table(dataframe=value)
    if isinstance(value, Table) and any(isinstance(c, Media) for r in value.data for c in r):
        writer.write_plot(sink, key, key, step, *table_with_media(sink, key, step, value, keep))
        return
    if isinstance(value, (Histogram, Table)):
        writer.write_plot(sink, key, key, step, *value.record(key))
        return
    if figures.is_matplotlib_figure(value):  # plotly when it converts faithfully, else a PNG sample
        writer.write_figure(sink, key, key, step, figures.figure_payload(value), keep)
        return
    if figures.is_plotly(value):
        writer.write_plot(sink, key, key, step, figures.plotly_dict(value, argument))
        return
    arr = to_numpy(value)
    if arr is None and isinstance(value, (list, tuple)) and value:
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            arr = None
    if arr is not None and arr.dtype.kind in "biuf" and arr.size:
        hist = Histogram(arr)
        if hist._invalid is None:
            writer.write_plot(sink, key, key, step, *hist.record(key))
        return
    raise type_error(argument, "must be a number, str, ringlog media (Image, Audio, Video, Html), Histogram, "
                     "Table, ringlog.plot chart, plotly or matplotlib figure, or a numeric array", value)
