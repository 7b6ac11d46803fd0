"""Import TensorBoard event files as tasks: ``import_logdir(logdir, root, project=None) -> [task ids]``.

Used by ``ringlog import-tensorboard LOGDIR [--dir ROOT] [--project P]``. Reads
with the ``tensorboard`` package's own reader
(``event_file_loader.EventFileLoader``, which applies TensorBoard's read-time
compatibility layers, so TF1/TF2/PyTorch/tensorboardX files all arrive as
tensor summaries with a plugin name). Unlike TensorBoard's ``EventAccumulator``
nothing is sampled away: every point is imported.

* every folder holding ``*tfevents*`` files is one task (TensorBoard's "run"),
  named by its path relative to ``logdir`` (the logdir's own name for the top);
  its files are read in name order (= creation order);
* scalars -> scalar series with their step and wall time (tag mapped to
  title/series as the live TensorBoard capture does: ``"a/b"`` -> ``("a", "b")``);
* histograms -> distribution records (kind "histogram") per step, the same record
  ``ringlog.Histogram`` writes, at any number of bins;
* images -> PNG/JPEG samples (every image of a batch, series ``<name>/<i>``
  when there are several); text -> console lines (stream ``"log"``) with their
  wall time; hparams -> the task's config under ``"hparams"``;
* other plugins (audio, graphs, PR curves, meshes), and values that cannot be
  read, are counted in the task's ``env["tensorboard_import"]["skipped"]`` rather
  than dropped silently.

Cost: one pass over each file; points are buffered per series and written with
one ``append`` per series, so memory is O(points of one run).
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from .._engine.settings import Settings
from ..media.writer import put_histogram
from .tensorboard import split_tag

if TYPE_CHECKING:  # pragma: no cover
    from ringlog.store import Store
    from ringlog.store.media import MediaWriter


def find_runs(logdir: Union[str, Path]) -> list[Path]:
    """Folders under ``logdir`` (itself included) that hold event files, sorted."""
    root = Path(logdir)
    if not root.is_dir():
        raise FileNotFoundError(f"logdir: must be an existing folder of TensorBoard event files (given: {str(logdir)!r})")
    runs = []
    for folder, _dirs, files in os.walk(root):
        if any("tfevents" in f for f in files):
            runs.append(Path(folder))
    return sorted(runs)


def _plugin_of(value: Any, plugins: dict) -> str:
    name = value.metadata.plugin_data.plugin_name if value.HasField("metadata") else ""
    if name:
        plugins[value.tag] = name
        return name
    return plugins.get(value.tag, "")


class _RunData:
    def __init__(self) -> None:
        self.scalars: dict = defaultdict(lambda: ([], [], []))
        self.histograms: list = []
        self.images: list = []
        self.text: list = []
        self.hparams: dict = {}
        self.skipped: dict = defaultdict(int)
        self.first_time: Optional[float] = None
        self.last_time: Optional[float] = None


def read_run(folder: Path) -> _RunData:
    """Everything in one run folder's event files (files directly in ``folder``, name order)."""
    # deferred: tensorboard is optional and heavy (only this command reads event files)
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.util import tensor_util

    data = _RunData()
    plugins: dict = {}
    for f in sorted(p for p in folder.iterdir() if p.is_file() and "tfevents" in p.name):
        for event in EventFileLoader(str(f)).Load():
            t = float(event.wall_time)
            if data.first_time is None or t < data.first_time:
                data.first_time = t
            data.last_time = max(t, data.last_time or t)
            if not event.HasField("summary"):
                continue
            step = int(event.step)
            for v in event.summary.value:
                plugin = _plugin_of(v, plugins)
                try:
                    _one_value(data, v, plugin, step, t, tensor_util)
                except Exception:  # a malformed value must not stop the import of the rest: counted
                    data.skipped["unreadable"] += 1  # in env["tensorboard_import"]["skipped"]
    return data


