"""Many small appends at once: the write path of a W&B row of thousands of keys (issue 13, item 9).

:meth:`ringlog.store.writer.TaskWriter.append_many` hands its items here. An item of a few points
(at most ``SMALL``) for a series that is still *short* (no whole chunk) and completes no level-1
bucket touches no file and no pyramid: it only updates the series' figures and pending buffers.
Such items are gathered by point count into matrices and checked, converted and scanned together
(one time conversion, the float32 test, the finite min/max/sum column by column), leaving a few
Python statements per series; every other item goes through :meth:`TaskWriter.append` as before.
The result is bit for bit what one ``append`` per item gives (``tests/store/test_append_many.py``):
the sums are added left to right from +0.0, the min/max kept with ``<``/``>`` in log order, as the
kernels do. Cost: measured ~2-3 us per small item against ~15-30 us for ``append`` (whose fixed
costs - argument checks, four kernel dispatches, the roll-up checks - dominate a 1-point call).
"""

from __future__ import annotations

import math

import numpy as np

from . import _kern
from .layout import FAN1, TIME_RES

SMALL = 16  # points of an item from which it takes the ordinary path
_I8, _F8 = np.dtype(np.int64), np.dtype(np.float64)


def run(writer, items, outcome: list, fast: bool = True) -> None:
    """Append ``items`` (``(sid, step, value, time)``) to ``writer`` in order (the caller holds its
    lock; ``fast`` False: every item through ``writer.append``). ``outcome`` gets one entry per item
    taken: None, or the exception that refused it (a bad argument; the other items go on). An
    ``OSError`` is raised as is: the items before it (as many as ``outcome`` holds) are taken, that
    one and the rest are not."""
    series = writer._series
    nser = len(series)
    groups: dict[int, list] = {}  # point count -> [(outcome index, series, step, value, time)]
    held: set[int] = set()        # series with an item in the groups (a second one must wait for them)
    for sid, step, value, time in items:
        s = None
        if fast and type(sid) is int and 0 <= sid < nser and sid not in held and type(step) is np.ndarray \
                and type(value) is np.ndarray and step.ndim == 1 and step.dtype == _I8 and value.dtype == _F8:
            n = step.shape[0]
            if 0 < n <= SMALL and value.shape == (n,) and (
                    type(time) is float or (type(time) is np.ndarray and time.dtype == _F8 and time.shape == (n,))):
                c = series[sid]
                if c.n_chunks == 0 and not c.sealed and c.write_error is None and c.count % FAN1 + n < FAN1:
                    s = c
        if s is not None:
            groups.setdefault(n, []).append((len(outcome), s, step, value, time))
            held.add(sid)
            outcome.append(None)
            continue
        if sid in held:  # a later item of a grouped series: the group goes first (log order)
            _flush(writer, groups, outcome)
            groups.clear()
            held.clear()
        try:
            writer.append(sid, step, value, time)
        except OSError:
            _flush(writer, groups, outcome)  # the items before this one are taken, as ``outcome`` says
            raise
        except Exception as exc:  # noqa: BLE001 - a refused item; the caller reports it
            outcome.append(exc)
        else:
            outcome.append(None)
    if groups:
        _flush(writer, groups, outcome)


def _flush(writer, groups: dict, outcome: list) -> None:
    for n, rows in groups.items():
        _group(writer, n, rows, outcome)


def _one_by_one(writer, rows, outcome: list) -> None:
    for k, s, step, value, time in rows:
        try:
            writer.append(s.sid, step, value, time)
        except OSError:  # a short series' append writes no file: cannot happen
            raise
        except Exception as exc:  # noqa: BLE001 - refused (a non-finite time)
            outcome[k] = exc


def _group(writer, n: int, rows: list, outcome: list) -> None:
    """Apply ``rows`` (items of ``n`` points each, distinct short series) together."""
    m = len(rows)
    if m < 4:  # the matrices would cost more than they save
        _one_by_one(writer, rows, outcome)
        return
    S = np.concatenate([r[2] for r in rows]).reshape(m, n)
    V = np.concatenate([r[3] for r in rows]).reshape(m, n)
    T = np.concatenate([r[4] if type(r[4]) is np.ndarray else np.full(n, r[4]) for r in rows])
    tms, bad, _ = _kern.seconds_to_ms(T, writer._origin, 1.0 / TIME_RES)
    if bad >= 0:  # a non-finite time: each item on its own (that one is refused with its message)
        _one_by_one(writer, rows, outcome)
        return
    TM = tms.reshape(m, n)
    # _kern.scan_batch per row, as the kernel computes it: NaN skipped (and exact), +-Inf counted
    # out of the finite figures, the sum added left to right from +0.0, min/max by < and > in order
    with np.errstate(over="ignore", invalid="ignore"):
        exact = ((V.astype(np.float32).astype(np.float64) == V) | (V != V)).all(axis=1)
    fin = np.isfinite(V)
    nfin = fin.sum(axis=1)
    tot = np.zeros(m)
    mn = np.full(m, math.inf)
    mx = np.full(m, -math.inf)
    for j in range(n):
        x, f = V[:, j], fin[:, j]
        tot = tot + np.where(f, x, 0.0)  # +0.0 where not finite: the sum never is -0.0, so it is unchanged
        mn = np.where(f & (x < mn), x, mn)
        mx = np.where(f & (x > mx), x, mx)
    if n > 1:
        s_in = (S[:, 1:] >= S[:, :-1]).all(axis=1).tolist()
        t_in = (TM[:, 1:] >= TM[:, :-1]).all(axis=1).tolist()
    else:
        s_in = t_in = [True] * m
    cols = zip(rows, S, V, TM, exact.tolist(), nfin.tolist(), tot.tolist(), mn.tolist(), mx.tolist(),
               V[:, 0].tolist(), V[:, -1].tolist(), S[:, 0].tolist(), S[:, -1].tolist(), TM[:, 0].tolist(),
               TM[:, -1].tolist(), s_in, t_in)
    for (_, s, _, _, _), srow, vrow, trow, ex, nf, to, lo, hi, v0, v1, s0, s1, t0, t1, si, ti in cols:
        # what SeriesWriter.append does for a short series whose points complete no bucket
        srt, last = s.sorted, s._last_x
        if srt["step"]:
            srt["step"] = si and (last["step"] is None or s0 >= last["step"])
        if srt["time"]:
            srt["time"] = ti and (last["time"] is None or t0 >= last["time"])
        if not ex and s.dtype == "f4":
            s.dtype = "f8"  # no value chunk yet: the tail always holds float64 (SeriesWriter._migrate_f64)
        s.step.extend(srow)
        s.value.extend(vrow)
        s.time.extend(trow)
        s.count += n
        s.stats.add(n, nf, to, lo, hi, v0, v1, s1)
        last["step"], last["time"] = s1, t1
        s.meta_dirty = True
