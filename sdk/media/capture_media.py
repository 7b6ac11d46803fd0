"""Small converters the captures share: tensors to numpy, images to PNG, histograms and
matplotlib figures to the MEDIA records of ``store/media.py`` (via ``run.media_writer()``).

* histogram: ``add_plot(..., kind="histogram", data={"bins": edges, "counts": counts})``
  with a one-trace plotly bar figure, which the viewer shows as a distribution over
  steps when a (title, series) has several iterations;
* image: PNG bytes (pillow) through ``add_media(..., ext="png", kind="image")``;
* matplotlib figure: plotly JSON (``plotly.tools.mpl_to_plotly``) through ``add_plot``,
  else a PNG (``savefig``) through ``add_media``. MEDIA's ``ringlog.media.figures`` converter
  is used first when present.

Costs: a histogram is one ``np.histogram`` (O(n)); an image one PNG encode; a figure
conversion renders the figure once (tens of milliseconds).
"""

from __future__ import annotations

import io
import json
import threading
import warnings
from typing import Any, Optional

import numpy as np

DEFAULT_BINS = 64


def to_numpy(x: Any) -> np.ndarray:
    """A numpy array from a numpy array, list, or torch tensor (detached, on the CPU)."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):
        x = x.detach().cpu()
        if hasattr(x, "float") and str(getattr(x, "dtype", "")) in ("torch.bfloat16", "torch.float16"):
            x = x.float()
        return x.numpy()
    return np.asarray(x)


def histogram(values: Any, bins: Any = DEFAULT_BINS) -> tuple[np.ndarray, np.ndarray, int]:
    """(counts, edges, non-finite count) of the values; TensorBoard's bin names ("tensorflow", ...)
    fall back to ``DEFAULT_BINS`` equal-width bins (names numpy knows keep numpy's rule)."""
    a = to_numpy(values).astype(np.float64, copy=False).ravel()
    fin = a[np.isfinite(a)]
    if isinstance(bins, str) and bins not in ("auto", "fd", "doane", "scott", "stone", "rice", "sturges", "sqrt"):
        bins = DEFAULT_BINS
    if fin.size == 0:
        return np.zeros(1, dtype=np.int64), np.array([0.0, 1.0]), int(a.size)
    counts, edges = np.histogram(fin, bins=bins)
    return counts.astype(np.int64), edges, int(a.size - fin.size)


def histogram_figure(counts: np.ndarray, edges: np.ndarray, name: str) -> dict:
    centers = (edges[:-1] + edges[1:]) / 2.0
    return {"data": [{"type": "bar", "x": centers.tolist(), "y": counts.tolist(), "name": name,
                      "width": np.diff(edges).tolist()}],
            "layout": {"bargap": 0, "xaxis": {"title": {"text": "value"}}, "yaxis": {"title": {"text": "count"}}}}


def report_histogram(run: Any, title: str, series: str, step: int, values: Any = None, *,
                     counts: Any = None, edges: Any = None, bins: Any = DEFAULT_BINS, nonfinite: int = 0) -> None:
    """One distribution record, the same record ``ringlog.log({k: ringlog.Histogram(...)})`` writes
    (MEDIA's ``Histogram`` when present, else an equivalent plot record of kind "histogram")."""
    if counts is None:
        counts, edges, nonfinite = histogram(values, bins)
    counts = np.asarray(counts)
    edges = np.asarray(edges, dtype=np.float64)
    mw = run.media_writer()
    try:
        from .plotdata import Histogram
    except ImportError:
        Histogram = None
    if Histogram is not None:
        h = Histogram(np_histogram=(counts, edges))
        h.nonfinite = int(nonfinite)
        h._write(mw, title, series, int(step))
        return
    mw.add_plot(title, series, int(step), histogram_figure(counts, edges, series), kind="histogram",
                data={"bins": edges.tolist(), "counts": counts.tolist(), "nonfinite": int(nonfinite)})


def image_to_uint8(img: Any, dataformats: str = "CHW") -> np.ndarray:
    """HWC (or HW) uint8 from a tensor/array in ``dataformats`` (TensorBoard's convention: floats
    are taken in [0, 1] and scaled by 255, integers as 0-255)."""
    a = to_numpy(img)
    fmt = dataformats.upper()
    if a.ndim != len(fmt):
        raise ValueError(f"img_tensor: shape {a.shape} does not match dataformats {dataformats!r}")
    if fmt == "HW":
        out = a
    else:
        order = [fmt.index(c) for c in "HWC"]
        out = np.transpose(a, order)
        if out.shape[2] == 1:
            out = out[:, :, 0]
    if out.dtype.kind == "f":
        out = np.clip(np.nan_to_num(out) * 255.0, 0, 255)
    elif out.dtype == np.bool_:
        out = out * 255
    return np.ascontiguousarray(np.clip(out, 0, 255).astype(np.uint8))


def images_grid(imgs: Any, dataformats: str = "NCHW", ncols: int = 8) -> np.ndarray:
    """One HWC uint8 grid from a batch (TensorBoard's ``add_images`` layout, 8 per row)."""
    a = to_numpy(imgs)
    fmt = dataformats.upper()
    if a.ndim != len(fmt) or not fmt.startswith("N"):
        raise ValueError(f"img_tensor: shape {a.shape} does not match dataformats {dataformats!r}")
    singles = [image_to_uint8(a[i], fmt[1:]) for i in range(a.shape[0])]
    if not singles:
        raise ValueError("img_tensor: the batch is empty")
    singles = [s[:, :, None].repeat(3, 2) if s.ndim == 2 else s for s in singles]
    c = max(s.shape[2] for s in singles)
    singles = [np.concatenate([s, np.full(s.shape[:2] + (1,), 255, np.uint8)], 2) if s.shape[2] < c else s
               for s in singles]
    h, w = singles[0].shape[:2]
    ncols = min(ncols, len(singles))
    nrows = -(-len(singles) // ncols)
    grid = np.zeros((nrows * h, ncols * w, c), dtype=np.uint8)
    for i, s in enumerate(singles):
        r, q = divmod(i, ncols)
        grid[r * h:r * h + s.shape[0], q * w:q * w + s.shape[1]] = s[:h, :w]
    return grid


def png_bytes(arr: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def report_image(run: Any, title: str, series: str, step: int, arr: np.ndarray, caption: Optional[str] = None):
    return run.media_writer().add_media(title, series, int(step), data=png_bytes(arr), ext="png", kind="image",
                                        caption=caption)


_converting = threading.local()


def converting() -> bool:
    """True on a thread that is inside :func:`figure_payload` (its own savefig is not a user's)."""
    return getattr(_converting, "on", False)


def figure_payload(fig: Any) -> tuple[str, Any]:
    """("plotly", figure dict) when the figure converts, else ("png", bytes). Renders once."""
    _converting.on = True
    try:
        return _figure_payload(fig)
    finally:
        _converting.on = False


def _figure_payload(fig: Any) -> tuple[str, Any]:
    try:
        from . import figures as media_figures  # MEDIA's converter, when present

        conv = getattr(media_figures, "matplotlib_to_plotly", None)
    except ImportError:
        conv = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the converter is chatty about features it drops
            if conv is not None:
                out = conv(fig)
            else:
                from plotly.io import to_json
                from plotly.tools import mpl_to_plotly

                out = json.loads(to_json(mpl_to_plotly(fig)))
        if isinstance(out, dict) and out.get("data"):
            return "plotly", out
    except Exception:
        pass
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=getattr(fig, "dpi", 100))
    return "png", buf.getvalue()


def report_payload(run: Any, title: str, series: str, step: int, payload: tuple[str, Any]) -> None:
    kind, data = payload
    mw = run.media_writer()
    if kind == "plotly":
        mw.add_plot(title, series, int(step), data)
    else:
        mw.add_media(title, series, int(step), data=data, ext="png", kind="image")
