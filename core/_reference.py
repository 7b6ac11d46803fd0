"""Plain NumPy reference implementations of the decimation kernels (test oracles).

Slow (Python loops over buckets) but obviously right. They share with the fast
path only the *definition* of the buckets (``decimate.equal_width_edges``);
bucket membership, extrema and LTTB are recomputed here independently.
"""

from __future__ import annotations

import numpy as np


def _xs(x, n):
    return np.arange(n, dtype=np.float64) if x is None else np.asarray(x)


def ref_membership(x, n, edges):
    """Bucket number of every point (-1 outside ``[edges[0], edges[-1]]``); last bucket closed."""
    xs = _xs(x, n).astype(np.float64) if x is None or np.asarray(x).dtype.kind == "f" else _xs(x, n)
    nb = len(edges) - 1
    b = np.full(n, -1, np.int64)
    for i in range(n):
        v = xs[i]
        for j in range(nb):
            hi_ok = v < edges[j + 1] or (j == nb - 1 and v <= edges[j + 1])
            if edges[j] <= v and hi_ok:
                b[i] = j
                break
    return b


def ref_bucket_extrema(x, y, edges):
    y = np.asarray(y)
    n = y.shape[0]
    nb = max(len(edges) - 1, 0)
    first, last, imin, imax = (np.full(nb, -1, np.int64) for _ in range(4))
    count, nnf = np.zeros(nb, np.int64), np.zeros(nb, np.int64)
    if nb == 0:
        return first, last, imin, imax, count, nnf
    b = ref_membership(x, n, edges)
    for j in range(nb):
        idx = np.flatnonzero(b == j)
        count[j] = idx.size
        if not idx.size:
            continue
        first[j], last[j] = idx[0], idx[-1]
        vals = y[idx].astype(np.float64)
        fin = np.isfinite(vals)
        nnf[j] = int((~fin).sum())
        if fin.any():
            fi = idx[fin]
            fv = vals[fin]
            imin[j] = fi[int(np.argmin(fv))]
            imax[j] = fi[int(np.argmax(fv))]
    return first, last, imin, imax, count, nnf


def _edges(x, n, nb):
    from .decimate import equal_width_edges

    xs = _xs(x, n)
    return equal_width_edges(xs[0], xs[-1], nb)


def ref_minmax(x, y, n_out):
    n = len(y)
    if n_out >= n:
        return np.arange(n, dtype=np.int64)
    _, _, imin, imax, _, _ = ref_bucket_extrema(x, y, _edges(x, n, n_out // 2))
    sel = np.concatenate([imin, imax])
    return np.unique(sel[sel >= 0]).astype(np.int64)


def ref_m4(x, y, n_out):
    n = len(y)
    if n_out >= n:
        return np.arange(n, dtype=np.int64)
    first, last, imin, imax, _, _ = ref_bucket_extrema(x, y, _edges(x, n, n_out // 4))
    sel = np.concatenate([first, last, imin, imax])
    return np.unique(sel[sel >= 0]).astype(np.int64)


def _lane_sum(vals: np.ndarray, pos: np.ndarray) -> float:
    """Sum ``vals`` as the kernel does: value at offset ``pos`` goes to lane ``pos % 8``,
    each lane summed in order, then ``0.0 + lane0 + ... + lane7``."""
    total = 0.0
    for k in range(8):
        lane = vals[pos % 8 == k]
        total = total + (float(np.cumsum(lane)[-1]) if lane.size else 0.0)
    return total


def ref_lttb(x, y, n_out):
    y = np.asarray(y)
    n = y.shape[0]
    if n_out >= n:
        return np.arange(n, dtype=np.int64)
    xs = _xs(x, n).astype(np.float64)
    int_x = x is None or np.asarray(x).dtype.kind in "iu"
    xi = np.arange(n, dtype=np.int64) if x is None else np.asarray(x)
    yf = y.astype(np.float64)
    finite = np.isfinite(yf)
    fin = np.flatnonzero(finite)
    if fin.size == 0:
        return np.zeros(0, np.int64)
    p0, pl = int(fin[0]), int(fin[-1])
    if fin.size <= n_out:
        return fin.astype(np.int64)
    from .decimate import equal_width_edges

    edges = equal_width_edges(xs[p0], xs[pl], n_out - 2)
    raw = np.arange(p0 + 1, pl, dtype=np.int64)
    memb = ref_membership(xs[raw] if x is not None else raw, raw.size, edges)
    means = []
    for j in range(n_out - 2):
        r = raw[memb == j]  # the raw bucket, non-finite y included (they set the lanes)
        f = r[finite[r]]
        if not f.size:
            means.append(None)
            continue
        pos = f - r[0]
        if int_x:
            sx = float(np.sum(xi[f].astype(np.int64) - np.int64(xi[p0])))
        else:
            sx = _lane_sum(xs[f] - xs[p0], pos)
        means.append((f, xs[p0] + sx / f.size, _lane_sum(yf[f], pos) / f.size))
    out = [p0]
    ax, ay = xs[p0], yf[p0]
    for j, m in enumerate(means):
        if m is None:
            continue
        b = m[0]
        nxt = next((c for c in means[j + 1:] if c is not None), None)
        cx, cy = (xs[pl], yf[pl]) if nxt is None else (nxt[1], nxt[2])
        area = np.abs((ax - cx) * (yf[b] - ay) - (ax - xs[b]) * (cy - ay))
        area = np.where(np.isnan(area), -0.5, area)
        pick = int(b[int(np.argmax(area))])
        out.append(pick)
        ax, ay = xs[pick], yf[pick]
    out.append(pl)
    return np.asarray(out, np.int64)


def ref_minmaxlttb(x, y, n_out, minmax_ratio=4):
    n = len(y)
    if n_out >= n:
        return np.arange(n, dtype=np.int64)
    pre = ref_minmax(x, y, 2 * ((n_out * minmax_ratio + 1) // 2))
    fin = np.flatnonzero(np.isfinite(np.asarray(y, dtype=np.float64)))
    ends = fin[[0, -1]] if fin.size else fin
    pre = np.unique(np.concatenate([pre, ends])).astype(np.int64)
    xs = _xs(x, n)
    sub = ref_lttb(xs[pre] if x is not None else pre, np.asarray(y)[pre], n_out)
    return pre[sub]
