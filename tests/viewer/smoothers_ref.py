"""NumPy references of the viewer's smoothers (viewer/static/smoothers.js), over raw points.

Each finite point is one rank (non-finite points are skipped and come back as NaN). ``w`` is the
toolbar's strength in [0, 1): EMA weight ``w`` (TensorBoard's debiased EMA), running-average window
``(1 + w) / (1 - w)`` points centred on each point (cut at the ends), Gaussian sigma
``sqrt(w) / (1 - w)`` points (each point weighs the kernel's mass over its rank [k, k + 1)).
Slow and obvious on purpose: they are the oracles the browser code is checked against."""

from __future__ import annotations

import math

import numpy as np


def _finite(values):
    v = np.asarray(values, np.float64)
    ok = np.isfinite(v)
    return v, ok, v[ok]


def ema(values, w: float) -> np.ndarray:
    v, ok, f = _finite(values)
    out = np.full(len(v), np.nan)
    s, res = 0.0, []
    for n, y in enumerate(f, 1):
        s = s * w + (1 - w) * y
        res.append(s / (1 - w ** n))
    out[ok] = res
    return out


def running_average(values, w: float) -> np.ndarray:
    v, ok, f = _finite(values)
    n, half = len(f), (1 + w) / (1 - w) / 2
    cum = np.r_[0.0, np.cumsum(f)]

    def integral(r):                     # of the step density over ranks [0, r)
        k = min(int(math.floor(r)), n - 1)
        return cum[k] + (r - k) * f[k]

    res = []
    for j in range(n):
        a, b = max(0.0, j + 0.5 - half), min(float(n), j + 0.5 + half)
        res.append((integral(b) - integral(a)) / (b - a))
    out = np.full(len(v), np.nan)
    out[ok] = res
    return out


def gaussian(values, w: float) -> np.ndarray:
    v, ok, f = _finite(values)
    n, s = len(f), math.sqrt(w) / (1 - w)
    # the kernel's CDF at rank edge e seen from point j's middle depends on e - j only: tabulate it
    offsets = np.arange(-n, n + 1)
    table = np.array([0.5 * (1 + math.erf((k - 0.5) / (s * math.sqrt(2)))) for k in offsets])
    edges = np.arange(n + 1)
    res = []
    for j in range(n):
        wt = np.diff(table[edges - j + n])
        res.append(float((wt * f).sum() / wt.sum()))
    out = np.full(len(v), np.nan)
    out[ok] = res
    return out


SMOOTHERS = {"ema": ema, "avg": running_average, "gauss": gaussian}