def _one_value(data: _RunData, v: Any, plugin: str, step: int, t: float, tensor_util: Any) -> None:
    if plugin == "scalars":
        arr = tensor_util.make_ndarray(v.tensor)
        s, val, tm = data.scalars[v.tag]
        s.append(step)
        val.append(float(arr.reshape(-1)[0]) if arr.size else float("nan"))
        tm.append(t)
    elif plugin == "histograms":
        arr = tensor_util.make_ndarray(v.tensor)  # k x 3: left edge, right edge, count
        if arr.ndim == 2 and arr.shape[1] == 3 and len(arr):
            edges = np.concatenate([arr[:, 0], arr[-1:, 1]]).astype(np.float64)
            if np.all(np.diff(edges) >= 0) and np.all(np.isfinite(edges)):
                data.histograms.append((v.tag, step, arr[:, 2].astype(np.float64), edges))
                return
        data.skipped["histograms (unusual layout)"] += 1
    elif plugin == "images":
        arr = tensor_util.make_ndarray(v.tensor)  # [width, height, encoded image, ...]
        blobs = [bytes(b) for b in arr.reshape(-1)[2:]]
        data.images.append((v.tag, step, blobs))
    elif plugin == "text":
        arr = tensor_util.make_ndarray(v.tensor)
        texts = [b.decode("utf-8", "replace") if isinstance(b, bytes) else str(b) for b in arr.reshape(-1)]
        tag = v.tag[: -len("/text_summary")] if v.tag.endswith("/text_summary") else v.tag  # torch's suffix
        data.text.append((tag, step, t, "\n".join(texts)))
    elif plugin == "hparams":
        data.hparams.update(_hparams(v))
    else:
        data.skipped[plugin or "untyped"] += 1


def _hparams(v: Any) -> dict:
    from tensorboard.plugins.hparams import plugin_data_pb2  # deferred: tensorboard is optional

    pd = plugin_data_pb2.HParamsPluginData.FromString(v.metadata.plugin_data.content)
    if not pd.HasField("session_start_info"):
        return {}
    out = {}
    for k, val in pd.session_start_info.hparams.items():
        kind = val.WhichOneof("kind")
        out[k] = None if kind is None or kind == "null_value" else getattr(val, kind)
    return out


def _image_ext(blob: bytes) -> Optional[str]:
    if blob.startswith(b"\x89PNG"):
        return "png"
    if blob.startswith(b"\xff\xd8"):
        return "jpg"
    if blob[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


def import_logdir(logdir: Union[str, Path], root: Union[str, Path, None] = None,
                  project: Optional[str] = None) -> list[str]:
    """Create one task per run folder under ``logdir`` in the store at ``root`` (default: the SDK's,
    ``$RINGLOG_DIR`` or ``./ringlog_data``); returns the task ids. ``project`` defaults to the
    logdir's folder name."""
    from ringlog.store import Store  # deferred: zarr

    if root is None:
        root = Settings().root

    logdir = Path(logdir)
    runs = find_runs(logdir)
    if project is not None and (not isinstance(project, str) or not project.strip()):
        raise ValueError(f"project: must be a non-empty string (given: {project!r})")
    project = project or logdir.resolve().name or "tensorboard"
    st = Store(root)
    ids = []
    for folder in runs:
        rel = folder.relative_to(logdir).as_posix()
        name = logdir.resolve().name if rel == "." else rel
        data = read_run(folder)
        ids.append(_write_task(st, project, name, folder, data))
    return ids


def _write_task(st: "Store", project: str, name: str, folder: Path, data: _RunData) -> str:
    w = st.create_task(project=project, name=name, tags=("tensorboard",))
    try:
        for tag, (steps, values, times) in sorted(data.scalars.items()):
            title, series = split_tag(tag)
            order = np.argsort(np.asarray(times), kind="stable")  # files of one run may overlap in time
            w.append(w.series_id(title, series), np.asarray(steps, dtype=np.int64)[order],
                     np.asarray(values, dtype=np.float64)[order], np.asarray(times, dtype=np.float64)[order])
        media = w.media if (data.histograms or data.images or data.text) else None
        for tag, step, counts, edges in data.histograms:
            title, series = split_tag(tag)
            _write_histogram(media, title, series, step, counts, edges)
        for tag, step, blobs in data.images:
            title, series = split_tag(tag)
            for i, blob in enumerate(blobs):
                ext = _image_ext(blob)
                if ext is None:
                    data.skipped["images (unknown encoding)"] += 1
                    continue
                media.add_media(title, series if len(blobs) == 1 else f"{series}/{i}", step, data=blob, ext=ext,
                                kind="image", max_history=1 << 30)
        if data.text:
            media.add_console([(t, "log", "info", f"[{tag} @ {step}] {text}") for tag, step, t, text in data.text])
        if media is not None:
            media.sync()
        meta: dict = {"env": {"tensorboard_import": {"logdir": str(folder.resolve()),
                                                     "skipped": dict(data.skipped),
                                                     "first_time": data.first_time, "last_time": data.last_time}}}
        if data.hparams:
            meta["config"] = {"hparams": data.hparams}
        w.set_meta(**meta)
    except BaseException:
        w.close(status="failed")
        raise
    w.close(status="completed")
    return w.id


def _write_histogram(media: "MediaWriter", title: str, series: str, step: int, counts: np.ndarray,
                     edges: np.ndarray) -> None:
    """The distribution record of ``ringlog.Histogram`` (its 512-bin limit is for what users pass;
    an event file's histogram is kept whole)."""
    put_histogram(media, title, series, int(step), counts, edges)
