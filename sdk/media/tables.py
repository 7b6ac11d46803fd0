"""Tables for ``Logger.report_table``: a pandas DataFrame, a list of rows, or a CSV file -> ``Table``.

A DataFrame keeps its index as the first column unless it is the default 0..n-1 range; a list of
rows uses its first row as the header; a CSV file is read with the standard library's ``csv``
(first row = header, numbers parsed as int/float where they look like one). Costs: O(cells).
"""

from __future__ import annotations

import csv as _csv
from pathlib import Path
from typing import Any, Optional

from ..errors import type_error, value_error
from .plotdata import Table


def _cell(text: str) -> Any:
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def table_from(table_plot: Any = None, csv: Optional[str] = None, url: Optional[str] = None) -> Table:
    given = [a for a in (table_plot, csv, url) if a is not None]
    if len(given) != 1:
        raise value_error("table_plot", "give exactly one of table_plot, csv or url", f"{len(given)} of them")
    if isinstance(table_plot, Table):
        return table_plot
    if table_plot is not None:
        if hasattr(table_plot, "columns") and hasattr(table_plot, "itertuples"):  # pandas DataFrame
            df = table_plot
            idx = df.index
            default = type(idx).__name__ == "RangeIndex" and idx.start == 0 and idx.step == 1
            if not default:
                df = df.reset_index()
            return Table(dataframe=df)
        if isinstance(table_plot, (list, tuple)) and table_plot and all(isinstance(r, (list, tuple))
                                                                         for r in table_plot):
            header = [str(h) for h in table_plot[0]]
            return Table(columns=header, data=[list(r) for r in table_plot[1:]])
        raise type_error("table_plot", "must be a pandas DataFrame or a list of rows (first row = header)",
                         table_plot)
    src = csv if csv is not None else url
    if not isinstance(src, (str, Path)):
        raise type_error("csv" if csv is not None else "url", "must be a path to a CSV file", src)
    src = str(src)
    if src.startswith("file://"):
        src = src[len("file://"):]
    elif "://" in src:
        raise value_error("url", "must be a local path or file:// URL (ringlog does not download)", src)
    path = Path(src)
    if not path.is_file():
        raise value_error("csv" if csv is not None else "url", "must be an existing CSV file", src)
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(_csv.reader(f))
    if not rows:
        raise value_error("csv", "must have a header row", src)
    width = len(rows[0])
    return Table(columns=[str(h) for h in rows[0]],
                 data=[[_cell(c) for c in r] for r in rows[1:] if len(r) == width])
