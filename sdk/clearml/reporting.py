"""ClearML-style reporting of text, plots and debug samples, mixed into ``ringlog.Logger``.

Names and arguments follow ClearML's ``Logger``. Everything goes through the task's
:class:`~ringlog._engine.protocol.RunSink` (``self._run``): records are written by
:mod:`ringlog.media.writer` (into ``media_writer()``), conversions are :mod:`ringlog.media`'s pure
functions, ``bad_input`` raises in strict mode (else one warning per kind and nothing is written),
``console_write`` and ``closed_input``. One member beyond the protocol remains: ``capture`` (to echo
``report_text`` past the console capture, and to keep an explicitly reported matplotlib figure from
being captured again).

Choices worth knowing:

* NaN/Inf scalars are stored as logged (ClearML writes 0); ``Logger.set_reporting_nan_value`` /
  ``set_reporting_inf_value`` (in :mod:`.logger`) restore ClearML's substitution from the call on.
* ``report_text(..., print_console=True)`` writes the console record itself (with its level) and
  echoes the text to the *terminal* past the console capture (the captured fd's saved original,
  or the Python tee's original stream), so the console log holds one entry, not two. Captured lines
  reach the log up to one capture period (0.5 s) later, so a report_text record can precede a print
  made just before it; each record's ``time`` is exact, sort by it where order matters.
* Debug samples keep the last ``max_image_history`` / ``max_history`` files per title/series
  (default 100, ClearML's ``file_history_size``, or ``set_default_debug_sample_history(n)``); older
  files are deleted from disk and index.
* ``report_line_plot`` and a multi-series ``report_scatter3d`` store their plot under series ``""``,
  as ClearML's reporter does (the traces carry the caller's names).
* ``iteration=None`` means 0, as ClearML's single-shot plots.
"""

from __future__ import annotations

import logging
import os
from collections import namedtuple
from pathlib import Path
from urllib.parse import urlparse
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ..capture import manager as captures
from ..capture.mpl import explicit_report
from ..errors import LoggingError, type_error, value_error
from ..media import clearml_plots as cp
from ..media import figures, writer
from ..media.clearml_plots import layout
from ..media.figures import plotly_dict
from ..media.tables import table_from
from ..media.types import Image
from ..media.writer import DEFAULT_HISTORY, Sample

if TYPE_CHECKING:  # pragma: no cover
    from .._engine.protocol import RunSink

SeriesInfo = namedtuple("SeriesInfo", ["name", "data", "labels"], defaults=(None,))
SeriesInfo.__doc__ = "One line of ``report_line_plot``: ``name``, ``data`` (N x 2 array), optional ``labels``."


def _iteration(iteration: Any) -> int:
    if iteration is None:
        return 0
    if isinstance(iteration, bool) or not isinstance(iteration, (int, np.integer)):
        raise type_error("iteration", "must be an int or None", iteration)
    return int(iteration)


def _name(value: Any, argument: str) -> str:
    if not isinstance(value, str):
        raise type_error(argument, "must be a str", value)
    if not value or value.isspace():
        raise value_error(argument, "must be a non-empty string", value)
    return value


def _history(value: Any, argument: str, default: Optional[int] = None) -> int:
    if value is None:
        return DEFAULT_HISTORY if default is None else default
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise type_error(argument, "must be an int or None", value)
    if value < 1:
        raise value_error(argument, "must be at least 1 (the number of samples kept per title/series)", value)
    return int(value)


def _level_name(level: Any) -> str:
    if isinstance(level, str):
        return level.lower()
    if isinstance(level, bool) or not isinstance(level, int):
        raise type_error("level", "must be a logging level (int such as logging.INFO, or a name)", level)
    name = logging.getLevelName(level)
    return name.lower() if isinstance(name, str) and not name.startswith("Level ") else str(level)


