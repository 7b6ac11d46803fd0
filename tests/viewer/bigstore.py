"""Builds a store with one multi-million-point task plus a few small charts, for the browser
test and the viewer benchmark. Uses ringlog.store's TaskWriter when the store layer is
importable, else the contract-following fake store."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np


def _fake():
    key = "ringlog_viewer_tests_fakestore"   # same key as conftest.py, so the classes are shared
    if key in sys.modules:
        return sys.modules[key]
    spec = importlib.util.spec_from_file_location(key, Path(__file__).with_name("fakestore.py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[key] = mod
    spec.loader.exec_module(mod)
    return mod


SPIKE = 10.0


def big_series(n: int, seed: int = 0):
    """A training-loss-like curve: decay plus noise, one spike no chart may hide, one NaN."""
    rng = np.random.default_rng(seed)
    step = np.arange(n, dtype=np.int64)
    u = step / n
    value = 2.0 * np.exp(-5.0 * u) + 0.3 + 0.08 * rng.standard_normal(n) * (1.2 - u)
    value[n * 2 // 3] = SPIKE
    value[n // 3] = np.nan
    t = 1.7e9 + step * 0.001
    return step, value, t


def build(root: Path, n_points: int = 3_000_000, n_small: int = 5):
    """Returns (store, task_id). Series: 'loss' with n_points, 'train/acc_i' small ones."""
    try:
        from ringlog.store import Store
    except ImportError:
        Store = None
    if Store is not None and hasattr(Store, "create_task"):
        st = Store(root)
        w = st.create_task(project="bench", name="big", tags=("browser",))
        sid = w.series_id("loss", "loss")
        step, value, t = big_series(n_points)
        chunk = 1 << 20
        for i in range(0, n_points, chunk):
            w.append(sid, step[i:i + chunk], value[i:i + chunk], t[i:i + chunk])
        for k in range(n_small):
            sid = w.series_id(f"train/acc_{k}", f"train/acc_{k}")
            s = np.arange(500, dtype=np.int64)
            w.append(sid, s, np.sin(s / 30.0 + k), 1.7e9 + s * 1.0)
        w.set_meta(config={"lr": 0.1}, summary={"loss": 0.1})
        w.close()
        return st, w.id
    fs = _fake()
    st = fs.FakeStore(root)
    t = st.add("bench", "big", task_id="e" * 32, tags=("browser",), config={"lr": 0.1}, summary={"loss": 0.1})
    step, value, tt = big_series(n_points)
    t.scalars[("loss", "loss")] = fs.Scalar(step, value, tt)
    for k in range(n_small):
        s = np.arange(500, dtype=np.int64)
        t.scalars[(f"train/acc_{k}", f"train/acc_{k}")] = fs.Scalar(s, np.sin(s / 30.0 + k), 1.7e9 + s * 1.0)
    return st, t.id
