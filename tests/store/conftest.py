"""Fixtures of the store tests: a non-durable store (no fsync: fast) and series generators."""

from __future__ import annotations

import numpy as np
import pytest

from ringlog.store import Store


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "root", durable=False)


def make_series(n: int, seed: int = 0, f32: bool = True, specials: int = 0, t0: float = 1.7e9):
    """A noisy decaying loss (float32-exact when ``f32``), steps 0..n-1, wall times ~3 ms apart."""
    rng = np.random.default_rng(seed)
    step = np.arange(n, dtype=np.int64) * 2 + 5
    v = 2 * np.exp(-np.arange(n) / max(n / 3, 1)) + 0.05 * rng.standard_normal(n)
    if f32:
        v = v.astype(np.float32).astype(np.float64)
    if specials:
        at = rng.integers(0, n, specials)
        v[at] = rng.choice([np.nan, np.inf, -np.inf], specials)
    t = t0 + np.cumsum(rng.gamma(4, 0.00075, n))
    return step, v, t
