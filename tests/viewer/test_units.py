"""Pure helpers: safe JSON, the envelope band, non-finite markers, parameter parsing."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from ringlog.store import Decimated
from ringlog.viewer import jsonsafe, params, scalars, tasks
from ringlog.viewer.errors import BadRequestError


def _decimated(x=(), y=(), **fields) -> Decimated:
    """A store result as the store builds it: fields not given are empty (no band, no markers)."""
    empty = np.zeros(0)
    base = dict(x=np.asarray(x, np.float64), y=np.asarray(y, np.float64), index=np.arange(len(x)), level=0,
                raw_count=len(x), nonfinite_x=empty, nonfinite_y=empty, nonfinite_count=np.zeros(0, np.int64),
                bucket_edges=None, bucket_starts=None, band_min=None, band_max=None, band_x=None, band_lo=None,
                band_hi=None)
    return Decimated(**{**base, **fields})


def test_safe_json_turns_nonfinite_into_null_and_numpy_into_plain():
    out = jsonsafe.dumps({"a": float("nan"), "b": [np.inf, 1.5], "c": np.array([1.0, np.nan, -np.inf]),
                          "d": np.int64(3), "e": np.float32(2.5), "f": (1, 2)})
    assert json.loads(out) == {"a": None, "b": [None, 1.5], "c": [1.0, None, None], "d": 3, "e": 2.5, "f": [1, 2]}


@settings(max_examples=40, deadline=None)
@given(hs.lists(hs.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=300),
       hs.integers(min_value=2, max_value=20))
def test_band_is_the_exact_per_bucket_envelope(values, points):
    y = np.asarray(values, dtype=np.float64)
    x = np.arange(len(y), dtype=np.float64)
    edges = np.linspace(0, max(len(y) - 1, 1), points + 1)
    d = _decimated(x, y, bucket_edges=edges)
    band = scalars.band_of(d, x, y, points)
    b = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, points - 1)
    lo_ref, hi_ref = [], []
    for k in range(points):
        seg = y[(b == k) & np.isfinite(y)]
        if len(seg):
            lo_ref.append(seg.min())
            hi_ref.append(seg.max())
    assert band["lo"][::2].tolist() == lo_ref and band["hi"][::2].tolist() == hi_ref
    assert np.all(band["x"][::2] <= band["x"][1::2])


def test_nonfinite_markers_merge_store_and_returned_points():
    d = _decimated(nonfinite_x=np.array([5.0, 9.0, 9.0]), nonfinite_y=np.array([np.inf, -np.inf, np.nan]),
                   nonfinite_count=np.array([3, 2, 1]))
    m = scalars.nonfinite_markers(d, np.array([1.0, 5.0, 7.0]), np.array([0.0, np.inf, np.nan]))
    assert m["x"].tolist() == [5.0, 7.0, 9.0, 9.0] and m["kind"] == ["+inf", "nan", "nan", "-inf"]
    assert m["count"].tolist() == [3, 1, 1, 2]


def test_series_key_and_section_follow_wandb():
    assert scalars.series_key("loss", "loss") == "loss"
    assert scalars.series_key("lr", "group0") == "lr/group0"
    assert scalars.section_of("train/loss") == "train" and scalars.section_of("loss") == ""


@pytest.mark.parametrize("raw, want", [("loss:0:1", ("loss", 0.0, 1.0)), ("summary.acc::0.5", ("acc", None, 0.5)),
                                       ("a:b:1:", ("a:b", 1.0, None))])
def test_metric_filter_parsing(raw, want):
    assert tasks.parse_metric_filter(raw) == want


def test_params_name_the_parameter_rule_and_value():
    with pytest.raises(BadRequestError, match=r"'points' must be >= 2; got '1'"):
        params.get_int({"points": "1"}, "points", lo=2)
    with pytest.raises(BadRequestError, match=r"'x_min' must be a finite number; got 'inf'"):
        params.get_float({"x_min": "inf"}, "x_min")
    with pytest.raises(BadRequestError, match="'title' is required"):
        params.get_str({}, "title", required=True)
    assert params.get_list({"tag": "a, b,,c"}, "tag") == ["a", "b", "c"]


def test_flatten_nested_config():
    assert tasks.flatten({"a": {"b": {"c": 1}}, "d": [1, 2]}) == {"a.b.c": 1, "d": [1, 2]}
