"""A test kit shipped with the package (as zarr ships ``zarr.testing``): real stores, fast.

Everything here writes through the public write API (:class:`~ringlog.store.Store`,
:class:`~ringlog.store.TaskWriter`, the task's media writer), so a test that builds its data with
this kit reads exactly what a training script would have left on disk: no hand-made fake store,
no SDK, no threads left running. Stores are made with ``durable=False`` (no fsync): a task of
a few hundred thousand points takes a few tens of milliseconds.

Typical use::

    from ringlog.store.testing import add_task, make_store, noisy_series

    store = make_store(tmp_path)
    reader = add_task(store, "vision", "resnet", scalars={"loss": noisy_series(50_000, spike_at=30_000)},
                      media=[image("samples", "input", 5, caption="a cat")])
"""

from __future__ import annotations

import time as _time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .reader import Scalar, TaskReader
from .store import Store
from .writer import TaskWriter, write_task_meta

__all__ = ["make_store", "add_task", "write_task", "append_points", "add_samples", "noisy_series", "loss_curve", "Sample", "Plot",
           "image", "html", "remote", "PNG_BYTES"]

#: a PNG signature: enough for tests that check what is served, not what is drawn
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8


@dataclass(frozen=True)
class Sample:
    """One debug sample to store: ``data`` bytes with extension ``ext``, or a remote ``uri``."""

    title: str
    series: str
    iteration: int
    data: bytes | None = None
    ext: str = "png"
    caption: str | None = None
    uri: str | None = None
    max_history: int = 100
    kind: str | None = None


@dataclass(frozen=True)
class Plot:
    """One stored figure (plotly JSON) with an optional ``kind`` ("histogram", "table") and raw ``data``."""

    title: str
    series: str
    iteration: int
    figure: dict = field(default_factory=dict)
    kind: str = "plotly"
    data: dict | None = None


def image(title: str, series: str, iteration: int, data: bytes = PNG_BYTES, *, caption: str | None = None,
          ext: str = "png") -> Sample:
    """An image sample (PNG signature bytes unless ``data`` is given)."""
    return Sample(title, series, iteration, data=data, ext=ext, caption=caption)


def html(title: str, series: str, iteration: int, text: str, *, caption: str | None = None) -> Sample:
    """An HTML sample (served by the viewer in a sandbox)."""
    return Sample(title, series, iteration, data=text.encode("utf-8"), ext="html", caption=caption)


def remote(title: str, series: str, iteration: int, uri: str, *, ext: str = "png") -> Sample:
    """A sample registered by URI only (listed, never fetched)."""
    return Sample(title, series, iteration, uri=uri, ext=ext)


def make_store(root: str | Path, **kwargs: Any) -> Store:
    """A :class:`Store` at ``root`` without fsync (tests do not survive power cuts anyway)."""
    kwargs.setdefault("durable", False)
    return Store(root, **kwargs)


def noisy_series(n: int, *, seed: int = 0, nan_at: Iterable[int] = (), inf_at: Iterable[int] = (),
                 spike_at: int | None = None, spike: float = 1e6, t0: float = 1.7e9, dt: float = 0.01) -> Scalar:
    """A random walk of ``n`` points (steps 0..n-1, one every ``dt`` seconds from ``t0``) with NaN,
    +Inf and one spike where asked: the awkward values a chart must not hide."""
    rng = np.random.default_rng(seed)
    step = np.arange(n, dtype=np.int64)
    value = np.cumsum(rng.normal(size=n)) * 0.01
    value[list(nan_at)] = np.nan
    value[list(inf_at)] = np.inf
    if spike_at is not None:
        value[spike_at] = spike
    return Scalar(step, value, t0 + step * dt)


