"""Ring buffer: partial pushes when full, wrap-around, stable grouping on drain."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringlog.core.errors import CoreError
from ringlog.core.ring import Drained, Ring


def _expected(points):
    """Group a list of (sid, step, value, time) the slow way, stable."""
    sids = sorted({p[0] for p in points})
    out = {s: [p for p in points if p[0] == s] for s in sids}
    return sids, out


def _check(d: Drained, points):
    sids, groups = _expected(points)
    assert d.sids.dtype == np.int32 and d.offsets.dtype == np.int64
    assert d.step.dtype == np.int64 and d.value.dtype == np.float64 and d.time.dtype == np.float64
    assert d.sids.tolist() == sids
    assert len(d) == len(points)
    assert d.offsets[0] == 0 and d.offsets[-1] == len(points)
    for (sid, step, value, time), s in zip(d.series(), sids):
        assert sid == s
        assert step.tolist() == [p[1] for p in groups[s]]
        assert value.tolist() == [p[2] for p in groups[s]]
        assert time.tolist() == [p[3] for p in groups[s]]


def _push(ring, pts):
    a = np.array(pts, dtype=object).reshape(-1, 4)
    return ring.push(a[:, 0].astype(np.int32), a[:, 1].astype(np.int64),
                     a[:, 2].astype(np.float64), a[:, 3].astype(np.float64))


def test_empty_drain():
    ring = Ring(8)
    for use_kernel in (True, False):
        d = ring.drain(use_kernel=use_kernel)
        assert len(d) == 0 and d.sids.shape == (0,) and d.offsets.tolist() == [0]
        assert list(d.series()) == []


def test_full_ring_accepts_partial_count_and_keeps_the_rest_out():
    ring = Ring(5)
    assert ring.push(7, np.arange(3), np.arange(3.0), 1.0) == 3
    assert (ring.size, ring.free, ring.capacity) == (3, 2, 5)
    assert ring.push(7, np.arange(3, 8), np.arange(3.0, 8.0), 2.0) == 2
    assert ring.free == 0 and ring.push(7, [9], [9.0], 3.0) == 0
    d = ring.drain()
    assert d.step.tolist() == [0, 1, 2, 3, 4]
    assert d.time.tolist() == [1.0, 1.0, 1.0, 2.0, 2.0]
    assert ring.size == 0 and ring.free == 5


def test_wrap_around_keeps_log_order():
    ring = Ring(4)
    ring.push(1, [0, 1, 2], [0.0, 1.0, 2.0], 0.0)
    ring.drain()
    # The ring is empty again; the next points must come out in order even though
    # the old head moved (drain resets it) and pushes below wrap past the end.
    ring.push(1, [3, 4], [3.0, 4.0], 0.0)
    assert ring.push(2, [5, 6, 7], [5.0, 6.0, 7.0], 0.0) == 2
    d = ring.drain()
    assert d.sids.tolist() == [1, 2]
    assert d.step.tolist() == [3, 4, 5, 6]


def test_scalar_and_array_sid_time_and_dtype_casts():
    ring = Ring(10)
    ring.push(np.int64(3), np.array([1, 2], np.int16), np.array([1, 2], np.int32), np.array([5, 6], np.int64))
    ring.push(np.array([1, 3], np.uint8), np.array([3, 4], np.uint32), np.array([0.5, 1.5], np.float32), 7)
    _check(ring.drain(), [(3, 1, 1.0, 5.0), (3, 2, 2.0, 6.0), (1, 3, 0.5, 7.0), (3, 4, 1.5, 7.0)])


@pytest.mark.parametrize(
    "args, word",
    [
        ((1, [1.5], [1.0], 0.0), "step"),
        ((1, [[1]], [1.0], 0.0), "step"),
        ((1, [1, 2], [1.0], 0.0), "value"),
        ((1, [1], ["x"], 0.0), "value"),
        ((1.5, [1], [1.0], 0.0), "sid"),
        ((2**40, [1], [1.0], 0.0), "sid"),
        ((np.array([2**40]), [1], [1.0], 0.0), "sid"),
        ((np.array([1, 2]), [1], [1.0], 0.0), "sid"),
        ((1, [1], [1.0], "now"), "time"),
        ((1, [1], [1.0], [1.0, 2.0]), "time"),
    ],
)
def test_bad_push_names_the_argument_and_stores_nothing(args, word):
    ring = Ring(4)
    with pytest.raises((ValueError, TypeError), match=word) as info:
        ring.push(*args)
    assert isinstance(info.value, CoreError)
    assert ring.size == 0


@pytest.mark.parametrize("cap", [0, -1, 2.0, True])
def test_bad_capacity(cap):
    with pytest.raises((ValueError, TypeError), match="capacity"):
        Ring(cap)


def test_sparse_ids_use_the_sort_path():
    ring = Ring(16)
    pts = [(2**31 - 1, 0, 0.0, 0.0), (-(2**31), 1, 1.0, 0.0), (2**31 - 1, 2, 2.0, 0.0), (5, 3, 3.0, 0.0)]
    _push(ring, pts)
    _check(ring.drain(), pts)


@settings(max_examples=40, deadline=None)
@given(
    cap=st.integers(1, 12),
    ops=st.lists(
        st.one_of(
            st.just("drain"),
            st.lists(st.tuples(st.integers(-3, 3), st.integers(-100, 100)), min_size=0, max_size=9),
        ),
        max_size=12,
    ),
    use_kernel=st.booleans(),
)
def test_random_push_drain_sequences_match_a_list_model(cap, ops, use_kernel):
    ring = Ring(cap)
    held = []
    t = 0.0
    for op in ops:
        if op == "drain":
            _check(ring.drain(use_kernel=use_kernel), held)
            held = []
            continue
        pts = []
        for sid, step in op:
            t += 1.0
            pts.append((sid, step, step * 0.5, t))
        accepted = _push(ring, pts) if pts else ring.push(0, [], [], 0.0)
        assert accepted == min(len(pts), cap - len(held))
        held += pts[:accepted]
        assert ring.size == len(held) and ring.free == cap - len(held)
    _check(ring.drain(use_kernel=use_kernel), held)
