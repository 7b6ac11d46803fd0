"""Pure functions behind the scalar routes: series listing, decimated charts, CSV export.

They take a :class:`ringlog.store.TaskReader` (from ``provider.py``) and plain arguments already
validated by ``params.py``, read the store's typed results (:class:`~ringlog.store.Decimated`,
:class:`~ringlog.store.Scalar`) and return plain dicts/iterators, so tests call them without HTTP.
This is the one scalar pipeline: the task page, compare and report widgets all chart its answer.

Costs: :func:`scalar_impl` costs one ``TaskReader.decimate`` query (independent of series
length) plus O(points) numpy work for the envelope band and non-finite markers. With
``x="metric:<key>"`` it costs a second decimate query of the metric series. :func:`csv_chunks`
streams every raw point in chunks, never holding more than one chunk of text.
"""

from __future__ import annotations

import base64
import fnmatch
import io
import re
from collections.abc import Iterator

import numpy as np

from ringlog.store import Decimated, TaskReader

from .errors import BadRequestError, NotFoundError
from .smoothing import bucket_means

METHODS = ("m4", "minmax", "lttb", "minmaxlttb")
ENCODINGS = ("json", "b64")
X_KINDS = ("step", "time", "wall")
CSV_CHUNK = 1 << 18
METRIC_POINTS = 20_000  # budget of the x metric's own decimation when charting against a metric


def series_key(title: str, series: str) -> str:
    """The W&B-style key: ``title`` when the series has the title's name, else ``title/series``."""
    return title if series == title else f"{title}/{series}"


def section_of(title: str) -> str:
    """W&B groups keys containing ``/`` into sections named by the prefix; others go to "Charts"."""
    return title.split("/", 1)[0] if "/" in title else ""


#: ClearML's ``Logger.report_single_value(name, value)`` stores one point at step -2**31 under this
#: title (series = the value's name); such values are listed in a table, not charted.
SINGLE_VALUE_TITLE = "Summary"
#: the iteration ClearML (and ringlog's ``report_single_value``) stores single values at: a name
#: reported again there updates its value (the last point), it does not become a chart
SINGLE_VALUE_STEP = -(2 ** 31)
#: reserved title of the system metrics sampler (the SDK's sysmetrics capture): its series have different
#: units, so each gets a chart of its own in a collapsed "system" section, as W&B's System panel
SYSTEM_TITLE = "system"
_CPU_CORE = re.compile(r"cpu\d+_percent")
_GPU_METRIC = re.compile(r"gpu\d+/(.+)")


def system_chart_of(series: str) -> tuple[str, str]:
    """(chart id, chart name) for one system series: per-core CPU lines share one chart, and so
    do the same figure of every GPU (``gpu0/utilization``, ``gpu1/utilization``: one chart)."""
    if _CPU_CORE.fullmatch(series):
        return "system/cpu per core", "cpu per core"
    m = _GPU_METRIC.fullmatch(series)
    if m:
        return f"system/gpu/{m.group(1)}", f"gpu {m.group(1)}"
    return f"system/{series}", series


#: the collapsed section holding charts whose every series W&B's ``define_metric(hidden=True)`` hid
HIDDEN_SECTION = "hidden"


def hidden_keys(metrics) -> tuple[set, list]:
    """(exact keys, glob patterns) that ``define_metric(..., hidden=True)`` kept out of the automatic
    charts, from the task metadata's ``metrics`` (name -> spec). A later spec without ``hidden``
    leaves the key shown, as W&B's."""
    exact, globs = set(), []
    for name, spec in (metrics.items() if isinstance(metrics, dict) else ()):
        if isinstance(spec, dict) and spec.get("hidden") is True and isinstance(name, str):
            (globs.append(name) if any(c in name for c in "*?[") else exact.add(name))
    return exact, globs


def _is_hidden(key: str, exact: set, globs: list) -> bool:
    return key in exact or (not key.startswith("_") and any(fnmatch.fnmatchcase(key, g) for g in globs))