def loss_curve(n: int, *, seed: int = 0, spike: float = 10.0, t0: float = 1.7e9, dt: float = 0.001) -> Scalar:
    """A training-loss-like curve: exponential decay plus noise, one spike at 2n/3, one NaN at n/3."""
    rng = np.random.default_rng(seed)
    step = np.arange(n, dtype=np.int64)
    u = step / n
    value = 2.0 * np.exp(-5.0 * u) + 0.3 + 0.08 * rng.standard_normal(n) * (1.2 - u)
    value[n * 2 // 3] = spike
    value[n // 3] = np.nan
    return Scalar(step, value, t0 + step * dt)


def _as_scalar(points: Any) -> Scalar:
    if isinstance(points, Scalar):
        return points
    step, value, times = points
    step = np.asarray(step, np.int64)
    times = np.broadcast_to(np.asarray(times, np.float64), step.shape)
    return Scalar(step, np.asarray(value, np.float64), np.asarray(times, np.float64))


def append_points(writer: TaskWriter, key: Any, points: Any, *, sync: bool = True, chunk: int = 1 << 20) -> None:
    """Append ``points`` (a :class:`Scalar` or ``(step, value, time)``) to series ``key`` (``title``
    or ``(title, series)``) of an open task, as float64; ``sync`` makes them visible to readers."""
    title, series = (key, key) if isinstance(key, str) else key
    s = _as_scalar(points)
    sid = writer.series_id(title, series, float64=True)
    for a in range(0, len(s.step), chunk):
        writer.append(sid, s.step[a:a + chunk], s.value[a:a + chunk], s.time[a:a + chunk])
    if sync:
        writer.sync()


def add_samples(writer: TaskWriter, media: Iterable[Sample]) -> None:
    """Store debug samples in an open task."""
    for m in media:
        kw = dict(ext=m.ext, kind=m.kind, caption=m.caption, max_history=m.max_history)
        if m.uri is not None:
            writer.media.add_media(m.title, m.series, m.iteration, uri=m.uri, **kw)
        else:
            writer.media.add_media(m.title, m.series, m.iteration, data=m.data, **kw)


def write_task(store: Store, project: str = "project", name: str = "task", *, task_id: str | None = None,
               status: str = "completed", tags: Iterable[str] = (), config: dict | None = None,
               summary: dict | None = None, env: dict | None = None, created: float | None = None,
               updated: float | None = None, scalars: Mapping[Any, Any] | None = None,
               media: Iterable[Sample] = (), plots: Iterable[Plot] = (),
               console: Iterable[tuple[float, str, str, str]] = (), close: bool = True) -> TaskWriter:
    """Write one task and return its writer: closed with ``status`` (default), or, with
    ``close=False``, left open (synced, metadata status ``status``) so a test can keep logging
    into it like a live run. Arguments as :func:`add_task`."""
    now = _time.time()
    w = store.create_task(project, name, tags=tuple(tags), task_id=task_id, config=config,
                          created=now - 60.0 if created is None else created)
    for key, points in (scalars or {}).items():
        append_points(w, key, points, sync=False)
    add_samples(w, media)
    for p in plots:
        w.media.add_plot(p.title, p.series, p.iteration, p.figure, kind=p.kind, data=p.data)
    console = list(console)
    if console:
        w.media.add_console(console)
    if close:
        if summary is not None or env is not None:
            w.set_meta(summary=summary, env=env)
        w.close(status=status)
    else:
        w.sync()
        w.set_meta(status=status, summary=summary, env=env)
    meta = w.meta
    meta["updated"] = now if updated is None else float(updated)
    write_task_meta(w.path, meta, durable=False)
    store.catalog.upsert([(meta, w.path)])
    return w


def add_task(store: Store, project: str = "project", name: str = "task", **kwargs: Any) -> TaskReader:
    """Write one complete task and return its reader.

    ``scalars`` maps ``title`` or ``(title, series)`` to a :class:`Scalar` or ``(step, value, time)``
    (values kept as float64, exactly as given). ``media`` holds :class:`Sample` (see :func:`image`,
    :func:`html`, :func:`remote`), ``plots`` :class:`Plot`, ``console`` (unix time, stream, level,
    text) records. ``status`` is the final status. ``created``/``updated`` pin the metadata times
    (default: now - 60 s, now). Cost: one chunked append per series plus one file per sample; no fsync.
    """
    w = write_task(store, project, name, **kwargs)
    return store.task(w.id)
