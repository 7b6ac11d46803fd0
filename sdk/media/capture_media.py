"""The captures' conventions over the shared conversions and the one record writer.

TensorBoard's ``SummaryWriter`` and the matplotlib capture record what the user logged elsewhere,
so they follow TensorBoard's rules, not W&B's: images come with explicit ``dataformats`` and float
pixels are taken in [0, 1] ("unit" rule of :mod:`.convert`), batches are tiled 8 per row with no
padding, histogram bin names numpy does not know ("tensorflow") mean 64 equal bins, and a figure is
stored as plotly JSON when it converts, else as a PNG at the figure's own size and dpi (the
"lenient" mode of :func:`.figures.figure_payload`). Every record goes through :mod:`.writer`.

``converting()`` tells the matplotlib capture that a ``savefig`` on this thread is our own render
(inside :func:`figure_payload`), not the user's. Costs: one ``np.histogram`` (O(n)) per histogram,
one PNG encode per image, one render per figure (tens of milliseconds).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from . import convert, figures, writer
from .convert import DEFAULT_BINS, histogram, png_bytes, wav_bytes

if TYPE_CHECKING:  # pragma: no cover
    from .._engine.protocol import RunSink

to_numpy = convert.as_array  # the captures accept Python numbers and lists too


def image_to_uint8(img: Any, dataformats: str = "CHW") -> np.ndarray:
    """uint8 (H, W) / (H, W, C) of one image in ``dataformats`` (TensorBoard's ``add_image``)."""
    return convert.tensor_pixels(img, dataformats, "img_tensor")


def images_grid(imgs: Any, dataformats: str = "NCHW", ncols: int = 8) -> np.ndarray:
    """One uint8 (H', W', C) grid of a batch (TensorBoard's ``add_images``, 8 per row)."""
    return convert.tensor_grid(imgs, dataformats, ncols, "img_tensor")


def report_histogram(run: "RunSink", title: str, series: str, step: int, values: Any = None, *,
                     counts: Any = None, edges: Any = None, bins: Any = DEFAULT_BINS, nonfinite: int = 0) -> None:
    """One distribution record (the record ``ringlog.log({k: ringlog.Histogram(...)})`` writes), from
    ``values`` or from ready ``counts`` and ``edges``."""
    if counts is None:
        counts, edges, nonfinite = histogram(values, bins)
    writer.write_histogram(run, title, series, int(step), counts, edges, nonfinite)


def report_image(run: "RunSink", title: str, series: str, step: int, arr: np.ndarray,
                 caption: Optional[str] = None) -> dict:
    """One PNG sample of uint8 pixels; returns its record."""
    return writer.write_sample(run, title, series, int(step), png_bytes(arr), "png", "image", caption)


def report_audio(run: "RunSink", title: str, series: str, step: int, snd: Any, sample_rate: int) -> dict:
    """One WAV sample of a tensor (TensorBoard's ``add_audio``: (1, L) is mono); returns its record."""
    arr = convert.as_array(snd)
    if arr.ndim == 2 and arr.shape[0] == 1:
        arr = arr[0]  # TensorBoard's (1, L) mono layout
    return writer.write_sample(run, title, series, int(step), wav_bytes(arr, int(sample_rate), "snd_tensor"),
                               "wav", "audio")


_converting = threading.local()


def converting() -> bool:
    """True on a thread that is inside :func:`figure_payload` (its own savefig is not a user's)."""
    return getattr(_converting, "on", False)


def figure_payload(fig: Any, interactive: bool = True) -> tuple[str, Any]:
    """("plotly", figure dict) when the figure converts, else ("png", bytes). Renders once."""
    _converting.on = True
    try:
        return figures.figure_payload(fig, interactive=interactive, dpi=getattr(fig, "dpi", 100), tight=False,
                                      lenient=True)
    finally:
        _converting.on = False


def report_payload(run: "RunSink", title: str, series: str, step: int, payload: tuple[str, Any]) -> None:
    """Store what :func:`figure_payload` gave: a plot record or a PNG sample."""
    writer.write_figure(run, title, series, int(step), payload)
