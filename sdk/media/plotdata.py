"""Histogram and Table: values stored as plot records (plotly figure + raw data), not files.

``Histogram(sequence, num_bins=64)`` or ``Histogram(np_histogram=(counts, edges))``: non-finite values
in a sequence are dropped and counted (``nonfinite``); at most 512 bins (as W&B). The record is
kind "histogram" with ``data = {"bins": edges, "counts": counts, "nonfinite": k}`` and a single bar
trace, so the viewer can stack the same key over steps into a distribution.

``Table(columns=None, data=None, dataframe=None)``: rows of JSON-able cells (numpy scalars become
Python numbers, other objects their ``str``); stored as kind "table" with ``data = {"columns", "data"}``
and a plotly table trace. Costs: O(cells) to build and to serialise.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from .._engine.lenient import absorbed, lenient_init
from ..errors import type_error, value_error
from .base import Media
from .convert import histogram, histogram_figure, histogram_record, to_numpy

MAX_BINS = 512


def _plain(v: Any) -> Any:
    """A JSON-able cell: numbers, str, bool, None stay; numpy scalars unwrap; NaN stays float; a
    media object (Image, Audio, ...) stays as it is until the table is logged (stored as media)."""
    if v is None or isinstance(v, (bool, int, float, str, Media)):
        return v
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return str(v)


class Histogram:
    """A distribution of values at one step."""

    @lenient_init
    def __init__(self, sequence: Any = None, np_histogram: Any = None, num_bins: int = 64) -> None:
        self.counts, self.bins = np.zeros(0), np.zeros(1)
        if isinstance(num_bins, bool) or not isinstance(num_bins, (int, np.integer)) or not 1 <= num_bins <= MAX_BINS:
            raise value_error("num_bins", f"must be an int in 1..{MAX_BINS}", num_bins)
        self.nonfinite = 0
        if np_histogram is not None:
            if sequence is not None:
                raise value_error("sequence", "give either sequence or np_histogram, not both", "both")
            try:
                counts, edges = np_histogram
                counts = np.asarray(counts, dtype=np.float64).ravel()
                edges = np.asarray(edges, dtype=np.float64).ravel()
            except (TypeError, ValueError):
                raise type_error("np_histogram", "must be a (counts, bin_edges) pair as numpy.histogram returns",
                                 np_histogram) from None
            if len(edges) != len(counts) + 1 or len(counts) == 0 or len(counts) > MAX_BINS:
                raise value_error("np_histogram", f"needs len(bin_edges) == len(counts) + 1 and 1..{MAX_BINS} "
                                  "bins", f"{len(counts)} counts, {len(edges)} edges")
            if not np.all(np.isfinite(edges)) or np.any(np.diff(edges) < 0):
                raise value_error("np_histogram", "bin_edges must be finite and increasing", edges[:5].tolist())
        else:
            if sequence is None:
                raise value_error("sequence", "give a sequence of numbers or np_histogram", None)
            arr = to_numpy(sequence)
            if arr is None:
                try:
                    arr = np.asarray(sequence, dtype=np.float64)
                except (TypeError, ValueError):
                    raise type_error("sequence", "must be a sequence of real numbers", sequence) from None
            if arr.dtype.kind not in "biuf":
                raise type_error("sequence", "must hold real numbers", f"array of dtype {arr.dtype}")
            counts, edges, self.nonfinite = histogram(arr, int(num_bins))
        self.counts = np.asarray(counts, dtype=np.float64)
        self.bins = np.asarray(edges, dtype=np.float64)

    def figure(self, title: str = "") -> dict:
        return histogram_figure(self.counts, self.bins, title or "histogram", title)

    def data(self) -> dict:
        return self.record("")[2]

    def record(self, title: str) -> tuple[dict, str, dict]:
        """(figure, kind, data) of the stored plot record (see the module docstring)."""
        return histogram_record(self.counts, self.bins, self.nonfinite, title)

    def __repr__(self) -> str:
        return f"<ringlog.Histogram {len(self.counts)} bins>"


class Table:
    """Rows and named columns, as W&B's Table (``add_data``, ``add_column``, ``get_column``)."""

    @lenient_init
    def __init__(self, columns: Optional[Sequence[str]] = None, data: Any = None, rows: Any = None,
                 dataframe: Any = None, **_ignored: Any) -> None:
        self.columns, self.data = [], []
        data = rows if data is None else data
        if dataframe is not None:
            if not (hasattr(dataframe, "columns") and hasattr(dataframe, "itertuples")):
                raise type_error("dataframe", "must be a pandas DataFrame", dataframe)
            columns = [str(c) for c in dataframe.columns]
            data = [list(r) for r in dataframe.itertuples(index=False, name=None)]
        if data is not None and not isinstance(data, (list, tuple)):
            arr = getattr(data, "tolist", None)
            if arr is None:
                raise type_error("data", "must be a list of rows (lists) or a 2-D numpy array", data)
            data = arr()
        data = [list(r) if isinstance(r, (list, tuple)) else [r] for r in (data or [])]
        width = len(columns) if columns is not None else (len(data[0]) if data else 1)
        if columns is None:
            columns = [f"Column{i + 1}" for i in range(width)]
        if not all(isinstance(c, str) for c in columns):
            raise type_error("columns", "must be a list of str", columns)
        for i, r in enumerate(data):
            if len(r) != len(columns):
                raise value_error("data", f"row {i} must have {len(columns)} cells like columns", r)
        self.columns = list(columns)
        self.data = [[_plain(v) for v in r] for r in data]

    def add_data(self, *row: Any) -> None:
        """Append one row (as many cells as columns; else bad input, the row is not added)."""
        if len(row) != len(self.columns):
            exc = value_error("row", f"must have {len(self.columns)} cells like columns", row)
            if absorbed(exc, "ringlog.Table.add_data"):
                return
            raise exc
        self.data.append([_plain(v) for v in row])

    def add_column(self, name: str, data: Sequence[Any]) -> None:
        """Append a column with one value per row (else bad input, the column is not added)."""
        data = list(data)
        if self.data and len(data) != len(self.data):
            exc = value_error("data", f"must have {len(self.data)} values (one per row)", len(data))
            if absorbed(exc, "ringlog.Table.add_column"):
                return
            raise exc
        if not self.data:
            self.data = [[] for _ in data]
        self.columns.append(str(name))
        for r, v in zip(self.data, data):
            r.append(_plain(v))

    def get_column(self, name: str, convert_to: Optional[str] = None) -> Any:
        if name not in self.columns:
            raise value_error("name", f"must be one of the columns {self.columns}", name)
        i = self.columns.index(name)
        col = [r[i] for r in self.data]
        return np.asarray(col) if convert_to == "numpy" else col

    def figure(self, title: str = "", rows: Optional[list] = None) -> dict:
        """A plotly table trace of ``rows`` (default the table's own; media cells as ``media_label``)."""
        rows = [[media_label(c) for c in r] for r in (self.data if rows is None else rows)]
        cols = [[r[i] for r in rows] for i in range(len(self.columns))]
        return {"data": [{"type": "table", "header": {"values": self.columns},
                          "cells": {"values": cols}}],
                "layout": {"title": {"text": title}}}

    def record(self, title: str) -> tuple[dict, str, dict]:
        """(figure, kind, data) of the stored plot record (see the module docstring)."""
        return self.figure(title), "table", {"columns": self.columns,
                                             "data": [[media_label(c) for c in r] for r in self.data]}

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"<ringlog.Table {len(self.data)} rows x {len(self.columns)} columns>"


def media_label(cell: Any) -> Any:
    """A cell as the table's plotly trace shows it: a media object or a stored media reference
    (``{"_type": kind, ...}``) as "[image: caption]"; anything else as it is."""
    if isinstance(cell, Media):
        kind, caption = cell.kind, cell.caption
    elif isinstance(cell, dict) and "_type" in cell:
        kind, caption = cell["_type"], cell.get("caption")
    else:
        return cell
    return f"[{kind}: {caption}]" if caption else f"[{kind}]"
