"""Decimation kernels == plain NumPy references, on awkward inputs (property tests)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringlog.core import _reference as ref
from ringlog.core import decimate as dec
from ringlog.core.errors import CoreError

AWKWARD_N = st.one_of(st.sampled_from([0, 1, 2, 3, 5, 7, 13, 31, 97, 4097, 4099, 8209]), st.integers(0, 300))
SPECIAL = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e30, -1e30, 1e300, -1e300])  # 1e300: inf/NaN LTTB areas


@st.composite
def series(draw):
    n = draw(AWKWARD_N)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    # few distinct values so ties (incl. -0.0 vs +0.0) happen
    y = rng.integers(-3, 4, n).astype(dtype) if draw(st.booleans()) else rng.standard_normal(n).astype(dtype)
    k = draw(st.integers(0, max(n // 2, 0)))
    if n and k:
        specials = draw(st.lists(SPECIAL, min_size=1, max_size=4))
        with np.errstate(over="ignore"):  # 1e300 becomes inf in float32: fine, another special
            y[rng.integers(0, n, k)] = rng.choice(specials, k)
    kind = draw(st.sampled_from(["none", "int", "float", "float_dups"]))
    if kind == "none":
        x = None
    elif kind == "int":  # sorted, unevenly spaced, duplicates
        x = np.sort(rng.integers(-50, 1000, n)).astype(draw(st.sampled_from([np.int64, np.int32])))
    elif kind == "float":
        x = np.cumsum(rng.exponential(1.0, n) ** 3)
    else:
        x = np.sort(np.round(rng.random(n) * 7, 1))
    return x, y


N_OUT = st.integers(1, 120)


@settings(max_examples=50, deadline=None)
@given(data=series(), n_out=N_OUT)
def test_minmax_and_m4_match_reference(data, n_out):
    x, y = data
    mm = 2 * n_out
    got = dec.minmax(x, y, mm)
    assert np.array_equal(got, ref.ref_minmax(x, y, mm))
    assert got.dtype == np.int64
    m4n = 4 * n_out
    got = dec.m4(x, y, m4n)
    assert np.array_equal(got, ref.ref_m4(x, y, m4n))
    assert np.all(np.diff(got) > 0)


@settings(max_examples=50, deadline=None)
@given(data=series(), n_out=st.integers(3, 120), ratio=st.integers(1, 6))
def test_lttb_and_minmaxlttb_match_reference(data, n_out, ratio):
    x, y = data
    got = dec.lttb(x, y, n_out)
    assert np.array_equal(got, ref.ref_lttb(x, y, n_out))
    if n_out < len(y):
        assert got.size <= n_out and np.all(np.isfinite(y[got]))
    got = dec.minmaxlttb(x, y, n_out, minmax_ratio=ratio)
    assert np.array_equal(got, ref.ref_minmaxlttb(x, y, n_out, ratio))
    assert np.all(np.diff(got) > 0)


@settings(max_examples=50, deadline=None)
@given(data=series(), cuts=st.lists(st.floats(-0.2, 1.2), min_size=0, max_size=12))
def test_bucket_extrema_matches_reference(data, cuts):
    x, y = data
    n = len(y)
    xs = np.arange(n) if x is None else x
    lo, hi = (float(xs[0]), float(xs[-1])) if n else (0.0, 1.0)
    edges = np.sort(lo + (hi - lo) * np.asarray(cuts, np.float64))
    got = dec.bucket_extrema(x, y, edges)
    want = ref.ref_bucket_extrema(x, y, edges)
    for name, g, w in zip(("first", "last", "imin", "imax", "count", "n_nonfinite"), got, want):
        assert g.dtype == np.int64, name
        assert np.array_equal(g, w), name


def test_extrema_never_pick_nonfinite_and_span_blocks():
    # Larger than the kernel's block (4096) so the block search is exercised,
    # with the extremes in a late block and non-finite values everywhere else.
    n = 3 * 4096 + 17
    y = np.zeros(n, np.float32)
    y[::7] = np.nan
    y[1::11] = np.inf
    y[2::13] = -np.inf
    y[9000] = 5.0
    y[9001] = 5.0  # tie: first occurrence wins
    y[12000] = -2.0
    first, last, imin, imax, count, nnf = dec.bucket_extrema(None, y, [0, n - 1])
    assert (imin[0], imax[0], count[0], first[0], last[0]) == (12000, 9000, n, 0, n - 1)
    assert nnf[0] == int((~np.isfinite(y)).sum())
    assert set(dec.minmax(None, y, 2).tolist()) == {9000, 12000}


def test_all_nonfinite_bucket_reports_minus_one_but_m4_keeps_ends():
    y = np.array([np.nan, np.inf, 1.0, 2.0, np.nan, -np.inf])
    x = np.array([0, 1, 10, 11, 20, 21])
    first, last, imin, imax, count, nnf = dec.bucket_extrema(x, y, [0, 5, 10, 15, 21])
    assert imin.tolist() == [-1, -1, 2, -1] and imax.tolist() == [-1, -1, 3, -1]
    assert first.tolist() == [0, -1, 2, 4] and last.tolist() == [1, -1, 3, 5]
    assert count.tolist() == [2, 0, 2, 2] and nnf.tolist() == [2, 0, 0, 2]
    assert dec.m4(x, y, 4).tolist() == [0, 2, 3, 5]


def test_n_out_at_least_len_returns_everything_and_empty_input_is_empty():
    y = np.array([np.nan, 1.0, 2.0])
    for fn, k in ((dec.minmax, 4), (dec.m4, 4), (dec.lttb, 3), (dec.minmaxlttb, 5)):
        assert fn(None, y, k).tolist() == [0, 1, 2]
        assert fn(None, np.zeros(0), k).tolist() == []
    assert [a.tolist() for a in dec.bucket_extrema(None, np.zeros(0), [0.0, 1.0])] == [[-1], [-1], [-1], [-1], [0], [0]]
    assert all(a.size == 0 for a in dec.bucket_extrema(None, np.ones(3), [1.0]))


def test_ints_and_float16_y_are_accepted():
    y = np.array([3, 1, 4, 1, 5, 9, 2, 6], np.int16)
    assert dec.minmax(None, y, 2).tolist() == [1, 5]
    assert dec.minmax(None, y.astype(np.float16), 2).tolist() == [1, 5]


@pytest.mark.parametrize(
    "call, word",
    [
        (lambda: dec.minmax(None, np.ones(5), 3), "n_out"),
        (lambda: dec.m4(None, np.ones(5), 6), "n_out"),
        (lambda: dec.lttb(None, np.ones(5), 2), "n_out"),
        (lambda: dec.lttb(None, np.ones(5), 2.5), "n_out"),
        (lambda: dec.minmaxlttb(None, np.ones(5), 3, minmax_ratio=0), "minmax_ratio"),
        (lambda: dec.minmax([3, 2, 1], np.ones(3), 2), "x"),
        (lambda: dec.minmax([0.0, np.nan, 1.0], np.ones(3), 2), "x"),
        (lambda: dec.minmax([1, 2], np.ones(3), 2), "x"),
        (lambda: dec.minmax(np.array(["a", "b"]), np.ones(2), 2), "x"),
        (lambda: dec.m4(None, np.ones((2, 2)), 4), "y"),
        (lambda: dec.m4(None, np.array(["a"]), 4), "y"),
        (lambda: dec.bucket_extrema(None, np.ones(3), [2.0, 1.0]), "edges"),
        (lambda: dec.bucket_extrema(None, np.ones(3), [0.0, np.inf]), "edges"),
    ],
)
def test_bad_arguments_name_the_argument(call, word):
    with pytest.raises((ValueError, TypeError), match=rf"^{word}:") as info:
        call()
    assert isinstance(info.value, CoreError)


def test_assume_sorted_skips_the_check():
    # Documented: with assume_sorted=True an unsorted x is not detected (the caller vouches).
    dec.minmax([3, 2, 1, 0], np.ones(4), 2, assume_sorted=True)
    with pytest.raises(ValueError, match="sorted"):
        dec.minmax([3, 2, 1, 0], np.ones(4), 2)