def _natural(s: str) -> list:
    """Sort key putting cpu2 before cpu10."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", s)]


def series_impl(reader: TaskReader) -> dict:
    """Every (title, series) of the task with its last/min/max/count, grouped into charts.

    A chart is one title (``id`` = ``name`` = the title) except for the reserved ``system``
    title, split by :func:`system_chart_of` into charts with ``collapsed`` true. Series of the
    ``Summary`` title holding at most one point are ClearML single values: they are listed in
    ``single_values`` (name, value, step) and not charted; a ``Summary`` series with more points
    stays a chart. A chart whose every series is a key W&B's ``define_metric(hidden=True)`` hid goes
    to the collapsed ``hidden`` section (W&B keeps such keys out of its automatic panels; here they
    stay one click away). Cost: one ``last_metrics()`` call; O(series).
    """
    stats = reader.last_metrics()
    exact, globs = hidden_keys(reader.info.get("metrics"))
    charts: dict[str, dict] = {}
    singles = []
    for title, series in reader.series():
        st = stats.get((title, series), {})
        if title == SINGLE_VALUE_TITLE and ((st.get("count") or 0) <= 1 or st.get("last_step") == SINGLE_VALUE_STEP):
            singles.append(_single_value(reader, title, series, st))
            continue
        if title == SYSTEM_TITLE:
            cid, name = system_chart_of(series)
            section, collapsed = SYSTEM_TITLE, True
        else:
            cid = name = title
            section, collapsed = section_of(title), False
        chart = charts.setdefault(cid, {"id": cid, "title": title, "name": name, "section": section,
                                        "collapsed": collapsed, "series": []})
        chart["series"].append({
            "series": series, "key": series_key(title, series),
            "last": st.get("last"), "min": st.get("min"), "max": st.get("max"),
            "count": st.get("count"), "last_step": st.get("last_step"),
        })
    for c in charts.values():
        if (exact or globs) and c["section"] != SYSTEM_TITLE and all(
                _is_hidden(x["key"], exact, globs) for x in c["series"]):
            c["section"], c["collapsed"] = HIDDEN_SECTION, True
        if c["collapsed"]:
            c["series"].sort(key=lambda s: _natural(s["series"]))
    # the system section goes last: it is about the machine, not the model
    ordered = sorted(charts.values(), key=lambda c: (c["collapsed"], c["section"], _natural(c["name"])))
    return {"task": reader.id, "charts": ordered, "single_values": singles}


def _single_value(reader: TaskReader, title: str, series: str, st: dict) -> dict:
    value, step = st.get("last"), st.get("last_step")
    if value is None and st.get("count") is None:  # no stats (yet): read the one point itself
        s = reader.scalar(title, series)
        if len(s):
            value, step = float(s.value[-1]), int(s.step[-1])
    return {"name": series, "value": value, "step": step}


def _known_series(reader: TaskReader, title: str, series: str | None) -> tuple[str, str]:
    series = title if series is None else series
    if (title, series) not in set(map(tuple, reader.series())):
        raise NotFoundError(f"task {reader.id!r} has no scalar series title={title!r} series={series!r}")
    return title, series


def parse_x(x: str, reader: TaskReader) -> tuple[str, tuple[str, str] | None]:
    """``step``/``time``/``wall``, or ``metric:<key>`` naming another logged series (W&B step_metric)."""
    if x in X_KINDS:
        return x, None
    if x.startswith("metric:") and len(x) > len("metric:"):
        key = x[len("metric:"):]
        pairs = [tuple(p) for p in reader.series()]
        for title, series in pairs:
            if series_key(title, series) == key:
                return "metric", (title, series)
        raise BadRequestError("x", "must name a logged metric after 'metric:'", x)
    raise BadRequestError("x", "must be step, time, wall or metric:<key>", x)


def scalar_impl(reader: TaskReader, title: str, series: str | None = None, *, x: str = "step",
                x_min: float | None = None, x_max: float | None = None, points: int = 2000,
                method: str = "m4", mean: bool = False) -> dict:
    """One series decimated to ``points`` buckets over ``[x_min, x_max]`` (whole series if None).

    ``mean``: also each bucket's mean and finite count (``smoothing.bucket_means``, from the store's
    per-bucket sums: O(buckets)), what the pages smooth so that the smoothed line does not move with
    the zoom."""
    title, series = _known_series(reader, title, series)
    x_kind, metric = parse_x(x, reader)
    if x_kind == "metric":
        return _scalar_vs_metric(reader, title, series, metric, x_min, x_max, points, method)
    d = reader.decimate(title, series, x_min=x_min, x_max=x_max, points=points, x=x_kind, method=method)
    xs = np.asarray(d.x, dtype=np.float64)
    ys = np.asarray(d.y, dtype=np.float64)
    raw_count = int(d.raw_count)
    exact = raw_count <= len(xs)
    return {
        "task": reader.id, "title": title, "series": series, "key": series_key(title, series),
        "x_kind": x_kind, "x_metric": None, "method": method, "points": points,
        "level": int(d.level), "raw_count": raw_count, "exact": exact,
        "range": {"x_min": x_min, "x_max": x_max},
        "x": xs, "y": ys,
        "band": None if exact else band_of(d, xs, ys, points),
        "nonfinite": nonfinite_markers(d, xs, ys),
        "mean": bucket_means(reader, title, series, d, xs, ys, exact) if mean else None,
    }


def band_of(d: Decimated, xs: np.ndarray, ys: np.ndarray, points: int) -> dict | None:
    """The min/max envelope per bucket, drawn as steps: the store's ``band_x``/``band_lo``/``band_hi``.

    When the store answered from raw points it gives no band; then M4/MinMax results contain each
    bucket's true min and max, so grouping the returned points by the query's bucket edges
    recovers the exact envelope in O(len(xs)).
    """
    if d.band_x is not None and d.band_lo is not None and d.band_hi is not None:
        return {"x": np.asarray(d.band_x, np.float64), "lo": np.asarray(d.band_lo, np.float64),
                "hi": np.asarray(d.band_hi, np.float64)}
    if len(xs) == 0:
        return None
    edges = d.bucket_edges
    if edges is None or len(edges) < 2:
        edges = np.linspace(xs.min(), xs.max(), points + 1) if np.isfinite(xs).all() else None
    if edges is None:
        return None
    edges = np.asarray(edges, np.float64)
    b = np.clip(np.searchsorted(edges, xs, side="right") - 1, 0, len(edges) - 2)
    order = np.argsort(b, kind="stable")
    b_sorted = b[order]
    y_sorted = ys[order]
    x_sorted = xs[order]
    starts = np.flatnonzero(np.r_[True, b_sorted[1:] != b_sorted[:-1]])
    finite = np.isfinite(y_sorted)
    lo = np.minimum.reduceat(np.where(finite, y_sorted, np.inf), starts)
    hi = np.maximum.reduceat(np.where(finite, y_sorted, -np.inf), starts)
    # each bucket spans from its first to its last returned x: the band is drawn as steps
    first_x = np.minimum.reduceat(x_sorted, starts)
    last_x = np.maximum.reduceat(x_sorted, starts)
    keep = np.isfinite(lo) & np.isfinite(hi)
    bx = np.stack([first_x[keep], last_x[keep]], axis=1).ravel()
    return {"x": bx, "lo": np.repeat(lo[keep], 2), "hi": np.repeat(hi[keep], 2)}


def _kind(v: float) -> str:
    return "nan" if np.isnan(v) else ("+inf" if v > 0 else "-inf")


def nonfinite_markers(d: Decimated, xs: np.ndarray, ys: np.ndarray) -> dict:
    """Positions, kinds (``nan``, ``+inf``, ``-inf``) and counts of non-finite values in the range.

    The store's ``nonfinite_x``/``nonfinite_y``/``nonfinite_count`` cover points the decimation
    did not pick (exact positions from raw data; at coarse levels one marker per kind at the
    first x of each bucket holding some, ``count`` saying how many). Non-finite values among the
    returned points are added with count 1 unless a store marker already sits there.
    Cost: O(markers log markers), markers <= 3 per bucket.
    """
    marks: dict[tuple[float, str], int] = {}
    for x, y, c in zip(np.asarray(d.nonfinite_x, np.float64).tolist(), np.asarray(d.nonfinite_y, np.float64).tolist(),
                       np.asarray(d.nonfinite_count, np.int64).tolist()):
        key = (x, _kind(y))
        marks[key] = marks.get(key, 0) + int(c)
    bad = ~np.isfinite(ys)
    for x, y in zip(xs[bad].tolist(), ys[bad].tolist()):
        marks.setdefault((x, _kind(y)), 1)
    order = sorted(marks, key=lambda k: (k[0], ("nan", "+inf", "-inf").index(k[1])))
    return {"x": np.asarray([k[0] for k in order], np.float64), "kind": [k[1] for k in order],
            "count": np.asarray([marks[k] for k in order], np.int64)}


def _scalar_vs_metric(reader: TaskReader, title, series, metric, x_min, x_max, points, method) -> dict:
    """Chart ``title/series`` against another logged metric (W&B ``define_metric(step_metric=)``).

    Both series are decimated by step; each point's x is the metric's value at that step,
    interpolated linearly between the metric's decimated points (exact when the metric's range
    holds fewer raw points than the budget). ``x_min``/``x_max`` are in metric units; they are
    mapped back to a step range when the metric is non-decreasing, else the whole series is used.
    """
    mt, ms = metric
    m = reader.decimate(mt, ms, points=min(max(points * 4, 8000), METRIC_POINTS), x="step", method="m4")
    m_x = np.asarray(m.x, np.float64)
    m_y = np.asarray(m.y, np.float64)
    ok = np.isfinite(m_y)
    m_x, m_y = m_x[ok], m_y[ok]
    s_min = s_max = None
    if len(m_y) and np.all(np.diff(m_y) >= 0):
        if x_min is not None:
            s_min = float(np.interp(x_min, m_y, m_x))
        if x_max is not None:
            s_max = float(np.interp(x_max, m_y, m_x))
    d = reader.decimate(title, series, x_min=s_min, x_max=s_max, points=points, x="step", method=method)
    steps = np.asarray(d.x, np.float64)
    ys = np.asarray(d.y, np.float64)
    if len(m_x):
        inside = (steps >= m_x[0]) & (steps <= m_x[-1])
        xs = np.interp(steps, m_x, m_y)
        steps, ys, xs = steps[inside], ys[inside], xs[inside]
    else:
        steps, ys, xs = steps[:0], ys[:0], steps[:0]
    raw_count = int(d.raw_count)
    order = np.argsort(xs, kind="stable") if len(xs) and not np.all(np.diff(xs) >= 0) else None
    if order is not None:
        xs, ys = xs[order], ys[order]
    bad = ~np.isfinite(ys)
    return {
        "task": reader.id, "title": title, "series": series, "key": series_key(title, series),
        "x_kind": "metric", "x_metric": series_key(mt, ms), "method": method, "points": points,
        "level": int(d.level), "raw_count": raw_count, "exact": raw_count <= len(steps),
        "range": {"x_min": x_min, "x_max": x_max},
        "x": xs, "y": ys, "band": None,
        "nonfinite": {"x": xs[bad], "kind": [_kind(v) for v in ys[bad].tolist()],
                      "count": np.ones(int(bad.sum()), np.int64)},
        "mean": None,
    }


def csv_chunks(reader: TaskReader, title: str, series: str | None = None) -> Iterator[str]:
    """Every logged point of one series as CSV text (``step,value,wall_time``), in chunks.

    Full resolution, never sampled (steps beyond 2**53 would lose precision). Values are written with 17 significant digits (round-trip
    exact); NaN/Inf as ``nan``/``inf``/``-inf``.
    """
    title, series = _known_series(reader, title, series)
    yield "step,value,wall_time\n"
    n = reader.count(title, series)
    for a in range(0, n, CSV_CHUNK):  # CSV_CHUNK points at a time: memory stays bounded for 100M points
        s = reader.scalar(title, series, a, min(n, a + CSV_CHUNK))
        buf = io.StringIO()
        np.savetxt(buf, np.column_stack([s.step.astype(np.float64), s.value, s.time]),
                   fmt=("%d", "%.17g", "%.17g"), delimiter=",")
        yield buf.getvalue()


def _b64(a) -> dict:
    return {"dtype": "<f8", "b64": base64.b64encode(np.ascontiguousarray(a, dtype="<f8").tobytes()).decode("ascii")}


def encode_arrays(payload: dict, enc: str) -> dict:
    """``enc="b64"``: x, y and the band's arrays as little-endian float64 in base64.

    Exact (NaN and Inf included, no ``null``), about 3x smaller than JSON text and ~20x faster
    to produce: Python's float-to-text conversion dominates a JSON answer of a few thousand
    points. ``enc="json"``: plain lists; integral step x values are written as integers.
    """
    if enc == "b64":
        out = dict(payload, x=_b64(payload["x"]), y=_b64(payload["y"]))
        if payload.get("band"):
            out["band"] = {k: _b64(v) for k, v in payload["band"].items()}
        if payload.get("mean"):
            out["mean"] = {k: _b64(v) for k, v in payload["mean"].items()}
        return out
    out = dict(payload)
    if payload.get("band"):
        out["band"] = dict(payload["band"])
    for key, holder in (("x", out), ("x", out.get("band") or {})):
        xs = holder.get(key)
        if isinstance(xs, np.ndarray) and payload.get("x_kind") == "step" and len(xs) \
                and np.isfinite(xs).all() and np.all(xs == np.round(xs)) and np.abs(xs).max() < 2 ** 53:
            holder[key] = xs.astype(np.int64)
    return out