class ReportingMixin:
    """Text, plots and debug samples for a Logger; uses ``self._run`` (the run's sink) only."""

    _run: "RunSink"
    #: ``set_default_debug_sample_history(n)``: the history of a call that gives none (None: 100)
    _sample_history: Optional[int] = None

    # --- plumbing -------------------------------------------------------------------------------
    def _guarded(self, what: str, fn, *args: Any, **kwargs: Any) -> Any:
        """Run ``fn``; bad input -> ``bad_input`` (strict raises, else warn once); IO failure -> warn once."""
        run = self._run
        if run.finished:
            run.closed_input(what)
            return None
        try:
            return fn(*args, **kwargs)
        except (LoggingError, TypeError, ValueError, FileNotFoundError) as exc:
            msg = str(exc)
            arg = msg.split(":", 1)[0] if ":" in msg and " " not in msg.split(":", 1)[0].strip("[]'\"") else what
            kind = "type" if isinstance(exc, TypeError) else "value"
            run.bad_input(arg, f"{what}: {msg}" if not msg.startswith(arg) else msg, kind=kind,
                          key=f"{what}:{arg}:{type(exc).__name__}")
            return None
        except Exception as exc:
            if run.strict:
                raise
            run.warn_once(f"media-io:{what}", f"ringlog could not store {what} ({type(exc).__name__}: {exc}); "
                          "it was skipped, training goes on")
            return None

    def _plot(self, title: str, series: str, iteration: Any, build, *args: Any, kind: str = "plotly",
              data: Optional[dict] = None, **kwargs: Any) -> None:
        title, series, it = _name(title, "title"), _name(series, "series"), _iteration(iteration)
        fig = build(*args, **kwargs)
        writer.write_plot(self._run, title, series, it, fig, kind=kind, data=data)

    def _samples(self, title: str, series: str, iteration: Any, items: list, history: int) -> list:
        return writer.write_samples(self._run, _name(title, "title"), _name(series, "series"),
                                    _iteration(iteration), items, history)

    # --- text ----------------------------------------------------------------------------------
    def report_text(self, msg: Any, level: int = logging.INFO, print_console: bool = True, *args: Any,
                    **kwargs: Any) -> None:
        """Add ``msg`` to the task's console log with its time and level; echo it to stdout when asked."""

        def go():
            lvl = _level_name(level)
            text = msg if isinstance(msg, str) else str(msg)
            self._run.console_write("log", text, lvl)
            if print_console:
                captures.handle_of(self._run).echo(text)

        self._guarded("report_text", go)

    # --- plots ---------------------------------------------------------------------------------
    def report_histogram(self, title: str, series: str, values: Any, iteration: Optional[int] = None,
                         labels=None, xlabels=None, xaxis=None, yaxis=None, mode=None, data_args=None,
                         extra_layout=None) -> None:
        """A bar chart of ``values`` (one bar per value; a 2-D array gives one bar series per column)."""
        self._guarded("report_histogram", self._plot, title, series, iteration, cp.histogram, title, series,
                      values, labels, xlabels, xaxis, yaxis, mode, data_args, extra_layout)

    def report_vector(self, title: str, series: str, values: Any, iteration: Optional[int] = None, labels=None,
                      xlabels=None, xaxis=None, yaxis=None, mode=None, extra_layout=None) -> None:
        """Same as ``report_histogram`` (ClearML's alias for a vector of bar heights)."""
        self.report_histogram(title, series, values, iteration, labels, xlabels, xaxis, yaxis, mode, None,
                              extra_layout)

    def report_line_plot(self, title: str, series: Any, xaxis: str = "", yaxis: str = "", mode: str = "lines",
                         iteration: Optional[int] = None, reverse_xaxis: bool = False, comment=None,
                         extra_layout=None) -> None:
        """Several lines in one plot: ``series`` is a list of ``SeriesInfo(name, data (N x 2), labels)``.

        The traces are named as the caller named them; the plot itself is stored under series ``""``
        (ClearML's reporter.report_line_plot reports it with ``series=""``).
        """

        def go():
            fig = cp.line_plot(title, series, xaxis, yaxis, mode, reverse_xaxis, comment, extra_layout)
            writer.write_plot(self._run, _name(title, "title"), "", _iteration(iteration), fig)

        self._guarded("report_line_plot", go)

    def report_scatter2d(self, title: str, series: str, scatter: Any, iteration: Optional[int] = None,
                         xaxis=None, yaxis=None, labels=None, mode: str = "lines", comment=None,
                         extra_layout=None) -> None:
        """An N x 2 array of (x, y) points, drawn as lines, markers or both."""
        self._guarded("report_scatter2d", self._plot, title, series, iteration, cp.scatter2d, title, series,
                      scatter, xaxis, yaxis, labels, mode, comment, extra_layout)

    def report_scatter3d(self, title: str, series: str, scatter: Any, iteration: Optional[int] = None,
                         xaxis=None, yaxis=None, zaxis=None, labels=None, mode: str = "markers",
                         fill: bool = False, comment=None, extra_layout=None) -> None:
        """An N x 3 array of (x, y, z) points in a rotatable 3-D scene, or a list of such arrays (one
        trace each; ``series`` may then list their names, and the plot is stored under series ``""``
        as ClearML does when given a list of names)."""

        def go():
            fig = cp.scatter3d(title, series, scatter, xaxis, yaxis, zaxis, labels, mode, fill, comment,
                               extra_layout)
            name = "" if isinstance(series, (list, tuple)) else _name(series, "series")
            writer.write_plot(self._run, _name(title, "title"), name, _iteration(iteration), fig)

        self._guarded("report_scatter3d", go)

    def report_confusion_matrix(self, title: str, series: str, matrix: Any, iteration: Optional[int] = None,
                                xaxis=None, yaxis=None, xlabels=None, ylabels=None, yaxis_reversed: bool = False,
                                comment=None, extra_layout=None) -> None:
        """A 2-D matrix as an annotated heatmap (rows = ``ylabels``, columns = ``xlabels``)."""
        self._guarded("report_confusion_matrix", self._plot, title, series, iteration, cp.confusion_matrix,
                      title, series, matrix, xaxis, yaxis, xlabels, ylabels, yaxis_reversed, comment,
                      extra_layout)

    def report_matrix(self, title: str, series: str, matrix: Any, iteration: Optional[int] = None, xaxis=None,
                      yaxis=None, xlabels=None, ylabels=None, yaxis_reversed: bool = False, extra_layout=None):
        """ClearML's older name for ``report_confusion_matrix``."""
        self.report_confusion_matrix(title, series, matrix, iteration, xaxis, yaxis, xlabels, ylabels,
                                     yaxis_reversed, None, extra_layout)

    def report_surface(self, title: str, series: str, matrix: Any, iteration: Optional[int] = None, xaxis=None,
                       yaxis=None, zaxis=None, xlabels=None, ylabels=None, camera=None, comment=None,
                       extra_layout=None) -> None:
        """A 2-D matrix of heights as a 3-D surface."""
        self._guarded("report_surface", self._plot, title, series, iteration, cp.surface, title, series, matrix,
                      xaxis, yaxis, zaxis, xlabels, ylabels, camera, comment, extra_layout)

    def report_table(self, title: str, series: str, iteration: Optional[int] = None, table_plot: Any = None,
                     csv: Optional[str] = None, url: Optional[str] = None, extra_layout=None,
                     extra_data=None) -> None:
        """A table from a pandas DataFrame, a list of rows (the first row is the header), or a CSV file
        (``csv`` or a local ``url``; remote URLs are refused: ringlog never uses the network)."""

        def go():
            tab = table_from(table_plot, csv, url)
            fig = tab.figure(title)
            fig["layout"] = {**fig["layout"], **layout(title, extra_layout=extra_layout)}
            fig["layout"].pop("xaxis", None), fig["layout"].pop("yaxis", None)
            if extra_data is not None:
                if not isinstance(extra_data, dict):
                    raise type_error("extra_data", "must be a dict of plotly table-trace settings", extra_data)
                fig["data"][0].update(extra_data)
            self._plot(title, series, iteration, lambda: fig, kind="table",
                       data={"columns": tab.columns, "data": tab.data})

        self._guarded("report_table", go)

    def report_plotly(self, title: str, series: str, figure: Any, iteration: Optional[int] = None) -> None:
        """A plotly figure (``plotly.graph_objects.Figure``) or its dict, stored as it is."""
        self._guarded("report_plotly", self._plot, title, series, iteration, plotly_dict, figure, "figure")

    def report_matplotlib_figure(self, title: str, series: str, figure: Any, iteration: Optional[int] = None,
                                 report_image: bool = False, report_interactive: bool = True) -> None:
        """A matplotlib figure, or ``matplotlib.pyplot`` itself (its current figure), in Plots: as an
        interactive plot when it converts faithfully (lines, scatters, bars), else (or with
        ``report_interactive=False``) as a static picture of it; with ``report_image=True`` as a PNG
        debug sample instead (clearml/logger.py's ``report_matplotlib_figure``). A figure reported
        here is not reported once more by the matplotlib capture (by the render or a later show)
        unless it changes."""

        def go():
            if not figures.is_matplotlib_figure(figure):
                raise type_error("figure", "must be a matplotlib Figure or matplotlib.pyplot "
                                           "(use report_plotly for plotly)", figure)
            fig = figures.as_figure(figure)
            t, s, it = _name(title, "title"), _name(series, "series"), _iteration(iteration)
            with explicit_report(captures.handle_of(self._run).matplotlib, fig):
                payload = figures.figure_payload(fig, interactive=report_interactive and not report_image)
            if payload[0] == "png" and not report_image:
                payload = ("plotly", figures.image_plot(payload[1], t))
            writer.write_figure(self._run, t, s, it, payload, self._sample_history or DEFAULT_HISTORY)

        self._guarded("report_matplotlib_figure", go)

    # --- debug samples -------------------------------------------------------------------------
    def report_image(self, title: str, series: str, iteration: Optional[int] = None,
                     local_path: Optional[str] = None, image: Any = None, matrix: Any = None,
                     max_image_history: Optional[int] = None, delete_after_upload: bool = False,
                     url: Optional[str] = None) -> Optional[dict]:
        """An image from ``local_path`` (a file), ``image`` (numpy array, tensor or PIL image) or the
        older ``matrix`` argument, or a reference to an image already stored at ``url`` (not copied);
        keeps the newest ``max_image_history`` per title/series.
        Returns the stored record (path or uri, iteration, caption), or None if skipped."""

        def go():
            given = [a for a in (local_path, image, matrix, url) if a is not None]
            if len(given) != 1:
                raise value_error("image", "give exactly one of local_path, image, matrix or url",
                                  f"{len(given)} of them")
            hist = _history(max_image_history, "max_image_history", self._sample_history)
            src = given[0]
            if url is not None:
                return self._reference(title, series, iteration, url, ("image",), hist)
            arg = "local_path" if local_path is not None else "image" if image is not None else "matrix"
            try:
                img = Image(src) if local_path is None else _file_image(src)
            except LoggingError as exc:  # name the argument the caller used, not Image's
                msg = str(exc)
                if msg.startswith("data_or_path"):
                    raise type(exc)(arg + msg[len("data_or_path"):]) from None
                raise
            if img._invalid is not None:
                return None  # reported already by the current run's lenient check
            recs = self._samples(title, series, iteration, [img], hist)
            if delete_after_upload and local_path is not None:
                os.unlink(local_path)
            return recs[0]

        return self._guarded("report_image", go)

    def report_media(self, title: str, series: str, iteration: Optional[int] = None,
                     local_path: Optional[str] = None, stream: Any = None, file_extension: Optional[str] = None,
                     max_history: Optional[int] = None, delete_after_upload: bool = False,
                     url: Optional[str] = None) -> Optional[dict]:
        """Audio, video, image or HTML from ``local_path`` or a binary/text ``stream`` (then
        ``file_extension`` is required, e.g. ".wav", ".mp4", ".html"), or a reference to a file already
        stored at ``url`` (not copied); keeps the newest ``max_history``."""

        def go():
            given = [a for a in (local_path, stream, url) if a is not None]
            if len(given) != 1:
                raise value_error("local_path", "give exactly one of local_path, stream or url",
                                  f"{len(given)} of them")
            hist = _history(max_history, "max_history", self._sample_history)
            if url is not None:
                return self._reference(title, series, iteration, url, ("image", "audio", "video", "html"), hist,
                                       file_extension)
            from ringlog.store.media import EXTENSIONS  # deferred: ringlog.store pulls numba in

            data, path = None, None
            if stream is not None:
                if file_extension is None:
                    raise value_error("file_extension", "is required with stream (e.g. '.wav')", None)
                ext = _ext(file_extension, "file_extension")
                data = stream.read() if hasattr(stream, "read") else stream
                if isinstance(data, str):
                    data = data.encode("utf-8")
                if not isinstance(data, (bytes, bytearray, memoryview)):
                    raise type_error("stream", "must be a file object or bytes", stream)
                data = bytes(data)
            else:
                path = Path(local_path)
                ext = _ext(file_extension or path.suffix or "", "file_extension" if file_extension else "local_path")
                if not path.is_file():
                    raise value_error("local_path", "must be an existing file", str(path))
            m = Sample(data, ext, EXTENSIONS[ext], path=path)
            recs = self._samples(title, series, iteration, [m], hist)
            if delete_after_upload and local_path is not None:
                os.unlink(local_path)
            return recs[0]

        return self._guarded("report_media", go)

    def _reference(self, title: str, series: str, iteration: Any, url: Any, kinds: tuple, hist: int,
                   file_extension: Optional[str] = None) -> dict:
        """Record a sample already stored at ``url`` (ClearML's pre-uploaded ``url=``): nothing is copied."""
        from ringlog.store.media import EXTENSIONS  # deferred: ringlog.store pulls numba in

        if not isinstance(url, str) or not url.strip():
            raise type_error("url", "must be a non-empty URL or path string", url)
        ext = _ext(file_extension or Path(urlparse(url).path).suffix or "", "file_extension" if file_extension
                   else "url")
        if EXTENSIONS[ext] not in kinds:
            raise value_error("url", f"must point to a file of kind {' or '.join(kinds)}", url)
        return writer.write_reference(self._run, _name(title, "title"), _name(series, "series"),
                                      _iteration(iteration), url, ext, EXTENSIONS[ext], hist)

    # --- settings ------------------------------------------------------------------------------
    def set_default_upload_destination(self, uri: str) -> None:
        """Send this task's debug samples to ``uri``: a local folder or any fsspec URI (s3://, gs://,
        memory://, ... with fsspec installed). Each sample's record holds where its file is."""

        def go():
            if not isinstance(uri, (str, Path)) or not str(uri).strip():
                raise type_error("uri", "must be a folder path or an fsspec URI string", uri)
            dest = str(uri)
            if "://" in dest and not dest.startswith("file://"):
                try:
                    import fsspec  # deferred: optional, only for a remote destination
                except ImportError:
                    raise value_error("uri", "is a remote URI and needs the optional package fsspec "
                                      "(pip install fsspec)", dest) from None
                try:
                    fsspec.core.url_to_fs(dest)
                except (ImportError, ValueError) as exc:
                    raise value_error("uri", f"must be a URI fsspec can open ({exc})", dest) from None
            self._run.media_destination = dest

        self._guarded("set_default_upload_destination", go)

    def get_default_upload_destination(self) -> Optional[str]:
        """Where debug samples go: the URI set above, or None for the task's own media folder."""
        return self._run.media_destination


def _ext(ext: Any, argument: str) -> str:
    """The known extension of a sample, or bad input naming the caller's ``argument``."""
    from ringlog.store.media import EXTENSIONS, check_ext  # deferred: ringlog.store pulls numba in

    try:
        return check_ext(ext)
    except (TypeError, ValueError):
        raise value_error(argument, f"file extension must be one of {', '.join(sorted(EXTENSIONS))}",
                          ext) from None


def _file_image(path: Any) -> Image:
    return Image(Path(path))
