"""TaskWriter.append_many (issue 13, item 9): many small appends at once give exactly what one
append per item gives - the files, series.json, the live figures and every point read back - and
refuse a bad item alone."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ringlog.store import Store


def _items(rng, sids, rounds):
    """Per round, one item per series in a shuffled order: 1-5 points (some series get two items, a
    few get 300 points, so bucket edges and the ordinary path are crossed), NaN/Inf, values that are
    not float32, steps going back, times as one number or an array."""
    out, step = [], {s: 0 for s in sids}
    for r in range(rounds):
        order = list(sids) + list(rng.choice(sids, len(sids) // 5))
        rng.shuffle(order)
        for sid in order:
            n = 300 if rng.random() < 0.01 else int(rng.integers(1, 6))
            st = step[sid] + np.arange(n, dtype=np.int64) - (3 if rng.random() < 0.05 else 0)
            step[sid] += n
            v = rng.standard_normal(n)
            if sid % 3:
                v = v.astype(np.float32).astype(np.float64)
            k = rng.random()
            if k < 0.1:
                v[rng.integers(0, n)] = rng.choice([np.nan, np.inf, -np.inf, -0.0, 1e300])
            t = 1.7e9 + r + np.sort(rng.random(n)) if rng.random() < 0.8 else 1.7e9 + r + 0.5
            out.append((sid, st, v, t))
    return out


def _task(root, k):
    w = Store(root, durable=False).create_task(project="p", name="m", task_id="m", created=1.7e9)
    return w, [w.series_id(f"k{i}") for i in range(k)]


def test_append_many_equals_one_append_per_item(tmp_path):
    rng = np.random.default_rng(7)
    k = 300
    items = _items(rng, list(range(k)), rounds=4)
    per = len(items) // 4
    wa, _ = _task(tmp_path / "a", k)
    wb, _ = _task(tmp_path / "b", k)
    for r in range(4):
        part = items[r * per:(r + 1) * per] if r < 3 else items[3 * per:]
        for it in part:
            wa.append(*it)
        assert wb.append_many(part) == [None] * len(part)
        for w in (wa, wb):
            w.sync()
        for sa, sb in zip(wa._series, wb._series):
            assert vars(sa.stats) == pytest.approx(vars(sb.stats), nan_ok=True) and repr(sa.stats) == repr(sb.stats)
            assert sa.entry_json() == sb.entry_json()
    ia, ib = (json.loads((w.path / "series.json").read_text()) for w in (wa, wb))
    assert ia == ib
    assert (wa.path / "tails.bin").read_bytes() == (wb.path / "tails.bin").read_bytes()
    wa.close()
    wb.close()
    ra, rb = Store(tmp_path / "a").task("m"), Store(tmp_path / "b").task("m")
    for i in range(k):
        a, b = ra.scalar(f"k{i}"), rb.scalar(f"k{i}")
        for x, y in zip((a.step, a.value, a.time), (b.step, b.value, b.time)):
            assert np.array_equal(x, y, equal_nan=True)


def test_a_bad_item_is_refused_alone_and_the_rest_is_written(store):
    w = store.create_task(project="p", name="bad", task_id="bad", created=1.7e9)
    sids = [w.series_id(f"k{i}") for i in range(10)]
    one = np.array([0], np.int64)
    items = [(s, one, np.array([float(s)]), np.array([1.7e9])) for s in sids]
    items[3] = (sids[3], one, np.array([1.0]), np.array([float("nan")]))  # a non-finite time
    items[6] = (99, one, np.array([1.0]), 1.7e9)  # no such series
    out = w.append_many(items)
    assert [type(e).__name__ if e else None for e in out] == [None] * 3 + ["StoreValueError"] + [None] * 2 + \
        ["StoreValueError"] + [None] * 3
    assert "time" in str(out[3]) and "sid" in str(out[6])
    w.close()
    r = store.task("bad")
    assert [r.scalar(f"k{i}").value.tolist() for i in range(10)] == [[float(i)] if i not in (3, 6) else []
                                                                      for i in range(10)]
