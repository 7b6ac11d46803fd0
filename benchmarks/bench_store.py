"""Store benchmarks: bulk write, bytes per point, read-back, pyramid cost and size, decimate latency.

``python -m benchmarks.run bench_store`` (full: 20M-point write, 100M-point decimate
series, ~1 GB under bench_data/) or ``--quick`` (1M points). Each figure is set
against a baseline measured in the same run: a numpy copy of the same bytes for
write/read, and "read the raw range from the store + numpy reduce" for decimate.

Many series (issue 13): a fresh process logs 10,000 series at 200 steps/s for a minute of 1 s
syncs (quick: 1,000 series, 10 syncs) and reports its peak RSS growth per series over the same
process before the first point, the tail files' bytes before close against the task's size after
close, and the close time; then 100,000 series of 3 points each (quick: 10,000): sync and close
times. ``python -m benchmarks.bench_store --many`` runs only these rows.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

from benchmarks._common import Row, best_of, check, print_table

DATA = Path(__file__).resolve().parent.parent / "bench_data" / "store"


def curve(a: int, b: int, n_total: int, seed: int = 0):
    """Points [a, b) of a noisy decaying loss from float32 tensors, logged every step, ~3 ms apart."""
    rng = np.random.default_rng(seed + a)
    step = np.arange(a, b, dtype=np.int64)
    loss = 2 * np.exp(-step / (n_total / 3)) + 0.05 * rng.standard_normal(b - a) * np.exp(-step / n_total) + 0.1
    t = 1.7e9 + step * 0.003 + rng.uniform(0, 0.002, b - a)  # ~3 ms per step, jitter up to 2 ms
    return step, loss.astype(np.float32).astype(np.float64), t


def _dir_bytes(p: Path, pattern: str = "*") -> int:
    return sum(f.stat().st_size for f in p.rglob(pattern) if f.is_file())


def _write(store, name: str, n: int, batch: int):
    w = store.create_task(project="bench", name=name, created=1.7e9)
    sid = w.series_id("loss")
    gen = 0.0
    t0 = time.perf_counter()
    for a in range(0, n, batch):
        g0 = time.perf_counter()
        step, v, t = curve(a, min(a + batch, n), n)
        gen += time.perf_counter() - g0
        w.append(sid, step, v, t)
        w.sync()
    w.close()
    return w, time.perf_counter() - t0 - gen


def _numpy_m4(x, y, points):
    """Baseline reduce: per equal-count bucket first/last/nanmin/nanmax with numpy."""
    nb = points // 4
    m = (len(y) // nb) * nb
    yy = y[:m].reshape(nb, -1)
    with np.errstate(invalid="ignore"):
        return np.nanmin(yy, axis=1), np.nanmax(yy, axis=1), x[:m].reshape(nb, -1)[:, 0]


MANY = textwrap.dedent("""
    import json, sys, time
    import numpy as np
    from pathlib import Path
    from ringlog.core import warmup
    from ringlog.store import Store

    def rss(field):
        for line in open("/proc/self/status"):
            if line.startswith(field):
                return int(line.split()[1]) * 1024

    root, K, S, P = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    warmup(("pyramid",))  # as the SDK does at init, on its warm-up thread
    w = Store(root, durable=True).create_task(project="bench", name="many", task_id="many", created=1.7e9)
    sids = [w.series_id(f"layer{i:05d}/grad_norm") for i in range(K)]
    rng = np.random.default_rng(0)
    steps = np.arange(S * P, dtype=np.int64)
    times = 1.7e9 + steps * 0.005
    w.sync()
    base = rss("VmRSS")
    t0 = time.perf_counter()
    syncs = []
    for j in range(S):
        block = (1 + 0.05 * rng.standard_normal((K, P))).astype(np.float32).astype(np.float64)
        a, b = j * P, (j + 1) * P
        for i, sid in enumerate(sids):
            w.append(sid, steps[a:b], block[i], times[a:b])
        s0 = time.perf_counter()
        w.sync()
        syncs.append(time.perf_counter() - s0)
        del block
    t_log = time.perf_counter() - t0
    peak = rss("VmHWM")
    task = Path(w.path)
    tails = sum(p.stat().st_size for p in task.rglob("tail*.bin"))
    t0 = time.perf_counter()
    w.close()
    t_close = time.perf_counter() - t0
    final = sum(p.stat().st_size for p in task.rglob("*") if p.is_file())
    print(json.dumps({"per_series": (peak - base) / K, "peak": peak, "base": base, "tails": tails,
                      "final": final, "close": t_close, "log": t_log, "sync": sorted(syncs)[len(syncs) // 2]}))
""")


def _many_proc(root: Path, k: int, syncs: int, per_sync: int) -> dict:
    r = subprocess.run([sys.executable, "-c", MANY, str(root), str(k), str(syncs), str(per_sync)],
                       capture_output=True, text=True, timeout=3600)
    check(r.returncode == 0, f"many-series run failed: {r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def many_series(quick: bool) -> list[Row]:
    """Memory, tail bytes and close time with many series (see the module docstring)."""
    DATA.mkdir(parents=True, exist_ok=True)
    k, syncs = (1000, 10) if quick else (10_000, 60)
    m = _many_proc(DATA / "many", k, syncs, 200)
    shutil.rmtree(DATA / "many", ignore_errors=True)
    kk = 10_000 if quick else 100_000
    c = _many_proc(DATA / "close", kk, 1, 3)
    shutil.rmtree(DATA / "close", ignore_errors=True)
    per = m["per_series"]
    rows = [Row(f"peak RSS growth per series, {k:,} series x {syncs * 200:,} points (200/sync)", per / 1e3, "KB",
                "<= 48", f"peak {m['peak'] / 2**20:.0f} MB, {m['base'] / 2**20:.0f} MB before the first point"),
            Row("tail bytes before close / task bytes after close", m["tails"] / m["final"], "x", "<= 2.5",
                f"{m['tails'] / 2**20:.1f} MB of tails, {m['final'] / 2**20:.1f} MB closed"),
            Row(f"sync of {k:,} series (median), close", m["sync"], "s", "",
                f"close {m['close']:.2f} s; logging {k * syncs * 200 / m['log'] / 1e6:.1f}M points/s incl. syncs"),
            Row(f"close() with {kk:,} series of 3 points", c["close"], "s", "<= 10" if not quick else "<= 5",
                f"the sync before it {c['sync']:.2f} s (baseline: writes the same index)")]
    print_table("store: many series", rows)
    check(per <= 48_000, f"{per / 1e3:.0f} KB per series > 48 KB")
    check(m["tails"] <= 2.5 * m["final"], f"tails {m['tails']} > 2.5x the closed task {m['final']}")
    check(c["close"] <= max(10.0, 4 * c["sync"]), f"close of {kk:,} series took {c['close']:.1f} s")
    return rows


def run(quick: bool) -> list[Row]:
    from ringlog.core import pyramid as pyr
    from ringlog.core import warmup
    from ringlog.store import Store

    warmup(("pyramid",))  # the SDK warms these on a helper thread; until then the store uses NumPy versions

    n_write = 1_000_000 if quick else 20_000_000
    n_big = 1_000_000 if quick else 100_000_000
    n_read = 1_000_000 if quick else 10_000_000
    shutil.rmtree(DATA, ignore_errors=True)
    DATA.mkdir(parents=True)
    store = Store(DATA, durable=True)
    # warm kernels and codecs outside the timings
    ww = store.create_task(project="bench", name="warm")
    ww.append(ww.series_id("x"), *curve(0, 70_000, 70_000))
    ww.close()
    store.task(ww.id).decimate("x", points=100)

    rows: list[Row] = []
    # --- bulk write --------------------------------------------------------------
    w, t_write = _write(store, "write", n_write, 1 << 20)
    step, v, t = curve(0, n_write, n_write)
    copy = best_of(lambda: (step.copy(), v.copy(), t.copy()), 3)
    wr = n_write / t_write
    rows += [Row("numpy copy of step+value+time baseline", n_write / copy, "points/s"),
             Row(f"bulk write to disk ({n_write:,} points, fsync per 1M batch)", wr, "points/s", ">= 20,000,000",
                 f"{wr * copy / n_write:.2f}x of copy")]
    fast = Store(DATA / "nofsync", durable=False)
    _, t_fast = _write(fast, "write-nofsync", n_write, 1 << 20)
    rows.append(Row("bulk write, durable=False (no fsync)", n_write / t_fast, "points/s", "",
                    "the same without fsync: what the disk flush costs"))
    sdir = w.path / "s0"
    tail = sdir / "tail.bin"  # gone once the task is closed (sealed into Zarr)
    raw = sum(_dir_bytes(sdir / d) for d in ("step", "value", "time")) + (tail.stat().st_size if tail.exists() else 0)
    lev = sum(_dir_bytes(d) for d in sdir.glob("L*"))
    per = {d: _dir_bytes(sdir / d) / n_write for d in ("step", "value", "time")}
    rows += [Row("bytes on disk per point (step+value+time)", raw / n_write, "bytes", "<= 4",
                 ", ".join(f"{k} {b:.2f}" for k, b in per.items())),
             Row("pyramid size / raw size", 100 * lev / raw, "%", "<= 15")]
    # pyramid maintenance: the roll-up kernels alone on the same points, vs the whole ingest
    tms = np.rint((t - 1.7e9) * 1000).astype(np.int64)

    def rollups():
        rec = pyr.raw_records(step, v, tms, np.arange(n_write // 256 + 1, dtype=np.int64) * 256)
        while rec.shape[1] >= 8:
            m = rec.shape[1] // 8
            rec = pyr.combine(rec[:, : m * 8], np.arange(m + 1, dtype=np.int64) * 8)

    t_pyr = best_of(rollups, 2)
    rows.append(Row("pyramid maintenance / ingest time", 100 * t_pyr / t_write, "%", "<= 20"))
    check(raw / n_write <= 4.0, f"bytes per point {raw / n_write:.2f} > 4")
    check(lev <= 0.15 * raw, f"pyramid {lev} bytes > 15% of raw {raw}")
    check(wr >= 2_000_000 and wr * copy / n_write >= 0.005, f"bulk write {wr:,.0f} points/s too slow")

    # --- read back -------------------------------------------------------------------
    r = store.task(w.id)
    t_read = best_of(lambda: r.scalar("loss", start=0, stop=n_read), 3)
    rd = n_read / t_read
    rows.append(Row(f"read back one series ({n_read:,} points, step+value+time)", rd, "points/s",
                    ">= 100,000,000"))
    check(rd >= 10_000_000, f"read back {rd:,.0f} points/s too slow")

    # --- decimate on a long series ----------------------------------------------------
    if n_big != n_write:
        shutil.rmtree(w.path)
        w, _ = _write(store, "big", n_big, 10_000_000)
    r = Store(DATA).task(w.id)
    rng = np.random.default_rng(0)
    ranges = [(None, None)]
    for frac in (0.9, 0.5, 0.1, 0.02):
        a = float(rng.uniform(0, n_big * (1 - frac)))
        ranges.append((a, a + frac * n_big))
    q_times, base_times, levels = [], [], []
    for x_min, x_max in ranges:
        for _ in range(5):
            t0 = time.perf_counter()
            d = r.decimate("loss", x_min=x_min, x_max=x_max, points=2000)
            q_times.append(time.perf_counter() - t0)
        levels.append(d.level)
        lo = 0 if x_min is None else int(np.ceil(x_min))
        hi = n_big if x_max is None else int(np.floor(x_max)) + 1

        def baseline():
            s = r.scalar("loss", start=lo, stop=hi)
            _numpy_m4(s.step, s.value, 2000)

        base_times.append(best_of(baseline, 1))
    med = statistics.median(q_times)
    base = statistics.median(base_times)
    rows += [Row(f"decimate 2,000 points, any range of {n_big:,} (median)", med * 1e3, "ms", "<= 10",
                 f"levels used {sorted(set(levels))}"),
             Row("raw range read + numpy reduce baseline (median)", base * 1e3, "ms"),
             Row("decimate speed-up vs baseline", base / med, "x", ">= 20")]
    print_table("store", rows)
    check(med <= (0.05 if quick else 0.02), f"decimate median {med * 1e3:.1f} ms")
    check(base / med >= (1 if quick else 20), f"decimate only {base / med:.1f}x faster than raw read + reduce")
    return rows + many_series(quick)


if __name__ == "__main__":
    if "--many" in sys.argv:
        many_series(quick="--quick" in sys.argv)
    else:
        run(quick="--quick" in sys.argv)
