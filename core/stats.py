"""Running summary figures of one series: count, first/last, finite min/max/sum.

The one owner of these figures is the store's series writer: it scans each batch
once when writing it (:func:`ringlog.core.pyramid.scan_batch`, the same pass that
decides float32 vs float64) and merges the result with :meth:`SeriesStats.add`;
``series.json`` persists them and the SDK's summaries (W&B
``define_metric(summary=...)``) read the same object. :meth:`SeriesStats.update`
is the plain-NumPy path for points that are not written yet (the SDK's peek at
staged points, or a run whose store failed).

No numba here (the SDK imports this on the user's thread). Not locked: one thread
adds; readers take :meth:`copy` (a reader racing an ``add`` may see one batch
half-applied, never a broken object).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

SUMMARIES = ("min", "max", "mean", "first", "last")


@dataclass(eq=False)
class SeriesStats:
    """Figures over every point added so far; NaN/Inf are counted but kept out of min/max/mean."""

    count: int = 0
    finite: int = 0
    total: float = 0.0  # sum of the finite values
    min: float = float("nan")
    max: float = float("nan")
    first: float = float("nan")
    last: float = float("nan")
    last_step: int = -1

    def add(self, n: int, n_finite: int, total: float, lo: float, hi: float, first: float, last: float,
            last_step: int) -> None:
        """Merge the figures of ``n`` new points (``lo``/``hi``: their finite min/max, unused when
        ``n_finite`` is 0). O(1)."""
        if n <= 0:
            return
        if n_finite:
            self.min = lo if self.finite == 0 else min(self.min, lo)
            self.max = hi if self.finite == 0 else max(self.max, hi)
            self.finite += n_finite
            self.total += total
        if self.count == 0:
            self.first = first
        self.last = last
        self.last_step = last_step
        self.count += n

    def update(self, steps: np.ndarray, values: np.ndarray) -> None:
        """Add points with NumPy (several passes; for the few points not written yet)."""
        n = len(values)
        if n == 0:
            return
        fin = values[np.isfinite(values)]
        k = len(fin)
        self.add(n, k, float(fin.sum()) if k else 0.0, float(fin.min()) if k else 0.0,
                 float(fin.max()) if k else 0.0, float(values[0]), float(values[-1]), int(steps[-1]))

    def copy(self) -> "SeriesStats":
        return SeriesStats(**vars(self))

    def summary(self, how: str) -> Optional[float]:
        """The value W&B's ``summary=how`` names (``min``/``max``/``mean`` over finite values;
        anything else means ``last``), or None when there is none."""
        if self.count == 0:
            return None
        if how in ("min", "max", "mean") and not self.finite:
            return None
        if how == "min":
            return self.min
        if how == "max":
            return self.max
        if how == "mean":
            return self.total / self.finite
        if how == "first":
            return self.first
        return self.last

    def entry(self) -> dict:
        """The figures as ``series.json`` keeps them (FORMAT.md): min/max null when no value is finite."""
        fin = self.finite > 0
        return {"last": self.last if self.count else None, "min": self.min if fin else None,
                "max": self.max if fin else None, "count": self.count,
                "last_step": self.last_step if self.count else None}
