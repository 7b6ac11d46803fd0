"""The store's write path needs no compiled kernel (issue 13, bullet 1, the store's part).

In a fresh process with an empty numba cache (every kernel would compile: ~20 s for all of them on
this machine), creating a task, appending points (whole chunks, pyramid buckets, a short series)
and syncing reaches the disk in well under a second, and no numba dispatcher compiled anything:
the write path used its NumPy fallbacks (``ringlog.store._kern``) because ``ringlog.core.ready``
was false. The same figures once the kernels are warm are the same bits (test below).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from ringlog.store import Store

from .conftest import make_series

SCRIPT = textwrap.dedent("""
    import json, sys, time
    import numpy as np
    from ringlog.store import Store
    from ringlog.core import pyramid as pyr
    import ringlog.core as core
    n = 3 * 65536 + 1234
    rng = np.random.default_rng(0)
    v = (1 + 0.05 * rng.standard_normal(n)).astype(np.float32).astype(np.float64)
    v[::1000] = np.nan
    step = np.arange(n, dtype=np.int64)
    t = 1.7e9 + np.arange(n) * 0.003
    t0 = time.perf_counter()
    w = Store(sys.argv[1]).create_task(project="p", name="cold", task_id="cold")
    a, b = w.series_id("loss"), w.series_id("short")
    w.append(a, step, v, t)
    w.append(b, step[:5], v[:5], t[:5])
    w.sync()
    took = time.perf_counter() - t0
    compiled = sorted(name for name in dir(pyr) if hasattr(getattr(pyr, name), "signatures")
                      and getattr(pyr, name).signatures)
    print(json.dumps({"took": took, "compiled": compiled, "ready": pyr.ready()}))
    sys.stdout.flush()
    import os
    os._exit(0)  # killed before close: what sync made durable must be there
""")


def test_first_append_and_sync_need_no_compiled_kernel(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "empty-numba-cache"))
    r = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "root")], env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["ready"] is False
    assert out["compiled"] == [], f"the write path compiled {out['compiled']}"
    assert out["took"] < 1.0, out  # measured ~0.05-0.1 s; compiling the pyramid kernels takes seconds
    task = Store(tmp_path / "root").task("cold")
    sc = task.scalar("loss")
    assert len(sc.step) == 3 * 65536 + 1234
    assert task.scalar("short").step.tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("specials", [0, 25])
def test_numpy_fallback_writes_the_same_bits_as_the_kernels(tmp_path, monkeypatch, specials):
    """Levels, stats and times written without kernels equal those written with them."""
    from ringlog.store import _kern

    n = 2 * 65536 + 70_000
    step, v, t = make_series(n, specials=specials, f32=False)
    roots = {}
    for mode in (False, True):
        monkeypatch.setattr(_kern, "_ready", lambda mode=mode: mode)
        root = tmp_path / f"k{mode}"
        w = Store(root, durable=False).create_task(project="p", name="x", task_id="x", created=1.7e9)
        sid = w.series_id("y")
        for part in np.array_split(np.arange(n), 7):
            w.append(sid, step[part], v[part], t[part])
            w.sync()
        w.close()
        roots[mode] = root
    files = {}
    for mode, root in roots.items():
        files[mode] = {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*"))
                       if p.is_file() and p.name not in ("catalog.sqlite", "zarr.json", "writer.lock")
                       and not p.name.startswith("catalog")}
    assert files[False].keys() == files[True].keys()
    for k in files[False]:
        if k.name == "series.json":
            a, b = json.loads(files[False][k]), json.loads(files[True][k])
            assert a["series"] == b["series"]
        else:
            assert files[False][k] == files[True][k], k


def test_numpy_fallbacks_equal_the_kernels_on_awkward_values(monkeypatch):
    """All-NaN buckets, +-Inf, -0.0 ties, float32-inexact and huge values, one-point groups."""
    from ringlog.core import pyramid as pyr
    from ringlog.store import _kern

    rng = np.random.default_rng(3)
    n = 4096
    v = rng.standard_normal(n)
    v[:256] = np.nan                   # a bucket without a finite value
    v[256:300] = -0.0
    v[300:310] = 0.0
    v[rng.integers(0, n, 40)] = np.inf
    v[rng.integers(0, n, 40)] = -np.inf
    v[5000 % n] = 1e300                # not a float32
    step = np.cumsum(rng.integers(1, 3, n)).astype(np.int64)
    tm = np.cumsum(rng.integers(0, 4, n)).astype(np.int64)
    for g in (1, 7, 256):
        starts = np.arange(0, n - n % g + 1, g, dtype=np.int64)
        monkeypatch.setattr(_kern, "_ready", lambda: False)
        slow = _kern.raw_records(step, v, tm, starts, 11)
        slow_c = _kern.combine(slow, np.arange(0, slow.shape[1] - slow.shape[1] % 8 + 1, 8))
        slow_s = _kern.scan_batch(v)
        slow_t = _kern.seconds_to_ms(1.7e9 + tm * 1e-3, 1.7e9, 1e3)
        monkeypatch.setattr(_kern, "_ready", lambda: True)
        fast = pyr.raw_records(step, v, tm, starts, 11)
        np.testing.assert_array_equal(slow.view(np.int64), fast.view(np.int64))  # same bits, NaN and -0.0 too
        fast_c = pyr.combine(fast, np.arange(0, fast.shape[1] - fast.shape[1] % 8 + 1, 8))
        np.testing.assert_array_equal(slow_c.view(np.int64), fast_c.view(np.int64))
        assert slow_s == pyr.scan_batch(v)
        ft = pyr.seconds_to_ms(1.7e9 + tm * 1e-3, 1.7e9, 1e3)
        np.testing.assert_array_equal(slow_t[0], ft[0])
        assert slow_t[1:] == ft[1:]
    monkeypatch.setattr(_kern, "_ready", lambda: False)
    assert _kern.seconds_to_ms(np.array([1.0, np.nan]), 0.0, 1e3)[1] == 1
    for small in ([1.0], [np.nan], [np.inf, -0.0, 0.0], [1e300, 0.1], [-np.inf], [2.5, 3.5, -2.5]):  # Python path
        a = np.array(small)
        assert _kern.scan_batch(a) == pyr.scan_batch(a), small
        got, want = _kern.seconds_to_ms(1.7e9 + a, 1.7e9, 1.0), pyr.seconds_to_ms(1.7e9 + a, 1.7e9, 1.0)
        assert got[1] == want[1]
        if want[1] < 0:
            np.testing.assert_array_equal(got[0], want[0])
            assert got[2] == want[2]
