"""The one record writer: every debug sample, plot and histogram record of a run goes through here
into the run's ``media_writer()`` (``ringlog.store.media.MediaWriter``; the record formats are
store/MEDIA_FORMAT.md's).

It talks to the run only through :class:`~ringlog._engine.protocol.RunSink` (``media_writer``,
``media_destination``, ``upload``). The ``put_*`` functions take a store ``MediaWriter`` itself, for
a writer with no run behind it (``ringlog.capture.tb_import`` writes an offline task).

Samples: anything with ``data`` (bytes) or ``path`` (a file to copy), ``ext``, ``kind`` and
``caption`` (:class:`Sample`, or the W&B media objects of :mod:`.types`). With the run's
``media_destination`` set to a remote URI the files are named now and sent by the run's uploads
thread (:mod:`ringlog._engine.uploads`): the records returned say ``"queued": True`` and readers
list them once the upload is done (``flush()`` waits for that). Costs: one file write (or one
queued upload) per sample, one JSON line per record.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Protocol, Sequence

from .convert import histogram_record

if TYPE_CHECKING:  # pragma: no cover
    from .._engine.protocol import RunSink

DEFAULT_HISTORY = 100  # samples kept per (title, series), as ClearML's file_history_size


class SampleLike(Protocol):
    """What the writer reads of a sample."""

    data: Optional[bytes]
    path: Optional[Path]
    ext: str
    kind: str
    caption: Optional[str]
    extra: Optional[dict]  # JSON kept in the record as given (an Image's masks and boxes)


@dataclass
class Sample:
    """A sample made of bytes (or a file ``path`` to copy), e.g. an encoded PNG."""

    data: Optional[bytes]
    ext: str
    kind: str
    caption: Optional[str] = None
    path: Optional[Path] = None
    extra: Optional[dict] = None


# --- into a store MediaWriter ----------------------------------------------------------------------
def put_plot(mw: Any, title: str, series: str, iteration: int, figure: dict, kind: str = "plotly",
             data: Optional[dict] = None) -> None:
    """One plot record (a plotly figure dict; ``kind`` "plotly", "histogram" or "table" with its ``data``)."""
    mw.add_plot(title, series, int(iteration), figure, kind=kind, data=data)


def put_histogram(mw: Any, title: str, series: str, iteration: int, counts: Any, edges: Any,
                  nonfinite: int = 0) -> None:
    """One distribution record (:func:`.convert.histogram_record`) from bin counts and edges."""
    put_plot(mw, title, series, iteration, *histogram_record(counts, edges, nonfinite, title))


# --- into a run ------------------------------------------------------------------------------------
def write_plot(sink: "RunSink", title: str, series: str, iteration: int, figure: dict, kind: str = "plotly",
               data: Optional[dict] = None) -> None:
    put_plot(sink.media_writer(), title, series, iteration, figure, kind, data)


def write_histogram(sink: "RunSink", title: str, series: str, iteration: int, counts: Any, edges: Any,
                    nonfinite: int = 0) -> None:
    put_histogram(sink.media_writer(), title, series, iteration, counts, edges, nonfinite)


def write_figure(sink: "RunSink", title: str, series: str, iteration: int, payload: tuple[str, Any],
                 max_history: int = DEFAULT_HISTORY) -> list[dict]:
    """A figure as :func:`.figures.figure_payload` gave it: ("plotly", dict) -> a plot record,
    ("png", bytes) -> an image sample (whose record is returned in a list; [] for a plot)."""
    kind, data = payload
    if kind == "plotly":
        write_plot(sink, title, series, iteration, data)
        return []
    return write_samples(sink, title, series, iteration, [Sample(data, "png", "image")], max_history)


def write_samples(sink: "RunSink", title: str, series: str, iteration: int, items: Sequence[SampleLike],
                  max_history: int = DEFAULT_HISTORY) -> list[dict]:
    """Store samples (already validated) of one (title, series, iteration); returns their records."""
    from ringlog.store.media import is_uri  # deferred: ringlog.store pulls numba in

    writer = sink.media_writer()
    dest = sink.media_destination
    if dest is None or not is_uri(dest):
        return [writer.add_media(title, series, int(iteration), data=m.data, src_path=m.path, ext=m.ext,
                                 kind=m.kind, caption=m.caption, max_history=max_history, destination=dest,
                                 extra=m.extra)
                for m in items]
    out = []
    for m in items:
        # read the bytes now: the caller may overwrite or delete its file right after this call
        data = m.data if m.data is not None else Path(m.path).read_bytes()
        rec = writer.prepare_media(title, series, int(iteration), ext=m.ext, kind=m.kind, caption=m.caption,
                                   max_history=max_history, destination=dest, extra=m.extra)
        rec["size"] = len(data)
        sink.upload(len(data), m.kind, functools.partial(_upload, writer, rec, data))
        out.append({k: v for k, v in rec.items() if k not in ("op", "id")} | {"queued": True})
    return out


def write_sample(sink: "RunSink", title: str, series: str, iteration: int, data: bytes, ext: str, kind: str,
                 caption: Optional[str] = None, max_history: int = DEFAULT_HISTORY) -> dict:
    """One sample from bytes (an encoded image, a WAV, ...); returns its record."""
    return write_samples(sink, title, series, iteration, [Sample(data, ext, kind, caption)], max_history)[0]


def write_reference(sink: "RunSink", title: str, series: str, iteration: int, uri: str, ext: str, kind: str,
                    max_history: int = DEFAULT_HISTORY) -> dict:
    """Record a sample already stored at ``uri`` (ClearML's ``url=``): nothing is copied or deleted."""
    return sink.media_writer().add_media(title, series, int(iteration), uri=uri, ext=ext, kind=kind,
                                         max_history=max_history)


def _upload(writer: Any, rec: dict, data: bytes) -> None:
    """Uploads thread: send the file with no lock held, then list it (under the writer's lock)."""
    from ringlog.store.media import delete_sample_files, upload_sample  # deferred: ringlog.store pulls numba in

    try:
        upload_sample(rec["uri"], data)
    except BaseException:
        writer.abandon_media(rec)
        raise
    _, dropped = writer.commit_media(rec)
    delete_sample_files(writer.path, dropped)
